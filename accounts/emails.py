"""Templated emails (text + HTML, in the recipient's language) sent by a Celery task after commit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def render_email(*, template: str, context: dict[str, Any], language: str | None = None) -> dict[str, str]:
    """Render `templates/emails/<template>_subject.txt`, `.txt` and `.html` in one language."""
    language = language or settings.LANGUAGE_CODE
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    return {"subject": " ".join(subject.split()), "text": text, "html": html}


def queue_email(
    *,
    to: list[str],
    template: str,
    context: dict[str, Any],
    language: str | None = None,
    idempotency_key: str | None = None,
) -> None:
    """Render now (the data is as of this transaction), send from a task once the transaction commits.

    `idempotency_key` names the message (e.g. `order-5-confirmed-customer`); the task sends each key
    at most once, so a retried or duplicated task never emails twice.
    """
    recipients = sorted({address for address in to if address})
    if not recipients:
        return
    message = render_email(template=template, context=context, language=language)

    def _send() -> None:
        from accounts.tasks import enqueue_email

        enqueue_email(
            to=recipients,
            subject=message["subject"],
            text=message["text"],
            html=message["html"],
            idempotency_key=idempotency_key,
        )

    transaction.on_commit(_send)
