"""Celery tasks of the logging tests: one fails with secrets in its arguments and its error (redaction),
one writes a line (the request id a task carries)."""

from __future__ import annotations

import logging

from celery import shared_task

TASK_NAME = "procurement_tests.send_reset_email_that_fails"


@shared_task(name=TASK_NAME)
def send_reset_email_that_fails(*, to: str, text: str, password: str) -> None:
    """Fails the way an e-mail task can: the error quotes the message it could not send."""
    raise RuntimeError(f"SMTP server refused the message to {to}: {text}")


LOGGING_TASK_NAME = "procurement_tests.log_a_line"


@shared_task(name=LOGGING_TASK_NAME)
def log_a_line(*, label: str) -> None:
    """Writes one line, which must carry the id of the request that queued the task (if any)."""
    logging.getLogger("procurement.tests").info("task line %s", label)
