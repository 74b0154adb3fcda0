"""Writes of the catalog: shops (created and renamed under names people can tell apart) and their switch."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import Shop
from catalog.shop_names import clean_shop_name, shop_name_key


def find_shop_by_name(*, name: str) -> Shop | None:
    """The shop whose name reads the same as `name` (the same key), whoever owns it."""
    return Shop.objects.filter(name_key=shop_name_key(name)).first()


def check_shop_name(*, name: str, shop: Shop | None = None) -> str:
    """`name` cleaned for a new shop, or for `shop` when it is renamed; ValidationError if it is taken.

    Taken means another shop's name reads the same: equal after Unicode normalisation, case folding,
    whitespace collapsing and replacing look-alike characters (see `catalog.shop_names`).
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


@transaction.atomic
def set_shops_accepting_orders(*, shops: Iterable[Shop], is_accepting_orders: bool) -> list[Shop]:
    """Open or close shops for new orders; customers cannot order from a closed shop."""
    changed = []
    for shop in shops:
        shop.is_accepting_orders = is_accepting_orders
        shop.save(update_fields=["is_accepting_orders"])
        changed.append(shop)
    return changed
