"""Structured logs: one JSON object per line on stdout, tagged with the request id, secrets redacted."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

REDACTED = "[REDACTED]"

# The request being served by this thread or task, set by `config.middleware.RequestLogMiddleware`.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# Keys whose values are secrets wherever they appear: headers, form fields, JSON bodies, log extras.
SECRET_KEY_PATTERN = re.compile(
    r"pass(word)?|passwd|secret|token|authorization|api[-_]?key|cookie|session|csrf|signature",
    re.IGNORECASE,
)
# Secrets written inline in a message: `Authorization: Token abc`, `Token abc…`, `token=abc`,
# `"password": "abc"`, and the password of a URL such as `redis://:pw@host` or `postgres://u:pw@host`.
INLINE_SECRET_PATTERNS = [
    (re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)[^\"'\n,;}]+"), rf"\1{REDACTED}"),
    (re.compile(r"(?i)\b((?:token|bearer)\s+)[A-Za-z0-9._~+/=-]{16,}"), rf"\1{REDACTED}"),
    (
        re.compile(
            r"(?i)([\"']?\b[\w-]*(?:password|passwd|secret|token|api[-_]?key)[\w-]*[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s\"',;&}]+"
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+(@)"), rf"\1{REDACTED}\2"),
]

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
STANDARD_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "request_id"}
)


def redact_text(text: str) -> str:
    """Mask inline secrets in a message, keeping the key so the line stays readable."""
    for pattern, replacement in INLINE_SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, key: str = "") -> Any:
    """A copy of `value` with secret-named keys masked and inline secrets removed from strings."""
    if key and SECRET_KEY_PATTERN.search(key):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(item) for item in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


class RequestContextFilter(logging.Filter):
    """Tag every record with the id of the request (or task) it was written for."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Remove tokens, passwords and authorization headers from a record before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        redacted = redact_text(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        for attribute, value in list(vars(record).items()):
            if attribute not in STANDARD_RECORD_ATTRIBUTES:
                setattr(record, attribute, redact(value, attribute))
        return True


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return str(value)


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", ...extra fields, "exception"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            entry["request_id"] = request_id
        for attribute, value in vars(record).items():
            if attribute not in STANDARD_RECORD_ATTRIBUTES and attribute not in entry:
                entry[attribute] = _jsonable(value)
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """Readable lines for development, still carrying the request id."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = ""
        text = super().format(record)
        return redact_text(text) if record.exc_info else text
