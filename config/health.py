"""Health endpoints for load balancers: `/healthz` (the process answers) and `/readyz` (its dependencies do:
the database, the broker, the shared cache, the storage of kept files).

Both are answered by `HealthCheckMiddleware`, placed first, so a probe that uses the machine's IP
address as the host or plain HTTP behind the TLS proxy is not refused by `ALLOWED_HOSTS` or redirected
by `SECURE_SSL_REDIRECT`; the URL patterns exist too, so they appear in the URL map.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from config.metrics_view import metrics
from config.storage import check_storage

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def check_database() -> None:
    """Raise when the default database cannot run a query."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    """Raise when the Celery broker cannot be reached (nothing to check in eager mode)."""
    if not settings.CELERY_BROKER_URL:
        return
    from config.celery import app

    timeouts = {"socket_connect_timeout": BROKER_TIMEOUT_SECONDS, "socket_timeout": BROKER_TIMEOUT_SECONDS}
    with app.connection_for_write(url=settings.CELERY_BROKER_URL, transport_options=timeouts) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
        # Some transports connect lazily: a round trip on a channel proves the broker answers.
        client = getattr(connection.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()


def check_cache() -> None:
    """Raise when the shared cache cannot store and return a value: every throttled request needs it."""
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    try:
        if cache.get(key) != "ok":
            raise RuntimeError("the cache did not return the value just stored")
    finally:
        cache.delete(key)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
    # Uploads are kept there before a worker reads them: a web process that cannot reach it must
    # leave the rotation rather than accept uploads it cannot keep.
    "storage": check_storage,
}


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """200 when every dependency answers; 503 naming the ones that do not (details only in the log)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.exception("readiness check %s failed", name)
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    is_ready = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if is_ready else "unavailable", "checks": results},
        status=200 if is_ready else 503,
    )


HEALTH_VIEWS = {
    "/healthz": healthz,
    "/healthz/": healthz,
    "/readyz": readyz,
    "/readyz/": readyz,
    # Scrapers, like probes, use the machine's address and plain HTTP on the private network; the page
    # answers only a token or an allowed address (config.metrics).
    "/metrics": metrics,
}


class HealthCheckMiddleware:
    """Answer the health paths before host validation, HTTPS redirects and request logging."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = HEALTH_VIEWS.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
