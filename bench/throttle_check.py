"""Throttle check: the login throttle and the admin lockout under gunicorn with production settings.

Run `.venv/bin/python bench/throttle_check.py [--source DIR]`. It re-creates its own PostgreSQL database
(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/procurement_throttle), migrates it with the code
in --source (default: this checkout; give an exported older commit to measure "before"), creates one
user, starts gunicorn with --workers sync workers (default 5) and DEBUG off, no CACHE_URL, and prints:

1. `/get_token/` with the right password, --attempts times (default 60) at THROTTLE_LOGIN=10/min from one
   client: how many were answered 200 and how many 429 (sequentially, then from 8 threads at once);
2. the same with a different X-Forwarded-For on every request from an untrusted peer (a new unknown
   username each time, so only the throttle answers), then wrong passwords for one username;
3. through one trusted proxy (NUM_PROXIES=1): spoofed left-most values do not help one client, while
   five real clients behind the proxy each get their own limit;
4. the admin login: wrong passwords, then the right one.

Every phase starts with a fresh gunicorn and an emptied cache. Nothing here is a timing figure.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/procurement_throttle"
USERNAME = "bench-buyer"
PASSWORD = "Bench-Passw0rd-17"
WRONG_PASSWORD = "not-the-password"


def recreate_database(database_url: str) -> None:
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
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_environment(database_url: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "CELERY_", "THROTTLE_", "CACHE_", "LOGIN_"))
        and key not in {"NUM_PROXIES", "TRUSTED_PROXIES", "DEBUG", "DEBUG_FLAG", "WEB_CONCURRENCY"}
    }
    environment.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG_FLAG": "False",
            "SECRET_KEY": "bench-" + "q7Zx" * 15,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_ACCESS_LOG": "off",
            "STATIC_MANIFEST": "False",
            # Plain HTTP on 127.0.0.1: the CSRF cookie of the admin login must travel without TLS.
            "SECURE_COOKIES": "False",
            "THROTTLE_LOGIN": "10/min",
            # Only the login limit is measured: the per-address limit of every anonymous request stays
            # out of the way.
            "THROTTLE_ANON": "100000/min",
        }
    )
    return environment


def manage(source: Path, environment: dict[str, str], *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments, "-v", "0"]
        if arguments[0] == "shell"
        else [sys.executable, "manage.py", *arguments],
        cwd=source,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare_database(source: Path, environment: dict[str, str]) -> None:
    manage(source, environment, "migrate", "--noinput", "-v", "0")
    manage(
        source,
        environment,
        "shell",
        "-c",
        "from accounts.models import User; "
        f"User.objects.create_superuser({USERNAME!r}, 'bench@example.com', {PASSWORD!r})",
    )


def empty_cache(source: Path, environment: dict[str, str]) -> None:
    """Throttle state and lockouts of an earlier phase must not leak into the next one."""
    manage(
        source,
        environment,
        "shell",
        "-c",
        "from django.core.cache import cache; cache.clear()\n"
        "from django.apps import apps\n"
        "for model in apps.get_models():\n"
        "    if model._meta.app_label in ('accounts', 'axes') and 'login' in model._meta.model_name:\n"
        "        model.objects.all().delete()",
    )


class Server:
    """gunicorn on a free port with the environment given; stopped when the block ends."""

    def __init__(self, source: Path, environment: dict[str, str], workers: int) -> None:
        self.source = source
        self.environment = environment
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "config.wsgi", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}"],
            cwd=self.source,
            env={**self.environment, "GUNICORN_MAX_REQUESTS": "0"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):
                    pass
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
                continue
            # Every worker must be up, or the first requests all land on the first one.
            time.sleep(2)
            return self
        self.__exit__()
        raise SystemExit("gunicorn did not start")

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def post_credentials(
    url: str, *, password: str, forwarded_for: str | None = None, username: str = USERNAME
) -> int | str:
    """The status, and for a 429 the error code too (`429 throttled`, `429 login_locked`)."""
    body = json.dumps({"username": username, "password": password}).encode()
    headers = {"Content-Type": "application/json", "Connection": "close"}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    request = urllib.request.Request(f"{url}/get_token/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        if error.code != 429:
            return error.code
        try:
            code = json.loads(error.read().decode()).get("code", "")
        except ValueError:
            code = ""
        return f"429 {code}".strip()


def random_address() -> str:
    return ".".join(str(random.randint(1, 254)) for _ in range(4))


def tally(statuses: list[int | str]) -> str:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))


def first_429(statuses: list[int | str]) -> str:
    refused = [index for index, status in enumerate(statuses, start=1) if str(status).startswith("429")]
    return str(refused[0]) if refused else "never"


def admin_login_statuses(url: str, attempts: int) -> tuple[list[str], str]:
    """Post wrong passwords to /admin/login/, then the right one; what the page said each time."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Accept-Language", "en")]

    def attempt(password: str) -> str:
        with opener.open(f"{url}/admin/login/", timeout=30) as page:
            html = page.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": USERNAME, "password": password, "next": "/admin/"}
        ).encode()
        request = urllib.request.Request(
            f"{url}/admin/login/", data=data, headers={"Referer": f"{url}/admin/login/"}
        )
        try:
            with opener.open(request, timeout=30) as response:
                text = response.read().decode()
                final_url = response.geturl()
        except urllib.error.HTTPError as error:
            return f"HTTP {error.code}"
        if not final_url.rstrip("/").endswith("/admin/login"):
            return "logged in"
        if "Too many failed" in text:
            return "locked"
        return "wrong password"

    wrong = [attempt(WRONG_PASSWORD) for _ in range(attempts)]
    return wrong, attempt(PASSWORD)


def run(source: Path, database_url: str, workers: int, attempts: int) -> None:
    environment = base_environment(database_url)
    recreate_database(database_url)
    prepare_database(source, environment)
    backend = manage(
        source, environment, "shell", "-c", "from django.conf import settings; print(settings.CACHES)"
    ).strip()
    print(f"source: {source}")
    print(f"gunicorn: {workers} sync workers, DEBUG off, no CACHE_URL; cache: {backend}")
    print(f"THROTTLE_LOGIN=10/min; {attempts} POST /get_token/ per phase")
    print()

    empty_cache(source, environment)
    with Server(source, environment, workers) as server:
        statuses = [post_credentials(server.url, password=PASSWORD) for _ in range(attempts)]
    print(f"1a. one client, sequential: {tally(statuses)} (first 429 at #{first_429(statuses)})")

    empty_cache(source, environment)
    with Server(source, environment, workers) as server, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: post_credentials(server.url, password=PASSWORD), range(attempts)))
    print(f"1b. one client, 8 at once:  {tally(statuses)}")

    empty_cache(source, environment)
    with Server(source, environment, workers) as server:
        statuses = [
            post_credentials(
                server.url,
                password=WRONG_PASSWORD,
                forwarded_for=random_address(),
                username=f"nobody-{index}",
            )
            for index in range(attempts)
        ]
    print(
        f"2a. X-Forwarded-For varied on every request, no proxy trusted, a new unknown username each time: "
        f"{tally(statuses)} (first 429 at #{first_429(statuses)})"
    )

    empty_cache(source, environment)
    with Server(source, environment, workers) as server:
        statuses = [
            post_credentials(server.url, password=WRONG_PASSWORD, forwarded_for=random_address())
            for _ in range(attempts)
        ]
    print(
        f"2b. the same, wrong password for one real username: {tally(statuses)} "
        f"(first 429 at #{first_429(statuses)})"
    )

    proxied = {**environment, "NUM_PROXIES": "1"}
    empty_cache(source, proxied)
    with Server(source, proxied, workers) as server:
        statuses = [
            post_credentials(server.url, password=PASSWORD, forwarded_for=f"{random_address()}, 203.0.113.9")
            for _ in range(attempts)
        ]
    print(
        f"3a. NUM_PROXIES=1, one real client, left-most value spoofed: {tally(statuses)} "
        f"(first 429 at #{first_429(statuses)})"
    )

    empty_cache(source, proxied)
    clients = [f"198.51.100.{index}" for index in range(1, 6)]
    with Server(source, proxied, workers) as server:
        statuses = [
            post_credentials(server.url, password=PASSWORD, forwarded_for=client)
            for _ in range(12)
            for client in clients
        ]
    print(f"3b. NUM_PROXIES=1, five real clients x 12: {tally(statuses)} (10 each expected: 50 x 200)")

    empty_cache(source, environment)
    with Server(source, environment, workers) as server:
        wrong, right = admin_login_statuses(server.url, attempts=8)
    print(f"4.  admin login, 8 wrong passwords: {wrong}; then the right one: {right}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=BASE_DIR, help="checkout to run (default: this one)")
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--attempts", type=int, default=60)
    arguments = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    run(arguments.source.resolve(), database_url, arguments.workers, arguments.attempts)


if __name__ == "__main__":
    main()
