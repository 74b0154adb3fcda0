"""The price-list export: a shop's active offers written in the import format (what `rules` reads back unchanged)."""

from __future__ import annotations

import json
from typing import Any

from catalog.models import Offer, Shop


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
