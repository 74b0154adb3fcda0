"""Concurrency of the order services on PostgreSQL: real threads, real row locks."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.tests.factories import ManagerFactory, UserFactory
from catalog.models import Offer
from catalog.tests.factories import OfferFactory
from orders.fulfilment import cancel_order, move_shipment, transition_order
from orders.models import Order, OrderEvent, OrderItem, Shipment
from orders.services import add_to_basket, confirm_order
from orders.tests.factories import OrderFactory, OrderItemFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread, released together; returns each result or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_sixteen_customers_racing_for_five_units_sell_exactly_five():
    offer = OfferFactory(quantity=5)
    baskets = []
    for _ in range(16):
        basket = OrderFactory(user=UserFactory())
        OrderItemFactory(order=basket, offer=offer, quantity=1)
        baskets.append(basket)

    def confirm(basket: Order) -> Callable[[], Order]:
        return lambda: confirm_order(
            order=basket, customer=basket.user, address="Москва", phone="+79161234567"
        )

    results = run_at_once([confirm(basket) for basket in baskets])

    outcome = Counter(
        type(result).__name__ if not isinstance(result, ValidationError) else result.error_list[0].code
        for result in results
    )
    assert outcome == {"Order": 5, "out_of_stock": 11}
    assert Offer.objects.get(pk=offer.pk).quantity == 0
    assert Order.objects.filter(state=Order.State.NEW).count() == 5
    assert Order.objects.filter(state=Order.State.BASKET).count() == 11
    assert OrderEvent.objects.count() == 5
    assert set(OrderItem.objects.filter(order__state=Order.State.BASKET).values_list("price", flat=True)) == {
        None
    }


def test_two_concurrent_first_adds_create_one_basket():
    user = UserFactory()
    offer = OfferFactory(quantity=10)

    results = run_at_once([lambda: add_to_basket(user=user, offer_id=offer.pk, quantity=1)] * 2)

    assert [type(result).__name__ for result in results] == ["Order", "Order"]
    assert results[0].pk == results[1].pk
    assert Order.objects.filter(user=user).count() == 1
    assert list(OrderItem.objects.filter(order__user=user).values_list("offer_id", "quantity")) == [
        (offer.pk, 2)
    ]


def test_two_concurrent_adds_cannot_together_exceed_the_stock():
    user = UserFactory()
    offer = OfferFactory(quantity=3)

    results = run_at_once([lambda: add_to_basket(user=user, offer_id=offer.pk, quantity=2)] * 2)

    codes = sorted(result.code if isinstance(result, ValidationError) else "ok" for result in results)
    assert codes == ["ok", "out_of_stock"]
    assert list(OrderItem.objects.filter(order__user=user).values_list("quantity", flat=True)) == [2]


@pytest.mark.parametrize(
    ("start", "first", "second"),
    [
        ("new", "confirmed", "confirmed"),
        ("new", "canceled", "canceled"),
        # From assembled, sent and canceled exclude each other: whichever applies, the other is forbidden.
        ("assembled", "sent", "canceled"),
    ],
)
def test_two_concurrent_transitions_of_one_order_apply_exactly_once(start, first, second):
    customer = UserFactory()
    offer = OfferFactory(quantity=10)
    basket = OrderFactory(user=customer)
    OrderItemFactory(order=basket, offer=offer, quantity=4)
    order = confirm_order(order=basket, customer=customer, address="Москва", phone="+79161234567")
    managers = [ManagerFactory(), ManagerFactory()]
    path = ["new"] if start == "new" else ["new", "confirmed", "assembled"]
    for step in path[1:]:
        order = transition_order(order=order, to_state=step, actor=managers[0])
    events_before = list(OrderEvent.objects.values_list("from_state", "to_state"))

    results = run_at_once(
        [
            lambda: transition_order(order=Order.objects.get(pk=order.pk), to_state=first, actor=managers[0]),
            lambda: transition_order(
                order=Order.objects.get(pk=order.pk), to_state=second, actor=managers[1]
            ),
        ]
    )

    applied = [result for result in results if isinstance(result, Order)]
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert (len(applied), len(refused)) == (1, 1)
    assert refused[0].code == "invalid_transition"
    final = Order.objects.get(pk=order.pk)
    assert final.state == applied[0].state
    assert list(final.events.values_list("from_state", "to_state")) == [*events_before, (start, final.state)]
    assert Offer.objects.get(pk=offer.pk).quantity == (10 if final.state == "canceled" else 6)


# --- shipments ------------------------------------------------------------------------------------------


def two_shop_order(*, quantity_a: int = 10, quantity_b: int = 10):
    """An order of one unit from each of two partners' shops."""
    offer_a, offer_b = OfferFactory(quantity=quantity_a), OfferFactory(quantity=quantity_b)
    customer = UserFactory()
    basket = OrderFactory(user=customer)
    OrderItemFactory(order=basket, offer=offer_a, quantity=2)
    OrderItemFactory(order=basket, offer=offer_b, quantity=1)
    order = confirm_order(order=basket, customer=customer, address="Москва", phone="+79161234567")
    return order, offer_a, offer_b


def test_two_partners_moving_their_shipments_of_one_order_at_once_both_apply_and_the_order_follows():
    order, offer_a, offer_b = two_shop_order()
    shipment_a = Shipment.objects.get(order=order, shop=offer_a.shop)
    shipment_b = Shipment.objects.get(order=order, shop=offer_b.shop)

    for state in ["confirmed", "assembled", "sent"]:
        results = run_at_once(
            [
                lambda state=state: move_shipment(
                    shipment=shipment_a, to_state=state, actor=offer_a.shop.owner
                ),
                lambda state=state: move_shipment(
                    shipment=shipment_b, to_state=state, actor=offer_b.shop.owner
                ),
            ]
        )
        assert [type(result).__name__ for result in results] == ["Shipment", "Shipment"]
        # Without the lock on the order row each would have seen the other still behind.
        assert Order.objects.get(pk=order.pk).state == state

    assert set(Shipment.objects.filter(order=order).values_list("state", flat=True)) == {"sent"}
    assert OrderEvent.objects.filter(order=order).exclude(shipment=None).count() == 6
    assert [
        tuple(Offer.objects.filter(pk=o.pk).values_list("quantity", "reserved_quantity").get())
        for o in (offer_a, offer_b)
    ] == [
        (8, 0),
        (9, 0),
    ]


def test_a_partner_canceling_while_the_customer_cancels_returns_the_stock_exactly_once():
    for _attempt in range(3):  # whichever comes first, the outcome is the same
        order, offer_a, offer_b = two_shop_order()
        shipment_a = Shipment.objects.get(order=order, shop=offer_a.shop)

        results = run_at_once(
            [
                lambda shipment_a=shipment_a, offer_a=offer_a: move_shipment(
                    shipment=shipment_a, to_state="canceled", actor=offer_a.shop.owner, note="нет на складе"
                ),
                lambda order=order: cancel_order(
                    order=Order.objects.get(pk=order.pk), actor=order.user, reason="передумал"
                ),
            ]
        )

        refused = [result for result in results if isinstance(result, Exception)]
        assert all(
            isinstance(error, ValidationError) and error.code == "invalid_transition" for error in refused
        )
        assert len(refused) <= 1
        assert set(Shipment.objects.filter(order=order).values_list("state", flat=True)) == {"canceled"}
        assert Order.objects.get(pk=order.pk).state == "canceled"
        assert [
            tuple(Offer.objects.filter(pk=o.pk).values_list("quantity", "reserved_quantity").get())
            for o in (offer_a, offer_b)
        ] == [(10, 0), (10, 0)]
        assert sorted(
            OrderEvent.objects.filter(order=order, to_state="canceled").values_list(
                "shipment__shop_id", flat=True
            )
        ) == sorted([offer_a.shop_id, offer_b.shop_id])


def test_sixteen_customers_racing_for_the_last_units_of_two_shops_never_oversell():
    offer_a, offer_b = OfferFactory(quantity=5), OfferFactory(quantity=3)
    baskets = []
    for _ in range(16):
        basket = OrderFactory(user=UserFactory())
        OrderItemFactory(order=basket, offer=offer_a, quantity=1)
        OrderItemFactory(order=basket, offer=offer_b, quantity=1)
        baskets.append(basket)

    results = run_at_once(
        [
            lambda basket=basket: confirm_order(
                order=basket, customer=basket.user, address="Москва", phone="+79161234567"
            )
            for basket in baskets
        ]
    )

    outcome = Counter(
        type(result).__name__ if not isinstance(result, ValidationError) else result.error_list[0].code
        for result in results
    )
    assert outcome == {"Order": 3, "out_of_stock": 13}
    assert tuple(Offer.objects.filter(pk=offer_a.pk).values_list("quantity", "reserved_quantity").get()) == (
        2,
        3,
    )
    assert tuple(Offer.objects.filter(pk=offer_b.pk).values_list("quantity", "reserved_quantity").get()) == (
        0,
        3,
    )
    assert Shipment.objects.count() == 6
    assert Order.objects.filter(state=Order.State.NEW).count() == 3
