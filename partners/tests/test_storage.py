"""Kept price lists live in the storage, not on a disk: the S3 paths run against moto's S3 server.

Every test here has `s3_bucket` make the default storage a fresh bucket; MEDIA_ROOT (a temporary
directory, set for every test) must stay empty, so nothing can pass by reading a local file.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import make_partner
from accounts.tests.factories import PartnerFactory
from catalog.models import Offer
from partners.models import PriceListImport
from partners.tests.test_admin import PRICE_LIST, upload, yaml_file

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


def new_partner():
    user = PartnerFactory(is_staff=True)
    make_partner(user=user)
    return user


@pytest.fixture
def partner():
    return new_partner()


def local_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_api_upload_keeps_the_file_in_the_bucket_and_imports_it_from_there(s3_bucket, settings, partner):
    client = APIClient()
    client.force_authenticate(partner)

    response = client.post("/partner_update/", {"file": yaml_file(PRICE_LIST)}, format="multipart")

    assert response.status_code == 200, response.json()
    record = PriceListImport.objects.get()
    assert record.status == PriceListImport.Status.SUCCEEDED
    assert s3_bucket.keys() == [record.file.name]
    assert record.file.name.startswith("price-lists/")
    assert record.file.name.endswith("/prices.yaml")
    assert s3_bucket.read(record.file.name) == PRICE_LIST.encode()
    assert Offer.objects.filter(shop=record.shop).count() == 2
    assert local_files(settings) == []


def test_two_uploads_of_the_same_name_keep_two_objects(s3_bucket, partner):
    client = APIClient()
    client.force_authenticate(partner)

    for _ in range(2):
        client.post("/partner_update/?dry_run=1", {"file": yaml_file(PRICE_LIST)}, format="multipart")

    names = list(PriceListImport.objects.order_by("pk").values_list("file", flat=True))
    assert len(set(names)) == 2
    assert s3_bucket.keys() == sorted(names)


def test_admin_preview_and_apply_read_the_kept_file_from_the_bucket(client, s3_bucket, settings, partner):
    client.force_login(partner)

    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)
    preview = PriceListImport.objects.get()
    applied = client.post(
        reverse("admin:partners_pricelistimport_preview", args=[preview.pk]), {"apply": "1"}
    )

    record = PriceListImport.objects.exclude(pk=preview.pk).get()
    assert applied.status_code == 302
    assert (preview.status, preview.is_dry_run) == (PriceListImport.Status.SUCCEEDED, True)
    assert (record.status, record.created_count) == (PriceListImport.Status.SUCCEEDED, 2)
    assert s3_bucket.keys() == sorted([preview.file.name, record.file.name])
    assert s3_bucket.read(record.file.name) == PRICE_LIST.encode()
    assert local_files(settings) == []


def test_admin_download_streams_the_object_to_its_partner_only(client, s3_bucket, partner):
    client.force_login(partner)
    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)
    record = PriceListImport.objects.get()
    url = reverse("admin:partners_pricelistimport_download", args=[record.pk])

    download = client.get(url)
    client.force_login(new_partner())
    foreign = client.get(url)

    assert download.status_code == 200
    assert download.streaming
    assert download["Content-Disposition"] == 'attachment; filename="prices.yaml"'
    assert download["Content-Length"] == str(len(PRICE_LIST.encode()))
    assert b"".join(download.streaming_content) == PRICE_LIST.encode()
    assert foreign.status_code == 404


def test_admin_download_of_an_object_gone_from_the_bucket_is_a_404_not_a_500(client, s3_bucket, partner):
    client.force_login(partner)
    upload(client, reverse("admin:partners_pricelistimport_upload_price_list"), PRICE_LIST)
    record = PriceListImport.objects.get()
    s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key=record.file.name)

    response = client.get(reverse("admin:partners_pricelistimport_download", args=[record.pk]))

    assert response.status_code == 404
