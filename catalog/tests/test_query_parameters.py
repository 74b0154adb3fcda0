"""Catalog listings read only the query parameters they declare: the reference API's `shop_id` and
`category_id` are aliases, and any other name is a 400 naming the allowed ones."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from catalog.tests.factories import CategoryFactory, OfferFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db

PRODUCT_PARAMETERS = (
    "category, category_id, cursor, format, in_stock, ordering, page, page_size, param, price_max, price_min, "
    "search, shop, shop_id"
)


@pytest.fixture
def client():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def two_shops():
    phones, laptops = CategoryFactory(name="Phones"), CategoryFactory(name="Laptops")
    first, second = ShopFactory(name="First"), ShopFactory(name="Second")
    OfferFactory(shop=first, product=ProductFactory(name="iPhone", category=phones))
    OfferFactory(shop=second, product=ProductFactory(name="Galaxy", category=phones))
    OfferFactory(shop=second, product=ProductFactory(name="ThinkPad", category=laptops))
    return {"first": first, "second": second, "phones": phones, "laptops": laptops}


def _names(response) -> list[str]:
    return [product["name"] for product in response.json()["results"]]


def test_shop_id_filters_like_shop(client, two_shops):
    by_alias = client.get(f"/products/?shop_id={two_shops['second'].pk}")
    by_name = client.get(f"/products/?shop={two_shops['second'].pk}")

    assert by_alias.status_code == 200
    assert _names(by_alias) == _names(by_name) == ["Galaxy", "ThinkPad"]


def test_category_id_filters_like_category(client, two_shops):
    response = client.get(f"/products/?category_id={two_shops['laptops'].pk}")

    assert response.status_code == 200
    assert _names(response) == ["ThinkPad"]


def test_an_alias_and_its_name_together_are_fine_when_they_agree(client, two_shops):
    pk = two_shops["first"].pk

    response = client.get(f"/products/?shop={pk}&shop_id={pk}")

    assert response.status_code == 200
    assert _names(response) == ["iPhone"]


def test_an_alias_and_its_name_with_different_values_are_a_400(client, two_shops):
    response = client.get(f"/products/?shop={two_shops['first'].pk}&shop_id={two_shops['second'].pk}")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "shop_id: Send either shop or shop_id, not both.",
        "errors": {"shop_id": ["Send either shop or shop_id, not both."]},
    }


def test_a_bad_value_under_an_alias_is_reported_under_the_parameter_it_stands_for(client, two_shops):
    response = client.get("/products/?shop_id=abc")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["shop"]


def test_a_misspelt_parameter_is_a_400_naming_it_and_the_allowed_ones(client, two_shops):
    response = client.get("/products/?shoop=1")

    assert response.status_code == 400
    message = f"Unknown query parameter. Allowed: {PRODUCT_PARAMETERS}."
    assert response.json() == {
        "code": "unknown_parameter",
        "detail": f"shoop: {message}",
        "errors": {"shoop": [message]},
    }


def test_every_unknown_parameter_is_named(client, two_shops):
    response = client.get("/products/?shoop=1&serch=x&shop=1")

    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["serch", "shoop"]


def test_pagination_and_format_parameters_stay_allowed(client, two_shops):
    response = client.get("/products/?page=1&page_size=2&format=json&ordering=name")

    assert response.status_code == 200
    assert _names(response) == ["Galaxy", "iPhone"]


@pytest.mark.parametrize("path", ["/shops/", "/categories/"])
def test_shops_and_categories_take_only_pagination_parameters(client, two_shops, path):
    assert client.get(f"{path}?page_size=1").status_code == 200

    response = client.get(f"{path}?shop_id=1")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "shop_id": ["Unknown query parameter. Allowed: format, page, page_size."]
    }


def test_the_schema_documents_the_aliases_with_the_type_of_their_parameter():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"]["/products/"]["get"]["parameters"]}

    assert parameters["shop_id"]["schema"] == parameters["shop"]["schema"]
    assert parameters["shop_id"]["description"] == "The same as `shop` (the reference API's name)."
    assert parameters["category_id"]["schema"] == parameters["category"]["schema"]
