"""Benchmark of the catalogue at a million offers on PostgreSQL (never part of the test run).

    .venv/bin/python bench/scale_bench.py [--database-url postgres://postgres@127.0.0.1:5432/procurement_scale]
        [--rebuild] [--sections api admin import] [--duration 15] [--connections 4]
        [--import-goods 200000] [--generator ../shared/tools/gen_pricelist.py]

`make bench-scale` runs it. Sections:

* build (once; `--rebuild` to start again): drops and re-creates the database, migrates it, generates
  19 price lists of 50,000 goods (`gen_pricelist.py --goods 50000 --params 8 --seed N`, one shop each)
  and imports them one after another with `manage.py import_pricelist`, the project's own import path:
  950,000 offers. An existing database is migrated (so a run on a newer branch adds its indexes) and
  reused.
* api: gunicorn with 2 workers, then `wrk` (4 connections) against each listing request of issue 12's
  table, searches with and without a typo and the facets: requests/s, p50 and p99.
* admin: every manager and partner changelist (and its search), one request each after one warm-up,
  timed in this process through Django's test client with production settings.
* import: a separate database (`<name>_import`), a 200,000-goods price list imported by
  `manage.py import_pricelist` in a child process: the first import, the unchanged re-import, and the
  peak memory (max RSS) of each child.

It prints figures and never asserts them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

from api_bench import measure  # wrk figures plus the CPU the workers and the database spent per request

REPO = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/procurement_scale"
DEFAULT_GENERATOR = REPO / ".." / "shared" / "tools" / "gen_pricelist.py"
DATA_DIR = Path(os.environ.get("SCALE_BENCH_DATA", "/tmp/procurement-scale-bench"))
SHOPS = 19
GOODS_PER_SHOP = 50_000
PARTNER = "scale-partner-{index}"
MANAGER = "scale-manager"

# Production settings, as gunicorn runs them (plain HTTP on the loopback, no per-client throttle).
SERVER_ENV = {
    "DEBUG_FLAG": "False",
    "SECRET_KEY": "bench-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "LOG_LEVEL": "WARNING",
    "GUNICORN_ACCESS_LOG": "off",
    "GUNICORN_MAX_REQUESTS": "0",
    "STATIC_MANIFEST": "False",
    "SECURE_SSL_REDIRECT": "False",
    "SECURE_COOKIES": "False",
    "THROTTLE_ANON": "1000000/s",
    "THROTTLE_USER": "1000000/s",
}


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _admin_connection(url: str):
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password or None,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    connection.autocommit = True
    return connection


def recreate_database(url: str) -> None:
    name = _database_name(url)
    connection = _admin_connection(url)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
        # The usual setting for SSD-backed databases (the default of 4 assumes spinning disks).
        cursor.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
    connection.close()


def database_exists(url: str) -> bool:
    connection = _admin_connection(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [_database_name(url)])
        found = cursor.fetchone() is not None
    connection.close()
    return found


def manage(env: dict, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *arguments], env=env, cwd=REPO, check=check)


def generate(generator: Path, *, goods: int, seed: int, shop: str) -> Path:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"goods{goods}-seed{seed}.yaml"
    if not path.exists():
        partial = path.with_suffix(".part")
        subprocess.run(
            [
                sys.executable,
                str(generator),
                "--goods",
                str(goods),
                "--params",
                "8",
                "--seed",
                str(seed),
                "--shop",
                shop,
                "-o",
                str(partial),
            ],
            check=True,
        )
        partial.rename(path)
    return path


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def ensure_users(shops: int) -> None:
    from accounts.models import User
    from accounts.services import make_partner

    for index in range(shops):
        user, _created = User.objects.get_or_create(
            username=PARTNER.format(index=index), defaults={"email": f"scale-partner-{index}@example.com"}
        )
        make_partner(user=user)
    User.objects.get_or_create(
        username=MANAGER,
        defaults={"email": "scale-manager@example.com", "is_staff": True, "is_superuser": True},
    )


def offer_total() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalog_offer")
        return cursor.fetchone()[0]


def build(args, env: dict) -> None:
    if args.rebuild or not database_exists(args.database_url):
        recreate_database(args.database_url)
    started = time.perf_counter()
    manage(env, "migrate", "--verbosity", "0")
    print(f"migrate: {time.perf_counter() - started:.1f} s")
    setup_django(env)
    ensure_users(SHOPS)
    present = offer_total()
    if present >= SHOPS * GOODS_PER_SHOP:
        print(f"catalogue present: {present:,} offers")
        return
    import_env = {**env, "PRICE_LIST_MAX_BYTES": str(512 * 1024 * 1024)}
    for index in range(SHOPS):
        path = generate(args.generator, goods=GOODS_PER_SHOP, seed=index + 1, shop=f"Магазин {index + 1:02d}")
        started = time.perf_counter()
        manage(import_env, "import_pricelist", "--partner", PARTNER.format(index=index), str(path))
        print(f"shop {index + 1:2d}/{SHOPS}: imported in {time.perf_counter() - started:.1f} s", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # autocommit: as autovacuum would have done by now
    print(f"catalogue built: {offer_total():,} offers")


# --- api ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn", path=str(REPO / ".venv" / "bin")) or "gunicorn"
    process = subprocess.Popen(
        [gunicorn, "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=REPO,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/shops/", timeout=2) as response:
                if response.status == 200:
                    return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 30 seconds")


def api_scenarios(base: str) -> list[tuple[str, str]]:
    """Issue 12's table, then the searches with a typo and the facets (when this version has them)."""
    import json

    from catalog.models import Category

    category = Category.objects.filter(name="Микрофоны").first() or Category.objects.order_by("pk").first()
    scenarios = [
        ("first page", "/products/?page_size=50"),
        ("price 1000..2000", "/products/?page_size=50&price_min=1000&price_max=2000"),
        ("category, by price", f"/products/?page_size=50&category={category.pk}&ordering=price"),
        ("page 500", "/products/?page_size=50&page=500"),
        ("search микрофон", "/products/?page_size=50&search=" + quote("микрофон")),
        ("search bosch", "/products/?page_size=50&search=bosch"),
        ("by price", "/products/?page_size=50&ordering=price"),
        ("search микрафон (typo)", "/products/?page_size=50&search=" + quote("микрафон")),
        ("search bosh (typo)", "/products/?page_size=50&search=bosh"),
        ("facets of a category", f"/products/facets/?category={category.pk}"),
        (
            "param filter in a category",
            f"/products/?page_size=50&category={category.pk}&param=" + quote("Цвет:черный"),
        ),
    ]
    # Keyset pages: the link the first page by price hands out, followed 200 pages deep.
    try:
        with urllib.request.urlopen(base + "/products/?page_size=50&ordering=price", timeout=60) as response:
            link = json.load(response).get("next_cursor")
        for _step in range(200):
            if not link:
                break
            with urllib.request.urlopen(link, timeout=60) as response:
                page = json.load(response)
            link = page.get("next_cursor") or None
        if link:
            scenarios.append(("by price, cursor 200 pages deep", link.removeprefix(base)))
    except urllib.error.HTTPError:
        pass
    return scenarios


def run_api(args, env: dict) -> None:
    port = free_port()
    server = start_gunicorn(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        scenarios = api_scenarios(base)
        print(f"\nAPI: gunicorn 2 workers, wrk -t2 -c{args.connections} -d{args.duration}s")
        # CPU per request (gunicorn workers, PostgreSQL backends) does not depend on what else runs on the
        # machine: 2 cores / CPU per request is the capacity on an otherwise idle machine.
        print(
            f"{'request':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'app ms':>7} {'db ms':>7} "
            f"{'cap/s':>8}  status"
        )
        for label, path in scenarios:
            try:
                with urllib.request.urlopen(base + path, timeout=60):
                    status = "ok"
            except urllib.error.HTTPError as error:
                print(f"{label:<34} {'—':>8} {'—':>8} {'—':>8}  HTTP {error.code} (not in this version)")
                continue
            result = measure(
                server, base + path, threads=2, connections=args.connections, duration=args.duration
            )
            if result["non_2xx"]:
                status = f"{result['non_2xx']} non-2xx"
            cpu = result["app_cpu_ms"] + result["db_cpu_ms"]
            print(
                f"{label:<34} {result['rps']:>8.1f} {result['p50']:>8.1f} {result['p99']:>8.1f} "
                f"{result['app_cpu_ms']:>7.1f} {result['db_cpu_ms']:>7.1f} {2000 / cpu if cpu else 0:>8.0f}  {status}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- admin ----------------------------------------------------------------------------------------


def admin_pages() -> list[tuple[str, str]]:
    from django.urls import reverse

    pages = []
    for label, name, search in [
        ("offers", "catalog_offer", "bosch"),
        ("products", "catalog_product", "микрофон"),
        ("shops", "catalog_shop", "05"),
        ("categories", "catalog_category", "микро"),
        ("imports", "partners_pricelistimport", "goods"),
        ("orders", "orders_order", "scale"),
        ("shipments", "orders_shipment", "scale"),
    ]:
        url = reverse(f"admin:{name}_changelist")
        pages.append((label, url))
        pages.append((f"{label}: search {search}", f"{url}?q={quote(search)}"))
    offers = reverse("admin:catalog_offer_changelist")
    pages.append(("offers sorted by price", f"{offers}?o=5"))
    pages.append(("offers page 5000", f"{offers}?p=5000"))
    return pages


def run_admin() -> None:
    from django.test import Client

    from accounts.models import User

    print("\nAdmin changelists (one request each after a warm-up; ms)")
    print(f"{'page':<34} {'manager':>9} {'partner':>9}")
    clients = {}
    for role, username in (("manager", MANAGER), ("partner", PARTNER.format(index=0))):
        client = Client()
        client.force_login(User.objects.get(username=username))
        clients[role] = client
    for label, url in admin_pages():
        figures = []
        for role in ("manager", "partner"):
            client = clients[role]
            client.get(url)
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            figures.append(
                f"{elapsed:>9.0f}"
                if response.status_code == 200
                else f"{'HTTP ' + str(response.status_code):>9}"
            )
        print(f"{label:<34} {figures[0]} {figures[1]}", flush=True)


# --- import ---------------------------------------------------------------------------------------


def timed_import(env: dict, path: Path, partner: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `manage.py import_pricelist` child process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_pricelist", "--partner", partner, str(path)], env=env, cwd=REPO
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"import of {path.name} failed with exit code {process.returncode}")
    return seconds, usage.ru_maxrss / 1024


def run_import(args, env: dict) -> None:
    url = args.database_url + "_import"
    import_env = {**env, "DATABASE_URL": url, "PRICE_LIST_MAX_BYTES": str(512 * 1024 * 1024)}
    recreate_database(url)
    manage(import_env, "migrate", "--verbosity", "0")
    manage(
        import_env,
        "shell",
        "-c",
        "from accounts.models import User; from accounts.services import make_partner; "
        "make_partner(user=User.objects.create(username='scale-import'))",
    )
    path = generate(args.generator, goods=args.import_goods, seed=1, shop="Большой магазин")
    size_mb = path.stat().st_size / 1024 / 1024
    print(f"\nImport of {args.import_goods:,} goods ({size_mb:.0f} MB), manage.py import_pricelist")
    for label in ("first import", "unchanged re-import"):
        seconds, peak = timed_import(import_env, path, "scale-import")
        print(f"{label:<24} {seconds:>7.1f} s  peak RSS {peak:>6.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("SCALE_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--rebuild", action="store_true", help="drop the catalogue and build it again")
    parser.add_argument(
        "--sections", nargs="+", choices=("api", "admin", "import"), default=["api", "admin", "import"]
    )
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--import-goods", type=int, default=200_000)
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    args = parser.parse_args()
    if not shutil.which("wrk") and "api" in args.sections:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": args.database_url}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    build(args, env)
    if "api" in args.sections:
        run_api(args, env)
    if "admin" in args.sections:
        run_admin()
    if "import" in args.sections:
        run_import(args, env)


if __name__ == "__main__":
    main()
