"""Celery tasks of the accounts app: sending email, with retries, at most once per key."""

from __future__ import annotations

import logging
import smtplib
import socket

from celery import shared_task
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger(__name__)

SENT_KEY_TTL = 7 * 24 * 3600


@shared_task(
    bind=True,
    autoretry_for=(smtplib.SMTPException, socket.error, TimeoutError),
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
    """Send one message; returns False when the key was already sent (a duplicate task)."""
    cache_key = f"email-sent:{idempotency_key}" if idempotency_key else None
    if cache_key and cache.get(cache_key):
        logger.info("email %s already sent, skipping", idempotency_key)
        return False
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    message.attach_alternative(html, "text/html")
    message.send()
    if cache_key:
        cache.set(cache_key, True, SENT_KEY_TTL)
    return True
