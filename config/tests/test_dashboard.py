"""The admin dashboard: figures, links to the filtered lists, partner scoping, a fixed number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.tests.factories import OfferFactory, ShopFactory
from config.dashboard import environment_callback
from orders.models import Order, OrderItem, Shipment
from partners.models import PriceListImport

pytestmark = pytest.mark.django_db


def cards_of(response):
    return {str(card["title"]): card for card in response.context["dashboard_cards"]}


def make_orders(count, *, offer, state=Order.State.NEW, total=Decimal("100.00"), days_ago=0):
    """Orders of one line each, in one shipment of the offer's shop (as placing them would make)."""
    customer = UserFactory()
    placed = timezone.now() - timedelta(days=days_ago)
    orders = Order.objects.bulk_create(
        Order(user=customer, state=state, goods_total=total, total=total, confirmed_at=placed)
        for _ in range(count)
    )
    shipments = Shipment.objects.bulk_create(
        Shipment(order=o, shop=offer.shop, state=state, subtotal=total) for o in orders
    )
    OrderItem.objects.bulk_create(
        OrderItem(order=o, shipment=shipment, offer=offer, quantity=1, price=total)
        for o, shipment in zip(orders, shipments, strict=True)
    )
    return orders


@pytest.fixture
def shops():
    owner_a = PartnerFactory(admin_access=True)
    owner_b = PartnerFactory(admin_access=True)
    return ShopFactory(name="Связной", owner=owner_a), ShopFactory(name="Евросеть", owner=owner_b)


@pytest.fixture
def dashboard_data(shops, settings):
    settings.LANGUAGE_CODE = "en"
    shop_a, shop_b = shops
    offer_a = OfferFactory(shop=shop_a, quantity=3)
    offer_b = OfferFactory(shop=shop_b, quantity=50)
    OfferFactory(shop=shop_b, quantity=0, is_active=False)  # retired: not "low in stock"
    make_orders(2, offer=offer_a)  # new, today
    make_orders(1, offer=offer_b, state=Order.State.CONFIRMED, total=Decimal("250.00"))  # today
    make_orders(1, offer=offer_b, state=Order.State.CANCELED, total=Decimal("999.00"))  # today, no revenue
    make_orders(3, offer=offer_b, state=Order.State.DELIVERED, days_ago=3)  # this week
    make_orders(4, offer=offer_a, state=Order.State.DELIVERED, days_ago=20)  # this month only
    Order.objects.create(user=UserFactory(), state=Order.State.BASKET)  # never counted
    shop_b.is_accepting_orders = False
    shop_b.save()
    PriceListImport.objects.create(partner=shop_a.owner, shop=shop_a, source="admin", status="failed")
    PriceListImport.objects.create(partner=shop_b.owner, shop=shop_b, source="api", status="succeeded")
    return shops


def test_manager_dashboard_figures_and_links(client, dashboard_data):
    client.force_login(ManagerFactory())

    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    cards = cards_of(response)
    today = timezone.localdate()
    assert cards["Awaiting confirmation"]["value"] == 2
    assert cards["Awaiting confirmation"]["href"] == "/admin/orders/order/?state__exact=new"
    assert cards["Orders today"]["value"] == 4
    assert "450 ₽" in str(cards["Orders today"]["footer"])
    assert cards["Orders today"]["href"].endswith(f"?confirmed_at_from={today}&confirmed_at_to={today}")
    assert cards["Orders in 7 days"]["value"] == 7
    assert "750 ₽" in str(cards["Orders in 7 days"]["footer"])
    assert cards["Low in stock"]["value"] == 1
    assert cards["Low in stock"]["href"] == "/admin/catalog/offer/?stock=low"
    assert cards["Shops not accepting orders"]["value"] == 1
    assert "Евросеть" in str(cards["Shops not accepting orders"]["footer"])
    assert [i.status for i in response.context["dashboard_imports"]] == ["succeeded", "failed"]
    body = response.content.decode()
    assert 'data-type="bar"' in body
    assert "Связной" in body


def test_dashboard_links_list_exactly_what_the_cards_count(client, dashboard_data):
    client.force_login(ManagerFactory())
    cards = cards_of(client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en"))

    for title in [
        "Awaiting confirmation",
        "Orders today",
        "Orders in 7 days",
        "Low in stock",
        "Shops not accepting orders",
    ]:
        listing = client.get(cards[title]["href"])
        assert listing.context["cl"].result_count == cards[title]["value"], title


def test_chart_counts_orders_per_day_for_thirty_days(client, dashboard_data):
    import json

    client.force_login(ManagerFactory())

    chart = json.loads(client.get(reverse("admin:index")).context["dashboard_chart"])

    data = chart["datasets"][0]["data"]
    assert len(chart["labels"]) == 30
    assert data[-1] == 4
    assert data[-4] == 3
    assert data[-21] == 4
    assert sum(data) == 11


def test_partner_dashboard_counts_only_its_own_data(client, dashboard_data):
    shop_a, _shop_b = dashboard_data
    client.force_login(shop_a.owner)

    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")

    cards = cards_of(response)
    assert "Awaiting confirmation" not in cards  # a partner works on shipments, not whole orders
    assert cards["Shipments to confirm"]["value"] == 2
    assert cards["To ship"]["value"] == 0
    assert cards["Orders today"]["value"] == 2
    assert "200 ₽" in str(cards["Orders today"]["footer"])
    assert cards["Orders in 7 days"]["value"] == 2
    assert cards["Low in stock"]["value"] == 1
    assert cards["Shops not accepting orders"]["value"] == 0
    assert [i.shop for i in response.context["dashboard_imports"]] == [shop_a]
    assert "Евросеть" not in response.content.decode()


def test_partner_dashboard_links_list_exactly_the_shipments_the_cards_count(client, dashboard_data):
    _shop_a, shop_b = dashboard_data
    client.force_login(shop_b.owner)
    cards = cards_of(client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en"))

    assert cards["Shipments to confirm"]["href"] == "/admin/orders/shipment/?state=new"
    assert cards["To ship"]["href"] == "/admin/orders/shipment/?state=to_ship"
    assert (cards["Shipments to confirm"]["value"], cards["To ship"]["value"]) == (0, 1)
    for title in ["Shipments to confirm", "To ship"]:
        listing = client.get(cards[title]["href"])
        assert listing.context["cl"].result_count == cards[title]["value"], title


def test_dashboard_query_count_does_not_grow_with_orders(client, shops):
    shop_a, shop_b = shops
    offer = OfferFactory(shop=shop_a)
    client.force_login(ManagerFactory())

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:index")).status_code == 200
        return len(captured)

    make_orders(10, offer=offer)
    small = queries()
    make_orders(5_000, offer=offer)
    make_orders(4_990, offer=OfferFactory(shop=shop_b), days_ago=5)
    large = queries()

    assert Order.objects.count() == 10_000
    assert large == small
    assert large <= 15


def test_environment_label_says_development_in_debug(settings):
    settings.DEBUG = True
    request = RequestFactory().get("/admin/")

    label, color = environment_callback(request)

    assert (str(label), color) == ("development", "warning")


def test_dashboard_and_sidebar_speak_russian(client, dashboard_data):
    client.force_login(ManagerFactory())

    body = client.get(reverse("admin:index"), headers={"Accept-Language": "ru"}).content.decode()

    for text in [
        "Ожидают подтверждения",
        "Заказы по дням",
        "Последние загрузки",
        "Магазины",
        "Поиск разделов и моделей…",
    ]:
        assert text in body


def test_signing_in_on_the_bare_admin_login_page_lands_on_the_dashboard(client):
    from accounts.tests.factories import DEFAULT_PASSWORD, ManagerFactory

    manager = ManagerFactory()

    response = client.post("/admin/login/", {"username": manager.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_an_order_counts_on_the_day_it_was_placed_not_the_day_its_basket_was_started(client, shops):
    offer = OfferFactory(shop=shops[0], quantity=50)
    (order,) = make_orders(1, offer=offer)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=10))
    client.force_login(ManagerFactory())

    cards = cards_of(client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en"))
    listed = client.get(cards["Orders today"]["href"]).context["cl"].result_list

    assert cards["Orders today"]["value"] == 1
    assert cards["Orders in 7 days"]["value"] == 1
    assert list(listed) == [Order.objects.get(pk=order.pk)]
