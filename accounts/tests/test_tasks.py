"""Celery tasks of accounts: the email tasks keep stable names, the old task still sends, tokens get cleaned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from accounts.models import OutboxEmail
from accounts.tasks import clean_expired_tokens, send_email, send_outbox_email, sweep_outbox_emails
from accounts.tests.factories import UserFactory
from config.celery import app

pytestmark = pytest.mark.django_db

MESSAGE = {"to": ["buyer@example.com"], "subject": "Hello", "text": "Plain", "html": "<p>Html</p>"}


def test_task_queued_by_an_older_release_joins_the_outbox_and_is_sent_once(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        first = send_email.delay(**MESSAGE, idempotency_key="order-1-confirmed")
        second = send_email.delay(**MESSAGE, idempotency_key="order-1-confirmed")

    assert (first.result, second.result) == ("queued", "skipped")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["buyer@example.com"]
    assert mail.outbox[0].alternatives[0].content == "<p>Html</p>"
    row = OutboxEmail.objects.get()
    assert (row.key, row.status, row.subject) == ("order-1-confirmed", OutboxEmail.Status.SENT, "Hello")


def test_task_queued_by_an_older_release_for_a_key_already_sent_sends_nothing():
    OutboxEmail.objects.create(
        key="register-7", subject="", status=OutboxEmail.Status.SENT, sent_at=timezone.now()
    )

    assert send_email.delay(**MESSAGE, idempotency_key="register-7").result == "skipped"

    assert mail.outbox == []
    assert OutboxEmail.objects.count() == 1


def test_email_tasks_keep_the_names_that_routes_refer_to():
    assert (send_outbox_email.name, sweep_outbox_emails.name, send_email.name) == (
        "accounts.tasks.send_outbox_email",
        "accounts.tasks.sweep_outbox_emails",
        "accounts.tasks.send_email",
    )


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
    assert schedule["sweep-outbox-emails"] == {"task": "accounts.tasks.sweep_outbox_emails", "schedule": 60}
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
