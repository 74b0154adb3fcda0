"""Planning: what an import would do to its shop's offers (the preview), computed without writing.

The diff is a handful of set-based statements over the staged goods and the shop's offers: how many
offers are created, updated, unchanged and retired, how many prices change, and the first changes
of each kind for the preview page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, Sum

from catalog.models import Offer, Shop
from partners.importing import sql

# How many entries of the plan's list of changes are kept on the import record.
PLAN_CHANGES_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Counts:
    created: int
    updated: int
    unchanged: int
    retired: int
    price_changes: int


@dataclass(slots=True)
class ImportPlan:
    """What an import would do to one shop's offers; nothing is written while planning."""

    shop: Shop | None
    shop_name: str
    goods_total: int
    counts: Counts
    changes: list[dict[str, Any]] = field(default_factory=list)
    fingerprint: str = ""
    timings_ms: dict[str, int] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return bool(self.counts.created or self.counts.updated or self.counts.retired)

    def summary(self) -> dict[str, Any]:
        counts = self.counts
        return {
            "shop": self.shop_name,
            "shop_id": self.shop.pk if self.shop else None,
            "goods_total": self.goods_total,
            "counts": {
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "retired": counts.retired,
            },
            "price_changes": counts.price_changes,
            "changes": self.changes,
            "changes_truncated": counts.created + counts.updated + counts.retired > len(self.changes),
            "fingerprint": self.fingerprint,
            "replanned": False,
            # Where the time went (the commit comes after: duration_ms covers it).
            "timings_ms": self.timings_ms,
        }


def shop_fingerprint(shop: Shop | None) -> str:
    """Changes whenever the shop's offers change (an import, an order taking stock), so an apply can
    tell whether the shop moved since its preview."""
    if shop is None or shop.pk is None:
        return hashlib.sha256(b"no shop").hexdigest()
    figures = Offer.objects.filter(shop=shop).aggregate(
        offers=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        last_id=Max("id"),
        last_update=Max("updated_at"),
        prices=Sum("price"),
        recommended=Sum("recommended_price"),
        quantity=Sum("quantity"),
        reserved=Sum("reserved_quantity"),
    )
    text = "|".join(f"{name}={figures[name]}" for name in sorted(figures))
    return hashlib.sha256(text.encode()).hexdigest()


def plan_import(
    *, shop: Shop | None, import_id: int, shop_name: str, goods_total: int, shop_is_new: bool = False
) -> ImportPlan:
    """Diff the staged goods of import `import_id` with the shop's offers (a new shop has none)."""
    if shop is None or shop_is_new:
        counts = Counts(created=goods_total, updated=0, unchanged=0, retired=0, price_changes=0)
        params = {"import": import_id, "shop": 0}
    else:
        params = {"import": import_id, "shop": shop.pk}
        counts = _counts(params, goods_total=goods_total)
    changes = _created_changes(params, limit=PLAN_CHANGES_LIMIT)
    if len(changes) < PLAN_CHANGES_LIMIT and counts.updated:
        changes += _updated_changes(params, limit=PLAN_CHANGES_LIMIT - len(changes))
    if len(changes) < PLAN_CHANGES_LIMIT and counts.retired:
        changes += _retired_changes(params, limit=PLAN_CHANGES_LIMIT - len(changes))
    return ImportPlan(
        shop=shop,
        shop_name=shop_name,
        goods_total=goods_total,
        counts=counts,
        changes=changes,
        fingerprint=shop_fingerprint(None if shop_is_new else shop),
    )


def _counts(params: dict[str, int], *, goods_total: int) -> Counts:
    d = sql.dialect()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), "
            f"COALESCE(SUM(CASE WHEN {sql.any_change(d)} THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(CASE WHEN {sql.changed_fields(d)['price']} THEN 1 ELSE 0 END), 0) {sql.MATCHED}",
            params,
        )
        matched, updated, price_changes = cursor.fetchone()
        cursor.execute(f"SELECT COUNT(*) {sql.RETIRED}", params)
        (retired,) = cursor.fetchone()
    return Counts(
        created=goods_total - matched,
        updated=updated,
        unchanged=matched - updated,
        retired=retired,
        price_changes=price_changes,
    )


def _created_changes(params: dict[str, int], *, limit: int) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.external_id, s.product_name, s.price, s.quantity {sql.CREATED} "
            f"ORDER BY s.position LIMIT {int(limit)}",
            params,
        )
        return [
            {
                "action": "created",
                "external_id": external_id,
                "name": name,
                "price": str(_decimal(price)),
                "quantity": quantity,
            }
            for external_id, name, price, quantity in cursor.fetchall()
        ]


def _updated_changes(params: dict[str, int], *, limit: int) -> list[dict[str, Any]]:
    d = sql.dialect()
    fields = sql.changed_fields(d)
    flags = ", ".join(f"CASE WHEN {condition} THEN 1 ELSE 0 END" for condition in fields.values())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.external_id, s.product_name, o.price, s.price, o.quantity, {sql.target_quantity(d)}, "
            f"{flags} {sql.MATCHED} AND {sql.any_change(d)} ORDER BY s.position LIMIT {int(limit)}",
            params,
        )
        rows = cursor.fetchall()
    names = list(fields)
    return [
        {
            "action": "updated",
            "external_id": external_id,
            "name": name,
            "fields": [field for field, flag in zip(names, flag_values, strict=True) if flag],
            "old_price": str(_decimal(old_price)),
            "new_price": str(_decimal(new_price)),
            "old_quantity": old_quantity,
            "new_quantity": new_quantity,
        }
        for external_id, name, old_price, new_price, old_quantity, new_quantity, *flag_values in rows
    ]


def _retired_changes(params: dict[str, int], *, limit: int) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.external_id, p.name, o.price, o.quantity {sql.RETIRED_NAMED} "
            f"ORDER BY o.id LIMIT {int(limit)}",
            params,
        )
        return [
            {
                "action": "retired",
                "external_id": external_id,
                "name": name,
                "old_price": str(_decimal(price)),
                "new_price": str(_decimal(price)),
                "old_quantity": quantity,
                "new_quantity": 0,
            }
            for external_id, name, price, quantity in cursor.fetchall()
        ]


def _decimal(value: Any) -> Decimal:
    """A money value as the models hold it: SQLite hands raw statements back as floats or ints."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return Decimal(str(value)).quantize(Decimal("0.01"))
