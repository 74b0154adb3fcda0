"""Slow URL imports against gunicorn: five imports from a server that drips one byte a second, at once.

Run `.venv/bin/python bench/url_drip_bench.py [--mode sync|broker|both]`. It migrates its database
(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/procurement_fetch), makes a partner with a
token, starts a dripping HTTP server on 127.0.0.1 (status line and headers, one byte a second, for as
long as the client stays), starts gunicorn with production settings (DEBUG off, WEB_CONCURRENCY=5, plain
http allowed locally), sends the imports at once, and then times an unrelated `GET /shops/`.

- `sync`: no broker, the fetch runs in the web request.
- `broker`: CELERY_BROKER_URL (default redis://127.0.0.1:6379/11) and a Celery worker started here.

It prints, per import, the HTTP status, the error code and the time to the answer; the time of
`GET /shops/`; and how long the dripping server was held by each fetch.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/procurement_fetch"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/11"


class DripServer:
    """Answers every request with a status line and headers sent one byte per `interval`, forever.

    Records for each connection when it opened and when the client went away.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.held: list[float] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(client,), daemon=True).start()

    def _drip(self, client: socket.socket) -> None:
        opened = time.monotonic()
        payload = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-yaml\r\nX-Padding: "
        sent = 0
        with client:
            client.settimeout(5)
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    piece = client.recv(4096)
                    if not piece:
                        return
                    request += piece
                while not self.stopped.is_set():
                    client.sendall(payload[sent : sent + 1] if sent < len(payload) else b"a")
                    sent += 1
                    if self.stopped.wait(self.interval):
                        break
            except OSError:
                pass
        with self.lock:
            self.held.append(time.monotonic() - opened)

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def partner_token() -> str:
    from accounts.models import User
    from accounts.services import issue_token

    user, _created = User.objects.get_or_create(
        username="drip-bench-partner",
        defaults={"type": User.Type.SHOP, "email": "drip-bench-partner@example.com"},
    )
    return issue_token(user=user)


def environment(database_url: str, *, broker_url: str, timeout: int, workers: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG_FLAG": "False",
        "SECRET_KEY": "drip-bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain http on the loopback: no TLS proxy in front here.
        "SECURE_SSL_REDIRECT": "False",
        "SECURE_COOKIES": "False",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_MANIFEST": "False",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "off",
        "WEB_CONCURRENCY": str(workers),
        "PRICE_LIST_URL_ALLOWED_HOSTS": "127.0.0.1",
        "PRICE_LIST_URL_TIMEOUT": str(timeout),
        "THROTTLE_ANON": "1000000/s",
        "THROTTLE_USER": "1000000/s",
    }
    env.pop("CELERY_BROKER_URL", None)
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    return env


def start_gunicorn(env: dict[str, str], port: int, log) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn", path=str(BASE_DIR / ".venv" / "bin")) or "gunicorn"
    process = subprocess.Popen(
        [gunicorn, "config.wsgi", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/shops/", timeout=2) as response:
                if response.status == 200:
                    return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 60 seconds")


def start_worker(env: dict[str, str], concurrency: int, log) -> subprocess.Popen:
    from config.celery import app

    queues = [queue.name for queue in app.conf.task_queues or []] or [app.conf.task_default_queue]
    celery = shutil.which("celery", path=str(BASE_DIR / ".venv" / "bin")) or "celery"
    with app.connection_for_write(env["CELERY_BROKER_URL"]) as connection:
        for queue in queues:
            connection.default_channel.queue_purge(queue)
    return subprocess.Popen(
        [
            celery,
            "-A",
            "config",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            str(concurrency),
            "-Q",
            ",".join(queues),
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def call(url: str, *, token: str, body: dict | None = None, timeout: float = 120) -> tuple[int, str, float]:
    """(status, error code or status of the import, seconds) of one request."""
    started = time.monotonic()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    request.add_header("Authorization", f"Token {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return 0, type(error).__name__, time.monotonic() - started
    try:
        parsed = json.loads(text)
        what = parsed.get("code") or parsed.get("status") or ""
    except ValueError:
        what = "non-JSON: " + " ".join(text.split())[:40]
    return status, what, time.monotonic() - started


def warm_up(base: str, token: str, workers: int) -> None:
    """Requests on every web process first (at once, so they spread), so its first-request loading
    is not timed: an unrelated page and a refused import (no body: 400)."""
    threads = [
        threading.Thread(target=call, args=(f"{base}{path}",), kwargs={"token": token, "body": body})
        for _round in range(2 * workers)
        for path, body in (("/shops/", None), ("/partner_update/", {}))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def wait_for_imports(import_ids: list[int], timeout: float) -> dict[int, tuple[str, list, float]]:
    from partners.models import PriceListImport

    started = time.monotonic()
    finished: dict[int, tuple[str, list, float]] = {}
    while time.monotonic() - started < timeout and len(finished) < len(import_ids):
        for record in PriceListImport.objects.filter(pk__in=import_ids, status__in=["succeeded", "failed"]):
            finished.setdefault(record.pk, (record.status, record.errors, time.monotonic() - started))
        time.sleep(0.2)
    return finished


def run(mode: str, args: argparse.Namespace, database_url: str, token: str) -> None:
    from partners.models import PriceListImport

    broker_url = args.broker_url if mode == "broker" else ""
    env = environment(database_url, broker_url=broker_url, timeout=args.timeout, workers=args.workers)
    port = free_port()
    drip = DripServer(args.interval)
    last_import = PriceListImport.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    log_path = Path(tempfile.gettempdir()) / f"url_drip_bench_{mode}.log"
    log = log_path.open("w")
    server = start_gunicorn(env, port, log)
    worker = start_worker(env, args.imports, log) if broker_url else None
    base = f"http://127.0.0.1:{port}"
    answers: list[tuple[int, str, float] | None] = [None] * args.imports
    finished: dict[int, tuple[str, list, float]] = {}

    def send(index: int) -> None:
        answers[index] = call(
            f"{base}/partner_update/",
            token=token,
            body={"url": f"http://127.0.0.1:{drip.port}/p{index}.yaml"},
        )

    try:
        if worker:
            time.sleep(5)  # let the worker connect before the imports are queued
        warm_up(base, token, args.workers)
        started = time.monotonic()
        threads = [threading.Thread(target=send, args=(index,)) for index in range(args.imports)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        shops = call(f"{base}/shops/", token=token)
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        import_ids = list(
            PriceListImport.objects.filter(pk__gt=last_import, partner__username="drip-bench-partner")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if worker and import_ids:
            finished = wait_for_imports(import_ids, timeout=args.timeout * args.imports + 60)
    finally:
        if worker:
            worker.terminate()
            worker.wait(timeout=60)
        server.terminate()
        server.wait(timeout=60)
        drip.close()
        log.close()

    print(f"\nmode {mode}: gunicorn -w {args.workers} (sync workers), PRICE_LIST_URL_TIMEOUT={args.timeout}")
    print(f"  machine load average now: {os.getloadavg()[0]:.2f}; gunicorn and worker log: {log_path}")
    for index, answer in enumerate(answers):
        status, what, seconds = answer or (0, "no answer", 0.0)
        print(f"  import {index}: HTTP {status} {what:<28} answered after {seconds:6.2f} s")
    print(f"  GET /shops/ (sent 0.5 s after them): HTTP {shops[0]} after {shops[2]:6.2f} s")
    print(f"  all answers within {elapsed:6.2f} s; import records created: {len(import_ids)}")
    for import_id in import_ids:
        if worker:
            status, errors, seconds = finished.get(import_id, ("unfinished", [], 0.0))
            message = errors[0]["message"] if errors else ""
            print(
                f"  import #{import_id} on the worker: {status} {seconds:6.2f} s after the answers; {message}"
            )
    held = sorted(drip.held)
    if held:
        print(f"  dripping server held per fetch: {', '.join(f'{value:.1f}' for value in held)} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["sync", "broker", "both"], default="both")
    parser.add_argument("--imports", type=int, default=5)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn WEB_CONCURRENCY")
    parser.add_argument("--timeout", type=int, default=20, help="PRICE_LIST_URL_TIMEOUT")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between dripped bytes")
    parser.add_argument("--broker-url", default=os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL))
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("gunicorn's workers share the database: set DATABASE_URL to a postgres:// URL")
    _ensure_database(database_url)
    setup_django(database_url)
    token = partner_token()
    for mode in ("sync", "broker") if args.mode == "both" else (args.mode,):
        run(mode, args, database_url, token)


def _ensure_database(database_url: str) -> None:
    import psycopg2

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password or None,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


if __name__ == "__main__":
    main()
