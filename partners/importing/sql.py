"""The statements that join an import's staged goods with its shop's offers, for planning and applying.

Written once for PostgreSQL and SQLite: the few spellings that differ come from `Dialect`. Each
statement is set-based (the database does the diff), so neither the planner nor the applier holds a
file's goods in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from catalog.models import Category, Offer, Product
from partners.models import PriceHistory, StagedCategory, StagedOffer

OFFER = Offer._meta.db_table
PRODUCT = Product._meta.db_table
CATEGORY = Category._meta.db_table
HISTORY = PriceHistory._meta.db_table
STAGED = StagedOffer._meta.db_table
STAGED_CATEGORY = StagedCategory._meta.db_table


@dataclass(frozen=True)
class Dialect:
    greatest: str  # the two-argument maximum
    distinct: str  # NULL-aware "differs"
    json_text: str  # a JSON column as comparable text; `{}` is the column
    lock_rows: str  # appended to a SELECT to lock its rows for an update of non-key columns


POSTGRESQL = Dialect(
    greatest="GREATEST", distinct="IS DISTINCT FROM", json_text="{}::text", lock_rows=" FOR NO KEY UPDATE"
)
SQLITE = Dialect(greatest="MAX", distinct="IS NOT", json_text="{}", lock_rows="")


def dialect() -> Dialect:
    return POSTGRESQL if connection.vendor == "postgresql" else SQLITE


def target_quantity(d: Dialect) -> str:
    """The stock rule: the reported quantity less the units the partner has not acknowledged yet."""
    return f"{d.greatest}(s.quantity - o.reserved_quantity, 0)"


# Staged goods joined with the offers they update, and with the names the offers' products have now.
MATCHED = f"""
    FROM {OFFER} o
    JOIN {STAGED} s ON s.price_list_import_id = %(import)s AND s.external_id = o.external_id
    JOIN {STAGED_CATEGORY} sc ON sc.price_list_import_id = %(import)s AND sc.external_id = s.category_external_id
    JOIN {PRODUCT} p ON p.id = o.product_id
    JOIN {CATEGORY} c ON c.id = p.category_id
    WHERE o.shop_id = %(shop)s
"""


def changed_fields(d: Dialect) -> dict[str, str]:
    """Field name → the condition under which an import changes it (on the `MATCHED` join)."""
    return {
        "product": "(p.name <> s.product_name OR c.name <> sc.name)",
        "model": "o.model <> s.model",
        "price": "o.price <> s.price",
        "recommended_price": f"o.recommended_price {d.distinct} s.recommended_price",
        "quantity": f"o.quantity <> {target_quantity(d)}",
        "is_active": "NOT o.is_active",
        "parameters": f"{d.json_text.format('o.parameters')} <> {d.json_text.format('s.parameters')}",
    }


def any_change(d: Dialect) -> str:
    return "(" + " OR ".join(changed_fields(d).values()) + ")"


# Active offers of the shop that the file no longer lists (RETIRED_NAMED: with their products).
RETIRED = f"""
    FROM {OFFER} o
    WHERE o.shop_id = %(shop)s AND o.is_active
      AND NOT EXISTS (
        SELECT 1 FROM {STAGED} s WHERE s.price_list_import_id = %(import)s AND s.external_id = o.external_id
      )
"""
RETIRED_NAMED = f"""
    FROM {OFFER} o
    JOIN {PRODUCT} p ON p.id = o.product_id
    WHERE o.shop_id = %(shop)s AND o.is_active
      AND NOT EXISTS (
        SELECT 1 FROM {STAGED} s WHERE s.price_list_import_id = %(import)s AND s.external_id = o.external_id
      )
"""

# Staged goods the shop has no offer for yet.
CREATED = f"""
    FROM {STAGED} s
    WHERE s.price_list_import_id = %(import)s
      AND NOT EXISTS (SELECT 1 FROM {OFFER} o WHERE o.shop_id = %(shop)s AND o.external_id = s.external_id)
"""


def placeholders(values: list) -> str:
    return ", ".join(["%s"] * len(values))
