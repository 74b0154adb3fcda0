"""Data migrations of the orders app, run on the historical models they were written for."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


BEFORE = [("orders", "0001_initial"), ("catalog", "0004_offer_reserved_quantity")]
AFTER = [("orders", "0002_fill_offer_reserved_quantity")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_reservations_are_filled_from_the_orders_still_new():
    apps = migrate(BEFORE)
    user = apps.get_model("accounts", "User").objects.create(username="anna", type="buyer")
    partner = apps.get_model("accounts", "User").objects.create(username="shop", type="shop")
    shop = apps.get_model("partners", "Shop").objects.create(name="Лавка", owner=partner)
    category = apps.get_model("catalog", "Category").objects.create(name="Чай")
    Product = apps.get_model("catalog", "Product")
    Offer = apps.get_model("catalog", "Offer")
    offers = [
        Offer.objects.create(
            shop=shop,
            product=Product.objects.create(name=f"Чай {number}", category=category),
            external_id=str(number),
            price=100,
            quantity=10,
        )
        for number in range(3)
    ]
    Order = apps.get_model("orders", "Order")
    OrderItem = apps.get_model("orders", "OrderItem")
    for state, lines in (
        ("new", [(0, 2), (1, 1)]),
        ("new", [(0, 3)]),
        ("confirmed", [(1, 5)]),
        ("canceled", [(2, 4)]),
        ("basket", [(2, 1)]),
    ):
        order = Order.objects.create(user=user if state != "basket" else partner, state=state)
        for index, quantity in lines:
            OrderItem.objects.create(order=order, offer=offers[index], quantity=quantity, price=100)

    apps = migrate(AFTER)

    reserved = dict(
        apps.get_model("catalog", "Offer").objects.values_list("external_id", "reserved_quantity")
    )
    assert reserved == {"0": 5, "1": 1, "2": 0}
