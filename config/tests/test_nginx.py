"""The shipped nginx site in front of gunicorn: slow clients stop at nginx, HTTPS end to end, probes over HTTP.

nginx runs deploy/nginx/procurement.conf with local ports and a throwaway certificate put in; gunicorn
runs gunicorn.conf.py with production settings and one worker of one thread, so any request that
reached it early would make every other request wait.
"""

from __future__ import annotations

import http.client
import json
import secrets
import shutil
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.tests.servers import (
    PRODUCTION_HOST,
    free_port,
    migrated_database,
    nginx_binary,
    production_environment,
    start_gunicorn,
    start_nginx,
    stop,
)

pytestmark = pytest.mark.skipif(
    nginx_binary() is None or shutil.which("openssl") is None,
    reason="needs nginx and openssl (apt-get install nginx openssl)",
)


@dataclass
class Stack:
    folder: Path
    http_port: int
    https_port: int


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nginx-stack")
    environment = production_environment(
        database_url=migrated_database(folder), WEB_CONCURRENCY="1", GUNICORN_THREADS="1"
    )
    gunicorn_port = free_port()
    gunicorn = start_gunicorn(port=gunicorn_port, environment=environment, output=folder / "gunicorn.out")
    try:
        nginx, http_port, https_port = start_nginx(folder=folder / "nginx", upstream_port=gunicorn_port)
        try:
            yield Stack(folder=folder, http_port=http_port, https_port=https_port)
        finally:
            stop(nginx)
    finally:
        stop(gunicorn)


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the throwaway certificate of the test
    return context


def https_get(stack: Stack, path: str, **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPSConnection("127.0.0.1", stack.https_port, timeout=20, context=tls_context())
    connection.request("GET", path, headers={"Host": PRODUCTION_HOST, **headers})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def http_get(stack: Stack, path: str, host: str = PRODUCTION_HOST) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=20)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


class SlowClient(threading.Thread):
    """Sends a request head over TLS one byte at a time and never finishes it."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stop_event = threading.Event()
        self.bytes_sent = 0
        self.cut_off = False

    def run(self) -> None:
        head = f"GET /user/ HTTP/1.1\r\nHost: {PRODUCTION_HOST}\r\nX-Slow: ".encode()
        with (
            socket.create_connection(("127.0.0.1", self.port), timeout=20) as raw,
            tls_context().wrap_socket(raw, server_hostname=PRODUCTION_HOST) as sock,
        ):
            while not self.stop_event.is_set():
                try:
                    sock.sendall(head[self.bytes_sent : self.bytes_sent + 1] or b"a")
                except OSError:
                    self.cut_off = True
                    return
                self.bytes_sent += 1
                self.stop_event.wait(0.2)


def test_clients_dripping_their_headers_wait_at_nginx_and_never_hold_gunicorn(stack):
    slow_clients = [SlowClient(stack.https_port) for _ in range(3)]
    for slow_client in slow_clients:
        slow_client.start()
    try:
        while min(slow_client.bytes_sent for slow_client in slow_clients) < 5:
            time.sleep(0.1)

        # gunicorn has one thread: had nginx passed a slow head on, this would wait behind it.
        response = https_get(stack, "/user/")

        assert response.status == 401
        assert [slow_client.cut_off for slow_client in slow_clients] == [False, False, False]
    finally:
        for slow_client in slow_clients:
            slow_client.stop_event.set()
            slow_client.join(timeout=10)


def test_https_requests_reach_django_as_https_with_hsts_and_the_proxys_request_id(stack):
    response = https_get(stack, "/user/", **{"X-Forwarded-Proto": "http"})

    assert response.status == 401  # not a redirect: the X-Forwarded-Proto of nginx was believed
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert len(response.getheader("X-Request-ID")) == 32


def test_over_plain_http_probes_are_answered_and_everything_else_is_sent_to_https(stack):
    healthz, readyz = http_get(stack, "/healthz", host="10.0.0.7"), http_get(stack, "/readyz")
    redirect = http_get(stack, "/user/?page=2")

    assert (healthz.status, json.loads(healthz.body)) == (200, {"status": "ok"})
    assert (readyz.status, json.loads(readyz.body)["status"]) == (200, "ok")
    assert (redirect.status, redirect.getheader("Location")) == (
        301,
        f"https://{PRODUCTION_HOST}/user/?page=2",
    )


def test_a_body_over_the_upload_limit_is_refused_by_nginx_in_the_api_error_shape(stack):
    with (
        socket.create_connection(("127.0.0.1", stack.https_port), timeout=20) as raw,
        tls_context().wrap_socket(raw, server_hostname=PRODUCTION_HOST) as sock,
    ):
        sock.sendall(
            f"POST /partner_update/ HTTP/1.1\r\nHost: {PRODUCTION_HOST}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {170 * 1024 * 1024}\r\n\r\n".encode()
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()

    assert response.status == 413
    assert json.loads(body) == {
        "detail": "The request body is larger than the limit of 161 MiB.",
        "code": "too_large",
    }


def test_query_string_secrets_reach_neither_the_nginx_nor_the_gunicorn_log(stack):
    token, api_key = "tk" + secrets.token_urlsafe(16), "ak" + secrets.token_urlsafe(16)

    assert https_get(stack, f"/nope/?token={token}&api_key={api_key}").status == 404
    assert http_get(stack, f"/user/?token={token}").status == 301

    written = ""
    deadline = time.monotonic() + 10
    while '"path": "/user/", "status": 301' not in written and time.monotonic() < deadline:
        time.sleep(0.1)  # nginx writes its access line once the answer is sent
        written = (stack.folder / "nginx" / "procurement.access.log").read_text(encoding="utf-8")
    written += (stack.folder / "gunicorn.out").read_text(encoding="utf-8")
    assert token not in written
    assert api_key not in written
    assert '"path": "/nope/", "status": 404' in written
