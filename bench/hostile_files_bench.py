"""Benchmark: memory and time of the price-list parser on hostile and clumsy files (never a test).

    .venv/bin/python bench/hostile_files_bench.py [--size-mb 64] [--only NAME ...] [--timeout 300]

Writes each file shape below (about --size-mb megabytes, under bench/out/hostile/), then parses it in a
child process with `read_price_list(stream, on_good=...)` (what an import runs), and prints per shape:
the outcome (goods accepted, or the first error), wall-clock seconds and the child's peak memory (max
RSS, VmHWM, Django and the project loaded: the "baseline" row is that process parsing nothing).

Shapes:
  long-line          one line `z: a#a#a#…` of the whole size
  deep-flow          `[[[[…]]]]` nested as deep as the size allows (0.4 MB by default: it is quadratic)
  alias-flood        an anchor, then lines of aliases to it
  empty-parameters   goods written with `parameters: {}` (valid; used to send the file to the YAML reader)
  outside-subset     a valid generated file with one tab, so the scanner declines it and YAML reads it all
  block-scalar       one parameter value written as a literal block of the whole size
  long-number        a valid file whose last good's quantity is a 5,000-digit number
  valid              a valid file of the same size read by the scanner (the normal case)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out" / "hostile"

GOOD = """  - id: {n}
    category: 1
    model: "model/{n}"
    name: "Товар номер {n}"
    price: {price}
    price_rrc: {rrc}
    quantity: {quantity}
    parameters:
      "Цвет": "чёрный"
      "Вес (г)": {weight}
      "Экран": 6.5
      "Разрешение": "2688x1242"
"""
HEAD = "shop: Магазин\ncategories:\n  - id: 1\n    name: Смартфоны\ngoods:\n"


def _goods(size: int, template: str = GOOD):
    written, n = 0, 0
    while written < size:
        n += 1
        text = template.format(n=n, price=100 + n % 900, rrc=200 + n % 900, quantity=n % 50, weight=n % 300)
        written += len(text.encode())
        yield text


def write_shapes(size: int, names: list[str]) -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def target(name: str) -> Path | None:
        if names and name not in names:
            return None
        files[name] = OUT / f"{name}.yaml"
        return files[name]

    if path := target("long-line"):
        path.write_bytes(b"z: " + b"a#" * (size // 2))
    if path := target("deep-flow"):
        depth = 200_000  # 0.4 MB: the size at which a worker was held 70 s; 100 per line
        opening = b"\n".join([b"[" * 100] * (depth // 100))
        closing = b"\n".join([b"]" * 100] * (depth // 100))
        path.write_bytes(b"shop: " + opening + b"\n" + closing + b"\n")
    if path := target("alias-flood"):
        with path.open("w") as out:
            out.write("shop: &a Магазин\ncategories:\n")
            line = "  - *a\n"
            out.write(line * (size // len(line)))
            out.write("goods: []\n")
    if path := target("empty-parameters"):
        template = "  - id: {n}\n    category: 1\n    name: Товар {n}\n    price: {price}\n    quantity: {quantity}\n    parameters: {{}}\n"
        with path.open("w") as out:
            out.write(HEAD)
            out.writelines(_goods(size, template))
    if path := target("outside-subset"):
        with path.open("w") as out:
            out.write(HEAD.replace("name: Смартфоны", "name:\tСмартфоны"))
            out.writelines(_goods(size))
    if path := target("block-scalar"):
        with path.open("w") as out:
            out.write(HEAD)
            out.write(
                "  - id: 1\n    category: 1\n    name: N\n    price: 1\n    quantity: 1\n    parameters:\n"
            )
            out.write("      Описание: |\n")
            line = "        " + "длинное описание " * 4 + "\n"
            out.write(line * (size // len(line.encode())))
    if path := target("long-number"):
        with path.open("w") as out:
            out.write(HEAD)
            out.writelines(_goods(size - 6000))
            out.write(
                "  - id: last\n    category: 1\n    name: N\n    price: 1\n    quantity: " + "7" * 5000 + "\n"
            )
    if path := target("valid"):
        with path.open("w") as out:
            out.write(HEAD)
            out.writelines(_goods(size))
    return files


CHILD = """
import json, os, resource, sys, time
sys.path.insert(0, {repo!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.utils import translation
translation.activate("en")
from partners.pricelist import PriceListInvalid, read_price_list
path = sys.argv[1]
result = {{}}
count = [0]
def on_good(good):
    count[0] += 1
def on_restart():
    count[0] = 0
started = time.perf_counter()
if path != "-":
    try:
        with open(path, "rb") as stream:
            read_price_list(stream, on_good=on_good, on_restart=on_restart, max_bytes=1 << 31)
        result["outcome"] = f"accepted {{count[0]}} goods"
    except PriceListInvalid as exc:
        result["outcome"] = f"rejected ({{len(exc.errors)}}): {{exc.errors[0]}}"[:110]
    except Exception as exc:  # what the old parser did with some shapes
        result["outcome"] = f"CRASH {{type(exc).__name__}}: {{exc}}"[:110]
result["seconds"] = time.perf_counter() - started
def peak_mb():
    # VmHWM belongs to this program alone; ru_maxrss would count the parent's memory at fork.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
result["peak_mb"] = peak_mb()
print(json.dumps(result))
"""


def measure(path: str, repo: Path, timeout: int) -> dict:
    code = CHILD.format(repo=str(repo))
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, path], capture_output=True, text=True, timeout=timeout, cwd=repo
        )
    except subprocess.TimeoutExpired:
        return {
            "outcome": f"still running after {timeout} s (killed)",
            "seconds": time.perf_counter() - started,
        }
    if done.returncode != 0:
        return {
            "outcome": f"child failed: {done.stderr.strip().splitlines()[-1:]}",
            "seconds": 0,
            "peak_mb": 0,
        }
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=float, default=64)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose parser is measured")
    args = parser.parse_args()
    size = int(args.size_mb * 1024 * 1024)
    files = write_shapes(size, args.only)
    print(f"parser of {args.repo}  (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    print(f"{'shape':18} {'MB':>7} {'seconds':>8} {'peak MB':>8}  outcome")
    baseline = measure("-", args.repo, args.timeout)
    print(
        f"{'baseline':18} {0:7.1f} {baseline['seconds']:8.2f} {baseline['peak_mb']:8.0f}  (Django loaded, nothing parsed)"
    )
    for name, path in files.items():
        result = measure(str(path), args.repo, args.timeout)
        mb = path.stat().st_size / 1024 / 1024
        peak = result.get("peak_mb")
        peak_text = f"{peak:8.0f}" if peak is not None else f"{'-':>8}"
        print(f"{name:18} {mb:7.1f} {result['seconds']:8.2f} {peak_text}  {result['outcome']}", flush=True)


if __name__ == "__main__":
    main()
