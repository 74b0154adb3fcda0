"""Staging: stream a price list's goods from its file into `StagedOffer` rows, in batches.

The parser hands over one valid good at a time; they are written in batches (PostgreSQL `COPY`,
elsewhere bulk inserts), so memory stays flat whatever the size of the file. A file with any problem
leaves no rows behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import BinaryIO

from django.db import connection

from partners.importing.pg_copy import copy_available, copy_rows
from partners.models import PriceListImport, StagedCategory, StagedOffer
from partners.pricelist import Good, PriceListHeader, PriceListInvalid, read_price_list

# Goods written per statement: large enough to be fast, small enough to keep the buffer small.
STAGE_BATCH = 5000

_COLUMNS = (
    "price_list_import_id",
    "position",
    "line",
    "external_id",
    "category_external_id",
    "product_name",
    "model",
    "price",
    "recommended_price",
    "quantity",
    "parameters",
)


class _StagingWriter:
    def __init__(self, record: PriceListImport, *, on_count: Callable[[int], None] | None) -> None:
        self.record = record
        self.buffer: list[Good] = []
        self.count = 0
        self.on_count = on_count
        self.copy = copy_available()
        self.dumps = json.JSONEncoder(ensure_ascii=False).encode

    def add(self, good: Good) -> None:
        self.buffer.append(good)
        if len(self.buffer) >= STAGE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        first = self.count + 1
        if self.copy:
            import_id = self.record.pk
            dumps = self.dumps
            rows = (
                (
                    import_id,
                    position,
                    good.line,
                    good.external_id,
                    good.category_id,
                    good.name,
                    good.model,
                    good.price,
                    good.recommended_price,
                    good.quantity,
                    dumps(good.parameters),
                )
                for position, good in enumerate(self.buffer, first)
            )
            copy_rows(StagedOffer._meta.db_table, _COLUMNS, rows)
        else:
            StagedOffer.objects.bulk_create(
                [
                    StagedOffer(
                        price_list_import=self.record,
                        position=position,
                        line=good.line,
                        external_id=good.external_id,
                        category_external_id=good.category_id,
                        product_name=good.name,
                        model=good.model,
                        price=good.price,
                        recommended_price=good.recommended_price,
                        quantity=good.quantity,
                        parameters=good.parameters,
                    )
                    for position, good in enumerate(self.buffer, first)
                ],
                batch_size=1000,
            )
        self.count += len(self.buffer)
        self.buffer.clear()
        if self.on_count:
            self.on_count(self.count)

    def restart(self) -> None:
        self.buffer.clear()
        self.count = 0
        clear_staging(import_id=self.record.pk)


def stage_price_list(
    *,
    price_list_import: PriceListImport,
    stream: BinaryIO,
    on_count: Callable[[int], None] | None = None,
) -> tuple[PriceListHeader, int]:
    """Parse the file into staged rows; returns the header and the number of goods.

    Raises PriceListInvalid (with every problem) after removing whatever was staged.
    """
    if price_list_import.attempts > 1:  # an earlier attempt may have left rows behind
        clear_staging(import_id=price_list_import.pk)
    writer = _StagingWriter(price_list_import, on_count=on_count)
    try:
        header = read_price_list(stream, on_good=writer.add, on_restart=writer.restart)
        writer.flush()
    except PriceListInvalid:
        clear_staging(import_id=price_list_import.pk)
        raise
    if connection.vendor == "postgresql":
        # Fresh rows have no statistics: without them the planner guesses a few dozen staged goods and
        # joins them with the offers the slow way round.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {StagedOffer._meta.db_table}")
    StagedCategory.objects.bulk_create(
        [
            StagedCategory(
                price_list_import=price_list_import, external_id=category.external_id, name=category.name
            )
            for category in header.categories
        ],
        batch_size=1000,
    )
    return header, writer.count


def clear_staging(*, import_id: int) -> None:
    """Remove an import's scratch rows (before a run, after it ends, or left by a dead worker)."""
    # Nothing refers to these rows, so each delete is one statement.
    StagedOffer.objects.filter(price_list_import_id=import_id).delete()
    StagedCategory.objects.filter(price_list_import_id=import_id).delete()
