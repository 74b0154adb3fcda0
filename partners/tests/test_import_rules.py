"""The newest upload of a shop wins: an older import is superseded, never applied after a newer one.

(The stock rule, which involves orders, is tested in orders/tests/test_stock_rule.py.)"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import ManagerFactory, PartnerFactory
from catalog.models import Offer
from partners.models import PriceListImport, StagedOffer
from partners.tests.data_files import SMALL, SMALL_CHANGED
from partners.tests.importing import run, stock, upload

pytestmark = pytest.mark.django_db


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


def test_one_bad_good_after_a_full_staging_batch_fails_the_import_with_its_line_and_stages_nothing():
    """The parser hands goods to staging as it reads them: a good with a missing price must never reach it."""
    goods = "".join(
        f"  - id: {number}\n    category: 1\n    name: Товар {number}\n    price: 10\n    quantity: 1\n"
        for number in range(4999)
    )
    bad = "  - id: bad\n    category: 1\n    name: Без цены\n    quantity: 1\n"
    content = ("shop: Лавка\ncategories:\n  - id: 1\n    name: Чай\ngoods:\n" + goods + bad).encode()

    record = run(upload(PartnerFactory(), content))

    assert record.status == PriceListImport.Status.FAILED
    assert [(error["path"], error["line"]) for error in record.errors] == [
        ("goods[4999].price", 5 + 4999 * 5 + 1)
    ]
    assert not Offer.objects.exists()
    assert not StagedOffer.objects.exists()
