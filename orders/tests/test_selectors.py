"""Tests of who sees which orders and which of their lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.tests.factories import OfferFactory, ShopFactory
from orders.models import Order
from orders.selectors import (
    order_lines_visible_to,
    orders_visible_to,
    partner_shipments,
    shipments_visible_to,
)
from orders.services import confirm_order
from orders.tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two customers, two partners; one order mixes both partners' offers, one only partner B's."""
    partner_a, partner_b = PartnerFactory(), PartnerFactory()
    offer_a = OfferFactory(shop=ShopFactory(owner=partner_a), price=Decimal("100.00"))
    offer_b = OfferFactory(shop=ShopFactory(owner=partner_b), price=Decimal("7.00"))
    anna, boris = UserFactory(), UserFactory()

    def place(user, *lines):
        basket = OrderFactory(user=user)
        for offer, quantity in lines:
            OrderItemFactory(order=basket, offer=offer, quantity=quantity)
        return confirm_order(order=basket, customer=user, address="Москва", phone="+79161234567")

    mixed = place(anna, (offer_a, 2), (offer_b, 3))
    only_b = place(boris, (offer_b, 1))
    anna_basket = OrderFactory(user=anna)
    OrderItemFactory(order=anna_basket, offer=offer_a)
    return {
        "partner_a": partner_a,
        "partner_b": partner_b,
        "offer_a": offer_a,
        "offer_b": offer_b,
        "anna": anna,
        "boris": boris,
        "mixed": mixed,
        "only_b": only_b,
    }


def ids(queryset):
    return sorted(queryset.values_list("pk", flat=True))


def test_customers_see_their_own_placed_orders_only(world):
    assert ids(orders_visible_to(world["anna"])) == [world["mixed"].pk]
    assert ids(orders_visible_to(world["boris"])) == [world["only_b"].pk]
    assert ids(orders_visible_to(UserFactory())) == []


def test_managers_see_every_placed_order_but_no_basket(world):
    assert ids(orders_visible_to(ManagerFactory())) == sorted([world["mixed"].pk, world["only_b"].pk])
    assert ids(orders_visible_to(UserFactory(is_staff=True))) == sorted(
        [world["mixed"].pk, world["only_b"].pk]
    )


def test_partners_see_orders_containing_their_offers_even_with_admin_access(world):
    world["partner_b"].is_staff = True
    world["partner_b"].save()

    assert ids(orders_visible_to(world["partner_a"])) == [world["mixed"].pk]
    assert ids(orders_visible_to(world["partner_b"])) == sorted([world["mixed"].pk, world["only_b"].pk])


def test_anonymous_and_inactive_users_see_nothing(world):
    world["anna"].is_active = False
    world["anna"].save()

    assert ids(orders_visible_to(AnonymousUser())) == []
    assert ids(orders_visible_to(world["anna"])) == []
    assert list(order_lines_visible_to(AnonymousUser(), world["mixed"])) == []


def test_order_lines_visible_to_each_kind_of_user(world):
    mixed = world["mixed"]

    def offers(user):
        return list(order_lines_visible_to(user, mixed).values_list("offer_id", flat=True))

    both = sorted([world["offer_a"].pk, world["offer_b"].pk])
    assert offers(world["anna"]) == both
    assert offers(ManagerFactory()) == both
    assert offers(world["partner_a"]) == [world["offer_a"].pk]
    assert offers(world["partner_b"]) == [world["offer_b"].pk]
    assert offers(world["boris"]) == []


def test_partner_shipments_carry_only_the_partners_shipments_lines_and_subtotals(world):
    shipments = {shipment.order_id: shipment for shipment in partner_shipments(world["partner_b"])}

    assert sorted(shipments) == sorted([world["mixed"].pk, world["only_b"].pk])
    mixed = shipments[world["mixed"].pk]
    assert [line.offer_id for line in mixed.items.all()] == [world["offer_b"].pk]
    assert mixed.subtotal == Decimal("21.00")
    assert shipments[world["only_b"].pk].subtotal == Decimal("7.00")
    assert list(partner_shipments(AnonymousUser())) == []
    assert list(partner_shipments(world["anna"])) == []
    assert Order.objects.get(pk=world["mixed"].pk).total == Decimal("221.00")


def test_partner_shipments_filter_by_state(world):
    assert list(partner_shipments(world["partner_b"], state="confirmed")) == []
    assert len(partner_shipments(world["partner_b"], state="new")) == 2


def test_shipments_visible_to_each_kind_of_user(world):
    def shops(user):
        return sorted(shipments_visible_to(user).values_list("order_id", "shop__owner_id"))

    mixed, only_b = world["mixed"].pk, world["only_b"].pk
    a, b = world["partner_a"].pk, world["partner_b"].pk
    assert shops(ManagerFactory()) == sorted([(mixed, a), (mixed, b), (only_b, b)])
    assert shops(world["partner_a"]) == [(mixed, a)]
    assert shops(world["partner_b"]) == sorted([(mixed, b), (only_b, b)])
    assert shops(world["anna"]) == []
    assert shops(AnonymousUser()) == []
