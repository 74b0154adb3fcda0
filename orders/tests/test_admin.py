"""Admin of orders: list, filters, search, state actions through the order service, export, partner scoping."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.tests.factories import OfferFactory, ShopFactory
from config.models import AdminExport
from orders.models import Order, OrderEvent, OrderItem, Shipment
from orders.tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:orders_order_changelist"


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def place_order(*, customer=None, offers_and_quantities, state=Order.State.NEW, **fields):
    customer = customer or UserFactory(first_name="Олег", last_name="Сидоров")
    fields.setdefault("confirmed_at", timezone.now())
    order = OrderFactory(user=customer, state=state, **fields)
    total = Decimal("0")
    for offer, quantity in offers_and_quantities:
        OrderItemFactory(order=order, offer=offer, quantity=quantity, price=offer.price)
        total += offer.price * quantity
    order.goods_total = order.total = total
    order.phone = fields.get("phone", "+79160000000")
    order.delivery_address = "Москва, Тверская, д. 7"
    order.save(update_fields=["goods_total", "total", "phone", "delivery_address"])
    return order


@pytest.fixture
def manager(client):
    user = ManagerFactory()
    client.force_login(user)
    return user


@pytest.fixture
def shop_a():
    owner = PartnerFactory(admin_access=True)
    return ShopFactory(name="Связной", owner=owner)


@pytest.fixture
def shop_b():
    owner = PartnerFactory(admin_access=True)
    return ShopFactory(name="Евросеть", owner=owner)


@pytest.fixture
def order(shop_a):
    offer = OfferFactory(shop=shop_a, price=Decimal("1500.00"), quantity=7)
    customer = UserFactory(username="ivan", email="ivan@example.com", first_name="Иван", last_name="Петров")
    return place_order(customer=customer, offers_and_quantities=[(offer, 3)], phone="+79161112233")


def row_action(name, order):
    return reverse(f"admin:orders_order_{name}", args=[order.pk])


# --- list, search, filters --------------------------------------------------------------------------


def test_changelist_shows_state_badge_customer_total_and_shops(client, manager, order, shop_b):
    other_offer = OfferFactory(shop=shop_b)
    OrderItemFactory(order=order, offer=other_offer, quantity=1, price=other_offer.price)

    response = client.get(reverse(CHANGELIST), headers={"Accept-Language": "ru"})

    assert response.status_code == 200
    body = response.content.decode().replace("\xa0", " ")
    assert f"#{order.pk}" in body
    assert "Иван Петров (ivan)" in body
    assert "4 500,00 ₽" in body
    assert "Евросеть, Связной" in body
    assert "bg-blue-100" in body  # the "new" state badge
    assert "Новый" in body
    assert "Подтвердить выбранные заказы" in body


def test_changelist_never_lists_baskets(client, manager, shop_a):
    basket = OrderFactory(state=Order.State.BASKET)

    response = client.get(reverse(CHANGELIST))

    assert basket not in response.context["cl"].result_list


@pytest.mark.parametrize("term", ["ivan@example.com", "ivan", "+79161112233", "Петров"])
def test_search_finds_order_by_customer_email_username_phone_and_name(client, manager, order, shop_a, term):
    other = place_order(offers_and_quantities=[(OfferFactory(shop=shop_a), 1)], phone="+79990000000")

    response = client.get(reverse(CHANGELIST), {"q": term})

    assert list(response.context["cl"].result_list) == [order]
    assert other.pk != order.pk


def test_search_by_hash_number_finds_exactly_that_order(client, manager, order, shop_a):
    place_order(offers_and_quantities=[(OfferFactory(shop=shop_a), 1)])

    by_hash = client.get(reverse(CHANGELIST), {"q": f"#{order.pk}"})
    by_number = client.get(reverse(CHANGELIST), {"q": str(order.pk)})

    assert list(by_hash.context["cl"].result_list) == [order]
    assert order in by_number.context["cl"].result_list


def test_filters_by_state_shop_date_and_total(client, manager, order, shop_a, shop_b):
    cheap = place_order(offers_and_quantities=[(OfferFactory(shop=shop_b, price=Decimal("10.00")), 1)])
    old = place_order(
        offers_and_quantities=[(OfferFactory(shop=shop_b, price=Decimal("99.00")), 1)],
        state=Order.State.CONFIRMED,
    )
    Order.objects.filter(pk=old.pk).update(confirmed_at=timezone.now() - timedelta(days=40))
    url = reverse(CHANGELIST)
    today = timezone.localdate().isoformat()

    def listed(params):
        return set(client.get(url, params).context["cl"].result_list)

    assert listed({"state__exact": "confirmed"}) == {old}
    assert listed({"shop": str(shop_a.pk)}) == {order}
    assert listed({"shop": str(shop_b.pk)}) == {cheap, old}
    assert listed({"confirmed_at_from": today, "confirmed_at_to": today}) == {order, cheap}
    assert listed({"total_from": "50", "total_to": "200"}) == {old}


# --- state changes ----------------------------------------------------------------------------------


def test_confirm_row_action_moves_the_order_writes_history_and_emails_the_customer(
    client, manager, order, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            row_action("confirm_row", order), {"_form_submitted": "True", "note": "Звонок"}
        )

    assert response.status_code == 302
    assert response["Location"] == reverse(CHANGELIST)
    order.refresh_from_db()
    assert order.state == Order.State.CONFIRMED
    event = OrderEvent.objects.get(order=order)
    assert (event.actor, event.from_state, event.to_state, event.note) == (
        manager,
        "new",
        "confirmed",
        "Звонок",
    )
    assert [message.to for message in mailoutbox] == [["ivan@example.com"]]
    assert messages_of(response)[0][0] == "success"


def test_dialog_action_answers_htmx_with_hx_redirect(client, manager, order):
    response = client.post(
        row_action("confirm_detail", order), {"_form_submitted": "True"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("admin:orders_order_change", args=[order.pk])
    order.refresh_from_db()
    assert order.state == Order.State.CONFIRMED


def test_action_get_only_shows_the_dialog_and_changes_nothing(client, manager, order):
    response = client.get(row_action("confirm_row", order))

    assert response.status_code == 200
    assert 'id="dialog"' in response.content.decode()
    order.refresh_from_db()
    assert order.state == Order.State.NEW
    assert not OrderEvent.objects.exists()


def test_forbidden_move_shows_an_error_and_changes_nothing(client, manager, order, mailoutbox):
    response = client.post(row_action("deliver_row", order), {"_form_submitted": "True"})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == Order.State.NEW
    assert not OrderEvent.objects.exists()
    assert mailoutbox == []
    level, text = messages_of(response)[0]
    assert level == "error"
    assert f"#{order.pk}" in text


def test_full_workflow_through_detail_actions(client, manager, order):
    for name, state in [
        ("confirm_detail", "confirmed"),
        ("assemble_detail", "assembled"),
        ("send_detail", "sent"),
        ("deliver_detail", "delivered"),
    ]:
        client.post(row_action(name, order), {"_form_submitted": "True"})
        order.refresh_from_db()
        assert order.state == state
    assert list(OrderEvent.objects.filter(order=order).values_list("to_state", flat=True)) == [
        "confirmed",
        "assembled",
        "sent",
        "delivered",
    ]


def test_cancel_needs_a_reason_and_returns_stock(client, manager, order):
    offer = order.items.get().offer
    url = row_action("cancel_detail", order)

    refused = client.post(url, {"_form_submitted": "True", "reason": ""})
    order.refresh_from_db()
    assert refused.status_code == 200  # the dialog again, with the error
    assert order.state == Order.State.NEW

    client.post(url, {"_form_submitted": "True", "reason": "Клиент передумал"})

    order.refresh_from_db()
    offer.refresh_from_db()
    assert order.state == Order.State.CANCELED
    assert offer.quantity == 10  # 7 in stock + 3 returned
    assert OrderEvent.objects.get(order=order).note == "Клиент передумал"


def test_detail_page_offers_only_the_moves_allowed_from_the_current_state(client, manager, order):
    response = client.get(reverse("admin:orders_order_change", args=[order.pk]))

    titles = [str(item["title"]) for item in response.context["actions_detail"]]
    assert titles == ["Confirm", "Cancel order"]


def test_detail_page_shows_lines_with_order_time_price_and_state_history(client, manager, order):
    from orders.fulfilment import transition_order

    transition_order(order=order, to_state=Order.State.CONFIRMED, actor=manager, note="Проверено")
    OrderItem.objects.filter(order=order).update(price=Decimal("1400.00"))

    response = client.get(reverse("admin:orders_order_change", args=[order.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "1400,00" in body or "1400.00" in body
    assert "Проверено" in body
    assert manager.username in body


def test_bulk_confirm_reports_forbidden_orders_and_moves_the_others(client, manager, order, shop_a):
    delivered = place_order(
        offers_and_quantities=[(OfferFactory(shop=shop_a), 1)], state=Order.State.DELIVERED
    )

    response = client.post(
        reverse(CHANGELIST),
        {"action": "confirm_selected", "_selected_action": [order.pk, delivered.pk], "index": 0},
    )

    assert response.status_code == 302
    order.refresh_from_db()
    delivered.refresh_from_db()
    assert order.state == Order.State.CONFIRMED
    assert delivered.state == Order.State.DELIVERED
    levels = sorted(level for level, _text in messages_of(response))
    assert levels == ["error", "success"]


def test_bulk_cancel_asks_for_a_reason_first(client, manager, order):
    url = reverse(CHANGELIST)
    data = {"action": "cancel_selected", "_selected_action": [order.pk], "index": 0}

    page = client.post(url, data)
    order.refresh_from_db()
    assert page.status_code == 200
    assert "reason" in page.content.decode()
    assert order.state == Order.State.NEW

    done = client.post(url, {**data, "confirm_cancel": "1", "reason": "Нет в наличии"})

    order.refresh_from_db()
    assert done.status_code == 302
    assert order.state == Order.State.CANCELED
    assert OrderEvent.objects.get(order=order).note == "Нет в наличии"


def test_orders_cannot_be_edited_added_or_deleted_by_hand(client, manager, order):
    change_url = reverse("admin:orders_order_change", args=[order.pk])

    client.post(change_url, {"state": "delivered", "total": "1"})
    assert client.get(reverse("admin:orders_order_add")).status_code == 403
    assert (
        client.post(reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"}).status_code == 403
    )

    order.refresh_from_db()
    assert (order.state, order.total) == (Order.State.NEW, Decimal("4500.00"))


# --- export -----------------------------------------------------------------------------------------


def test_export_csv_contains_the_filtered_orders(client, manager, order, shop_a):
    other = place_order(offers_and_quantities=[(OfferFactory(shop=shop_a), 1)], state=Order.State.SENT)
    url = reverse("admin:orders_order_export") + "?state__exact=new"

    form_page = client.get(url)
    assert form_page.status_code == 200
    response = client.post(url, {"format": "0", "resource": "0"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 2
    assert rows[1].startswith(f"{order.pk},")
    assert "ivan@example.com" in rows[1]
    assert "Связной" in rows[1]
    assert all(not row.startswith(f"{other.pk},") for row in rows)


def test_export_xlsx(client, manager, order):
    response = client.post(reverse("admin:orders_order_export"), {"format": "1", "resource": "0"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.content[:2] == b"PK"


def test_a_large_order_export_runs_as_a_task_and_its_file_holds_the_filtered_orders(
    client, manager, order, shop_a, settings
):
    settings.ADMIN_EXPORT_BACKGROUND_ROWS = 0
    other = place_order(offers_and_quantities=[(OfferFactory(shop=shop_a), 1)], state=Order.State.SENT)
    url = reverse("admin:orders_order_export") + "?state__exact=new"

    response = client.post(url, {"format": "0", "resource": "0"})

    export = AdminExport.objects.get()
    assert response["Location"] == reverse("admin:orders_order_export_job", args=[export.pk])
    download = client.get(reverse("admin:orders_order_export_download", args=[export.pk]))
    rows = b"".join(download.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert len(rows) == 2
    assert rows[1].startswith(f"{order.pk},")
    assert "ivan@example.com" in rows[1]
    assert all(not row.startswith(f"{other.pk},") for row in rows)


# --- partners ---------------------------------------------------------------------------------------


def test_partner_sees_only_orders_with_its_lines_and_only_its_lines(client, order, shop_a, shop_b):
    theirs = OfferFactory(shop=shop_b, price=Decimal("700.00"))
    OrderItemFactory(order=order, offer=theirs, quantity=1, price=theirs.price)
    foreign = place_order(offers_and_quantities=[(OfferFactory(shop=shop_b), 1)])
    client.force_login(shop_a.owner)

    listing = client.get(reverse(CHANGELIST), headers={"Accept-Language": "ru"})
    detail = client.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [order]
    assert "4 500,00 ₽" in listing.content.decode().replace(
        "\xa0", " "
    )  # its subtotal, not the order total of 5 200
    body = detail.content.decode()
    assert detail.status_code == 200
    assert "ivan@example.com" not in body
    assert "+79161112233" in body
    assert "Москва, Тверская, д. 7" in body
    assert theirs.product.name not in body
    assert order.items.get(offer__shop=shop_a).offer.product.name in body
    assert foreign.pk != order.pk


def test_partner_guessing_another_partners_order_sees_nothing(client, order, shop_b):
    client.force_login(shop_b.owner)

    response = client.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    follow = client.get(response["Location"])
    assert "ivan" not in follow.content.decode()


def test_partner_cannot_move_orders_or_export(client, order, shop_a):
    client.force_login(shop_a.owner)

    action = client.post(row_action("confirm_row", order), {"_form_submitted": "True"})
    bulk = client.post(
        reverse(CHANGELIST), {"action": "confirm_selected", "_selected_action": [order.pk], "index": 0}
    )
    export = client.get(reverse("admin:orders_order_export"))

    order.refresh_from_db()
    assert action.status_code == 403
    assert bulk.status_code in (200, 302)
    assert export.status_code == 403
    assert order.state == Order.State.NEW
    assert not OrderEvent.objects.exists()


# --- query counts -----------------------------------------------------------------------------------


def bulk_orders(count, offers):
    customer = UserFactory()
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            user=customer,
            state=Order.State.NEW,
            goods_total=Decimal("100.00"),
            total=Decimal("100.00"),
            phone="+79160000000",
            confirmed_at=now,
        )
        for _ in range(count)
    )
    shipments = Shipment.objects.bulk_create(
        Shipment(order=order, shop=offers[i % len(offers)].shop, subtotal=Decimal("100.00"))
        for i, order in enumerate(orders)
    )
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            shipment=shipment,
            offer=offers[i % len(offers)],
            quantity=1,
            price=Decimal("100.00"),
        )
        for i, (order, shipment) in enumerate(zip(orders, shipments, strict=True))
    )
    Order.objects.filter(pk__in=[o.pk for o in orders[: count // 2]]).update(
        confirmed_at=now - timedelta(days=3)
    )
    return orders


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_orders(client, manager, shop_a, shop_b):
    offers = [OfferFactory(shop=shop_a), OfferFactory(shop=shop_b)]
    url = reverse(CHANGELIST)
    bulk_orders(10, offers)
    small = count_queries(client, url)

    bulk_orders(9_990, offers)
    large = count_queries(client, url)

    assert large == small
    assert large <= 15


def test_partner_changelist_query_count_does_not_grow_with_orders(client, shop_a, shop_b):
    offers = [OfferFactory(shop=shop_a), OfferFactory(shop=shop_b)]
    client.force_login(shop_a.owner)
    url = reverse(CHANGELIST)
    bulk_orders(10, offers)
    small = count_queries(client, url)

    bulk_orders(9_990, offers)
    large = count_queries(client, url)

    assert large == small
