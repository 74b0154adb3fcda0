"""Import tasks: idempotent, a crash mid-apply is finished by the next attempt, abandoned runs resume."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.tests.factories import PartnerFactory
from catalog.models import Offer
from partners import tasks
from partners.importing import apply as importing_apply
from partners.importing.submit import submit_price_list
from partners.importing.url_import import (
    FETCH_ATTEMPTS,
    create_url_price_list_import,
    fetch_price_list_into_import,
)
from partners.importing.workflow import (
    MAX_ATTEMPTS,
    STALE_AFTER,
    create_price_list_import,
    run_price_list_import,
)
from partners.models import PriceHistory, PriceListImport
from partners.tasks import import_price_list_task, resume_stale_imports
from partners.tests.conftest import Drip, http_head
from partners.tests.data_files import SMALL, SMALL_CHANGED
from partners.tests.faults import database_refuses_updates_of_offer

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


def new_import(partner, content: bytes = SMALL) -> PriceListImport:
    return create_price_list_import(partner=partner, content=content, file_name="shop.yaml", source="api")


def offers_snapshot() -> list[tuple]:
    return list(
        Offer.objects.order_by("external_id").values_list(
            "external_id", "price", "recommended_price", "quantity", "is_active", "parameters", "updated_at"
        )
    )


@pytest.fixture
def partner():
    return PartnerFactory()


def test_task_runs_a_pending_import(partner):
    record = new_import(partner)

    assert import_price_list_task.apply(args=[record.pk]).result == "succeeded"

    record.refresh_from_db()
    assert (record.status, record.created_count, record.attempts) == ("succeeded", 3, 1)
    assert Offer.objects.count() == 3


def test_running_the_task_twice_does_not_import_twice(partner):
    record = new_import(partner)
    import_price_list_task.apply(args=[record.pk])
    before = offers_snapshot()

    assert import_price_list_task.apply(args=[record.pk]).result == "succeeded"

    record.refresh_from_db()
    assert record.attempts == 1
    assert offers_snapshot() == before


def test_failed_import_is_not_run_again(partner):
    record = new_import(partner, b"shop: [unclosed\n")
    assert import_price_list_task.apply(args=[record.pk]).result == "failed"
    errors = PriceListImport.objects.get(pk=record.pk).errors

    assert import_price_list_task.apply(args=[record.pk]).result == "failed"

    record.refresh_from_db()
    assert (record.attempts, record.errors) == (1, errors)


def test_missing_import_is_reported_not_raised():
    assert import_price_list_task.apply(args=[987654]).result == "missing"


def offer_values() -> dict[str, tuple]:
    return {
        external_id: (price, quantity, is_active)
        for external_id, price, quantity, is_active in Offer.objects.values_list(
            "external_id", "price", "quantity", "is_active"
        )
    }


FIRST_FILE_VALUES = {
    "101": (Decimal("349.90"), 25, True),
    "A-102": (Decimal("1290.00"), 0, True),
    "103": (Decimal("199.50"), 7, True),
}
CHANGED_FILE_VALUES = {
    "101": (Decimal("379.90"), 25, True),
    "A-102": (Decimal("1290.00"), 0, False),
    "103": (Decimal("199.50"), 3, True),
    "104": (Decimal("500.00"), 4, True),
}


def test_a_crash_mid_apply_is_finished_by_the_next_attempt(partner, monkeypatch):
    import_price_list_task.apply(args=[new_import(partner).pk])
    assert offer_values() == FIRST_FILE_VALUES
    record = new_import(partner, SMALL_CHANGED)
    monkeypatch.setattr(importing_apply, "UPDATE_BATCH", 1)  # one offer per batch: 101, then 103

    with database_refuses_updates_of_offer("103"), pytest.raises(DatabaseError):
        run_price_list_import(price_list_import=record)

    record.refresh_from_db()
    assert (record.status, record.attempts) == ("pending", 1)
    # What was committed before the crash stays: the new offer and the first batch.
    assert offer_values() == {
        **FIRST_FILE_VALUES,
        "101": CHANGED_FILE_VALUES["101"],
        "104": CHANGED_FILE_VALUES["104"],
    }

    assert import_price_list_task.apply(args=[record.pk]).result == "succeeded"

    record.refresh_from_db()
    assert (record.status, record.attempts, record.errors) == ("succeeded", 2, [])
    assert offer_values() == CHANGED_FILE_VALUES
    assert PriceHistory.objects.filter(price_list_import=record).count() == 1


def test_a_crash_that_repeats_ends_the_import_failed_after_the_last_attempt(partner):
    import_price_list_task.apply(args=[new_import(partner).pk])
    record = new_import(partner, SMALL_CHANGED)

    with database_refuses_updates_of_offer("101"):
        result = import_price_list_task.apply(args=[record.pk])

    assert result.failed()
    record.refresh_from_db()
    assert (record.status, record.attempts) == (PriceListImport.Status.FAILED, MAX_ATTEMPTS)
    # How the database reports the trigger's refusal.
    kind = "InternalError" if connection.vendor == "postgresql" else "IntegrityError"
    assert record.errors == [
        {
            "path": "",
            "message": f"an internal error ({kind}) interrupted the import {MAX_ATTEMPTS} times; "
            "upload the file again, and contact the store if it keeps failing",
            "line": None,
        }
    ]
    assert offer_values()["101"] == FIRST_FILE_VALUES["101"]


def test_fresh_running_import_is_left_to_its_worker(partner):
    record = new_import(partner)
    PriceListImport.objects.filter(pk=record.pk).update(
        status="running", started_at=timezone.now(), attempts=1
    )

    assert import_price_list_task.apply(args=[record.pk]).result == "running"

    assert Offer.objects.count() == 0


def test_stale_running_import_left_by_a_dead_worker_is_taken_over(partner):
    record = new_import(partner)
    PriceListImport.objects.filter(pk=record.pk).update(
        status="running", started_at=timezone.now() - STALE_AFTER - timedelta(seconds=1), attempts=1
    )

    assert import_price_list_task.apply(args=[record.pk]).result == "succeeded"

    record.refresh_from_db()
    assert (record.status, record.attempts) == ("succeeded", 2)
    assert Offer.objects.count() == 3


def submit(partner, content: bytes = SMALL):
    return submit_price_list(partner=partner, content=content, file_name="shop.yaml", source="api")


def test_submitted_without_a_broker_runs_now_and_is_not_queued(partner):
    submitted = submit(partner)
    record = submitted.record

    assert submitted.queued is False

    assert record.status == PriceListImport.Status.SUCCEEDED
    assert Offer.objects.count() == 3


@pytest.fixture
def broker_configured(monkeypatch):
    queued: list[tuple] = []
    monkeypatch.setattr(import_price_list_task.app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        import_price_list_task,
        "apply_async",
        lambda args=None, task_id=None, **options: queued.append((args, task_id)),
    )
    return queued


def test_submitted_with_a_broker_is_queued_after_commit(
    partner, broker_configured, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submitted = submit(partner)
        assert submitted.queued is True
        assert broker_configured == []
    record = submitted.record

    for callback in callbacks:
        callback()
    record.refresh_from_db()
    assert broker_configured == [([record.pk], record.task_id)]
    assert len(record.task_id) == 32
    assert record.status == PriceListImport.Status.PENDING


def test_broker_down_when_queueing_keeps_the_import_pending_and_raises_nothing(
    partner, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    monkeypatch.setattr(import_price_list_task.app.conf, "task_always_eager", False)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(import_price_list_task, "apply_async", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        submitted = submit(partner)
        assert submitted.queued is True
    record = submitted.record

    record.refresh_from_db()
    assert record.status == PriceListImport.Status.PENDING
    assert f"could not queue price-list import {record.pk}" in caplog.text


def test_resume_queues_imports_left_pending_or_running_too_long(partner, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.import_price_list_task, "delay", queued.append)
    now = timezone.now()
    lost = new_import(partner)
    abandoned = new_import(partner)
    fresh_pending = new_import(partner)
    fresh_running = new_import(partner)
    finished = new_import(partner)
    PriceListImport.objects.filter(pk__in=[lost.pk, finished.pk]).update(created_at=now - timedelta(hours=1))
    PriceListImport.objects.filter(pk=finished.pk).update(status="succeeded")
    PriceListImport.objects.filter(pk=abandoned.pk).update(
        status="running", started_at=now - STALE_AFTER - timedelta(minutes=1)
    )
    PriceListImport.objects.filter(pk=fresh_running.pk).update(status="running", started_at=now)

    assert resume_stale_imports.apply().result == 2

    assert sorted(queued) == sorted([lost.pk, abandoned.pk])
    assert fresh_pending.pk not in queued


# --- URL imports fetched by the task ----------------------------------------------------------------


@pytest.fixture
def allow_local(settings):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]


def serving(content: bytes) -> Drip:
    return Drip(head=http_head(200, {"Content-Length": str(len(content))}), body=content)


def broken_connection() -> Drip:
    """Headers promising the file, then the connection ends before it: a truncated download."""
    return Drip(head=http_head(200, {"Content-Length": "1000"}), body=b"x" * 1000, close_early=0)


def test_task_fetches_a_queued_url_import_then_runs_it(partner, allow_local, drip_server):
    drip_server.routes["/p.yaml"] = serving(SMALL)
    record = create_url_price_list_import(partner=partner, url=drip_server.url("/p.yaml"))

    assert import_price_list_task.apply(args=[record.pk]).result == "succeeded"

    record.refresh_from_db()
    assert (record.status, record.created_count, record.attempts, record.file_size) == (
        "succeeded",
        3,
        1,
        len(SMALL),
    )
    assert drip_server.requests == ["/p.yaml"]


def test_task_run_again_on_a_fetched_url_import_does_not_fetch_again(partner, allow_local, drip_server):
    drip_server.routes["/p.yaml"] = serving(SMALL)
    record = create_url_price_list_import(partner=partner, url=drip_server.url("/p.yaml"))
    import_price_list_task.apply(args=[record.pk])

    assert import_price_list_task.apply(args=[record.pk]).result == "succeeded"

    assert drip_server.requests == ["/p.yaml"]


def test_broken_connection_is_fetched_again_and_the_import_then_succeeds(partner, allow_local, drip_server):
    drip_server.routes["/p.yaml"] = Drip(
        head=broken_connection().head, body=b"x" * 1000, close_early=0, then=serving(SMALL)
    )
    record = create_url_price_list_import(partner=partner, url=drip_server.url("/p.yaml"))

    # Eager runs retry at once; a worker would wait the task's backoff first.
    assert import_price_list_task.apply(args=[record.pk]).result == "succeeded"

    record.refresh_from_db()
    assert (record.status, record.created_count, record.errors) == ("succeeded", 3, [])
    # One failed fetch, then the run.
    assert record.attempts == 2
    assert drip_server.requests == ["/p.yaml", "/p.yaml"]


def test_connection_broken_every_time_fails_the_import_after_the_fetch_attempts(
    partner, allow_local, drip_server
):
    drip_server.routes["/p.yaml"] = broken_connection()
    record = create_url_price_list_import(partner=partner, url=drip_server.url("/p.yaml"))

    result = import_price_list_task.apply(args=[record.pk])

    assert result.result == "failed"
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("failed", FETCH_ATTEMPTS)
    assert record.errors == [
        {"path": "url", "message": "Could not download the file from 127.0.0.1.", "line": None}
    ]
    assert not record.file
    assert drip_server.requests == ["/p.yaml"] * FETCH_ATTEMPTS
    assert Offer.objects.count() == 0


def test_refused_fetch_is_not_tried_again(partner, allow_local, drip_server):
    record = create_url_price_list_import(partner=partner, url=drip_server.url("/missing.yaml"))

    assert import_price_list_task.apply(args=[record.pk]).result == "failed"
    assert import_price_list_task.apply(args=[record.pk]).result == "failed"

    record.refresh_from_db()
    assert (record.attempts, drip_server.requests) == (1, ["/missing.yaml"])
    assert record.errors == [
        {"path": "url", "message": "The server answered HTTP 404 instead of the file.", "line": None}
    ]
    assert record.started_at is not None
    assert record.finished_at >= record.started_at


def test_second_fetch_of_one_import_at_once_keeps_the_first_file_and_deletes_its_own(
    partner, allow_local, drip_server, settings
):
    drip_server.routes["/p.yaml"] = Drip(
        head=http_head(200, {"Content-Length": str(len(SMALL))}), body=SMALL, then=serving(SMALL_CHANGED)
    )
    record = create_url_price_list_import(partner=partner, url=drip_server.url("/p.yaml"))
    # Another worker loaded the same pending import before this one kept its file.
    stale_copy = PriceListImport.objects.get(pk=record.pk)
    first = fetch_price_list_into_import(price_list_import=record)

    second = fetch_price_list_into_import(price_list_import=stale_copy)

    assert second.file.name == first.file.name
    assert second.file_sha256 == first.file_sha256
    with second.file.open("rb") as stream:
        assert stream.read() == SMALL
    kept = [path for path in (Path(settings.MEDIA_ROOT)).rglob("*") if path.is_file()]
    assert [path.name for path in kept] == [Path(first.file.name).name]
    assert drip_server.requests == ["/p.yaml", "/p.yaml"]
