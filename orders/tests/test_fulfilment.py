"""Shipments: placing an order splits it by shop with each shop's delivery cost, each partner moves its
own part, the order's state follows, stock moves per shipment, and every move is recorded and e-mailed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import OutboxEmail
from accounts.tests.factories import ContactFactory, ManagerFactory, PartnerFactory, UserFactory
from catalog.models import DeliveryRate, Offer
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from orders.fulfilment import cancel_order, derived_order_state, move_shipment, transition_order
from orders.models import Order, OrderEvent, Shipment
from orders.services import confirm_order
from orders.tests.factories import OrderFactory, OrderItemFactory, place_order

pytestmark = pytest.mark.django_db

State = Shipment.State


@pytest.fixture
def buyer():
    return UserFactory(username="anna", first_name="Anna", last_name="Kotova", email="anna@example.com")


def shop_with_tariff(name, *, city, rates, default="900.00", free_from=None):
    owner = PartnerFactory(username=f"owner-{len(name)}-{city}", email=f"{len(name)}@{name}.example.com")
    shop = ShopFactory(
        name=name,
        owner=owner,
        city=city,
        default_delivery_cost=Decimal(default),
        free_delivery_from=Decimal(free_from) if free_from else None,
    )
    for rate_city, cost in rates.items():
        DeliveryRate.objects.create(shop=shop, city=rate_city, cost=Decimal(cost))
    return shop


@pytest.fixture
def svyaznoy():
    return shop_with_tariff(
        "Связной", city="Москва", rates={"Москва": "300.00", "Пермь": "590.00", "Орёл": "420.00"}
    )


@pytest.fixture
def euroset():
    return shop_with_tariff(
        "Евросеть", city="Санкт-Петербург", rates={"Москва": "460.00"}, default="1200.00", free_from="5000.00"
    )


@pytest.fixture
def phone(svyaznoy):
    return OfferFactory(
        shop=svyaznoy, product=ProductFactory(name="iPhone 15"), price=Decimal("1000.00"), quantity=10
    )


@pytest.fixture
def case(svyaznoy):
    return OfferFactory(
        shop=svyaznoy, product=ProductFactory(name="Чехол"), price=Decimal("50.00"), quantity=10
    )


@pytest.fixture
def galaxy(euroset):
    return OfferFactory(
        shop=euroset, product=ProductFactory(name="Galaxy S24"), price=Decimal("800.00"), quantity=10
    )


place = place_order


def stock(offer):
    return tuple(Offer.objects.filter(pk=offer.pk).values_list("quantity", "reserved_quantity").get())


def shipment_of(order, shop):
    return Shipment.objects.select_related("shop").get(order=order, shop=shop)


def states(order):
    return dict(Shipment.objects.filter(order=order).values_list("shop__name", "state"))


# --- placing an order ---------------------------------------------------------------------------------


def test_confirm_splits_the_order_into_one_shipment_per_shop_with_its_goods_and_delivery(
    buyer, phone, case, galaxy, svyaznoy, euroset
):
    order = place(buyer, (phone, 2), (case, 1), (galaxy, 1))

    order.refresh_from_db()
    shipments = {shipment.shop.name: shipment for shipment in order.shipments.select_related("shop")}
    assert sorted(shipments) == ["Евросеть", "Связной"]
    assert (
        shipments["Связной"].state,
        shipments["Связной"].subtotal,
        shipments["Связной"].delivery_cost,
    ) == (
        "new",
        Decimal("2050.00"),
        Decimal("300.00"),
    )
    assert (shipments["Евросеть"].subtotal, shipments["Евросеть"].delivery_cost) == (
        Decimal("800.00"),
        Decimal("460.00"),
    )
    assert sorted(order.items.values_list("offer_id", "shipment__shop__name")) == sorted(
        [(phone.pk, "Связной"), (case.pk, "Связной"), (galaxy.pk, "Евросеть")]
    )
    assert (order.goods_total, order.delivery_total, order.total) == (
        Decimal("2850.00"),
        Decimal("760.00"),
        Decimal("3610.00"),
    )
    assert order.city == "Москва"
    assert list(order.events.values_list("shipment", "from_state", "to_state")) == [(None, "basket", "new")]


@pytest.mark.parametrize(
    ("city", "cost"),
    [
        ("Пермь", "590.00"),  # the shop's cost for that city
        ("  пермь ", "590.00"),  # case and spaces do not matter
        ("ПЕРМЬ", "590.00"),
        ("Орел", "420.00"),  # «ё» is «е»
        ("ОРЁЛ", "420.00"),
        ("Казань", "900.00"),  # a city it does not list: its default cost
    ],
)
def test_the_delivery_cost_is_the_shops_cost_for_the_city_compared_as_people_write_it(
    buyer, phone, city, cost
):
    order = place(buyer, (phone, 1), basket_city=city)

    assert order.shipments.get().delivery_cost == Decimal(cost)


def test_a_part_worth_the_threshold_is_delivered_free_and_one_below_pays(buyer, galaxy):
    below = place(buyer, (galaxy, 6))  # 4800 < 5000
    free = place(UserFactory(), (galaxy, 4))  # 3200, then more of it below
    assert below.shipments.get().delivery_cost == Decimal("460.00")
    assert free.shipments.get().delivery_cost == Decimal("460.00")
    at_threshold = OfferFactory(shop=galaxy.shop, price=Decimal("5000.00"), quantity=1)

    exactly = place(UserFactory(), (at_threshold, 1))

    assert exactly.shipments.get().delivery_cost == Decimal("0.00")
    assert Order.objects.get(pk=exactly.pk).total == Decimal("5000.00")


def test_the_city_comes_from_the_contact_then_the_request_then_the_basket(buyer, phone):
    contact = ContactFactory(user=buyer, city="Пермь")

    by_contact = place(buyer, (phone, 1), basket_city="Москва", contact=contact, address="", phone="")
    by_request = place(UserFactory(), (phone, 1), basket_city="Москва", city="Орёл")
    by_basket = place(UserFactory(), (phone, 1), basket_city="Москва")
    without = place(UserFactory(), (phone, 1), basket_city="")

    assert [
        (Order.objects.get(pk=order.pk).city, order.shipments.get().delivery_cost)
        for order in (by_contact, by_request, by_basket, without)
    ] == [
        ("Пермь", Decimal("590.00")),
        ("Орёл", Decimal("420.00")),
        ("Москва", Decimal("300.00")),
        ("", Decimal("900.00")),
    ]


def test_a_total_with_delivery_an_order_cannot_hold_is_refused_and_changes_nothing(buyer, svyaznoy):
    dear = OfferFactory(shop=svyaznoy, price=Decimal("9999999999.99"), quantity=200)
    basket = OrderFactory(user=buyer, city="Москва")
    OrderItemFactory(order=basket, offer=dear, quantity=100)  # 999999999999.00 of goods, + 300.00

    with pytest.raises(ValidationError) as error:
        confirm_order(order=basket, customer=buyer, address="Москва", phone="+79161234567")

    assert error.value.code == "order_total_too_large"
    assert Order.objects.get(pk=basket.pk).state == Order.State.BASKET
    assert not Shipment.objects.exists()
    assert stock(dear) == (200, 0)


def test_each_partner_is_emailed_its_new_shipment_with_lines_address_and_admin_link(
    buyer, phone, galaxy, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://shop.example.com"
    ManagerFactory(email="boss@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        order = place(buyer, (phone, 2), (galaxy, 1), address="Москва, Тверская 7, кв. 12")

    shipment = shipment_of(order, phone.shop)
    to_partner = next(message for message in mail.outbox if message.to == [phone.shop.owner.email])
    assert to_partner.subject == f"New shipment for Связной: order #{order.pk}"
    assert "iPhone 15" in to_partner.body
    assert phone.external_id in to_partner.body
    assert "Galaxy S24" not in to_partner.body
    assert "Anna Kotova" in to_partner.body
    assert "Москва, Тверская 7, кв. 12" in to_partner.body
    assert "+79161234567" in to_partner.body
    assert f"https://shop.example.com/admin/orders/shipment/{shipment.pk}/change/" in to_partner.body
    assert "300.00" in to_partner.body  # its delivery cost
    assert set(OutboxEmail.objects.values_list("key", flat=True)) == {
        f"order-{order.pk}-new-customer",
        f"order-{order.pk}-new-managers",
        f"order-{order.pk}-shipment-{shipment.pk}-new-partner",
        f"order-{order.pk}-shipment-{shipment_of(order, galaxy.shop).pk}-new-partner",
    }
    to_customer = next(message for message in mail.outbox if message.to == ["anna@example.com"])
    assert "Евросеть" in to_customer.body
    assert "460.00" in to_customer.body
    assert "3560.00" in to_customer.body  # 2000 + 800 goods, 300 + 460 delivery


# --- the derived state ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shipment_states", "order_state"),
    [
        (["new"], "new"),
        (["new", "sent"], "new"),
        (["confirmed", "assembled"], "confirmed"),
        (["sent", "delivered"], "sent"),
        (["delivered", "delivered"], "delivered"),
        (["canceled", "assembled"], "assembled"),
        (["canceled", "delivered"], "delivered"),
        (["canceled", "canceled"], "canceled"),
    ],
)
def test_the_order_is_as_far_as_its_least_advanced_live_shipment(shipment_states, order_state):
    assert derived_order_state(shipment_states) == order_state


# --- moving a shipment ----------------------------------------------------------------------------------


def test_a_partner_moves_its_own_shipment_and_the_order_follows_only_when_all_have_moved(
    buyer, phone, galaxy, svyaznoy, euroset
):
    order = place(buyer, (phone, 1), (galaxy, 1))
    mine, theirs = shipment_of(order, svyaznoy), shipment_of(order, euroset)

    for state in ["confirmed", "assembled", "sent"]:
        move_shipment(shipment=mine, to_state=state, actor=svyaznoy.owner)
    assert Order.objects.get(pk=order.pk).state == "new"
    for state in ["confirmed", "assembled"]:
        move_shipment(shipment=theirs, to_state=state, actor=euroset.owner)
    assert Order.objects.get(pk=order.pk).state == "assembled"

    move_shipment(shipment=theirs, to_state="sent", actor=euroset.owner, tracking_number=" RA123456789RU ")

    assert Order.objects.get(pk=order.pk).state == "sent"
    assert states(order) == {"Связной": "sent", "Евросеть": "sent"}
    theirs.refresh_from_db()
    assert theirs.tracking_number == "RA123456789RU"
    assert theirs.sent_at is not None
    assert theirs.confirmed_at <= theirs.assembled_at <= theirs.sent_at
    assert list(
        OrderEvent.objects.filter(order=order).values_list(
            "shipment__shop__name", "actor", "from_state", "to_state"
        )
    ) == [
        (None, buyer.pk, "basket", "new"),
        ("Связной", svyaznoy.owner.pk, "new", "confirmed"),
        ("Связной", svyaznoy.owner.pk, "confirmed", "assembled"),
        ("Связной", svyaznoy.owner.pk, "assembled", "sent"),
        ("Евросеть", euroset.owner.pk, "new", "confirmed"),
        ("Евросеть", euroset.owner.pk, "confirmed", "assembled"),
        ("Евросеть", euroset.owner.pk, "assembled", "sent"),
    ]


@pytest.mark.parametrize("who", ["other partner", "customer", "stranger"])
def test_only_the_shops_partner_or_a_manager_may_move_a_shipment(
    buyer, phone, galaxy, svyaznoy, euroset, who
):
    order = place(buyer, (phone, 1), (galaxy, 1))
    actor = {"other partner": euroset.owner, "customer": buyer, "stranger": UserFactory()}[who]

    with pytest.raises(PermissionDenied):
        move_shipment(shipment=shipment_of(order, svyaznoy), to_state="confirmed", actor=actor)

    assert states(order) == {"Связной": "new", "Евросеть": "new"}
    assert stock(phone) == (9, 1)
    assert OrderEvent.objects.filter(order=order).count() == 1


def test_a_manager_moves_any_shipment(buyer, phone, svyaznoy):
    order = place(buyer, (phone, 1))

    move_shipment(shipment=shipment_of(order, svyaznoy), to_state="confirmed", actor=ManagerFactory())

    assert Order.objects.get(pk=order.pk).state == "confirmed"


@pytest.mark.parametrize(
    ("path", "to_state", "message"),
    [
        ([], "sent", "cannot move from “New” to “Sent”; it may move to “Confirmed”, “Canceled”."),
        (
            ["confirmed", "assembled", "sent"],
            "canceled",
            "cannot move from “Sent” to “Canceled”; it may move to “Delivered”.",
        ),
        (["canceled"], "confirmed", "cannot move from “Canceled” to “Confirmed”: “Canceled” is final."),
        ([], "new", "cannot move from “New” to “New”; it may move to “Confirmed”, “Canceled”."),
        ([], "lost", "cannot move from “New” to “lost”; it may move to “Confirmed”, “Canceled”."),
    ],
)
def test_a_forbidden_move_names_the_allowed_ones_and_changes_nothing(
    buyer, phone, svyaznoy, path, to_state, message, django_capture_on_commit_callbacks
):
    order = place(buyer, (phone, 2))
    shipment = shipment_of(order, svyaznoy)
    for state in path:
        move_shipment(shipment=shipment, to_state=state, actor=svyaznoy.owner, note="x")
    before = (states(order), stock(phone), OrderEvent.objects.count(), OutboxEmail.objects.count())

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        move_shipment(shipment=shipment, to_state=to_state, actor=svyaznoy.owner)

    assert error.value.code == "invalid_transition"
    assert error.value.messages == [f"Shipment #{shipment.pk} (Связной) {message}"]
    assert (states(order), stock(phone), OrderEvent.objects.count(), OutboxEmail.objects.count()) == before


@pytest.mark.parametrize(
    ("to_state", "tracking_number", "code"),
    [
        ("confirmed", "RA1", "invalid_tracking_number"),
        ("sent", "RA\u200b1", "invalid_tracking_number"),
        ("sent", "RA\n1", "invalid_tracking_number"),
        ("sent", "R" * 101, "invalid_tracking_number"),
    ],
)
def test_a_bad_or_misplaced_tracking_number_is_refused_and_changes_nothing(
    buyer, phone, svyaznoy, to_state, tracking_number, code
):
    order = place(buyer, (phone, 1))
    shipment = shipment_of(order, svyaznoy)
    if to_state == "sent":
        for state in ["confirmed", "assembled"]:
            move_shipment(shipment=shipment, to_state=state, actor=svyaznoy.owner)
    before = states(order)

    with pytest.raises(ValidationError) as error:
        move_shipment(
            shipment=shipment, to_state=to_state, actor=svyaznoy.owner, tracking_number=tracking_number
        )

    assert error.value.code == code
    assert states(order) == before
    assert Shipment.objects.get(pk=shipment.pk).tracking_number == ""


# --- stock per shipment ---------------------------------------------------------------------------------


def test_acknowledging_a_shipment_releases_the_reservation_of_its_lines_only(
    buyer, phone, case, galaxy, svyaznoy
):
    order = place(buyer, (phone, 2), (case, 3), (galaxy, 1))
    assert (stock(phone), stock(case), stock(galaxy)) == ((8, 2), (7, 3), (9, 1))

    move_shipment(shipment=shipment_of(order, svyaznoy), to_state="confirmed", actor=svyaznoy.owner)

    assert (stock(phone), stock(case), stock(galaxy)) == ((8, 0), (7, 0), (9, 1))


def test_canceling_a_new_shipment_returns_its_units_and_reservation_and_keeps_the_others(
    buyer, phone, galaxy, svyaznoy, euroset, django_capture_on_commit_callbacks
):
    order = place(buyer, (phone, 2), (galaxy, 1))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        move_shipment(
            shipment=shipment_of(order, svyaznoy),
            to_state="canceled",
            actor=svyaznoy.owner,
            note="Нет на складе",
        )

    assert (stock(phone), stock(galaxy)) == ((10, 0), (9, 1))
    assert states(order) == {"Связной": "canceled", "Евросеть": "new"}
    order.refresh_from_db()
    assert order.state == "new"
    assert order.total == Decimal("3560.00")  # as placed: the canceled part stays on record
    canceled = shipment_of(order, svyaznoy)
    assert (canceled.cancel_reason, canceled.canceled_at is not None) == ("Нет на складе", True)
    [message] = mail.outbox
    assert message.to == ["anna@example.com"]
    assert message.subject == f"Order #{order.pk}: Связной — Canceled"
    assert "Нет на складе" in message.body
    assert "“New” → “Canceled”" in message.body


def test_canceling_an_acknowledged_shipment_returns_its_units_only(buyer, phone, svyaznoy):
    order = place(buyer, (phone, 3))
    shipment = shipment_of(order, svyaznoy)
    for state in ["confirmed", "assembled"]:
        move_shipment(shipment=shipment, to_state=state, actor=svyaznoy.owner)
    assert stock(phone) == (7, 0)

    move_shipment(shipment=shipment, to_state="canceled", actor=svyaznoy.owner, note="Брак")

    assert stock(phone) == (10, 0)
    assert Order.objects.get(pk=order.pk).state == "canceled"


def test_the_sent_email_names_the_supplier_and_the_tracking_number(
    buyer, phone, galaxy, svyaznoy, django_capture_on_commit_callbacks
):
    order = place(buyer, (phone, 1), (galaxy, 1))
    shipment = shipment_of(order, svyaznoy)
    for state in ["confirmed", "assembled"]:
        move_shipment(shipment=shipment, to_state=state, actor=svyaznoy.owner)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        move_shipment(
            shipment=shipment, to_state="sent", actor=svyaznoy.owner, tracking_number="RA123456789RU"
        )

    [message] = mail.outbox
    assert message.subject == f"Order #{order.pk}: Связной — Sent"
    assert "Связной: “Assembled” → “Sent”, tracking number RA123456789RU" in message.body
    assert "The order as a whole is “New”." in message.body
    assert "RA123456789RU" in message.alternatives[0].content
    assert OutboxEmail.objects.filter(key=f"order-{order.pk}-shipment-{shipment.pk}-sent-customer").exists()


# --- the whole order at once ------------------------------------------------------------------------------


def test_a_managers_move_of_the_order_moves_every_shipment_that_can_and_leaves_the_others(
    buyer, phone, galaxy, svyaznoy, euroset, django_capture_on_commit_callbacks
):
    order = place(buyer, (phone, 1), (galaxy, 1))
    move_shipment(shipment=shipment_of(order, svyaznoy), to_state="confirmed", actor=svyaznoy.owner)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        moved = transition_order(order=order, to_state="assembled", actor=ManagerFactory(), note="по звонку")

    assert (moved.state, states(order)) == ("new", {"Связной": "assembled", "Евросеть": "new"})
    [message] = mail.outbox
    assert message.subject == f"Order #{order.pk}: Связной — Assembled"

    transition_order(order=order, to_state="confirmed", actor=ManagerFactory())
    transition_order(order=order, to_state="assembled", actor=ManagerFactory())

    assert states(order) == {"Связной": "assembled", "Евросеть": "assembled"}
    assert Order.objects.get(pk=order.pk).state == "assembled"


def test_a_managers_move_that_no_shipment_can_make_is_refused(buyer, phone, svyaznoy):
    order = place(buyer, (phone, 1))

    with pytest.raises(ValidationError) as error:
        transition_order(order=order, to_state="sent", actor=ManagerFactory())

    assert error.value.messages == [f"Order #{order.pk} cannot move from “New” to “Sent”."]


def test_only_managers_move_whole_orders(buyer, phone, svyaznoy):
    order = place(buyer, (phone, 1))

    with pytest.raises(PermissionDenied):
        transition_order(order=order, to_state="confirmed", actor=svyaznoy.owner)

    assert Order.objects.get(pk=order.pk).state == "new"


def test_the_customer_cancels_what_is_left_while_nothing_is_assembled(
    buyer, phone, galaxy, svyaznoy, euroset
):
    order = place(buyer, (phone, 2), (galaxy, 1))
    move_shipment(shipment=shipment_of(order, euroset), to_state="confirmed", actor=euroset.owner)
    move_shipment(shipment=shipment_of(order, svyaznoy), to_state="canceled", actor=svyaznoy.owner, note="x")

    cancel_order(order=order, actor=buyer, reason="передумал")

    assert states(order) == {"Связной": "canceled", "Евросеть": "canceled"}
    assert Order.objects.get(pk=order.pk).state == "canceled"
    assert (stock(phone), stock(galaxy)) == ((10, 0), (10, 0))
    assert list(
        OrderEvent.objects.filter(order=order, to_state="canceled").values_list(
            "shipment__shop__name", "note"
        )
    ) == [("Связной", "x"), ("Евросеть", "передумал")]


def test_a_manager_cancels_the_shipments_not_sent_and_leaves_the_sent_one(
    buyer, phone, galaxy, svyaznoy, euroset
):
    order = place(buyer, (phone, 2), (galaxy, 1))
    shipment = shipment_of(order, svyaznoy)
    for state in ["confirmed", "assembled", "sent"]:
        move_shipment(shipment=shipment, to_state=state, actor=svyaznoy.owner)

    with pytest.raises(ValidationError):
        cancel_order(order=order, actor=buyer)  # a part is sent: too late for the customer
    cancel_order(order=order, actor=ManagerFactory(), reason="клиент отказался")

    assert states(order) == {"Связной": "sent", "Евросеть": "canceled"}
    assert Order.objects.get(pk=order.pk).state == "sent"
    assert (stock(phone), stock(galaxy)) == ((8, 0), (10, 0))


# --- statements ---------------------------------------------------------------------------------------------


def count_statements(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def many_lines_order(buyer, shops: int, lines_per_shop: int) -> Order:
    lines = []
    for number in range(shops):
        shop = ShopFactory(name=f"Магазин {shops}-{lines_per_shop}-{number}")
        lines += [(OfferFactory(shop=shop, quantity=5), 1) for _ in range(lines_per_shop)]
    return place(buyer, *lines)


def test_moving_a_shipment_takes_as_many_statements_for_one_line_as_for_twenty(buyer):
    small, large = many_lines_order(buyer, 1, 1), many_lines_order(UserFactory(), 1, 20)
    manager = ManagerFactory()

    def moves(order):
        shipment = order.shipments.get()
        return [
            count_statements(
                lambda state=state: move_shipment(shipment=shipment, to_state=state, actor=manager)
            )
            for state in ["confirmed", "assembled", "sent", "delivered"]
        ]

    assert moves(small) == moves(large)


def test_moving_the_whole_order_takes_as_many_statements_for_one_shop_as_for_three(buyer):
    small, large = many_lines_order(buyer, 1, 2), many_lines_order(UserFactory(), 3, 2)
    manager = ManagerFactory()

    def moves(order):
        return [
            count_statements(lambda state=state: transition_order(order=order, to_state=state, actor=manager))
            for state in ["confirmed", "assembled", "sent", "delivered"]
        ]

    assert moves(small) == moves(large)
    cancel_small, cancel_large = many_lines_order(UserFactory(), 1, 1), many_lines_order(UserFactory(), 3, 4)
    assert count_statements(lambda: cancel_order(order=cancel_small, actor=manager)) == count_statements(
        lambda: cancel_order(order=cancel_large, actor=manager)
    )


def test_placing_an_order_grows_by_one_partner_email_per_shop_and_not_at_all_with_lines():
    def statements(shops, lines_per_shop):
        buyer = UserFactory()
        basket = OrderFactory(user=buyer)
        for number in range(shops):
            shop = ShopFactory(name=f"Shop {shops}-{lines_per_shop}-{number}")
            for _ in range(lines_per_shop):
                OrderItemFactory(order=basket, offer=OfferFactory(shop=shop, quantity=5), quantity=1)
        return count_statements(
            lambda: confirm_order(order=basket, customer=buyer, address="Москва", phone="+79161234567")
        )

    one_shop, one_shop_many_lines, three_shops = statements(1, 1), statements(1, 25), statements(3, 1)

    assert one_shop == one_shop_many_lines
    # The only growth: each further shop's partner e-mail is an outbox row (savepoint, insert, release).
    assert three_shops - one_shop == 2 * 3
