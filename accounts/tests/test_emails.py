"""The email outbox: written with what causes it, sent once after commit, retried on any error, swept."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts import emails
from accounts.emails import (
    MARK_SENT_TRIES,
    REQUEUE_AFTER,
    create_outbox_email,
    message_id_for,
    queue_due_emails,
    queue_email,
    retry_failed_emails,
    send_due_emails,
    send_outbox_email,
)
from accounts.models import OutboxEmail
from accounts.tasks import send_outbox_email as send_task
from accounts.tasks import sweep_outbox_emails

pytestmark = pytest.mark.django_db

Status = OutboxEmail.Status


class FailingBackend(EmailBackend):
    """Locmem delivery that fails with `error` for the first `failures` attempts, counting them all."""

    failures = 0
    attempts = 0
    error: Exception = smtplib.SMTPServerDisconnected("connection unexpectedly closed")

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).attempts <= type(self).failures:
            raise type(self).error
        return super().send_messages(messages)


@pytest.fixture
def failing_mail(settings):
    FailingBackend.attempts = 0
    FailingBackend.failures = 0
    FailingBackend.error = smtplib.SMTPServerDisconnected("connection unexpectedly closed")
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingBackend"}}
    return FailingBackend


@pytest.fixture
def probe_template(settings, tmp_path):
    """A tiny email template of the test's own, so these tests do not depend on the real ones."""
    folder = tmp_path / "templates" / "emails"
    folder.mkdir(parents=True)
    (folder / "probe_subject.txt").write_text("Probe for {{ name }}\n", encoding="utf-8")
    (folder / "probe.txt").write_text("Hello {{ name }}", encoding="utf-8")
    (folder / "probe.html").write_text("<p>Hello {{ name }}</p>", encoding="utf-8")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}
    ]
    return "probe"


def queue_probe(template: str, *, key: str | None = "order-1-new-customer", to=("anna@example.com",)):
    queue_email(to=list(to), template=template, context={"name": "Anna"}, idempotency_key=key)


def pending_email(**fields) -> OutboxEmail:
    """An outbox row as the sending code leaves it, without sending anything."""
    values = {
        "key": "order-9-new-customer",
        "recipients": ["anna@example.com"],
        "subject": "Order #9",
        "text": "Plain",
        "html": "<p>Html</p>",
        **fields,
    }
    return OutboxEmail.objects.create(**values)


@pytest.fixture
def database_fails_on(request):
    """Make the next `times` statements containing `fragment` fail as if the connection dropped."""

    def install(fragment: str, *, params_contain=None, times: int = 1):
        state = {"left": times}

        def wrapper(execute, sql, params, many, context):
            matches = fragment in sql and (params_contain is None or params_contain in (params or ()))
            if matches and state["left"] > 0:
                state["left"] -= 1
                raise OperationalError("server closed the connection unexpectedly")
            return execute(sql, params, many, context)

        wrapped = connection.execute_wrapper(wrapper)
        wrapped.__enter__()
        request.addfinalizer(lambda: wrapped.__exit__(None, None, None))
        return state

    return install


# --- written with what causes it ------------------------------------------------------------------


def test_email_queued_in_a_rolled_back_transaction_leaves_no_row_and_sends_nothing(
    probe_template, django_capture_on_commit_callbacks
):
    def order_then_fail():
        with transaction.atomic():
            queue_probe(probe_template)
            assert OutboxEmail.objects.count() == 1
            raise RuntimeError("the order failed after queueing its email")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        order_then_fail()

    assert callbacks == []
    assert OutboxEmail.objects.count() == 0
    assert mail.outbox == []


def test_committed_email_is_kept_in_the_outbox_and_sent_once_after_the_commit(
    probe_template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        queue_probe(probe_template)
        row = OutboxEmail.objects.get()
        assert (row.status, row.attempts, row.text, row.html) == (
            Status.PENDING,
            0,
            "Hello Anna",
            "<p>Hello Anna</p>",
        )
        assert mail.outbox == []

    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.to, message.subject, message.body) == (
        ["anna@example.com"],
        "Probe for Anna",
        "Hello Anna",
    )
    assert message.alternatives[0].content == "<p>Hello Anna</p>"
    assert message.extra_headers["Message-ID"] == message_id_for("order-1-new-customer")
    assert message.message()["Message-ID"] == message_id_for("order-1-new-customer")
    row = OutboxEmail.objects.get()
    assert (row.key, row.status, row.attempts, row.last_error, row.recipients) == (
        "order-1-new-customer",
        Status.SENT,
        1,
        "",
        ["anna@example.com"],
    )
    assert row.sent_at is not None
    # The body may hold a one-time link; once sent, only the record stays.
    assert (row.text, row.html, row.subject) == ("", "", "Probe for Anna")


def test_email_without_recipients_is_not_queued(probe_template, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_probe(probe_template, to=["", ""])

    assert OutboxEmail.objects.count() == 0
    assert mail.outbox == []


def test_same_key_queued_twice_keeps_one_row_and_sends_one_message(
    probe_template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue_probe(probe_template)
        queue_probe(probe_template)
    with django_capture_on_commit_callbacks(execute=True) as later:
        queue_probe(probe_template)

    assert later == []
    assert OutboxEmail.objects.filter(key="order-1-new-customer").count() == 1
    assert len(mail.outbox) == 1


def test_a_duplicate_key_does_not_break_the_callers_transaction(
    probe_template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue_probe(probe_template)
        queue_probe(probe_template)
        # The caller's transaction is still usable after the refused duplicate insert.
        assert OutboxEmail.objects.count() == 1


def test_emails_without_a_key_get_distinct_keys_and_are_all_sent(
    probe_template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_probe(probe_template, key=None)
        queue_probe(probe_template, key=None)

    keys = list(OutboxEmail.objects.values_list("key", flat=True))
    assert len(set(keys)) == 2
    assert all(key.startswith("email-") and len(key) == 38 for key in keys)
    assert len(mail.outbox) == 2
    assert mail.outbox[0].extra_headers["Message-ID"] != mail.outbox[1].extra_headers["Message-ID"]


def test_message_id_is_stable_for_a_key_and_differs_between_keys(settings):
    settings.DEFAULT_FROM_EMAIL = "Shop <noreply@shop.example.com>"

    first = message_id_for("order-5-new-customer")

    assert first == message_id_for("order-5-new-customer")
    assert first != message_id_for("order-5-new-managers")
    assert first.startswith("<")
    assert first.endswith("@shop.example.com>")
    assert "order" not in first
    assert len(first) == len("<@shop.example.com>") + 32


# --- the broker down --------------------------------------------------------------------------------


def test_broker_down_at_commit_leaves_the_email_pending_and_the_sweep_sends_it_once(
    probe_template, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    caplog.set_level(logging.WARNING, logger="accounts.emails")

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patched:
        patched.setattr(send_task, "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            queue_probe(probe_template, key="register-7")

    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts, row.queued_at) == (Status.PENDING, 0, None)
    assert mail.outbox == []
    assert "could not queue email register-7" in caplog.text

    assert sweep_outbox_emails.delay().result == 1
    assert sweep_outbox_emails.delay().result == 0

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert len(mail.outbox) == 1


def test_sweep_stops_at_a_refusing_broker_and_leaves_the_rest_for_the_next_one(monkeypatch):
    first = pending_email(key="a")
    second = pending_email(key="b")

    def broker_down(*args, **kwargs):
        raise BrokerError("Connection refused.")

    with monkeypatch.context() as patched:
        patched.setattr(send_task, "delay", broker_down)
        assert queue_due_emails() == 0

    assert list(OutboxEmail.objects.filter(queued_at=None).order_by("pk")) == [first, second]
    assert queue_due_emails() == 2
    assert len(mail.outbox) == 2


def test_sweep_leaves_rows_waiting_in_a_queue_and_hands_over_those_waiting_too_long():
    now = timezone.now()
    recently_queued = pending_email(key="recent", queued_at=now - timedelta(seconds=30))
    lost = pending_email(key="lost", queued_at=now - REQUEUE_AFTER - timedelta(seconds=1))
    not_due = pending_email(key="backoff", next_attempt_at=now + timedelta(minutes=5))

    assert queue_due_emails() == 1

    assert OutboxEmail.objects.get(pk=lost.pk).status == Status.SENT
    assert OutboxEmail.objects.get(pk=recently_queued.pk).status == Status.PENDING
    assert OutboxEmail.objects.get(pk=not_due.pk).status == Status.PENDING
    assert [message.subject for message in mail.outbox] == ["Order #9"]


# --- retries ----------------------------------------------------------------------------------------


def test_smtp_failing_twice_then_succeeding_sends_one_message_and_records_the_attempts(
    failing_mail, probe_template, django_capture_on_commit_callbacks
):
    failing_mail.failures = 2
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        queue_probe(probe_template)

    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts, row.last_error) == (
        Status.PENDING,
        1,
        "SMTPServerDisconnected: connection unexpectedly closed",
    )
    assert before + timedelta(seconds=15) <= row.next_attempt_at <= timezone.now() + timedelta(seconds=30)
    # Not due yet: a sweep leaves it to its backoff.
    assert send_due_emails() == {}

    assert send_due_emails(include_waiting=True) == {"retry": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 2)
    assert (
        timezone.now() + timedelta(seconds=29)
        <= row.next_attempt_at
        <= timezone.now() + timedelta(seconds=60)
    )

    assert send_due_emails(include_waiting=True) == {"sent": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Status.SENT, 3, "")
    assert failing_mail.attempts == 3
    assert len(mail.outbox) == 1


def test_email_failing_every_attempt_is_failed_after_the_last_one_and_logged_at_error(
    failing_mail, probe_template, django_capture_on_commit_callbacks, settings, caplog
):
    settings.EMAIL_MAX_ATTEMPTS = 3
    failing_mail.failures = 100
    with django_capture_on_commit_callbacks(execute=True):
        queue_probe(probe_template)

    assert send_due_emails(include_waiting=True) == {"retry": 1}
    assert send_due_emails(include_waiting=True) == {"failed": 1}
    assert send_due_emails(include_waiting=True) == {}

    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts, row.sent_at) == (Status.FAILED, 3, None)
    assert row.last_error == "SMTPServerDisconnected: connection unexpectedly closed"
    assert row.text == "Hello Anna"  # kept, so that a retry from the admin can send it
    assert failing_mail.attempts == 3
    assert mail.outbox == []
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert [record.getMessage() for record in errors] == [
        "email order-1-new-customer failed for good after 3 attempts: "
        "SMTPServerDisconnected: connection unexpectedly closed"
    ]


def test_any_error_of_the_mail_backend_is_retried(failing_mail):
    failing_mail.failures = 1
    failing_mail.error = ValueError("a bug in a third-party backend")
    row = pending_email()

    assert send_outbox_email(email_id=row.pk) == "retry"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (
        Status.PENDING,
        1,
        "ValueError: a bug in a third-party backend",
    )


def test_a_database_error_raised_while_sending_marks_nothing_sent_and_the_email_is_retried(failing_mail):
    failing_mail.failures = 1
    failing_mail.error = OperationalError("terminating connection due to administrator command")
    row = pending_email()

    assert send_outbox_email(email_id=row.pk) == "retry"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at) == (Status.PENDING, 1, None)
    assert row.last_error == "OperationalError: terminating connection due to administrator command"
    assert mail.outbox == []

    assert send_due_emails(include_waiting=True) == {"sent": 1}
    assert len(mail.outbox) == 1


def test_database_down_while_claiming_changes_nothing_and_the_sweep_sends_it_later(database_fails_on):
    row = pending_email()
    database_fails_on('UPDATE "accounts_outboxemail"', params_contain=Status.SENDING)

    assert send_task.delay(row.pk).result == "deferred"

    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at) == (Status.PENDING, 0, None)
    assert mail.outbox == []
    assert send_due_emails() == {"sent": 1}
    assert len(mail.outbox) == 1


def test_database_blip_after_the_message_left_still_marks_it_sent_once(database_fails_on, monkeypatch):
    monkeypatch.setattr(emails, "MARK_SENT_PAUSE_SECONDS", 0)
    row = pending_email()
    failures = database_fails_on('UPDATE "accounts_outboxemail"', params_contain=Status.SENT, times=2)

    assert send_outbox_email(email_id=row.pk) == "sent"

    assert failures["left"] == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert send_due_emails(include_waiting=True) == {}
    assert len(mail.outbox) == 1


def test_database_down_after_the_message_left_leaves_it_to_its_lease(database_fails_on, caplog, monkeypatch):
    monkeypatch.setattr(emails, "MARK_SENT_PAUSE_SECONDS", 0)
    row = pending_email()
    database_fails_on('UPDATE "accounts_outboxemail"', params_contain=Status.SENT, times=MARK_SENT_TRIES)

    assert send_outbox_email(email_id=row.pk) == "unconfirmed"

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENDING, 1)
    assert row.next_attempt_at > timezone.now() + timedelta(minutes=9)
    assert len(mail.outbox) == 1
    assert "was sent but could not be marked sent" in caplog.text
    # Within the lease nobody sends it again.
    assert send_due_emails() == {}
    assert len(mail.outbox) == 1


def test_last_error_is_one_short_line_with_secrets_masked(failing_mail):
    failing_mail.failures = 1
    failing_mail.error = smtplib.SMTPAuthenticationError(
        535, ("5.7.8 authentication failed for password=hunter2 " + "x" * 2000).encode()
    )
    row = pending_email()

    send_outbox_email(email_id=row.pk)

    row.refresh_from_db()
    assert "hunter2" not in row.last_error
    assert "password=[REDACTED]" in row.last_error
    assert "\n" not in row.last_error
    assert len(row.last_error) == 500
    assert row.last_error.startswith("SMTPAuthenticationError: (535, b'5.7.8 authentication failed")


# --- leases -----------------------------------------------------------------------------------------


def test_sending_row_whose_worker_died_is_taken_again_after_its_lease():
    row = pending_email(
        status=Status.SENDING, attempts=1, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    assert queue_due_emails() == 1

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert len(mail.outbox) == 1


def test_sending_row_within_its_lease_is_left_to_its_worker():
    row = pending_email(
        status=Status.SENDING, attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )

    assert queue_due_emails() == 0
    assert send_outbox_email(email_id=row.pk) == "skipped"
    assert send_due_emails() == {}

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENDING, 1)
    assert mail.outbox == []


def test_row_whose_worker_died_on_every_attempt_is_failed_without_sending(settings):
    settings.EMAIL_MAX_ATTEMPTS = 3
    row = pending_email(
        status=Status.SENDING, attempts=3, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    assert send_due_emails() == {"failed": 1}

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 4)
    assert row.last_error == "RuntimeError: the worker stopped while sending it, every attempt"
    assert mail.outbox == []


@pytest.mark.parametrize("status", [Status.SENT, Status.FAILED])
def test_finished_rows_are_never_sent_again(status):
    fields = {"sent_at": timezone.now()} if status == Status.SENT else {}
    row = pending_email(
        status=status, attempts=1, next_attempt_at=timezone.now() - timedelta(hours=1), **fields
    )

    assert send_outbox_email(email_id=row.pk) == "skipped"
    assert queue_due_emails() == 0

    assert OutboxEmail.objects.get(pk=row.pk).status == status
    assert mail.outbox == []


def test_task_for_a_missing_row_does_nothing():
    assert send_task.delay(123456).result == "skipped"
    assert mail.outbox == []


# --- operators ----------------------------------------------------------------------------------------


def test_retry_failed_emails_gives_failed_rows_new_attempts_and_leaves_the_others(
    django_capture_on_commit_callbacks,
):
    failed = pending_email(key="failed", status=Status.FAILED, attempts=10, last_error="SMTPException: down")
    waiting = pending_email(key="waiting", attempts=2, next_attempt_at=timezone.now() + timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        count = retry_failed_emails(emails=OutboxEmail.objects.all())

    assert count == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.SENT, 1)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == (Status.PENDING, 2)
    assert [message.to for message in mail.outbox] == [["anna@example.com"]]


def test_send_outbox_command_sends_every_due_email_and_reports(capsys):
    pending_email(key="due")
    pending_email(key="later", next_attempt_at=timezone.now() + timedelta(minutes=5))

    call_command("send_outbox")

    out = capsys.readouterr().out
    assert "Sent 1 email(s); 0 attempt(s) failed." in out
    assert "1 email(s) wait for a retry; 0 failed for good." in out
    assert OutboxEmail.objects.get(key="due").status == Status.SENT
    assert OutboxEmail.objects.get(key="later").status == Status.PENDING

    call_command("send_outbox", "--include-waiting")

    assert OutboxEmail.objects.get(key="later").status == Status.SENT
    assert len(mail.outbox) == 2


def test_send_outbox_command_fails_when_an_email_could_not_be_sent(failing_mail):
    failing_mail.failures = 1
    pending_email()

    with pytest.raises(CommandError, match="Some emails could not be sent"):
        call_command("send_outbox")

    assert OutboxEmail.objects.get().attempts == 1


def test_create_outbox_email_returns_the_existing_row_for_a_known_key(django_capture_on_commit_callbacks):
    existing = pending_email(key="order-3-new-customer", status=Status.SENT, sent_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email, created = create_outbox_email(
            recipients=["x@example.com"], subject="Other", text="t", html="", key="order-3-new-customer"
        )

    assert (email, created, callbacks) == (existing, False, [])
    assert OutboxEmail.objects.get().subject == "Order #9"
    assert mail.outbox == []
