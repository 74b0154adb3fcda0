"""End to end in a real browser: a manager works an order, a partner publishes a price list."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, ManagerFactory, PartnerFactory, UserFactory
from catalog.models import Offer
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from orders.models import Order, OrderItem
from partners.models import PriceListImport

# The Partners group and its permissions come from a data migration: restore them after other flushes.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PRICE_LIST = Path(__file__).parent / "data" / "tea.yaml"


def run_detail_action(page, action_path: str) -> None:
    """Open a detail action's dialog, submit it and wait for the page it redirects to."""
    page.click(f"a[href$='/{action_path}/']")
    page.wait_for_selector("#dialog form button[type=submit]", state="visible")
    with page.expect_navigation():
        page.click("#dialog form button[type=submit]")


def test_manager_sees_the_dashboard_confirms_and_ships_an_order(page, live_server, login, screenshot):
    manager = ManagerFactory(username="manager", first_name="Мария", last_name="Иванова")
    shop = ShopFactory(name="Связной")
    offer = OfferFactory(
        shop=shop, product=ProductFactory(name="Смартфон Apple iPhone 15 128 ГБ"), quantity=9
    )
    customer = UserFactory(username="ivan", first_name="Иван", last_name="Петров")
    order = Order.objects.create(
        user=customer,
        state=Order.State.NEW,
        total=Decimal("179980.00"),
        phone="+79161234567",
        city="Москва",
        delivery_address="Москва, Тверская, д. 7, кв. 12",
    )
    OrderItem.objects.create(order=order, offer=offer, quantity=2, price=Decimal("89990.00"))

    login(manager.username, DEFAULT_PASSWORD)
    page.wait_for_selector("#dashboard")
    assert "Ожидают подтверждения" in page.content() or "Awaiting confirmation" in page.content()
    screenshot("manager-dashboard")

    page.goto(f"{live_server.url}/admin/orders/order/")
    page.wait_for_selector(f"text=#{order.pk}")
    screenshot("manager-orders")

    page.goto(f"{live_server.url}/admin/orders/order/{order.pk}/change/")
    run_detail_action(page, "confirm_detail")
    order.refresh_from_db()
    assert order.state == Order.State.CONFIRMED

    run_detail_action(page, "assemble_detail")
    run_detail_action(page, "send_detail")
    order.refresh_from_db()
    assert order.state == Order.State.SENT
    assert list(order.events.values_list("to_state", flat=True)) == ["confirmed", "assembled", "sent"]
    screenshot("manager-order-sent")

    # A second order is canceled from the list: the row menu opens a dialog asking for the reason.
    other = Order.objects.create(user=customer, state=Order.State.NEW, total=Decimal("89990.00"))
    OrderItem.objects.create(order=other, offer=offer, quantity=1, price=Decimal("89990.00"))
    page.goto(f"{live_server.url}/admin/orders/order/")
    page.locator("tr", has_text=f"#{other.pk}").locator("span", has_text="more_horiz").click()
    page.click(f"a[href$='/{other.pk}/cancel_row/']")
    page.wait_for_selector("#dialog textarea[name=reason]", state="visible")
    page.fill("#dialog textarea[name=reason]", "Покупатель передумал")
    screenshot("manager-cancel-dialog")
    with page.expect_navigation():
        page.click("#dialog form button[type=submit]")
    other.refresh_from_db()
    offer.refresh_from_db()
    assert other.state == Order.State.CANCELED
    assert other.events.get().note == "Покупатель передумал"
    assert offer.quantity == 10  # the canceled unit went back to stock


def test_partner_uploads_previews_and_applies_a_price_list(
    page, live_server, login, screenshot, partners_group
):
    partner = PartnerFactory(username="tea-partner", admin_access=True)
    shop = ShopFactory(name="Чайная лавка", owner=partner)

    login(partner.username, DEFAULT_PASSWORD)
    screenshot("partner-dashboard")
    page.goto(f"{live_server.url}/admin/catalog/shop/{shop.pk}/change/")
    page.click("a[href$='/upload_price_list_for_shop/']")
    page.set_input_files("input[type=file][name=file]", str(PRICE_LIST))
    screenshot("partner-upload")
    with page.expect_navigation():
        page.click("button[name=upload]")

    page.wait_for_selector("#price-list-preview")
    assert page.locator("#preview-changes tbody tr").count() == 3
    assert "Чай зелёный Сенча 100 г" in page.content()
    screenshot("partner-preview")
    assert Offer.objects.count() == 0

    with page.expect_navigation():
        page.click("button[name=apply]")
    page.wait_for_selector("#import-summary")
    screenshot("partner-import")
    applied = PriceListImport.objects.get(is_dry_run=False)
    assert applied.status == PriceListImport.Status.SUCCEEDED

    page.goto(f"{live_server.url}/admin/catalog/offer/")
    page.wait_for_selector("text=Чайник заварочный 600 мл")
    screenshot("partner-offers")
    assert sorted(Offer.objects.filter(shop=shop).values_list("external_id", flat=True)) == [
        "101",
        "102",
        "201",
    ]


def test_import_page_follows_a_background_import_until_it_finishes(
    page, live_server, login, screenshot, partners_group
):
    partner = PartnerFactory(username="bulk-partner", admin_access=True)
    shop = ShopFactory(name="Оптовый склад", owner=partner)
    record = PriceListImport.objects.create(
        partner=partner,
        shop=shop,
        shop_name=shop.name,
        source=PriceListImport.Source.API,
        status=PriceListImport.Status.RUNNING,
        goods_total=40_000,
        goods_processed=10_000,
    )

    login(partner.username, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/admin/partners/pricelistimport/{record.pk}/change/")
    page.wait_for_selector("#import-progress")
    screenshot("partner-import-progress")

    PriceListImport.objects.filter(pk=record.pk).update(
        status=PriceListImport.Status.SUCCEEDED, goods_processed=40_000, created_count=40_000
    )

    page.wait_for_selector("#import-progress", state="detached", timeout=20_000)
    assert "40000" in page.inner_text("#import-summary").replace("\xa0", "").replace(" ", "")
