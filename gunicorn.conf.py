"""gunicorn settings for `gunicorn config.wsgi` (read automatically from the working directory).

Everything comes from the environment: `PORT` or `BIND`, `WEB_CONCURRENCY`, `GUNICORN_THREADS`,
`GUNICORN_TIMEOUT`, `GUNICORN_MAX_REQUESTS`, `FORWARDED_ALLOW_IPS` (default: `TRUSTED_PROXIES`).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Behind a load balancer or reverse proxy; `PORT` is what most platforms set.
bind = os.environ.get("BIND") or f"0.0.0.0:{_int('PORT', 8000)}"

# The classic 2 × cores + 1, capped so a large machine does not exhaust PostgreSQL connections
# (each worker holds up to `threads` connections; see docs/deployment.md).
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12))
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes longer is killed and logged; big price lists go to Celery, not the web process.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then so a slow leak never becomes an outage; jitter avoids all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10

# Each worker imports the app itself, so a HUP (`systemctl reload`) starts workers on new code.
preload_app = False

# Logs to stdout/stderr for the process supervisor. The application logs one JSON line per request
# itself (with the user and request id); GUNICORN_ACCESS_LOG=off leaves only that one.
accesslog = None if os.environ.get("GUNICORN_ACCESS_LOG", "").lower() in ("0", "false", "no", "off") else "-"
access_log_format = (
    '{"remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
    '"bytes": "%(B)s", "duration_ms": %(M)s, "request_id": "%({x-request-id}o)s"}'
)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# The proxy in front terminates TLS and sets X-Forwarded-*; trust it only from these addresses: by
# default the proxies the application trusts for the client address (TRUSTED_PROXIES), else localhost.
forwarded_allow_ips = (
    os.environ.get("FORWARDED_ALLOW_IPS") or os.environ.get("TRUSTED_PROXIES") or "127.0.0.1"
).replace(" ", "")

# Uploads are buffered in memory-backed tmp where available, which keeps heartbeat writes fast.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
