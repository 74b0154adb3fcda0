"""Orders placed while the broker is unreachable and the database drops connections: every email sent once.

Needs Redis (`TEST_CELERY_BROKER_URL`) and PostgreSQL (`DATABASE_URL`). A real worker process with an
embedded beat (`celery -A config worker -B`) sends the outbox through a file mail backend into a
directory this test reads; this process plays the web side. The broker outage is the web side's
alone (its broker URL points at a closed port): the shared Redis server is never stopped.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.emails import message_id_for
from accounts.models import OutboxEmail
from accounts.tests.factories import ManagerFactory, PartnerFactory, UserFactory
from catalog.tests.factories import OfferFactory, ProductFactory, ShopFactory
from config.celery import app
from orders.services import confirm_order
from orders.tests.factories import OrderFactory, OrderItemFactory
from tests.integration.conftest import BROKER_URL, NEEDS_A_WORKER, purge_queues

# Nothing listens on port 1: connecting is refused at once, like a broker that is down.
UNREACHABLE_BROKER_URL = "redis://127.0.0.1:1/0"
REPOSITORY = Path(__file__).resolve().parents[2]

pytestmark = NEEDS_A_WORKER

ORDERS_BEFORE, ORDERS_DURING_OUTAGE, ORDERS_AFTER = 7, 6, 7
EMAILS_PER_ORDER = 4  # the customer, the managers, each of the two partners


def point_the_app_at(broker_url: str) -> None:
    """Send this process's tasks to `broker_url`, dropping the connection pools built for the old one."""
    app.conf.update(broker_url=broker_url, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None


def database_url() -> str:
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    return (
        f"postgres://{database['USER']}{password}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A worker process (two pool processes and beat) on the test database, mailing into a directory."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "EMAIL_BACKEND": "tests.integration.outbox_mail.BlinkingDatabaseFileBackend",
        "OUTBOX_TEST_MAIL_DIR": str(mail_dir),
        "EMAIL_SWEEP_INTERVAL": "1",
        # The Message-ID is an HMAC of the key: the test computes the same one.
        "SECRET_KEY": settings.SECRET_KEY,
        "DEFAULT_FROM_EMAIL": settings.DEFAULT_FROM_EMAIL,
        "LOG_FORMAT": "plain",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    point_the_app_at(BROKER_URL)
    purge_queues()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--beat",
                "--schedule",
                str(tmp_path / "beat-schedule"),
                "--pool",
                "prefork",
                "--concurrency",
                "2",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
                "--hostname",
                f"outbox-test-{os.getpid()}@%h",
            ],
            cwd=REPOSITORY,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while b" ready." not in log_path.read_bytes():
            assert process.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
        yield {"mail_dir": mail_dir, "log": log_path}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


def place_orders(count: int, *, offers, first_number: int):
    """Orders of one line from each offer, each by its own customer, through the service."""
    orders = []
    for number in range(first_number, first_number + count):
        customer = UserFactory(username=f"customer{number}", email=f"customer{number}@example.com")
        basket = OrderFactory(user=customer)
        for offer in offers:
            OrderItemFactory(order=basket, offer=offer, quantity=1)
        orders.append(confirm_order(order=basket, customer=customer, address="Москва", phone="+79161234567"))
    return orders


def terminate_other_connections() -> int:
    """What a database blip does to the worker: every other connection to this database is killed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return sum(1 for (terminated,) in cursor.fetchall() if terminated)


def message_ids_written(mail_dir: Path) -> Counter:
    found = Counter()
    for path in mail_dir.iterdir():
        found.update(re.findall(rb"^Message-ID: (\S+)$", path.read_bytes(), flags=re.MULTILINE))
    return Counter({message_id.decode(): count for message_id, count in found.items()})


def wait_until_all_sent(expected: int, *, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == expected:
            return
        time.sleep(0.5)
    statuses = Counter(OutboxEmail.objects.values_list("status", flat=True))
    raise AssertionError(f"not every email was sent in {timeout}s: {statuses}")


def test_orders_during_a_broker_outage_and_database_blips_send_every_email_exactly_once(worker, caplog):
    ManagerFactory(username="boss", email="boss@example.com")
    offers = [
        OfferFactory(
            shop=ShopFactory(owner=PartnerFactory(email=f"partner{number}@example.com")),
            product=ProductFactory(name=f"Item {number}"),
            price=Decimal("100.00"),
            quantity=1000,
        )
        for number in range(2)
    ]
    terminated = 0

    orders = []
    for number in range(ORDERS_BEFORE):
        orders += place_orders(1, offers=offers, first_number=number)
        terminated += terminate_other_connections()
        time.sleep(0.1)

    point_the_app_at(UNREACHABLE_BROKER_URL)
    # An embedded worker started earlier in the session leaves the root logger at ERROR.
    caplog.set_level(logging.WARNING, logger="accounts.emails")
    caplog.clear()
    outage = place_orders(ORDERS_DURING_OUTAGE, offers=offers, first_number=ORDERS_BEFORE)
    orders += outage
    not_queued = caplog.text.count("could not queue email order-")
    terminated += terminate_other_connections()

    point_the_app_at(BROKER_URL)
    for number in range(ORDERS_AFTER):
        orders += place_orders(1, offers=offers, first_number=ORDERS_BEFORE + ORDERS_DURING_OUTAGE + number)
        terminated += terminate_other_connections()
        time.sleep(0.1)

    total = len(orders) * EMAILS_PER_ORDER
    wait_until_all_sent(total)

    expected_keys = {
        f"order-{order.pk}-{suffix}"
        for order in orders
        for suffix in [
            "new-customer",
            "new-managers",
            *(f"shipment-{pk}-new-partner" for pk in order.shipments.values_list("pk", flat=True)),
        ]
    }
    rows = list(OutboxEmail.objects.values_list("key", "status"))
    assert {key for key, _ in rows} == expected_keys
    assert {status for _, status in rows} == {OutboxEmail.Status.SENT}
    written = message_ids_written(worker["mail_dir"])
    assert {key: written[message_id_for(key)] for key in expected_keys} == dict.fromkeys(expected_keys, 1)
    assert sum(written.values()) == total
    # The scenario really happened: every hand-off of the outage failed, the worker lost connections,
    # including right after a message had left, and the sweep sent what the broker never got.
    assert not_queued == ORDERS_DURING_OUTAGE * EMAILS_PER_ORDER
    assert terminated > 0
    worker_log = worker["log"].read_text(errors="replace")
    assert "database unreachable while recording email" in worker_log
    assert "due emails" in worker_log
