"""E-mail for development: each message written as a readable UTF-8 file (`var/mail/` by default), and a
one-line description of where the configured backend sends mail.

Django's console and file backends write MIME as sent over SMTP: Cyrillic subjects and bodies come out
as base64, unreadable. These files are MIME too (a mail program opens them, HTML part included) but
with UTF-8 headers and 8-bit bodies, so a text editor or `cat` shows the subject, the recipients and the
links as they are.
"""

from __future__ import annotations

import email.policy
import itertools
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.text import slugify

# UTF-8 headers, and lines up to SMTP's limit so that bodies stay 8-bit text rather than base64.
READABLE_POLICY = email.policy.default.clone(utf8=True, max_line_length=998)
FILE_BACKEND = f"{__name__}.ReadableFileBackend"


class ReadableFileBackend(BaseEmailBackend):
    """Writes each message to `<file_path>/<date-time>-<n>-<subject>.eml`."""

    _counter = itertools.count(1)
    _lock = threading.Lock()

    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or settings.BASE_DIR / "var" / "mail")

    def send_messages(self, email_messages: Any) -> int:
        self.file_path.mkdir(parents=True, exist_ok=True)
        written = 0
        for message in email_messages:
            if not message.recipients():
                continue
            with self._lock:
                number = next(self._counter)
            # Local time: the name is for a person looking at the folder; it sorts in sending order.
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")  # noqa: DTZ005
            subject = slugify(str(message.subject), allow_unicode=True)[:60] or "message"
            path = self.file_path / f"{stamp}-{number:04d}-{subject}.eml"
            with path.open("xb") as file:  # never over another message
                file.write(message.message(policy=READABLE_POLICY).as_bytes())
            written += 1
        return written


def mail_destination() -> str:
    """Where the default mailer sends e-mail, in words, for start-up messages."""
    mailer = settings.MAILERS.get("default", {})
    backend = mailer.get("BACKEND", "")
    options = mailer.get("OPTIONS", {})
    if backend == FILE_BACKEND or backend.endswith("filebased.EmailBackend"):
        folder = Path(options.get("file_path") or settings.BASE_DIR / "var" / "mail").resolve()
        return f"E-mails: written to {folder}/ (one file per message, readable UTF-8)"
    if backend.endswith("console.EmailBackend"):
        return "E-mails: printed to this console"
    if backend.endswith("smtp.EmailBackend"):
        return f"E-mails: sent through SMTP at {options.get('host', 'localhost')}:{options.get('port', 25)}"
    return f"E-mails: handed to {backend}"
