"""Request middleware: the request id and log line, "busy" answers for lock waits, and the error that
names an untrusted proxy when HTTPS redirects loop."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from config.api.client_address import client_address
from config.logging import request_id_var
from config.metrics import observe_request

logger = logging.getLogger("procurement.request")
security_logger = logging.getLogger("procurement.security")

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept only when it is a plain token, so it cannot inject text into the logs.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def request_id_from(request: HttpRequest) -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex


class RequestLogMiddleware:
    """One JSON line per request: request id, user id, client address, method, path, status, duration in ms.

    The query string, headers and body are never logged: they are where tokens and passwords travel.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request)
        request.request_id = request_id
        # Left set after the response, so Django's own "Not Found"/"Bad Request" lines, written once
        # this middleware has returned, carry the id too; the next request on this thread replaces it.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        elapsed = time.perf_counter() - started
        observe_request(request, response, elapsed)
        duration_ms = round(elapsed * 1000, 1)
        user = getattr(request, "user", None)
        status = response.status_code
        logger.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "%s %s %s %sms",
            request.method,
            request.path,
            status,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": duration_ms,
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                # The same client the throttles and sign-in limits count (config.api.client_address).
                "client": client_address(request),
            },
        )
        return response


class HttpsRedirectLoopMiddleware:
    """Name the fix when a proxy says "HTTPS" but is not believed, which makes the HTTPS redirect loop.

    The proxy terminates TLS and sends `X-Forwarded-Proto: https`; if its address is not in gunicorn's
    FORWARDED_ALLOW_IPS the request still looks like plain HTTP, SecurityMiddleware redirects it to
    HTTPS, and the browser comes back through the same proxy forever. The redirect still happens (the
    header alone proves nothing), but the first such request of each process is logged as an error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.has_warned = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not self.has_warned
            and settings.SECURE_SSL_REDIRECT
            and not request.is_secure()
            and request.headers.get("X-Forwarded-Proto", "").strip().lower() == "https"
        ):
            self.has_warned = True
            security_logger.error(
                "HTTPS redirect loop: %s sent X-Forwarded-Proto: https but is not a trusted proxy, so "
                "this request counts as plain HTTP and is redirected to HTTPS again. Add the proxy's "
                "address to FORWARDED_ALLOW_IPS (gunicorn), or set BEHIND_HTTPS_PROXY=True if nothing "
                "but the proxy can reach this server.",
                request.META.get("REMOTE_ADDR", "?"),
            )
        return self.get_response(request)


# PostgreSQL's codes for "gave up waiting for a lock" and "statement timeout" (DB_WEB_* settings).
BUSY_SQLSTATES = frozenset({"55P03", "57014"})
RETRY_AFTER_SECONDS = 2


def is_database_busy(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and getattr(error.__cause__, "pgcode", None) in BUSY_SQLSTATES


class DatabaseBusyMiddleware:
    """A request that hit the web timeouts answers 503 with Retry-After instead of a server error.

    Nothing was written (the transaction was rolled back), so the client may simply try again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_busy(exception):
            return None
        logger.warning("database busy: %s %s answered 503", request.method, request.path)
        message = _("The service is busy right now; nothing was changed. Try again in a moment.")
        if request.path.startswith("/admin/"):
            response: HttpResponse = TemplateResponse(
                request, "admin/busy.html", {"message": message}, status=503
            ).render()
        else:
            response = JsonResponse(
                {"detail": str(message), "code": "busy"},
                status=503,
                json_dumps_params={"ensure_ascii": False},
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
