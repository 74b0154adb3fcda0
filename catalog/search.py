"""Search of the product listing: which products a customer's words find, and how well (README, "Search").

On PostgreSQL a product is found by

0. an offer whose model is exactly the words (case aside): a buyer who types a model number wants it;
1. full-text search of its name with the `russian` configuration (`микрофоны` finds `Микрофон`),
   by the expression index `product_name_fts`;
2. trigram word similarity of its name (`микрафон`, `bosh` still find `Микрофон`, `Bosch`), by the
   trigram index `product_name_trgm`, or an offer's model containing the words (`offer_model_trgm`);
   the similarity needed is the connection's `pg_trgm.word_similarity_threshold`, which the settings
   set to `CATALOG_SEARCH_WORD_SIMILARITY` (0.5);
3. the name of the shop that offers it.

The number is the rank: a product takes the best rank of its ways of being found, and a listing
ordered by relevance lists rank 0 first, then by name. Each way is its own index-backed query, so no
row's text is parsed at request time.

SQLite has no full-text configuration or trigrams: there the same ranks come from substring matches
(exact model, name, model, shop name), case-insensitive for ASCII letters only.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, Func, QuerySet, Value
from django.db.models.functions import Lower, Upper

SEARCH_CONFIGURATION = "russian"

EXACT_MODEL, NAME_WORDS, NAME_SIMILAR, SHOP_NAME = 0, 1, 2, 3


class _Predicate(Func):
    """A boolean SQL condition over expressions: `template` takes each compiled expression in order."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        return self.template.format(*parts), params


class MatchesWords(_Predicate):
    """`to_tsvector('russian', column) @@ plainto_tsquery('russian', words)`: the index's expression."""

    template = (
        f"to_tsvector('{SEARCH_CONFIGURATION}'::regconfig, {{0}}) @@ "
        f"plainto_tsquery('{SEARCH_CONFIGURATION}'::regconfig, {{1}})"
    )

    def __init__(self, column: str, words: str) -> None:
        super().__init__(F(column), Value(words))


class ResemblesWords(_Predicate):
    """`words <% UPPER(column)`: a part of the column is similar to the words (trigram index on UPPER)."""

    template = "{1} <%% {0}"

    def __init__(self, column: str, words: str) -> None:
        super().__init__(Upper(column), Value(words))


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def candidates_sql(*, words: str, products: QuerySet, offers: QuerySet, shops: QuerySet) -> tuple[str, list]:
    """`SELECT found_id, search_rank, sort_name` for every way the words find a product (UNION ALL).

    `products` are the products to search (any, or one category's), `offers` the offers whose model or
    shop may find their product, `shops` every shop. A product found several ways appears once per way;
    `sort_name` is its lower-cased name. The similar-words ways (typos, a part of a model) run only when
    the precise ways find nothing: a correct word would otherwise bring every near-miss along, at the
    cost of comparing each of them.
    """
    exact_model = offers.annotate(model_upper=Upper("model")).filter(model_upper=words.upper())
    if is_postgresql():
        by_name = products.filter(MatchesWords("name", words))
        similar = products.filter(ResemblesWords("name", words))
        shop_ids = shops.filter(MatchesWords("name", words) | ResemblesWords("name", words)).values("pk")
    else:
        by_name = products.filter(name__icontains=words)
        similar = products.none()
        shop_ids = shops.filter(name__icontains=words).values("pk")
    precise = _compiled(
        [
            (EXACT_MODEL, exact_model, "product_id", "product__name"),
            (NAME_WORDS, by_name, "pk", "name"),
            (SHOP_NAME, offers.filter(shop_id__in=shop_ids), "product_id", "product__name"),
        ]
    )
    fuzzy = _compiled(
        [
            (NAME_SIMILAR, similar, "pk", "name"),
            (NAME_SIMILAR, offers.filter(model__icontains=words), "product_id", "product__name"),
        ]
    )
    precise_sql = " UNION ALL ".join(sql for sql, _params in precise)
    precise_params = [param for _sql, params in precise for param in params]
    parts = [sql for sql, _params in precise]
    params = list(precise_params)
    for sql, fuzzy_params in fuzzy:
        parts.append(f"SELECT * FROM ({sql}) fuzzy WHERE NOT EXISTS (SELECT 1 FROM ({precise_sql}) found)")
        params += [*fuzzy_params, *precise_params]
    return " UNION ALL ".join(parts), params


def _compiled(ways: list) -> list[tuple[str, list]]:
    compiled = []
    for rank, rows, column, name in ways:
        if rows.query.is_empty():
            continue
        found = rows.order_by().values(found_id=F(column), sort_name=Lower(name))
        sql, params = found.query.sql_with_params()
        compiled.append(
            (f"SELECT c.found_id, {int(rank)} AS search_rank, c.sort_name FROM ({sql}) c", params)
        )
    return compiled


def found_products_sql(
    *, words: str, products: QuerySet, offers: QuerySet, shops: QuerySet
) -> tuple[str, list]:
    """`SELECT found_id FROM ...`: the ids of the products the words find, as one subquery."""
    sql, params = candidates_sql(words=words, products=products, offers=offers, shops=shops)
    return f"SELECT found_id FROM ({sql}) found", params
