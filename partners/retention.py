"""Retention of kept price-list files: deleted from the storage after MEDIA_RETENTION_DAYS, records kept.

An import's record is its history (who sent what, when, with which result) and stays; its file is a
copy of the partner's data that nothing needs once the import is long finished. The file is deleted
first and the record marked after, so a failure in between leaves a record whose file is simply gone
(the download says so) and the next run marks it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from partners.models import FINISHED_STATUSES, PriceListImport

logger = logging.getLogger(__name__)

BATCH = 500


def expire_price_list_files(*, older_than: datetime, limit: int = 10_000) -> int:
    """Delete the kept files of finished imports uploaded before `older_than`; returns how many.

    Imports still pending or running keep their files whatever their age (a worker may need them).
    At most `limit` files per call, so one run of the beat task stays short.
    """
    expired = 0
    candidates = (
        PriceListImport.objects.filter(created_at__lt=older_than, status__in=FINISHED_STATUSES)
        .exclude(Q(file="") | Q(file__isnull=True))
        .order_by("pk")
    )
    storage = PriceListImport._meta.get_field("file").storage
    last_pk = 0
    while expired < limit:
        batch = list(
            candidates.filter(pk__gt=last_pk).values_list("pk", "file")[: min(BATCH, limit - expired)]
        )
        if not batch:
            break
        for pk, name in batch:
            storage.delete(name)
            PriceListImport.objects.filter(pk=pk, file=name).update(file="", file_expired_at=timezone.now())
            expired += 1
            last_pk = pk
    if expired:
        logger.info("deleted the kept files of %d price-list imports older than %s", expired, older_than)
    return expired
