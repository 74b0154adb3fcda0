"""Kept price-list files are deleted after MEDIA_RETENTION_DAYS; the import records stay and say so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import make_partner
from accounts.tests.factories import PartnerFactory
from catalog.models import Offer
from partners.models import PriceListImport
from partners.retention import expire_price_list_files
from partners.tests.test_admin import PRICE_LIST, upload, yaml_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    user = PartnerFactory(is_staff=True)
    make_partner(user=user)
    return user


def delete_expired_files() -> int:
    """What the beat task does with the default MEDIA_RETENTION_DAYS (90)."""
    return expire_price_list_files(older_than=timezone.now() - timedelta(days=90))


def age(record: PriceListImport, *, days: int) -> None:
    PriceListImport.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=days))


def api_upload(partner, *, dry_run: bool = False) -> PriceListImport:
    client = APIClient()
    client.force_authenticate(partner)
    query = "?dry_run=1" if dry_run else ""
    response = client.post(f"/partner_update/{query}", {"file": yaml_file(PRICE_LIST)}, format="multipart")
    return PriceListImport.objects.get(pk=response.json()["id"])


def test_finished_imports_older_than_the_retention_lose_their_file_and_keep_their_record(partner):
    old, recent = api_upload(partner), api_upload(partner)
    age(old, days=91)
    age(recent, days=89)
    old_name = old.file.name

    deleted = delete_expired_files()

    old.refresh_from_db()
    recent.refresh_from_db()
    assert deleted == 1
    assert (old.file.name, old.status, old.created_count) == ("", "succeeded", 2)
    assert old.file_expired_at is not None
    assert not old.file.storage.exists(old_name)
    assert (recent.file_expired_at, recent.file.storage.exists(recent.file.name)) == (None, True)
    assert delete_expired_files() == 0


def test_an_import_still_waiting_for_a_worker_keeps_its_file_whatever_its_age(partner, settings):
    record = api_upload(partner)
    PriceListImport.objects.filter(pk=record.pk).update(
        status=PriceListImport.Status.PENDING, created_at=timezone.now() - timedelta(days=400)
    )

    assert delete_expired_files() == 0

    record.refresh_from_db()
    assert record.file_expired_at is None
    assert record.file.storage.exists(record.file.name)


def test_admin_and_api_say_the_file_was_deleted_instead_of_linking_to_it(client, partner):
    record = api_upload(partner)
    age(record, days=91)
    delete_expired_files()
    record.refresh_from_db()
    client.force_login(partner)
    api = APIClient()
    api.force_authenticate(partner)

    page = client.get(reverse("admin:partners_pricelistimport_change", args=[record.pk])).content.decode()
    download = client.get(reverse("admin:partners_pricelistimport_download", args=[record.pk]))
    body = api.get(f"/partner_update/{record.pk}/").json()

    assert reverse("admin:partners_pricelistimport_download", args=[record.pk]) not in page
    assert "Deleted on" in page
    assert "files are kept 90 days after their upload" in page
    assert download.status_code == 404
    assert body["file_expired_at"] is not None
    assert (body["status"], body["file_name"]) == ("succeeded", "prices.yaml")


def test_applying_a_preview_whose_file_expired_says_so_and_changes_nothing(client, partner):
    client.force_login(partner)
    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)
    preview = PriceListImport.objects.get()
    age(preview, days=91)
    delete_expired_files()

    response = client.post(
        reverse("admin:partners_pricelistimport_preview", args=[preview.pk]), {"apply": "1"}, follow=True
    )

    assert "The file of this preview was deleted after the retention period; upload it again." in (
        response.content.decode()
    )
    assert PriceListImport.objects.count() == 1
    assert Offer.objects.count() == 0
