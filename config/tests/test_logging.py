"""Each request logs one JSON line with its id, user and duration; secrets never reach the log."""

from __future__ import annotations

import io
import json
import logging

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from config.logging import JsonFormatter, RedactSecretsFilter, RequestContextFilter, redact_text

SECRET_TOKEN = "8f2a9c3e5b7d1f4a6c8e0b2d4f6a8c0e"


@pytest.fixture
def log_lines():
    """What the production console handler would print, as parsed JSON objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level = root.level
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(previous_level)


def request_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "procurement.request"]


def test_request_is_logged_as_one_json_line_with_the_callers_request_id(client, log_lines):
    response = client.get("/healthz-missing/", HTTP_X_REQUEST_ID="lb-1234.abc")

    assert response["X-Request-ID"] == "lb-1234.abc"
    [line] = request_lines(log_lines())
    assert line["request_id"] == "lb-1234.abc"
    assert (line["method"], line["path"], line["status"], line["user_id"]) == (
        "GET",
        "/healthz-missing/",
        404,
        None,
    )
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"


def test_an_unsafe_incoming_request_id_is_replaced_by_a_generated_one(client, log_lines):
    response = client.get("/nothing/", HTTP_X_REQUEST_ID="bad id\nforged line")

    generated = response["X-Request-ID"]
    assert len(generated) == 32
    assert int(generated, 16) >= 0
    [line] = request_lines(log_lines())
    assert line["request_id"] == generated


@pytest.mark.django_db
def test_logged_request_names_the_signed_in_user_and_never_the_token_or_query(client, log_lines):
    user = UserFactory()
    client.force_login(user)

    client.get(f"/admin/?token={SECRET_TOKEN}", HTTP_AUTHORIZATION=f"Token {SECRET_TOKEN}")

    output = json.dumps(log_lines())
    [line] = request_lines(log_lines())
    assert line["user_id"] == user.pk
    assert line["path"] == "/admin/"
    assert SECRET_TOKEN not in output


@pytest.mark.django_db
def test_token_authenticated_api_request_logs_the_user_but_never_the_token(log_lines):
    from knox.models import AuthToken

    user = UserFactory()
    _, token = AuthToken.objects.create(user=user)

    response = APIClient().get("/user/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    [line] = request_lines(log_lines())
    assert (line["user_id"], line["path"], line["status"]) == (user.pk, "/user/", 200)
    assert token not in json.dumps(log_lines())


def test_log_messages_and_extra_fields_are_redacted(log_lines):
    logger = logging.getLogger("procurement.test")

    logger.info("header Authorization: Token %s", SECRET_TOKEN)
    logger.info("login with %s", {"username": "ivan", "password": "hunter2-secret"})
    logger.warning("broker redis://:broker-pw@10.0.0.5:6379/0 is down")
    logger.info("payload", extra={"body": {"new_password": "s3cret-pw", "city": "Moscow"}, "api_key": "k-1"})

    lines = log_lines()
    output = json.dumps(lines)
    for secret in (SECRET_TOKEN, "hunter2-secret", "broker-pw", "s3cret-pw", "k-1"):
        assert secret not in output
    assert lines[0]["message"] == "header Authorization: [REDACTED]"
    assert lines[1]["message"] == "login with {'username': 'ivan', 'password': '[REDACTED]'}"
    assert lines[2]["message"] == "broker redis://:[REDACTED]@10.0.0.5:6379/0 is down"
    assert lines[3]["body"] == {"new_password": "[REDACTED]", "city": "Moscow"}
    assert lines[3]["api_key"] == "[REDACTED]"


def test_exception_tracebacks_are_redacted_too(log_lines):
    try:
        raise ValueError(f"bad token={SECRET_TOKEN}")
    except ValueError:
        logging.getLogger("procurement.test").exception("failed")

    [line] = log_lines()
    assert "ValueError: bad token=[REDACTED]" in line["exception"]
    assert SECRET_TOKEN not in json.dumps(line)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def.ghi", "Authorization: [REDACTED]"),
        ('{"token": "abcdef"}', '{"token": "[REDACTED]"}'),
        ("password=hunter2&user=ivan", "password=[REDACTED]&user=ivan"),
        ("postgres://shop:db-pass@db.internal/shop", "postgres://shop:[REDACTED]@db.internal/shop"),
        ("deleted 3 expired API tokens", "deleted 3 expired API tokens"),
        ("email order-5-confirmed already sent", "email order-5-confirmed already sent"),
    ],
)
def test_redact_text(text, expected):
    assert redact_text(text) == expected


def test_the_request_line_names_the_peer_when_no_proxy_is_trusted(client, log_lines, settings):
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = []

    client.get("/nothing/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="203.0.113.9")

    [line] = request_lines(log_lines())
    assert line["client"] == "198.51.100.4"


def test_the_request_line_names_the_client_behind_a_trusted_proxy(client, log_lines, settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = []

    client.get("/nothing/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")

    [line] = request_lines(log_lines())
    assert line["client"] == "203.0.113.9"
