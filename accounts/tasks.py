"""Celery tasks of the accounts app: sending email (retried, at most once per key), token and sign-in
record cleanup."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from accounts.login_limits import delete_stale_login_records
from accounts.models import SentEmail

logger = logging.getLogger(__name__)

# SMTPException and socket errors (refused, reset, timed out) are all OSError subclasses.
RETRIED_EMAIL_ERRORS = (smtplib.SMTPException, OSError)


@shared_task(
    bind=True,
    autoretry_for=RETRIED_EMAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def send_email(
    self,
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    idempotency_key: str | None = None,
) -> bool:
    """Send one message; returns False when its key was already sent (a duplicate task).

    The key is claimed by inserting a `SentEmail` row in the same transaction as the send: a failed
    send rolls the claim back (so the retry can send), and a second task with the same key waits on the
    unique index and then sees the message as sent. A worker that dies after the SMTP server accepted
    the message but before the commit may send it again on redelivery: delivery is at least once.
    """
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    message.attach_alternative(html, "text/html")
    if not idempotency_key:
        message.send()
        return True
    with transaction.atomic():
        _, created = SentEmail.objects.get_or_create(key=idempotency_key)
        if not created:
            logger.info("email %s already sent, skipping", idempotency_key)
            return False
        message.send()
    return True


def enqueue_email(**message: object) -> None:
    """Hand a message to `send_email`; a broker that is down is logged, never raised to the caller.

    Called after commit: the business action (an order, a registration) already happened, and an email
    that cannot be queued must not turn it into an error page.
    """
    try:
        send_email.delay(**message)
    except Exception:
        logger.exception("could not queue email %s", message.get("idempotency_key") or "")


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
