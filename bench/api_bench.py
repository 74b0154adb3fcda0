"""API benchmark: 50,000 offers on PostgreSQL, the app under gunicorn, product pages and the order flow under wrk.

Run `make bench-api` (or `.venv/bin/python bench/api_bench.py`). It creates and migrates its own database
(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/procurement_apibench), loads the catalog once,
starts gunicorn with 2 workers on a free port, and prints requests/s with p50/p99 latency per scenario.
Needs `wrk` (`apt-get install -y wrk`). Options: --duration, --connections, --threads, --offers, --reload.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/procurement_apibench"
SHOP_COUNT = 5
CATEGORY_COUNT = 40
TARGET_P50_MS = 30.0
TARGET_RPS = 150.0
WORDS = [
    "Phone",
    "Laptop",
    "Tablet",
    "Monitor",
    "Router",
    "Camera",
    "Speaker",
    "Headset",
    "Keyboard",
    "Mouse",
    "Printer",
    "Drive",
    "Watch",
    "Charger",
    "Cable",
    "Console",
    "Projector",
    "Scanner",
    "Player",
    "Microphone",
]
BRANDS = [
    "apple",
    "samsung",
    "lenovo",
    "asus",
    "xiaomi",
    "huawei",
    "sony",
    "lg",
    "philips",
    "acer",
    "dell",
    "hp",
]


def ensure_database(database_url: str) -> None:
    """Create the benchmark database when it does not exist yet."""
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
            print(f"created database {name}")
        # The usual setting for SSD-backed or in-memory databases (PostgreSQL's default of 4 assumes
        # spinning disks and makes the planner prefer scanning whole tables over index lookups).
        cursor.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
    connection.close()


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def load_catalog(*, offer_count: int, reload: bool) -> None:
    """Several shops offering overlapping products (customers compare prices), loaded with bulk_create."""
    from django.db import transaction

    from accounts.models import User
    from catalog.models import Category, Offer, Product, Shop
    from catalog.shop_names import shop_name_key

    bench_shops = Shop.objects.filter(name__startswith="Bench shop ")
    existing = Offer.objects.filter(shop__in=bench_shops).count()
    if existing == offer_count and not reload:
        print(f"catalog already loaded: {existing} offers in {bench_shops.count()} shops")
        return
    started = time.perf_counter()
    rng = random.Random(42)
    with transaction.atomic():
        Offer.objects.filter(shop__in=bench_shops).delete()
        Product.objects.filter(category__name__startswith="Bench ").delete()
        bench_shops.delete()
        owners = []
        for index in range(SHOP_COUNT):
            owner, _ = User.objects.get_or_create(
                username=f"bench-partner-{index}",
                defaults={"type": User.Type.SHOP, "email": f"bench-partner-{index}@example.com"},
            )
            owners.append(owner)
        # bulk_create skips Shop.save(), which derives the comparison key: give it here.
        names = [f"Bench shop {index}" for index in range(SHOP_COUNT)]
        shops = Shop.objects.bulk_create(
            [
                Shop(name=name, name_key=shop_name_key(name), owner=owner)
                for name, owner in zip(names, owners, strict=True)
            ]
        )
        categories = [
            Category.objects.get_or_create(name=f"Bench {word} {index}")[0]
            for index, word in enumerate(WORDS * (CATEGORY_COUNT // len(WORDS)))
        ]
        # On average 2.5 shops per product: 50,000 offers are 20,000 products.
        product_count = offer_count * 2 // 5
        products = Product.objects.bulk_create(
            [
                Product(
                    name=f"{rng.choice(WORDS)} {rng.choice(BRANDS).title()} {index:06d}",
                    category=categories[index % len(categories)],
                )
                for index in range(product_count)
            ],
            batch_size=5000,
        )
        offers = []
        third_shop_products = offer_count - 2 * product_count
        for product_index, product in enumerate(products):
            shop_count = 3 if product_index < third_shop_products else 2
            for shop in rng.sample(shops, shop_count):
                offers.append(_offer(rng, shop, product, len(offers)))
        Offer.objects.bulk_create(offers[:offer_count], batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"loaded {offer_count} offers of {product_count} products in {SHOP_COUNT} shops "
        f"in {time.perf_counter() - started:.1f}s"
    )


def _offer(rng: random.Random, shop, product, index: int):
    from catalog.models import Offer

    price = Decimal(rng.randrange(100, 300_000))
    return Offer(
        shop=shop,
        product=product,
        external_id=f"b{index}",
        model=f"{rng.choice(BRANDS)}/{product.name.split()[0].lower()}-{index}",
        price=price,
        recommended_price=price * Decimal("1.2"),
        quantity=rng.choice((0, 1, 5, 20, 100)),
        is_active=rng.random() > 0.02,
        parameters={
            "Цвет": rng.choice(("черный", "белый", "синий")),
            "Гарантия, мес": rng.choice((6, 12, 24)),
        },
    )


def prepare_order_flow() -> dict | None:
    """Buyers with tokens and one well-stocked offer, when the orders API exists."""
    from django.urls import Resolver404, resolve

    from accounts.models import User
    from accounts.services import issue_token
    from catalog.models import Offer
    from orders.models import Order

    try:
        resolve("/products/order/")
    except Resolver404:
        return None
    offer = Offer.objects.filter(shop__name__startswith="Bench shop ", is_active=True).order_by("pk").first()
    Offer.objects.filter(pk=offer.pk).update(quantity=1_000_000_000)
    tokens = []
    for index in range(8):
        user, _ = User.objects.get_or_create(
            username=f"bench-buyer-{index}", defaults={"email": f"bench-buyer-{index}@example.com"}
        )
        Order.objects.filter(user=user, state=Order.State.BASKET).delete()
        tokens.append(issue_token(user=user))
    return {"offer_id": offer.pk, "tokens": tokens}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG_FLAG": "False",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "off",
        # Keep the same workers for the whole run, so their CPU time can be read.
        "GUNICORN_MAX_REQUESTS": "0",
        "STATIC_MANIFEST": "False",
        # Plain HTTP on the loopback, as gunicorn gets it from nginx; TLS is not what is measured.
        "SECURE_SSL_REDIRECT": "False",
        # The benchmark is one client hammering the API: lift the per-client limit (per second, so
        # that the throttle's request history stays as short as with the real per-minute rate).
        "THROTTLE_ANON": "1000000/s",
        "THROTTLE_USER": "1000000/s",
    }
    gunicorn = shutil.which("gunicorn", path=str(BASE_DIR / ".venv" / "bin")) or "gunicorn"
    process = subprocess.Popen(
        [gunicorn, "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=BASE_DIR,
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


def run_wrk(url: str, *, threads: int, connections: int, duration: int, script: str | None = None) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _latency_ms(output, "50%"),
        "p99": _latency_ms(output, "99%"),
        "non_2xx": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0,
        "errors": "Socket errors" in output,
    }


def _latency_ms(output: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _cpu_seconds(pid: int) -> tuple[int, float]:
    """(start time, user + system CPU seconds) of one process; (0, 0.0) when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0, 0.0
    return int(fields[19]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_spent(before: dict[int, tuple[int, float]]) -> float:
    """CPU seconds the processes spent since `before`; a process that ended or whose id was reused
    by another process since then is left out."""
    spent = 0.0
    for pid, (started, cpu) in before.items():
        started_now, cpu_now = _cpu_seconds(pid)
        if started_now == started:
            spent += cpu_now - cpu
    return spent


def _worker_pids(master_pid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            pids.append(int(stat.parent.name))
    return pids


def _database_backend_pids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def measure(server: subprocess.Popen, url: str, **wrk_options) -> dict:
    """wrk figures plus the CPU the app workers and the database spent per request.

    The CPU figures do not depend on what else runs on the machine, so they tell the capacity even
    when the latency figures are disturbed by other load: 2 cores / (app + database CPU per request).
    """
    workers = _worker_pids(server.pid)
    app_before = {pid: _cpu_seconds(pid) for pid in workers}
    backends = _database_backend_pids()
    db_before = {pid: _cpu_seconds(pid) for pid in backends}
    result = run_wrk(url, **wrk_options)
    app = _cpu_spent(app_before)
    database = _cpu_spent(db_before)
    # Connections the workers opened during the run (a persistent connection reached its age).
    for pid in set(_database_backend_pids()) - set(db_before):
        database += _cpu_seconds(pid)[1]
    requests = max(result["requests"], 1)
    result["app_cpu_ms"] = app * 1000 / requests
    result["db_cpu_ms"] = database * 1000 / requests
    return result


ORDER_FLOW_LUA = """
local tokens = {%(tokens)s}
local counter = 0
request = function()
  counter = counter + 1
  local token = tokens[(counter %% #tokens) + 1]
  local headers = {["Authorization"] = "Token " .. token, ["Content-Type"] = "application/json"}
  if counter %% 2 == 1 then
    return wrk.format("POST", "/products/order/", headers,
      '{"product_info": %(offer_id)d, "quantity": 1, "contact": {"city": "Moscow"}}')
  end
  return wrk.format("GET", "/basket/", headers)
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--offers", type=int, default=50_000)
    parser.add_argument("--reload", action="store_true", help="reload the catalog even if present")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("the API benchmark runs on PostgreSQL: set DATABASE_URL to a postgres:// URL")
    ensure_database(database_url)
    setup_django(database_url)
    load_catalog(offer_count=args.offers, reload=args.reload)

    from catalog.models import Category

    category = Category.objects.filter(name__startswith="Bench ").order_by("pk").first()
    flow = prepare_order_flow()
    load_before = f"{os.getloadavg()[0]:.2f}"
    port = free_port()
    server = start_gunicorn(database_url, port)
    base = f"http://127.0.0.1:{port}"
    scenarios = [
        ("products, first page", "/products/?page_size=50"),
        ("products, page 100", "/products/?page_size=50&page=100"),
        (
            "products, category + price_min, by price",
            f"/products/?page_size=50&category={category.pk}&price_min=1000&ordering=price",
        ),
        ("products, search", "/products/?page_size=50&search=laptop"),
        ("products, in stock, by -price", "/products/?page_size=50&in_stock=true&ordering=-price"),
    ]
    results = []
    wrk_options = {"threads": args.threads, "connections": args.connections, "duration": args.duration}
    try:
        for label, path in scenarios:
            # Warm both workers (imports, connections, the cached count) before measuring.
            run_wrk(base + path, threads=1, connections=2, duration=2)
            results.append((label, measure(server, base + path, **wrk_options)))
        if flow is None:
            print("note: /products/order/ is not available in this build; the order flow is skipped")
        else:
            tokens = ", ".join(f'"{token}"' for token in flow["tokens"])
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(ORDER_FLOW_LUA % {"tokens": tokens, "offer_id": flow["offer_id"]})
            try:
                run_wrk(base, threads=1, connections=2, duration=2, script=script.name)
                result = measure(server, base, script=script.name, **wrk_options)
                results.append(("order flow: POST /products/order/ + GET /basket/", result))
            finally:
                os.unlink(script.name)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency against gunicorn -w 2, "
        f"{args.offers} offers on PostgreSQL; machine load average before/after: {load_before} / "
        f"{os.getloadavg()[0]:.2f}"
    )
    header = f"{'scenario':<50} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7}"
    print(header + f" {'app CPU ms/req':>14} {'db CPU ms/req':>13} {'2-core capacity':>15}")
    for label, result in results:
        cpu_ms = result["app_cpu_ms"] + result["db_cpu_ms"]
        capacity = 2000 / cpu_ms if cpu_ms else float("inf")
        print(
            f"{label:<50} {result['rps']:>7.1f} {result['p50']:>7.1f} {result['p99']:>7.1f} "
            f"{result['non_2xx']:>7} {result['app_cpu_ms']:>14.2f} {result['db_cpu_ms']:>13.2f} "
            f"{capacity:>11.0f} r/s"
        )
    first = results[0][1]
    verdict = "met" if first["p50"] < TARGET_P50_MS and first["rps"] >= TARGET_RPS else "NOT met"
    print(f"\nproduct page target (p50 < {TARGET_P50_MS:.0f} ms, >= {TARGET_RPS:.0f} req/s): {verdict}")


if __name__ == "__main__":
    main()
