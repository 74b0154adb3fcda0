"""Admin of shipments: partners see and move their own shops' shipments, managers all; the order page
lists an order's shipments with their moves; the order's own actions move every shipment that can."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import make_partner
from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.models import Offer
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from orders.fulfilment import move_shipment
from orders.models import Order, OrderEvent, Shipment
from orders.tests.factories import place_order

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:orders_shipment_changelist"


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def partner_with_shop(name):
    owner = PartnerFactory(is_staff=True, email=f"{len(name)}@partners.example.com")
    make_partner(user=owner)
    return ShopFactory(name=name, owner=owner)


@pytest.fixture
def svyaznoy():
    return partner_with_shop("Связной")


@pytest.fixture
def euroset():
    return partner_with_shop("Евросеть")


@pytest.fixture
def phone(svyaznoy):
    return OfferFactory(
        shop=svyaznoy, product=ProductFactory(name="iPhone 15"), price=Decimal("1000.00"), quantity=9
    )


@pytest.fixture
def galaxy(euroset):
    return OfferFactory(
        shop=euroset, product=ProductFactory(name="Galaxy S24"), price=Decimal("800.00"), quantity=9
    )


@pytest.fixture
def customer():
    return UserFactory(username="ivan", first_name="Иван", last_name="Петров", email="ivan@example.com")


def place(customer, *lines):
    return place_order(customer, *lines, phone="+79161112233")


@pytest.fixture
def order(customer, phone, galaxy):
    return place(customer, (phone, 2), (galaxy, 1))


def shipment_of(order, shop):
    return Shipment.objects.get(order=order, shop=shop)


def action_url(name, shipment):
    return reverse(f"admin:orders_shipment_{name}", args=[shipment.pk])


def listed(client, params=None):
    response = client.get(reverse(CHANGELIST), params or {})
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


# --- lists ----------------------------------------------------------------------------------------------


def test_a_partner_lists_only_its_own_shops_shipments(client, order, svyaznoy, euroset):
    client.force_login(svyaznoy.owner)

    response = client.get(reverse(CHANGELIST), headers={"Accept-Language": "ru"})

    assert set(response.context["cl"].result_list) == {shipment_of(order, svyaznoy)}
    body = response.content.decode()
    assert "Иван Петров" in body
    assert "Евросеть" not in body


def test_the_state_filter_offers_to_ship_and_each_state(client, customer, phone, svyaznoy):
    new, confirmed, assembled, sent = (place(customer, (phone, 1)) for _ in range(4))
    for order, path in (
        (confirmed, ["confirmed"]),
        (assembled, ["confirmed", "assembled"]),
        (sent, ["confirmed", "assembled", "sent"]),
    ):
        for state in path:
            move_shipment(shipment=order.shipments.get(), to_state=state, actor=svyaznoy.owner)
    client.force_login(svyaznoy.owner)

    assert listed(client, {"state": "new"}) == {new.shipments.get()}
    assert listed(client, {"state": "to_ship"}) == {confirmed.shipments.get(), assembled.shipments.get()}
    assert listed(client, {"state": "sent"}) == {sent.shipments.get()}


@pytest.mark.parametrize("params", [{"state": "lost"}, {"shop": "999999"}, {"tracking_number": "x"}])
def test_a_filter_the_list_does_not_offer_answers_as_a_wrong_filter(client, order, svyaznoy, params):
    client.force_login(svyaznoy.owner)

    response = client.get(reverse(CHANGELIST), params)

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_a_partner_cannot_filter_by_another_partners_shop(client, order, svyaznoy, euroset):
    client.force_login(svyaznoy.owner)

    response = client.get(reverse(CHANGELIST), {"shop": str(euroset.pk)})

    assert response.status_code == 302


def test_search_finds_a_shipment_by_its_number_or_its_orders(client, order, svyaznoy, euroset):
    client.force_login(ManagerFactory())
    mine = shipment_of(order, svyaznoy)

    assert listed(client, {"q": f"#{mine.pk}"}) == {mine}
    assert listed(client, {"q": str(order.pk)}) >= {mine, shipment_of(order, euroset)}
    assert listed(client, {"q": "#abc"}) == set()


def test_the_shipment_list_query_count_does_not_grow(client, customer, phone, galaxy, svyaznoy):
    client.force_login(ManagerFactory())

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(CHANGELIST)).status_code == 200
        return len(captured)

    place(customer, (phone, 1), (galaxy, 1))
    small = queries()
    for _ in range(6):
        place(UserFactory(), (phone, 1), (galaxy, 1))
    assert queries() == small


# --- moves ----------------------------------------------------------------------------------------------


def test_a_partner_confirms_its_shipment_from_the_list_and_comes_back_to_the_filtered_list(
    client, order, svyaznoy, phone
):
    client.force_login(svyaznoy.owner)
    shipment = shipment_of(order, svyaznoy)
    origin = "http://testserver" + reverse(CHANGELIST) + "?state=new"

    response = client.post(
        action_url("confirm_row", shipment),
        {"_form_submitted": "True", "note": "Есть на складе"},
        headers={"HX-Request": "true", "HX-Current-URL": origin},
    )

    assert response["HX-Redirect"] == reverse(CHANGELIST) + "?state=new"
    assert Shipment.objects.get(pk=shipment.pk).state == "confirmed"
    assert Offer.objects.get(pk=phone.pk).reserved_quantity == 0
    assert (
        OrderEvent.objects.filter(shipment=shipment).values_list("note", flat=True).get() == "Есть на складе"
    )


def test_a_forged_origin_sends_the_dialog_back_to_the_list(client, order, svyaznoy):
    client.force_login(svyaznoy.owner)
    shipment = shipment_of(order, svyaznoy)

    responses = [
        client.post(
            action_url("confirm_row" if number == 0 else "assemble_row", shipment),
            {"_form_submitted": "True"},
            headers={"HX-Request": "true", "HX-Current-URL": origin},
        )
        for number, origin in enumerate(
            ["https://evil.example.com/admin/orders/shipment/", "http://testserver/admin/"]
        )
    ]

    assert [response["HX-Redirect"] for response in responses] == [reverse(CHANGELIST)] * 2


def test_send_asks_for_the_tracking_number_and_keeps_it(
    client, order, svyaznoy, mailoutbox, django_capture_on_commit_callbacks
):
    shipment = shipment_of(order, svyaznoy)
    for state in ["confirmed", "assembled"]:
        move_shipment(shipment=shipment, to_state=state, actor=svyaznoy.owner)
    client.force_login(svyaznoy.owner)
    mailoutbox.clear()

    dialog = client.get(action_url("send_detail", shipment))
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            action_url("send_detail", shipment), {"_form_submitted": "True", "tracking_number": "RA1RU"}
        )

    assert 'name="tracking_number"' in dialog.content.decode()
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:orders_shipment_change", args=[shipment.pk])
    shipment.refresh_from_db()
    assert (shipment.state, shipment.tracking_number) == ("sent", "RA1RU")
    assert [message.to for message in mailoutbox] == [["ivan@example.com"]]
    assert "RA1RU" in mailoutbox[0].body


def test_cancel_needs_a_reason_and_returns_that_shipments_stock_only(client, order, svyaznoy, phone, galaxy):
    client.force_login(svyaznoy.owner)
    shipment = shipment_of(order, svyaznoy)

    refused = client.post(action_url("cancel_row", shipment), {"_form_submitted": "True", "reason": ""})
    assert refused.status_code == 200  # the dialog again, with its error
    assert Shipment.objects.get(pk=shipment.pk).state == "new"

    client.post(action_url("cancel_row", shipment), {"_form_submitted": "True", "reason": "Нет на складе"})

    assert Shipment.objects.get(pk=shipment.pk).state == "canceled"
    assert (Offer.objects.get(pk=phone.pk).quantity, Offer.objects.get(pk=galaxy.pk).quantity) == (9, 8)
    assert Order.objects.get(pk=order.pk).state == "new"


def test_a_forbidden_move_shows_the_allowed_ones_and_changes_nothing(client, order, svyaznoy, mailoutbox):
    client.force_login(svyaznoy.owner)
    shipment = shipment_of(order, svyaznoy)

    response = client.post(action_url("deliver_row", shipment), {"_form_submitted": "True"})

    assert response.status_code == 302
    assert Shipment.objects.get(pk=shipment.pk).state == "new"
    assert mailoutbox == []
    assert messages_of(response) == [
        (
            "error",
            f"Shipment #{shipment.pk} (Связной) cannot move from “New” to “Delivered”; "
            "it may move to “Confirmed”, “Canceled”.",
        )
    ]


def test_a_partner_cannot_move_or_open_another_partners_shipment(client, order, svyaznoy, euroset):
    client.force_login(svyaznoy.owner)
    theirs = shipment_of(order, euroset)

    action = client.post(action_url("confirm_row", theirs), {"_form_submitted": "True"})
    page = client.get(reverse("admin:orders_shipment_change", args=[theirs.pk]))
    bulk = client.post(
        reverse(CHANGELIST), {"action": "confirm_selected", "_selected_action": [theirs.pk], "index": 0}
    )

    assert action.status_code == 404
    assert page.status_code == 302
    assert bulk.status_code in (200, 302)
    assert Shipment.objects.get(pk=theirs.pk).state == "new"
    assert not OrderEvent.objects.filter(shipment=theirs).exists()


def test_the_detail_page_offers_only_the_moves_allowed_and_shows_lines_address_and_history(
    client, order, svyaznoy
):
    shipment = shipment_of(order, svyaznoy)
    move_shipment(shipment=shipment, to_state="confirmed", actor=svyaznoy.owner, note="Проверено")
    client.force_login(svyaznoy.owner)

    response = client.get(reverse("admin:orders_shipment_change", args=[shipment.pk]))

    assert [str(item["title"]) for item in response.context["actions_detail"]] == [
        "Assemble",
        "Cancel shipment",
    ]
    body = response.content.decode()
    assert "iPhone 15" in body
    assert "Galaxy S24" not in body
    assert "Москва, Тверская 7" in body
    assert "+79161112233" in body
    assert "Проверено" in body
    assert "ivan@example.com" not in body


def test_bulk_send_asks_each_tracking_number_then_sends_them_all(client, customer, phone, svyaznoy):
    orders = [place(customer, (phone, 1)) for _ in range(2)]
    shipments = [order.shipments.get() for order in orders]
    for shipment in shipments:
        for state in ["confirmed", "assembled"]:
            move_shipment(shipment=shipment, to_state=state, actor=svyaznoy.owner)
    client.force_login(svyaznoy.owner)
    data = {"action": "send_selected", "_selected_action": [s.pk for s in shipments], "index": 0}

    page = client.post(reverse(CHANGELIST), data)
    assert page.status_code == 200
    assert f'name="tracking_{shipments[0].pk}"' in page.content.decode()
    assert {s.state for s in Shipment.objects.filter(pk__in=[s.pk for s in shipments])} == {"assembled"}

    done = client.post(
        reverse(CHANGELIST),
        {
            **data,
            "confirm_send": "1",
            f"tracking_{shipments[0].pk}": "RA1RU",
            f"tracking_{shipments[1].pk}": "",
        },
    )

    assert done.status_code == 302
    assert list(
        Shipment.objects.filter(pk__in=[s.pk for s in shipments])
        .order_by("pk")
        .values_list("state", "tracking_number")
    ) == [
        ("sent", "RA1RU"),
        ("sent", ""),
    ]


def test_bulk_cancel_asks_for_a_reason_first(client, order, svyaznoy):
    shipment = shipment_of(order, svyaznoy)
    client.force_login(svyaznoy.owner)
    data = {"action": "cancel_selected", "_selected_action": [shipment.pk], "index": 0}

    page = client.post(reverse(CHANGELIST), data)
    assert page.status_code == 200
    assert Shipment.objects.get(pk=shipment.pk).state == "new"

    client.post(reverse(CHANGELIST), {**data, "confirm_cancel": "1", "reason": "Снят с производства"})

    shipment.refresh_from_db()
    assert (shipment.state, shipment.cancel_reason) == ("canceled", "Снят с производства")


def test_shipments_cannot_be_added_changed_or_deleted_by_hand(client, order, svyaznoy):
    client.force_login(ManagerFactory())
    shipment = shipment_of(order, svyaznoy)

    client.post(reverse("admin:orders_shipment_change", args=[shipment.pk]), {"state": "delivered"})
    add = client.get(reverse("admin:orders_shipment_add"))
    delete = client.post(reverse("admin:orders_shipment_delete", args=[shipment.pk]), {"post": "yes"})

    assert (add.status_code, delete.status_code) == (403, 403)
    assert Shipment.objects.get(pk=shipment.pk).state == "new"


# --- the order page -------------------------------------------------------------------------------------


def test_the_managers_order_page_lists_every_shipment_with_state_cost_and_moves(
    client, order, svyaznoy, euroset
):
    move_shipment(shipment=shipment_of(order, svyaznoy), to_state="confirmed", actor=svyaznoy.owner)
    client.force_login(ManagerFactory())

    body = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    mine, theirs = shipment_of(order, svyaznoy), shipment_of(order, euroset)
    assert reverse("admin:orders_shipment_change", args=[mine.pk]) in body
    assert reverse("admin:orders_shipment_change", args=[theirs.pk]) in body
    assert f'href="{action_url("assemble_row", mine)}"' in body
    assert f'href="{action_url("confirm_row", theirs)}"' in body
    assert f'href="{action_url("confirm_row", mine)}"' not in body  # already confirmed


def test_a_dialog_opened_on_the_order_page_comes_back_to_it(client, order, svyaznoy):
    client.force_login(ManagerFactory())
    shipment = shipment_of(order, svyaznoy)
    order_page = reverse("admin:orders_order_change", args=[order.pk])

    response = client.post(
        action_url("confirm_row", shipment),
        {"_form_submitted": "True"},
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{order_page}"},
    )

    assert response["HX-Redirect"] == order_page
    assert Shipment.objects.get(pk=shipment.pk).state == "confirmed"


def test_a_partners_order_page_shows_only_its_shipment_and_history(client, order, svyaznoy, euroset):
    move_shipment(
        shipment=shipment_of(order, euroset), to_state="canceled", actor=euroset.owner, note="Их причина"
    )
    move_shipment(
        shipment=shipment_of(order, svyaznoy), to_state="confirmed", actor=svyaznoy.owner, note="Наша"
    )
    client.force_login(svyaznoy.owner)

    body = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert reverse("admin:orders_shipment_change", args=[shipment_of(order, svyaznoy).pk]) in body
    assert reverse("admin:orders_shipment_change", args=[shipment_of(order, euroset).pk]) not in body
    assert "Наша" in body
    assert "Их причина" not in body


def test_the_orders_own_move_moves_every_shipment_that_can(client, order, svyaznoy, euroset):
    move_shipment(shipment=shipment_of(order, svyaznoy), to_state="confirmed", actor=svyaznoy.owner)
    client.force_login(ManagerFactory())

    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    response = client.post(
        reverse("admin:orders_order_confirm_detail", args=[order.pk]), {"_form_submitted": "True"}
    )

    assert [str(item["title"]) for item in page.context["actions_detail"]] == [
        "Confirm",
        "Assemble",
        "Cancel order",
    ]
    assert response.status_code == 302
    assert dict(order.shipments.values_list("shop__name", "state")) == {
        "Связной": "confirmed",
        "Евросеть": "confirmed",
    }
    assert Order.objects.get(pk=order.pk).state == "confirmed"


def test_canceling_an_order_with_a_sent_shipment_cancels_the_rest_and_says_so(
    client, order, svyaznoy, euroset
):
    shipment = shipment_of(order, svyaznoy)
    for state in ["confirmed", "assembled", "sent"]:
        move_shipment(shipment=shipment, to_state=state, actor=svyaznoy.owner)
    client.force_login(ManagerFactory())

    response = client.post(
        reverse("admin:orders_order_cancel_detail", args=[order.pk]),
        {"_form_submitted": "True", "reason": "Клиент отказался"},
    )

    assert dict(order.shipments.values_list("shop__name", "state")) == {
        "Связной": "sent",
        "Евросеть": "canceled",
    }
    assert messages_of(response) == [
        ("success", f"The shipments of order #{order.pk} not sent yet were canceled; the order is “Sent”.")
    ]
