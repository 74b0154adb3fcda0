"""Applying: write a planned import into the catalog in short batches that never stall customers.

Customers' orders lock offers too, so the apply holds offer locks only briefly:

- new offers are inserted in windows of the file (inserts lock nothing customers wait for);
- changed offers are updated in batches of `UPDATE_BATCH`, each its own transaction that first locks
  its rows in primary-key order (`FOR NO KEY UPDATE`, the order `confirm_order` uses, so the two
  cannot deadlock), writes the price history and updates the rows, then commits;
- offers the file no longer lists are retired the same way.

The quantity written is the stock rule's (README, "Stock rule"): the reported quantity less the
units in orders the partner has not acknowledged, read under the row lock, so an order placed while
the import runs is never sold again. Each statement is set-based over the staged rows; Python only
carries offer ids.

An apply interrupted between batches leaves the catalog partly updated; the import is then run again
from its kept file (the workflow's crash rule), which finishes it, or a newer upload supersedes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from catalog.models import Category
from partners.importing import sql
from partners.importing.plan import ImportPlan
from partners.models import StagedCategory

logger = logging.getLogger(__name__)

# Offers updated per transaction: a batch holds its row locks for tens of milliseconds.
UPDATE_BATCH = 2000
# New offers inserted per statement (the step of the progress shown meanwhile).
CREATE_WINDOW = 10_000
# How long a batch waits for a row a customer's transaction holds, and how often it tries again.
LOCK_TIMEOUT = "5s"
LOCK_ATTEMPTS = 5
LOCK_NOT_AVAILABLE = "55P03"
# An apply that changes at least this many offers refreshes the planner's statistics afterwards.
ANALYZE_AFTER_CHANGES = 5000


def apply_plan(*, plan: ImportPlan, import_id: int, progress: Callable[[int], None] | None = None) -> None:
    """Write the plan of import `import_id` (its staged rows) into the plan's shop."""
    if plan.shop is None:
        raise ValueError("a plan is applied to an existing shop")
    report = progress or (lambda processed: None)
    processed = plan.counts.unchanged
    if not plan.has_changes:
        return
    params = {
        "import": import_id,
        "shop": plan.shop.pk,
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
    }
    if plan.counts.created or plan.counts.updated:
        _resolve_products(import_id)
    if plan.counts.created:
        for created in _insert_created(params, goods_total=plan.goods_total):
            processed += created
            report(processed)
    if plan.counts.updated:
        for updated in _update_changed(params):
            processed += updated
            report(processed)
    if plan.counts.retired:
        _retire_missing(params)
    if plan.counts.created + plan.counts.updated + plan.counts.retired >= ANALYZE_AFTER_CHANGES:
        refresh_statistics()


def refresh_statistics() -> None:
    """Let the planner see the offers and products as they are now.

    Autovacuum analyses a table only minutes after it changed a lot; meanwhile the planner works from
    the old figures (a shop of 0 offers that now has 200,000) and picks plans that are slow by orders of
    magnitude, for the next import and for the product listing alike. ANALYZE samples a fixed number
    of rows, so it costs well under a second however large the tables are.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {sql.OFFER}, {sql.PRODUCT}")


def _resolve_products(import_id: int) -> None:
    """Create the categories and products the staged goods name and note each category's id."""
    staged = list(StagedCategory.objects.filter(price_list_import_id=import_id).order_by("external_id"))
    names = sorted({category.name for category in staged})
    Category.objects.bulk_create([Category(name=name) for name in names], ignore_conflicts=True)
    ids = dict(Category.objects.filter(name__in=names).values_list("name", "id"))
    for category in staged:
        category.category_id = ids[category.name]
    StagedCategory.objects.bulk_update(staged, ["category"], batch_size=1000)
    # Sorted inserts take their locks in one order, so two imports cannot deadlock on new products.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {sql.PRODUCT} (category_id, name)
            SELECT DISTINCT sc.category_id, s.product_name
            FROM {sql.STAGED} s
            JOIN {sql.STAGED_CATEGORY} sc
              ON sc.price_list_import_id = %(import)s AND sc.external_id = s.category_external_id
            WHERE s.price_list_import_id = %(import)s
              AND NOT EXISTS (
                SELECT 1 FROM {sql.PRODUCT} p WHERE p.category_id = sc.category_id AND p.name = s.product_name
              )
            ORDER BY 1, 2
            ON CONFLICT DO NOTHING
            """,
            {"import": import_id},
        )


# The staged good's category and product, resolved by `_resolve_products`.
_RESOLVED = f"""
    JOIN {sql.STAGED_CATEGORY} sc
      ON sc.price_list_import_id = %(import)s AND sc.external_id = s.category_external_id
    JOIN {sql.PRODUCT} np ON np.category_id = sc.category_id AND np.name = s.product_name
"""


def _insert_created(params: dict, *, goods_total: int) -> Iterator[int]:
    for after in range(0, goods_total, CREATE_WINDOW):
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {sql.OFFER} (shop_id, product_id, external_id, model, price, recommended_price,
                                         quantity, reserved_quantity, is_active, parameters, created_at, updated_at)
                SELECT %(shop)s, np.id, s.external_id, s.model, s.price, s.recommended_price,
                       s.quantity, 0, TRUE, s.parameters, %(now)s, %(now)s
                FROM {sql.STAGED} s {_RESOLVED}
                WHERE s.price_list_import_id = %(import)s AND s.position > %(after)s AND s.position <= %(upto)s
                  AND NOT EXISTS (
                    SELECT 1 FROM {sql.OFFER} o WHERE o.shop_id = %(shop)s AND o.external_id = s.external_id
                  )
                ORDER BY s.position
                """,
                {**params, "after": after, "upto": after + CREATE_WINDOW},
            )
            yield cursor.rowcount
        if after == 0 and goods_total > CREATE_WINDOW:
            # The planner still believes the shop has the offers it had before this import (none, for
            # a new shop): the next window's NOT EXISTS would then scan the shop's offers once per
            # staged good, and a 50,000-goods first import took minutes instead of seconds.
            refresh_statistics()


def _ids(query: str, params: dict) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [row[0] for row in cursor.fetchall()]


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), UPDATE_BATCH):
        yield ids[start : start + UPDATE_BATCH]


def _id_list(ids: list[int]) -> str:
    # Offer ids read back from the database, written into the statement as integers.
    return ", ".join(str(int(offer_id)) for offer_id in ids)


def _update_changed(params: dict) -> Iterator[int]:
    d = sql.dialect()
    ids = _ids(f"SELECT o.id {sql.MATCHED} AND {sql.any_change(d)} ORDER BY o.id", params)
    for batch in _batches(ids):
        id_list = _id_list(batch)
        history = f"""
            INSERT INTO {sql.HISTORY} (offer_id, old_price, new_price, old_recommended_price,
                                       new_recommended_price, changed_at, price_list_import_id)
            SELECT o.id, o.price, s.price, o.recommended_price, s.recommended_price, %(now)s, %(import)s
            FROM {sql.OFFER} o
            JOIN {sql.STAGED} s ON s.price_list_import_id = %(import)s AND s.external_id = o.external_id
            WHERE o.id IN ({id_list}) AND o.shop_id = %(shop)s
              AND (o.price <> s.price OR o.recommended_price {d.distinct} s.recommended_price)
            ORDER BY o.id
        """
        update = f"""
            UPDATE {sql.OFFER} AS o
            SET product_id = np.id, model = s.model, price = s.price, recommended_price = s.recommended_price,
                quantity = {sql.target_quantity(d)}, is_active = TRUE, parameters = s.parameters,
                updated_at = %(now)s
            FROM {sql.STAGED} s {_RESOLVED}
            WHERE o.id IN ({id_list}) AND o.shop_id = %(shop)s
              AND s.price_list_import_id = %(import)s AND s.external_id = o.external_id
        """
        _locked_batch(batch, [(history, params), (update, params)])
        yield len(batch)


def _retire_missing(params: dict) -> None:
    ids = _ids(f"SELECT o.id {sql.RETIRED} ORDER BY o.id", params)
    for batch in _batches(ids):
        retire = (
            f"UPDATE {sql.OFFER} SET is_active = FALSE, quantity = 0, updated_at = %(now)s "
            f"WHERE id IN ({_id_list(batch)}) AND is_active"
        )
        _locked_batch(batch, [(retire, params)])


def _locked_batch(batch: list[int], statements: list[tuple[str, dict]]) -> None:
    """Run the statements in one transaction holding the batch's rows, locked in primary-key order.

    A row held by a customer's transaction longer than LOCK_TIMEOUT makes the batch step back and try
    again a little later, rather than queueing behind it while holding the rest of the batch.
    """
    d = sql.dialect()
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if d is sql.POSTGRESQL:
                    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                    cursor.execute(
                        f"SELECT id FROM {sql.OFFER} WHERE id IN ({_id_list(batch)}) ORDER BY id{d.lock_rows}"
                    )
                for statement, params in statements:
                    cursor.execute(statement, params)
            return
        except OperationalError as error:
            if getattr(error.__cause__, "pgcode", None) != LOCK_NOT_AVAILABLE or attempt == LOCK_ATTEMPTS:
                raise
            logger.warning("offers busy; batch of %d retried (attempt %d)", len(batch), attempt)
            time.sleep(0.2 * 2**attempt)
