"""Cross-app test fixtures and markers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

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


@pytest.fixture
def partners_group(db):
    """The "Partners" group as the migrations make it. A transactional test's flush empties the tables
    (Django puts the permissions back, not the group), so tests that need it ask for it here.

    Each app grants the group its own admin permissions from migrations that name them in `CODENAMES`
    (accounts only creates the group): every such migration on disk is read.
    """
    import importlib

    from django.contrib.auth.models import Group, Permission
    from django.db.migrations.loader import MigrationLoader

    from accounts.partner_permissions import PARTNERS_GROUP

    group, _created = Group.objects.get_or_create(name=PARTNERS_GROUP)
    migrations = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    for (app_label, _name), migration in migrations.items():
        codenames = getattr(importlib.import_module(migration.__module__), "CODENAMES", None)
        if codenames:
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )
    return group


@pytest.fixture
def admin_partner(partners_group):
    """A partner who signs in to the admin (staff, in the "Partners" group)."""
    from accounts.tests.factories import PartnerFactory

    return PartnerFactory(admin_access=True)


# --- S3: moto's server, started once per session on a free port of the loopback --------------------


@dataclass(frozen=True)
class S3Bucket:
    """A bucket on the session's S3 server, and the environment that points a process at it."""

    name: str
    endpoint_url: str
    client: Any

    @property
    def environment(self) -> dict[str, str]:
        """What `MEDIA_STORAGE=s3` reads: given to worker and web processes the tests start."""
        return {
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": self.name,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": S3_REGION,
            "AWS_ACCESS_KEY_ID": "test-access-key",
            "AWS_SECRET_ACCESS_KEY": "test-secret-key",
            "AWS_S3_ADDRESSING_STYLE": "path",
        }

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


S3_REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server (moto[server], a test dependency) in a thread of the session: its endpoint URL.

    Worker processes started by tests reach it over HTTP like a real store, so nothing they share
    with the test process but the network can make a storage test pass.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server, settings):
    """The default storage is a fresh, empty bucket on the S3 server, configured as MEDIA_STORAGE=s3 is."""
    import boto3

    from config.env import s3_storage_settings

    bucket = S3Bucket(
        name=f"test-{uuid.uuid4().hex[:16]}",
        endpoint_url=s3_server,
        client=boto3.client(
            "s3",
            endpoint_url=s3_server,
            region_name=S3_REGION,
            aws_access_key_id="test-access-key",
            aws_secret_access_key="test-secret-key",
        ),
    )
    bucket.client.create_bucket(Bucket=bucket.name)
    for name, value in s3_storage_settings(bucket.environment).items():
        setattr(settings, name, value)
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    return bucket
