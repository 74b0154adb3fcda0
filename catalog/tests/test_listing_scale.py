"""The listing at scale (issue 12): search ranks, parameter filters and facets, cursor pages, bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalog.tests.factories import CategoryFactory, OfferFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(autouse=True)
def _no_count_cache(settings):
    settings.CATALOG_LISTING_COUNT_CACHE_SECONDS = 0


def _names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [product["name"] for product in response.json()["results"]]


@pytest.fixture
def microphones():
    category = CategoryFactory(name="Микрофоны")
    shop = ShopFactory(name="Звук и Свет")
    named = {}
    for name, model, price, parameters in [
        ("Микрофон Bosch Pro (черный)", "bosch/pro/m1", "500", {"Цвет": "черный", "Вес (г)": 300}),
        ("Микрофон Sony Air (белый)", "sony/air/m2", "700", {"Цвет": "белый", "Вес (г)": 300}),
        ("Колонка Bosch Wave", "bosch/wave/k7", "900", {"Цвет": "белый", "Диагональ (дюйм)": 6.1}),
        ("Кабель Hoco", "Bosch", "100", {"Цвет": "синий"}),
    ]:
        product = ProductFactory(name=name, category=category)
        named[name] = OfferFactory(
            product=product, shop=shop, model=model, price=Decimal(price), parameters=parameters
        )
    return {"category": category, "shop": shop, "offers": named}


def test_search_lists_an_exact_model_number_first(client, microphones):
    # "bosch" is the cable's whole model, and a word of two names.
    assert _names(client.get("/products/", {"search": "BOSCH"})) == [
        "Кабель Hoco",
        "Колонка Bosch Wave",
        "Микрофон Bosch Pro (черный)",
    ]


def test_search_by_a_part_of_a_model_when_nothing_else_finds_the_words(client, microphones):
    assert _names(client.get("/products/", {"search": "pro/m1"})) == ["Микрофон Bosch Pro (черный)"]


def test_search_by_shop_name_finds_its_goods(client, microphones):
    assert len(_names(client.get("/products/", {"search": "Звук и Свет"}))) == 4


def test_explicit_ordering_wins_over_relevance(client, microphones):
    response = client.get("/products/", {"search": "bosch", "ordering": "-price"})

    assert _names(response) == ["Колонка Bosch Wave", "Микрофон Bosch Pro (черный)", "Кабель Hoco"]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("микрофоны", ["Микрофон Bosch Pro (черный)", "Микрофон Sony Air (белый)"]),  # a word form
        ("микрафон", ["Микрофон Bosch Pro (черный)", "Микрофон Sony Air (белый)"]),  # a typo
        ("bosh", ["Колонка Bosch Wave", "Микрофон Bosch Pro (черный)"]),  # a typo
    ],
)
def test_postgresql_search_finds_word_forms_and_typos(client, microphones, words, expected):
    response = client.get("/products/", {"search": words})

    assert _names(response) == expected
    assert response.json()["count"] == len(expected)


def test_param_filter_ors_values_of_one_name_and_ands_names(client, microphones):
    one = client.get("/products/", [("param", "Цвет:белый")])
    either = client.get("/products/?param=Цвет:белый&param=Цвет:синий&ordering=price")
    both = client.get("/products/?param=Цвет:белый&param=Вес (г):300")

    assert _names(one) == ["Колонка Bosch Wave", "Микрофон Sony Air (белый)"]
    assert _names(either) == ["Кабель Hoco", "Микрофон Sony Air (белый)", "Колонка Bosch Wave"]
    assert _names(both) == ["Микрофон Sony Air (белый)"]


def test_param_filter_matches_a_number_written_as_a_number(client, microphones):
    assert _names(client.get("/products/?param=Диагональ (дюйм):6.1")) == ["Колонка Bosch Wave"]


@pytest.mark.parametrize("bad", ["Цвет", ":черный", "Цвет:"])
def test_param_without_name_or_value_is_a_400_saying_how_to_write_it(client, microphones, bad):
    response = client.get("/products/", {"param": bad})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "name:value" in response.json()["errors"]["param"][0]


def test_facets_count_the_offers_of_each_value_under_the_filters(client, microphones):
    response = client.get("/products/facets/", {"category": microphones["category"].pk})

    assert response.status_code == 200
    assert response.json() == {
        "parameters": [
            {"name": "Вес (г)", "values": [{"value": "300", "count": 2}]},
            {"name": "Диагональ (дюйм)", "values": [{"value": "6.1", "count": 1}]},
            {
                "name": "Цвет",
                "values": [
                    {"value": "белый", "count": 2},
                    {"value": "синий", "count": 1},
                    {"value": "черный", "count": 1},
                ],
            },
        ]
    }
    filtered = client.get("/products/facets/", {"param": "Цвет:белый", "price_max": "800"})
    assert filtered.json()["parameters"] == [
        {"name": "Вес (г)", "values": [{"value": "300", "count": 1}]},
        {"name": "Цвет", "values": [{"value": "белый", "count": 1}]},
    ]


def test_facets_refuse_an_unknown_parameter(client):
    response = client.get("/products/facets/", {"page": 2})

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"


@pytest.mark.parametrize("ordering", ["name", "-name", "price", "-price", "relevance"])
def test_cursor_pages_cover_every_product_exactly_once_in_page_order(client, ordering):
    category = CategoryFactory()
    shops = [ShopFactory(), ShopFactory()]
    for index in range(23):
        product = ProductFactory(category=category, name=f"Widget {index % 7} {index:02}")
        for shop_index, shop in enumerate(shops[: 1 + index % 2]):
            # Equal prices across products, so ties are broken by the product id.
            OfferFactory(product=product, shop=shop, price=Decimal(100 + index % 5 + shop_index))
    params = {"page_size": 4, "ordering": ordering, "search": "widget"}
    by_pages = []
    page = 1
    while True:
        response = client.get("/products/", {**params, "page": page})
        by_pages += [product["id"] for product in response.json()["results"]]
        if not response.json()["next"]:
            break
        page += 1
    by_cursor = []
    response = client.get("/products/", {**params, "cursor": ""})
    while True:
        assert response.status_code == 200, response.json()
        by_cursor += [product["id"] for product in response.json()["results"]]
        link = response.json()["next_cursor"]
        assert response.json()["next"] == link
        if not link:
            break
        response = client.get(link)

    assert len(by_cursor) == 23
    assert by_cursor == by_pages


def test_a_page_by_number_hands_out_the_cursor_of_the_next_page(client, microphones):
    first = client.get("/products/", {"page_size": 2})
    following = client.get(first.json()["next_cursor"])

    assert first.json()["next"].endswith("page=2&page_size=2")
    assert _names(following) == _names(client.get("/products/", {"page_size": 2, "page": 2}))
    assert following.json()["count"] == 4


@pytest.mark.parametrize("cursor", ["forged", "eyJvIjoibmFtZSIsImsiOlsiYSIsMV19:1vPqRk:3kq0"])
def test_a_forged_cursor_is_a_400(client, microphones, cursor):
    response = client.get("/products/", {"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_a_cursor_of_another_ordering_is_a_400(client, microphones):
    link = client.get("/products/", {"page_size": 1, "ordering": "price"}).json()["next_cursor"]
    cursor = link.split("cursor=")[1].split("&")[0]

    response = client.get("/products/", {"page_size": 1, "ordering": "name", "cursor": cursor})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_page_and_cursor_together_are_a_400(client, microphones):
    response = client.get("/products/", {"page": 2, "cursor": ""})

    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]
