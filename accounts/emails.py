"""Email: templates rendered in the recipient's language, kept in an outbox and sent by workers.

The outbox, step by step:

1. `queue_email` renders the message and inserts an `OutboxEmail` row in the caller's transaction, so
   the email exists if and only if what caused it (an order, a registration) committed.
2. After the commit it hands the row to a worker (`accounts.tasks.send_outbox_email`). A broker that is
   down is only logged: the row stays pending and the sweep hands it over later.
3. `send_outbox_email` claims the row with a conditional update (pending → sending, with a lease until
   `next_attempt_at`), sends it through Django's mail API and marks it sent. Any error at all (SMTP,
   network, database, a bug in a backend) puts it back to pending with exponential backoff and
   jitter; after `EMAIL_MAX_ATTEMPTS` attempts it is failed, logged at ERROR and shown in the admin.
4. `queue_due_emails` (Celery beat, every `EMAIL_SWEEP_INTERVAL` seconds) hands over every row that is
   due and not waiting in a queue: pending rows whose hand-off failed or whose backoff ended, and
   sending rows whose lease ran out because their worker died. `manage.py send_outbox` sends every due
   row in-process.

Sent once: only the worker whose conditional update claimed a row sends it, and the lease
(`SEND_LEASE`) is longer than the task's hard time limit, so a worker still sending cannot overlap the
next claim. One window remains: the mail server accepted the message and then the worker died, or the
database stayed unreachable longer than the `MARK_SENT_TRIES` retries, before the row was marked sent.
When the lease runs out the message is sent again: delivery is at least once in that window only. Both
copies carry the same `Message-ID` (derived from the key), so mail systems that de-duplicate by it
drop the second.

Bodies are deleted once a message is sent: they may hold one-time links (password reset), and the
key, recipients and subject are the record.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
import uuid
from datetime import timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from accounts.models import OutboxEmail
from config.logging import redact_text

if TYPE_CHECKING:
    from django.db.models import QuerySet

logger = logging.getLogger(__name__)

Status = OutboxEmail.Status

# Backoff after a failed attempt: about 30 s, 60 s, 120 s… at most an hour, each drawn between half
# and all of that ("equal jitter"), so messages that failed together do not retry together.
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
# How long a claimed row belongs to its worker. Longer than the task's hard time limit
# (`accounts.tasks.SEND_TIME_LIMIT`), so the sweep never takes a row a live worker is still sending.
SEND_LEASE = timedelta(minutes=10)
# A row handed to the broker but still not claimed after this long is handed over again: its task
# message was lost (a broker restart) or its worker failed before claiming. A duplicate is harmless.
REQUEUE_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500
# Marking a sent message is retried across a short database outage, pausing 0.5, 1, 2, 4 s, before the
# row is left to its lease (and so possibly sent again).
MARK_SENT_TRIES = 5
MARK_SENT_PAUSE_SECONDS = 0.5
LAST_ERROR_LENGTH = 500
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)


def max_attempts() -> int:
    return max(1, settings.EMAIL_MAX_ATTEMPTS)


# --- writing messages -------------------------------------------------------------------------------


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
    """Render now (the data is as of this transaction), keep it in the outbox, send it after commit.

    The outbox row is written in the caller's transaction: a rollback leaves no email. The row's
    `idempotency_key` names the message (e.g. `order-5-confirmed-customer`): a key already in the
    outbox is not queued again, so each key is sent at most once. Without a key the message gets a
    unique one.
    """
    recipients = sorted({address for address in to if address})
    if not recipients:
        return
    message = render_email(template=template, context=context, language=language)
    create_outbox_email(
        recipients=recipients,
        subject=message["subject"],
        text=message["text"],
        html=message["html"],
        key=idempotency_key,
    )


def create_outbox_email(
    *, recipients: list[str], subject: str, text: str, html: str, key: str | None = None
) -> tuple[OutboxEmail, bool]:
    """Insert one message into the outbox and hand it to a worker after commit.

    Returns the row and whether it is new; an existing key returns the row already there, unchanged.
    """
    key = key or f"email-{uuid.uuid4().hex}"
    now = timezone.now()
    email = OutboxEmail(
        key=key,
        recipients=list(recipients),
        subject=subject,
        text=text,
        html=html,
        next_attempt_at=now,
        # Handed to the broker right after the commit; the sweep leaves it to that hand-off.
        queued_at=now,
        created_at=now,
    )
    try:
        # A savepoint, so a duplicate key does not break the caller's transaction.
        with transaction.atomic():
            email.save(force_insert=True)
    except IntegrityError:
        existing = OutboxEmail.objects.filter(key=key).first()
        if existing is None:
            raise
        logger.info("email %s is already in the outbox, not queued again", key)
        return existing, False
    email_id = email.pk
    transaction.on_commit(lambda: hand_to_worker(email_id=email_id, key=key))
    return email, True


def hand_to_worker(*, email_id: int, key: str = "") -> bool:
    """Queue the task that sends one row; a broker that refuses is logged and the sweep takes the row.

    Runs after the commit: the order or registration already happened, and an email that cannot be
    queued must not turn it into an error page. Without a broker the task runs here, in-process.
    """
    from accounts.tasks import send_outbox_email as send_task

    try:
        send_task.delay(email_id)
    except Exception:
        logger.warning(
            "could not queue email %s; it stays pending and the next sweep sends it", key or email_id
        )
        # Nothing waits in a queue for it: let the sweep take it without waiting for REQUEUE_AFTER.
        with contextlib.suppress(DatabaseError):
            OutboxEmail.objects.filter(pk=email_id, status=Status.PENDING).update(queued_at=None)
        return False
    return True


# --- sending ------------------------------------------------------------------------------------------


def message_id_for(key: str) -> str:
    """A stable `Message-ID` for the key: a resent copy carries the same one.

    An HMAC of the key (not the key itself, which names orders) at the sender's domain.
    """
    digest = salted_hmac("accounts.emails.message_id", key, algorithm="sha256").hexdigest()[:32]
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    return f"<{digest}@{domain}>"


def retry_delay(attempt: int) -> timedelta:
    """How long a message waits after its `attempt`-th failure: doubling from 30 s, capped at an hour."""
    ceiling = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def _is_due(now) -> dict[str, Any]:
    return {"status__in": [Status.PENDING, Status.SENDING], "next_attempt_at__lte": now}


def _describe(error: BaseException) -> str:
    """One short line for the admin: the error's type and message, secrets masked."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    text = redact_text(text)
    if len(text) > LAST_ERROR_LENGTH:
        text = text[: LAST_ERROR_LENGTH - 1] + "…"
    return text


def _claim(email_id: int) -> OutboxEmail | None:
    """Take the row if it is due: one conditional update, so exactly one worker wins it."""
    now = timezone.now()
    with transaction.atomic():
        claimed = OutboxEmail.objects.filter(pk=email_id, **_is_due(now)).update(
            status=Status.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + SEND_LEASE,
            queued_at=None,
        )
        if not claimed:
            return None
        return OutboxEmail.objects.get(pk=email_id)


def _reconnect_if_broken() -> None:
    """After a lost connection, drop it so the next query opens a new one (never inside a transaction)."""
    if connection.in_atomic_block:
        return
    with contextlib.suppress(DatabaseError):
        connection.close()


def _update_held_row(email: OutboxEmail, *, tries: int, **values: Any) -> bool:
    """Change the row this worker claimed; False when another worker has taken it since (lease ran out).

    `attempts` fences the update: a later claim has raised it.
    """
    held = OutboxEmail.objects.filter(pk=email.pk, status=Status.SENDING, attempts=email.attempts)
    for attempt in range(tries):
        try:
            # Its own (sub)transaction, so a failed try leaves a surrounding transaction usable and a
            # connection that failed to roll back is dropped.
            with transaction.atomic():
                return bool(held.update(**values))
        except DATABASE_UNREACHABLE:
            if attempt == tries - 1:
                raise
            logger.warning("database unreachable while recording email %s; trying again", email.key)
            _reconnect_if_broken()
            time.sleep(MARK_SENT_PAUSE_SECONDS * 2**attempt)
    return False


def _give_back(email: OutboxEmail, error: BaseException) -> str:
    """Record a failed attempt: pending again after the backoff, or failed when the attempts ran out."""
    description = _describe(error)
    now = timezone.now()
    if email.attempts >= max_attempts():
        values = {"status": Status.FAILED, "next_attempt_at": now, "last_error": description}
        outcome = "failed"
    else:
        values = {
            "status": Status.PENDING,
            "next_attempt_at": now + retry_delay(email.attempts),
            "last_error": description,
        }
        outcome = "retry"
    try:
        held = _update_held_row(email, tries=2, **values)
    except DatabaseError:
        logger.exception(
            "could not record the failure of email %s; it is taken again when its lease ends", email.key
        )
        return "unrecorded"
    if not held:
        return "lost-lease"
    if outcome == "failed":
        logger.error("email %s failed for good after %d attempts: %s", email.key, email.attempts, description)
    else:
        logger.warning(
            "email %s failed (attempt %d of %d), retried at %s: %s",
            email.key,
            email.attempts,
            max_attempts(),
            values["next_attempt_at"].isoformat(timespec="seconds"),
            description,
        )
    return outcome


def send_outbox_email(*, email_id: int) -> str:
    """Send one outbox row if it is due; returns what happened.

    `sent`; `skipped` (not due: sent, failed, claimed by another worker, or waiting for its backoff);
    `retry` / `failed` (this attempt failed: see `last_error`); `unconfirmed` (sent, but the database
    could not record it: the lease decides); `lost-lease` and `unrecorded` (see the module docstring).
    A database error while claiming is raised (nothing changed: the task retries it, the sweep too).
    """
    email = _claim(email_id)
    if email is None:
        return "skipped"
    if email.attempts > max_attempts():
        # Only a row whose worker died mid-send gets here (each death costs an attempt).
        return _give_back(email, RuntimeError("the worker stopped while sending it, every attempt"))
    try:
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.text,
            to=email.recipients,
            headers={"Message-ID": message_id_for(email.key)},
        )
        if email.html:
            message.attach_alternative(email.html, "text/html")
        message.send()
    except Exception as error:
        return _give_back(email, error)
    try:
        held = _update_held_row(
            email,
            tries=MARK_SENT_TRIES,
            status=Status.SENT,
            sent_at=timezone.now(),
            last_error="",
            text="",
            html="",
        )
    except DatabaseError:
        logger.exception(
            "email %s was sent but could not be marked sent; it may be sent again when its lease ends",
            email.key,
        )
        return "unconfirmed"
    if not held:
        logger.warning("email %s was sent after its lease ended; another worker may send it too", email.key)
        return "lost-lease"
    logger.info("email %s sent to %d recipients", email.key, len(email.recipients))
    return "sent"


# --- the sweep and the operators' tools ----------------------------------------------------------


def queue_due_emails(*, batch_size: int = SWEEP_BATCH) -> int:
    """Hand every due row that is not waiting in a queue to a worker; returns how many (Celery beat).

    Due: pending past its backoff, or sending past its lease. Not waiting: never handed over since its
    last attempt, or handed over more than `REQUEUE_AFTER` ago. A broker that refuses stops the sweep
    (the rows left keep `queued_at` empty for the next one).
    """
    from accounts.tasks import send_outbox_email as send_task

    queued = 0
    while True:
        now = timezone.now()
        waiting = OutboxEmail.objects.filter(**_is_due(now)).filter(
            Q(queued_at__isnull=True) | Q(queued_at__lte=now - REQUEUE_AFTER)
        )
        ids = list(waiting.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        waiting.filter(pk__in=ids).update(queued_at=now)
        for position, email_id in enumerate(ids):
            try:
                send_task.delay(email_id)
            except Exception:
                OutboxEmail.objects.filter(pk__in=ids[position:], status=Status.PENDING).update(
                    queued_at=None
                )
                logger.warning("could not queue due emails; %d queued before the broker refused", queued)
                return queued
            queued += 1
    if queued:
        logger.info("queued %d due emails", queued)
    return queued


def send_due_emails(*, include_waiting: bool = False, batch_size: int = SWEEP_BATCH) -> dict[str, int]:
    """Send every due row now, in this process; returns how many rows ended each way.

    `include_waiting` also sends pending rows still waiting for their backoff (after the mail server
    is fixed). Rows held by a live worker are left to it.
    """
    outcomes: dict[str, int] = {}
    if include_waiting:
        OutboxEmail.objects.filter(status=Status.PENDING, next_attempt_at__gt=timezone.now()).update(
            next_attempt_at=timezone.now()
        )
    while True:
        ids = list(
            OutboxEmail.objects.filter(**_is_due(timezone.now()))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return outcomes
        for email_id in ids:
            outcome = send_outbox_email(email_id=email_id)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1


def retry_failed_emails(*, emails: QuerySet[OutboxEmail]) -> int:
    """Give failed rows a new set of attempts, starting now; returns how many. Other rows are left alone."""
    now = timezone.now()
    with transaction.atomic():
        failed = list(
            OutboxEmail.objects.select_for_update()
            .filter(pk__in=emails.values("pk"), status=Status.FAILED)
            .values_list("pk", "key")
        )
        OutboxEmail.objects.filter(pk__in=[pk for pk, _ in failed]).update(
            status=Status.PENDING, attempts=0, next_attempt_at=now, queued_at=now
        )
        for email_id, key in failed:
            transaction.on_commit(
                lambda email_id=email_id, key=key: hand_to_worker(email_id=email_id, key=key)
            )
    if failed:
        logger.info("retrying %d failed emails: %s", len(failed), [key for _, key in failed])
    return len(failed)
