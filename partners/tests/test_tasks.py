"""Import tasks: idempotent, a crash mid-apply changes no offer and ends failed, abandoned runs resume."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.tests.factories import PartnerFactory
from catalog.models import Offer
from partners import tasks
from partners.models import PriceListImport
from partners.services import MAX_ATTEMPTS, STALE_AFTER, create_price_list_import
from partners.tasks import import_price_list_task, resume_stale_imports, start_price_list_import

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SMALL = (DATA / "good" / "small.yaml").read_bytes()
SMALL_CHANGED = (DATA / "good" / "small_changed.yaml").read_bytes()


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


def test_crash_mid_apply_leaves_the_offers_unchanged_and_the_record_failed(partner, monkeypatch):
    import_price_list_task.apply(args=[new_import(partner).pk])
    before = offers_snapshot()
    record = new_import(partner, SMALL_CHANGED)
    calls = []

    def crash(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("worker lost its database mid-apply")

    # The creates and product rows are written by now; the update is where the worker dies.
    monkeypatch.setattr(Offer.objects, "bulk_update", crash)

    result = import_price_list_task.apply(args=[record.pk])

    assert result.failed()
    record.refresh_from_db()
    assert record.status == PriceListImport.Status.FAILED
    assert record.attempts == MAX_ATTEMPTS
    assert len(calls) == MAX_ATTEMPTS
    assert "worker lost its database mid-apply" in record.errors[0]["message"]
    assert offers_snapshot() == before


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


def test_start_without_a_broker_runs_now_and_returns_false(partner):
    record = new_import(partner)

    assert start_price_list_import(price_list_import=record) is False

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


def test_start_with_a_broker_queues_after_commit_and_returns_true(
    partner, broker_configured, django_capture_on_commit_callbacks
):
    record = new_import(partner)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert start_price_list_import(price_list_import=record) is True
        assert broker_configured == []

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
    record = new_import(partner)

    with django_capture_on_commit_callbacks(execute=True):
        assert start_price_list_import(price_list_import=record) is True

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
