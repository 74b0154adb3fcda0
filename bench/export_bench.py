"""Benchmark of admin offer exports on PostgreSQL (never part of the test run).

    .venv/bin/python bench/export_bench.py [--offers 50000] [--formats csv xlsx]
        [--database-url postgres://postgres@127.0.0.1:5432/procurement_exportbench]

It drops and re-creates the benchmark database, migrates it, loads N offers, then measures in a child
process each (peak memory is that child's max RSS):

* before: what the export request did itself until now (django-import-export's dataset, then its
  format's `export_data`), for each format;
* after, the request: what the export request does now above ADMIN_EXPORT_BACKGROUND_ROWS (count the
  rows, record the export);
* after, the worker: the task building the file (`config.exports.build_export_file`), for each format.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/procurement_exportbench"


def _setup_django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _manager():
    from accounts.models import User

    return User.objects.get(username="bench-manager")


def _admin():
    from django.contrib import admin

    from catalog.models import Offer

    return admin.site.get_model_admin(Offer)


def measure(kind: str, file_format: str) -> dict:
    _setup_django()
    from django.utils import translation

    from config.exports import admin_request, build_export_file
    from config.models import AdminExport

    translation.activate("en")
    model_admin = _admin()
    request = admin_request(user=_manager(), query_string="")
    started = time.perf_counter()
    if kind == "before":
        from import_export.formats.base_formats import CSV, XLSX

        file_format_object = {"csv": CSV, "xlsx": XLSX}[file_format]()
        data = model_admin.get_export_data(
            file_format_object, request, model_admin.get_export_queryset(request)
        )
        size = len(data)
    elif kind == "request":
        rows = model_admin.get_export_queryset(request).count()
        AdminExport.objects.create(
            user=request.user, model_label="catalog.offer", file_format=file_format, rows_total=rows
        )
        size = 0
    else:
        export = AdminExport.objects.create(
            user=request.user, model_label="catalog.offer", file_format=file_format
        )
        export = build_export_file(export_id=export.pk)
        assert export.status == "succeeded", export.error
        size = export.file_size
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "bytes": size,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def load(offers: int) -> None:
    _setup_django()
    from decimal import Decimal

    from accounts.models import User
    from catalog.models import Category, Offer, Product, Shop

    User.objects.create_superuser("bench-manager", "bench@example.com", "bench-password-not-used")
    owner = User.objects.create(username="bench-partner", type=User.Type.SHOP, is_staff=True)
    shop = Shop.objects.create(name="Bench shop", owner=owner)
    category = Category.objects.create(name="Bench category")
    products = Product.objects.bulk_create(
        (Product(name=f"Product {number}", category=category) for number in range(offers)), batch_size=5000
    )
    Offer.objects.bulk_create(
        (
            Offer(
                shop=shop,
                product=product,
                external_id=str(number),
                model=f"brand/model-{number}",
                price=Decimal(100 + number % 97),
                recommended_price=Decimal(120 + number % 97),
                quantity=number % 13,
                parameters={"Цвет": "черный"},
            )
            for number, product in enumerate(products)
        ),
        batch_size=5000,
    )


def run_child(environment: dict[str, str], *arguments: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=50_000)
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--child", nargs="+")
    options = parser.parse_args()
    if options.child:
        if options.child[0] == "load":
            load(int(options.child[1]))
            print(json.dumps({}))
        else:
            print(json.dumps(measure(options.child[0], options.child[1])))
        return

    name = options.database_url.rsplit("/", 1)[-1]
    admin_url = options.database_url.rsplit("/", 1)[0] + "/postgres"
    media = tempfile.mkdtemp(prefix="export-bench-media-")
    environment = {
        **os.environ,
        "DATABASE_URL": options.database_url,
        "MEDIA_ROOT": media,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    subprocess.run(["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], env=environment, check=True, cwd=REPO)
    run_child(environment, "load", str(options.offers))
    print(f"{options.offers} offers on PostgreSQL")
    print(f"{'what':<34} {'format':<6} {'seconds':>8} {'bytes':>12} {'peak MB':>8}")
    for file_format in options.formats:
        for kind, label in (
            ("before", "before: the request writes it"),
            ("request", "after: the request (count, record)"),
            ("worker", "after: the worker writes it"),
        ):
            figures = run_child(environment, kind, file_format)
            print(
                f"{label:<34} {file_format:<6} {figures['seconds']:>8.2f} {figures['bytes']:>12} {figures['peak_mb']:>8}"
            )


if __name__ == "__main__":
    main()
