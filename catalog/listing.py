"""The product listing customers browse: filters, search, ordering, pages by number or by cursor, facets.

Every read here is shaped for a catalogue of a million offers (README, "The listing at scale"):

- a page by name walks the `(lower(name), id)` indexes of products (per category too) and stops after
  the page; a page by price walks active offers by `(price, product_id)` and keeps each product's
  cheapest matching offer (an anti-join on `(product_id, price)`), so neither sorts the catalogue;
- `?cursor=` continues after the last product of the previous page (keyset), as fast at page 5,000 as
  at page 1; page numbers stay for the documented contract;
- the count is exact and cached; a count up to `EXACT_COUNT_LIMIT` stops there instead of scanning;
- parameter filters use the GIN index of `Offer.parameters` (containment, `@>`) on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet, TextField, Window
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Lower
from django.utils.functional import cached_property

from catalog import search
from catalog.models import Offer, Product, Shop

LISTING_ORDERINGS = ("name", "-name", "price", "-price", "relevance")
# Counting stops here when the filters leave fewer products (cheap); above it the exact count is
# computed once and cached like every count.
EXACT_COUNT_LIMIT = 1000
CURSOR_SALT = "catalog.listing.cursor"


@dataclass(frozen=True)
class ListingFilters:
    """What a customer narrows the listing by; every field is optional.

    `parameters` is `((name, (value, ...)), ...)`: the values of one name are alternatives, different
    names must all hold. `ordering="relevance"` orders a search by how the words found each product
    (`catalog.search`); without `search` it is `name`.
    """

    shop_id: int | None = None
    category_id: int | None = None
    search: str = ""
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool | None = None
    parameters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ordering: str = "name"


class InvalidCursor(ValueError):
    """A `?cursor=` this listing did not hand out (forged, damaged, or of another ordering)."""


_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")


def _json_number(value: str) -> int | float | None:
    """The JSON number a partner may have written for `value` (`"6.1"` → 6.1), if it reads as one."""
    if not _NUMBER.fullmatch(value):
        return None
    return float(value) if "." in value else int(value)


def _parameter_condition(name: str, values: tuple[str, ...], *, alias: str) -> Q:
    """Offers whose parameter `name` is one of `values`, written as a string or as a number.

    On SQLite `alias` names the annotation that holds the parameter's value (`json_extract`)."""
    if connection.vendor != "postgresql":
        return Q(**{f"{alias}__in": values})
    condition = Q()
    for value in values:
        alternatives = [value]
        if (number := _json_number(value)) is not None:
            alternatives.append(number)
        for alternative in alternatives:
            condition |= Q(parameters__contains={name: alternative})  # `@>`: the GIN index
    return condition


def _filtered_offers(filters: ListingFilters) -> QuerySet[Offer]:
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
    for index, (name, values) in enumerate(filters.parameters):
        alias = f"parameter_{index}"
        if connection.vendor != "postgresql":  # SQLite: compare the key's value (json_extract)
            offers = offers.annotate(**{alias: Cast(KeyTextTransform(name, "parameters"), TextField())})
        offers = offers.filter(_parameter_condition(name, values, alias=alias))
    return offers


def _products_with(offers: QuerySet[Offer], filters: ListingFilters) -> QuerySet[Product]:
    products = Product.objects.filter(Exists(offers.filter(product=OuterRef("pk"))))
    if filters.category_id is not None:
        products = products.filter(category_id=filters.category_id)
    return products


def _found_sql(filters: ListingFilters) -> tuple[str, list]:
    """`SELECT found_id, search_rank, sort_name` of the products the search words find (any product of
    the category, listed or not: callers keep the listed ones, `_listed_check`)."""
    products = Product.objects.all()
    if filters.category_id is not None:
        products = products.filter(category_id=filters.category_id)
    return search.candidates_sql(
        words=filters.search, products=products, offers=_filtered_offers(filters), shops=Shop.objects.all()
    )


def _listed_check(filters: ListingFilters, product_id_sql: str) -> tuple[str, list]:
    """`EXISTS (...)`: the product `product_id_sql` has a listed offer matching the other filters."""
    offers = _filtered_offers(filters).filter(product_id=RawSQL(product_id_sql, [])).order_by().values("pk")
    sql, params = offers[:1].query.sql_with_params()
    return f"EXISTS ({sql})", list(params)


# PostgreSQL would push a filter into a grouped or distinct subquery, and so run it for every found row;
# `OFFSET 0` keeps it outside, where it runs only until the page is full. SQLite needs no such fence.
def _fence() -> str:
    return "OFFSET 0" if connection.vendor == "postgresql" else ""


def products_found_by(words: str) -> RawSQL:
    """The ids of every product (listed or not) the words find, the way the listing's search finds
    them: for the back office, whose lists show inactive offers and closed shops too. An offer's
    external id, written whole, finds its product as well."""
    offers = Offer.objects.all()
    sql, params = search.found_products_sql(
        words=words, products=Product.objects.all(), offers=offers, shops=Shop.objects.all()
    )
    by_external_id, external_params = (
        offers.filter(external_id=words).values("product_id").query.sql_with_params()
    )
    return RawSQL(f"{sql} UNION SELECT e.product_id FROM ({by_external_id}) e", [*params, *external_params])


def listed_offers(filters: ListingFilters | None = None) -> QuerySet[Offer]:
    """Offers a customer can order now (active, from a shop accepting orders) that match the filters.

    `in_stock=True` keeps offers with stock, `in_stock=False` only those without. With `search`, the
    offers of the products the words find (`catalog.search`).
    """
    filters = filters or ListingFilters()
    offers = _filtered_offers(filters)
    if filters.search:
        sql, params = _found_sql(filters)
        offers = offers.filter(product_id__in=RawSQL(f"SELECT found_id FROM ({sql}) found", params))
    return offers


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
    # Where the product stands in the listing's order (what a cursor after it holds).
    sort_key: tuple = ()


ROW_FIELDS = (
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


class ProductListing:
    """The listing as the paginator sees it: `count()`, slices of products with their offers, and
    `page_after(cursor, size)` for keyset pages.

    Pages are plain rows (`ListedProduct`), not model instances. A page by name or price is one query
    (the matching offers of the products a subquery chooses); a page by relevance two (the ranked
    ids, cached like the count, then their offers, always current). The count is cached for `CATALOG_LISTING_COUNT_CACHE_SECONDS` (default
    30; 0 turns the cache off): after a price-list import the pages are current at once, and the
    total catches up within that time.
    """

    def __init__(self, filters: ListingFilters) -> None:
        if filters.ordering not in LISTING_ORDERINGS:
            raise ValueError(f"unknown ordering {filters.ordering!r}")
        if filters.ordering == "relevance" and not filters.search:
            filters = replace(filters, ordering="name")
        self.filters = filters
        self.ordering = filters.ordering
        self._count: int | None = None

    # --- count ----------------------------------------------------------------------------------

    @cached_property
    def offers(self) -> QuerySet[Offer]:
        # Built when first needed: a search page from the cache needs neither it nor its SQL.
        return listed_offers(self.filters)

    def _count_cache_key(self) -> str:
        key = replace(self.filters, ordering="")
        return "catalog:listing-count:" + hashlib.sha256(repr(key).encode()).hexdigest()

    def _count_now(self) -> int:
        if self.filters.search:
            sql, params = _found_sql(self.filters)
            listed, listed_params = _listed_check(self.filters, "d.found_id")
            matching = f"SELECT d.found_id FROM (SELECT DISTINCT found_id FROM ({sql}) f {_fence()}) d WHERE {listed}"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT COUNT(*) FROM ({matching} LIMIT %s) bounded",
                    [*params, *listed_params, EXACT_COUNT_LIMIT + 1],
                )
                (total,) = cursor.fetchone()
                if total > EXACT_COUNT_LIMIT:
                    cursor.execute(f"SELECT COUNT(*) FROM ({matching}) everything", [*params, *listed_params])
                    (total,) = cursor.fetchone()
            return total
        products = self.offers.order_by().values("product_id").distinct()
        total = products[: EXACT_COUNT_LIMIT + 1].count()
        return products.count() if total > EXACT_COUNT_LIMIT else total

    def count(self) -> int:
        if self._count is None:
            ttl = settings.CATALOG_LISTING_COUNT_CACHE_SECONDS
            cached = cache.get(self._count_cache_key()) if ttl else None
            if cached is None:
                cached = self._count_now()
                if ttl:
                    cache.set(self._count_cache_key(), cached, ttl)
            self._count = cached
        return self._count

    def __len__(self) -> int:
        return self.count()

    # --- pages ----------------------------------------------------------------------------------

    def _cheapest_offers(self) -> QuerySet[Offer]:
        """Each listed product's cheapest matching offer (ties: the lowest id), one row per product."""
        cheaper = (
            _filtered_offers(self.filters)
            .filter(product_id=OuterRef("product_id"))
            .filter(Q(price__lt=OuterRef("price")) | Q(price=OuterRef("price"), id__lt=OuterRef("id")))
        )
        return self.offers.filter(~Exists(cheaper))

    def _page_choice(self, after: tuple | None) -> QuerySet:
        """Product ids in listing order (by name or price), after the key `after` when given."""
        descending = self.ordering.startswith("-")
        if self.ordering in ("price", "-price"):
            rows = self._cheapest_offers()
            if after is not None:
                price, product_id = Decimal(after[0]), after[1]
                if descending:
                    rows = rows.filter(price__lte=price).filter(
                        Q(price__lt=price) | Q(price=price, product_id__lt=product_id)
                    )
                else:
                    rows = rows.filter(price__gte=price).filter(
                        Q(price__gt=price) | Q(price=price, product_id__gt=product_id)
                    )
            order = ("-price", "-product_id") if descending else ("price", "product_id")
            return rows.order_by(*order).values("product_id")
        products = _products_with(self.offers, self.filters).annotate(sort_name=Lower("name"))
        if after is not None:
            name, product_id = after
            if descending:
                products = products.filter(sort_name__lte=name).filter(
                    Q(sort_name__lt=name) | Q(sort_name=name, id__lt=product_id)
                )
            else:
                products = products.filter(sort_name__gte=name).filter(
                    Q(sort_name__gt=name) | Q(sort_name=name, id__gt=product_id)
                )
        order = (F("sort_name").desc(), "-id") if descending else ("sort_name", "id")
        return products.order_by(*order).values("id")

    def _rows_of(self, page_ids) -> list[ListedProduct]:
        """The matching offers of the products `page_ids` chooses, grouped by product in page order."""
        descending = self.ordering.startswith("-")
        if self.ordering in ("price", "-price"):
            # The cheapest matching offer of each product on the page: the value the page was chosen
            # by (only this page's offers are read, so the window is small).
            offers = self.offers.annotate(
                sort_value=Window(Min("price"), partition_by=F("product_id"))
            ).order_by(
                F("sort_value").desc() if descending else "sort_value",
                "-product_id" if descending else "product_id",
                "price",
                "id",
            )
        else:
            offers = self.offers.annotate(sort_value=Lower("product__name")).order_by(
                F("sort_value").desc() if descending else "sort_value",
                "-product_id" if descending else "product_id",
                "price",
                "id",
            )
        rows = offers.filter(product_id__in=page_ids).values_list(*ROW_FIELDS, "sort_value")
        return _group(rows)

    def __getitem__(self, key: slice) -> list[ListedProduct]:
        if not isinstance(key, slice):
            raise TypeError("a product listing is read in pages (slices)")
        if self.ordering == "relevance":
            return self._relevance_page(offset=key.start or 0, limit=(key.stop or 0) - (key.start or 0))
        return self._rows_of(self._page_choice(None)[key])

    def page_after(self, cursor: str | None, size: int) -> list[ListedProduct]:
        """Up to `size` products after the one `cursor` names (from the first with no cursor)."""
        after = None if cursor is None else self._decode(cursor)
        if self.ordering == "relevance":
            return self._relevance_page(offset=0, limit=size, after=after)
        return self._rows_of(self._page_choice(after)[:size])

    # --- relevance (search) -------------------------------------------------------------------

    def _relevance_page(self, *, offset: int, limit: int, after: tuple | None = None) -> list[ListedProduct]:
        """A page by relevance: which products, in which order, is decided by the search (and cached
        like the count: a product new to the catalogue joins a search's pages within that time); their
        offers, prices and stock are read now, and a product no longer listed is left out."""
        ttl = settings.CATALOG_LISTING_COUNT_CACHE_SECONDS
        cache_key = (
            "catalog:search-page:"
            + hashlib.sha256(repr((self.filters, offset, limit, after)).encode()).hexdigest()
        )
        ranked = cache.get(cache_key) if ttl else None
        if ranked is None:
            ranked = self._rank(offset=offset, limit=limit, after=after)
            if ttl:
                cache.set(cache_key, ranked, ttl)
        if not ranked:
            return []
        keys = {product_id: (rank, name) for product_id, rank, name in ranked}
        rows = (
            _filtered_offers(self.filters)
            .filter(product_id__in=list(keys))
            .order_by("product_id", "price", "id")
            .values_list(*ROW_FIELDS)
        )
        by_id = {product.id: product for product in _group((*row, None) for row in rows)}
        return [
            by_id[product_id]._replace(sort_key=(rank, name, product_id))
            for product_id, rank, name in ranked
            if product_id in by_id
        ]

    def _rank(self, *, offset: int, limit: int, after: tuple | None) -> list[tuple]:
        """`(product id, rank, sort name)` of the page's products, in page order."""
        sql, params = _found_sql(self.filters)
        listed, listed_params = _listed_check(self.filters, "r.found_id")
        params = [*params, *listed_params]
        condition = ""
        if after is not None:
            rank, name, product_id = after
            condition = (
                "AND (r.search_rank > %s OR (r.search_rank = %s AND "
                "(r.sort_name > %s OR (r.sort_name = %s AND r.found_id > %s))))"
            )
            params = [*params, rank, rank, name, name, product_id]
        # The found products in page order (a sort of the found rows, names included), and only then
        # the check that each has a listed offer, which stops when the page is full.
        query = f"""
            SELECT r.found_id, r.search_rank, r.sort_name FROM (
                SELECT f.found_id, MIN(f.search_rank) AS search_rank, f.sort_name
                FROM ({sql}) f
                GROUP BY f.found_id, f.sort_name
                ORDER BY search_rank, f.sort_name, f.found_id {_fence()}
            ) r
            WHERE {listed} {condition}
            ORDER BY r.search_rank, r.sort_name, r.found_id
            LIMIT %s OFFSET %s
        """
        with connection.cursor() as cursor:
            cursor.execute(query, [*params, limit, offset])
            return [tuple(row) for row in cursor.fetchall()]

    # --- cursors --------------------------------------------------------------------------------

    def cursor_after(self, product: ListedProduct) -> str:
        """The `?cursor=` of the page that follows `product` (signed: a client cannot forge one)."""
        key = list(product.sort_key)
        return signing.dumps({"o": self.ordering, "k": key}, salt=CURSOR_SALT, compress=True)

    def _decode(self, cursor: str) -> tuple:
        try:
            payload = signing.loads(cursor, salt=CURSOR_SALT)
        except signing.BadSignature:
            raise InvalidCursor("damaged") from None
        if not isinstance(payload, dict) or payload.get("o") != self.ordering:
            raise InvalidCursor("another ordering")
        key = payload.get("k")
        try:
            if self.ordering == "relevance":
                rank, name, product_id = key
                return int(rank), str(name), int(product_id)
            value, product_id = key
            if self.ordering in ("price", "-price"):
                return str(Decimal(value)), int(product_id)
            return str(value), int(product_id)
        except (TypeError, ValueError, InvalidOperation):
            raise InvalidCursor("damaged") from None


def _group(rows) -> list[ListedProduct]:
    page: list[ListedProduct] = []
    for product_id, name, category_id, category_name, offer_id, shop_id, shop_name, *rest in rows:
        *fields, sort_value = rest
        if not page or page[-1].id != product_id:
            key = (str(sort_value) if isinstance(sort_value, Decimal) else sort_value, product_id)
            page.append(ListedProduct(product_id, name, ListedCategory(category_id, category_name), [], key))
        page[-1].listed_offers.append(ListedOffer(offer_id, ListedShop(shop_id, shop_name), *fields))
    return page


def products_for_listing(*, filters: ListingFilters | None = None) -> ProductListing:
    """Products with at least one listed offer matching the filters, each with those offers.

    A page is a list of `ListedProduct` whose `listed_offers` are cheapest first (by relevance: in
    the order of the ranked products, offers by price).
    """
    return ProductListing(filters or ListingFilters())


# --- facets ---------------------------------------------------------------------------------------

FACET_VALUES_LIMIT = 50


def _facet_text(value) -> str:
    """A parameter value as `?param=` takes it: strings as written, numbers and booleans as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def parameter_facets(*, filters: ListingFilters) -> list[dict]:
    """The parameters of the listed offers that match `filters`, each value with its offer count.

    `[{"name", "values": [{"value", "count"}, ...]}, ...]`: names alphabetically, values by count
    (most first, then alphabetically), at most `FACET_VALUES_LIMIT` values per name. Cached like the
    listing's count (`CATALOG_LISTING_COUNT_CACHE_SECONDS`).
    """
    ttl = settings.CATALOG_LISTING_COUNT_CACHE_SECONDS
    cache_key = "catalog:facets:" + hashlib.sha256(repr(replace(filters, ordering="")).encode()).hexdigest()
    if ttl and (cached := cache.get(cache_key)) is not None:
        return cached
    offers = listed_offers(filters).order_by()
    counts: Counter = Counter()
    if connection.vendor == "postgresql":
        sql, params = offers.values("parameters").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT kv.key, kv.value, COUNT(*) FROM ({sql}) o, jsonb_each_text(o.parameters) kv
                GROUP BY kv.key, kv.value
                """,
                params,
            )
            for name, value, total in cursor.fetchall():
                counts[name, value] = total
    else:
        for parameters in offers.values_list("parameters", flat=True).iterator(chunk_size=2000):
            for name, value in (parameters or {}).items():
                counts[name, _facet_text(value)] += 1
    by_name: dict[str, list[tuple[str, int]]] = {}
    for (name, value), total in counts.items():
        by_name.setdefault(name, []).append((value, total))
    facets = [
        {
            "name": name,
            "values": [
                {"value": value, "count": total}
                for value, total in sorted(values, key=lambda item: (-item[1], item[0]))[:FACET_VALUES_LIMIT]
            ],
        }
        for name, values in sorted(by_name.items())
    ]
    if ttl:
        cache.set(cache_key, facets, ttl)
    return facets
