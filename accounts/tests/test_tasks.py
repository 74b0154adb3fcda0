"""Email sending survives SMTP failures, never sends a key twice, and expired tokens get cleaned."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.emails import queue_email
from accounts.models import SentEmail
from accounts.tasks import clean_expired_tokens, send_email
from accounts.tests.factories import UserFactory
from config.celery import app

pytestmark = pytest.mark.django_db

MESSAGE = {"to": ["buyer@example.com"], "subject": "Hello", "text": "Plain", "html": "<p>Html</p>"}


class FlakySMTPBackend(EmailBackend):
    """Locmem delivery that fails like an SMTP server for the first `failures` attempts."""

    failures = 2
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).attempts <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky_smtp(settings):
    FlakySMTPBackend.attempts = 0
    FlakySMTPBackend.failures = 2
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FlakySMTPBackend"}}
    return FlakySMTPBackend


def test_email_failing_twice_then_succeeding_is_sent_exactly_once(flaky_smtp):
    result = send_email.delay(**MESSAGE, idempotency_key="order-1-confirmed")

    assert result.successful()
    assert result.result is True
    assert flaky_smtp.attempts == 3
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["buyer@example.com"]
    assert mail.outbox[0].alternatives[0].content == "<p>Html</p>"
    assert list(SentEmail.objects.values_list("key", flat=True)) == ["order-1-confirmed"]


def test_email_that_keeps_failing_is_not_recorded_as_sent_and_raises_nothing(flaky_smtp):
    flaky_smtp.failures = 100

    result = send_email.delay(**MESSAGE, idempotency_key="order-2-confirmed")

    assert result.failed()
    assert isinstance(result.result, smtplib.SMTPException)
    assert flaky_smtp.attempts == send_email.max_retries + 1
    assert mail.outbox == []
    assert SentEmail.objects.count() == 0


def test_same_idempotency_key_sends_once():
    first = send_email.delay(**MESSAGE, idempotency_key="register-7")
    second = send_email.delay(**MESSAGE, idempotency_key="register-7")

    assert (first.result, second.result) == (True, False)
    assert len(mail.outbox) == 1
    assert SentEmail.objects.filter(key="register-7").count() == 1


def test_emails_without_a_key_are_always_sent():
    send_email.delay(**MESSAGE)
    send_email.delay(**MESSAGE)

    assert len(mail.outbox) == 2
    assert SentEmail.objects.count() == 0


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


def test_queue_email_sends_only_after_commit(django_capture_on_commit_callbacks, probe_template):
    user = UserFactory(email="petrov@example.com")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        queue_email(
            to=[user.email],
            template=probe_template,
            context={"name": "Ivan"},
            idempotency_key=f"register-{user.pk}",
        )
        assert mail.outbox == []

    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert (mail.outbox[0].to, mail.outbox[0].subject) == (["petrov@example.com"], "Probe for Ivan")


def test_broker_down_when_queueing_an_email_is_logged_not_raised(
    django_capture_on_commit_callbacks, monkeypatch, caplog, probe_template
):
    def broker_down(**kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_email, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            to=["a@example.com"],
            template=probe_template,
            context={"name": "Ivan"},
            idempotency_key="register-x",
        )

    assert mail.outbox == []
    assert "could not queue email register-x" in caplog.text


def test_clean_expired_tokens_deletes_only_expired_ones():
    from knox.models import AuthToken

    user = UserFactory()
    expired, _ = AuthToken.objects.create(user=user, expiry=timedelta(hours=1))
    AuthToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    valid, _ = AuthToken.objects.create(user=user, expiry=timedelta(hours=1))
    forever, _ = AuthToken.objects.create(user=user, expiry=None)

    deleted = clean_expired_tokens.delay().result

    assert deleted == 1
    assert set(AuthToken.objects.values_list("pk", flat=True)) == {valid.pk, forever.pk}


def test_beat_schedule_runs_registered_tasks():
    schedule = django_settings.CELERY_BEAT_SCHEDULE

    assert schedule["clean-expired-tokens"]["task"] == "accounts.tasks.clean_expired_tokens"
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
