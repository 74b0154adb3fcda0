"""Submitting a price list: the one place that decides how an upload runs.

Every entry point (the partner API, the admin upload and its preview → apply, the command line) hands
its file or URL here, and gets back the import and whether a worker runs it:

- with a broker, the import is queued for a worker (a URL is fetched there) and the caller answers at
  once; admin uploads no larger than PRICE_LIST_BACKGROUND_BYTES and the command line run now anyway;
- without a broker, it runs now (a URL is fetched here first) and is finished when this returns;
- a preview (dry run) plans and writes nothing; applying a preview is a new import of its file.

A refused upload (too large, a URL refused before any fetch, not a partner) raises ValidationError and
keeps nothing; a file with problems is kept as a failed import, with every problem on it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from accounts.models import User
from partners.importing.url_fetch import fetch_price_list
from partners.importing.url_import import create_url_price_list_import
from partners.importing.workflow import create_price_list_import, prepare_previewed_import
from partners.models import PriceListImport
from partners.tasks import import_price_list_task

logger = logging.getLogger(__name__)

Source = PriceListImport.Source


@dataclass(frozen=True, slots=True)
class Submitted:
    record: PriceListImport
    queued: bool  # True: a worker runs it (poll the record); False: it is finished


def imports_run_in_background() -> bool:
    """True when a broker is configured: imports are queued for a worker instead of run by the caller."""
    return not import_price_list_task.app.conf.task_always_eager


def submit_price_list(
    *,
    partner: User,
    source: str,
    content: bytes | None = None,
    file_name: str = "",
    url: str = "",
    dry_run: bool = False,
) -> Submitted:
    """Keep an upload (`content`) or a URL's file, and run or queue its import."""
    background = _in_background(source=source, size=len(content or b""))
    if url:
        if background:  # the worker fetches: no web process waits on the partner's server
            record = create_url_price_list_import(partner=partner, url=url, dry_run=dry_run)
            return Submitted(record, _start(record, background=True))
        fetched = fetch_price_list(url)
        content, file_name = fetched.content, fetched.file_name
    record = create_price_list_import(
        partner=partner,
        content=content or b"",
        file_name=file_name,
        source=source,
        source_url=url,
        dry_run=dry_run,
    )
    return Submitted(record, _start(record, background=background))


def submit_previewed_import(*, preview: PriceListImport, actor: User) -> Submitted:
    """Apply the file of a succeeded preview as a new import (planned again if the shop changed)."""
    record = prepare_previewed_import(preview=preview, actor=actor)
    return Submitted(
        record, _start(record, background=_in_background(source=record.source, size=record.file_size))
    )


def _in_background(*, source: str, size: int) -> bool:
    if not imports_run_in_background() or source == Source.CLI:  # the command line waits for its result
        return False
    if source == Source.ADMIN:  # a small file's preview is quicker shown at once
        return size > settings.PRICE_LIST_BACKGROUND_BYTES
    return True


def _start(record: PriceListImport, *, background: bool) -> bool:
    """Run the import now (False: it is finished and `record` refreshed) or queue it (True).

    Run now, it goes through the task all the same, so an unexpected error is retried and then recorded
    on the import exactly as on a worker. Queued, the task is sent once the current transaction commits
    (so the worker sees the record), and the record carries its task id; a broker that refuses the
    message is logged, not raised: the record stays pending and `resume_stale_imports` queues it again.
    """
    if not background:
        import_price_list_task.apply(args=[record.pk])
        record.refresh_from_db()
        return False
    task_id = uuid.uuid4().hex
    record.task_id = task_id
    record.save(update_fields=["task_id"])
    import_id = record.pk

    def enqueue() -> None:
        try:
            import_price_list_task.apply_async(args=[import_id], task_id=task_id)
        except Exception:
            logger.exception("could not queue price-list import %s; it will be queued again", import_id)

    transaction.on_commit(enqueue)
    return True
