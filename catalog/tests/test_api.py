"""The catalog API: the product listing with its filters, product details, shops and categories."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from catalog.tests.factories import CategoryFactory, OfferFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def user_client():
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {account_services.issue_token(user=UserFactory())}")
    return api


@pytest.fixture
def catalog():
    """Two shops (one closed), two categories, products with offers in various states."""
    phones = CategoryFactory(name="Phones")
    laptops = CategoryFactory(name="Laptops")
    open_shop = ShopFactory(name="Svyaznoy")
    other_shop = ShopFactory(name="Euroset")
    closed_shop = ShopFactory(name="Closed", is_accepting_orders=False)
    iphone = ProductFactory(name="iPhone 15", category=phones)
    galaxy = ProductFactory(name="Galaxy S24", category=phones)
    thinkpad = ProductFactory(name="ThinkPad X1", category=laptops)
    only_closed = ProductFactory(name="Nokia 3310", category=phones)
    only_inactive = ProductFactory(name="Xperia", category=phones)
    offers = {
        "iphone_open": OfferFactory(
            product=iphone, shop=open_shop, price=Decimal("90000"), quantity=3, model="apple/iphone-15"
        ),
        "iphone_other": OfferFactory(
            product=iphone, shop=other_shop, price=Decimal("85000"), quantity=0, model="apple/iphone-15"
        ),
        "iphone_closed": OfferFactory(product=iphone, shop=closed_shop, price=Decimal("1000")),
        "galaxy": OfferFactory(
            product=galaxy, shop=other_shop, price=Decimal("70000"), quantity=5, model="samsung/s24"
        ),
        "thinkpad": OfferFactory(
            product=thinkpad, shop=open_shop, price=Decimal("150000"), quantity=1, model="lenovo/x1-carbon"
        ),
        "nokia": OfferFactory(product=only_closed, shop=closed_shop, price=Decimal("3000")),
        "xperia": OfferFactory(product=only_inactive, shop=open_shop, is_active=False),
    }
    return {
        "categories": {"phones": phones, "laptops": laptops},
        "shops": {"open": open_shop, "other": other_shop, "closed": closed_shop},
        "products": {"iphone": iphone, "galaxy": galaxy, "thinkpad": thinkpad, "nokia": only_closed},
        "offers": offers,
    }


def _names(response) -> list[str]:
    return [item["name"] for item in response.json()["results"]]


def test_products_lists_orderable_offers_only(client, catalog):
    response = client.get("/products/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert _names(response) == ["Galaxy S24", "iPhone 15", "ThinkPad X1"]
    iphone = body["results"][1]
    offers = catalog["offers"]
    shops = catalog["shops"]
    assert iphone == {
        "id": catalog["products"]["iphone"].pk,
        "name": "iPhone 15",
        "category": {"id": catalog["categories"]["phones"].pk, "name": "Phones"},
        "offers": [
            {
                "id": offers["iphone_other"].pk,
                "shop": {"id": shops["other"].pk, "name": "Euroset"},
                "price": "85000.00",
                "recommended_price": "1200.00",
                "quantity": 0,
                "model": "apple/iphone-15",
                "parameters": {"Цвет": "черный"},
            },
            {
                "id": offers["iphone_open"].pk,
                "shop": {"id": shops["open"].pk, "name": "Svyaznoy"},
                "price": "90000.00",
                "recommended_price": "1200.00",
                "quantity": 3,
                "model": "apple/iphone-15",
                "parameters": {"Цвет": "черный"},
            },
        ],
    }


def test_products_is_public_and_read_only(client, catalog):
    response = client.post("/products/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_products_filter_by_shop_lists_only_that_shops_offers(client, catalog):
    response = client.get("/products/", {"shop": catalog["shops"]["open"].pk})

    assert _names(response) == ["iPhone 15", "ThinkPad X1"]
    iphone_offers = response.json()["results"][0]["offers"]
    assert [offer["id"] for offer in iphone_offers] == [catalog["offers"]["iphone_open"].pk]


def test_products_filter_by_a_closed_shop_lists_nothing(client, catalog):
    response = client.get("/products/", {"shop": catalog["shops"]["closed"].pk})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_products_filter_by_category(client, catalog):
    response = client.get("/products/", {"category": catalog["categories"]["laptops"].pk})

    assert _names(response) == ["ThinkPad X1"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [("IPHONE", ["iPhone 15"]), ("x1-carbon", ["ThinkPad X1"]), ("samsung", ["Galaxy S24"]), ("zzz", [])],
)
def test_products_search_matches_name_or_model_case_insensitively(client, catalog, search, expected):
    assert _names(client.get("/products/", {"search": search})) == expected


def test_products_filter_by_price_range_keeps_matching_offers(client, catalog):
    response = client.get("/products/", {"price_min": "80000", "price_max": "88000"})

    assert _names(response) == ["iPhone 15"]
    assert [o["price"] for o in response.json()["results"][0]["offers"]] == ["85000.00"]


def test_products_in_stock_true_keeps_offers_with_stock(client, catalog):
    response = client.get("/products/", {"in_stock": "true"})

    assert _names(response) == ["Galaxy S24", "iPhone 15", "ThinkPad X1"]
    assert [o["id"] for o in response.json()["results"][1]["offers"]] == [catalog["offers"]["iphone_open"].pk]


def test_products_in_stock_false_keeps_offers_without_stock(client, catalog):
    response = client.get("/products/", {"in_stock": "false"})

    assert _names(response) == ["iPhone 15"]
    assert [o["id"] for o in response.json()["results"][0]["offers"]] == [
        catalog["offers"]["iphone_other"].pk
    ]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Galaxy S24", "iPhone 15", "ThinkPad X1"]),
        ("-name", ["ThinkPad X1", "iPhone 15", "Galaxy S24"]),
        ("price", ["Galaxy S24", "iPhone 15", "ThinkPad X1"]),
        ("-price", ["ThinkPad X1", "iPhone 15", "Galaxy S24"]),
    ],
)
def test_products_ordering(client, catalog, ordering, expected):
    assert _names(client.get("/products/", {"ordering": ordering})) == expected


def test_products_price_ordering_uses_the_cheapest_matching_offer(client, catalog):
    # In stock, the iPhone's cheapest offer is 90,000 (the 85,000 one has no stock); the Galaxy's
    # expensive new offer does not move it, because the cheapest offer decides.
    OfferFactory(
        product=catalog["products"]["galaxy"], shop=catalog["shops"]["open"], price=Decimal("200000")
    )

    response = client.get("/products/", {"ordering": "-price", "in_stock": "true"})

    assert _names(response) == ["ThinkPad X1", "iPhone 15", "Galaxy S24"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"shop": "abc"}, "shop"),
        ({"shop": "0"}, "shop"),
        ({"category": "1.5"}, "category"),
        ({"price_min": "cheap"}, "price_min"),
        ({"price_min": "-1"}, "price_min"),
        ({"price_max": "1e999"}, "price_max"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"ordering": "popularity"}, "ordering"),
        ({"price_min": "10", "price_max": "5"}, "price_max"),
        ({"search": "x" * 101}, "search"),
        ({"page_size": "many"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_products_refuses_invalid_filters_with_a_400(client, catalog, params, field):
    response = client.get("/products/", params)

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [field]
    assert body["detail"].startswith(f"{field}: ")


def test_products_pagination(client, catalog):
    first = client.get("/products/", {"page_size": 2})
    second = client.get("/products/", {"page_size": 2, "page": 2})

    assert first.json()["count"] == 3
    assert _names(first) == ["Galaxy S24", "iPhone 15"]
    assert _names(second) == ["ThinkPad X1"]
    assert second.json()["next"] is None


def test_products_page_size_is_capped_at_100(client):
    category = CategoryFactory()
    shop = ShopFactory()
    for index in range(101):
        OfferFactory(shop=shop, product=ProductFactory(category=category, name=f"P{index:03}"))

    response = client.get("/products/", {"page_size": 500})

    assert len(response.json()["results"]) == 100


def test_products_page_beyond_the_end_is_a_404(client, catalog):
    response = client.get("/products/", {"page": 9})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _add_products(*, category, shops, start: int, count: int) -> None:
    for index in range(start, start + count):
        product = ProductFactory(category=category, name=f"Bulk {index:03}")
        for shop in shops:
            OfferFactory(product=product, shop=shop, price=Decimal(100 + index), quantity=index % 3 + 1)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"ordering": "price", "in_stock": "true"},
        {"ordering": "-name", "search": "bulk", "price_min": "1", "price_max": "100000"},
    ],
)
def test_products_query_count_does_not_grow_with_the_page(
    client, django_assert_max_num_queries, settings, params
):
    settings.CATALOG_LISTING_COUNT_CACHE_SECONDS = 0
    category = CategoryFactory(name="Bulk")
    shops = [ShopFactory(), ShopFactory()]
    _add_products(category=category, shops=shops, start=0, count=5)
    with django_assert_max_num_queries(2):  # the count and the page
        small = client.get("/products/", {"page_size": 50, "category": category.pk, **params})
    _add_products(category=category, shops=shops, start=5, count=45)

    with django_assert_max_num_queries(2):
        large = client.get("/products/", {"page_size": 50, "category": category.pk, **params})

    assert small.json()["count"] == 5
    assert large.json()["count"] == 50
    assert len(large.json()["results"]) == 50
    assert all(len(item["offers"]) == 2 for item in large.json()["results"])


def test_products_count_is_cached_briefly_while_the_page_is_current(
    client, catalog, settings, django_assert_num_queries
):
    settings.CATALOG_LISTING_COUNT_CACHE_SECONDS = 30
    assert client.get("/products/").json()["count"] == 3
    OfferFactory(product=ProductFactory(name="Aardvark phone", category=catalog["categories"]["phones"]))

    with django_assert_num_queries(1):  # no count: only the page
        response = client.get("/products/")

    assert response.json()["count"] == 3
    assert _names(response)[0] == "Aardvark phone"


def test_products_count_cache_can_be_turned_off(client, catalog, settings):
    settings.CATALOG_LISTING_COUNT_CACHE_SECONDS = 0
    assert client.get("/products/").json()["count"] == 3
    OfferFactory(product=ProductFactory(name="Aardvark phone", category=catalog["categories"]["phones"]))

    assert client.get("/products/").json()["count"] == 4


def test_products_hand_built_items_equal_the_declared_serializers(client, catalog):
    from catalog.api.serializers import CategoryOutputSerializer, OfferOutputSerializer

    OfferFactory(product=catalog["products"]["galaxy"], recommended_price=None, parameters={"Вес": 1.5})
    response = client.get("/products/")

    for item in response.json()["results"]:
        product = catalog["products"][
            {"Galaxy S24": "galaxy", "iPhone 15": "iphone", "ThinkPad X1": "thinkpad"}[item["name"]]
        ]
        offers = [
            o for o in product.offers.order_by("price", "id") if o.pk in {x["id"] for x in item["offers"]}
        ]
        assert item == {
            "id": product.pk,
            "name": product.name,
            "category": CategoryOutputSerializer(product.category).data,
            "offers": OfferOutputSerializer(offers, many=True).data,
        }


# --- Details --------------------------------------------------------------------------------------


def test_product_details_shows_every_active_offer_with_the_shop_state(user_client, catalog):
    iphone = catalog["products"]["iphone"]

    response = user_client.get("/products/details/", {"id": iphone.pk})

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "iPhone 15"
    assert body["category"] == {"id": catalog["categories"]["phones"].pk, "name": "Phones"}
    assert [(o["id"], o["shop"]["is_accepting_orders"]) for o in body["offers"]] == [
        (catalog["offers"]["iphone_closed"].pk, False),
        (catalog["offers"]["iphone_other"].pk, True),
        (catalog["offers"]["iphone_open"].pk, True),
    ]
    assert body["offers"][0]["parameters"] == {"Цвет": "черный"}


def test_product_details_accepts_the_id_in_a_json_body_of_a_get(user_client, catalog):
    galaxy = catalog["products"]["galaxy"]

    response = user_client.generic(
        "GET", "/products/details/", json.dumps({"id": galaxy.pk}), content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["id"] == galaxy.pk


def test_product_details_leaves_out_inactive_offers(user_client, catalog):
    xperia = catalog["offers"]["xperia"].product

    response = user_client.get("/products/details/", {"id": xperia.pk})

    assert response.status_code == 200
    assert response.json()["offers"] == []


def test_product_details_unknown_id_is_a_404(user_client, catalog):
    response = user_client.get("/products/details/", {"id": 999999})

    assert response.status_code == 404
    assert response.json() == {"detail": "No product with this id.", "code": "not_found"}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "required"),
        ({"id": ""}, "invalid"),
        ({"id": "abc"}, "invalid"),
        ({"id": "1.5"}, "invalid"),
        ({"id": "0"}, "min_value"),
    ],
)
def test_product_details_missing_or_non_integer_id_is_a_400(user_client, catalog, params, code):
    response = user_client.get("/products/details/", params)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert list(response.json()["errors"]) == ["id"]


def test_product_details_malformed_json_body_is_a_400(user_client, catalog):
    response = user_client.generic("GET", "/products/details/", "{oops", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_product_details_json_body_that_is_not_an_object_is_a_400(user_client, catalog):
    response = user_client.generic("GET", "/products/details/", "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["id"]


def test_product_details_needs_a_token(client, catalog):
    response = client.get("/products/details/", {"id": catalog["products"]["iphone"].pk})

    assert response.status_code == 401


def test_product_details_query_count_does_not_grow_with_offers(user_client, django_assert_max_num_queries):
    product = ProductFactory()
    OfferFactory.create_batch(20, product=product)

    with django_assert_max_num_queries(4):  # token, product, offers (+ token bookkeeping)
        response = user_client.get("/products/details/", {"id": product.pk})

    assert len(response.json()["offers"]) == 20


# --- Shops and categories -------------------------------------------------------------------------


def test_shops_lists_only_shops_accepting_orders(client, catalog):
    response = client.get("/shops/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": catalog["shops"]["other"].pk, "name": "Euroset"},
        {"id": catalog["shops"]["open"].pk, "name": "Svyaznoy"},
    ]


def test_categories_lists_those_with_something_to_order(client, catalog):
    CategoryFactory(name="Empty")

    response = client.get("/categories/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": catalog["categories"]["laptops"].pk, "name": "Laptops"},
        {"id": catalog["categories"]["phones"].pk, "name": "Phones"},
    ]


def test_shops_and_categories_query_counts_do_not_grow(client, django_assert_max_num_queries):
    for _ in range(10):
        OfferFactory()

    with django_assert_max_num_queries(2):  # count, page
        shops = client.get("/shops/")
    with django_assert_max_num_queries(2):
        categories = client.get("/categories/")

    assert shops.json()["count"] == 10
    assert categories.json()["count"] == 10
