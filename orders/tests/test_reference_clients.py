"""Clients of the reference API: several basket lines in one call (`items`, also as a JSON string),
all or nothing, and order listings that refuse query parameters they do not read."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import PartnerFactory, UserFactory
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from orders.models import Order, OrderItem
from orders.tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return UserFactory(username="anna")


@pytest.fixture
def client(buyer):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(buyer)
    return api


@pytest.fixture
def offers():
    shop = ShopFactory(name="Связной")
    closed = ShopFactory(name="Закрыт", is_accepting_orders=False)
    return {
        "iphone": OfferFactory(
            shop=shop, product=ProductFactory(name="iPhone"), price=Decimal("100"), quantity=5
        ),
        "galaxy": OfferFactory(
            shop=shop, product=ProductFactory(name="Galaxy"), price=Decimal("50"), quantity=2
        ),
        "pixel": OfferFactory(
            shop=shop, product=ProductFactory(name="Pixel"), price=Decimal("70"), quantity=9
        ),
        "closed": OfferFactory(shop=closed, product=ProductFactory(name="Nokia"), quantity=9),
    }


def lines(user) -> list[tuple[int, int]]:
    return list(
        OrderItem.objects.filter(order__user=user, order__state=Order.State.BASKET)
        .order_by("offer_id")
        .values_list("offer_id", "quantity")
    )


def basket_with(user, *pairs):
    basket = OrderFactory(user=user)
    for offer, quantity in pairs:
        OrderItemFactory(order=basket, offer=offer, quantity=quantity)
    return basket


# --- POST /products/order/ with items ----------------------------------------------------------------


def test_items_add_three_lines_in_one_call(client, buyer, offers):
    items = [
        {"product_info": offers["iphone"].pk, "quantity": 2},
        {"product_info": offers["galaxy"].pk, "quantity": 1},
        {"product_info": offers["pixel"].pk, "quantity": 3},
    ]

    response = client.post("/products/order/", {"items": items}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert [(line["product_info"], line["quantity"]) for line in body["items"]] == [
        (offers["iphone"].pk, 2),
        (offers["galaxy"].pk, 1),
        (offers["pixel"].pk, 3),
    ]
    assert body["total"] == "460.00"


def test_items_as_a_json_string_from_a_form_are_accepted(client, buyer, offers):
    items = json.dumps([{"product_info": offers["iphone"].pk, "quantity": 2}])

    response = client.post("/products/order/", {"items": items}, format="multipart")
    urlencoded = client.post(
        "/products/order/",
        f"items={items}",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert urlencoded.status_code == 200
    assert lines(buyer) == [(offers["iphone"].pk, 4)]


def test_items_as_a_json_string_inside_json_are_accepted(client, buyer, offers):
    items = json.dumps([{"product_info": offers["galaxy"].pk, "quantity": 1}])

    response = client.post("/products/order/", {"items": items}, format="json")

    assert response.status_code == 200
    assert lines(buyer) == [(offers["galaxy"].pk, 1)]


def test_items_add_up_with_lines_already_in_the_basket(client, buyer, offers):
    basket_with(buyer, (offers["iphone"], 1))

    response = client.post(
        "/products/order/", {"items": [{"product_info": offers["iphone"].pk, "quantity": 2}]}, format="json"
    )

    assert response.status_code == 200
    assert lines(buyer) == [(offers["iphone"].pk, 3)]


def test_a_three_line_call_with_one_bad_line_changes_nothing_and_names_the_line(client, buyer, offers):
    basket = basket_with(buyer, (offers["pixel"], 1))
    updated_at = Order.objects.get(pk=basket.pk).updated_at
    items = [
        {"product_info": offers["iphone"].pk, "quantity": 2},
        {"product_info": offers["galaxy"].pk, "quantity": 3},
        {"product_info": offers["pixel"].pk, "quantity": 1},
    ]

    response = client.post("/products/order/", {"items": items}, format="json")

    assert response.status_code == 400
    message = "Not enough “Galaxy” from Связной: requested 3, available 2."
    assert response.json() == {
        "code": "out_of_stock",
        "detail": f"items[1].quantity: {message}",
        "errors": {"items[1].quantity": [message]},
    }
    assert lines(buyer) == [(offers["pixel"].pk, 1)]
    assert Order.objects.get(pk=basket.pk).updated_at == updated_at


def test_every_problem_of_a_call_is_listed_by_index_and_no_basket_is_created(client, buyer, offers):
    items = [
        {"product_info": offers["iphone"].pk, "quantity": 1},
        {"product_info": 999999, "quantity": 1},
        {"product_info": offers["closed"].pk, "quantity": 1},
        {"product_info": offers["galaxy"].pk, "quantity": 5},
        {"product_info": offers["iphone"].pk, "quantity": 1},
    ]

    response = client.post("/products/order/", {"items": items}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "items[1].product_info": ["No offer with id 999999."],
        "items[2].product_info": ["Закрыт is not accepting orders at the moment (“Nokia”)."],
        "items[3].quantity": ["Not enough “Galaxy” from Связной: requested 5, available 2."],
        "items[4].product_info": [f"Offer {offers['iphone'].pk} is already listed at items[0]."],
    }
    assert response.json()["code"] == "unknown_offer"
    assert not Order.objects.filter(user=buyer).exists()


@pytest.mark.parametrize(
    ("items", "errors"),
    [
        ([], {"items": ["This list may not be empty."]}),
        ("[{", {"items": ["Send a list of lines, or that list as a JSON string."]}),
        ("{}", {"items": ['Expected a list of items but got type "dict".']}),
        (
            [
                {"product_info": 1, "quantity": 0},
                {"product_info": "x"},
                {"quantity": 1.5, "product_info": True},
            ],
            {
                "items[0].quantity": ["Ensure this value is greater than or equal to 1."],
                "items[1].product_info": ["A valid integer is required."],
                "items[1].quantity": ["This field is required."],
                "items[2].product_info": ["A valid integer is required."],
                "items[2].quantity": ["A valid integer is required."],
            },
        ),
        (
            [{"product_info": 1, "quantity": 1}] * 101,
            {"items": ["Ensure this field has no more than 100 elements."]},
        ),
    ],
)
def test_malformed_items_are_a_400_naming_each_problem_and_change_nothing(
    client, buyer, offers, items, errors
):
    response = client.post("/products/order/", {"items": items}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert not Order.objects.filter(user=buyer).exists()


def test_items_with_a_single_line_field_beside_them_are_refused(client, buyer, offers):
    response = client.post(
        "/products/order/",
        {
            "items": [{"product_info": offers["iphone"].pk, "quantity": 1}],
            "product_info": offers["galaxy"].pk,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"product_info": ["This field cannot be set here."]}
    assert not Order.objects.filter(user=buyer).exists()


def test_the_single_line_shape_still_works(client, buyer, offers):
    response = client.post(
        "/products/order/", {"product_info": offers["iphone"].pk, "quantity": 2}, format="json"
    )

    assert response.status_code == 200
    assert lines(buyer) == [(offers["iphone"].pk, 2)]


# --- PATCH /basket/ with items ----------------------------------------------------------------------


def test_patch_items_sets_several_quantities_and_zero_removes(client, buyer, offers):
    basket_with(buyer, (offers["iphone"], 1), (offers["galaxy"], 1), (offers["pixel"], 1))
    items = [
        {"product_info": offers["iphone"].pk, "quantity": 4},
        {"product_info": offers["galaxy"].pk, "quantity": 0},
        {"product_info": offers["pixel"].pk, "quantity": 2},
    ]

    response = client.patch("/basket/", {"items": items}, format="json")

    assert response.status_code == 200
    assert lines(buyer) == [(offers["iphone"].pk, 4), (offers["pixel"].pk, 2)]
    assert response.json()["total"] == "540.00"


def test_patch_items_with_one_bad_line_changes_nothing(client, buyer, offers):
    basket_with(buyer, (offers["iphone"], 1), (offers["galaxy"], 1))
    items = json.dumps(
        [
            {"product_info": offers["iphone"].pk, "quantity": 0},
            {"product_info": offers["galaxy"].pk, "quantity": 2},
            {"product_info": offers["pixel"].pk, "quantity": 1},
        ]
    )

    response = client.patch("/basket/", {"items": items}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "items[2].product_info": [f"Offer {offers['pixel'].pk} is not in your basket."]
    }
    assert response.json()["code"] == "not_in_basket"
    assert lines(buyer) == [(offers["iphone"].pk, 1), (offers["galaxy"].pk, 1)]


def test_patch_items_without_a_basket_names_every_line(client, buyer, offers):
    items = [
        {"product_info": offers["iphone"].pk, "quantity": 1},
        {"product_info": offers["galaxy"].pk, "quantity": 1},
    ]

    response = client.patch("/basket/", {"items": items}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "items[0].product_info": ["Your basket is empty."],
        "items[1].product_info": ["Your basket is empty."],
    }


# --- listings ----------------------------------------------------------------------------------------


def test_orders_list_refuses_an_unknown_parameter(client, buyer):
    response = client.get("/orders/?state=new")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "state": ["Unknown query parameter. Allowed: format, page, page_size."]
    }
    assert client.get("/orders/?page=1").status_code == 200


def test_partner_orders_refuse_an_unknown_parameter():
    partner = PartnerFactory()
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(partner)

    response = api.get("/partner/orders/?shop_id=1")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["shop_id"]


def test_an_unknown_parameter_without_a_token_is_still_a_401():
    assert APIClient().get("/orders/?x=1").status_code == 401
