"""Writes of the partners app: price-list imports (parse → plan → apply), shop switches and exports."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import F, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import Category, Offer, PriceHistory, Product
from partners.models import PriceListImport, Shop
from partners.pricelist import Good, PriceList, PriceListError, PriceListInvalid, parse_price_list

logger = logging.getLogger(__name__)

# How many entries of the plan's list of changes are kept on the import record.
PLAN_CHANGES_LIMIT = 100
# A "running" import whose worker has not finished after this long is taken as dead and run again.
STALE_AFTER = timedelta(seconds=getattr(settings, "PRICE_LIST_IMPORT_STALE_SECONDS", 3600))
MAX_ATTEMPTS = 3


def _batch_size() -> int:
    # SQLite caps the number of query parameters; PostgreSQL takes large batches happily.
    return 2000 if connection.vendor == "postgresql" else 1000


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Creating and running imports -----------------------------------------------------------------


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
        name if name.endswith((".yaml", ".yml")) else f"{name}.yaml", ContentFile(content), save=False
    )


def run_price_list_import(
    *, price_list_import: PriceListImport, progress_every: int = 1000
) -> PriceListImport:
    """Parse, plan and (unless it is a dry run) apply one import; never raises for a bad file.

    Idempotent: a succeeded or failed import is returned as it is, and an import another worker is
    running is left alone. The claim is a conditional update, so two workers cannot both run it.

    Crash rule: the apply is one transaction, so a worker that dies mid-apply changes nothing in the
    catalog, but its record stays "running". A "running" record whose `started_at` is older than
    `STALE_AFTER` (the setting PRICE_LIST_IMPORT_STALE_SECONDS) is taken as failed and
    retryable: the next call claims it again and runs it from the start, up to MAX_ATTEMPTS attempts;
    after that it is marked failed. Unexpected errors (not a bad file: a database outage, say) put the
    record back to pending while attempts remain, then re-raise so a task queue can retry it.
    """
    record = price_list_import
    if not _claim(record):
        record.refresh_from_db()
        return record
    started = time.monotonic()
    progress = _ProgressWriter(record, every=progress_every)
    try:
        try:
            with record.file.open("rb") as stream:
                content = stream.read()
            price_list = parse_price_list(content)
            parsed = time.monotonic()
        except PriceListInvalid as exc:
            return _fail(record, exc.errors, started)
        record.shop_name = price_list.shop
        record.goods_total = len(price_list.goods)
        record.goods_processed = 0
        record.save(update_fields=["shop_name", "goods_total", "goods_processed"])
        try:
            with transaction.atomic():
                shop = _resolve_shop(
                    partner=record.partner, name=price_list.shop, create=not record.is_dry_run
                )
                plan = plan_import(shop=shop, price_list=price_list)
                planned = time.monotonic()
                if not record.is_dry_run:
                    apply_plan(plan, price_list_import=record, progress=progress)
                progress.close()
                plan.timings_ms = {
                    "parse": int((parsed - started) * 1000),
                    "plan": int((planned - parsed) * 1000),
                    "apply": int((time.monotonic() - planned) * 1000),
                }
                _succeed(record, plan, started)
        except ValidationError as exc:
            progress.close()
            errors = [PriceListError("shop", message, price_list.shop_line) for message in exc.messages]
            return _fail(record, errors, started)
    except Exception as exc:
        progress.close()
        record.refresh_from_db(fields=["attempts"])
        record.status = (
            PriceListImport.Status.PENDING
            if record.attempts < MAX_ATTEMPTS
            else PriceListImport.Status.FAILED
        )
        record.errors = [
            {"path": "", "message": _("internal error: %(error)s") % {"error": exc}, "line": None}
        ]
        if record.status == PriceListImport.Status.FAILED:
            record.finished_at = timezone.now()
        record.save(update_fields=["status", "errors", "finished_at"])
        raise
    return record


def prepare_previewed_import(*, preview: PriceListImport, actor: User) -> PriceListImport:
    """A pending import of a succeeded dry run's file, remembering what the preview saw.

    Run it with `run_price_list_import` (or queue it): the run plans against the shop's offers as they
    are then, and marks `plan["replanned"]` when they changed since the preview.
    """
    if not preview.is_dry_run or preview.status != PriceListImport.Status.SUCCEEDED:
        raise ValidationError(_("Only a succeeded preview (dry run) can be applied."), code="not_a_preview")
    if not (actor.is_manager or actor.pk == preview.partner_id):
        raise ValidationError(_("You cannot apply another partner's price list."), code="forbidden")
    with preview.file.open("rb") as stream:
        content = stream.read()
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


def apply_previewed_import(*, preview: PriceListImport, actor: User) -> PriceListImport:
    """Apply the file of a succeeded dry run now, as a new import; plan again if the shop changed since."""
    record = prepare_previewed_import(preview=preview, actor=actor)
    return run_price_list_import(price_list_import=record)


def _claim(record: PriceListImport) -> bool:
    """Mark the import running if it is pending, or running but stale; False if someone else has it."""
    now = timezone.now()
    claimable = Q(status=PriceListImport.Status.PENDING) | Q(
        status=PriceListImport.Status.RUNNING, started_at__lt=now - STALE_AFTER
    )
    stale_and_spent = PriceListImport.objects.filter(
        pk=record.pk,
        status=PriceListImport.Status.RUNNING,
        started_at__lt=now - STALE_AFTER,
        attempts__gte=MAX_ATTEMPTS,
    )
    if stale_and_spent.update(
        status=PriceListImport.Status.FAILED,
        finished_at=now,
        errors=[{"path": "", "message": _("the import was interrupted too many times"), "line": None}],
    ):
        return False
    claimed = PriceListImport.objects.filter(claimable, pk=record.pk).update(
        status=PriceListImport.Status.RUNNING, started_at=now, attempts=F("attempts") + 1, errors=[]
    )
    if claimed:
        record.refresh_from_db(fields=["status", "started_at", "attempts", "errors"])
    return bool(claimed)


def _fail(record: PriceListImport, errors: list[PriceListError], started: float) -> PriceListImport:
    record.status = PriceListImport.Status.FAILED
    record.errors = [error.as_dict() for error in errors]
    record.finished_at = timezone.now()
    record.duration_ms = int((time.monotonic() - started) * 1000)
    record.save(update_fields=["status", "errors", "finished_at", "duration_ms", "shop_name", "goods_total"])
    return record


def _succeed(record: PriceListImport, plan: ImportPlan, started: float) -> None:
    record.shop = plan.shop
    record.status = PriceListImport.Status.SUCCEEDED
    record.created_count = len(plan.creates)
    record.updated_count = len(plan.updates)
    record.unchanged_count = plan.unchanged
    record.retired_count = len(plan.retires)
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


class _ProgressWriter:
    """Writes goods_processed so other connections see it while the apply transaction is still open.

    On PostgreSQL, when the run started outside any transaction (so the import row is committed and not
    locked by us), progress goes through a second connection that commits each write. Otherwise (SQLite
    allows one writer; inside an outer transaction the row may be ours) it is written at phase ends only.
    """

    def __init__(self, record: PriceListImport, *, every: int):
        self.record = record
        self.every = max(1, every)
        self.last = 0
        self.side = None
        self.configured = False
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, processed: int) -> None:
        if self.side is None or (processed - self.last < self.every and processed < self.record.goods_total):
            return
        self.last = processed
        table = PriceListImport._meta.db_table
        try:
            with self.side.cursor() as cursor:
                if not self.configured:
                    # Never wait long on the row, and do not wait for a disk flush per write: a progress
                    # figure lost in a crash is harmless (the import itself is rolled back then).
                    cursor.execute("SET lock_timeout = '2s'")
                    cursor.execute("SET synchronous_commit = off")
                    self.configured = True
                cursor.execute(
                    f"UPDATE {table} SET goods_processed = %s WHERE id = %s", [processed, self.record.pk]
                )
        except DatabaseError:  # progress is a courtesy; never let it break the import
            logger.warning("could not write progress of import %s", self.record.pk, exc_info=True)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _resolve_shop(*, partner: User, name: str, create: bool) -> Shop | None:
    """The partner's shop called `name` (case-insensitively); refuse a shop of another partner."""
    shop = _find_shop(name)
    if shop is not None and shop.owner_id != partner.pk:
        raise ValidationError(
            _("The shop “%(name)s” belongs to another partner; choose another shop name.")
            % {"name": shop.name},
            code="shop_owned_by_another_partner",
        )
    if shop is None and create:
        try:
            with transaction.atomic():
                shop = Shop.objects.create(name=name, owner=partner)
        except IntegrityError:  # created meanwhile by a concurrent import: look again
            shop = _find_shop(name)
            if shop is None or shop.owner_id != partner.pk:
                return _resolve_shop(partner=partner, name=name, create=False)
    if shop is not None and create:
        # Imports into one shop take turns: each plans against the offers the previous one left.
        shop = Shop.objects.select_for_update().get(pk=shop.pk)
    return shop


def _find_shop(name: str) -> Shop | None:
    if connection.vendor == "postgresql":
        return Shop.objects.filter(name__iexact=name).first()
    # SQLite compares only ASCII letters case-insensitively; shops are few, so compare here.
    folded = name.casefold()
    exact = Shop.objects.filter(name=name).first()
    if exact is not None:
        return exact
    for shop in Shop.objects.only("id", "name", "owner_id").iterator():
        if shop.name.casefold() == folded:
            return shop
    return None


# --- Planning -------------------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What an import would do to one shop's offers; nothing is written while planning."""

    shop: Shop | None
    shop_name: str
    goods_total: int
    category_names: dict[str, str]  # partner category id → category name
    creates: list[Good] = field(default_factory=list)
    # (offer id, good, changed field names, old values of the changed fields)
    updates: list[tuple[int, Good, list[str], dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0
    retires: list[tuple[int, str, str, Decimal, int]] = field(default_factory=list)
    fingerprint: str = ""
    timings_ms: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        changes: list[dict[str, Any]] = []
        for good in self.creates[:PLAN_CHANGES_LIMIT]:
            changes.append(
                {
                    "action": "created",
                    "external_id": good.external_id,
                    "name": good.name,
                    "price": str(good.price),
                    "quantity": good.quantity,
                }
            )
        for _offer_id, good, fields, old in self.updates[: max(0, PLAN_CHANGES_LIMIT - len(changes))]:
            changes.append(
                {
                    "action": "updated",
                    "external_id": good.external_id,
                    "name": good.name,
                    "fields": fields,
                    "old_price": str(old["price"]),
                    "new_price": str(good.price),
                    "old_quantity": old["quantity"],
                    "new_quantity": good.quantity,
                }
            )
        for _offer_id, external_id, name, price, quantity in self.retires[
            : max(0, PLAN_CHANGES_LIMIT - len(changes))
        ]:
            changes.append(
                {
                    "action": "retired",
                    "external_id": external_id,
                    "name": name,
                    "old_price": str(price),
                    "new_price": str(price),
                    "old_quantity": quantity,
                    "new_quantity": 0,
                }
            )
        total_changes = len(self.creates) + len(self.updates) + len(self.retires)
        return {
            "shop": self.shop_name,
            "shop_id": self.shop.pk if self.shop else None,
            "goods_total": self.goods_total,
            "counts": {
                "created": len(self.creates),
                "updated": len(self.updates),
                "unchanged": self.unchanged,
                "retired": len(self.retires),
            },
            "price_changes": sum(1 for update in self.updates if "price" in update[2]),
            "changes": changes,
            "changes_truncated": total_changes > len(changes),
            "fingerprint": self.fingerprint,
            "replanned": False,
            # Where the time went (the commit comes after: duration_ms covers it).
            "timings_ms": self.timings_ms,
        }


def _same_parameters(old: Any, new: dict[str, Any]) -> bool:
    # 1 == True in Python, but `1` and `true` are different things a partner wrote.
    if old != new:
        return False
    return all(type(value) is type(old[key]) for key, value in new.items())


def plan_import(*, shop: Shop | None, price_list: PriceList) -> ImportPlan:
    """Diff the price list against the shop's current offers (one query)."""
    category_names = price_list.category_names()
    plan = ImportPlan(
        shop=shop, shop_name=price_list.shop, goods_total=len(price_list.goods), category_names=category_names
    )
    existing: dict[str, tuple] = {}
    digest = hashlib.sha256()
    if shop is not None and shop.pk is not None:
        # Parameters come as text and are decoded only for the offers the file names (not the retired).
        rows = (
            Offer.objects.filter(shop=shop)
            .annotate(parameters_text=Cast("parameters", TextField()))
            .values_list(
                "external_id",
                "id",
                "product__category__name",
                "product__name",
                "model",
                "price",
                "recommended_price",
                "quantity",
                "is_active",
                "parameters_text",
                "updated_at",
            )
        )
        for row in rows.order_by("id").iterator(chunk_size=5000):
            existing[row[0]] = row
            digest.update(f"{row[1]}|{row[5]}|{row[6]}|{row[7]}|{row[8]}|{row[10].isoformat()}\n".encode())
    plan.fingerprint = digest.hexdigest()
    creates = plan.creates
    updates = plan.updates
    unchanged = 0
    loads = json.loads
    for good in price_list.goods:
        old = existing.pop(good.external_id, None)
        if old is None:
            creates.append(good)
            continue
        changed: list[str] = []
        (_, offer_id, category, name, model, price, recommended_price, quantity, is_active, parameters, _) = (
            old
        )
        if name != good.name or category != category_names[good.category_id]:
            changed.append("product")
        if model != good.model:
            changed.append("model")
        if price != good.price:
            changed.append("price")
        if recommended_price != good.recommended_price:
            changed.append("recommended_price")
        if quantity != good.quantity:
            changed.append("quantity")
        if not is_active:
            changed.append("is_active")
        if not _same_parameters(loads(parameters), good.parameters):
            changed.append("parameters")
        if changed:
            updates.append(
                (
                    offer_id,
                    good,
                    changed,
                    {"price": price, "recommended_price": recommended_price, "quantity": quantity},
                )
            )
        else:
            unchanged += 1
    plan.unchanged = unchanged
    plan.retires = [(row[1], row[0], row[3], row[5], row[7]) for row in existing.values() if row[8]]
    plan.retires.sort()
    return plan


# --- Applying -------------------------------------------------------------------------------------


def apply_plan(plan: ImportPlan, *, price_list_import: PriceListImport | None = None, progress=None) -> None:
    """Write the plan with bulk statements; the caller holds the transaction."""
    if plan.shop is None:
        raise ValueError("a plan is applied to an existing shop")
    if not (plan.creates or plan.updates or plan.retires):
        return
    batch = _batch_size()
    now = timezone.now()
    report = progress or (lambda processed: None)
    goods_with_products = plan.creates + [
        good for _id, good, fields, _old in plan.updates if "product" in fields
    ]
    product_ids = _products_for(goods_with_products, plan.category_names, batch)
    processed = plan.unchanged
    report(processed)

    copy = _copier()
    # With COPY, a chunk is also the step of the progress shown to other connections.
    every = getattr(progress, "every", COPY_BATCH)
    for chunk in _chunks(plan.creates, max(COPY_MIN_CHUNK, min(COPY_BATCH, every)) if copy else batch):
        if copy:
            _copy_offers(copy, plan, chunk, product_ids, now)
            processed += len(chunk)
            report(processed)
            continue
        Offer.objects.bulk_create(
            [
                _offer_of(
                    good,
                    product_id=product_ids[(plan.category_names[good.category_id], good.name)],
                    now=now,
                    shop_id=plan.shop.pk,
                    external_id=good.external_id,
                    created_at=now,
                )
                for good in chunk
            ],
            batch_size=batch,
        )
        processed += len(chunk)
        report(processed)

    history: list[PriceHistory] = []
    for chunk in _chunks(plan.updates, batch):
        # One UPDATE per set of changed fields, so an offer only gets the fields that changed for it
        # (the sets are few: they do not grow with the number of goods).
        by_fields: dict[tuple[str, ...], list[Offer]] = {}
        for offer_id, good, changed, old in chunk:
            by_fields.setdefault((*sorted(changed), "updated_at"), []).append(
                _offer_of(
                    good,
                    # Only offers whose product changed have one here; the others keep theirs.
                    product_id=product_ids.get((plan.category_names[good.category_id], good.name)),
                    now=now,
                    id=offer_id,
                )
            )
            if "price" in changed or "recommended_price" in changed:
                history.append(
                    PriceHistory(
                        offer_id=offer_id,
                        old_price=old["price"],
                        new_price=good.price,
                        old_recommended_price=old["recommended_price"],
                        new_recommended_price=good.recommended_price,
                        price_list_import=price_list_import,
                        changed_at=now,
                    )
                )
        for fields, offers in sorted(by_fields.items()):
            Offer.objects.bulk_update(offers, fields, batch_size=batch)
        processed += len(chunk)
        report(processed)
    if history:
        PriceHistory.objects.bulk_create(history, batch_size=batch)

    for chunk in _chunks([retire[0] for retire in plan.retires], batch):
        Offer.objects.filter(pk__in=chunk).update(is_active=False, quantity=0, updated_at=now)


def _offer_of(good: Good, *, product_id: int | None, now, **identity: Any) -> Offer:
    """An unsaved offer carrying the good's values, active; `identity` names the row (id, or shop and id)."""
    return Offer(
        product_id=product_id,
        model=good.model,
        price=good.price,
        recommended_price=good.recommended_price,
        quantity=good.quantity,
        is_active=True,
        parameters=good.parameters,
        updated_at=now,
        **identity,
    )


# --- PostgreSQL COPY -------------------------------------------------------------------------------

# Rows per COPY statement: large enough to be fast, small enough to keep the buffer small.
COPY_BATCH = 10_000
# Smaller COPY statements cost more than they show: progress moves in steps of at least this many goods.
COPY_MIN_CHUNK = 5_000


def _copier():
    """The COPY function when the database is PostgreSQL through a driver with COPY, else None."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    # psycopg2 cursors have copy_expert; other drivers take the bulk_create path.
    return copy_rows if _has_copy_expert() else None


def _has_copy_expert() -> bool:
    raw = connection.connection.cursor()
    try:
        return hasattr(raw, "copy_expert")
    finally:
        raw.close()


def copy_rows(table: str, columns: tuple[str, ...], rows) -> None:
    """COPY the rows into the table in CSV form as one statement.

    Every string is quoted and None is left an unquoted empty field, which is how CSV COPY tells NULL
    from an empty string.
    """
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", _CsvStream(rows)
        )


class _CsvStream:
    """A file for COPY that writes CSV rows as the driver reads, so PostgreSQL stores one part of the
    rows while Python formats the next, and the whole text never sits in memory."""

    ROWS_PER_READ = 1000

    def __init__(self, rows):
        self.rows = iter(rows)
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n", quoting=csv.QUOTE_STRINGS)

    def read(self, size: int = -1) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerows(itertools.islice(self.rows, self.ROWS_PER_READ))
        return self.buffer.getvalue()

    def readline(self, size: int = -1) -> str:  # pragma: no cover - the driver reads in blocks
        return self.read(size)


def _copy_offers(copy, plan: ImportPlan, goods: list[Good], product_ids: dict, now) -> None:
    shop_id = plan.shop.pk
    names = plan.category_names
    stamp = now.isoformat()
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    columns = (
        "shop_id",
        "product_id",
        "external_id",
        "model",
        "price",
        "recommended_price",
        "quantity",
        "is_active",
        "parameters",
        "created_at",
        "updated_at",
    )
    rows = (
        (
            shop_id,
            product_ids[(names[good.category_id], good.name)],
            good.external_id,
            good.model,
            good.price,
            good.recommended_price,
            good.quantity,
            "t",
            dumps(good.parameters),
            stamp,
            stamp,
        )
        for good in goods
    )
    copy(Offer._meta.db_table, columns, rows)


def _products_by_copy(copy, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """Get-or-create the products in a few statements: COPY the pairs, insert the missing, read the ids."""
    table = f"import_products_{uuid.uuid4().hex}"
    product = Product._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {table} (category_id bigint, name varchar(255)) ON COMMIT DROP"
        )
        copy(table, ("category_id", "name"), wanted)
        # Sorted inserts take row locks in one order, so two imports cannot deadlock on the same products.
        cursor.execute(
            f"INSERT INTO {product} (category_id, name) SELECT category_id, name FROM {table} "
            "ORDER BY category_id, name ON CONFLICT DO NOTHING RETURNING category_id, name, id"
        )
        found = {(category_id, name): product_id for category_id, name, product_id in cursor.fetchall()}
        if len(found) < len(wanted):  # some products existed already: read their ids
            cursor.execute(
                f"SELECT p.category_id, p.name, p.id FROM {product} p JOIN {table} t "
                "ON p.category_id = t.category_id AND p.name = t.name"
            )
            found = {(category_id, name): product_id for category_id, name, product_id in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {table}")
    return found


def _products_for(
    goods: list[Good], category_names: dict[str, str], batch: int
) -> dict[tuple[str, str], int]:
    """(category name, product name) → product id for the goods, creating categories and products in bulk."""
    if not goods:
        return {}
    names = sorted({category_names[good.category_id] for good in goods})
    categories = dict(Category.objects.filter(name__in=names).values_list("name", "id"))
    missing = [name for name in names if name not in categories]
    if missing:
        Category.objects.bulk_create([Category(name=name) for name in missing], ignore_conflicts=True)
        categories.update(Category.objects.filter(name__in=missing).values_list("name", "id"))
    wanted = {(categories[category_names[good.category_id]], good.name) for good in goods}
    copy = _copier()
    if copy:
        found = _products_by_copy(copy, wanted)
        missing_products = []
    else:
        found = _find_products(wanted, batch)
        missing_products = sorted(wanted.difference(found))
    if missing_products:
        Product.objects.bulk_create(
            [Product(category_id=category_id, name=name) for category_id, name in missing_products],
            batch_size=batch,
            ignore_conflicts=True,
        )
        found.update(_find_products(set(missing_products), batch))
    by_name = {category_id: name for name, category_id in categories.items()}
    return {(by_name[category_id], name): product_id for (category_id, name), product_id in found.items()}


def _find_products(wanted: set[tuple[int, str]], batch: int) -> dict[tuple[int, str], int]:
    found: dict[tuple[int, str], int] = {}
    category_ids = sorted({category_id for category_id, _name in wanted})
    names = sorted({name for _category_id, name in wanted})
    for chunk in _chunks(names, batch):
        rows = Product.objects.filter(category_id__in=category_ids, name__in=chunk).values_list(
            "category_id", "name", "id"
        )
        for category_id, name, product_id in rows:
            if (category_id, name) in wanted:
                found[(category_id, name)] = product_id
    return found


# --- Shops ----------------------------------------------------------------------------------------


def set_shop_accepting_orders(*, shop: Shop, is_accepting_orders: bool) -> Shop:
    """Open or close a shop for new orders."""
    shop.is_accepting_orders = is_accepting_orders
    shop.save(update_fields=["is_accepting_orders"])
    return shop


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _yaml_parameter(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return _yaml_string(value)
    return _yaml_string(json.dumps(value, ensure_ascii=False))


def export_price_list(*, shop: Shop) -> bytes:
    """The shop's active offers as a price list in the import format; importing it changes nothing."""
    offers = (
        Offer.objects.filter(shop=shop, is_active=True).select_related("product__category").order_by("id")
    )
    rows = list(offers)
    categories = sorted({(offer.product.category_id, offer.product.category.name) for offer in rows})
    lines = [f"shop: {_yaml_string(shop.name)}", "categories:" if categories else "categories: []"]
    for category_id, name in categories:
        lines += [f"  - id: {category_id}", f"    name: {_yaml_string(name)}"]
    lines.append("goods:" if rows else "goods: []")
    for offer in rows:
        lines += [
            f"  - id: {_yaml_string(offer.external_id)}",
            f"    category: {offer.product.category_id}",
            f"    model: {_yaml_string(offer.model)}",
            f"    name: {_yaml_string(offer.product.name)}",
            f"    price: {offer.price}",
        ]
        if offer.recommended_price is not None:
            lines.append(f"    price_rrc: {offer.recommended_price}")
        lines.append(f"    quantity: {offer.quantity}")
        if offer.parameters:
            lines.append("    parameters:")
            lines += [
                f"      {_yaml_string(str(name))}: {_yaml_parameter(value)}"
                for name, value in offer.parameters.items()
            ]
    return ("\n".join(lines) + "\n").encode("utf-8")
