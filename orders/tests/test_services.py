"""Tests of the basket, order confirmation and the order state machine."""

from __future__ import annotations

from decimal import Decimal
from itertools import product as pairs

import pytest
from django.core import mail
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction

from accounts.tests.factories import ContactFactory, ManagerFactory, PartnerFactory, UserFactory
from catalog.models import Offer
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from orders.emails import manager_emails
from orders.fulfilment import ALLOWED_TRANSITIONS, cancel_order, transition_order
from orders.models import Order, OrderEvent, OrderItem
from orders.services import add_to_basket, confirm_order, remove_from_basket, update_basket_item
from orders.tests.factories import OrderFactory, OrderItemFactory, place_order

pytestmark = pytest.mark.django_db

State = Order.State


@pytest.fixture
def buyer():
    return UserFactory(username="anna", first_name="Anna", email="anna@example.com")


@pytest.fixture
def offer():
    shop = ShopFactory(
        name="Связной", owner=PartnerFactory(username="svyaznoy", email="svyaznoy@example.com")
    )
    return OfferFactory(
        shop=shop, product=ProductFactory(name="iPhone 15"), price=Decimal("1000.00"), quantity=10
    )


@pytest.fixture
def other_offer():
    shop = ShopFactory(name="Евросеть", owner=PartnerFactory(username="euroset", email="euroset@example.com"))
    return OfferFactory(
        shop=shop, product=ProductFactory(name="Galaxy S24"), price=Decimal("250.50"), quantity=3
    )


def basket_with(user, *lines):
    basket = OrderFactory(user=user)
    for offer, quantity in lines:
        OrderItemFactory(order=basket, offer=offer, quantity=quantity)
    return basket


def placed_order(user, *lines, state=State.NEW):
    """An order confirmed through the service (stock taken), then moved to `state` by a manager."""
    order = place_order(user, *lines)
    manager = ManagerFactory()
    path = [State.CONFIRMED, State.ASSEMBLED, State.SENT, State.DELIVERED]
    if state == State.CANCELED:
        return transition_order(order=order, to_state=State.CANCELED, actor=manager)
    for step in path[: path.index(state) + 1] if state != State.NEW else []:
        order = transition_order(order=order, to_state=step, actor=manager)
    return order


def stock(offer):
    return Offer.objects.get(pk=offer.pk).quantity


def lines_of(user):
    return list(
        OrderItem.objects.filter(order__user=user, order__state=State.BASKET)
        .order_by("offer_id")
        .values_list("offer_id", "quantity")
    )


# --- basket ---------------------------------------------------------------------------------------


def test_add_to_basket_creates_the_basket_with_the_line_and_city(buyer, offer):
    basket = add_to_basket(user=buyer, offer_id=offer.pk, quantity=2, city="Казань")

    assert basket.state == State.BASKET
    assert basket.user == buyer
    assert basket.city == "Казань"
    assert lines_of(buyer) == [(offer.pk, 2)]
    assert stock(offer) == 10  # a basket takes no stock


def test_adding_the_same_offer_twice_adds_up_the_quantity_in_one_basket(buyer, offer):
    first = add_to_basket(user=buyer, offer_id=offer.pk, quantity=2)
    second = add_to_basket(user=buyer, offer_id=offer.pk, quantity=3)

    assert first.pk == second.pk
    assert Order.objects.filter(user=buyer).count() == 1
    assert lines_of(buyer) == [(offer.pk, 5)]


def test_basket_holds_offers_of_many_shops(buyer, offer, other_offer):
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=1)
    add_to_basket(user=buyer, offer_id=other_offer.pk, quantity=2)

    assert lines_of(buyer) == [(offer.pk, 1), (other_offer.pk, 2)]


def test_add_to_basket_up_to_exactly_the_stock_is_allowed(buyer, offer):
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=10)

    assert lines_of(buyer) == [(offer.pk, 10)]


@pytest.mark.parametrize("quantity", [0, -1, "2", 1.5, True, None])
def test_add_to_basket_rejects_a_quantity_that_is_not_a_positive_integer(buyer, offer, quantity):
    with pytest.raises(ValidationError) as error:
        add_to_basket(user=buyer, offer_id=offer.pk, quantity=quantity)

    assert error.value.code == "invalid_quantity"
    assert Order.objects.count() == 0


def test_add_to_basket_unknown_offer_is_not_found(buyer):
    with pytest.raises(ObjectDoesNotExist):
        add_to_basket(user=buyer, offer_id=999999, quantity=1)

    assert Order.objects.count() == 0


def test_add_to_basket_refuses_an_inactive_offer(buyer, offer):
    Offer.objects.filter(pk=offer.pk).update(is_active=False)

    with pytest.raises(ValidationError) as error:
        add_to_basket(user=buyer, offer_id=offer.pk, quantity=1)

    assert error.value.code == "offer_inactive"
    assert error.value.messages == ["“iPhone 15” from Связной is no longer offered."]
    assert Order.objects.count() == 0


def test_add_to_basket_refuses_a_shop_not_accepting_orders(buyer, offer):
    offer.shop.is_accepting_orders = False
    offer.shop.save()

    with pytest.raises(ValidationError) as error:
        add_to_basket(user=buyer, offer_id=offer.pk, quantity=1)

    assert error.value.code == "shop_not_accepting_orders"
    assert Order.objects.count() == 0


def test_add_to_basket_refuses_more_than_the_stock_counting_what_is_already_in_the_basket(buyer, offer):
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=8)

    with pytest.raises(ValidationError) as error:
        add_to_basket(user=buyer, offer_id=offer.pk, quantity=3)

    assert error.value.code == "out_of_stock"
    assert error.value.messages == ["Not enough “iPhone 15” from Связной: requested 11, available 10."]
    assert lines_of(buyer) == [(offer.pk, 8)]


def test_update_basket_item_sets_the_quantity(buyer, offer):
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=2)

    update_basket_item(user=buyer, offer_id=offer.pk, quantity=7)

    assert lines_of(buyer) == [(offer.pk, 7)]


def test_update_basket_item_to_zero_removes_the_line(buyer, offer, other_offer):
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=2)
    add_to_basket(user=buyer, offer_id=other_offer.pk, quantity=1)

    update_basket_item(user=buyer, offer_id=offer.pk, quantity=0)

    assert lines_of(buyer) == [(other_offer.pk, 1)]


def test_update_basket_item_refuses_above_stock_and_keeps_the_quantity(buyer, offer):
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=2)

    with pytest.raises(ValidationError) as error:
        update_basket_item(user=buyer, offer_id=offer.pk, quantity=11)

    assert error.value.code == "out_of_stock"
    assert lines_of(buyer) == [(offer.pk, 2)]


def test_update_basket_item_may_lower_the_quantity_of_an_offer_no_longer_active(buyer, offer):
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=3)
    Offer.objects.filter(pk=offer.pk).update(is_active=False)

    update_basket_item(user=buyer, offer_id=offer.pk, quantity=1)
    with pytest.raises(ValidationError) as error:
        update_basket_item(user=buyer, offer_id=offer.pk, quantity=2)

    assert error.value.code == "offer_inactive"
    assert lines_of(buyer) == [(offer.pk, 1)]


@pytest.mark.parametrize("quantity", [-1, "1", 2.5, None])
def test_update_basket_item_rejects_a_bad_quantity(buyer, offer, quantity):
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=2)

    with pytest.raises(ValidationError) as error:
        update_basket_item(user=buyer, offer_id=offer.pk, quantity=quantity)

    assert error.value.code == "invalid_quantity"
    assert lines_of(buyer) == [(offer.pk, 2)]


def test_update_and_remove_of_an_offer_not_in_the_basket_are_not_found(buyer, offer, other_offer):
    with pytest.raises(ObjectDoesNotExist):
        update_basket_item(user=buyer, offer_id=offer.pk, quantity=1)
    with pytest.raises(ObjectDoesNotExist):
        remove_from_basket(user=buyer, offer_id=offer.pk)
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=1)
    with pytest.raises(ObjectDoesNotExist):
        update_basket_item(user=buyer, offer_id=other_offer.pk, quantity=1)
    with pytest.raises(ObjectDoesNotExist):
        remove_from_basket(user=buyer, offer_id=other_offer.pk)

    assert lines_of(buyer) == [(offer.pk, 1)]


def test_remove_from_basket_removes_only_that_line(buyer, offer, other_offer):
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=1)
    add_to_basket(user=buyer, offer_id=other_offer.pk, quantity=1)

    remove_from_basket(user=buyer, offer_id=other_offer.pk)

    assert lines_of(buyer) == [(offer.pk, 1)]


def test_basket_edits_never_touch_another_users_basket(buyer, offer):
    stranger = UserFactory()
    add_to_basket(user=stranger, offer_id=offer.pk, quantity=4)

    add_to_basket(user=buyer, offer_id=offer.pk, quantity=1)
    remove_from_basket(user=buyer, offer_id=offer.pk)

    assert lines_of(stranger) == [(offer.pk, 4)]


# --- confirming -----------------------------------------------------------------------------------


def test_confirm_order_takes_stock_snapshots_prices_and_address_and_writes_an_event(
    buyer, offer, other_offer
):
    basket = basket_with(buyer, (offer, 2), (other_offer, 3))

    order = confirm_order(
        order=basket, customer=buyer, address="  Москва,  Тверская 7 ", phone="8 916 123-45-67"
    )

    order.refresh_from_db()
    assert order.pk == basket.pk
    assert order.state == State.NEW
    assert order.delivery_address == "Москва, Тверская 7"
    assert order.phone == "+79161234567"
    assert order.total == Decimal("2751.50")
    assert order.confirmed_at is not None
    assert list(order.items.order_by("offer_id").values_list("offer_id", "quantity", "price")) == [
        (offer.pk, 2, Decimal("1000.00")),
        (other_offer.pk, 3, Decimal("250.50")),
    ]
    assert stock(offer) == 8
    assert stock(other_offer) == 0
    assert list(order.events.values_list("actor", "from_state", "to_state")) == [(buyer.pk, "basket", "new")]


def test_confirmed_prices_do_not_follow_later_offer_price_changes(buyer, offer):
    order = confirm_order(
        order=basket_with(buyer, (offer, 1)), customer=buyer, address="Москва", phone="+79161234567"
    )
    Offer.objects.filter(pk=offer.pk).update(price=Decimal("5.00"))

    assert order.items.get().price == Decimal("1000.00")
    assert Order.objects.get(pk=order.pk).total == Decimal("1000.00")


def test_confirm_order_with_a_contact_snapshots_its_address_and_phone(buyer, offer):
    contact = ContactFactory(user=buyer, city="Москва", street="Тверская", house="7", apartment="12")

    order = confirm_order(order=basket_with(buyer, (offer, 1)), customer=buyer, contact=contact)
    contact.delete()

    order.refresh_from_db()
    assert order.delivery_address == "Москва, Тверская, h. 7, apt. 12"
    assert order.phone == "+79161234567"
    assert order.contact is None


def test_confirm_order_emails_the_customer_the_managers_and_each_partner_its_own_lines(
    buyer, offer, other_offer, django_capture_on_commit_callbacks, settings
):
    settings.LANGUAGE_CODE = "en"
    ManagerFactory(email="boss@example.com")
    ManagerFactory(email="")
    UserFactory(email="notstaff@example.com")
    basket = basket_with(buyer, (offer, 2), (other_offer, 1))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = confirm_order(order=basket, customer=buyer, address="Москва", phone="+79161234567")
        assert mail.outbox == []  # nothing leaves before the commit

    assert len(callbacks) == 4
    by_recipient = {tuple(message.to): message for message in mail.outbox}
    assert sorted(by_recipient) == [
        ("anna@example.com",),
        ("boss@example.com",),
        ("euroset@example.com",),
        ("svyaznoy@example.com",),
    ]
    customer = by_recipient[("anna@example.com",)]
    assert customer.subject == f"Order #{order.pk} is placed"
    assert "iPhone 15" in customer.body
    assert "Galaxy S24" in customer.body
    assert "2250.50" in customer.body
    assert "iPhone 15" in customer.alternatives[0].content
    invoice = by_recipient[("boss@example.com",)]
    assert "iPhone 15" in invoice.body
    assert "Galaxy S24" in invoice.body
    assert "+79161234567" in invoice.body
    assert invoice.subject == f"Invoice: new order #{order.pk} for 2250.50"
    svyaznoy = by_recipient[("svyaznoy@example.com",)]
    assert "iPhone 15" in svyaznoy.body
    assert "Galaxy S24" not in svyaznoy.body
    assert "2000.00" in svyaznoy.body
    euroset = by_recipient[("euroset@example.com",)]
    assert "Galaxy S24" in euroset.body
    assert "iPhone 15" not in euroset.body
    assert "250.50" in euroset.body
    assert "Galaxy S24" in euroset.alternatives[0].content
    assert "iPhone 15" not in euroset.alternatives[0].content


def test_manager_emails_come_from_the_setting_when_it_is_set(settings):
    ManagerFactory(email="boss@example.com")
    PartnerFactory(email="partner-staff@example.com", is_staff=True)

    assert manager_emails() == ["boss@example.com"]
    settings.ORDER_NOTIFY_EMAILS = ["orders@example.com"]
    assert manager_emails() == ["orders@example.com"]


def assert_basket_unchanged(basket, lines, stocks):
    basket.refresh_from_db()
    assert basket.state == State.BASKET
    assert basket.delivery_address == ""
    assert basket.phone == ""
    assert basket.total == Decimal("0")
    assert basket.confirmed_at is None
    assert list(basket.items.order_by("offer_id").values_list("offer_id", "quantity", "price")) == lines
    assert [stock(offer) for offer, _ in stocks] == [expected for _, expected in stocks]
    assert OrderEvent.objects.count() == 0
    assert mail.outbox == []


def test_confirm_order_refuses_when_one_line_lacks_stock_naming_every_failing_line_and_changes_nothing(
    buyer, offer, other_offer, django_capture_on_commit_callbacks
):
    third = OfferFactory(product=ProductFactory(name="Pixel 8"), shop=offer.shop, quantity=1)
    basket = basket_with(buyer, (offer, 2), (other_offer, 3), (third, 1))
    Offer.objects.filter(pk=other_offer.pk).update(quantity=1)
    Offer.objects.filter(pk=third.pk).update(quantity=0)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        confirm_order(order=basket, customer=buyer, address="Москва", phone="+79161234567")

    assert error.value.messages == [
        "Not enough “Galaxy S24” from Евросеть: requested 3, available 1.",
        "Not enough “Pixel 8” from Связной: requested 1, available 0.",
    ]
    assert [e.code for e in error.value.error_list] == ["out_of_stock", "out_of_stock"]
    assert_basket_unchanged(
        basket,
        [(offer.pk, 2, None), (other_offer.pk, 3, None), (third.pk, 1, None)],
        [(offer, 10), (other_offer, 1), (third, 0)],
    )


def test_confirm_order_refuses_an_offer_deactivated_or_a_shop_closed_since_it_was_added(
    buyer, offer, other_offer
):
    basket = basket_with(buyer, (offer, 1), (other_offer, 1))
    Offer.objects.filter(pk=offer.pk).update(is_active=False)
    other_offer.shop.is_accepting_orders = False
    other_offer.shop.save()

    with pytest.raises(ValidationError) as error:
        confirm_order(order=basket, customer=buyer, address="Москва", phone="+79161234567")

    assert [e.code for e in error.value.error_list] == ["offer_inactive", "shop_not_accepting_orders"]
    assert_basket_unchanged(
        basket, [(offer.pk, 1, None), (other_offer.pk, 1, None)], [(offer, 10), (other_offer, 3)]
    )


@pytest.mark.parametrize("phone", ["", "12", "not a phone", "+7 000 000-00-00", "8 (916) 123-45"])
def test_confirm_order_refuses_a_phone_that_is_not_a_phone_and_changes_nothing(buyer, offer, phone):
    basket = basket_with(buyer, (offer, 1))

    with pytest.raises(ValidationError) as error:
        confirm_order(order=basket, customer=buyer, address="Москва", phone=phone)

    assert error.value.code == "invalid_phone"
    assert_basket_unchanged(basket, [(offer.pk, 1, None)], [(offer, 10)])


def test_confirm_order_refuses_a_missing_address(buyer, offer):
    basket = basket_with(buyer, (offer, 1))

    with pytest.raises(ValidationError) as error:
        confirm_order(order=basket, customer=buyer, address="   ", phone="+79161234567")

    assert error.value.code == "address_required"
    assert_basket_unchanged(basket, [(offer.pk, 1, None)], [(offer, 10)])


def test_confirm_order_refuses_another_users_contact(buyer, offer):
    basket = basket_with(buyer, (offer, 1))

    with pytest.raises(ValidationError) as error:
        confirm_order(order=basket, customer=buyer, contact=ContactFactory())

    assert error.value.code == "invalid_contact"
    assert_basket_unchanged(basket, [(offer.pk, 1, None)], [(offer, 10)])


def test_confirm_order_refuses_an_empty_basket(buyer):
    basket = basket_with(buyer)

    with pytest.raises(ValidationError) as error:
        confirm_order(order=basket, customer=buyer, address="Москва", phone="+79161234567")

    assert error.value.code == "empty_basket"
    assert_basket_unchanged(basket, [], [])


def test_confirm_order_of_another_user_is_not_found_and_changes_nothing(buyer, offer):
    basket = basket_with(buyer, (offer, 1))

    with pytest.raises(ObjectDoesNotExist):
        confirm_order(order=basket, customer=UserFactory(), address="Москва", phone="+79161234567")

    assert_basket_unchanged(basket, [(offer.pk, 1, None)], [(offer, 10)])


def test_confirming_twice_does_nothing_the_second_time(buyer, offer, django_capture_on_commit_callbacks):
    basket = basket_with(buyer, (offer, 2))
    confirm_order(order=basket, customer=buyer, address="Москва", phone="+79161234567")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        confirm_order(order=basket, customer=buyer, address="Питер", phone="+79160000000")

    assert error.value.code == "not_a_basket"
    basket.refresh_from_db()
    assert basket.state == State.NEW
    assert basket.delivery_address == "Москва"
    assert stock(offer) == 8
    assert OrderEvent.objects.count() == 1
    assert mail.outbox == []


# --- state machine --------------------------------------------------------------------------------


def test_allowed_transitions_table():
    table = {state: set(targets) for state, targets in ALLOWED_TRANSITIONS.items()}

    assert table == {
        "basket": set(),
        "new": {"confirmed", "canceled"},
        "confirmed": {"assembled", "canceled"},
        "assembled": {"sent", "canceled"},
        "sent": {"delivered"},
        "delivered": set(),
        "canceled": set(),
    }


def test_an_order_goes_all_the_way_to_delivered_with_an_event_and_an_email_each_step(
    buyer, offer, django_capture_on_commit_callbacks, settings
):
    settings.LANGUAGE_CODE = "en"
    manager = ManagerFactory(email="")
    order = placed_order(buyer, (offer, 2))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for step in ["confirmed", "assembled", "sent", "delivered"]:
            order = transition_order(order=order, to_state=step, actor=manager, note=f"to {step}")

    assert Order.objects.get(pk=order.pk).state == "delivered"
    assert list(order.events.values_list("actor", "from_state", "to_state", "note")) == [
        (buyer.pk, "basket", "new", ""),
        (manager.pk, "new", "confirmed", "to confirmed"),
        (manager.pk, "confirmed", "assembled", "to assembled"),
        (manager.pk, "assembled", "sent", "to sent"),
        (manager.pk, "sent", "delivered", "to delivered"),
    ]
    assert [message.to for message in mail.outbox] == [["anna@example.com"]] * 4
    assert mail.outbox[2].subject == f"Order #{order.pk}: Sent"
    assert "to sent" in mail.outbox[2].body
    assert stock(offer) == 8  # delivered goods stay sold


FORBIDDEN = [
    (from_state, to_state)
    for from_state, to_state in pairs(State.values, State.values)
    if to_state not in ALLOWED_TRANSITIONS[from_state] and from_state not in ("basket",)
]


@pytest.mark.parametrize(("from_state", "to_state"), FORBIDDEN)
def test_a_forbidden_transition_is_refused_and_changes_nothing(
    buyer, offer, from_state, to_state, django_capture_on_commit_callbacks
):
    order = placed_order(buyer, (offer, 2), state=from_state)
    events_before = list(OrderEvent.objects.values_list("pk", flat=True))
    stock_before = stock(offer)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        transition_order(order=order, to_state=to_state, actor=ManagerFactory())

    assert error.value.code == "invalid_transition"
    assert Order.objects.get(pk=order.pk).state == from_state
    assert list(OrderEvent.objects.values_list("pk", flat=True)) == events_before
    assert stock(offer) == stock_before
    assert mail.outbox == []


@pytest.mark.parametrize("to_state", [*State.values, "lost"])
def test_transition_never_moves_a_basket(buyer, offer, to_state):
    basket = basket_with(buyer, (offer, 1))

    with pytest.raises(ValidationError) as error:
        transition_order(order=basket, to_state=to_state, actor=ManagerFactory())

    assert error.value.code == "invalid_transition"
    assert_basket_unchanged(basket, [(offer.pk, 1, None)], [(offer, 10)])


def test_sent_order_cannot_be_canceled(buyer, offer):
    order = placed_order(buyer, (offer, 2), state=State.SENT)

    with pytest.raises(ValidationError) as error:
        transition_order(order=order, to_state=State.CANCELED, actor=ManagerFactory())

    assert error.value.messages == [f"Order #{order.pk} cannot move from “Sent” to “Canceled”."]
    assert stock(offer) == 8


@pytest.mark.parametrize("from_state", [State.NEW, State.CONFIRMED, State.ASSEMBLED])
def test_canceling_returns_the_stock_of_every_line(buyer, offer, other_offer, from_state):
    order = placed_order(buyer, (offer, 2), (other_offer, 3), state=from_state)
    assert (stock(offer), stock(other_offer)) == (8, 0)

    order = transition_order(order=order, to_state=State.CANCELED, actor=ManagerFactory(), note="no money")

    assert Order.objects.get(pk=order.pk).state == State.CANCELED
    assert (stock(offer), stock(other_offer)) == (10, 3)
    assert order.events.last().note == "no money"


def test_customer_cancels_a_new_order_and_gets_the_stock_back(
    buyer, offer, django_capture_on_commit_callbacks
):
    order = placed_order(buyer, (offer, 4))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order=order, actor=buyer, reason="changed my mind")

    assert Order.objects.get(pk=order.pk).state == State.CANCELED
    assert stock(offer) == 10
    event = order.events.last()
    assert (event.actor, event.from_state, event.to_state, event.note) == (
        buyer,
        "new",
        "canceled",
        "changed my mind",
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.com"]
    assert "changed my mind" in mail.outbox[0].body


def test_customer_may_still_cancel_a_confirmed_order_and_gets_the_stock_back(buyer, offer):
    order = placed_order(buyer, (offer, 4), state=State.CONFIRMED)

    cancel_order(order=order, actor=buyer, reason="found it cheaper")

    assert Order.objects.get(pk=order.pk).state == State.CANCELED
    assert stock_and_reserved(offer) == (10, 0)
    assert list(order.events.values_list("from_state", "to_state", "note"))[-1] == (
        "confirmed",
        "canceled",
        "found it cheaper",
    )


def test_customer_cannot_cancel_once_the_order_is_assembled(buyer, offer):
    order = placed_order(buyer, (offer, 4), state=State.ASSEMBLED)

    with pytest.raises(ValidationError) as error:
        cancel_order(order=order, actor=buyer)

    assert error.value.code == "invalid_transition"
    assert error.value.messages == [
        f"Order #{order.pk} can no longer be canceled: the part from Связной is already “Assembled”."
    ]
    assert Order.objects.get(pk=order.pk).state == State.ASSEMBLED
    assert stock(offer) == 6
    assert order.events.count() == 3


def test_cancel_by_someone_who_is_neither_the_customer_nor_staff_is_denied(buyer, offer):
    order = placed_order(buyer, (offer, 4))

    with pytest.raises(PermissionDenied):
        cancel_order(order=order, actor=UserFactory())

    assert Order.objects.get(pk=order.pk).state == State.NEW
    assert stock(offer) == 6


def test_manager_cancels_an_assembled_order(buyer, offer):
    order = placed_order(buyer, (offer, 4), state=State.ASSEMBLED)

    cancel_order(order=order, actor=ManagerFactory(), reason="out of paper")

    assert Order.objects.get(pk=order.pk).state == State.CANCELED
    assert stock(offer) == 10


def test_canceling_twice_returns_the_stock_once(buyer, offer):
    order = placed_order(buyer, (offer, 4))
    cancel_order(order=order, actor=buyer)

    with pytest.raises(ValidationError) as error:
        cancel_order(order=order, actor=ManagerFactory())

    assert error.value.code == "invalid_transition"
    assert stock(offer) == 10


def test_confirmation_emails_are_dropped_when_the_surrounding_transaction_rolls_back(
    buyer, offer, django_capture_on_commit_callbacks
):
    basket = basket_with(buyer, (offer, 1))

    def confirm_then_fail():
        with transaction.atomic():
            confirm_order(order=basket, customer=buyer, address="Москва", phone="+79161234567")
            raise RuntimeError("the caller failed after confirming")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        confirm_then_fail()

    assert callbacks == []
    assert mail.outbox == []
    assert_basket_unchanged(basket, [(offer.pk, 1, None)], [(offer, 10)])


@pytest.mark.django_db(transaction=True)
def test_emails_leave_once_the_confirmation_is_committed(buyer, offer):
    basket = basket_with(buyer, (offer, 1))

    order = confirm_order(order=basket, customer=buyer, address="Москва", phone="+79161234567")
    transition_order(order=order, to_state=State.CONFIRMED, actor=ManagerFactory(email=""))

    assert sorted(message.to[0] for message in mail.outbox) == [
        "anna@example.com",
        "anna@example.com",
        "svyaznoy@example.com",
    ]


# --- totals an order cannot hold --------------------------------------------------------------------


@pytest.fixture
def dear_offer():
    """An offer at the highest price a price list allows, with plenty in stock."""
    return OfferFactory(product=ProductFactory(name="Yacht"), price=Decimal("9999999999.99"), quantity=1000)


def test_confirm_order_refuses_a_total_an_order_cannot_hold_and_changes_nothing(buyer, dear_offer):
    basket = basket_with(buyer, (dear_offer, 1000))

    with pytest.raises(ValidationError) as error:
        confirm_order(order=basket, customer=buyer, address="Москва", phone="+79161234567")

    assert error.value.code == "order_total_too_large"
    assert error.value.messages == [
        "The order total 9999999999990.00 is more than an order can hold (999999999999.99): "
        "order fewer units or split the order."
    ]
    assert_basket_unchanged(basket, [(dear_offer.pk, 1000, None)], [(dear_offer, 1000)])


def test_add_to_basket_refuses_a_quantity_whose_total_an_order_cannot_hold(buyer, offer, dear_offer):
    add_to_basket(user=buyer, offer_id=offer.pk, quantity=1)

    with pytest.raises(ValidationError) as error:
        add_to_basket(user=buyer, offer_id=dear_offer.pk, quantity=101)

    assert error.value.code == "order_total_too_large"
    basket = Order.objects.get(user=buyer)
    assert list(basket.items.values_list("offer_id", "quantity")) == [(offer.pk, 1)]


def test_update_basket_item_refuses_a_quantity_whose_total_an_order_cannot_hold(buyer, dear_offer):
    add_to_basket(user=buyer, offer_id=dear_offer.pk, quantity=1)

    with pytest.raises(ValidationError) as error:
        update_basket_item(user=buyer, offer_id=dear_offer.pk, quantity=101)

    assert error.value.code == "order_total_too_large"
    assert list(OrderItem.objects.values_list("offer_id", "quantity")) == [(dear_offer.pk, 1)]


def test_cancel_returns_stock_only_up_to_the_largest_quantity_an_offer_can_hold(buyer, offer):
    order = placed_order(buyer, (offer, 2))
    Offer.objects.filter(pk=offer.pk).update(quantity=2_147_483_646)  # a price list restocked it meanwhile

    cancel_order(order=order, actor=buyer)

    assert stock(offer) == 2_147_483_647
    assert Order.objects.get(pk=order.pk).state == State.CANCELED


# --- reservations: units the partner has not acknowledged yet --------------------------------------


def stock_and_reserved(offer):
    return tuple(Offer.objects.filter(pk=offer.pk).values_list("quantity", "reserved_quantity").get())


def test_a_placed_order_holds_its_units_as_reserved_until_the_partner_acknowledges_it(buyer, offer):
    order = placed_order(buyer, (offer, 4))
    assert stock_and_reserved(offer) == (6, 4)

    transition_order(order=order, to_state=State.CONFIRMED, actor=ManagerFactory())

    # Acknowledged: the partner's own stock figures now know the sale; the units stay sold.
    assert stock_and_reserved(offer) == (6, 0)


def test_canceling_a_new_order_returns_its_units_and_its_reservation(buyer, offer, other_offer):
    order = placed_order(buyer, (offer, 4), (other_offer, 1))

    cancel_order(order=order, actor=buyer)

    assert (stock_and_reserved(offer), stock_and_reserved(other_offer)) == ((10, 0), (3, 0))


@pytest.mark.parametrize("from_state", [State.CONFIRMED, State.ASSEMBLED])
def test_canceling_an_acknowledged_order_returns_its_units_and_reserves_nothing(buyer, offer, from_state):
    order = placed_order(buyer, (offer, 4), state=from_state)

    cancel_order(order=order, actor=ManagerFactory())

    assert stock_and_reserved(offer) == (10, 0)


def test_reservations_of_several_orders_add_up_and_leave_one_by_one(buyer, offer):
    first = placed_order(buyer, (offer, 2))
    placed_order(UserFactory(), (offer, 3))
    assert stock_and_reserved(offer) == (5, 5)

    transition_order(order=first, to_state=State.CONFIRMED, actor=ManagerFactory())

    assert stock_and_reserved(offer) == (5, 3)
