"""Prometheus metrics of the web processes, and who may read them.

Two kinds of numbers, kept where they are true:

- What each web process measures itself (request latency by view, orders placed) lives in that
  process. gunicorn runs several processes, so prometheus-client's multiprocess mode is used:
  `gunicorn.conf.py` sets PROMETHEUS_MULTIPROC_DIR (before any worker imports prometheus-client),
  empties it when gunicorn starts, and when a worker exits folds that worker's counts into one
  archive file (`fold_dead_process`), so the totals never go down and the directory does not grow
  with every recycled worker (GUNICORN_MAX_REQUESTS). Each web machine reports its own processes:
  sum them across machines in Prometheus.
- What belongs to the whole deployment (imports by status and duration, queue lengths) is read from
  its source, the database and the broker, at scrape time (`config.metrics_view`): imports run on
  worker machines that nobody scrapes, and a number read from the source is right on every web machine.

`/metrics` is off unless METRICS_ENABLED, and then answers only a request with the bearer token
METRICS_TOKEN or from an address in METRICS_ALLOWED_ADDRESSES (the client address as the throttles see
it: `config.api.client_address`). Everyone else gets a 404, as if there were no such page.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hmac
import ipaddress
import os
from collections.abc import Iterator

from django.conf import settings
from prometheus_client import Counter, Histogram

from config.api.client_address import client_address

MULTIPROCESS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
LOCK_FILE = ".lock"

REQUEST_LATENCY = Histogram(
    "procurement_http_request_duration_seconds",
    "Time to answer a request, by view (the URL pattern's name), method and status class.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ORDERS_PLACED = Counter(
    "procurement_orders_placed",
    "Orders confirmed by customers (counted by the web process that confirmed them).",
)


def observe_request(request, response, seconds: float) -> None:
    match = getattr(request, "resolver_match", None)
    # The pattern's name, never the path: paths hold ids, and every id would be a new time series.
    view = (match.view_name or match._func_path) if match is not None else "unmatched"
    REQUEST_LATENCY.labels(view, request.method, f"{response.status_code // 100}xx").observe(seconds)


def may_read_metrics(request) -> bool:
    """True when METRICS_ENABLED and the request has the token or comes from an allowed address."""
    if not settings.METRICS_ENABLED:
        return False
    token = settings.METRICS_TOKEN
    if token:
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    networks = settings.METRICS_ALLOWED_ADDRESSES
    if networks:
        try:
            address = ipaddress.ip_address(client_address(request))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(network, strict=False) for network in networks)
    return False


def multiprocess_directory() -> str | None:
    directory = os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE, "")
    return directory if directory and os.path.isdir(directory) else None


@contextlib.contextmanager
def directory_lock(directory: str, *, exclusive: bool) -> Iterator[None]:
    """Readers share it; folding a dead worker's file takes it alone, so no scrape sees a count twice
    (folded, and still in the dead worker's file) or not at all."""
    with open(os.path.join(directory, LOCK_FILE), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def clear_multiprocess_directory(directory: str) -> None:
    """Start from nothing: counts of a previous gunicorn run would otherwise be added to this one's."""
    os.makedirs(directory, exist_ok=True)
    for path in glob.glob(os.path.join(directory, "*.db")):
        os.remove(path)


def fold_dead_process(pid: int, directory: str | None = None) -> None:
    """Add a worker's counters and histograms to the archive files, then delete its own files.

    Called by gunicorn's master when a worker exits. Counters and histogram buckets only add up, so
    the archive holds the sum of every worker that ever ran in this gunicorn; this project records no
    gauges in the web processes (those come from the database and the broker at scrape time).
    """
    from prometheus_client.mmap_dict import MmapedDict

    directory = directory or multiprocess_directory()
    if directory is None:
        return
    with directory_lock(directory, exclusive=True):
        for kind in ("counter", "histogram"):
            dead = os.path.join(directory, f"{kind}_{pid}.db")
            if not os.path.exists(dead):
                continue
            archive = MmapedDict(os.path.join(directory, f"{kind}_archive.db"))
            try:
                for key, value, timestamp, _position in MmapedDict.read_all_values_from_file(dead):
                    current, _ = archive.read_value(key)
                    archive.write_value(key, current + value, timestamp)
            finally:
                archive.close()
            os.remove(dead)
