"""Summaries, request and response examples of the partner API for the OpenAPI document
(`config.openapi` attaches them to the operations, keyed by method and path; a test checks each against
its schema)."""

from __future__ import annotations

COUNTS = {"created": 3, "updated": 0, "unchanged": 0, "retired": 0}
IMPORT = {
    "id": 15,
    "status": "succeeded",
    "dry_run": False,
    "shop": {"id": 2, "name": "Чайная лавка"},
    "shop_name": "Чайная лавка",
    "source": "api",
    "source_url": "",
    "file_name": "price.yaml",
    "file_size": 966,
    "file_expired_at": None,
    "counts": COUNTS,
    "goods_total": 3,
    "goods_processed": 3,
    "progress_percent": 100,
    "superseded_by": None,
    "errors": [],
    "plan": {
        "shop": "Чайная лавка",
        "shop_id": 2,
        "goods_total": 3,
        "counts": COUNTS,
        "price_changes": 0,
        "changes": [
            {
                "action": "created",
                "external_id": "101",
                "name": "Чай зелёный Сенча 100 г",
                "price": "349.90",
                "quantity": 25,
            }
        ],
        "changes_truncated": False,
    },
    "attempts": 1,
    "created_at": "2026-11-30T09:00:32.995187+03:00",
    "started_at": "2026-11-30T09:00:33.001849+03:00",
    "finished_at": "2026-11-30T09:00:33.037521+03:00",
    "duration_ms": 27,
}
PENDING = {
    **IMPORT,
    "status": "pending",
    "shop": None,
    "shop_name": "",
    "counts": {"created": 0, "updated": 0, "unchanged": 0, "retired": 0},
    "goods_total": 0,
    "goods_processed": 0,
    "progress_percent": 0,
    "plan": {},
    "attempts": 0,
    "started_at": None,
    "finished_at": None,
    "duration_ms": None,
}
STATE = {"state": True, "shops": [{"id": 2, "name": "Чайная лавка", "url": "", "state": True}]}

EXAMPLES = {
    "POST /partner_update/": {
        "summary": "Import a price list from a file or a URL",
        "request": {
            "A URL to fetch it from (JSON)": {"url": "https://tea.example.com/price.yaml", "dry_run": False},
        },
        "200": {"Imported (no broker: it ran in the request)": IMPORT},
        "202": {"Queued: poll GET /partner_update/15/": PENDING},
        "400": {
            "An invalid price list: every problem with its line, nothing changed": {
                "detail": "The price list has 2 problem(s); nothing was changed. First: categories: is missing (line 1)",
                "code": "invalid_price_list",
                "errors": {
                    "categories": ["is missing (line 1)"],
                    "goods": ["must be a list of goods (line 2)"],
                },
                "import": {
                    **PENDING,
                    "status": "failed",
                    "errors": [
                        {"path": "categories", "message": "is missing", "line": 1},
                        {"path": "goods", "message": "must be a list of goods", "line": 2},
                    ],
                    "attempts": 1,
                },
            }
        },
    },
    "GET /partner_update/{import_id}/": {
        "summary": "The status of one of your imports",
        "200": {"Finished": IMPORT, "Still waiting for a worker": PENDING},
    },
    "GET /partner/state/": {"summary": "Whether your shops accept orders", "200": {"Open": STATE}},
    "POST /partner/state/": {
        "summary": "Open or close your shops (all, or one) for orders",
        "request": {"Close every shop": {"state": False}, "Open one shop": {"state": True, "shop": 2}},
        "200": {"Closed": {"state": False, "shops": [{**STATE["shops"][0], "state": False}]}},
    },
    "GET /partner/export/": {
        "summary": "Your shop's current price list as YAML",
        "200": {
            "The price list, in the import format": (
                "shop: Чайная лавка\n"
                "categories:\n"
                "  - id: 1\n"
                "    name: Чай\n"
                "goods:\n"
                "  - id: 101\n"
                "    category: 1\n"
                "    model: teaco/green/sencha\n"
                "    name: Чай зелёный Сенча 100 г\n"
                "    price: 349.90\n"
                "    price_rrc: 399.00\n"
                "    quantity: 25\n"
                "    parameters:\n"
                '      "Вес (г)": 100\n'
            )
        },
    },
}
