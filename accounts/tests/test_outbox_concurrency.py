"""Sent once under concurrency, on PostgreSQL: workers, the sweep and the command racing for the same rows."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection

from accounts.emails import message_id_for, queue_due_emails, send_due_emails, send_outbox_email
from accounts.models import OutboxEmail

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EMAILS = 20


class SlowBackend(EmailBackend):
    """Locmem delivery that takes a little while, like an SMTP round trip, so that workers overlap."""

    def send_messages(self, messages):
        time.sleep(0.01)
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def slow_mail(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.SlowBackend"}}


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread, released together; returns each result or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def make_pending_emails() -> list[OutboxEmail]:
    return [
        OutboxEmail.objects.create(
            key=f"order-{number}-new-customer",
            recipients=[f"buyer{number}@example.com"],
            subject=f"Order #{number}",
            text="Plain",
        )
        for number in range(EMAILS)
    ]


def sent_per_key(rows: list[OutboxEmail]) -> dict[str, int]:
    by_message_id = Counter(message.extra_headers["Message-ID"] for message in mail.outbox)
    return {row.key: by_message_id[message_id_for(row.key)] for row in rows}


def test_four_workers_given_the_same_emails_send_each_exactly_once():
    rows = make_pending_emails()
    ids = [row.pk for row in rows]

    def worker(seed: int) -> Callable[[], list[str]]:
        order = random.Random(seed).sample(ids, len(ids))
        return lambda: [send_outbox_email(email_id=email_id) for email_id in order]

    results = run_at_once([worker(seed) for seed in range(4)])

    outcomes = Counter(outcome for result in results for outcome in result)
    assert outcomes == {"sent": EMAILS, "skipped": 3 * EMAILS}
    assert sent_per_key(rows) == {row.key: 1 for row in rows}
    assert set(OutboxEmail.objects.values_list("status", "attempts")) == {(OutboxEmail.Status.SENT, 1)}


def test_the_sweep_the_command_and_the_tasks_racing_send_each_email_exactly_once():
    rows = make_pending_emails()
    OutboxEmail.objects.update(queued_at=None)
    ids = [row.pk for row in rows]

    results = run_at_once(
        [
            queue_due_emails,  # eager here: the sweep sends in-process, as without a broker
            send_due_emails,
            lambda: [send_outbox_email(email_id=email_id) for email_id in reversed(ids)],
        ]
    )

    assert not any(isinstance(result, Exception) for result in results), results
    assert sent_per_key(rows) == {row.key: 1 for row in rows}
    assert len(mail.outbox) == EMAILS
    assert set(OutboxEmail.objects.values_list("status", "attempts")) == {(OutboxEmail.Status.SENT, 1)}
