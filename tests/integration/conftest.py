"""Fixtures of the integration tests: a real Celery worker on the Redis broker of TEST_CELERY_BROKER_URL."""

from __future__ import annotations

import os

import pytest
from django.db import connections

from config.celery import app

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "")

# The marks of a test that runs real workers: Redis as the broker, PostgreSQL (the workers read the
# committed test database over their own connections), and a skip with the reason when there is none.
NEEDS_A_WORKER = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not BROKER_URL,
        reason="needs a Redis broker: set TEST_CELERY_BROKER_URL=redis://127.0.0.1:6379/15 (and DATABASE_URL)",
    ),
]


def purge_queues() -> None:
    """Empty every queue of the app (imports, emails, default) on the test broker."""
    with app.connection_for_write() as connection:
        for queue in app.conf.task_queues:
            connection.default_channel.queue_purge(queue.name)


def forget_broker_connections() -> None:
    """Drop the app's cached connection and producer pools, so they are rebuilt for the current broker.

    Eager tasks run earlier in the session already built them for the default (unset) broker, and
    Celery keeps them for the life of the app.
    """
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker():
    """The app pointed at the test broker (not eager), and an embedded worker consuming from it."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    database = connections.settings["default"]
    saved_max_age = database["CONN_MAX_AGE"]
    # The worker thread's connections close after each task, so the test database can be dropped.
    database["CONN_MAX_AGE"] = 0
    app.conf.update(broker_url=BROKER_URL, task_always_eager=False)
    forget_broker_connections()
    purge_queues()
    from celery.contrib.testing.worker import start_worker

    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=60) as running:
            yield running
    finally:
        app.conf.update(saved)
        forget_broker_connections()
        database["CONN_MAX_AGE"] = saved_max_age
