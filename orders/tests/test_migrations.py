"""Data migrations of the orders app, run through the migration executor."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import Offer
from catalog.tests.factories import OfferFactory
from orders.models import Order
from orders.tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("orders", "0001_initial")]
AFTER = [("orders", "0002_fill_offer_reserved_quantity")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_reservations_are_filled_from_the_orders_still_new():
    offers = [OfferFactory(external_id=str(number), quantity=10) for number in range(3)]
    for state, lines in (
        (Order.State.NEW, [(0, 2), (1, 1)]),
        (Order.State.NEW, [(0, 3)]),
        (Order.State.CONFIRMED, [(1, 5)]),
        (Order.State.CANCELED, [(2, 4)]),
        (Order.State.BASKET, [(2, 1)]),
    ):
        order = OrderFactory(state=state)
        for index, quantity in lines:
            OrderItemFactory(order=order, offer=offers[index], quantity=quantity)
    migrate(BEFORE)  # the reservations are not known before the migration
    assert set(Offer.objects.values_list("reserved_quantity", flat=True)) == {0}

    migrate(AFTER)

    assert dict(Offer.objects.values_list("external_id", "reserved_quantity")) == {"0": 5, "1": 1, "2": 0}
