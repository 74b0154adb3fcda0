"""Offers' units moved by orders: taken when an order is placed, released when a partner acknowledges
its shipment, returned when a shipment is canceled. Each is one statement whatever the number of lines,
after the offers are locked in primary-key order (as the price-list import locks them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db.models import BigIntegerField, Case, F, Value, When
from django.db.models.functions import Cast, Greatest, Least

from catalog.models import Offer

# The largest stock an offer holds: the range of its PositiveIntegerField on every supported database.
MAX_STOCK = 2_147_483_647

# (offer id, units)
Lines = Iterable[tuple[int, int]]


def _units_per_offer(lines: Lines) -> dict[int, int]:
    units: Counter[int] = Counter()
    for offer_id, quantity in lines:
        units[offer_id] += quantity
    return dict(sorted(units.items()))


def _units(units: dict[int, int]) -> Case:
    """Each offer's units, as one expression of the offer's pk."""
    return Case(
        *[When(pk=offer_id, then=Value(quantity)) for offer_id, quantity in units.items()],
        default=Value(0),
        output_field=BigIntegerField(),
    )


def lock_offers(offer_ids: Iterable[int]) -> None:
    """Lock these offers' rows in pk order, for the rest of the transaction.

    One pass for everything a write will change: two passes would each be in pk order but not the
    whole, and could deadlock with an order that locks the same offers in one. NO KEY UPDATE: baskets may still add these offers (their foreign keys take KEY SHARE locks).
    """
    list(
        Offer.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted(set(offer_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def take_units(lines: Lines) -> bool:
    """Move the units of placed lines from the offers' stock into their reservation.

    The caller has locked the offers and checked the stock; the condition in the statement is what
    keeps a database without row locks (SQLite) from selling what is not there: False when any offer
    lacked the units, and the caller's transaction must then roll back.
    """
    units = _units_per_offer(lines)
    if not units:
        return True
    taken = _units(units)
    updated = Offer.objects.filter(pk__in=list(units), quantity__gte=taken).update(
        quantity=F("quantity") - taken, reserved_quantity=F("reserved_quantity") + taken
    )
    return updated == len(units)


def release_reservation(lines: Lines) -> None:
    """The partner acknowledged these lines: their units leave the reservation (they stay sold).

    The caller has locked the offers (`lock_offers`), all in one pass.
    """
    units = _units_per_offer(lines)
    if not units:
        return
    Offer.objects.filter(pk__in=list(units)).update(
        reserved_quantity=Greatest(F("reserved_quantity") - _units(units), Value(0))
    )


def return_units(lines: Lines, *, reserved: bool) -> None:
    """Put canceled lines' units back on sale, and out of the reservation if they were still in it.

    A price list may have restocked the offer meanwhile: the sum is computed as a bigint and capped at
    the largest stock the column holds, rather than overflowing it (a database error). The caller has
    locked the offers (`lock_offers`), all in one pass.
    """
    units = _units_per_offer(lines)
    if not units:
        return
    returned = _units(units)
    changes = {
        "quantity": Least(
            Cast(F("quantity"), BigIntegerField()) + returned,
            Value(MAX_STOCK, output_field=BigIntegerField()),
        )
    }
    if reserved:
        changes["reserved_quantity"] = Greatest(F("reserved_quantity") - returned, Value(0))
    Offer.objects.filter(pk__in=list(units)).update(**changes)
