"""Delivery costs: what each shop's tariff charges to deliver its part of an order to a city."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from catalog.cities import city_key
from catalog.models import DeliveryRate, Shop

ZERO = Decimal("0.00")


def delivery_costs(
    *, shops: Iterable[Shop], subtotals: Mapping[int, Decimal], city: str
) -> dict[int, Decimal]:
    """The delivery cost of each shop's part (its goods worth `subtotals[shop.pk]`) to `city`.

    A shop charges its cost for that city, else its default cost (for every other city, and for an
    order placed without a city); nothing when its part is worth at least its free-delivery threshold.
    One query, however many shops.
    """
    shops = list(shops)
    key = city_key(city)
    rates: dict[int, Decimal] = {}
    if key and shops:
        rates = dict(
            DeliveryRate.objects.filter(shop_id__in=[shop.pk for shop in shops], city_key=key).values_list(
                "shop_id", "cost"
            )
        )
    costs = {}
    for shop in shops:
        subtotal = subtotals.get(shop.pk, ZERO)
        if shop.free_delivery_from is not None and subtotal >= shop.free_delivery_from:
            costs[shop.pk] = ZERO
        else:
            costs[shop.pk] = rates.get(shop.pk, shop.default_delivery_cost)
    return costs
