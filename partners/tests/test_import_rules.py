"""The import's two rules about time: the stock rule (orders the partner has not acknowledged) and
"the newest upload of a shop wins"."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.models import Offer
from orders.models import Order
from orders.services import add_to_basket, confirm_order, transition_order
from partners.importing.workflow import create_price_list_import, run_price_list_import
from partners.models import PriceListImport
from partners.tests.data_files import DATA

pytestmark = pytest.mark.django_db

SMALL = (DATA / "good" / "small.yaml").read_bytes()  # 101: quantity 25, 103: quantity 7
SMALL_CHANGED = (DATA / "good" / "small_changed.yaml").read_bytes()  # 103: quantity 3


def upload(partner, content: bytes, *, dry_run: bool = False) -> PriceListImport:
    return create_price_list_import(
        partner=partner, content=content, file_name="price.yaml", source="api", dry_run=dry_run
    )


def run(record: PriceListImport) -> PriceListImport:
    return run_price_list_import(price_list_import=record)


def place_order(external_id: str, quantity: int) -> Order:
    customer = UserFactory()
    offer = Offer.objects.get(external_id=external_id)
    basket = add_to_basket(user=customer, offer_id=offer.pk, quantity=quantity)
    return confirm_order(order=basket, customer=customer, address="Пермь, Ленина 1", phone="+79161234567")


def stock(external_id: str) -> tuple[int, int]:
    return tuple(
        Offer.objects.filter(external_id=external_id).values_list("quantity", "reserved_quantity").get()
    )


# --- The stock rule -------------------------------------------------------------------------------


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


# --- The newest upload wins -----------------------------------------------------------------------


def test_an_older_upload_run_after_a_newer_one_is_superseded_and_changes_nothing():
    partner = PartnerFactory()
    run(upload(partner, SMALL))
    older = upload(partner, SMALL.replace(b"price: 349.90", b"price: 100"))
    newer = upload(partner, SMALL.replace(b"price: 349.90", b"price: 200"))

    assert run(newer).status == "succeeded"
    older = run(older)

    assert (older.status, older.superseded_by) == ("superseded", newer)
    assert older.finished_at is not None
    assert str(Offer.objects.get(external_id="101").price) == "200.00"


def test_an_older_upload_waiting_to_run_again_is_marked_superseded_when_a_newer_one_is_applied():
    partner = PartnerFactory()
    shop = run(upload(partner, SMALL)).shop
    older = upload(partner, SMALL_CHANGED)
    # It ran once and was interrupted: it knows its shop and waits for its next attempt.
    PriceListImport.objects.filter(pk=older.pk).update(shop=shop, attempts=1)
    newer = run(upload(partner, SMALL))

    older.refresh_from_db()
    assert (older.status, older.superseded_by) == ("superseded", newer)
    assert run(older).status == "superseded"
    assert stock("103") == (7, 0)


def test_uploads_in_order_each_apply_and_previews_are_never_superseded():
    partner = PartnerFactory()
    first = run(upload(partner, SMALL))
    preview = upload(partner, SMALL_CHANGED, dry_run=True)
    second = run(upload(partner, SMALL_CHANGED))

    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert run(preview).status == "succeeded"
    assert stock("103") == (3, 0)


def test_the_api_and_the_admin_show_which_upload_superseded_an_import(client):
    api_client = APIClient()
    partner = PartnerFactory()
    run(upload(partner, SMALL))
    older = upload(partner, SMALL_CHANGED)
    newer = run(upload(partner, SMALL))
    run(older)
    manager = ManagerFactory()
    client.force_login(manager)
    api_client.force_authenticate(manager)

    api = api_client.get(f"/partner_update/{older.pk}/").json()
    page = client.get(reverse("admin:partners_pricelistimport_change", args=[older.pk])).content.decode()

    assert (api["status"], api["superseded_by"]) == ("superseded", newer.pk)
    assert reverse("admin:partners_pricelistimport_change", args=[newer.pk]) in page
