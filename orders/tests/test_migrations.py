"""Data migrations of the orders app, run through the migration executor."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.tests.factories import ManagerFactory, UserFactory
from catalog.models import Offer
from catalog.tests.factories import OfferFactory, ShopFactory
from orders.models import Order, OrderEvent, OrderItem, Shipment
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


BEFORE_SHIPMENTS = [("orders", "0003_partners_group_permissions")]
WITH_SHIPMENTS = [("orders", "0007_partners_group_shipment_permissions")]


def historical_models(targets):
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(targets[0]).apps


@pytest.mark.parametrize("chunk", [1, 1000])
def test_existing_orders_become_one_shipment_per_shop_in_the_orders_state_delivered_for_nothing(
    monkeypatch, chunk
):
    # The migration works a chunk of orders at a time; with chunks of one, every order is its own.
    monkeypatch.setattr(
        importlib.import_module("orders.migrations.0005_orders_into_shipments"), "CHUNK", chunk
    )
    customer, manager = UserFactory(), ManagerFactory()
    shop_a, shop_b = ShopFactory(name="Связной"), ShopFactory(name="Евросеть")
    phone = OfferFactory(shop=shop_a, price=Decimal("1000.00"))
    case = OfferFactory(shop=shop_a, price=Decimal("50.00"))
    galaxy = OfferFactory(shop=shop_b, price=Decimal("100.00"))
    migrate(BEFORE_SHIPMENTS)
    apps = historical_models(BEFORE_SHIPMENTS)
    OldOrder, OldItem, OldEvent = (
        apps.get_model("orders", name) for name in ("Order", "OrderItem", "OrderEvent")
    )
    placed_at = timezone.now() - timedelta(days=3)

    def old_order(state, lines, events):
        order = OldOrder.objects.create(
            user_id=customer.pk,
            state=state,
            total=sum(offer.price * quantity for offer, quantity in lines) if state != "basket" else 0,
            confirmed_at=placed_at if state != "basket" else None,
        )
        for offer, quantity in lines:
            OldItem.objects.create(
                order=order,
                offer_id=offer.pk,
                quantity=quantity,
                price=offer.price if state != "basket" else None,
            )
        for hours, (from_state, to_state, note) in enumerate(events):
            event = OldEvent.objects.create(
                order=order, actor_id=manager.pk, from_state=from_state, to_state=to_state, note=note
            )
            OldEvent.objects.filter(pk=event.pk).update(created_at=placed_at + timedelta(hours=hours))
        return order.pk

    two_shops = old_order(
        "assembled",
        [(phone, 2), (case, 1), (galaxy, 3)],
        [("basket", "new", ""), ("new", "confirmed", ""), ("confirmed", "assembled", "")],
    )
    canceled = old_order("canceled", [(galaxy, 1)], [("basket", "new", ""), ("new", "canceled", "нет денег")])
    basket = old_order("basket", [(phone, 1)], [])
    empty = old_order("new", [], [("basket", "new", "")])

    migrate(WITH_SHIPMENTS)

    shipments = {
        (shipment.order_id, shipment.shop.name): shipment
        for shipment in Shipment.objects.select_related("shop")
    }
    assert sorted(shipments) == sorted(
        [(two_shops, "Связной"), (two_shops, "Евросеть"), (canceled, "Евросеть")]
    )
    a, b, c = (
        shipments[two_shops, "Связной"],
        shipments[two_shops, "Евросеть"],
        shipments[canceled, "Евросеть"],
    )
    assert [(s.state, s.subtotal, s.delivery_cost) for s in (a, b, c)] == [
        ("assembled", Decimal("2050.00"), Decimal("0.00")),
        ("assembled", Decimal("300.00"), Decimal("0.00")),
        ("canceled", Decimal("100.00"), Decimal("0.00")),
    ]
    assert (a.created_at, a.confirmed_at, a.assembled_at, a.sent_at) == (
        placed_at,
        placed_at + timedelta(hours=1),
        placed_at + timedelta(hours=2),
        None,
    )
    assert (c.cancel_reason, c.canceled_at) == ("нет денег", placed_at + timedelta(hours=1))
    assert sorted(OrderItem.objects.values_list("order_id", "offer_id", "shipment_id")) == sorted(
        [
            (two_shops, phone.pk, a.pk),
            (two_shops, case.pk, a.pk),
            (two_shops, galaxy.pk, b.pk),
            (canceled, galaxy.pk, c.pk),
            (basket, phone.pk, None),
        ]
    )
    # One shop: its history is the shipment's; several: it stays the order's own.
    assert list(OrderEvent.objects.filter(order_id=canceled).values_list("to_state", "shipment_id")) == [
        ("new", None),
        ("canceled", c.pk),
    ]
    assert set(OrderEvent.objects.filter(order_id=two_shops).values_list("shipment_id", flat=True)) == {None}
    assert list(Order.objects.order_by("pk").values_list("pk", "goods_total", "delivery_total", "total")) == [
        (two_shops, Decimal("2350.00"), Decimal("0.00"), Decimal("2350.00")),
        (canceled, Decimal("100.00"), Decimal("0.00"), Decimal("100.00")),
        (basket, Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
        (empty, Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    assert Order.objects.get(pk=two_shops).state == "assembled"

    migrate(BEFORE_SHIPMENTS)  # and back: the shipments go, the orders and lines stay

    apps = historical_models(BEFORE_SHIPMENTS)
    assert apps.get_model("orders", "OrderItem").objects.count() == 5
    assert apps.get_model("orders", "Order").objects.count() == 4
