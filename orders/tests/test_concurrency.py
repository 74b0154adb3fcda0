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
from orders.fulfilment import transition_order
from orders.models import Order, OrderEvent, OrderItem
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
