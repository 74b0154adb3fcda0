"""Structured logs: one JSON object per line on stdout, tagged with the request id, secrets redacted.

`redact` (and `redact_text` for strings) is the one place that decides what is a secret. The filter
applies it to every record that reaches our handlers, and both formatters apply it again to what they
write, so a record that skipped the filter (another handler's, gunicorn's) is still written safely.
"""

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

# Names whose values are secrets wherever they appear, as part of a longer name too (`new_password`,
# `csrfmiddlewaretoken`, `X-Api-Key`, `sessionid`): headers, form and JSON fields, query parameters,
# log extras.
SECRET_NAME = (
    r"pass(?:word|wd|phrase)?|secret|token|authorization|api[-_]?key|access[-_]?key|private[-_]?key"
    r"|cookie|session|csrf|signature|credential"
)
SECRET_NAME_PATTERN = re.compile(SECRET_NAME, re.IGNORECASE)
# Names that are secrets only on their own (`?key=…`, `?sig=…`), not inside `idempotency_key`.
EXACT_SECRET_NAMES = frozenset({"key", "sig", "sid", "auth", "otp"})
# A task's arguments can hold anything (an e-mail with a reset token): Celery's log records carry
# them under these names, and they are never logged.
TASK_ARGUMENT_NAMES = frozenset({"args", "kwargs", "argsrepr", "kwargsrepr"})


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return bool(
        SECRET_NAME_PATTERN.search(lowered) or lowered in EXACT_SECRET_NAMES or lowered in TASK_ARGUMENT_NAMES
    )


def _mask_value(match: re.Match[str]) -> str:
    """Keep the name and the quotes around the value, so the line reads as before."""
    value = match.group("value")
    quote = next((quote for quote in ('"', "'", "&quot;") if value.startswith(quote)), "")
    return f"{match.group('name')}{quote}{REDACTED}{quote}"


# Secrets written inline, in the order they are applied. Each keeps what says what the value was.
INLINE_SECRET_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    # Header lines and header mappings: `Authorization: Token abc`, `'Cookie': 'sessionid=…'`.
    (
        re.compile(
            r"(?i)(?P<name>\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?|\b(?:set-)?cookie[\"']?\s*:\s*[\"']?)"
            r"(?!\[REDACTED\])(?P<value>[^\s\"',;}][^\"'\n,;}]*)"
        ),
        rf"\g<name>{REDACTED}",
    ),
    # Credentials after their scheme, wherever they are quoted: `Token abc…`, `Bearer abc…`.
    (re.compile(r"(?i)\b((?:token|bearer)\s+)[A-Za-z0-9._~+/=-]{16,}"), rf"\1{REDACTED}"),
    # `name=value` (query strings, form bodies, URL-encoded ones too), `name: value`, `"name": "value"`
    # (in HTML too, where the quotes are `&quot;`).
    (
        re.compile(
            # A name is only tried from its first character and read once (possessively), so the time
            # stays linear in the length of the text, however long its words are.
            r"(?i)(?P<name>(?:[\"']|&quot;)?(?<![\w-])"
            r"(?:(?=[\w-]*?(?:" + SECRET_NAME + r"))[\w-]++|(?:key|sig|sid|auth|otp)(?![\w-]))"
            r"(?:[\"']|&quot;)?\s*(?:[:=]|%3d)\s*)(?!(?:[\"']|&quot;)?\[REDACTED\])"
            r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|&quot;.*?&quot;|[^\s\"',;&}\]]+)"
        ),
        _mask_value,
    ),
    # The password of a URL: `redis://:pw@host`, `postgres://user:pw@host`.
    (re.compile(r"((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+://[^\s:/@]*+:)[^\s@/]++(@)"), rf"\1{REDACTED}\2"),
    # Our own token shapes when they appear bare: an API token (knox: 64 hex digits), a password-reset
    # token (`<base36 time>-<32 hex digits>`), a signed e-mail confirmation (`payload:time:signature`),
    # a session key (32 lower-case letters and digits; a hex-only one, such as a request id, is kept).
    (re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{64}(?![0-9A-Za-z])"), REDACTED),
    (re.compile(r"\b[0-9a-z]{1,13}-[0-9a-f]{32}\b"), REDACTED),
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{8,}+:[0-9A-Za-z]{4,13}:[A-Za-z0-9_-]{40,}"), REDACTED),
    (re.compile(r"\b(?=[0-9a-f]{0,31}[g-z])[0-9a-z]{32}\b"), REDACTED),
]


def redact_text(text: str) -> str:
    """`text` with inline secrets masked, keeping the names so the line stays readable."""
    for pattern, replacement in INLINE_SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def describe_request(request: Any) -> str:
    """`GET /path/`: a request as it may be logged, never with its query string, headers or body."""
    return redact_text(f"{getattr(request, 'method', '')} {getattr(request, 'path', '')}".strip())


def _is_request(value: Any) -> bool:
    # Django's and DRF's requests (without importing Django: gunicorn's master uses this module too).
    return hasattr(value, "method") and hasattr(value, "path") and hasattr(value, "META")


def redact(value: Any, key: str = "") -> Any:
    """A JSON-ready copy of `value` that is safe to log.

    Secret-named keys are masked whatever their value, strings lose their inline secrets, requests
    become `METHOD /path`, and any other object is logged as its redacted text.
    """
    if key and is_secret_name(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(name): redact(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item) for item in value]
    if _is_request(value):
        return describe_request(value)
    return redact_text(str(value))


# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
STANDARD_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "request_id", "taskName"}
)


def _record_message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:
        return str(record.msg)


class RequestContextFilter(logging.Filter):
    """Tag every record with the id of the request (or task) it was written for."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Redact a record in place before any formatter sees it: message, extras, exception and stack."""

    _exception_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg, record.args = redact_text(_record_message(record)), None
            for attribute, value in list(vars(record).items()):
                if attribute not in STANDARD_RECORD_ATTRIBUTES:
                    setattr(record, attribute, redact(value, attribute))
            if record.exc_info and not record.exc_text:
                record.exc_text = self._exception_formatter.formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact_text(record.exc_text)
            if record.stack_info:
                record.stack_info = redact_text(record.stack_info)
        except Exception:
            # A log line must never break the code that writes it, nor leak what could not be read.
            record.msg, record.args = "[log record dropped: it could not be redacted]", None
            record.exc_info = record.exc_text = record.stack_info = None
        return True


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", ...extra fields, "exception"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact_text(_record_message(record)),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            entry["request_id"] = redact_text(str(request_id))
        for attribute, value in vars(record).items():
            if attribute not in STANDARD_RECORD_ATTRIBUTES and attribute not in entry:
                entry[attribute] = redact(value, attribute)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact_text(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact_text(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """Readable lines for development, still carrying the request id; redacted like the JSON lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = ""
        return redact_text(super().format(record))
