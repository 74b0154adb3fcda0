"""End to end in a real browser: a manager works an order, a partner publishes a price list."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, ManagerFactory, PartnerFactory, UserFactory
from catalog.models import Offer
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from orders.models import Order, Shipment
from orders.tests.factories import place_order
from partners.models import PriceListImport
from tests.browser.conftest import SCREENSHOTS

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
        shop=shop,
        product=ProductFactory(name="Смартфон Apple iPhone 15 128 ГБ"),
        price=Decimal("89990.00"),
        quantity=12,
    )
    customer = UserFactory(username="ivan", first_name="Иван", last_name="Петров")
    order = place_order(customer, (offer, 2))

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
    assert list(order.events.values_list("to_state", flat=True)) == ["new", "confirmed", "assembled", "sent"]
    screenshot("manager-order-sent")

    # A second order is canceled from the list: the row menu opens a dialog asking for the reason.
    other = place_order(customer, (offer, 1))
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
    assert other.events.get(to_state="canceled").note == "Покупатель передумал"
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


def test_partner_confirms_and_sends_its_shipment_and_the_order_is_sent_only_with_the_last_one(
    browser, page, live_server, login, screenshot, partners_group
):
    partner = PartnerFactory(username="svyaznoy-partner", first_name="Ольга", admin_access=True)
    other_partner = PartnerFactory(username="euroset-partner", admin_access=True)
    ours = OfferFactory(
        shop=ShopFactory(name="Связной", owner=partner),
        product=ProductFactory(name="Смартфон Apple iPhone 15 128 ГБ"),
        quantity=5,
    )
    theirs = OfferFactory(
        shop=ShopFactory(name="Евросеть", owner=other_partner),
        product=ProductFactory(name="Чехол для iPhone 15"),
        quantity=5,
    )
    customer = UserFactory(username="ivan", first_name="Иван", last_name="Петров")
    order = place_order(customer, (ours, 1), (theirs, 2))
    mine = Shipment.objects.get(order=order, shop=ours.shop)
    other = Shipment.objects.get(order=order, shop=theirs.shop)

    # The partner starts on its dashboard, in Russian, and opens "shipments to confirm".
    login(partner.username, DEFAULT_PASSWORD)
    page.wait_for_selector("#dashboard")
    screenshot("partner-shipments-dashboard")
    with page.expect_navigation():
        page.click("a[href='/admin/orders/shipment/?state=new']")
    page.wait_for_selector(f"text=#{mine.pk}")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Евросеть" not in page.content()
    screenshot("partner-shipments-to-confirm")

    # Confirm from the row menu: the dialog comes back to the filtered list, where it is no longer.
    page.locator("tr", has_text=f"#{mine.pk}").locator("span", has_text="more_horiz").click()
    page.click(f"a[href$='/{mine.pk}/confirm_row/']")
    page.wait_for_selector("#dialog form button[type=submit]", state="visible")
    with page.expect_navigation():
        page.click("#dialog form button[type=submit]")
    assert page.url.endswith("/admin/orders/shipment/?state=new")
    mine.refresh_from_db()
    assert mine.state == Shipment.State.CONFIRMED
    assert page.locator("#result_list").count() == 0 or f"#{mine.pk}" not in page.inner_text("#result_list")

    # Then assemble and send it from its page, with the carrier's tracking number.
    page.goto(f"{live_server.url}/admin/orders/shipment/{mine.pk}/change/")
    run_detail_action(page, "assemble_detail")
    page.click("a[href$='/send_detail/']")
    page.wait_for_selector("#dialog input[name=tracking_number]", state="visible")
    page.fill("#dialog input[name=tracking_number]", "RA123456789RU")
    screenshot("partner-send-dialog")
    with page.expect_navigation():
        page.click("#dialog form button[type=submit]")
    mine.refresh_from_db()
    assert (mine.state, mine.tracking_number) == (Shipment.State.SENT, "RA123456789RU")
    assert "отправлен" in page.inner_text("#content").lower()
    order.refresh_from_db()
    assert order.state == Order.State.NEW  # Евросеть has not even confirmed its part

    # The manager's order page: the order is not sent until the last shipment is.
    manager = ManagerFactory(username="manager")
    manager_context = browser.new_context(locale="ru-RU", viewport={"width": 1440, "height": 900})
    manager_context.set_default_timeout(15_000)
    manager_page = manager_context.new_page()
    try:
        manager_page.goto(f"{live_server.url}/admin/login/?next=/admin/orders/order/{order.pk}/change/")
        manager_page.fill("input[name=username]", manager.username)
        manager_page.fill("input[name=password]", DEFAULT_PASSWORD)
        with manager_page.expect_navigation():
            manager_page.click("button[type=submit]")
        manager_page.wait_for_selector(f"a[href$='/orders/shipment/{other.pk}/change/']")

        def order_state_shown() -> str:
            # The first field of the order page is its state, as a badge (shown in capitals).
            return manager_page.locator(".field-line .readonly").first.inner_text().strip().lower()

        assert order_state_shown() == "новый"
        for move in ["confirm", "assemble", "send"]:
            manager_page.click(f"a[data-shipment-move='{move}'][href*='/{other.pk}/']")
            manager_page.wait_for_selector("#dialog form button[type=submit]", state="visible")
            with manager_page.expect_navigation():
                manager_page.click("#dialog form button[type=submit]")
            order.refresh_from_db()
            if move != "send":
                assert order.state != Order.State.SENT
                assert order_state_shown() != "отправлен"
        manager_page.screenshot(
            path=str(SCREENSHOTS / "manager-order-sent-with-its-last-shipment.png"), full_page=True
        )
        assert order.state == Order.State.SENT
        assert order_state_shown() == "отправлен"
    finally:
        manager_context.close()
