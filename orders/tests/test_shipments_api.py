"""The API of orders split by supplier: the basket by shop with delivery costs, the customer's shipments,
and the partner's shipment list and moves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import OutboxEmail
from accounts.tests.factories import ContactFactory, ManagerFactory, PartnerFactory, UserFactory
from catalog.models import DeliveryRate, Offer
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from orders.fulfilment import move_shipment
from orders.models import Order, OrderEvent, Shipment
from orders.services import add_to_basket
from orders.tests.factories import OrderFactory, OrderItemFactory, place_order

pytestmark = pytest.mark.django_db


def client_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def buyer():
    return UserFactory(username="anna", first_name="Анна", last_name="Котова", email="anna@example.com")


@pytest.fixture
def svyaznoy():
    shop = ShopFactory(
        name="Связной",
        owner=PartnerFactory(username="svyaznoy"),
        city="Москва",
        default_delivery_cost=Decimal("900.00"),
        free_delivery_from=Decimal("10000.00"),
    )
    DeliveryRate.objects.create(shop=shop, city="Москва", cost=Decimal("300.00"))
    DeliveryRate.objects.create(shop=shop, city="Орёл", cost=Decimal("420.00"))
    return shop


@pytest.fixture
def euroset():
    shop = ShopFactory(
        name="Евросеть", owner=PartnerFactory(username="euroset"), default_delivery_cost=Decimal("1200.00")
    )
    DeliveryRate.objects.create(shop=shop, city="Москва", cost=Decimal("460.00"))
    return shop


@pytest.fixture
def phone(svyaznoy):
    return OfferFactory(
        shop=svyaznoy, product=ProductFactory(name="iPhone 15"), price=Decimal("1000.00"), quantity=10
    )


@pytest.fixture
def galaxy(euroset):
    return OfferFactory(
        shop=euroset, product=ProductFactory(name="Galaxy S24"), price=Decimal("800.00"), quantity=10
    )


def place(user, *lines):
    return place_order(user, *lines)


def stock(offer):
    return tuple(Offer.objects.filter(pk=offer.pk).values_list("quantity", "reserved_quantity").get())


# --- the basket by shop ---------------------------------------------------------------------------------


def test_basket_groups_lines_by_shop_with_each_shops_delivery_cost_to_the_city(buyer, phone, galaxy):
    add_to_basket(user=buyer, offer_id=phone.pk, quantity=2)
    add_to_basket(user=buyer, offer_id=galaxy.pk, quantity=1)

    body = client_for(buyer).get("/basket/", {"city": " МОСКВА "}).json()

    assert [
        (
            group["shop"]["name"],
            [item["product"] for item in group["items"]],
            group["subtotal"],
            group["delivery_cost"],
        )
        for group in body["shops"]
    ] == [
        ("Связной", ["iPhone 15"], "2000.00", "300.00"),
        ("Евросеть", ["Galaxy S24"], "800.00", "460.00"),
    ]
    assert (body["goods_total"], body["delivery_total"], body["total"]) == ("2800.00", "760.00", "3560.00")
    assert (body["delivery_city"], body["delivery_note"]) == ("МОСКВА", None)
    assert [item["product"] for item in body["items"]] == ["iPhone 15", "Galaxy S24"]  # the flat list stays


def test_basket_without_a_city_says_how_to_get_the_delivery_costs(buyer, phone):
    add_to_basket(user=buyer, offer_id=phone.pk, quantity=2)

    body = client_for(buyer).get("/basket/").json()

    assert body["shops"][0]["delivery_cost"] is None
    assert (body["goods_total"], body["delivery_total"], body["total"]) == ("2000.00", None, "2000.00")
    assert body["delivery_city"] is None
    assert body["delivery_note"].startswith(
        "Delivery costs depend on the city: pass ?city=<name> or ?contact=<id>"
    )


def test_basket_costs_follow_the_basket_city_a_contact_and_the_free_threshold(buyer, phone):
    add_to_basket(user=buyer, offer_id=phone.pk, quantity=2, city="Орел")
    contact = ContactFactory(user=buyer, city="Казань")
    api = client_for(buyer)

    by_basket_city = api.get("/basket/").json()
    by_contact = api.get("/basket/", {"contact": contact.pk}).json()
    api.patch("/basket/", {"product_info": phone.pk, "quantity": 10}, format="json")
    free = api.get("/basket/", {"contact": contact.pk}).json()

    assert (by_basket_city["delivery_city"], by_basket_city["delivery_total"]) == ("Орел", "420.00")
    assert (by_contact["delivery_city"], by_contact["delivery_total"]) == ("Казань", "900.00")
    assert (free["goods_total"], free["delivery_total"], free["total"]) == ("10000.00", "0.00", "10000.00")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"contact": "abc"}, "contact"),
        ({"contact": "0"}, "contact"),
        ({"city": "   "}, "city"),
        ({"city": "x" * 101}, "city"),
        ({"contact": "1", "city": "Москва"}, "non_field_errors"),
    ],
)
def test_basket_refuses_a_bad_city_or_contact_with_400(buyer, phone, params, field):
    add_to_basket(user=buyer, offer_id=phone.pk, quantity=1)

    response = client_for(buyer).get("/basket/", params)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_basket_refuses_another_customers_contact(buyer, phone):
    add_to_basket(user=buyer, offer_id=phone.pk, quantity=1)
    foreign = ContactFactory(city="Пермь")

    response = client_for(buyer).get("/basket/", {"contact": foreign.pk})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "contact: You have no contact with this id.",
        "code": "invalid_contact",
        "errors": {"contact": ["You have no contact with this id."]},
    }


@pytest.mark.parametrize("shops", [1, 6])
def test_basket_query_count_does_not_grow_with_shops(buyer, shops, django_assert_num_queries):
    for _ in range(shops):
        offer = OfferFactory(quantity=5)
        DeliveryRate.objects.create(shop=offer.shop, city="Москва", cost=Decimal("100.00"))
        add_to_basket(user=buyer, offer_id=offer.pk, quantity=1)
    api = client_for(buyer)

    with django_assert_num_queries(3):  # the basket, its lines, the delivery costs
        body = api.get("/basket/", {"city": "Москва"}).json()

    assert body["delivery_total"] == f"{100 * shops}.00"


# --- placing and reading orders ----------------------------------------------------------------------


def test_confirm_takes_the_city_and_answers_goods_delivery_and_shipments(buyer, phone, galaxy):
    api = client_for(buyer)
    api.post("/products/order/", {"product_info": phone.pk, "quantity": 2}, format="json")
    api.post("/products/order/", {"product_info": galaxy.pk, "quantity": 1}, format="json")
    basket = Order.objects.get(user=buyer)

    response = api.post(
        "/orders/confirm/",
        {"id": basket.pk, "address": "Орёл, Ленина 1", "phone": "+79161234567", "city": "орёл"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["city"], body["goods_total"], body["delivery_total"], body["total"]) == (
        "орёл",
        "2800.00",
        "1620.00",  # Связной 420 for Орёл, Евросеть its default 1200
        "4420.00",
    )
    order = Order.objects.get(pk=basket.pk)
    shipments = {shipment.shop.name: shipment for shipment in order.shipments.select_related("shop")}
    assert body["shipments"] == [
        {
            "id": shipments[name].pk,
            "shop": {"id": shipments[name].shop_id, "name": name},
            "state": "new",
            "subtotal": subtotal,
            "delivery_cost": delivery,
            "tracking_number": "",
            "items": [item for item in body["items"] if item["shop"] == name],
        }
        for name, subtotal, delivery in sorted(
            [("Связной", "2000.00", "420.00"), ("Евросеть", "800.00", "1200.00")],
            key=lambda row: shipments[row[0]].pk,
        )
    ]
    listed = api.get("/orders/").json()["results"][0]
    assert (listed["goods_total"], listed["delivery_total"], listed["total"]) == (
        "2800.00",
        "1620.00",
        "4420.00",
    )


def test_confirm_refuses_a_city_with_a_contact(buyer, phone):
    contact = ContactFactory(user=buyer)
    basket = OrderFactory(user=buyer)
    OrderItemFactory(order=basket, offer=phone, quantity=1)

    response = client_for(buyer).post(
        "/orders/confirm/", {"id": basket.pk, "contact": contact.pk, "city": "Пермь"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert Order.objects.get(pk=basket.pk).state == "basket"


def test_order_info_shows_each_shipments_state_tracking_number_and_history(buyer, phone, galaxy, svyaznoy):
    order = place(buyer, (phone, 1), (galaxy, 1))
    shipment = order.shipments.get(shop=svyaznoy)
    for state in ["confirmed", "assembled"]:
        move_shipment(shipment=shipment, to_state=state, actor=svyaznoy.owner)
    move_shipment(shipment=shipment, to_state="sent", actor=svyaznoy.owner, tracking_number="RA1RU")

    body = client_for(buyer).get("/orders/info/", {"id": order.pk}).json()

    assert body["state"] == "new"
    assert {(s["shop"]["name"], s["state"], s["tracking_number"]) for s in body["shipments"]} == {
        ("Связной", "sent", "RA1RU"),
        ("Евросеть", "new", ""),
    }
    assert [(event["shipment"], event["from"], event["to"]) for event in body["history"]] == [
        (None, "basket", "new"),
        (shipment.pk, "new", "confirmed"),
        (shipment.pk, "confirmed", "assembled"),
        (shipment.pk, "assembled", "sent"),
    ]


# --- the partner's shipments ------------------------------------------------------------------------------


@pytest.fixture
def orders(buyer, phone, galaxy):
    """Three orders: phone and galaxy; phone only (confirmed); galaxy only."""
    mixed = place(buyer, (phone, 2), (galaxy, 1))
    confirmed = place(UserFactory(), (phone, 1))
    move_shipment(shipment=confirmed.shipments.get(), to_state="confirmed", actor=phone.shop.owner)
    only_galaxy = place(UserFactory(), (galaxy, 1))
    return {"mixed": mixed, "confirmed": confirmed, "only_galaxy": only_galaxy}


def test_partner_lists_its_shipments_newest_first_and_filters_by_state(svyaznoy, orders):
    api = client_for(svyaznoy.owner)

    everything = api.get("/partner/orders/").json()
    confirmed = api.get("/partner/orders/", {"state": "confirmed"}).json()

    assert [result["order"]["id"] for result in everything["results"]] == [
        orders["confirmed"].pk,
        orders["mixed"].pk,
    ]
    assert [result["order"]["id"] for result in confirmed["results"]] == [orders["confirmed"].pk]
    assert all(item["product"] == "iPhone 15" for result in everything["results"] for item in result["items"])


def test_partner_list_refuses_a_state_that_does_not_exist(svyaznoy, orders):
    response = client_for(svyaznoy.owner).get("/partner/orders/", {"state": "lost"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["state"]


@pytest.mark.parametrize("count", [1, 10])
def test_partner_list_query_count_does_not_grow_with_shipments_or_lines(
    svyaznoy, count, django_assert_num_queries
):
    for _ in range(count):
        offers = [OfferFactory(shop=svyaznoy, quantity=5) for _ in range(3)]
        another_shops = OfferFactory(quantity=5)
        place(UserFactory(), *[(offer, 1) for offer in offers], (another_shops, 1))
    api = client_for(svyaznoy.owner)

    with django_assert_num_queries(3):  # the count, the shipments with orders and customers, their lines
        response = api.get("/partner/orders/", {"page_size": 50})

    assert len(response.json()["results"]) == count
    assert {len(result["items"]) for result in response.json()["results"]} == {3}


def test_partner_confirms_then_sends_with_a_tracking_number(
    svyaznoy, orders, phone, django_capture_on_commit_callbacks
):
    shipment = orders["mixed"].shipments.get(shop=svyaznoy)
    api = client_for(svyaznoy.owner)
    url = f"/partner/orders/{shipment.pk}/state/"

    confirmed = api.post(url, {"state": "confirmed"}, format="json")
    api.post(url, {"state": "assembled"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(url, {"state": "sent", "tracking_number": "RA123456789RU"}, format="json")

    assert confirmed.status_code == 200
    assert confirmed.json()["state"] == "confirmed"
    assert stock(phone) == (
        7,
        0,
    )  # acknowledged: the mixed order's 2 units and the other's 1 left the reservation
    assert sent.status_code == 200
    body = sent.json()
    assert (body["id"], body["state"], body["tracking_number"]) == (shipment.pk, "sent", "RA123456789RU")
    assert body["delivery"] == {
        "city": "Москва",
        "address": "Москва, Тверская 7",
        "phone": "+79161234567",
        "recipient": "Анна Котова",
    }
    assert Order.objects.get(pk=orders["mixed"].pk).state == "new"  # Евросеть has not moved
    assert OutboxEmail.objects.filter(key__endswith="-sent-customer").count() == 1


def test_partner_cancels_with_a_reason_and_the_stock_returns(svyaznoy, orders, phone):
    shipment = orders["mixed"].shipments.get(shop=svyaznoy)

    response = client_for(svyaznoy.owner).post(
        f"/partner/orders/{shipment.pk}/state/",
        {"state": "canceled", "reason": "Нет на складе"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["state"] == "canceled"
    assert stock(phone) == (9, 0)  # the confirmed order's unit stays sold
    assert Shipment.objects.get(pk=shipment.pk).cancel_reason == "Нет на складе"


def test_a_forbidden_move_is_409_naming_the_allowed_moves(svyaznoy, orders):
    shipment = orders["confirmed"].shipments.get()

    response = client_for(svyaznoy.owner).post(
        f"/partner/orders/{shipment.pk}/state/", {"state": "sent"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Shipment #{shipment.pk} (Связной) cannot move from “Confirmed” to “Sent”; "
        "it may move to “Assembled”, “Canceled”.",
        "code": "invalid_transition",
    }
    assert Shipment.objects.get(pk=shipment.pk).state == "confirmed"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"state": "canceled"}, "reason"),
        ({"state": "canceled", "reason": "   "}, "reason"),
        ({"state": "confirmed", "reason": "why not"}, "reason"),
        ({"state": "confirmed", "tracking_number": "RA1"}, "tracking_number"),
        ({"state": "new"}, "state"),
        ({"state": "lost"}, "state"),
        ({}, "state"),
        ({"state": "confirmed", "owner": 1}, "owner"),
        ({"state": "sent", "tracking_number": "R" * 101}, "tracking_number"),
        ({"state": "canceled", "reason": "x" * 1001}, "reason"),
    ],
)
def test_bad_move_input_is_400_and_changes_nothing(svyaznoy, orders, phone, payload, field):
    shipment = orders["mixed"].shipments.get(shop=svyaznoy)
    before = (stock(phone), OrderEvent.objects.count())

    response = client_for(svyaznoy.owner).post(
        f"/partner/orders/{shipment.pk}/state/", payload, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert Shipment.objects.get(pk=shipment.pk).state == "new"
    assert (stock(phone), OrderEvent.objects.count()) == before


def test_another_partners_shipment_is_404_and_changes_nothing(svyaznoy, euroset, orders):
    theirs = orders["mixed"].shipments.get(shop=euroset)

    response = client_for(svyaznoy.owner).post(
        f"/partner/orders/{theirs.pk}/state/", {"state": "confirmed"}, format="json"
    )
    missing = client_for(svyaznoy.owner).post(
        "/partner/orders/999999/state/", {"state": "confirmed"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert missing.status_code == 404
    assert Shipment.objects.get(pk=theirs.pk).state == "new"


def test_buyers_and_managers_cannot_use_the_partner_moves(buyer, svyaznoy, orders):
    shipment = orders["mixed"].shipments.get(shop=svyaznoy)
    url = f"/partner/orders/{shipment.pk}/state/"

    as_buyer = client_for(buyer).post(url, {"state": "canceled", "reason": "x"}, format="json")
    anonymous = APIClient().post(url, {"state": "confirmed"}, format="json")
    as_manager = client_for(ManagerFactory()).post(url, {"state": "confirmed"}, format="json")

    assert (as_buyer.status_code, anonymous.status_code, as_manager.status_code) == (403, 401, 403)
    assert Shipment.objects.get(pk=shipment.pk).state == "new"
