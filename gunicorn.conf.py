"""gunicorn settings for `gunicorn config.wsgi` (read automatically from the working directory).

Everything comes from the environment: `BIND` or `PORT`, `WEB_CONCURRENCY`, `GUNICORN_THREADS`,
`GUNICORN_WORKER_CLASS`, `GUNICORN_TIMEOUT`, `GUNICORN_GRACEFUL_TIMEOUT`, `GUNICORN_KEEPALIVE`,
`GUNICORN_MAX_REQUESTS`, `GUNICORN_ACCESS_LOG`, `FORWARDED_ALLOW_IPS` (default: `TRUSTED_PROXIES`),
`LOG_LEVEL`.

gunicorn runs behind a buffering proxy (deploy/nginx/procurement.conf, see docs/deployment.md): nginx
holds slow and idle clients, however many, and hands gunicorn complete requests only. The settings here
are the second line, for whatever reaches gunicorn directly.
"""

import multiprocessing
import os
import tempfile


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Only the loopback by default: the nginx of this machine connects there, and clients cannot go around
# it. A platform that sets PORT puts its own router in front and gets every interface.
bind = os.environ.get("BIND") or (
    f"0.0.0.0:{_int('PORT', 8000)}" if os.environ.get("PORT", "").strip() else "127.0.0.1:8000"
)

# The classic 2 × cores + 1, capped so a large machine does not exhaust PostgreSQL connections
# (each worker holds up to `threads` connections; see docs/deployment.md).
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12))

# Threads, not one request per process: a connection that has sent nothing is handed back to the
# worker's poller after 5 s (and closed `keepalive` seconds later), and a client that drips its headers
# holds one thread, not the whole process. With the sync worker six clients sending
# a byte a second stalled every worker until the timeout killed it (/healthz waited 65 s; see
# bench/slow_clients_bench.py). More such clients than workers × threads still stall gunicorn on its
# own: that is what the proxy is for.
threads = _int("GUNICORN_THREADS", 4)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "").strip() or "gthread"

# The sync worker is killed when one request takes longer; a gthread worker when its main loop stops
# answering (a request's own duration is bounded by the database's and the URL fetch's timeouts and by
# nginx's proxy_read_timeout).
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Idle keep-alive connections (and connections that have not sent a byte yet) are closed after this
# many seconds; nginx closes its idle upstream connections earlier (4 s), so it never reuses a closed one.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Request heads larger than any browser sends are refused with a 400 before the application runs;
# nginx's large_client_header_buffers (4 × 8 KB) lets nothing larger through either.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Recycle workers now and then so a slow leak never becomes an outage; jitter avoids all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10

# Each worker imports the app itself, so a HUP (`systemctl reload`) starts workers on new code.
preload_app = False

# Logs to stdout/stderr for the process supervisor. The application logs one JSON line per request
# itself (with the user and request id); GUNICORN_ACCESS_LOG=off leaves only that one. The access line
# has the path without the query string (`%(U)s`, never `%(r)s` or `%(q)s`): queries can hold tokens.
accesslog = None if os.environ.get("GUNICORN_ACCESS_LOG", "").lower() in ("0", "false", "no", "off") else "-"
access_log_format = (
    '{"remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
    '"bytes": "%(B)s", "duration_ms": %(M)s, "request_id": "%({x-request-id}o)s"}'
)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Secrets are redacted from gunicorn's own lines too (its error log names the URL of a failed request).
logger_class = "config.gunicorn_logging.RedactingLogger"

# The proxy in front terminates TLS and sets X-Forwarded-Proto; gunicorn believes it only from these
# addresses (and then tells Django the request is HTTPS), and only that one header, the one nginx sets.
# By default they are the proxies the application trusts for the client address (TRUSTED_PROXIES).
forwarded_allow_ips = (
    os.environ.get("FORWARDED_ALLOW_IPS") or os.environ.get("TRUSTED_PROXIES") or "127.0.0.1"
).replace(" ", "")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# Managed with signals (systemd's reload is a HUP); the control socket, a second way in, is not needed.
control_socket_disable = True

# Uploads are buffered in memory-backed tmp where available, which keeps heartbeat writes fast.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Prometheus (/metrics, METRICS_ENABLED): each worker process writes its counts to files in one
# directory, which the page reads together (prometheus-client's multiprocess mode). The variable must
# be set before a worker imports prometheus-client, hence here, in the master. The directory is emptied
# at start (a restart begins the counts again, as Prometheus expects of a restarted target), and a
# worker that exits (a reload, GUNICORN_MAX_REQUESTS) has its counts folded into an archive file, so
# totals never go down and the directory does not grow with every recycled worker.
if os.environ.get("METRICS_ENABLED", "").strip().lower() in ("1", "true", "yes", "on"):
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"procurement-metrics-{os.getpid()}")
    )


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        from config.metrics import clear_multiprocess_directory

        clear_multiprocess_directory(directory)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from config.metrics import fold_dead_process

        fold_dead_process(worker.pid)
