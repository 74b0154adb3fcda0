"""Celery tasks of the project itself: the retention of kept files (beat), and the admin export task's
registration (it lives in `config.exports`, which the admin imports to queue it)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from config import exports
from partners.retention import expire_price_list_files

logger = logging.getLogger(__name__)

# Workers import this module (autodiscovery), which registers the export task they run.
build_admin_export = exports.build_admin_export


@shared_task(name="config.tasks.delete_expired_files")
def delete_expired_files() -> dict[str, int]:
    """Delete kept files past their retention (run by beat); returns how many of each kind."""
    now = timezone.now()
    deleted = {"price_lists": 0, "exports": 0}
    if settings.MEDIA_RETENTION_DAYS > 0:
        deleted["price_lists"] = expire_price_list_files(
            older_than=now - timedelta(days=settings.MEDIA_RETENTION_DAYS)
        )
    if settings.ADMIN_EXPORT_RETENTION_HOURS > 0:
        deleted["exports"] = exports.delete_expired_exports(
            older_than=now - timedelta(hours=settings.ADMIN_EXPORT_RETENTION_HOURS)
        )
    return deleted
