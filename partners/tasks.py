"""Celery tasks of the partners app: running price-list imports, and picking up imports left behind."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from partners.importing.url_import import fetch_price_list_into_import
from partners.importing.workflow import MAX_ATTEMPTS, STALE_AFTER, run_price_list_import
from partners.models import FINISHED_STATUSES, PriceListImport

logger = logging.getLogger(__name__)

# A pending import nobody has started for this long lost its task message (a broker restart, or the
# broker was down when it was queued): it is queued again.
PENDING_TOO_LONG = timedelta(minutes=15)
RESUME_BATCH = 100
# Backoff of the retries after an unexpected error: 30 s, 60 s, 120 s… at most 10 minutes.
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 600


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_ATTEMPTS + 3)
def import_price_list_task(self, import_id: int) -> str:
    """Run one import; returns its final status. Safe to run twice: a finished import is left alone.

    - A URL import queued without its file is fetched first (`fetch_price_list_into_import`): a
      refused fetch fails it; a broken connection is retried like an unexpected error.
    - An unexpected error (database outage, time limit) puts the record back to pending while the
      engine allows attempts; the task then retries with backoff, and the engine fails it at the end.
    - A record still "running" is held by another worker or was left by a worker that died (a killed
      worker's task is redelivered: acks_late + reject_on_worker_lost). The task comes back once the
      engine's stale threshold has passed, and the engine then takes the dead run over.
    """
    record = PriceListImport.objects.filter(pk=import_id).first()
    if record is None:
        logger.warning("price-list import %s does not exist", import_id)
        return "missing"
    if record.status in FINISHED_STATUSES:
        return record.status
    try:
        record = fetch_price_list_into_import(price_list_import=record)
        if record.status in FINISHED_STATUSES:
            return record.status
        record = run_price_list_import(price_list_import=record)
    except Exception as exc:
        record.refresh_from_db(fields=["status"])
        if record.status == PriceListImport.Status.PENDING:
            # Eager runs retry at once (Celery ignores the countdown); the engine caps the attempts.
            raise self.retry(
                exc=exc, countdown=min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**self.request.retries)
            ) from exc
        raise
    if record.status == PriceListImport.Status.RUNNING and not self.request.is_eager:
        wait = (record.started_at + STALE_AFTER - timezone.now()).total_seconds() if record.started_at else 0
        raise self.retry(countdown=max(5, int(wait) + 5))
    return record.status


@shared_task
def resume_stale_imports() -> int:
    """Queue imports left behind: pending too long (lost message) or running past the stale threshold.

    Run by Celery beat; returns how many were queued. Queueing one that is in fact running is harmless:
    the engine lets only one run claim it.
    """
    now = timezone.now()
    left_behind = PriceListImport.objects.filter(
        Q(status=PriceListImport.Status.PENDING, created_at__lt=now - PENDING_TOO_LONG)
        | Q(status=PriceListImport.Status.RUNNING, started_at__lt=now - STALE_AFTER)
    ).order_by("created_at")
    import_ids = list(left_behind.values_list("pk", flat=True)[:RESUME_BATCH])
    for import_id in import_ids:
        import_price_list_task.delay(import_id)
    if import_ids:
        logger.info("queued %d price-list imports left behind: %s", len(import_ids), import_ids)
    return len(import_ids)
