"""EMAIL_CONFIRMATION and orders: `mandatory` and `optional` refuse to place an order while the current
address is unconfirmed (403 `email_not_confirmed`), `off` does not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UnconfirmedUserFactory, UserFactory
from catalog.models import Offer
from catalog.tests.factories import OfferFactory
from orders.models import Order
from orders.tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

PLACE = {"address": "Москва, Тверская 7", "phone": "+79161234567"}


def basket_of(user):
    offer = OfferFactory(price=Decimal("100.00"), quantity=5)
    basket = OrderFactory(user=user)
    OrderItemFactory(order=basket, offer=offer, quantity=2)
    return basket, offer


def place(user, basket):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client.post("/orders/confirm/", {"id": basket.pk, **PLACE}, format="json")


@pytest.mark.parametrize("mode", ["mandatory", "optional"])
def test_an_unconfirmed_address_cannot_place_an_order_and_nothing_changes(settings, mode):
    settings.EMAIL_CONFIRMATION = mode
    user = UnconfirmedUserFactory(email="oleg@example.com")
    basket, offer = basket_of(user)

    response = place(user, basket)

    assert response.status_code == 403
    assert response.json() == {
        "code": "email_not_confirmed",
        "detail": (
            "Confirm your e-mail address (oleg@example.com) before placing orders. Open the link in the "
            'confirmation e-mail, or ask for a new one: POST /register/confirm/resend/ with {"email": '
            '"<your address>"}.'
        ),
    }
    assert Order.objects.get(pk=basket.pk).state == Order.State.BASKET
    assert Offer.objects.get(pk=offer.pk).quantity == 5


def test_mandatory_refuses_an_order_while_a_changed_address_waits_for_confirmation(settings):
    user = UserFactory(is_email_verified=False, has_ever_verified_email=True)
    basket, _offer = basket_of(user)

    assert place(user, basket).status_code == 403


@pytest.mark.parametrize("mode", ["mandatory", "optional"])
def test_a_confirmed_address_places_the_order(settings, mode):
    settings.EMAIL_CONFIRMATION = mode
    user = UserFactory()
    basket, _offer = basket_of(user)

    response = place(user, basket)

    assert response.status_code == 200
    assert response.json()["state"] == "new"


def test_off_places_the_order_of_an_unconfirmed_address(settings):
    settings.EMAIL_CONFIRMATION = "off"
    user = UnconfirmedUserFactory()
    basket, offer = basket_of(user)

    response = place(user, basket)

    assert response.status_code == 200
    assert Offer.objects.get(pk=offer.pk).quantity == 3
