"""The cache throttles count in is shared by every web process: Redis, else the database; memory only
with DEBUG on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.test import RequestFactory

from config.api.throttling import LoginThrottle
from config.models import CACHE_TABLE

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "SECRET_KEY": "prod-Qm3v8Zt1xW6nR2pL9kY4sD7fH0jC5bN8aE1gU6iO3rT9yV2w",
    "DEBUG_FLAG": "False",
    "ALLOWED_HOSTS": "procurement.example.com,testserver",
}


def run_shell(code: str, **environment: str) -> subprocess.CompletedProcess:
    """`manage.py shell -c code` in a fresh process: settings read from exactly this environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CACHE_URL", "DEBUG", "DEBUG_FLAG", "NUM_PROXIES", "TRUSTED_PROXIES"}
        and not key.startswith(("THROTTLE_", "SECURE_", "CELERY_", "LOGIN_"))
    }
    env.update(environment, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", textwrap.dedent(code)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_in_a_fresh_process(**environment: str) -> dict:
    result = run_shell(
        """
        import json
        from django.conf import settings
        print(json.dumps({
            "cache": settings.CACHES["default"],
            "throttles": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"],
            "rates": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "num_proxies": settings.NUM_PROXIES,
            "trusted_proxies": settings.TRUSTED_PROXIES,
            "backends": settings.AUTHENTICATION_BACKENDS,
        }))
        """,
        **environment,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_without_cache_url_uses_the_database_cache():
    values = settings_in_a_fresh_process(**PRODUCTION_ENV)

    assert values["cache"] == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }


def test_production_defaults_throttle_users_and_trust_no_forwarded_header():
    values = settings_in_a_fresh_process(**PRODUCTION_ENV)

    assert values["throttles"] == ["config.api.throttling.AnonThrottle", "config.api.throttling.UserThrottle"]
    assert values["rates"] == {
        "anon": "120/min",
        "user": "600/min",
        "login": "10/min",
        "register": "10/hour",
        "password_reset": "5/hour",
    }
    assert (values["num_proxies"], values["trusted_proxies"]) == (0, [])
    assert values["backends"] == ["accounts.backends.LoginLimitBackend"]


def test_cache_url_selects_redis_with_short_timeouts():
    values = settings_in_a_fresh_process(**PRODUCTION_ENV, CACHE_URL="redis://127.0.0.1:6379/7")

    assert values["cache"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/7",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }


def test_debug_without_cache_url_keeps_local_memory():
    values = settings_in_a_fresh_process(**{**PRODUCTION_ENV, "DEBUG_FLAG": "True"})

    assert values["cache"] == {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def test_proxy_settings_are_read_from_the_environment():
    values = settings_in_a_fresh_process(
        **PRODUCTION_ENV, NUM_PROXIES="2", TRUSTED_PROXIES="10.0.0.0/8,192.168.1.1", THROTTLE_USER="50/min"
    )

    assert (values["num_proxies"], values["trusted_proxies"]) == (2, ["10.0.0.0/8", "192.168.1.1"])
    assert values["rates"]["user"] == "50/min"


def test_a_mistyped_trusted_proxy_stops_the_start_up_with_its_name():
    result = run_shell("print('started')", **PRODUCTION_ENV, TRUSTED_PROXIES="10.0.0.0/33")

    assert result.returncode == 1
    assert "TRUSTED_PROXIES: '10.0.0.0/33' is not an IP address or network" in result.stderr


@pytest.mark.django_db
def test_two_database_cache_clients_share_the_login_count(settings):
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = []
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "3/min"},
    }
    first_process_cache = DatabaseCache(CACHE_TABLE, {})
    second_process_cache = DatabaseCache(CACHE_TABLE, {})
    request = RequestFactory().post("/get_token/", REMOTE_ADDR="203.0.113.4")

    def allowed(cache) -> bool:
        throttle = LoginThrottle()
        throttle.cache = cache
        return throttle.allow_request(request, view=None)

    assert [allowed(first_process_cache), allowed(first_process_cache)] == [True, True]
    assert [allowed(second_process_cache), allowed(second_process_cache)] == [True, False]
    assert [allowed(first_process_cache)] == [False]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_with_production_settings_share_the_login_throttle():
    database = connection.settings_dict
    environment = {
        **PRODUCTION_ENV,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
            f"/{database['NAME']}"
        ),
        "THROTTLE_LOGIN": "3/min",
        "LOG_LEVEL": "ERROR",
    }
    if database.get("PASSWORD"):
        environment["DATABASE_URL"] = environment["DATABASE_URL"].replace(
            f"{database['USER']}@", f"{database['USER']}:{database['PASSWORD']}@"
        )
    code = """
        import json
        from django.test import Client
        client = Client(REMOTE_ADDR="203.0.113.8")
        print(json.dumps([
            client.post(
                "/get_token/",
                {"username": f"nobody-{n}", "password": "x"},
                content_type="application/json",
                secure=True,
            ).status_code
            for n in range(2)
        ]))
    """

    first, second = run_shell(code, **environment), run_shell(code, **environment)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert json.loads(first.stdout.strip().splitlines()[-1]) == [401, 401]
    assert json.loads(second.stdout.strip().splitlines()[-1]) == [401, 429]
