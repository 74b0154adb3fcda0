"""Benchmark of the price-list import engine on PostgreSQL (never part of the test run).

    .venv/bin/python bench/import_bench.py [--sizes 10000 50000] [--naive-goods 2000]
        [--database-url postgres://postgres@127.0.0.1:5432/procurement_bench]
        [--generator ../shared/tools/gen_pricelist.py]

It drops and re-creates the benchmark database, migrates it, generates price lists with the generator
script (`--goods N --params 8 --seed 1`), and measures each step in its own child process so the peak
memory (max RSS of that child) belongs to that step alone:

* the engine's first import and unchanged re-import of every size,
* a naive per-row importer (get_or_create per good, as simple services do) on a small file,

printing seconds, goods/second, SQL statements and peak memory, and the engine's speed-up over the naive one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/procurement_bench"
DEFAULT_GENERATOR = REPO / ".." / "shared" / "tools" / "gen_pricelist.py"


# --- Child side: one measurement ------------------------------------------------------------------


def _setup_django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _count_statements():
    """Count every SQL statement: those Django runs, plus the engine's COPY statements (raw cursor)."""
    from django.db import connection

    from partners.importing import staging

    counter = {"statements": 0}

    def count(execute, sql, params, many, context):
        counter["statements"] += 1
        return execute(sql, params, many, context)

    copy_rows = staging.copy_rows

    def counted_copy(*args, **kwargs):
        counter["statements"] += 1
        return copy_rows(*args, **kwargs)

    staging.copy_rows = counted_copy
    return counter, connection.execute_wrapper(count)


def measure_engine(path: Path, partner_name: str) -> dict:
    _setup_django()
    from accounts.models import User
    from partners.importing.workflow import create_price_list_import, run_price_list_import
    from partners.models import PriceListImport

    partner, _created = User.objects.get_or_create(username=partner_name, defaults={"type": User.Type.SHOP})
    content = path.read_bytes()
    counter, wrapper = _count_statements()
    with wrapper:
        started = time.perf_counter()
        record = create_price_list_import(
            partner=partner, content=content, file_name=path.name, source=PriceListImport.Source.CLI
        )
        record = run_price_list_import(
            price_list_import=record, progress_every=int(os.environ.get("BENCH_PROGRESS_EVERY", "1000"))
        )
        seconds = time.perf_counter() - started
    if record.status != PriceListImport.Status.SUCCEEDED:
        raise SystemExit(f"import failed: {record.errors[:5]}")
    return {
        "seconds": seconds,
        "statements": counter["statements"],
        "goods": record.goods_total,
        "counts": record.plan["counts"],
        "timings_ms": record.plan["timings_ms"],
    }


def measure_naive(path: Path, partner_name: str) -> dict:
    """The baseline, shaped like the original service's importer: the YAML loaded whole, then
    get_or_create / update_or_create row by row in autocommit (no transaction around the loop)."""
    _setup_django()
    from decimal import Decimal

    import yaml

    from accounts.models import User
    from catalog.models import Category, Offer, Product, Shop

    partner, _created = User.objects.get_or_create(username=partner_name, defaults={"type": User.Type.SHOP})
    counter, wrapper = _count_statements()
    with wrapper:
        started = time.perf_counter()
        data = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        shop, _created = Shop.objects.get_or_create(name=data["shop"], defaults={"owner": partner})
        categories = {}
        for category in data["categories"]:
            categories[category["id"]], _created = Category.objects.get_or_create(name=category["name"])
        for good in data["goods"]:
            product, _created = Product.objects.get_or_create(
                name=good["name"], category=categories[good["category"]]
            )
            Offer.objects.update_or_create(
                shop=shop,
                external_id=str(good["id"]),
                defaults={
                    "product": product,
                    "model": good.get("model", ""),
                    "price": Decimal(str(good["price"])),
                    "recommended_price": Decimal(str(good["price_rrc"])),
                    "quantity": good["quantity"],
                    "parameters": good.get("parameters", {}),
                },
            )
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "statements": counter["statements"], "goods": len(data["goods"])}


# --- Parent side ----------------------------------------------------------------------------------


def run_child(mode: str, path: Path, partner: str, env: dict) -> dict:
    """Run one measurement in a child process; add its peak RSS (MB) to the result."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, str(path), partner],
        env=env,
        stdout=subprocess.PIPE,
        cwd=REPO,
    )
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{mode} {path.name} failed with exit code {process.returncode}")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return result


def recreate_database(url: str, env: dict) -> None:
    import psycopg2
    from psycopg2 import sql
    from psycopg2.extensions import parse_dsn

    params = parse_dsn(url)
    name = params.pop("dbname")
    admin = psycopg2.connect(**{**params, "dbname": "postgres"})
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], env=env, cwd=REPO, check=True
    )


def line(label: str, result: dict) -> str:
    rate = result["goods"] / result["seconds"]
    text = (
        f"{label:<34} {result['goods']:>7} goods {result['seconds']:>8.2f} s {rate:>10,.0f} goods/s "
        f"{result['statements']:>7} statements {result['peak_mb']:>7.0f} MB peak"
    )
    if "timings_ms" in result:
        text += (
            "  ("
            + ", ".join(f"{phase} {ms / 1000:.2f} s" for phase, ms in result["timings_ms"].items())
            + ")"
        )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--naive-goods", type=int, default=2_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "PARTNER"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        mode, path, partner = args.child
        measure = measure_engine if mode == "engine" else measure_naive
        print(json.dumps(measure(Path(path), partner)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="import-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "MEDIA_ROOT": str(workdir / "media"),
        "DEBUG_FLAG": "False",
        "SECRET_KEY": "benchmark-only-secret-key-not-for-production-use-0123456789",
        "LOG_LEVEL": "WARNING",
    }
    print(f"database {args.database_url}; files in {workdir}; load average {os.getloadavg()[0]:.1f}")
    recreate_database(args.database_url, env)

    def generate(goods: int, shop: str) -> Path:
        path = workdir / f"goods-{goods}.yaml"
        subprocess.run(
            [
                sys.executable,
                str(args.generator),
                "--goods",
                str(goods),
                "--params",
                "8",
                "--seed",
                "1",
                "--shop",
                shop,
                "-o",
                str(path),
            ],
            check=True,
        )
        return path

    results = {}
    for goods in args.sizes:
        path = generate(goods, f"Бенчмарк {goods}")
        size_mb = path.stat().st_size / 1e6
        first = run_child("engine", path, "bench-partner", env)
        print(line(f"engine first import ({size_mb:.0f} MB)", first), flush=True)
        again = run_child("engine", path, "bench-partner", env)
        print(line("engine unchanged re-import", again), flush=True)
        results[goods] = (first, again)

    if not args.naive_goods:
        return
    naive_path = generate(args.naive_goods, "Наивный магазин")
    naive = run_child("naive", naive_path, "naive-partner", env)
    print(line("naive per-row import", naive), flush=True)
    naive_rate = naive["goods"] / naive["seconds"]
    for goods, (first, again) in results.items():
        print(
            f"speed-up over the naive importer at {goods} goods: first import "
            f"{first['goods'] / first['seconds'] / naive_rate:.0f}×, unchanged re-import "
            f"{again['goods'] / again['seconds'] / naive_rate:.0f}×"
        )


if __name__ == "__main__":
    main()
