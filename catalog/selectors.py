"""Reads of the catalog: the product listing customers browse, product details, shops and categories."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

# The listing (filters, search, pages, cursors, facets) lives in `catalog.listing`; its entry points are
# read from here, like every other selector.
from catalog.listing import (
    LISTING_ORDERINGS,
    InvalidCursor,
    ListingFilters,
    listed_offers,
    parameter_facets,
    products_for_listing,
    products_found_by,
)
from catalog.models import Category, DeliveryRate, Offer, Product, Shop

__all__ = [
    "LISTING_ORDERINGS",
    "InvalidCursor",
    "ListingFilters",
    "listed_offers",
    "parameter_facets",
    "products_for_listing",
    "products_found_by",
]


def product_with_offers(*, product_id: int) -> Product:
    """One product with every active offer of every shop (`all_offers`, cheapest first).

    Offers of shops that do not accept orders right now are included: the shop's
    `is_accepting_orders` tells the customer whether they can order it.
    """
    offers = Offer.objects.filter(is_active=True).select_related("shop").order_by("price", "id")
    return (
        Product.objects.select_related("category")
        .prefetch_related(Prefetch("offers", queryset=offers, to_attr="all_offers"))
        .get(pk=product_id)
    )


# --- What a user may see in the back office (the admin, the dashboard, the partner API) -------------
# Managers see everything, a partner what belongs to its own shops, anyone else nothing. Each takes the
# queryset a caller built (an admin's, with its joins) or starts from the model's own.


def _visible(user, rows: QuerySet, *, own: Q) -> QuerySet:
    if getattr(user, "is_manager", False):
        return rows
    if getattr(user, "is_authenticated", False) and user.is_partner:
        return rows.filter(own)
    return rows.none()


def shops_visible_to(user, shops: QuerySet[Shop] | None = None) -> QuerySet[Shop]:
    shops = Shop.objects.select_related("owner") if shops is None else shops
    return _visible(user, shops, own=Q(owner=user.pk))


def offers_visible_to(user, offers: QuerySet[Offer] | None = None) -> QuerySet[Offer]:
    offers = Offer.objects.select_related("shop", "product") if offers is None else offers
    return _visible(user, offers, own=Q(shop__owner=user.pk))


def delivery_rates_visible_to(user, rates: QuerySet[DeliveryRate] | None = None) -> QuerySet[DeliveryRate]:
    """The delivery costs of the shops the user may see (and so edit, in the shop's page)."""
    rates = DeliveryRate.objects.select_related("shop") if rates is None else rates
    if getattr(user, "is_manager", False):
        return rates
    if getattr(user, "is_authenticated", False) and user.is_partner:
        return rates.filter(shop__owner=user)
    return rates.none()


def products_visible_to(user, products: QuerySet[Product] | None = None) -> QuerySet[Product]:
    """A partner sees the products its shops offer (checked by a subquery: no duplicate rows)."""
    products = Product.objects.select_related("category") if products is None else products
    own = Q(Exists(Offer.objects.filter(product=OuterRef("pk"), shop__owner=user.pk)))
    return _visible(user, products, own=own)


def shops_for_listing() -> QuerySet:
    """Shops that accept orders now, by name."""
    return Shop.objects.filter(is_accepting_orders=True).order_by("name", "id")


def categories_for_listing() -> QuerySet[Category]:
    """Categories that have something to order now (a listed offer), by name."""
    return Category.objects.filter(Exists(listed_offers().filter(product__category=OuterRef("pk")))).order_by(
        "name", "id"
    )


def low_stock_threshold() -> int:
    """Active offers with this many units or fewer are low in stock (`LOW_STOCK_THRESHOLD`)."""
    return settings.LOW_STOCK_THRESHOLD


def low_in_stock(offers: QuerySet[Offer]) -> QuerySet[Offer]:
    """The offers among `offers` that are low in stock: the dashboard counts them, the admin lists them."""
    return offers.filter(is_active=True, quantity__lte=low_stock_threshold())
