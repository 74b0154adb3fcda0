"""Admin of the catalog: products with offers, offers with filters, price history and export; partner scoping."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import ManagerFactory, PartnerFactory
from catalog.models import Offer
from catalog.tests.factories import CategoryFactory, OfferFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    user = PartnerFactory(admin_access=True)
    return user


@pytest.fixture
def shop(partner):
    return ShopFactory(name="Связной", owner=partner)


@pytest.fixture
def other_shop():
    owner = PartnerFactory(admin_access=True)
    return ShopFactory(name="Евросеть", owner=owner)


@pytest.fixture
def phones():
    return CategoryFactory(name="Смартфоны")


@pytest.fixture
def offers(shop, other_shop, phones):
    product = ProductFactory(name="iPhone 15", category=phones)
    return {
        "ours": OfferFactory(shop=shop, product=product, quantity=20, price=Decimal("90000.00")),
        "theirs": OfferFactory(shop=other_shop, product=product, quantity=2, price=Decimal("88000.00")),
        "empty": OfferFactory(shop=shop, quantity=0, is_active=False),
    }


def listed(client, params=None):
    response = client.get(reverse("admin:catalog_offer_changelist"), params or {})
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


def test_manager_filters_offers_by_shop_category_stock_and_active(client, offers, shop, phones):
    client.force_login(ManagerFactory())

    assert listed(client) == set(offers.values())
    assert listed(client, {"shop__id__exact": shop.pk}) == {offers["ours"], offers["empty"]}
    assert listed(client, {"product__category__id__exact": phones.pk}) == {offers["ours"], offers["theirs"]}
    assert listed(client, {"stock": "yes"}) == {offers["ours"], offers["theirs"]}
    assert listed(client, {"stock": "low"}) == {offers["theirs"]}
    assert listed(client, {"stock": "no"}) == {offers["empty"]}
    assert listed(client, {"is_active__exact": "0"}) == {offers["empty"]}


def test_offer_export_csv_follows_the_filters(client, offers, shop):
    client.force_login(ManagerFactory())
    url = reverse("admin:catalog_offer_export") + f"?shop__id__exact={shop.pk}"

    response = client.post(url, {"format": "0", "resource": "0"})

    rows = response.content.decode("utf-8-sig").strip().splitlines()
    assert response.status_code == 200
    assert len(rows) == 3
    assert {row.split(",")[0] for row in rows[1:]} == {str(offers["ours"].pk), str(offers["empty"].pk)}
    assert "Связной" in rows[1]


def test_offer_export_xlsx(client, offers):
    client.force_login(ManagerFactory())

    response = client.post(reverse("admin:catalog_offer_export"), {"format": "1", "resource": "0"})

    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_product_page_lists_its_offers_inline(client, offers):
    client.force_login(ManagerFactory())
    product = offers["ours"].product

    response = client.get(reverse("admin:catalog_product_change", args=[product.pk]))

    body = response.content.decode()
    assert "Связной" in body
    assert "Евросеть" in body


def test_category_changelist_counts_products(client, offers, phones):
    client.force_login(ManagerFactory())

    response = client.get(reverse("admin:catalog_category_changelist"))

    counts = {c.name: c.product_total for c in response.context["cl"].result_list}
    assert counts["Смартфоны"] == 1


def test_partner_sees_only_its_offers_and_products(client, partner, offers):
    client.force_login(partner)

    assert listed(client) == {offers["ours"], offers["empty"]}
    products = client.get(reverse("admin:catalog_product_changelist")).context["cl"].result_list
    assert set(products) == {offers["ours"].product, offers["empty"].product}
    product_page = client.get(reverse("admin:catalog_product_change", args=[offers["ours"].product.pk]))
    assert "Евросеть" not in product_page.content.decode()


def test_partner_guessing_another_shops_offer_sees_nothing_and_changes_nothing(client, partner, offers):
    client.force_login(partner)
    theirs = offers["theirs"]
    url = reverse("admin:catalog_offer_change", args=[theirs.pk])

    page = client.get(url)
    client.post(url, {"price": "1", "quantity": "999"})
    export = client.post(reverse("admin:catalog_offer_export"), {"format": "0", "resource": "0"})

    theirs.refresh_from_db()
    assert page.status_code == 302
    assert (theirs.price, theirs.quantity) == (Decimal("88000.00"), 2)
    assert str(theirs.pk) not in {
        row.split(",")[0] for row in export.content.decode("utf-8-sig").splitlines()
    }


def test_partner_cannot_edit_offers_directly(client, partner, offers):
    client.force_login(partner)
    ours = offers["ours"]

    response = client.post(
        reverse("admin:catalog_offer_change", args=[ours.pk]), {"price": "1", "quantity": "1"}
    )

    ours.refresh_from_db()
    assert response.status_code == 403
    assert (ours.price, ours.quantity) == (Decimal("90000.00"), 20)


def test_offer_changelist_query_count_does_not_grow(client, shop, phones):
    client.force_login(ManagerFactory())

    def make(count, start):
        products = [ProductFactory(category=phones) for _ in range(3)]
        Offer.objects.bulk_create(
            Offer(
                shop=shop,
                product=products[i % 3],
                external_id=str(start + i),
                price=Decimal("10"),
                quantity=i % 7,
            )
            for i in range(count)
        )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:catalog_offer_changelist")).status_code == 200
        return len(captured)

    make(10, 0)
    small = queries()
    make(9_990, 100)
    assert Offer.objects.count() == 10_000
    assert queries() == small


def test_partner_shop_filter_offers_only_its_own_shops(client, partner, offers):
    client.force_login(partner)

    response = client.get(reverse("admin:catalog_offer_changelist"))

    body = response.content.decode()
    assert "Связной" in body
    assert "Евросеть" not in body


def test_offers_are_read_only_even_for_managers(client, offers):
    client.force_login(ManagerFactory())
    ours = offers["ours"]

    page = client.get(reverse("admin:catalog_offer_change", args=[ours.pk]))
    post = client.post(reverse("admin:catalog_offer_change", args=[ours.pk]), {"price": "1", "quantity": "1"})
    add = client.get(reverse("admin:catalog_offer_add"))

    ours.refresh_from_db()
    assert page.status_code == 200
    assert (post.status_code, add.status_code) == (403, 403)
    assert (ours.price, ours.quantity) == (Decimal("90000.00"), 20)
