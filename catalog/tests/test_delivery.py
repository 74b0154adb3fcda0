"""Delivery tariffs: how cities compare, what a shop charges, and editing the costs on the shop's page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import make_partner
from accounts.tests.factories import ManagerFactory, PartnerFactory
from catalog.cities import city_key, clean_city
from catalog.delivery import delivery_costs
from catalog.models import DeliveryRate
from catalog.tests.factories import ShopFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Москва", "москва"),
        ("  МОСКВА ", "москва"),
        ("Санкт-Петербург", "санкт-петербург"),
        ("Ростов  на\u00a0Дону", "ростов на дону"),
        ("Орёл", "орел"),
        ("ОРЁЛ", "орел"),
        ("Орел", "орел"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_city_compares_without_case_yo_or_surrounding_spaces(written, key):
    assert city_key(written) == key


def test_a_city_is_stored_as_written_with_its_spaces_tidied():
    assert clean_city("  Нижний   Новгород ") == "Нижний Новгород"


@pytest.fixture
def shop():
    shop = ShopFactory(
        name="Связной", default_delivery_cost=Decimal("900.00"), free_delivery_from=Decimal("5000.00")
    )
    DeliveryRate.objects.create(shop=shop, city=" Орёл ", cost=Decimal("420.00"))
    DeliveryRate.objects.create(shop=shop, city="Москва", cost=Decimal("300.00"))
    return shop


def test_a_rate_keeps_its_city_tidied_and_its_key(shop):
    rate = shop.delivery_rates.get(cost=Decimal("420.00"))

    assert (rate.city, rate.city_key) == ("Орёл", "орел")


def test_a_shop_cannot_have_two_costs_for_one_city_however_written(shop):
    with pytest.raises(IntegrityError):
        DeliveryRate.objects.create(shop=shop, city="ОРЕЛ", cost=Decimal("1.00"))


@pytest.mark.parametrize(
    ("city", "subtotal", "cost"),
    [
        ("орел", "100.00", "420.00"),
        ("МОСКВА", "4999.99", "300.00"),
        ("Москва", "5000.00", "0.00"),  # at the threshold: free
        ("Казань", "100.00", "900.00"),  # not listed: the default
        ("", "100.00", "900.00"),  # no city: the default
    ],
)
def test_a_shop_charges_its_city_cost_its_default_or_nothing_from_its_threshold(shop, city, subtotal, cost):
    assert delivery_costs(shops=[shop], subtotals={shop.pk: Decimal(subtotal)}, city=city) == {
        shop.pk: Decimal(cost)
    }


def test_delivery_costs_of_many_shops_take_one_query(shop):
    others = [ShopFactory(default_delivery_cost=Decimal("10.00")) for _ in range(5)]
    for other in others:
        DeliveryRate.objects.create(shop=other, city="Москва", cost=Decimal("20.00"))

    with CaptureQueriesContext(connection) as queries:
        costs = delivery_costs(shops=[shop, *others], subtotals={}, city="Москва")

    assert len(queries) == 1
    assert costs == {shop.pk: Decimal("300.00"), **{other.pk: Decimal("20.00") for other in others}}


# --- the shop's page -----------------------------------------------------------------------------------


def rates_form(shop, rows, **fields):
    """The shop form with its inline of delivery costs: `rows` are (pk or None, city, cost, delete)."""
    data = {
        "name": shop.name,
        "owner": shop.owner_id,
        "url": "",
        "city": fields.get("city", "Москва"),
        "default_delivery_cost": fields.get("default", "700.00"),
        "free_delivery_from": fields.get("free_from", ""),
        "delivery_rates-TOTAL_FORMS": str(len(rows)),
        "delivery_rates-INITIAL_FORMS": str(sum(1 for pk, *_ in rows if pk)),
    }
    for index, (pk, city, cost, delete) in enumerate(rows):
        data[f"delivery_rates-{index}-id"] = str(pk or "")
        data[f"delivery_rates-{index}-shop"] = str(shop.pk)
        data[f"delivery_rates-{index}-city"] = city
        data[f"delivery_rates-{index}-cost"] = cost
        if delete:
            data[f"delivery_rates-{index}-DELETE"] = "on"
    return data


@pytest.fixture
def partner():
    user = PartnerFactory(is_staff=True)
    make_partner(user=user)
    return user


def test_a_manager_sets_a_shops_tariff_on_its_page(client, shop):
    client.force_login(ManagerFactory())
    moscow = shop.delivery_rates.get(city="Москва")
    orel = shop.delivery_rates.get(city="Орёл")

    response = client.post(
        reverse("admin:catalog_shop_change", args=[shop.pk]),
        rates_form(
            shop,
            [
                (moscow.pk, "Москва", "350.00", False),
                (orel.pk, "Орёл", "420.00", True),
                (None, "Пермь", "590", False),
            ],
            city="  Москва ",
            default="1500.00",
            free_from="20000",
        ),
    )

    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.city, shop.default_delivery_cost, shop.free_delivery_from) == (
        "Москва",
        Decimal("1500.00"),
        Decimal("20000.00"),
    )
    assert sorted(shop.delivery_rates.values_list("city", "cost")) == [
        ("Москва", Decimal("350.00")),
        ("Пермь", Decimal("590.00")),
    ]


def test_a_partner_edits_its_own_shops_tariff(client, partner):
    shop = ShopFactory(name="Чайная лавка", owner=partner)
    client.force_login(partner)

    response = client.post(
        reverse("admin:catalog_shop_change", args=[shop.pk]),
        rates_form(shop, [(None, "Псков", "450.00", False)], default=""),
    )

    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.default_delivery_cost == Decimal("0.00")  # left empty: free elsewhere
    assert list(shop.delivery_rates.values_list("city", "cost")) == [("Псков", Decimal("450.00"))]


def test_a_partner_cannot_see_or_edit_another_partners_tariff(client, partner, shop):
    client.force_login(partner)

    page = client.get(reverse("admin:catalog_shop_change", args=[shop.pk]))
    post = client.post(
        reverse("admin:catalog_shop_change", args=[shop.pk]),
        rates_form(shop, [(None, "Псков", "1.00", False)]),
    )

    assert page.status_code == 302  # Django's answer for an object the list does not hold
    assert post.status_code == 302
    assert sorted(shop.delivery_rates.values_list("city", flat=True)) == ["Москва", "Орёл"]


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        (
            [(None, "Пермь", "1.00", False), (None, " ПЕРМЬ", "2.00", False)],
            "“ПЕРМЬ” is the same city as “Пермь” above.",
        ),
        ([(None, "   ", "1.00", False)], "This field is required."),
        ([(None, "Пермь", "-1", False)], "Ensure this value is greater than or equal to 0."),
    ],
)
def test_a_city_twice_a_blank_city_or_a_negative_cost_is_a_form_error_and_nothing_changes(
    client, rows, error
):
    shop = ShopFactory(name="Евросеть")
    client.force_login(ManagerFactory())

    response = client.post(reverse("admin:catalog_shop_change", args=[shop.pk]), rates_form(shop, rows))

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert error in [
        message for form in formset.forms for messages in form.errors.values() for message in messages
    ]
    assert not shop.delivery_rates.exists()


def test_a_city_already_in_the_tariff_written_another_way_is_refused(client, shop):
    client.force_login(ManagerFactory())
    moscow = shop.delivery_rates.get(city="Москва")
    orel = shop.delivery_rates.get(city="Орёл")

    response = client.post(
        reverse("admin:catalog_shop_change", args=[shop.pk]),
        rates_form(
            shop,
            [
                (moscow.pk, "Москва", "300.00", False),
                (orel.pk, "Орёл", "420.00", False),
                (None, "орел", "1", False),
            ],
        ),
    )

    assert response.status_code == 200
    assert sorted(shop.delivery_rates.values_list("city", "cost")) == [
        ("Москва", Decimal("300.00")),
        ("Орёл", Decimal("420.00")),
    ]
