"""Request and response examples of the catalog API for the OpenAPI document (`config.openapi` attaches
them to the operations, keyed by method and path; a test checks each against its schema)."""

from __future__ import annotations

SHOP = {"id": 1, "name": "ТехноМир"}
CATEGORY = {"id": 4, "name": "Смартфоны"}
OFFER = {
    "id": 12,
    "shop": SHOP,
    "price": "79990.00",
    "recommended_price": "84990.00",
    "quantity": 14,
    "model": "apple/iphone/15-128-black",
    "parameters": {"Диагональ (дюйм)": "6.1", "Встроенная память (Гб)": "128", "Цвет": "черный"},
}
PRODUCT = {
    "id": 5,
    "name": "Смартфон Apple iPhone 15 128GB (черный)",
    "category": CATEGORY,
    "offers": [OFFER],
}
ALLOWED = (
    "category, category_id, cursor, format, in_stock, ordering, page, page_size, param, price_max, price_min, "
    "search, shop, shop_id"
)


def page(results: list, *, count: int | None = None, next_page: str | None = None) -> dict:
    return {
        "count": len(results) if count is None else count,
        "next": next_page,
        "previous": None,
        "results": results,
    }


def listing_page(results: list, *, count: int, next_page: str | None, next_cursor: str | None) -> dict:
    return {
        "count": count,
        "next": next_page,
        "previous": None,
        "next_cursor": next_cursor,
        "results": results,
    }


BAD_CURSOR = (
    "This cursor was not handed out by this listing with this ordering; start again from a first "
    "page's next_cursor link."
)
CURSOR = "eyJvIjoibmFtZSIsImsiOlsi0YHQvNCw0YDRgtGE0L7QvSIsNV19:1vPqRk:3kq0"
CURSOR_LINK = f"https://shop.example.com/products/?category_id=4&cursor={CURSOR}&page_size=1&shop_id=1"


EXAMPLES = {
    "GET /products/": {
        "200": {
            "The first page of one shop's phones (`?shop_id=1&category_id=4&page_size=1`)": listing_page(
                [PRODUCT],
                count=9,
                next_page="https://shop.example.com/products/?category_id=4&page=2&page_size=1&shop_id=1",
                next_cursor=CURSOR_LINK,
            ),
            "The next page by cursor (the `next_cursor` link)": listing_page(
                [{**PRODUCT, "id": 6, "name": "Смартфон Apple iPhone 15 256GB (черный)"}],
                count=9,
                next_page=CURSOR_LINK,
                next_cursor=CURSOR_LINK,
            ),
            "Black phones by relevance (`?search=айфон&param=Цвет:черный`)": listing_page(
                [PRODUCT], count=1, next_page=None, next_cursor=None
            ),
        },
        "400": {
            "A misspelt parameter (`?shoop=1`)": {
                "detail": f"shoop: Unknown query parameter. Allowed: {ALLOWED}.",
                "code": "unknown_parameter",
                "errors": {"shoop": [f"Unknown query parameter. Allowed: {ALLOWED}."]},
            },
            "A bad value": {
                "detail": "price_max: Must be greater than or equal to price_min.",
                "code": "invalid",
                "errors": {"price_max": ["Must be greater than or equal to price_min."]},
            },
            "A parameter filter without its value (`?param=Цвет`)": {
                "detail": "param: Write each parameter filter as name:value, e.g. Цвет:черный; got Цвет.",
                "code": "invalid",
                "errors": {
                    "param": ["Write each parameter filter as name:value, e.g. Цвет:черный; got Цвет."]
                },
            },
            "A cursor this listing did not hand out": {
                "detail": f"cursor: {BAD_CURSOR}",
                "code": "invalid_cursor",
                "errors": {"cursor": [BAD_CURSOR]},
            },
        },
    },
    "GET /products/facets/": {
        "200": {
            "The parameters of one category's offers (`?category=4`)": {
                "parameters": [
                    {
                        "name": "Встроенная память (Гб)",
                        "values": [{"value": "128", "count": 412}, {"value": "256", "count": 377}],
                    },
                    {
                        "name": "Цвет",
                        "values": [{"value": "черный", "count": 530}, {"value": "белый", "count": 259}],
                    },
                ]
            }
        },
    },
    "GET /products/details/": {
        "200": {
            "A product with the offers of every shop": {
                **PRODUCT,
                "offers": [{**OFFER, "shop": {**SHOP, "is_accepting_orders": True}}],
            }
        },
        "404": {"No such product": {"detail": "No product with this id.", "code": "not_found"}},
    },
    "GET /shops/": {"200": {"Shops taking orders": page([SHOP, {"id": 2, "name": "Связь-Маркет"}])}},
    "GET /categories/": {"200": {"Categories with offers": page([{"id": 3, "name": "Ноутбуки"}, CATEGORY])}},
}
