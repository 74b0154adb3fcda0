"""Each request logs one JSON line with its id, user and duration; secrets never reach the log."""

from __future__ import annotations

import copy
import io
import json
import logging
import logging.config
import os
import re
import secrets
import string
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import include, path
from django.utils.crypto import get_random_string
from django.utils.log import configure_logging
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from config.celery import app as celery_app
from config.logging import (
    JsonFormatter,
    RedactSecretsFilter,
    RequestContextFilter,
    redact,
    redact_text,
    request_id_var,
)
from config.tests.logging_tasks import LOGGING_TASK_NAME, TASK_NAME, log_a_line, send_reset_email_that_fails
from config.tests.servers import BASE_DIR, production_environment, stop

SECRET_TOKEN = "8f2a9c3e5b7d1f4a6c8e0b2d4f6a8c0e"


def crash(request):
    """An unexpected error whose message quotes a URL with credentials, as a failed fetch's would."""
    raise RuntimeError(f"feed {request.GET['feed']} answered 502")


# `crash/` next to the real URLs, for the tests that need a 500 (marked `urls` with this module).
urlpatterns = [path("crash/", crash), path("", include("config.urls"))]
handler404 = "config.api.errors.page_not_found"
handler500 = "config.api.errors.server_error"


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
        (
            "GET /x/?key=k1&idempotency_key=order-5&sig=s1&sessionid=s2&page=2",
            "GET /x/?key=[REDACTED]&idempotency_key=order-5&sig=[REDACTED]&sessionid=[REDACTED]&page=2",
        ),
        (
            "Cookie: sessionid=abc; csrftoken=def; theme=dark",
            "Cookie: [REDACTED]; csrftoken=[REDACTED]; theme=dark",
        ),
        ("X-Api-Key: k-123 from 10.0.0.5", "X-Api-Key: [REDACTED] from 10.0.0.5"),
        ('{"password": "two words", "city": "Moscow"}', '{"password": "[REDACTED]", "city": "Moscow"}'),
        ("{&quot;token&quot;: &quot;MQ-abc&quot;}", "{&quot;token&quot;: &quot;[REDACTED]&quot;}"),
        ("next=/x%3Ftoken%3Dabc", "next=/x%3Ftoken%3D[REDACTED]"),
        ("api token " + "ab12" * 16 + " used", "api token [REDACTED] used"),
        ("reset link MQ-cz8k2a-" + "0f" * 16, "reset link MQ-[REDACTED]"),
        ("session 6y5sq80dm0v2deqn3xbs3avyq6no3wb3 expired", "session [REDACTED] expired"),
        ("request 1ae313dd09c0f399f3e05ed3e10f73be done", "request 1ae313dd09c0f399f3e05ed3e10f73be done"),
        (
            "confirm eyJ1c2VyIjo1fQ:1xXlym:NRHtb-hRMCcduaeoerR0GTXtv4Suql36Syhubf-5cls now",
            "confirm [REDACTED] now",
        ),
        ("Authorization: [REDACTED]", "Authorization: [REDACTED]"),
    ],
)
def test_redact_text(text, expected):
    assert redact_text(text) == expected


# --- Everything written by the production logging configuration, grepped for secrets -----------------


@pytest.fixture(params=["json", "plain"])
def production_log(request, settings):
    """Install `settings.LOGGING` as production runs it (`LOG_FORMAT` json, or plain) writing to a buffer.

    Returns a function giving everything written so far: every logger, every handler of ours.
    """
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = request.param
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    yield stream.getvalue
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def random_secrets() -> dict[str, str]:
    """Fresh values in the shapes the real ones have, so a leak cannot hide behind a known constant."""
    session_alphabet = string.ascii_lowercase + string.digits
    return {
        "query_token": "qt" + secrets.token_urlsafe(18),
        "query_api_key": "qk" + secrets.token_urlsafe(18),
        "query_password": "qp" + secrets.token_urlsafe(12),
        "query_session": get_random_string(32, session_alphabet),
        "header_token": secrets.token_hex(32),
        "header_api_key": "hk" + secrets.token_urlsafe(18),
        "cookie_session": get_random_string(32, session_alphabet),
        "cookie_csrf": get_random_string(32),
        "form_password": "fp" + secrets.token_urlsafe(12),
        "json_reset_token": f"MQ-{get_random_string(6, session_alphabet)}-{secrets.token_hex(16)}",
        "json_password": "jp" + secrets.token_urlsafe(12),
        "exception_token": "et" + secrets.token_urlsafe(18),
        "exception_password": "ep" + secrets.token_urlsafe(12),
        "extra_password": "xp" + secrets.token_urlsafe(12),
        "extra_cookie": get_random_string(32, session_alphabet),
        "task_reset_token": f"MQ-{get_random_string(6, session_alphabet)}-{secrets.token_hex(16)}",
        "task_password": "tp" + secrets.token_urlsafe(12),
    }


@pytest.mark.django_db
@pytest.mark.urls("config.tests.test_logging")
def test_no_secret_sent_in_urls_headers_or_bodies_reaches_any_log_line(
    production_log, django_capture_on_commit_callbacks
):
    secret = random_secrets()
    client = Client(raise_request_exception=False)
    headers = {
        "HTTP_COOKIE": f"sessionid={secret['cookie_session']}; csrftoken={secret['cookie_csrf']}",
        "HTTP_X_API_KEY": secret["header_api_key"],
    }
    authorization = {"HTTP_AUTHORIZATION": f"Token {secret['header_token']}"}
    query = (
        f"token={secret['query_token']}&api_key={secret['query_api_key']}"
        f"&password={secret['query_password']}&sessionid={secret['query_session']}"
    )

    # Query strings and headers on a 404, a 400, an API 401 and a 500.
    assert client.get(f"/nope/?{query}", **headers, **authorization).status_code == 404
    assert client.get(f"/products/?page=0&{query}", **headers).status_code == 400
    assert client.get(f"/user/?{query}", **headers, **authorization).status_code == 401
    feed = f"https://feed.example.com/list.yaml?token={secret['exception_token']}"
    crash_url = f"/crash/?feed={feed}%26password%3D{secret['exception_password']}&{query}"
    assert client.get(crash_url, **headers).status_code == 500
    # Form and JSON bodies.
    login = client.post("/get_token/", {"username": "ivan", "password": secret["form_password"]}, **headers)
    assert login.status_code == 401
    confirm = client.post(
        "/password_reset/confirm/",
        {"token": secret["json_reset_token"], "password": secret["json_password"]},
        content_type="application/json",
        **headers,
    )
    assert confirm.status_code == 400
    # The real flow: a reset e-mail sent by its task, the password set with its token, a new API token.
    user = UserFactory(email="anna@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password_reset/", {"email": user.email}, content_type="application/json")
    reset_token = re.search(r'"token": "([^"]+)"', mail.outbox[-1].body).group(1)
    new_password = "Nw-" + secrets.token_urlsafe(12)
    confirmed = client.post(
        "/password_reset/confirm/",
        {"token": reset_token, "password": new_password},
        content_type="application/json",
    )
    assert confirmed.status_code == 200
    api_token = client.post("/get_token/", {"username": user.username, "password": new_password}).json()[
        "token"
    ]
    assert client.get("/user/", HTTP_AUTHORIZATION=f"Token {api_token}").status_code == 200
    assert client.get(f"/nope/?token={api_token}").status_code == 404
    # Extra fields and exceptions logged by our own code.
    logger = logging.getLogger("partners.fetch")
    logger.warning(
        "fetch failed",
        extra={
            "headers": {"Authorization": f"Token {secret['header_token']}", "Cookie": secret["extra_cookie"]},
            "body": {"username": "ivan", "password": secret["extra_password"]},
        },
    )
    try:
        raise ConnectionError(f"GET {feed} refused")
    except ConnectionError:
        logger.exception("fetch of %s failed", feed)
    # A Celery task failing with secrets in its arguments and in its error message.
    email_text = (
        f'POST /password_reset/confirm/ {{"token": "{secret["task_reset_token"]}", "password": "..."}}'
    )
    send_reset_email_that_fails.delay(
        to="anna@example.com", text=email_text, password=secret["task_password"]
    )

    output = production_log()
    leaked = {name: value for name, value in secret.items() if value in output}
    real = {"reset_token": reset_token, "new_password": new_password, "api_token": api_token}
    leaked |= {name: value for name, value in real.items() if value in output}
    assert leaked == {}, output
    # The lines are there, redacted, not dropped.
    for expected in (
        "Not Found: /nope/",
        "Bad Request: /products/",
        "Unauthorized: /user/",
        "Internal Server Error: /crash/",
        "fetch of https://feed.example.com/list.yaml?token=[REDACTED] failed",
        "send_reset_email_that_fails",
        "raised unexpected",
        "accounts.tasks.send_outbox_email",
    ):
        assert expected in output, expected


@pytest.mark.urls("config.tests.test_logging")
@pytest.mark.parametrize("production_log", ["json"], indirect=True)
def test_a_django_request_record_names_the_request_by_method_and_path_only(production_log):
    Client(raise_request_exception=False).get(f"/nope/?token={SECRET_TOKEN}&api_key=k-{SECRET_TOKEN}")

    lines = [json.loads(line) for line in production_log().splitlines()]
    [line] = [line for line in lines if line["logger"] == "django.request"]
    assert (line["message"], line["request"], line["status_code"]) == ("Not Found: /nope/", "GET /nope/", 404)


def test_celery_task_arguments_are_never_logged(log_lines):
    send_reset_email_that_fails.delay(to="anna@example.com", text="Hello", password="pw-in-kwargs")

    [line] = [line for line in log_lines() if line["logger"] == "celery.app.trace"]
    assert line["level"] == "ERROR"
    assert (line["data"]["args"], line["data"]["kwargs"]) == ("[REDACTED]", "[REDACTED]")
    assert line["message"].startswith("Task procurement_tests.send_reset_email_that_fails[")
    assert "pw-in-kwargs" not in json.dumps(line)


def test_redact_turns_any_value_into_a_safe_json_ready_one():
    class Opaque:
        def __str__(self) -> str:
            return f"<Opaque token={SECRET_TOKEN} at 0x1>"

    value = {
        "attempts": (1, 2.5, None, True),
        "Authorization": "Token abc",
        "data": {"kwargs": {"to": "x"}, "exc": f"bad password={SECRET_TOKEN}"},
        "object": Opaque(),
    }

    assert redact(value) == {
        "attempts": [1, 2.5, None, True],
        "Authorization": "[REDACTED]",
        "data": {"kwargs": "[REDACTED]", "exc": "bad password=[REDACTED]"},
        "object": "<Opaque token=[REDACTED] at 0x1>",
    }


# --- A real worker: its own log lines (task received, failed, unregistered) carry no secret ------------

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "")
WORKER_QUEUE = "procurement-logging-test"


@pytest.mark.redis
@pytest.mark.skipif(
    not BROKER_URL, reason="needs a Redis broker: set TEST_CELERY_BROKER_URL=redis://127.0.0.1:6379/15"
)
def test_a_celery_worker_logs_no_task_argument_or_secret_of_a_failed_or_unknown_task(tmp_path, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    secret = random_secrets()
    output = tmp_path / "worker.out"
    environment = production_environment(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", CELERY_BROKER_URL=BROKER_URL
    )
    celery = Path(sys.executable).parent / "celery"
    with output.open("ab") as log:
        worker = subprocess.Popen(
            [
                str(celery),
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--queues",
                WORKER_QUEUE,
                "--include",
                "config.tests.logging_tasks",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"logging-test-{os.getpid()}@%h",
            ],
            cwd=BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_text(output, "ready.", process=worker)
        email_text = (
            f'POST /password_reset/confirm/ {{"token": "{secret["task_reset_token"]}", "password": "..."}}'
        )
        with celery_app.connection_for_write(url=BROKER_URL) as connection:
            celery_app.send_task(
                TASK_NAME,
                kwargs={"to": "anna@example.com", "text": email_text, "password": secret["task_password"]},
                queue=WORKER_QUEUE,
                connection=connection,
            )
            # A task the worker does not know (a newer release's): Celery logs the whole message body.
            celery_app.send_task(
                "accounts.tasks.send_email_of_a_newer_release",
                kwargs={
                    "text": f"Your token: {secret['json_reset_token']}",
                    "password": secret["json_password"],
                },
                queue=WORKER_QUEUE,
                connection=connection,
            )
        wait_for_text(output, "raised unexpected", process=worker)
        wait_for_text(output, "Received unregistered task", process=worker)
    finally:
        stop(worker)

    written = output.read_text(encoding="utf-8")
    assert {name: value for name, value in secret.items() if value in written} == {}
    assert "send_reset_email_that_fails" in written
    assert "[REDACTED]" in written


@pytest.mark.redis
@pytest.mark.skipif(
    not BROKER_URL, reason="needs a Redis broker: set TEST_CELERY_BROKER_URL=redis://127.0.0.1:6379/15"
)
def test_a_worker_logs_a_task_with_the_id_of_the_request_that_queued_it_and_no_other(tmp_path, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    monkeypatch.setattr(celery_app.conf, "broker_url", BROKER_URL)
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    output = tmp_path / "worker.out"
    environment = production_environment(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", CELERY_BROKER_URL=BROKER_URL
    )
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            WORKER_QUEUE,
            "--include",
            "config.tests.logging_tasks",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"request-id-test-{os.getpid()}@%h",
        ],
        cwd=BASE_DIR,
        env=environment,
        stdout=output.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_text(output, "ready.", process=worker)
        token = request_id_var.set("req-4f2a9c3e")  # as RequestLogMiddleware does for a request
        try:
            log_a_line.apply_async(kwargs={"label": "queued by a request"}, queue=WORKER_QUEUE)
        finally:
            request_id_var.reset(token)
        token = request_id_var.set("")  # outside any request (this thread served requests before)
        try:
            log_a_line.apply_async(kwargs={"label": "queued by beat"}, queue=WORKER_QUEUE)
        finally:
            request_id_var.reset(token)
        wait_for_text(output, "task line queued by beat", process=worker)
    finally:
        stop(worker)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    lines = [
        json.loads(line) for line in output.read_text(encoding="utf-8").splitlines() if line.startswith("{")
    ]
    task_lines = {
        line["message"]: line.get("request_id") for line in lines if line["logger"] == "procurement.tests"
    }
    assert task_lines == {"task line queued by a request": "req-4f2a9c3e", "task line queued by beat": None}
    succeeded = [
        line for line in lines if "succeeded in" in line["message"] and LOGGING_TASK_NAME in line["message"]
    ]
    assert [line.get("request_id") for line in succeeded] == ["req-4f2a9c3e", None]


def wait_for_text(path: Path, text: str, *, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(encoding="utf-8"):
            return
        if process.poll() is not None:
            raise AssertionError(f"the worker exited:\n{path.read_text(encoding='utf-8')}")
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not logged within {timeout:.0f} s:\n{path.read_text(encoding='utf-8')}")


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
