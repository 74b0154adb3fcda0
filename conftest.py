"""Cross-app test fixtures and markers."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from config.celery import app as celery_app


def pytest_collection_modifyitems(config, items):
    if connection.vendor != "postgresql":
        skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL to run it")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "var" / "demo-credentials.txt"
    # Tests assert the source (English) messages; Russian pages are tested with Accept-Language: ru.
    settings.LANGUAGE_CODE = "en"
    # The Celery app reads its configuration once, on first use; a Django setting changed per test
    # works only if it happens to come first. Set the app itself, so tasks run in-process even when the
    # developer's environment names a broker. Tests that need a queue switch this off themselves.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Local memory whatever DEBUG_FLAG or CACHE_URL the environment sets, so the suite (its query counts
    # above all) does not depend on it; tests of the shared caches configure them themselves.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(
            settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "10000/min"
        ),
    }
    cache.clear()


# Each app grants the "Partners" group its own admin permissions from a migration (accounts only
# creates the group); these are those migrations.
PARTNER_PERMISSION_MIGRATIONS = (
    ("catalog", "catalog.migrations.0007_partners_group_permissions"),
    ("partners", "partners.migrations.0007_partners_group_permissions"),
    ("orders", "orders.migrations.0003_partners_group_permissions"),
)


@pytest.fixture
def partners_group(db):
    """The "Partners" group as the migrations make it. A transactional test's flush empties the tables
    (Django puts the permissions back, not the group), so tests that need it ask for it here."""
    import importlib

    from django.contrib.auth.models import Group, Permission

    from accounts.partner_permissions import PARTNERS_GROUP

    group, _created = Group.objects.get_or_create(name=PARTNERS_GROUP)
    for app_label, module in PARTNER_PERMISSION_MIGRATIONS:
        codenames = importlib.import_module(module).CODENAMES
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
    return group


@pytest.fixture
def admin_partner(partners_group):
    """A partner who signs in to the admin (staff, in the "Partners" group)."""
    from accounts.tests.factories import PartnerFactory

    return PartnerFactory(admin_access=True)
