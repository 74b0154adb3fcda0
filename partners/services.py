"""Writes of the partners app besides imports (`partners.importing`): shops, their switch, exports."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import Offer
from partners.models import Shop
from partners.shop_names import clean_shop_name, shop_name_key

# --- Shops ----------------------------------------------------------------------------------------


def find_shop_by_name(*, name: str) -> Shop | None:
    """The shop whose name reads the same as `name` (the same key), whoever owns it."""
    return Shop.objects.filter(name_key=shop_name_key(name)).first()


def check_shop_name(*, name: str, shop: Shop | None = None) -> str:
    """`name` cleaned for a new shop, or for `shop` when it is renamed; ValidationError if it is taken.

    Taken means another shop's name reads the same: equal after Unicode normalisation, case folding,
    whitespace collapsing and replacing look-alike characters (see `partners.shop_names`).
    """
    cleaned = clean_shop_name(name)
    others = Shop.objects.filter(name_key=shop_name_key(cleaned))
    if shop is not None and shop.pk is not None:
        others = others.exclude(pk=shop.pk)
    other = others.only("name").first()
    if other is not None:
        raise ValidationError(
            _("The name reads the same as the name of the shop “%(name)s”; choose another name.")
            % {"name": other.name},
            code="shop_name_taken",
        )
    return cleaned


def create_shop(*, owner: User, name: str) -> Shop:
    """A new shop of the partner `owner`, under `name` cleaned; refused if another shop's name reads the same."""
    if not owner.is_partner:
        raise ValidationError(_("Only partner accounts can own shops."), code="not_partner")
    cleaned = check_shop_name(name=name)
    try:
        with transaction.atomic():
            return Shop.objects.create(owner=owner, name=cleaned)
    except IntegrityError:
        # A shop with the same key was created between the check and the insert: report it as taken.
        check_shop_name(name=cleaned)
        raise


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
