"""Reads of the catalog: the product listing customers browse, product details, shops and categories."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, F, Min, OuterRef, Prefetch, Q, QuerySet, Window
from django.db.models.functions import Lower

from catalog.models import Category, DeliveryRate, Offer, Product, Shop

LISTING_ORDERINGS = ("name", "-name", "price", "-price")


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


def _listed_products(filters: ListingFilters, offers: QuerySet[Offer]) -> QuerySet[Product]:
    if filters.search:
        # Two index-friendly halves (trigram indexes on PostgreSQL) instead of one OR across a join:
        # products whose name matches and that have an orderable offer, and products with an
        # orderable offer whose model matches.
        unsearched = listed_offers(replace(filters, search=""))
        by_name = Product.objects.filter(
            name__icontains=filters.search, pk__in=unsearched.values("product_id")
        ).values("pk")
        by_model = unsearched.filter(model__icontains=filters.search).values("product_id")
        products = Product.objects.filter(pk__in=by_name.union(by_model))
    else:
        products = Product.objects.filter(Exists(offers.filter(product=OuterRef("pk"))))
    if filters.category_id is not None:
        products = products.filter(category_id=filters.category_id)
    return products


class ListedShop(NamedTuple):
    id: int
    name: str


class ListedCategory(NamedTuple):
    id: int
    name: str


class ListedOffer(NamedTuple):
    id: int
    shop: ListedShop
    price: Decimal
    recommended_price: Decimal | None
    quantity: int
    model: str
    parameters: dict


class ListedProduct(NamedTuple):
    id: int
    name: str
    category: ListedCategory
    listed_offers: list[ListedOffer]


class ProductListing:
    """The listing as the paginator sees it: `count()` and slices of products with their offers.

    Pages are plain rows (`ListedProduct`), not model instances: building a few hundred model objects
    per page would cost more than the queries do.

    A slice is one query whatever the page size: the matching offers (with shop, product and
    category) of the products on the page, chosen by a subquery. By name, that subquery walks the
    (lower(name), id) index; by price, it groups the products' cheapest matching offers.

    The count of a large catalog needs a scan of every listed offer, so it is cached for
    `CATALOG_LISTING_COUNT_CACHE_SECONDS` (default 30; 0 turns the cache off): after a price-list
    import the page contents are current at once, and the total catches up within that time.
    """

    def __init__(self, filters: ListingFilters) -> None:
        if filters.ordering not in LISTING_ORDERINGS:
            raise ValueError(f"unknown ordering {filters.ordering!r}")
        self.filters = filters
        self.offers = listed_offers(filters)
        self._count: int | None = None

    def _count_cache_key(self) -> str:
        key = replace(self.filters, ordering="")
        return "catalog:listing-count:" + hashlib.sha256(repr(key).encode()).hexdigest()

    def count(self) -> int:
        if self._count is None:
            ttl = settings.CATALOG_LISTING_COUNT_CACHE_SECONDS
            cached = cache.get(self._count_cache_key()) if ttl else None
            if cached is None:
                cached = _listed_products(self.filters, self.offers).count()
                if ttl:
                    cache.set(self._count_cache_key(), cached, ttl)
            self._count = cached
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[ListedProduct]:
        """One query: the matching offers of the products on the page, in page order."""
        if not isinstance(key, slice):
            raise TypeError("a product listing is read in pages (slices)")
        descending = self.filters.ordering.startswith("-")
        if self.filters.ordering in ("price", "-price"):
            page_ids = (
                self.offers.order_by()
                .values("product_id")
                .annotate(min_price=Min("price"))
                .order_by(
                    F("min_price").desc() if descending else "min_price",
                    "-product_id" if descending else "product_id",
                )
                .values("product_id")[key]
            )
            # The cheapest matching offer of each product on the page, the same value the page was
            # chosen by (only this page's offers are read, so the window is small).
            offers = self.offers.annotate(
                product_min_price=Window(Min("price"), partition_by=F("product_id"))
            ).order_by(
                F("product_min_price").desc() if descending else "product_min_price",
                "-product_id" if descending else "product_id",
                "price",
                "id",
            )
        else:
            name_order = (Lower("name").desc(), "-id") if descending else (Lower("name"), "id")
            page_ids = _listed_products(self.filters, self.offers).order_by(*name_order).values("id")[key]
            offers = self.offers.order_by(
                Lower("product__name").desc() if descending else Lower("product__name"),
                "-product_id" if descending else "product_id",
                "price",
                "id",
            )
        rows = offers.filter(product_id__in=page_ids).values_list(
            "product_id",
            "product__name",
            "product__category_id",
            "product__category__name",
            "id",
            "shop_id",
            "shop__name",
            "price",
            "recommended_price",
            "quantity",
            "model",
            "parameters",
        )
        page: list[ListedProduct] = []
        for product_id, name, category_id, category_name, offer_id, shop_id, shop_name, *rest in rows:
            if not page or page[-1].id != product_id:
                page.append(ListedProduct(product_id, name, ListedCategory(category_id, category_name), []))
            page[-1].listed_offers.append(ListedOffer(offer_id, ListedShop(shop_id, shop_name), *rest))
        return page


def products_for_listing(*, filters: ListingFilters | None = None) -> ProductListing:
    """Products with at least one listed offer matching the filters, each with those offers.

    A page is a list of `ListedProduct` whose `listed_offers` are cheapest first. A page is one query
    whatever its size (plus the count, which is cached).
    """
    return ProductListing(filters or ListingFilters())


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
