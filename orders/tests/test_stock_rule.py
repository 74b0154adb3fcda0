"""The stock rule: an import sets an offer's quantity to the partner's reported stock less the units in
orders the partner has not acknowledged, so nothing sold is offered again (README, "Stock rule")."""

from __future__ import annotations

import pytest

from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.models import Offer
from orders.fulfilment import transition_order
from orders.models import Order
from orders.services import add_to_basket, confirm_order
from partners.tests.data_files import SMALL, SMALL_CHANGED
from partners.tests.importing import run, stock, upload

pytestmark = pytest.mark.django_db


def place_order(external_id: str, quantity: int) -> Order:
    customer = UserFactory()
    offer = Offer.objects.get(external_id=external_id)
    basket = add_to_basket(user=customer, offer_id=offer.pk, quantity=quantity)
    return confirm_order(order=basket, customer=customer, address="Пермь, Ленина 1", phone="+79161234567")


def test_an_import_subtracts_the_units_of_orders_the_partner_has_not_acknowledged():
    partner = PartnerFactory()
    run(upload(partner, SMALL))
    place_order("101", 4)
    assert stock("101") == (21, 4)
    # The partner's next file still says 25: its systems do not know the order yet.
    record = run(upload(partner, SMALL.replace(b"quantity: 25", b"quantity: 30")))

    assert record.plan["counts"] == {"created": 0, "updated": 1, "unchanged": 2, "retired": 0}
    assert record.plan["changes"][0]["old_quantity"] == 21
    assert record.plan["changes"][0]["new_quantity"] == 26
    assert stock("101") == (26, 4)


def test_the_same_file_again_after_an_order_changes_nothing_and_resells_nothing():
    partner = PartnerFactory()
    run(upload(partner, SMALL))
    place_order("101", 4)

    record = run(upload(partner, SMALL))

    assert record.plan["counts"] == {"created": 0, "updated": 0, "unchanged": 3, "retired": 0}
    assert stock("101") == (21, 4)


def test_once_acknowledged_the_order_is_the_partners_to_count_and_its_file_is_taken_as_is():
    partner = PartnerFactory()
    run(upload(partner, SMALL))
    order = place_order("101", 4)
    transition_order(order=order, to_state=Order.State.CONFIRMED, actor=ManagerFactory())
    assert stock("101") == (21, 0)

    run(upload(partner, SMALL.replace(b"quantity: 25", b"quantity: 21")))

    assert stock("101") == (21, 0)


def test_reserved_units_beyond_the_reported_stock_leave_nothing_on_sale():
    partner = PartnerFactory()
    run(upload(partner, SMALL))
    place_order("103", 6)

    run(upload(partner, SMALL_CHANGED))  # reports 3 units of 103, while 6 are still unacknowledged

    assert stock("103") == (0, 6)


def test_a_preview_shows_the_quantity_the_stock_rule_will_set():
    partner = PartnerFactory()
    run(upload(partner, SMALL))
    place_order("103", 2)

    preview = run(upload(partner, SMALL_CHANGED, dry_run=True))

    change = next(change for change in preview.plan["changes"] if change["external_id"] == "103")
    assert (change["old_quantity"], change["new_quantity"]) == (5, 1)
    assert stock("103") == (5, 2)
