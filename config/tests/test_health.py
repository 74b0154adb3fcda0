"""`/healthz` answers without the database; `/readyz` names the dependency that is down."""

from __future__ import annotations

import socket

import pytest
from django.db import connections
from django.db.utils import OperationalError


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query here would raise.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_paths_ignore_allowed_hosts_and_https_redirect(client, settings):
    settings.ALLOWED_HOSTS = ["procurement.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/healthz", HTTP_HOST="10.0.0.7")

    assert response.status_code == 200
    assert client.get("/admin/", HTTP_HOST="10.0.0.7").status_code == 400


@pytest.mark.django_db
def test_readyz_is_ready_when_database_answers_and_tasks_run_eagerly(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "cache": "ok", "storage": "ok"},
    }


@pytest.mark.django_db
def test_readyz_fails_with_503_naming_the_broker_when_its_port_is_closed(client, settings):
    settings.CELERY_BROKER_URL = f"redis://:not-logged@127.0.0.1:{closed_port()}/10"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "unavailable", "cache": "ok", "storage": "ok"},
    }
    assert b"not-logged" not in response.content


@pytest.mark.django_db
def test_readyz_fails_with_503_naming_the_database_when_it_cannot_query(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "broker": "ok", "cache": "ok", "storage": "ok"},
    }


@pytest.mark.django_db
def test_readyz_is_ready_on_the_database_cache_that_migrate_created(client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}
    }

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_readyz_fails_with_503_naming_the_cache_when_redis_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/7",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "ok", "cache": "unavailable", "storage": "ok"},
    }


@pytest.mark.django_db
@pytest.mark.s3
def test_readyz_reads_the_bucket_and_writes_its_probe_only_once(client, settings, s3_bucket):
    settings.CELERY_BROKER_URL = ""

    first = client.get("/readyz")
    second = client.get("/readyz")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["checks"]["storage"] == "ok"
    assert s3_bucket.keys() == ["health/readyz-probe.txt"]


@pytest.mark.django_db
@pytest.mark.s3
def test_readyz_fails_with_503_naming_the_storage_when_the_bucket_is_unreachable(client, settings, s3_bucket):
    settings.CELERY_BROKER_URL = ""
    settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{closed_port()}"
    settings.STORAGES = {**settings.STORAGES}  # a new storage object, for the new endpoint

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "ok", "cache": "ok", "storage": "unavailable"},
    }


@pytest.mark.django_db
def test_readyz_fails_naming_the_storage_when_media_root_cannot_be_written(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = ""
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the media directory should be")
    settings.MEDIA_ROOT = blocked / "media"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "unavailable"
