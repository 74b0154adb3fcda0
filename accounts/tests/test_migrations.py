"""Data migrations of accounts keep what they move: the keys of emails sent before the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.emails import create_outbox_email

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_OUTBOX = [("accounts", "0003_sent_email")]
WITH_OUTBOX = [("accounts", "0006_delete_sent_email")]


def migrate(targets):
    """Apply or unapply migrations up to `targets`; returns the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_keys_of_sent_emails_become_sent_outbox_rows_and_are_never_sent_again(back_to_latest):
    old = migrate(BEFORE_OUTBOX)
    SentEmail = old.get_model("accounts", "SentEmail")
    times = {
        "order-5-new-customer": datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
        "order-5-new-managers": datetime(2026, 11, 1, 9, 31, tzinfo=UTC),
        "register-12": datetime(2026, 11, 2, 18, 0, tzinfo=UTC),
    }
    for key, sent_at in times.items():
        SentEmail.objects.create(key=key)
        SentEmail.objects.filter(key=key).update(sent_at=sent_at)

    new = migrate(WITH_OUTBOX)

    OutboxEmail = new.get_model("accounts", "OutboxEmail")
    rows = list(
        OutboxEmail.objects.order_by("key").values_list(
            "key", "status", "attempts", "sent_at", "created_at", "recipients", "subject", "text"
        )
    )
    assert rows == [(key, "sent", 1, times[key], times[key], [], "", "") for key in sorted(times)]
    with pytest.raises(LookupError):
        new.get_model("accounts", "SentEmail")
    email, created = create_outbox_email(
        recipients=["anna@example.com"], subject="Order #5", text="t", html="", key="order-5-new-customer"
    )
    assert (created, email.status, email.subject) == (False, "sent", "")


def test_going_back_keeps_the_keys_and_times_of_sent_emails(back_to_latest):
    migrate(BEFORE_OUTBOX)
    new = migrate(WITH_OUTBOX)
    OutboxEmail = new.get_model("accounts", "OutboxEmail")
    sent_at = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    OutboxEmail.objects.create(
        key="order-7-new-customer", subject="Order #7", status="sent", sent_at=sent_at, recipients=["a@b.c"]
    )
    OutboxEmail.objects.create(key="register-9", subject="Welcome", recipients=["a@b.c"])

    old = migrate(BEFORE_OUTBOX)

    SentEmail = old.get_model("accounts", "SentEmail")
    assert list(SentEmail.objects.values_list("key", "sent_at")) == [("order-7-new-customer", sent_at)]


def test_accounts_with_a_confirmed_address_are_marked_as_having_confirmed_one(back_to_latest):
    old = migrate([("accounts", "0007_login_limits")])
    OldUser = old.get_model("accounts", "User")
    OldUser.objects.create(username="confirmed", email="c@example.com", is_email_verified=True)
    OldUser.objects.create(username="unconfirmed", email="u@example.com", is_email_verified=False)

    new = migrate([("accounts", "0008_user_has_ever_verified_email")])

    User = new.get_model("accounts", "User")
    assert sorted(User.objects.values_list("username", "is_email_verified", "has_ever_verified_email")) == [
        ("confirmed", True, True),
        ("unconfirmed", False, False),
    ]
