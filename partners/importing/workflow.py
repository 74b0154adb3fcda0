"""The import workflow: keep an upload, run it (stage → plan → apply) exactly once, and the crash rule.

An import of one shop at a time: the apply of a shop runs under a lock on that shop, and the newest
upload wins: an import that finds a newer upload of its shop already applied is marked `superseded`
(with a link to it) and changes nothing.

Crash rule: a worker that dies leaves its record `running`. A `running` record whose `started_at` is
older than `STALE_AFTER` (the setting PRICE_LIST_IMPORT_STALE_SECONDS) is taken as interrupted: the
next call claims it again and runs it from its kept file, up to MAX_ATTEMPTS attempts; after that it
is marked failed. Applying is idempotent (it writes the file's values), so a run interrupted mid-apply
is finished by the next one. Unexpected errors (not a bad file: a database outage, say) put the record
back to pending while attempts remain, then re-raise so a task queue can retry it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import Shop
from catalog.services import create_shop, find_shop_by_name
from catalog.shop_names import clean_shop_name
from config.storage import unique_name
from partners.importing.apply import apply_plan
from partners.importing.plan import ImportPlan, plan_import
from partners.importing.progress import Progress
from partners.importing.staging import clear_staging, stage_price_list
from partners.models import PriceListImport
from partners.pricelist import PriceListError, PriceListInvalid

logger = logging.getLogger(__name__)

# A "running" import whose worker has not finished after this long is taken as dead and run again.
STALE_AFTER = timedelta(seconds=getattr(settings, "PRICE_LIST_IMPORT_STALE_SECONDS", 3600))
MAX_ATTEMPTS = 3
# The first key of the PostgreSQL advisory locks that let one import at a time apply to a shop.
SHOP_LOCK_NAMESPACE = 0x50524C  # "PRL"

Status = PriceListImport.Status


# --- Creating imports -----------------------------------------------------------------------------


def create_price_list_import(
    *,
    partner: User,
    content: bytes,
    file_name: str,
    source: str,
    source_url: str = "",
    dry_run: bool = False,
) -> PriceListImport:
    """Keep the uploaded file as a pending import of `partner` (a partner user)."""
    if not partner.is_partner:
        raise ValidationError(_("Only partner accounts can import price lists."), code="not_partner")
    if source not in PriceListImport.Source.values:
        raise ValidationError(_("Unknown import source %(source)s.") % {"source": source}, code="invalid")
    record = PriceListImport(partner=partner, source=source, source_url=source_url, is_dry_run=dry_run)
    keep_price_list_file(price_list_import=record, content=content, file_name=file_name)
    record.save()
    return record


def keep_price_list_file(*, price_list_import: PriceListImport, content: bytes, file_name: str) -> None:
    """Store `content` as the import's file and fill in its name, size and digest; the caller saves
    the record (the file itself is written to storage here)."""
    limit = settings.PRICE_LIST_MAX_BYTES
    if len(content) > limit:
        raise ValidationError(
            _("The file is %(size)s bytes, more than the limit of %(limit)s bytes.")
            % {"size": len(content), "limit": limit},
            code="too_large",
        )
    # The name comes from the client or a URL path (where %00 and %0A decode to control characters,
    # which PostgreSQL text refuses): keep the printable characters of its last part.
    name = "".join(char for char in PurePath(file_name.replace("\\", "/")).name if char.isprintable())
    name = name[:255] or "price-list.yaml"
    record = price_list_import
    record.file_name = name
    record.file_size = len(content)
    record.file_sha256 = hashlib.sha256(content).hexdigest()
    record.file.save(
        unique_name(name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"),
        ContentFile(content),
        save=False,
    )


def prepare_previewed_import(*, preview: PriceListImport, actor: User) -> PriceListImport:
    """A pending import of a succeeded dry run's file, remembering what the preview saw.

    Run it with `run_price_list_import` (or queue it): the run plans against the shop's offers as they
    are then, and marks `plan["replanned"]` when they changed since the preview. Its place among the
    shop's uploads (which one is newest) is the moment it is applied.
    """
    if not preview.is_dry_run or preview.status != Status.SUCCEEDED:
        raise ValidationError(_("Only a succeeded preview (dry run) can be applied."), code="not_a_preview")
    if not (actor.is_manager or actor.pk == preview.partner_id):
        raise ValidationError(_("You cannot apply another partner's price list."), code="forbidden")
    expired = ValidationError(
        _("The file of this preview was deleted after the retention period; upload it again."),
        code="file_expired",
    )
    if not preview.file:
        raise expired
    try:
        with preview.file.open("rb") as stream:
            content = stream.read()
    except FileNotFoundError:
        raise expired from None
    record = create_price_list_import(
        partner=preview.partner,
        content=content,
        file_name=preview.file_name,
        source=preview.source,
        source_url=preview.source_url,
    )
    record.plan = {"previewed_fingerprint": preview.plan.get("fingerprint")}
    record.save(update_fields=["plan"])
    return record


# --- Running imports ------------------------------------------------------------------------------


def run_price_list_import(
    *, price_list_import: PriceListImport, progress_every: int = 5000
) -> PriceListImport:
    """Parse, plan and (unless it is a dry run) apply one import; never raises for a bad file.

    Idempotent: a finished import is returned as it is, and an import another worker is running is
    left alone. The claim is a conditional update, so two workers cannot both run it.
    """
    record = price_list_import
    if not _claim(record):
        record.refresh_from_db()
        return record
    started = time.monotonic()
    try:
        with _import_session():
            return _run(record, started=started, progress=Progress(record, every=progress_every))
    except Exception as exc:
        logger.exception("price-list import %s failed with an internal error", record.pk)
        _interrupted(record, exc)
        raise
    finally:
        try:
            clear_staging(import_id=record.pk)
        except DatabaseError:  # the database is gone; the next run or the beat sweep clears them
            logger.warning("could not clear the staged rows of import %s", record.pk, exc_info=True)


def _run(record: PriceListImport, *, started: float, progress: Progress) -> PriceListImport:
    try:
        with record.file.open("rb") as stream:
            header, goods_total = stage_price_list(price_list_import=record, stream=stream)
    except PriceListInvalid as exc:
        return _fail(record, exc.errors, started)
    parsed = time.monotonic()
    record.shop_name = header.shop
    record.goods_total = goods_total
    record.goods_processed = 0
    record.save(update_fields=["shop_name", "goods_total", "goods_processed"])
    try:
        shop, shop_is_new = _resolve_shop(
            partner=record.partner, name=header.shop, create=not record.is_dry_run
        )
    except ValidationError as exc:
        return _fail(
            record, [PriceListError("shop", message, header.shop_line) for message in exc.messages], started
        )

    if record.is_dry_run:
        plan = plan_import(shop=shop, import_id=record.pk, shop_name=header.shop, goods_total=goods_total)
        plan.timings_ms = _timings(started, parsed, time.monotonic())
        _succeed(record, plan, started)
        return record

    record.shop = shop
    record.save(update_fields=["shop"])
    with shop_import_lock(shop):
        newer = _newer_applied_import(record)
        if newer is not None:
            return _supersede(record, newer, started)
        plan = plan_import(
            shop=shop,
            import_id=record.pk,
            shop_name=header.shop,
            goods_total=goods_total,
            shop_is_new=shop_is_new,
        )
        planned = time.monotonic()
        apply_plan(plan=plan, import_id=record.pk, progress=progress)
        plan.timings_ms = _timings(started, parsed, planned)
        _succeed(record, plan, started)
    return record


def _timings(started: float, parsed: float, planned: float) -> dict[str, int]:
    return {
        "parse": int((parsed - started) * 1000),
        "plan": int((planned - parsed) * 1000),
        "apply": int((time.monotonic() - planned) * 1000),
    }


@contextlib.contextmanager
def _import_session() -> Iterator[None]:
    """Lift the web requests' statement and lock timeouts for an import run inside a request.

    Those timeouts keep one slow writer from stalling the site; an import bounds its own waits
    (each batch sets its lock timeout) and may legitimately run long statements.
    """
    if not settings.DB_WEB_TIMEOUTS:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("SET lock_timeout = 0")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")
                cursor.execute("RESET lock_timeout")
        except DatabaseError:
            logger.warning("could not restore the session timeouts after an import", exc_info=True)


@contextlib.contextmanager
def shop_import_lock(shop: Shop) -> Iterator[None]:
    """One import at a time applies to a shop; the others wait here in turn.

    A session-level advisory lock on PostgreSQL (held across the apply's batch transactions, released
    by the database if the worker dies); SQLite has a single writer anyway.
    """
    if connection.vendor != "postgresql":
        yield
        return
    key = (SHOP_LOCK_NAMESPACE, shop.pk % 2**31)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", key)
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        except DatabaseError:  # the connection is gone, and the lock with it
            logger.warning("could not release the import lock of shop %s", shop.pk, exc_info=True)


def _newer_applied_import(record: PriceListImport) -> PriceListImport | None:
    """The newest upload of the same shop already applied, if it came after this one."""
    return (
        PriceListImport.objects.filter(
            shop_id=record.shop_id, is_dry_run=False, status=Status.SUCCEEDED, pk__gt=record.pk
        )
        .order_by("-pk")
        .first()
    )


def _claim(record: PriceListImport) -> bool:
    """Mark the import running if it is pending, or running but stale; False if someone else has it."""
    now = timezone.now()
    claimable = Q(status=Status.PENDING) | Q(status=Status.RUNNING, started_at__lt=now - STALE_AFTER)
    stale_and_spent = PriceListImport.objects.filter(
        pk=record.pk, status=Status.RUNNING, started_at__lt=now - STALE_AFTER, attempts__gte=MAX_ATTEMPTS
    )
    if stale_and_spent.update(
        status=Status.FAILED,
        finished_at=now,
        errors=[{"path": "", "message": _("the import was interrupted too many times"), "line": None}],
    ):
        return False
    claimed = PriceListImport.objects.filter(claimable, pk=record.pk).update(
        status=Status.RUNNING, started_at=now, attempts=F("attempts") + 1, errors=[]
    )
    if claimed:
        record.refresh_from_db(fields=["status", "started_at", "attempts", "errors"])
    return bool(claimed)


def _interrupted(record: PriceListImport, exc: BaseException) -> None:
    """An unexpected error: back to pending while attempts remain, else failed. The partner sees what
    happens next, not the internals (those are in the log)."""
    try:
        record.refresh_from_db(fields=["attempts"])
        retry = record.attempts < MAX_ATTEMPTS
        record.status = Status.PENDING if retry else Status.FAILED
        message = (
            _("an internal error (%(kind)s) interrupted the import; it is tried again automatically")
            if retry
            else _(
                "an internal error (%(kind)s) interrupted the import %(attempts)s times; upload the "
                "file again, and contact the store if it keeps failing"
            )
        )
        record.errors = [
            {
                "path": "",
                "message": message % {"kind": type(exc).__name__, "attempts": record.attempts},
                "line": None,
            }
        ]
        record.finished_at = None if retry else timezone.now()
        record.save(update_fields=["status", "errors", "finished_at"])
    except DatabaseError:  # the database is down: the stale rule takes the record over later
        logger.warning("could not record the interruption of import %s", record.pk, exc_info=True)


def _fail(record: PriceListImport, errors: list[PriceListError], started: float) -> PriceListImport:
    record.status = Status.FAILED
    record.errors = [error.as_dict() for error in errors]
    record.finished_at = timezone.now()
    record.duration_ms = int((time.monotonic() - started) * 1000)
    record.save(update_fields=["status", "errors", "finished_at", "duration_ms", "shop_name", "goods_total"])
    return record


def _supersede(record: PriceListImport, newer: PriceListImport, started: float) -> PriceListImport:
    record.status = Status.SUPERSEDED
    record.superseded_by = newer
    record.errors = []
    record.finished_at = timezone.now()
    record.duration_ms = int((time.monotonic() - started) * 1000)
    record.save(update_fields=["status", "superseded_by", "errors", "finished_at", "duration_ms"])
    logger.info("price-list import %s superseded by the newer import %s", record.pk, newer.pk)
    return record


def _succeed(record: PriceListImport, plan: ImportPlan, started: float) -> None:
    record.shop = plan.shop
    record.status = Status.SUCCEEDED
    record.created_count = plan.counts.created
    record.updated_count = plan.counts.updated
    record.unchanged_count = plan.counts.unchanged
    record.retired_count = plan.counts.retired
    record.goods_processed = record.goods_total
    previewed_fingerprint = (record.plan or {}).get("previewed_fingerprint")
    record.plan = plan.summary()
    if previewed_fingerprint:
        record.plan["previewed_fingerprint"] = previewed_fingerprint
        record.plan["replanned"] = previewed_fingerprint != record.plan["fingerprint"]
    record.errors = []
    record.finished_at = timezone.now()
    record.duration_ms = int((time.monotonic() - started) * 1000)
    record.save(
        update_fields=[
            "shop",
            "status",
            "created_count",
            "updated_count",
            "unchanged_count",
            "retired_count",
            "goods_processed",
            "plan",
            "errors",
            "finished_at",
            "duration_ms",
        ]
    )
    if not record.is_dry_run and plan.shop is not None:
        # Older uploads of this shop still waiting to run will never be applied after this one.
        PriceListImport.objects.filter(
            shop=plan.shop, is_dry_run=False, status=Status.PENDING, pk__lt=record.pk
        ).update(status=Status.SUPERSEDED, superseded_by=record, finished_at=record.finished_at)


# --- Shops ----------------------------------------------------------------------------------------


def _resolve_shop(*, partner: User, name: str, create: bool) -> tuple[Shop | None, bool]:
    """The partner's shop whose name reads the same as `name`, and whether it was created just now;
    refuse a shop of another partner.

    The name is cleaned first (invisible characters are refused); a missing shop is created through
    `create_shop` when `create` is set.
    """
    name = clean_shop_name(name)
    shop = find_shop_by_name(name=name)
    created = False
    if shop is None and create:
        try:
            shop, created = create_shop(owner=partner, name=name), True
        except ValidationError as error:
            if error.code != "shop_name_taken":
                raise
            # Created meanwhile by a concurrent import: its owner decides below.
            shop = find_shop_by_name(name=name)
            if shop is None:
                raise
    if shop is not None and shop.owner_id != partner.pk:
        raise ValidationError(
            _("The shop “%(name)s” belongs to another partner; choose another shop name.")
            % {"name": shop.name},
            code="shop_owned_by_another_partner",
        )
    return shop, created
