"""Per-request log line and request id: `X-Request-ID` in (from the proxy) or made here, and out again."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.client_address import client_address
from config.logging import request_id_var

logger = logging.getLogger("procurement.request")

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
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
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
                # The same client the throttles and sign-in limits count (config.client_address).
                "client": client_address(request),
            },
        )
        return response
