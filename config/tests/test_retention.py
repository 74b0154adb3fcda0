"""The beat task of retention: each kind of kept file after its own time, none when the time is 0."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import make_partner
from accounts.tests.factories import PartnerFactory
from config.models import AdminExport
from config.tasks import delete_expired_files
from partners.models import PriceListImport
from partners.tests.test_admin import PRICE_LIST, yaml_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_files():
    partner = PartnerFactory(is_staff=True)
    make_partner(user=partner)
    client = APIClient()
    client.force_authenticate(partner)
    client.post("/partner_update/", {"file": yaml_file(PRICE_LIST)}, format="multipart")
    export = AdminExport.objects.create(user=partner, model_label="catalog.offer", file_format="csv")
    export.file.save("exports/old.csv", ContentFile(b"id\n"))
    PriceListImport.objects.update(created_at=timezone.now() - timedelta(days=91))
    AdminExport.objects.update(created_at=timezone.now() - timedelta(hours=25))


def test_the_task_deletes_price_lists_after_the_days_and_exports_after_the_hours(old_files, settings):
    settings.MEDIA_RETENTION_DAYS = 90
    settings.ADMIN_EXPORT_RETENTION_HOURS = 24

    assert delete_expired_files() == {"price_lists": 1, "exports": 1}
    assert delete_expired_files() == {"price_lists": 0, "exports": 0}


def test_zero_keeps_every_file_of_that_kind(old_files, settings):
    settings.MEDIA_RETENTION_DAYS = 0
    settings.ADMIN_EXPORT_RETENTION_HOURS = 0

    assert delete_expired_files() == {"price_lists": 0, "exports": 0}
    assert PriceListImport.objects.filter(file_expired_at__isnull=True).count() == 1
    assert AdminExport.objects.filter(file_expired_at__isnull=True).count() == 1
