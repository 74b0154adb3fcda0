"""gunicorn as configured by gunicorn.conf.py: loopback by default, threads, and no secret in its own lines."""

from __future__ import annotations

import http.client
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from config.tests.servers import (
    BASE_DIR,
    free_port,
    migrated_database,
    production_environment,
    start_gunicorn,
    stop,
)


def gunicorn_settings(environment: dict[str, str]) -> dict[str, str]:
    """`gunicorn --print-config`: what gunicorn.conf.py resolves to in this environment."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(
        [str(gunicorn), "--print-config", "config.wsgi"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    values = {}
    for line in result.stdout.splitlines():
        name, separator, value = line.partition("=")
        if separator:
            values[name.strip()] = value.strip()
    return values


@pytest.fixture
def production(tmp_path):
    return production_environment(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")


def test_by_default_gunicorn_listens_on_the_loopback_only_with_threaded_workers(production):
    values = gunicorn_settings(production)

    assert values["bind"] == "['127.0.0.1:8000']"
    assert (values["worker_class"], values["threads"]) == ("gthread", "4")
    assert values["forwarded_allow_ips"] == "['127.0.0.1']"
    assert values["secure_scheme_headers"] == "{'X-FORWARDED-PROTO': 'https'}"
    assert values["logger_class"] == "config.gunicorn_logging.RedactingLogger"
    assert values["control_socket_disable"] == "True"


def test_a_platform_port_or_an_explicit_bind_opens_gunicorn_to_the_network(production):
    assert gunicorn_settings({**production, "PORT": "5000"})["bind"] == "['0.0.0.0:5000']"
    assert gunicorn_settings({**production, "BIND": "10.0.0.5:9000"})["bind"] == "['10.0.0.5:9000']"


def test_gunicorn_writes_no_secret_from_urls_headers_or_malformed_requests(tmp_path):
    token, api_key, knox, password = (
        "tk" + secrets.token_urlsafe(16),
        "ak" + secrets.token_urlsafe(16),
        secrets.token_hex(32),
        "pw" + secrets.token_urlsafe(12),
    )
    # As the proxy on this machine sends them: HTTPS, from 127.0.0.1 (trusted), so no redirect.
    proxied = {"X-Forwarded-Proto": "https", "Host": "procurement.example.com"}
    output = tmp_path / "gunicorn.out"
    port = free_port()
    environment = production_environment(database_url=migrated_database(tmp_path), WEB_CONCURRENCY="1")
    server = start_gunicorn(port=port, environment=environment, output=output)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "GET",
            f"/nope/?token={token}&api_key={api_key}",
            headers={**proxied, "Authorization": f"Token {knox}", "Cookie": f"sessionid={knox[:32]}"},
        )
        assert connection.getresponse().status == 404
        connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "POST",
            "/get_token/",
            body=f"username=ivan&password={password}",
            headers={**proxied, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert connection.getresponse().status == 401
        connection.close()
        # A request line without its HTTP version: gunicorn answers 400 and logs the line it read.
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            raw.sendall(f"GET /x/?token={token}&password={password}\r\n\r\n".encode())
            assert raw.recv(100).startswith(b"HTTP/1.1 400")
    finally:
        stop(server)

    written = output.read_text(encoding="utf-8")
    assert [secret for secret in (token, api_key, knox, password) if secret in written] == []
    assert '"method": "GET", "path": "/nope/", "status": 404' in written
    assert "Invalid request from ip=127.0.0.1" in written
    assert "token=[REDACTED]" in written
