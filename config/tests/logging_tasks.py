"""A Celery task that fails with secrets in its arguments and its error, for the log redaction tests."""

from __future__ import annotations

from celery import shared_task

TASK_NAME = "procurement_tests.send_reset_email_that_fails"


@shared_task(name=TASK_NAME)
def send_reset_email_that_fails(*, to: str, text: str, password: str) -> None:
    """Fails the way an e-mail task can: the error quotes the message it could not send."""
    raise RuntimeError(f"SMTP server refused the message to {to}: {text}")
