"""Celery tasks of the accounts app: sending the outbox's emails, sweeping it, token and sign-in record
cleanup.

The task names are written out so that routes (a queue of their own for emails) can name them and a
refactoring cannot move them silently.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from accounts import emails
from accounts.login_limits import delete_stale_login_records

logger = logging.getLogger(__name__)

# Sending one message takes seconds (EMAIL_TIMEOUT bounds each SMTP step); these limits stop a stuck
# send well inside the row's lease (`accounts.emails.SEND_LEASE`), so no two workers overlap on a row.
SEND_SOFT_TIME_LIMIT = 240
SEND_TIME_LIMIT = 300
# Retries of a task that could not reach the database to claim its row: 2 s, 4 s… at most 5 minutes.
CLAIM_RETRIES = 6
CLAIM_RETRY_MAX_SECONDS = 300


@shared_task(
    bind=True,
    name="accounts.tasks.send_outbox_email",
    max_retries=CLAIM_RETRIES,
    soft_time_limit=SEND_SOFT_TIME_LIMIT,
    time_limit=SEND_TIME_LIMIT,
)
def send_outbox_email(self, email_id: int) -> str:
    """Send one outbox row (see `accounts.emails.send_outbox_email`); returns what happened.

    Every failure after the claim is recorded on the row and never raised. A database that cannot be
    reached to claim the row changed nothing: the task retries with backoff (with a broker), and the
    sweep hands the row over again in any case.
    """
    try:
        return emails.send_outbox_email(email_id=email_id)
    except (OperationalError, InterfaceError) as error:
        if self.request.is_eager:
            # In-process there is nothing to wait with; the sweep or `manage.py send_outbox` sends it.
            logger.warning("could not reach the database to send email %s; it stays pending", email_id)
            return "deferred"
        raise self.retry(
            exc=error, countdown=min(CLAIM_RETRY_MAX_SECONDS, 2 ** (self.request.retries + 1))
        ) from error


@shared_task(name="accounts.tasks.sweep_outbox_emails")
def sweep_outbox_emails() -> int:
    """Hand every due outbox row to a worker (run by Celery beat); returns how many were queued."""
    return emails.queue_due_emails()


@shared_task(name="accounts.tasks.send_email")
def send_email(
    *, to: list[str], subject: str, text: str, html: str, idempotency_key: str | None = None
) -> str:
    """The task of releases before the outbox, kept so that messages queued before an upgrade are sent.

    The message joins the outbox under its key (a key already sent is not sent again) and is sent from
    there.
    """
    _email, created = emails.create_outbox_email(
        recipients=to, subject=subject, text=text, html=html, key=idempotency_key
    )
    return "queued" if created else "skipped"


@shared_task
def clean_expired_tokens() -> int:
    """Delete API tokens past their expiry; returns how many were deleted (run by Celery beat)."""
    from knox.models import AuthToken

    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    logger.info("deleted %d expired API tokens", deleted)
    return deleted


@shared_task
def clean_login_records() -> int:
    """Delete sign-in failures that no longer count and stale known addresses (run by Celery beat)."""
    deleted = delete_stale_login_records()
    logger.info("deleted %d stale sign-in records", deleted)
    return deleted
