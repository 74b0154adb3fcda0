"""`check --deploy` is clean with production values and flags the generated development secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core import checks
from django.test import override_settings

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "SECRET_KEY": "prod-Qm3v8Zt1xW6nR2pL9kY4sD7fH0jC5bN8aE1gU6iO3rT9yV2w",
    "DEBUG_FLAG": "False",
    "ALLOWED_HOSTS": "procurement.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://procurement.example.com",
    "BEHIND_HTTPS_PROXY": "True",
    "SECURE_SSL_REDIRECT": "True",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
    "SECURE_HSTS_PRELOAD": "True",
}


def security_check_ids() -> set[str]:
    return {
        message.id
        for message in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    }


def test_generated_development_secret_is_flagged_by_deploy_checks():
    with override_settings(SECRET_KEY="django-insecure-dev-" + "x1Y2z3" * 8, DEBUG=False):
        assert "security.W009" in security_check_ids()


def test_a_long_random_secret_passes_the_secret_check():
    with override_settings(SECRET_KEY=PRODUCTION_ENV["SECRET_KEY"], DEBUG=False):
        assert "security.W009" not in security_check_ids()


def run_security_deploy_check(environment: dict[str, str]) -> subprocess.CompletedProcess:
    """`manage.py check --deploy` (security tag, warnings fail) in a fresh process with this environment."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "security", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_environment_passes_the_security_deploy_checks():
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in PRODUCTION_ENV and not key.startswith(("SECURE_", "CELERY_"))
    }
    environment.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="config.settings")

    result = run_security_deploy_check(environment)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_a_secret_key_in_production_the_deploy_check_fails():
    environment = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV}
    environment.update({**PRODUCTION_ENV, "SECRET_KEY": ""}, DJANGO_SETTINGS_MODULE="config.settings")

    result = run_security_deploy_check(environment)

    assert result.returncode == 1
    assert "security.W009" in result.stderr
