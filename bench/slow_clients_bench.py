"""Slow clients against the web tier: N connections drip request headers at one byte a second while `/healthz` is timed.

Run `.venv/bin/python bench/slow_clients_bench.py`. It starts gunicorn from the repository folder (so with
gunicorn.conf.py) and production settings (only SECRET_KEY and ALLOWED_HOSTS set, SQLite in a temporary
folder) on a free local port, measures `/healthz` at rest, then opens `--clients` connections that send
`GET /healthz HTTP/1.1` and headers one byte every `--drip-interval` seconds (never finishing; a connection
the server closes is opened again at once, as an attacker would) and meanwhile requests `/healthz` once a
second for `--duration` seconds, and prints the latencies.

`--via-nginx` puts the shipped site file (deploy/nginx/procurement.conf) in front and sends both the
drippers and the probes to nginx (needs nginx and openssl). `--workers` and `--threads` set
WEB_CONCURRENCY and GUNICORN_THREADS; `--worker-class sync` sets GUNICORN_WORKER_CLASS, to measure the
configuration this project used before.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from config.tests.servers import (  # noqa: E402 (the repository is put on the path first)
    free_port,
    production_environment,
    start_gunicorn,
    start_nginx,
    stop,
)

PROBE_TIMEOUT_SECONDS = 120.0
DRIP_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: "


class Dripper(threading.Thread):
    """One slow client: headers one byte at a time, never finished; reconnects when cut off."""

    def __init__(self, port: int, interval: float, stop_event: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.interval, self.stop_event = port, interval, stop_event
        self.connections = 0
        self.bytes_sent = 0

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                    self.connections += 1
                    index = 0
                    while not self.stop_event.is_set():
                        byte = DRIP_HEAD[index : index + 1] or b"a"
                        sock.sendall(byte)
                        self.bytes_sent += 1
                        index += 1
                        if self.stop_event.wait(self.interval):
                            return
            except OSError:
                # Cut off by the server (or refused while it is busy): come straight back.
                self.stop_event.wait(0.05)


def probe(port: int) -> tuple[float, str]:
    """Seconds a fresh `GET /healthz` takes, and its status (or the error)."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT_SECONDS)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        outcome = str(response.status)
    except (OSError, http.client.HTTPException) as error:
        outcome = type(error).__name__
    finally:
        connection.close()
    return time.perf_counter() - started, outcome


def measure(port: int, *, duration: float) -> list[tuple[float, str]]:
    """Probe once a second (a probe that is slower delays the next) until `duration` has passed."""
    results = []
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        started = time.monotonic()
        results.append(probe(port))
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    return results


def summary(label: str, results: list[tuple[float, str]]) -> str:
    seconds = sorted(elapsed for elapsed, _ in results)
    failures = [outcome for _, outcome in results if outcome != "200"]
    p90 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.9))]
    return (
        f"{label:<34} probes {len(results):>3}  median {statistics.median(seconds) * 1000:>9.1f} ms  "
        f"p90 {p90 * 1000:>9.1f} ms  max {seconds[-1] * 1000:>9.1f} ms  not 200: {len(failures)}"
        + (f" ({', '.join(sorted(set(failures)))})" if failures else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=6, help="slow connections (default 6)")
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of probing under attack")
    parser.add_argument("--drip-interval", type=float, default=1.0, help="seconds between two bytes")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: gunicorn.conf.py's)")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], help="GUNICORN_WORKER_CLASS")
    parser.add_argument("--via-nginx", action="store_true", help="put the shipped nginx site in front")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="slow-clients-") as folder:
        folder_path = Path(folder)
        overrides = {"GUNICORN_ACCESS_LOG": "off", "LOG_LEVEL": "WARNING"}
        if args.workers:
            overrides["WEB_CONCURRENCY"] = str(args.workers)
        if args.threads:
            overrides["GUNICORN_THREADS"] = str(args.threads)
        if args.worker_class:
            overrides["GUNICORN_WORKER_CLASS"] = args.worker_class
        environment = production_environment(
            database_url=f"sqlite:///{folder_path / 'db.sqlite3'}", **overrides
        )
        gunicorn_port = free_port()
        gunicorn = start_gunicorn(
            port=gunicorn_port, environment=environment, output=folder_path / "gunicorn.log"
        )
        nginx = None
        try:
            target = gunicorn_port
            if args.via_nginx:
                nginx, target, _ = start_nginx(folder=folder_path / "nginx", upstream_port=gunicorn_port)
            front = "nginx → gunicorn" if nginx else "gunicorn"
            print(
                f"{front}, {args.clients} clients dripping headers at 1 byte/{args.drip_interval:g}s, "
                f"WEB_CONCURRENCY={overrides.get('WEB_CONCURRENCY', 'default')}, "
                f"GUNICORN_THREADS={overrides.get('GUNICORN_THREADS', 'default')}, "
                f"GUNICORN_WORKER_CLASS={overrides.get('GUNICORN_WORKER_CLASS', 'default')}"
            )
            print(summary("/healthz at rest", measure(target, duration=5)))
            stop_event = threading.Event()
            drippers = [Dripper(target, args.drip_interval, stop_event) for _ in range(args.clients)]
            for dripper in drippers:
                dripper.start()
            time.sleep(2)
            results = measure(target, duration=args.duration)
            stop_event.set()
            for dripper in drippers:
                dripper.join(timeout=10)
            print(summary(f"/healthz with {args.clients} slow clients", results))
            connections = sum(dripper.connections for dripper in drippers)
            sent = sum(dripper.bytes_sent for dripper in drippers)
            print(f"slow clients: {connections} connections opened, {sent} bytes sent in total")
        finally:
            if nginx is not None:
                stop(nginx)
            stop(gunicorn)


if __name__ == "__main__":
    main()
