"""Mail backend of the outbox integration test, loaded by the worker process it starts.

It writes messages to files (a directory the test reads) like Django's file backend, slowly enough
for the test's connection kills to land mid-send, and it kills its own database connection right
after some messages have left: the moment when the mail server accepted a message and the worker
has yet to record it.
"""

from __future__ import annotations

import os
import re
import time

from django.core.mail.backends.filebased import EmailBackend
from django.db import DatabaseError, connection

# Messages of every third order make the database blink right after they are written.
BLINK_EVERY = 3


class BlinkingDatabaseFileBackend(EmailBackend):
    def __init__(self, *args, **kwargs):
        kwargs["file_path"] = os.environ["OUTBOX_TEST_MAIL_DIR"]
        super().__init__(*args, **kwargs)

    def send_messages(self, messages):
        time.sleep(0.05)
        sent = super().send_messages(messages)
        if any(self._blinks(message) for message in messages):
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            except DatabaseError:
                pass  # expected: the server ended this connection, as in a real outage
        return sent

    @staticmethod
    def _blinks(message) -> bool:
        number = re.search(r"#(\d+)", message.subject)
        return bool(number) and int(number.group(1)) % BLINK_EVERY == 0
