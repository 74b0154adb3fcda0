"""Tests of the orders API: the basket, confirming, the order lists, canceling, the partner's view."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core import mail
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.tests.factories import ContactFactory, ManagerFactory, PartnerFactory, UserFactory
from catalog.models import Offer
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from orders.api import urls as orders_urls
from orders.fulfilment import transition_order
from orders.models import Order, OrderEvent, OrderItem
from orders.tests.factories import OrderFactory, OrderItemFactory, place_order

pytestmark = pytest.mark.django_db

State = Order.State


@pytest.fixture
def buyer():
    return UserFactory(username="anna", email="anna@example.com")


@pytest.fixture
def client(buyer):
    api = APIClient()
    api.force_authenticate(buyer)
    return api


@pytest.fixture
def partner():
    return PartnerFactory(username="svyaznoy", email="svyaznoy@example.com")


@pytest.fixture
def offer(partner):
    return OfferFactory(
        shop=ShopFactory(name="Связной", owner=partner),
        product=ProductFactory(name="iPhone 15"),
        model="apple/iphone-15",
        price=Decimal("1000.00"),
        quantity=10,
    )


@pytest.fixture
def other_offer():
    return OfferFactory(
        shop=ShopFactory(name="Евросеть"),
        product=ProductFactory(name="Galaxy S24"),
        model="samsung/s24",
        price=Decimal("250.50"),
        quantity=3,
    )


def client_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def placed_order(user, *lines, state=State.NEW):
    order = place_order(user, *lines)
    if state != State.NEW:
        order = transition_order(order=order, to_state=state, actor=ManagerFactory())
    return order


def stock(offer):
    return Offer.objects.get(pk=offer.pk).quantity


def basket_lines(user):
    return list(
        OrderItem.objects.filter(order__user=user, order__state=State.BASKET)
        .order_by("offer_id")
        .values_list("offer_id", "quantity")
    )


def line(item_id, offer, quantity, price):
    return {
        "id": item_id,
        "product_info": offer.pk,
        "product": offer.product.name,
        "model": offer.model,
        "shop": offer.shop.name,
        "shop_id": offer.shop_id,
        "price": price,
        "quantity": quantity,
        "sum": f"{Decimal(price) * quantity:.2f}",
    }


# --- basket ---------------------------------------------------------------------------------------


def test_add_to_basket_returns_the_basket(client, buyer, offer, other_offer):
    first = client.post(
        "/products/order/", {"contact": {"city": "Казань"}, "quantity": 2, "product_info": offer.pk}
    )
    response = client.post("/products/order/", {"quantity": 1, "product_info": other_offer.pk})

    assert first.status_code == 200
    assert response.status_code == 200
    basket = Order.objects.get(user=buyer)
    items = {item.offer_id: item.pk for item in basket.items.all()}
    assert response.json() == {
        "id": basket.pk,
        "state": "basket",
        "city": "Казань",
        "items": [
            line(items[offer.pk], offer, 2, "1000.00"),
            line(items[other_offer.pk], other_offer, 1, "250.50"),
        ],
        "total": "2250.50",
        "shops": [
            {
                "shop": {"id": offer.shop_id, "name": "Связной"},
                "items": [line(items[offer.pk], offer, 2, "1000.00")],
                "subtotal": "2000.00",
                "delivery_cost": "0.00",
            },
            {
                "shop": {"id": other_offer.shop_id, "name": "Евросеть"},
                "items": [line(items[other_offer.pk], other_offer, 1, "250.50")],
                "subtotal": "250.50",
                "delivery_cost": "0.00",
            },
        ],
        "goods_total": "2250.50",
        "delivery_total": "0.00",
        "delivery_city": "Казань",
        "delivery_note": None,
    }


def test_adding_the_same_offer_again_adds_up(client, buyer, offer):
    client.post("/products/order/", {"quantity": 2, "product_info": offer.pk})
    response = client.post("/products/order/", {"quantity": 5, "product_info": offer.pk})

    assert response.status_code == 200
    assert response.json()["items"][0]["quantity"] == 7
    assert basket_lines(buyer) == [(offer.pk, 7)]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": "two"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({}, "quantity"),
        ({"quantity": 1, "product_info": "abc"}, "product_info"),
        ({"quantity": 1, "product_info": None}, "product_info"),
    ],
)
def test_add_to_basket_rejects_bad_input_with_400(client, buyer, offer, payload, field):
    response = client.post("/products/order/", {"product_info": offer.pk, **payload})

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert list(body["errors"]) == [field]
    assert Order.objects.count() == 0


def test_add_to_basket_above_stock_is_400_and_changes_nothing(client, buyer, offer):
    client.post("/products/order/", {"quantity": 8, "product_info": offer.pk})

    response = client.post("/products/order/", {"quantity": 3, "product_info": offer.pk})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Not enough “iPhone 15” from Связной: requested 11, available 10.",
        "code": "out_of_stock",
    }
    assert basket_lines(buyer) == [(offer.pk, 8)]


def test_add_to_basket_inactive_offer_or_closed_shop_is_400(client, buyer, offer, other_offer):
    Offer.objects.filter(pk=offer.pk).update(is_active=False)
    other_offer.shop.is_accepting_orders = False
    other_offer.shop.save()

    inactive = client.post("/products/order/", {"quantity": 1, "product_info": offer.pk})
    closed = client.post("/products/order/", {"quantity": 1, "product_info": other_offer.pk})

    assert (inactive.status_code, inactive.json()["code"]) == (400, "offer_inactive")
    assert (closed.status_code, closed.json()["code"]) == (400, "shop_not_accepting_orders")
    assert Order.objects.count() == 0


def test_add_to_basket_unknown_offer_is_404(client):
    response = client.post("/products/order/", {"quantity": 1, "product_info": 987654})

    assert response.status_code == 404
    assert response.json() == {"detail": "No offer with id 987654.", "code": "not_found"}
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/products/order/"),
        ("get", "/basket/"),
        ("patch", "/basket/"),
        ("delete", "/basket/"),
        ("post", "/orders/confirm/"),
        ("get", "/orders/"),
        ("get", "/orders/info/"),
        ("post", "/orders/cancel/"),
        ("get", "/partner/orders/"),
    ],
)
def test_every_orders_endpoint_needs_a_login(method, path):
    response = getattr(APIClient(), method)(path, {})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_get_basket_when_there_is_none_yet_is_an_empty_basket(client):
    response = client.get("/basket/")

    assert response.status_code == 200
    assert response.json() == {
        "id": None,
        "state": "basket",
        "city": "",
        "items": [],
        "total": "0.00",
        "shops": [],
        "goods_total": "0.00",
        "delivery_total": "0.00",
        "delivery_city": None,
        "delivery_note": None,
    }
    assert Order.objects.count() == 0


def test_get_basket_shows_current_prices_of_the_lines(client, buyer, offer):
    client.post("/products/order/", {"quantity": 2, "product_info": offer.pk})
    Offer.objects.filter(pk=offer.pk).update(price=Decimal("900.00"))

    body = client.get("/basket/").json()

    assert body["items"][0]["price"] == "900.00"
    assert body["total"] == "1800.00"


def test_patch_basket_sets_the_quantity_and_zero_removes(client, buyer, offer, other_offer):
    client.post("/products/order/", {"quantity": 2, "product_info": offer.pk})
    client.post("/products/order/", {"quantity": 1, "product_info": other_offer.pk})

    updated = client.patch("/basket/", {"product_info": offer.pk, "quantity": 5})
    removed = client.patch("/basket/", {"product_info": other_offer.pk, "quantity": 0})

    assert updated.status_code == 200
    assert [(item["product_info"], item["quantity"]) for item in updated.json()["items"]] == [
        (offer.pk, 5),
        (other_offer.pk, 1),
    ]
    assert removed.status_code == 200
    assert removed.json()["total"] == "5000.00"
    assert basket_lines(buyer) == [(offer.pk, 5)]


def test_patch_basket_refusals(client, buyer, offer, other_offer):
    client.post("/products/order/", {"quantity": 2, "product_info": offer.pk})

    above = client.patch("/basket/", {"product_info": offer.pk, "quantity": 11})
    negative = client.patch("/basket/", {"product_info": offer.pk, "quantity": -1})
    missing = client.patch("/basket/", {"product_info": other_offer.pk, "quantity": 1})

    assert (above.status_code, above.json()["code"]) == (400, "out_of_stock")
    assert (negative.status_code, list(negative.json()["errors"])) == (400, ["quantity"])
    assert missing.status_code == 404
    assert basket_lines(buyer) == [(offer.pk, 2)]


def test_delete_basket_line(client, buyer, offer, other_offer):
    client.post("/products/order/", {"quantity": 2, "product_info": offer.pk})
    client.post("/products/order/", {"quantity": 1, "product_info": other_offer.pk})

    response = client.delete("/basket/", {"product_info": offer.pk})
    again = client.delete("/basket/", {"product_info": offer.pk})
    bad = client.delete("/basket/", {})

    assert response.status_code == 200
    assert [item["product_info"] for item in response.json()["items"]] == [other_offer.pk]
    assert again.status_code == 404
    assert bad.status_code == 400
    assert basket_lines(buyer) == [(other_offer.pk, 1)]


# --- confirming -----------------------------------------------------------------------------------


def test_confirm_places_the_order(client, buyer, offer, other_offer, django_capture_on_commit_callbacks):
    client.post("/products/order/", {"quantity": 2, "product_info": offer.pk})
    client.post("/products/order/", {"quantity": 3, "product_info": other_offer.pk})
    basket = Order.objects.get(user=buyer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/orders/confirm/", {"id": basket.pk, "address": "Москва, Тверская 7", "phone": "8 916 123 45 67"}
        )

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["state"], body["total"]) == (basket.pk, "new", "2751.50")
    assert (body["delivery_address"], body["phone"]) == ("Москва, Тверская 7", "+79161234567")
    assert [
        (item["product_info"], item["price"], item["quantity"], item["sum"]) for item in body["items"]
    ] == [
        (offer.pk, "1000.00", 2, "2000.00"),
        (other_offer.pk, "250.50", 3, "751.50"),
    ]
    assert [(event["from"], event["to"], event["note"]) for event in body["history"]] == [
        ("basket", "new", "")
    ]
    assert (stock(offer), stock(other_offer)) == (8, 0)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        ["anna@example.com", "svyaznoy@example.com", other_offer.shop.owner.email]
    )
    assert client.get("/basket/").json()["id"] is None


def test_confirm_with_a_contact(client, buyer, offer):
    contact = ContactFactory(user=buyer, phone="+7 (916) 765-43-21")
    basket = OrderFactory(user=buyer)
    OrderItemFactory(order=basket, offer=offer, quantity=1)

    response = client.post("/orders/confirm/", {"id": basket.pk, "contact": contact.pk})

    assert response.status_code == 200
    assert response.json()["delivery_address"] == contact.address
    assert response.json()["phone"] == "+79167654321"


def test_confirm_refusals_change_nothing(client, buyer, offer):
    basket = OrderFactory(user=buyer)
    OrderItemFactory(order=basket, offer=offer, quantity=4)
    empty_user = UserFactory()
    empty = OrderFactory(user=empty_user)
    others = OrderFactory()
    OrderItemFactory(order=others, offer=offer, quantity=1)
    foreign_contact = ContactFactory()

    cases = [
        ({"id": basket.pk, "address": "Москва", "phone": "12345"}, 400, "invalid_phone"),
        ({"id": basket.pk, "address": "Москва"}, 400, "required"),
        ({"id": basket.pk, "contact": foreign_contact.pk}, 400, "invalid_contact"),
        ({"id": basket.pk, "contact": foreign_contact.pk, "phone": "+79161234567"}, 400, "invalid"),
        ({"id": "x", "address": "Москва", "phone": "+79161234567"}, 400, "invalid"),
        ({"id": others.pk, "address": "Москва", "phone": "+79161234567"}, 404, "not_found"),
        ({"id": 999999, "address": "Москва", "phone": "+79161234567"}, 404, "not_found"),
    ]
    for payload, status, code in cases:
        response = client.post("/orders/confirm/", payload)
        assert (payload, response.status_code, response.json()["code"]) == (payload, status, code)
    empty_response = client_for(empty_user).post(
        "/orders/confirm/", {"id": empty.pk, "address": "Москва", "phone": "+79161234567"}
    )

    assert (empty_response.status_code, empty_response.json()["code"]) == (400, "empty_basket")
    assert set(Order.objects.values_list("state", flat=True)) == {"basket"}
    assert stock(offer) == 10
    assert OrderEvent.objects.count() == 0
    assert mail.outbox == []


def test_confirm_refuses_out_of_stock_naming_the_lines(client, buyer, offer, other_offer):
    basket = OrderFactory(user=buyer)
    OrderItemFactory(order=basket, offer=offer, quantity=4)
    OrderItemFactory(order=basket, offer=other_offer, quantity=3)
    Offer.objects.filter(pk__in=[offer.pk, other_offer.pk]).update(quantity=2)

    response = client.post(
        "/orders/confirm/", {"id": basket.pk, "address": "Москва", "phone": "+79161234567"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Not enough “iPhone 15” from Связной: requested 4, available 2. "
        "Not enough “Galaxy S24” from Евросеть: requested 3, available 2.",
        "code": "out_of_stock",
        "errors": {
            "non_field_errors": [
                "Not enough “iPhone 15” from Связной: requested 4, available 2.",
                "Not enough “Galaxy S24” from Евросеть: requested 3, available 2.",
            ]
        },
    }
    assert Order.objects.get(pk=basket.pk).state == "basket"
    assert (stock(offer), stock(other_offer)) == (2, 2)


def test_confirming_twice_is_409_and_changes_nothing(client, buyer, offer):
    basket = OrderFactory(user=buyer)
    OrderItemFactory(order=basket, offer=offer, quantity=4)
    payload = {"id": basket.pk, "address": "Москва", "phone": "+79161234567"}
    assert client.post("/orders/confirm/", payload).status_code == 200

    response = client.post("/orders/confirm/", payload)

    assert response.status_code == 409
    assert response.json()["code"] == "not_a_basket"
    assert stock(offer) == 6
    assert OrderEvent.objects.count() == 1


# --- the customer's orders ------------------------------------------------------------------------


def test_orders_list_shows_own_placed_orders_newest_first(client, buyer, offer, other_offer):
    first = placed_order(buyer, (offer, 1))
    second = placed_order(buyer, (offer, 1), (other_offer, 2))
    placed_order(UserFactory(), (offer, 1))
    OrderItemFactory(order=OrderFactory(user=buyer), offer=offer)  # the basket is not an order

    response = client.get("/orders/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(o["id"], o["state"], o["total"], o["items_count"]) for o in body["results"]] == [
        (second.pk, "new", "1501.00", 2),
        (first.pk, "new", "1000.00", 1),
    ]
    assert set(body["results"][0]) == {
        "id",
        "state",
        "created",
        "confirmed_at",
        "goods_total",
        "delivery_total",
        "total",
        "items_count",
    }


@pytest.mark.parametrize("orders", [1, 12])
def test_orders_list_query_count_does_not_grow(client, buyer, offer, orders, django_assert_num_queries):
    for _ in range(orders):
        placed_order(buyer, (offer, 1))
        Offer.objects.filter(pk=offer.pk).update(quantity=10)

    with django_assert_num_queries(2):
        response = client.get("/orders/?page_size=50")

    assert len(response.json()["results"]) == orders


def test_order_info_by_query_string_and_by_json_body(client, buyer, offer):
    order = placed_order(buyer, (offer, 3), state=State.CONFIRMED)

    by_query = client.get(f"/orders/info/?id={order.pk}")
    by_body = client.generic(
        "GET", "/orders/info/", json.dumps({"id": order.pk}), content_type="application/json"
    )

    assert by_query.status_code == 200
    assert by_body.json() == by_query.json()
    body = by_query.json()
    assert body["delivery_address"] == "Москва, Тверская 7"
    assert body["phone"] == "+79161234567"
    assert body["items"] == [line(order.items.get().pk, offer, 3, "1000.00")]
    assert [(event["from"], event["to"]) for event in body["history"]] == [
        ("basket", "new"),
        ("new", "confirmed"),
    ]


def test_order_info_keeps_the_price_at_order_time(client, buyer, offer):
    order = placed_order(buyer, (offer, 1))
    Offer.objects.filter(pk=offer.pk).update(price=Decimal("1.00"))

    body = client.get(f"/orders/info/?id={order.pk}").json()

    assert (body["items"][0]["price"], body["total"]) == ("1000.00", "1000.00")


def test_order_info_refusals(client, buyer, offer):
    others = placed_order(UserFactory(), (offer, 1))
    basket = OrderFactory(user=buyer)

    assert client.get(f"/orders/info/?id={others.pk}").status_code == 404
    assert client.get(f"/orders/info/?id={basket.pk}").status_code == 404
    assert client.get("/orders/info/?id=999999").status_code == 404
    missing = client.get("/orders/info/")
    assert (missing.status_code, list(missing.json()["errors"])) == (400, ["id"])
    assert client.get("/orders/info/?id=abc").status_code == 400
    bad_json = client.generic("GET", "/orders/info/", "{not json", content_type="application/json")
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, "parse_error")


# --- canceling ------------------------------------------------------------------------------------


def test_customer_cancels_a_new_order(client, buyer, offer):
    order = placed_order(buyer, (offer, 4))

    response = client.post("/orders/cancel/", {"id": order.pk})

    assert response.status_code == 200
    assert response.json()["state"] == "canceled"
    assert [(e["from"], e["to"]) for e in response.json()["history"]] == [
        ("basket", "new"),
        ("new", "canceled"),
    ]
    assert stock(offer) == 10


def test_cancel_refusals(client, buyer, offer):
    confirmed = placed_order(buyer, (offer, 4), state=State.CONFIRMED)
    confirmed = transition_order(order=confirmed, to_state=State.ASSEMBLED, actor=ManagerFactory())
    others = placed_order(UserFactory(), (offer, 1))
    basket = OrderFactory(user=buyer)

    late = client.post("/orders/cancel/", {"id": confirmed.pk})
    foreign = client.post("/orders/cancel/", {"id": others.pk})
    not_placed = client.post("/orders/cancel/", {"id": basket.pk})
    bad = client.post("/orders/cancel/", {})

    assert (late.status_code, late.json()["code"]) == (409, "invalid_transition")
    assert foreign.status_code == 404
    assert not_placed.status_code == 404
    assert bad.status_code == 400
    assert Order.objects.get(pk=confirmed.pk).state == "assembled"
    assert Order.objects.get(pk=others.pk).state == "new"
    assert stock(offer) == 5


# --- partners -------------------------------------------------------------------------------------


def test_partner_orders_list_the_partners_shipments_with_only_their_lines_and_the_address(
    partner, offer, other_offer
):
    mine_too = OfferFactory(
        shop=ShopFactory(name="Связной Плюс", owner=partner), price=Decimal("10.00"), quantity=5
    )
    customer = UserFactory(first_name="Анна", last_name="Котова")
    mixed = placed_order(customer, (offer, 2), (other_offer, 1), (mine_too, 3))
    placed_order(UserFactory(), (other_offer, 1))  # none of the partner's offers
    OrderItemFactory(order=OrderFactory(), offer=offer)  # a basket is not an order

    response = client_for(partner).get("/partner/orders/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    shipments = {result["shop"]["name"]: result for result in body["results"]}
    assert sorted(shipments) == ["Связной", "Связной Плюс"]
    own = mixed.shipments.get(shop=offer.shop)
    assert shipments["Связной"] == {
        "id": own.pk,
        "order": {"id": mixed.pk, "confirmed_at": mixed.confirmed_at.astimezone().isoformat()},
        "shop": {"id": offer.shop_id, "name": "Связной"},
        "state": "new",
        "items": [
            {
                "offer": offer.pk,
                "external_id": offer.external_id,
                "product": "iPhone 15",
                "quantity": 2,
                "price": "1000.00",
                "sum": "2000.00",
            }
        ],
        "subtotal": "2000.00",
        "delivery_cost": "0.00",
        "tracking_number": "",
        "delivery": {
            "city": "Москва",
            "address": "Москва, Тверская 7",
            "phone": "+79161234567",
            "recipient": "Анна Котова",
        },
    }
    assert [item["product"] for item in shipments["Связной Плюс"]["items"]] == [mine_too.product.name]
    assert shipments["Связной Плюс"]["subtotal"] == "30.00"


def test_partner_orders_are_forbidden_to_buyers(client):
    response = client.get("/partner/orders/")

    assert response.status_code == 403
    assert response.json() == {"detail": "Only partners can do this.", "code": "permission_denied"}


@pytest.mark.parametrize("orders", [1, 12])
def test_partner_orders_query_count_does_not_grow(
    partner, offer, other_offer, orders, django_assert_num_queries
):
    for _ in range(orders):
        placed_order(UserFactory(), (offer, 1), (other_offer, 1))
        Offer.objects.filter(pk__in=[offer.pk, other_offer.pk]).update(quantity=10)
    api = client_for(partner)

    with django_assert_num_queries(3):
        response = api.get("/partner/orders/?page_size=50")

    assert len(response.json()["results"]) == orders


# --- schema ---------------------------------------------------------------------------------------


def test_every_orders_endpoint_is_in_the_schema_with_its_shapes():
    schema = SchemaGenerator(patterns=orders_urls.urlpatterns).get_schema(request=None, public=True)
    paths = schema["paths"]

    assert set(paths) == {
        "/products/order/",
        "/basket/",
        "/orders/",
        "/orders/confirm/",
        "/orders/info/",
        "/orders/cancel/",
        "/partner/orders/",
        "/partner/orders/{shipment_id}/state/",
    }
    assert set(paths["/basket/"]) == {"get", "patch", "delete"}
    confirm = paths["/orders/confirm/"]["post"]
    assert confirm["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "OrderConfirmInputRequest"
    )
    assert set(confirm["responses"]) == {"200", "400", "401", "403", "404", "409"}
    assert confirm["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("ApiError")
    components = schema["components"]["schemas"]
    assert set(components["OrderDetailOutput"]["properties"]["history"]["items"]["$ref"].split("/")[-1:]) == {
        "OrderEventOutput"
    }
    assert set(components["OrderEventOutput"]["properties"]) == {"from", "to", "when", "note", "shipment"}
    assert set(components["BasketOutput"]["properties"]) == {
        "id",
        "state",
        "city",
        "items",
        "total",
        "shops",
        "goods_total",
        "delivery_total",
        "delivery_city",
        "delivery_note",
    }


@pytest.mark.parametrize("lines", [1, 8])
def test_order_info_query_count_does_not_grow_with_the_lines(client, buyer, lines, django_assert_num_queries):
    shop = ShopFactory()
    offers = [OfferFactory(shop=shop, quantity=5) for _ in range(lines)]
    order = placed_order(buyer, *[(offer, 1) for offer in offers], state=State.CONFIRMED)

    with django_assert_num_queries(4):  # the order, its lines, its shipments, its history
        response = client.get(f"/orders/info/?id={order.pk}")

    assert len(response.json()["items"]) == lines
    assert len(response.json()["history"]) == 2


@pytest.mark.parametrize("shops", [1, 6])
def test_order_info_query_count_does_not_grow_with_the_shops(client, buyer, shops, django_assert_num_queries):
    offers = [OfferFactory(quantity=5) for _ in range(shops)]
    order = placed_order(buyer, *[(offer, 1) for offer in offers], state=State.CONFIRMED)

    with django_assert_num_queries(4):
        response = client.get(f"/orders/info/?id={order.pk}")

    assert len(response.json()["shipments"]) == shops
    assert [len(shipment["items"]) for shipment in response.json()["shipments"]] == [1] * shops


def test_confirm_names_the_phone_field_when_the_phone_is_not_a_phone(client, buyer, offer):
    basket = OrderFactory(user=buyer)
    OrderItemFactory(order=basket, offer=offer, quantity=4)

    response = client.post("/orders/confirm/", {"id": basket.pk, "address": "Москва", "phone": "12345"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "phone: “12345” is not a phone number.",
        "code": "invalid_phone",
        "errors": {"phone": ["“12345” is not a phone number."]},
    }
    assert Order.objects.get().state == "basket"
    assert stock(offer) == 10
    assert OrderEvent.objects.count() == 0


def test_confirming_a_total_an_order_cannot_hold_is_a_400_and_changes_nothing(client, buyer):
    dear = OfferFactory(price=Decimal("9999999999.99"), quantity=1000)
    basket = OrderFactory(user=buyer)
    OrderItemFactory(order=basket, offer=dear, quantity=1000)

    response = client.post(
        "/orders/confirm/", {"id": basket.pk, "address": "Москва", "phone": "+79161234567"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "order_total_too_large"
    assert Order.objects.get().state == "basket"
    assert stock(dear) == 1000
    assert OrderEvent.objects.count() == 0


def test_basket_amounts_past_an_orders_limit_still_match_the_documented_shape(client, buyer):
    import re

    # The partner raised the price after the line was added: the basket shows it, confirming refuses it.
    dear = OfferFactory(price=Decimal("9999999999.99"), quantity=1_000_000)
    OrderItemFactory(order=OrderFactory(user=buyer), offer=dear, quantity=1_000_000)
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]

    body = client.get("/basket/").json()

    assert body["total"] == body["items"][0]["sum"] == "9999999999990000.00"
    for shape, value in (
        (schemas["BasketOutput"]["properties"]["total"], body["total"]),
        (schemas["OrderLineOutput"]["properties"]["sum"], body["items"][0]["sum"]),
    ):
        assert shape["format"] == "decimal"
        assert re.fullmatch(shape.get("pattern", ".*"), value)


def test_deleting_a_contact_keeps_the_orders_that_used_it(client, buyer):
    contact = ContactFactory(user=buyer)
    order = Order.objects.create(
        user=buyer,
        state=Order.State.NEW,
        contact=contact,
        delivery_address=contact.address,
        phone=contact.phone,
    )

    response = client.delete(f"/user/contacts/{contact.pk}/")

    assert response.status_code == 204
    order.refresh_from_db()
    assert order.contact is None
    assert order.delivery_address == "Москва, Тверская, h. 7, apt. 12"
    assert order.phone == "+79161234567"
