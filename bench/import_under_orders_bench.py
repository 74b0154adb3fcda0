"""An import of a large price list while customers confirm orders against the same shop.

Prints how long the import took, how long each confirm waited (median and slowest), how an unrelated
page (`/shops/`) answered meanwhile, whether anything deadlocked or failed, and how many sold units the
import offered again. Runs on PostgreSQL (`--database-url`, dropped and created again), with real
threads, each on its own connection:

    .venv/bin/python bench/import_under_orders_bench.py [--goods 100000] [--customers 32] [--reverse]

`--reverse` lists the goods in the other order than the offers' primary keys (the order confirm_order
locks them in). The script runs on older versions of the engine too, for before/after figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
REPORTED = 50


def price_list(goods: int, *, price: int, reverse: bool) -> bytes:
    numbers = range(goods - 1, -1, -1) if reverse else range(goods)
    lines = ["shop: Большой склад", "categories:", "  - id: 1", "    name: Крепёж", "goods:"]
    for number in numbers:
        lines += [
            f"  - id: {number}",
            "    category: 1",
            f"    name: Шуруп №{number}",
            f"    price: {price + number % 100}",
            f"    quantity: {REPORTED}",
            "    parameters:",
            f'      "Длина (мм)": {10 + number % 90}',
        ]
    return ("\n".join(lines) + "\n").encode()


def fresh_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    for statement in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement, "postgres"], check=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goods", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=32)
    parser.add_argument("--reverse", action="store_true")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/procurement_underorders"
    )
    args = parser.parse_args()
    fresh_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG_FLAG", "True")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # What is measured is waiting on locks: no throttle answers 429 and the customers need no e-mail
    # confirmation (both are read when the settings load, so they are set here, before django.setup()).
    os.environ.setdefault("EMAIL_CONFIRMATION", "off")
    for rate in ("THROTTLE_ANON", "THROTTLE_USER"):
        os.environ.setdefault(rate, "1000000/min")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    call_command("migrate", verbosity=0)
    from accounts.models import User
    from catalog.models import Offer
    from orders.models import Order, OrderItem
    from orders.services import add_to_basket
    from partners.models import PriceListImport

    try:
        from partners.importing.workflow import create_price_list_import, run_price_list_import
    except ImportError:  # the engine before issue 8
        from partners.services import create_price_list_import, run_price_list_import

    partner = User.objects.create(username="bench-partner", type=User.Type.SHOP, is_staff=True)

    def imported(content: bytes) -> PriceListImport:
        record = create_price_list_import(partner=partner, content=content, file_name="s.yaml", source="api")
        return record

    first = run_price_list_import(
        price_list_import=imported(price_list(args.goods, price=100, reverse=False))
    )
    assert first.status == "succeeded", first.errors
    offer_ids = list(Offer.objects.order_by("id").values_list("id", flat=True))
    prepared = []
    for index in range(args.customers):
        customer = User.objects.create(username=f"customer-{index}", email=f"c{index}@example.com")
        picks = {offer_ids[index * 7], offer_ids[len(offer_ids) // 2 + index * 5], offer_ids[-1 - index * 3]}
        for offer_id in sorted(picks):
            basket = add_to_basket(user=customer, offer_id=offer_id, quantity=1 + index % 2)
        prepared.append((customer, basket.pk))
    record = imported(price_list(args.goods, price=5000, reverse=args.reverse))

    confirms: list[tuple[float, int, str]] = []
    pages: list[float] = []
    failures: list[str] = []
    start = threading.Event()
    done = threading.Event()
    timing = {}

    def run_import():
        started = time.monotonic()
        try:
            run_price_list_import(price_list_import=record)
        except Exception as exc:
            failures.append(f"import: {type(exc).__name__}: {exc}")
        finally:
            timing["import"] = time.monotonic() - started
            done.set()
            connection.close()

    def confirm(customer, basket_id: int, delay: float):
        start.wait()
        time.sleep(delay)
        api = APIClient()
        api.force_authenticate(customer)
        started = time.monotonic()
        try:
            response = api.post(
                "/orders/confirm/", {"id": basket_id, "address": "Пермь, Ленина 1", "phone": "+79161234567"}
            )
            confirms.append((time.monotonic() - started, response.status_code, ""))
        except Exception as exc:
            confirms.append((time.monotonic() - started, 0, type(exc).__name__))
        finally:
            connection.close()

    def read_pages():
        start.wait()
        client = Client()
        while not done.is_set():
            started = time.monotonic()
            client.get("/shops/")
            pages.append(time.monotonic() - started)
            time.sleep(0.05)
        connection.close()

    threads = [threading.Thread(target=run_import), threading.Thread(target=read_pages)]
    threads += [
        threading.Thread(target=confirm, args=(customer, basket_id, index * 0.1))
        for index, (customer, basket_id) in enumerate(prepared)
    ]
    for thread in threads:
        thread.start()
    # Customers start once the file is parsed (the new engine stages it; the old one parses in memory),
    # i.e. when the import has had a moment to reach its write phase.
    time.sleep(2.0 if args.goods >= 50_000 else 0.5)
    start.set()
    for thread in threads:
        thread.join()
    record.refresh_from_db()

    ordered: dict[int, int] = {}
    for offer_id, quantity in OrderItem.objects.filter(order__state=Order.State.NEW).values_list(
        "offer_id", "quantity"
    ):
        ordered[offer_id] = ordered.get(offer_id, 0) + quantity
    quantities = dict(Offer.objects.filter(pk__in=ordered).values_list("id", "quantity"))
    resold = sum(max(0, quantities[offer_id] - (REPORTED - units)) for offer_id, units in ordered.items())
    waits = sorted(seconds for seconds, _status, _error in confirms)
    statuses: dict[str, int] = {}
    for _seconds, status, error in confirms:
        key = error or str(status)
        statuses[key] = statuses.get(key, 0) + 1

    print(
        f"goods {args.goods}, customers {args.customers}, file {'reversed' if args.reverse else 'in offer order'}"
    )
    print(
        f"import: {record.status} in {timing['import']:.1f} s; errors: {record.errors[:1] or failures or 'none'}"
    )
    print(f"confirms: {statuses}; wait median {statistics.median(waits):.3f} s, slowest {waits[-1]:.3f} s")
    if pages:
        print(
            f"/shops/ during the import: {len(pages)} requests, median {statistics.median(pages):.3f} s, "
            f"slowest {max(pages):.3f} s"
        )
    print(f"units sold during the import and offered again: {resold} of {sum(ordered.values())}")


if __name__ == "__main__":
    main()
