"""URL imports fetched by a worker: the pending import that names its URL, and the fetch that gives it its file.

With a broker, `POST /partner_update/ {"url": ...}` must not wait on the partner's server (a slow one
would hold a web process for the whole fetch deadline), so the request only refuses what can be
refused without the network and keeps a pending import carrying `source_url` and no file. The import
task then calls `fetch_price_list_into_import` before running the import as for an upload.

Retry rule: a refused fetch (forbidden address, unresolvable host, timeout, TLS failure, an HTTP error
status, too large, too many redirects) fails the import at once with the refusal in its errors (path
`url`): those are the partner's server's answer, and trying again would only hold a worker again (a
dripping server for another full deadline). Only a broken connection (`url_unreachable`: refused,
reset, cut short) is tried again, by the task with its backoff, up to FETCH_ATTEMPTS fetches in all.
Every fetch that fails counts as one of the import's `attempts`.
"""

from __future__ import annotations

import logging
import time

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from partners.importing.url_fetch import check_price_list_url, fetch_price_list, file_name_of
from partners.importing.workflow import MAX_ATTEMPTS, keep_price_list_file
from partners.models import PriceListImport

logger = logging.getLogger(__name__)

# A fetch that failed with one of these may succeed a little later.
TRANSIENT_FETCH_CODES = frozenset({"url_unreachable"})
# Fetches in all (the first and the retries) before a transient failure fails the import.
FETCH_ATTEMPTS = 3


class FetchWillBeRetried(Exception):
    """A transient fetch failure: the import stays pending and the task fetches again later."""


def create_url_price_list_import(*, partner: User, url: str, dry_run: bool = False) -> PriceListImport:
    """A pending import of the price list at `url`, to be fetched by the worker.

    Refuses at once (ValidationError) what can be told without the network: the scheme, the host's
    syntax, credentials in the URL, its length, and a host written as a non-public address.
    """
    if not partner.is_partner:
        raise ValidationError(_("Only partner accounts can import price lists."), code="not_partner")
    url = url.strip()
    limit = PriceListImport._meta.get_field("source_url").max_length
    if len(url) > limit:
        raise ValidationError(
            _("The URL is longer than %(limit)s characters.") % {"limit": limit}, code="url_invalid"
        )
    check_price_list_url(url)
    return PriceListImport.objects.create(
        partner=partner,
        source=PriceListImport.Source.URL,
        source_url=url,
        file_name=file_name_of(url),
        is_dry_run=dry_run,
    )


def fetch_price_list_into_import(*, price_list_import: PriceListImport) -> PriceListImport:
    """Fetch the file of a pending URL import and keep it on the record, ready to run.

    Returns the record: pending with its file, or failed with the refusal in its errors (path `url`).
    A transient failure raises FetchWillBeRetried while fetches remain, leaving the import pending.
    An import that has its file already, names no URL or is no longer pending is returned as it is.
    Two runs at once are harmless: only the first file kept counts, the other is deleted.
    """
    record = price_list_import
    if record.file or not record.source_url or record.status != PriceListImport.Status.PENDING:
        return record
    started_at = timezone.now()
    started = time.monotonic()
    try:
        fetched = fetch_price_list(record.source_url)
    except ValidationError as error:
        attempts = _count_attempt(record)
        if attempts is None:  # someone else finished it meanwhile
            return record
        if error.code in TRANSIENT_FETCH_CODES and attempts < FETCH_ATTEMPTS:
            raise FetchWillBeRetried(" ".join(error.messages)) from error
        return _fail(record, " ".join(error.messages), path="url", started_at=started_at, started=started)
    try:
        keep_price_list_file(price_list_import=record, content=fetched.content, file_name=fetched.file_name)
    except Exception as exc:
        # Storage or database trouble, not the partner's file: tried again like the import's own
        # unexpected errors, and failed once the import's attempts are spent. The partner is told what
        # happens, not the internals (those are in the log).
        logger.exception("could not keep the fetched file of import %s", record.pk)
        attempts = _count_attempt(record)
        if attempts is not None and attempts >= MAX_ATTEMPTS:
            _fail(
                record,
                _(
                    "an internal error (%(kind)s) kept the fetched file from being stored %(attempts)s "
                    "times; try again, and contact the store if it keeps failing"
                )
                % {"kind": type(exc).__name__, "attempts": attempts},
                path="",
                started_at=started_at,
                started=started,
            )
        raise
    kept = PriceListImport.objects.filter(
        pk=record.pk, status=PriceListImport.Status.PENDING, file=""
    ).update(
        file=record.file.name,
        file_name=record.file_name,
        file_size=record.file_size,
        file_sha256=record.file_sha256,
    )
    if not kept:
        record.file.storage.delete(record.file.name)
    record.refresh_from_db()
    return record


def _count_attempt(record: PriceListImport) -> int | None:
    """One more attempt on the pending import; its attempts now, or None when it is no longer pending."""
    counted = PriceListImport.objects.filter(pk=record.pk, status=PriceListImport.Status.PENDING).update(
        attempts=F("attempts") + 1
    )
    record.refresh_from_db(fields=["attempts", "status"])
    return record.attempts if counted else None


def _fail(record: PriceListImport, message: str, *, path: str, started_at, started: float) -> PriceListImport:
    PriceListImport.objects.filter(pk=record.pk, status=PriceListImport.Status.PENDING).update(
        status=PriceListImport.Status.FAILED,
        errors=[{"path": path, "message": message, "line": None}],
        started_at=started_at,
        finished_at=timezone.now(),
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    record.refresh_from_db()
    return record
