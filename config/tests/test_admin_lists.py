"""Admin lists and the admin search answer every address without a 500, and a partner's list filters
only through the filters it offers, so a URL cannot ask about another partner's shops."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.tests.factories import OfferFactory, ShopFactory
from orders.models import Order
from orders.tests.factories import OrderFactory, OrderItemFactory
from partners.models import PriceListImport

pytestmark = pytest.mark.django_db

NOT_OFFERED = "The address asked for a filter this list does not offer; the list is shown unfiltered."

PARTNER_LISTS = [
    "orders_order",
    "catalog_offer",
    "catalog_product",
    "catalog_category",
    "catalog_shop",
    "partners_pricelistimport",
]
MANAGER_LISTS = [*PARTNER_LISTS, "accounts_user", "auth_group", "accounts_contact"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def place(*offers):
    order = OrderFactory(user=UserFactory(), state=Order.State.NEW, confirmed_at=timezone.now())
    for offer in offers:
        OrderItemFactory(order=order, offer=offer, price=offer.price)
    order.goods_total = order.total = sum(offer.price for offer in offers)
    order.save(update_fields=["goods_total", "total"])
    return order


@pytest.fixture
def world():
    """Partner A with two shops, partner B with one; orders with A's lines only, B's only, and both."""
    partner_a = PartnerFactory(admin_access=True)
    partner_b = PartnerFactory(admin_access=True)
    a1 = ShopFactory(name="Связной", owner=partner_a)
    a2 = ShopFactory(name="Связной Плюс", owner=partner_a)
    b = ShopFactory(name="Евросеть", owner=partner_b)
    offer_a1 = OfferFactory(shop=a1, price=Decimal("100.00"))
    offer_a2 = OfferFactory(shop=a2, price=Decimal("200.00"))
    offer_b = OfferFactory(shop=b, price=Decimal("5000.00"))
    mixed = place(offer_a1, offer_b)
    only_a1 = place(offer_a1)
    only_a2 = place(offer_a2)
    only_b = place(offer_b)
    for shop in (a1, b):
        PriceListImport.objects.create(
            partner=shop.owner, shop=shop, shop_name=shop.name, source=PriceListImport.Source.API
        )
    return {
        "partner_a": partner_a,
        "partner_b": partner_b,
        "shops": {"a1": a1, "a2": a2, "b": b},
        "offers": {"a1": offer_a1, "a2": offer_a2, "b": offer_b},
        "orders": {"mixed": mixed, "only_a1": only_a1, "only_a2": only_a2, "only_b": only_b},
        "b_line": mixed.items.get(offer=offer_b),
    }


def changelist(name: str) -> str:
    return reverse(f"admin:{name}_changelist")


def listed(response) -> list[int]:
    return sorted(obj.pk for obj in response.context["cl"].result_list)


def messages_of(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def login(client, world, who: str):
    user = ManagerFactory() if who == "manager" else world["partner_a"]
    client.force_login(user)
    return user


# --- the order list's shop filter ---------------------------------------------------------------------


def test_partner_asking_the_order_list_for_another_catalog_shop_gets_its_whole_list_and_learns_nothing(
    client, world
):
    login(client, world, "partner")
    url = changelist("orders_order")
    orders = world["orders"]

    foreign = client.get(url, {"shop": world["shops"]["b"].pk})
    unknown = client.get(url, {"shop": 999_999})
    not_a_number = client.get(url, {"shop": "abc"})
    unfiltered = client.get(foreign["Location"])

    for response in (foreign, unknown, not_a_number):
        assert response.status_code == 302
        assert response["Location"] == f"{url}?e=1"
    assert messages_of(foreign) == [("warning", NOT_OFFERED)]
    assert unfiltered.status_code == 200
    assert listed(unfiltered) == sorted(orders[key].pk for key in ("mixed", "only_a1", "only_a2"))


def test_partner_order_list_offers_and_applies_only_its_own_shops(client, world):
    login(client, world, "partner")
    url = changelist("orders_order")
    shops = world["shops"]

    page = client.get(url, {"_facets": "1"})
    by_a2 = client.get(url, {"shop": shops["a2"].pk})

    shop_filter = next(
        spec for spec in page.context["cl"].filter_specs if getattr(spec, "parameter_name", "") == "shop"
    )
    assert shop_filter.lookup_choices == [
        (str(shops["a1"].pk), "Связной"),
        (str(shops["a2"].pk), "Связной Плюс"),
    ]
    assert "Евросеть" not in page.content.decode()
    assert by_a2.status_code == 200
    assert listed(by_a2) == [world["orders"]["only_a2"].pk]


def test_manager_order_list_filters_by_any_shop_but_not_by_an_unknown_one(client, world):
    login(client, world, "manager")
    url = changelist("orders_order")
    orders = world["orders"]

    by_b = client.get(url, {"shop": world["shops"]["b"].pk})
    unknown = client.get(url, {"shop": 999_999})

    assert listed(by_b) == sorted([orders["mixed"].pk, orders["only_b"].pk])
    assert (unknown.status_code, unknown["Location"]) == (302, f"{url}?e=1")


# --- lookups a partner could type into the address ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        # What an order total or a line of another shop would reveal about the partner's own orders.
        ("orders_order", lambda w: {"total__gt": "300"}),
        ("orders_order", lambda w: {"total__lte": "100"}),
        ("orders_order", lambda w: {"items": w["b_line"].pk}),
        ("orders_order", lambda w: {"items__isnull": "False"}),
        ("orders_order", lambda w: {"user": w["orders"]["mixed"].user_id}),
        ("catalog_offer", lambda w: {"shop": w["shops"]["b"].pk}),
        ("catalog_offer", lambda w: {"shop__id__exact": w["shops"]["b"].pk}),
        ("catalog_offer", lambda w: {"product": w["offers"]["b"].product_id}),
        ("catalog_product", lambda w: {"offers": w["offers"]["b"].pk}),
        ("catalog_category", lambda w: {"products": w["offers"]["b"].product_id}),
        ("catalog_shop", lambda w: {"owner": w["partner_b"].pk}),
        ("catalog_shop", lambda w: {"id": w["shops"]["b"].pk}),
        ("partners_pricelistimport", lambda w: {"shop__id__exact": w["shops"]["b"].pk}),
        ("partners_pricelistimport", lambda w: {"partner": w["partner_b"].pk}),
    ],
)
def test_partner_list_refuses_a_lookup_it_does_not_offer_and_shows_the_unfiltered_list(
    client, world, name, parameters
):
    login(client, world, "partner")
    url = changelist(name)
    everything = listed(client.get(url))

    response = client.get(url, parameters(world))
    follow = client.get(response["Location"])

    assert (response.status_code, response["Location"]) == (302, f"{url}?e=1")
    assert messages_of(response) == [("warning", NOT_OFFERED)]
    assert listed(follow) == everything


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("orders_order", lambda w: {"items__offer__shop": w["shops"]["b"].pk}),
        ("catalog_offer", lambda w: {"shop__owner": w["partner_b"].pk}),
        ("catalog_product", lambda w: {"offers__shop": w["shops"]["b"].pk}),
    ],
)
def test_partner_lookup_across_relations_is_refused_as_a_bad_request(client, world, name, parameters):
    login(client, world, "partner")

    response = client.get(changelist(name), parameters(world))

    assert response.status_code == 400


def test_offer_export_refuses_a_lookup_the_list_does_not_offer(client, world):
    login(client, world, "partner")

    response = client.get(reverse("admin:catalog_offer_export"), {"shop": world["shops"]["b"].pk})

    assert response.status_code == 400


# --- odd addresses on every list ----------------------------------------------------------------------

ODD_ADDRESSES = {
    "page not a number": ({"p": "abc"}, 200),
    "negative page": ({"p": "-1"}, 200),
    "page past the end": ({"p": "999999"}, 200),
    "ordering not a column": ({"o": "abc"}, 200),
    "ordering past the columns": ({"o": "99.-42"}, 200),
    "search with a NUL byte": ({"q": "a\x00b"}, 200),
    "long search": ({"q": "x" * 3000}, 200),
    "facets": ({"_facets": "1"}, 200),
    "unknown parameter": ({"nope": "1"}, 302),
    "parameter named items": ({"items": "1"}, 302),
    "lookup on the id": ({"id__gt": "0"}, 302),
    "error flag again with a bad lookup": ({"e": "1", "nope": "1"}, 200),
}


@pytest.mark.parametrize(("parameters", "status"), ODD_ADDRESSES.values(), ids=ODD_ADDRESSES.keys())
@pytest.mark.parametrize(
    ("who", "name"),
    [("manager", name) for name in MANAGER_LISTS] + [("partner", name) for name in PARTNER_LISTS],
)
def test_every_list_answers_odd_addresses_without_an_error(client, world, who, name, parameters, status):
    login(client, world, who)
    url = changelist(name)

    response = client.get(url, parameters)

    assert response.status_code == status
    if status == 302:
        assert response["Location"] == f"{url}?e=1"
        assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("orders_order", {"state__exact": "new\x00"}),
        ("orders_order", {"confirmed_at_from": "\x00"}),
        ("catalog_offer", {"stock": "\x00"}),
        ("catalog_shop", {"is_accepting_orders__exact": "\x00"}),
        ("partners_pricelistimport", {"status__exact": "\x00"}),
        ("accounts_user", {"type__exact": "shop\x00"}),
        ("accounts_contact", {"city": "Москва\x00"}),
    ],
)
def test_a_filter_value_with_a_nul_byte_sends_back_to_the_unfiltered_list(client, world, name, parameters):
    # PostgreSQL refuses NUL in text: such a value must never reach the database.
    login(client, world, "manager")
    url = changelist(name)

    response = client.get(url, parameters)

    assert (response.status_code, response["Location"]) == (302, f"{url}?e=1")


# --- the admin search ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "partner"])
@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.0", "1e3", "２", "999999", "9" * 5000, ""])
def test_admin_search_answers_not_found_for_a_page_that_is_not_a_page_of_its_results(
    client, world, who, page
):
    login(client, world, who)

    response = client.get(reverse("admin:search"), {"s": "o", "page": page})

    assert response.status_code == 404


@pytest.mark.parametrize("who", ["manager", "partner"])
def test_admin_search_answers_its_results_for_any_term(client, world, who):
    login(client, world, who)
    url = reverse("admin:search")

    found = client.get(url, {"s": "ord", "page": "1"})
    long_term = client.get(url, {"s": "x" * 4000})
    nul = client.get(url, {"s": "or\x00d"})
    empty = client.get(url, {"s": ""})

    assert found.status_code == 200
    # Both items of the "Orders" section of the sidebar.
    assert [str(result.title) for result in found.context["results"]] == ["Orders", "Shipments"]
    assert reverse("admin:orders_order_changelist") in found.content.decode()
    for response in (long_term, nul):
        assert response.status_code == 200
        assert list(response.context["results"]) == []
    assert (empty.status_code, empty.content) == (200, b"")
