"""Offer exports above ADMIN_EXPORT_BACKGROUND_ROWS run as a task: a progress page, then a download link;
the partner's visibility holds when the file is built and when it is downloaded."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.services import make_partner
from accounts.tests.factories import ManagerFactory, PartnerFactory
from catalog.models import Offer
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from config.exports import build_admin_export, delete_expired_exports
from config.models import AdminExport

pytestmark = pytest.mark.django_db

EXPORT_URL = "admin:catalog_offer_export"
HEADER = [
    "id",
    "shop",
    "external_id",
    "product",
    "category",
    "model",
    "price",
    "recommended_price",
    "quantity",
    "is_active",
    "updated_at",
]


def new_partner():
    user = PartnerFactory(is_staff=True)
    make_partner(user=user)
    return user


@pytest.fixture(autouse=True)
def _small_threshold(settings):
    settings.ADMIN_EXPORT_BACKGROUND_ROWS = 2


@pytest.fixture
def partner():
    return new_partner()


@pytest.fixture
def shop(partner):
    return ShopFactory(name="Связной", owner=partner)


@pytest.fixture
def offers(shop):
    other = ShopFactory(name="Евросеть", owner=new_partner())
    ours = [
        OfferFactory(
            shop=shop, product=ProductFactory(name=f"Телефон {number}"), price=Decimal("100.50") + number
        )
        for number in range(3)
    ]
    # A partner-written name that a spreadsheet would otherwise take for a formula.
    ours.append(OfferFactory(shop=shop, product=ProductFactory(name='=HYPERLINK("http://evil.example")')))
    theirs = [OfferFactory(shop=other) for _ in range(2)]
    return {"ours": ours, "theirs": theirs}


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())  # Excel reads the Cyrillic as UTF-8 thanks to it
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def start_export(client, file_format: str, query: str = ""):
    return client.post(reverse(EXPORT_URL) + query, {"format": file_format, "resource": "0"})


def test_a_large_csv_export_runs_as_a_task_and_its_download_matches_the_offers(client, offers):
    client.force_login(ManagerFactory())

    response = start_export(client, "0")

    export = AdminExport.objects.get()
    job_url = reverse("admin:catalog_offer_export_job", args=[export.pk])
    assert response.status_code == 302
    assert response["Location"] == job_url
    assert (export.status, export.rows_total, export.rows_done, export.file_format) == (
        "succeeded",
        6,
        6,
        "csv",
    )
    page = client.get(job_url).content.decode()
    download_url = reverse("admin:catalog_offer_export_download", args=[export.pk])
    assert download_url in page
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="Offer-')
    rows = csv_rows(b"".join(download.streaming_content))
    assert rows[0] == HEADER
    expected = {
        (
            str(offer.pk),
            offer.shop.name,
            offer.external_id,
            offer.product.name,
            str(offer.price),
            str(offer.quantity),
        )
        for offer in Offer.objects.select_related("shop", "product")
    }
    assert {(row[0], row[1], row[2], row[3], row[6], row[8]) for row in rows[1:]} == expected


def test_a_large_xlsx_export_keeps_native_values_and_never_writes_a_formula(client, offers):
    client.force_login(ManagerFactory())

    start_export(client, "1")

    export = AdminExport.objects.get()
    download = client.get(reverse("admin:catalog_offer_export_download", args=[export.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert sheet["A1"].font.bold
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == set(Offer.objects.values_list("pk", flat=True))
    offer = offers["ours"][1]
    assert by_id[offer.pk][6] == 101.5  # a number in the sheet, not text
    assert by_id[offer.pk][8] == offer.quantity
    formula = offers["ours"][3]
    cell = next(row for row in sheet.iter_rows() if row[0].value == formula.pk)[3]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil.example")', "s")


def test_a_partners_background_export_holds_its_own_offers_only(client, partner, offers):
    client.force_login(partner)

    start_export(client, "0")

    export = AdminExport.objects.get()
    rows = csv_rows(
        b"".join(
            client.get(reverse("admin:catalog_offer_export_download", args=[export.pk])).streaming_content
        )
    )
    assert {int(row[0]) for row in rows[1:]} == {offer.pk for offer in offers["ours"]}


def test_another_user_can_neither_follow_nor_download_someone_elses_export(client, partner, offers):
    client.force_login(partner)
    start_export(client, "0")
    export = AdminExport.objects.get()
    client.force_login(new_partner())

    pages = [
        client.get(reverse(f"admin:catalog_offer_export_{kind}", args=[export.pk]))
        for kind in ("job", "progress", "download")
    ]
    client.force_login(ManagerFactory())
    manager_download = client.get(reverse("admin:catalog_offer_export_download", args=[export.pk]))

    assert [page.status_code for page in pages] == [404, 404, 404]
    assert manager_download.status_code == 404


def test_a_partner_that_lost_a_shop_since_the_export_cannot_download_it(client, partner, shop, offers):
    client.force_login(partner)
    start_export(client, "0")
    export = AdminExport.objects.get()
    shop.owner = new_partner()
    shop.save(update_fields=["owner"])

    response = client.get(reverse("admin:catalog_offer_export_download", args=[export.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_offer_export_job", args=[export.pk])
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "What you may see has changed since this export was made: export again."
    ]


def test_a_queued_export_shows_its_progress_until_a_worker_builds_it(
    client, offers, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(build_admin_export.app.conf, "task_always_eager", False)
    client.force_login(ManagerFactory())

    with django_capture_on_commit_callbacks(execute=False) as queued:
        start_export(client, "0", query=f"?shop__id__exact={offers['ours'][0].shop_id}")
    export = AdminExport.objects.get()
    progress_url = reverse("admin:catalog_offer_export_progress", args=[export.pk])
    waiting = client.get(progress_url).json()
    build_admin_export.apply(args=[export.pk])  # what the worker runs
    ready = client.get(progress_url).json()

    assert len(queued) == 1
    assert (waiting["status"], waiting["percent"], waiting["download_url"]) == ("pending", 0, None)
    assert waiting["rows_total"] == 4
    assert (ready["status"], ready["rows_done"], ready["percent"], ready["is_finished"]) == (
        "succeeded",
        4,
        100,
        True,
    )
    assert ready["download_url"] == reverse("admin:catalog_offer_export_download", args=[export.pk])


def test_a_small_export_is_still_written_in_the_request(client, offers, settings):
    settings.ADMIN_EXPORT_BACKGROUND_ROWS = 100
    client.force_login(ManagerFactory())

    response = start_export(client, "0")

    assert response.status_code == 200
    assert len(csv_rows(response.content)) == 7
    assert AdminExport.objects.count() == 0


def test_export_files_are_deleted_after_their_retention_and_the_page_says_so(client, offers):
    client.force_login(ManagerFactory())
    start_export(client, "0")
    export = AdminExport.objects.get()
    kept_name = export.file.name
    AdminExport.objects.filter(pk=export.pk).update(created_at=timezone.now() - timedelta(hours=25))

    deleted = delete_expired_exports(older_than=timezone.now() - timedelta(hours=24))

    export.refresh_from_db()
    assert deleted == 1
    assert (export.file.name, export.file_expired_at is not None) == ("", True)
    assert not export.file.storage.exists(kept_name)
    assert client.get(reverse("admin:catalog_offer_export_download", args=[export.pk])).status_code == 404
    page = client.get(reverse("admin:catalog_offer_export_job", args=[export.pk])).content.decode()
    assert 'id="export-expired"' in page


def test_the_export_form_lists_the_users_own_recent_exports_only(client, partner, offers):
    client.force_login(ManagerFactory())
    start_export(client, "0")
    client.force_login(partner)
    start_export(client, "1")
    own = AdminExport.objects.get(user=partner)

    page = client.get(reverse(EXPORT_URL)).content.decode()

    assert 'id="recent-exports"' in page
    assert reverse("admin:catalog_offer_export_job", args=[own.pk]) in page
    others = AdminExport.objects.exclude(pk=own.pk).get()
    assert reverse("admin:catalog_offer_export_job", args=[others.pk]) not in page
