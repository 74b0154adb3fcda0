"""Production is secure by default: only SECRET_KEY and ALLOWED_HOSTS set, `check --deploy` is clean."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from django.core import checks
from django.test import override_settings

from config.tests.servers import (
    BASE_DIR,
    PRODUCTION_HOST,
    PRODUCTION_SECRET_KEY,
    production_environment,
)


def security_check_ids() -> set[str]:
    return {
        message.id
        for message in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    }


def test_generated_development_secret_is_flagged_by_deploy_checks():
    with override_settings(SECRET_KEY="django-insecure-dev-" + "x1Y2z3" * 8, DEBUG=False):
        assert "security.W009" in security_check_ids()


def test_a_long_random_secret_passes_the_secret_check():
    with override_settings(SECRET_KEY=PRODUCTION_SECRET_KEY, DEBUG=False):
        assert "security.W009" not in security_check_ids()


@pytest.fixture
def production(tmp_path):
    """The environment of a production machine: SECRET_KEY, ALLOWED_HOSTS and a database, nothing else."""
    return production_environment(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")


def run_deploy_check(environment: dict[str, str]) -> subprocess.CompletedProcess:
    """`manage.py check --deploy --fail-level WARNING` (every tag) in a fresh process."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_in_fresh_process(environment: dict[str, str], code: str) -> dict:
    """Run `code` after `django.setup()` in a new process with `environment`; it prints one JSON object."""
    script = "import json\nimport django\ndjango.setup()\n" + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


SECURITY_SETTINGS = """
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_HSTS_PRELOAD": settings.SECURE_HSTS_PRELOAD,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
}))
"""


def test_only_a_secret_key_and_host_names_pass_every_deploy_check(production):
    result = run_deploy_check(production)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_a_secret_key_the_deploy_check_of_a_deployment_fails(production):
    production["SECRET_KEY"] = ""

    result = run_deploy_check(production)

    assert result.returncode == 1
    assert "security.W009" in result.stderr
    assert "security.W018" not in result.stderr  # the host names alone turned DEBUG off


def test_with_only_a_secret_key_and_host_names_debug_is_off_and_every_protection_on(production):
    assert run_in_fresh_process(production, SECURITY_SETTINGS) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_each_protection_is_turned_off_only_by_its_own_variable(production):
    production.update(SECURE_SSL_REDIRECT="False", SECURE_HSTS_SECONDS="0", SECURE_COOKIES="False")

    assert run_in_fresh_process(production, SECURITY_SETTINGS) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_opt_in_hsts_options_and_the_proxy_header_follow_their_variables(production):
    production.update(
        SECURE_HSTS_INCLUDE_SUBDOMAINS="True", SECURE_HSTS_PRELOAD="True", BEHIND_HTTPS_PROXY="True"
    )

    values = run_in_fresh_process(production, SECURITY_SETTINGS)

    assert (values["SECURE_HSTS_INCLUDE_SUBDOMAINS"], values["SECURE_HSTS_PRELOAD"]) == (True, True)
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert run_deploy_check(production).returncode == 0


def test_with_no_variables_at_all_the_settings_are_for_development_over_plain_http(production):
    for name in ("SECRET_KEY", "ALLOWED_HOSTS"):
        del production[name]

    assert run_in_fresh_process(production, SECURITY_SETTINGS) == {
        "DEBUG": True,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_in_production_probes_answer_over_plain_http_and_the_rest_is_sent_to_https(production):
    answers = run_in_fresh_process(
        production,
        f"""
        from django.core.management import call_command
        from django.test import Client
        call_command("migrate", verbosity=0)  # a deployed database: the cache table is there too
        client = Client()
        answers = {{}}
        for path in ("/healthz", "/readyz"):
            response = client.get(path, HTTP_HOST="10.0.0.7")
            answers[path] = [response.status_code, response.json()["status"]]
        response = client.get("/user/?page=2", HTTP_HOST="{PRODUCTION_HOST}")
        answers["http"] = [response.status_code, response["Location"]]
        response = client.get("/user/", HTTP_HOST="{PRODUCTION_HOST}", secure=True)
        answers["https"] = [response.status_code, response["Strict-Transport-Security"]]
        print(json.dumps(answers))
        """,
    )

    assert answers == {
        "/healthz": [200, "ok"],
        "/readyz": [200, "ok"],
        "http": [301, f"https://{PRODUCTION_HOST}/user/?page=2"],
        "https": [401, "max-age=31536000"],
    }


def test_a_proxy_claiming_https_that_is_not_trusted_is_named_once_while_the_redirect_loops(
    client, settings, caplog
):
    settings.SECURE_SSL_REDIRECT = True

    first = client.get("/user/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.0.0.9")
    second = client.get("/user/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.0.0.9")

    assert (first.status_code, second.status_code) == (301, 301)
    [record] = [record for record in caplog.records if record.name == "procurement.security"]
    assert record.levelname == "ERROR"
    assert record.getMessage().startswith(
        "HTTPS redirect loop: 10.0.0.9 sent X-Forwarded-Proto: https but is not a trusted proxy"
    )
    assert "FORWARDED_ALLOW_IPS" in record.getMessage()


def test_a_trusted_https_proxy_is_not_redirected_and_not_reported(client, settings, caplog):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    response = client.get("/user/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 401
    assert [record for record in caplog.records if record.name == "procurement.security"] == []
