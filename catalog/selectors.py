"""Reads of the catalog: the product listing customers browse, product details, shops and categories."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Lower

from catalog.models import Category, Offer, Product

LISTING_ORDERINGS = ("name", "-name", "price", "-price")

# The shop model is reached through the offer's foreign key, so the catalog never imports partners.
Shop = Offer._meta.get_field("shop").related_model


@dataclass(frozen=True)
class ListingFilters:
    """What a customer narrows the listing by; every field is optional."""

    shop_id: int | None = None
    category_id: int | None = None
    search: str = ""
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool | None = None
    ordering: str = "name"


def listed_offers(filters: ListingFilters | None = None) -> QuerySet[Offer]:
    """Offers a customer can order now (active, from a shop accepting orders) that match the filters.

    `in_stock=True` keeps offers with stock, `in_stock=False` only those without. `search` matches the
    product name or the offer model, case-insensitively.
    """
    filters = filters or ListingFilters()
    offers = Offer.objects.filter(is_active=True, shop__is_accepting_orders=True)
    if filters.shop_id is not None:
        offers = offers.filter(shop_id=filters.shop_id)
    if filters.category_id is not None:
        offers = offers.filter(product__category_id=filters.category_id)
    if filters.price_min is not None:
        offers = offers.filter(price__gte=filters.price_min)
    if filters.price_max is not None:
        offers = offers.filter(price__lte=filters.price_max)
    if filters.in_stock is True:
        offers = offers.filter(quantity__gt=0)
    elif filters.in_stock is False:
        offers = offers.filter(quantity=0)
    if filters.search:
        offers = offers.filter(
            Q(product__name__icontains=filters.search) | Q(model__icontains=filters.search)
        )
    return offers


def products_for_listing(*, filters: ListingFilters | None = None) -> QuerySet[Product]:
    """Products with at least one listed offer matching the filters, each with those offers prefetched.

    Every product carries `listed_offers` (cheapest first) and the query count does not depend on the
    page size: one query for the page, one for the count, one for the offers with their shops.
    """
    filters = filters or ListingFilters()
    if filters.ordering not in LISTING_ORDERINGS:
        raise ValueError(f"unknown ordering {filters.ordering!r}")
    offers = listed_offers(filters)
    products = Product.objects.select_related("category").filter(
        Exists(offers.filter(product=OuterRef("pk")))
    )
    if filters.category_id is not None:
        products = products.filter(category_id=filters.category_id)
    if filters.ordering in ("price", "-price"):
        cheapest = (
            offers.filter(product=OuterRef("pk"))
            .order_by()
            .values("product")
            .annotate(min_price=Min("price"))
            .values("min_price")
        )
        products = products.annotate(min_price=Subquery(cheapest))
        if filters.ordering == "price":
            products = products.order_by(F("min_price").asc(), "id")
        else:
            products = products.order_by(F("min_price").desc(), "-id")
    elif filters.ordering == "name":
        products = products.order_by(Lower("name"), "id")
    else:
        products = products.order_by(Lower("name").desc(), "-id")
    return products.prefetch_related(
        Prefetch(
            "offers",
            queryset=offers.select_related("shop").order_by("price", "id"),
            to_attr="listed_offers",
        )
    )


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


def offers_visible_to(user) -> QuerySet[Offer]:
    """Offers a user may look at: staff see all, partners also their own inactive ones, others active ones."""
    offers = Offer.objects.select_related("shop", "product")
    if getattr(user, "is_staff", False):
        return offers
    if getattr(user, "is_authenticated", False):
        return offers.filter(Q(is_active=True) | Q(shop__owner=user))
    return offers.filter(is_active=True)


def shops_for_listing() -> QuerySet:
    """Shops that accept orders now, by name."""
    return Shop.objects.filter(is_accepting_orders=True).order_by("name", "id")


def categories_for_listing() -> QuerySet[Category]:
    """Categories that have something to order now (a listed offer), by name."""
    return Category.objects.filter(Exists(listed_offers().filter(product__category=OuterRef("pk")))).order_by(
        "name", "id"
    )
