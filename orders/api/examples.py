"""Summaries, request and response examples of the orders API for the OpenAPI document (`config.openapi`
attaches them to the operations, keyed by method and path; a test checks each against its schema)."""

from __future__ import annotations

LINES = [
    {
        "id": 31,
        "product_info": 12,
        "product": "Смартфон Apple iPhone 15 128GB (черный)",
        "model": "apple/iphone/15-128-black",
        "shop": "ТехноМир",
        "shop_id": 1,
        "price": "79990.00",
        "quantity": 2,
        "sum": "159980.00",
    },
    {
        "id": 32,
        "product_info": 17,
        "product": "Смартфон Samsung Galaxy S24 256GB (серый)",
        "model": "samsung/galaxy/s24-256",
        "shop": "Связь-Маркет",
        "shop_id": 2,
        "price": "74990.00",
        "quantity": 1,
        "sum": "74990.00",
    },
]
BASKET = {
    "id": 41,
    "state": "basket",
    "city": "Москва",
    "items": LINES,
    "total": "234970.00",
    "shops": [],
    "goods_total": "234970.00",
    "delivery_total": None,
    "delivery_city": None,
    "delivery_note": "Name a city (?city=) or one of your contacts (?contact=) to see the delivery costs.",
}
# The same basket asked for with ?city=Москва: the lines by shop, with each shop's delivery cost.
BASKET_TO_MOSCOW = {
    **BASKET,
    "total": "235970.00",
    "shops": [
        {
            "shop": {"id": 1, "name": "ТехноМир"},
            "items": [LINES[0]],
            "subtotal": "159980.00",
            "delivery_cost": "300.00",
        },
        {
            "shop": {"id": 2, "name": "Связь-Маркет"},
            "items": [LINES[1]],
            "subtotal": "74990.00",
            "delivery_cost": "700.00",
        },
    ],
    "delivery_total": "1000.00",
    "delivery_city": "Москва",
    "delivery_note": None,
}
SHIPMENTS = [
    {
        "id": 57,
        "shop": {"id": 1, "name": "ТехноМир"},
        "state": "new",
        "subtotal": "159980.00",
        "delivery_cost": "300.00",
        "tracking_number": "",
        "items": [LINES[0]],
    },
    {
        "id": 58,
        "shop": {"id": 2, "name": "Связь-Маркет"},
        "state": "new",
        "subtotal": "74990.00",
        "delivery_cost": "700.00",
        "tracking_number": "",
        "items": [LINES[1]],
    },
]
ORDER = {
    "id": 41,
    "state": "new",
    "created": "2026-11-30T10:15:02.639725+03:00",
    "confirmed_at": "2026-11-30T10:21:47.752121+03:00",
    "city": "Москва",
    "delivery_address": "Москва, ул. Большая Полянка, д. 28, корп. 1, кв. 14",
    "phone": "+74951234567",
    "goods_total": "234970.00",
    "delivery_total": "1000.00",
    "total": "235970.00",
    "items": LINES,
    "shipments": SHIPMENTS,
    "history": [
        {
            "from": "basket",
            "to": "new",
            "when": "2026-11-30T10:21:47.752821+03:00",
            "note": "",
            "shipment": None,
        }
    ],
}
PARTNER_SHIPMENT = {
    "id": 57,
    "order": {"id": 41, "confirmed_at": "2026-11-30T10:21:47.752121+03:00"},
    "shop": {"id": 1, "name": "ТехноМир"},
    "state": "new",
    "items": [
        {
            "offer": 12,
            "external_id": "4216292",
            "product": "Смартфон Apple iPhone 15 128GB (черный)",
            "quantity": 2,
            "price": "79990.00",
            "sum": "159980.00",
        }
    ],
    "subtotal": "159980.00",
    "delivery_cost": "300.00",
    "tracking_number": "",
    "delivery": {
        "city": "Москва",
        "address": "Москва, ул. Большая Полянка, д. 28, корп. 1, кв. 14",
        "phone": "+74951234567",
        "recipient": "Иван Петров",
    },
}
STOCK = "Not enough “Смартфон Samsung Galaxy S24 256GB (серый)” from Связь-Маркет: requested 5, available 2."
ITEMS_REFUSED = {
    "detail": f"items[1].quantity: {STOCK}",
    "code": "out_of_stock",
    "errors": {"items[1].quantity": [STOCK], "items[2].product_info": ["No offer with id 999."]},
}
NOT_CONFIRMED = {
    "detail": (
        "Confirm your e-mail address (ivan.p@example.com) before placing orders. Open the link in the "
        'confirmation e-mail, or ask for a new one: POST /register/confirm/resend/ with {"email": '
        '"<your address>"}.'
    ),
    "code": "email_not_confirmed",
}

EXAMPLES = {
    "POST /products/order/": {
        "summary": "Add one offer, or several at once (items), to the basket",
        "request": {
            "One line": {"product_info": 12, "quantity": 2, "contact": {"city": "Москва"}},
            "Several lines, all or nothing (the reference API's shape)": {
                "items": [{"product_info": 12, "quantity": 2}, {"product_info": 17, "quantity": 1}]
            },
        },
        # A form sends `items` as one field holding the list written as JSON.
        "request_form": {
            "Several lines as a JSON string, as the reference API's forms send them": {
                "items": '[{"product_info": 12, "quantity": 2}, {"product_info": 17, "quantity": 1}]'
            },
        },
        "200": {"The whole basket": BASKET},
        "400": {"One call with two bad lines: nothing was added": ITEMS_REFUSED},
        "404": {"One line with an unknown offer": {"detail": "No offer with id 999.", "code": "not_found"}},
    },
    "GET /basket/": {
        "summary": "The basket at current prices, by shop with delivery costs to a city",
        "200": {"The basket": BASKET, "With ?city=Москва: by shop, with delivery costs": BASKET_TO_MOSCOW},
    },
    "PATCH /basket/": {
        "summary": "Set the quantity of one line, or of several (items); 0 removes a line",
        "request": {
            "One line": {"product_info": 12, "quantity": 1},
            "Several lines, all or nothing": {
                "items": [{"product_info": 12, "quantity": 1}, {"product_info": 17, "quantity": 0}]
            },
        },
        "200": {
            "The whole basket": {
                **BASKET,
                "items": [{**LINES[0], "quantity": 1, "sum": "79990.00"}],
                "total": "79990.00",
            }
        },
        "400": {
            "A line that is not in the basket: nothing was changed": {
                "detail": "items[1].product_info: Offer 18 is not in your basket.",
                "code": "not_in_basket",
                "errors": {"items[1].product_info": ["Offer 18 is not in your basket."]},
            }
        },
        "404": {"Not in the basket": {"detail": "Offer 18 is not in your basket.", "code": "not_found"}},
    },
    "DELETE /basket/": {
        "summary": "Remove a line from the basket",
        "200": {"The basket without the line": {**BASKET, "items": [LINES[1]], "total": "74990.00"}},
        "404": {"Not in the basket": {"detail": "Offer 18 is not in your basket.", "code": "not_found"}},
    },
    "POST /orders/confirm/": {
        "summary": "Place the basket as an order",
        "request": {
            "With a saved contact": {"id": 41, "contact": 3},
            "With an address and a phone": {
                "id": 41,
                "address": "Москва, Тверская 7, кв. 12",
                "phone": "+7 916 123-45-67",
            },
        },
        "200": {"The placed order": ORDER},
        "400": {
            "Stock ran out": {
                "detail": STOCK,
                "code": "out_of_stock",
            }
        },
        "403": {"The address is not confirmed yet": NOT_CONFIRMED},
        "409": {
            "Placed already": {"detail": "Order #41 is already placed (state: New).", "code": "not_a_basket"}
        },
    },
    "GET /orders/": {
        "summary": "Your placed orders, newest first",
        "200": {
            "One page": {
                "count": 1,
                "next": None,
                "previous": None,
                "results": [
                    {
                        "id": 41,
                        "state": "new",
                        "created": ORDER["created"],
                        "confirmed_at": ORDER["confirmed_at"],
                        "goods_total": "234970.00",
                        "delivery_total": "1000.00",
                        "total": "235970.00",
                        "items_count": 2,
                    }
                ],
            }
        },
    },
    "GET /orders/info/": {
        "summary": "One of your orders, with its lines, its shipments and history",
        "200": {"The order": ORDER},
    },
    "POST /orders/cancel/": {
        "summary": "Cancel one of your orders while no shipment is assembled yet",
        "request": {"The order": {"id": 41}},
        "200": {
            "Canceled": {
                **ORDER,
                "state": "canceled",
                "shipments": [{**shipment, "state": "canceled"} for shipment in SHIPMENTS],
                "history": [
                    *ORDER["history"],
                    {
                        "from": "new",
                        "to": "canceled",
                        "when": "2026-11-30T11:02:13.118512+03:00",
                        "note": "",
                        "shipment": 57,
                    },
                    {
                        "from": "new",
                        "to": "canceled",
                        "when": "2026-11-30T11:02:13.118512+03:00",
                        "note": "",
                        "shipment": 58,
                    },
                ],
            }
        },
        "409": {
            "A shipment is assembled": {
                "detail": "Order #41 can no longer be canceled: the part from ТехноМир is already “Assembled”.",
                "code": "invalid_transition",
            }
        },
    },
    "GET /partner/orders/": {
        "summary": "Your shipments, newest first: your lines only, and where to deliver them",
        "200": {"One page": {"count": 1, "next": None, "previous": None, "results": [PARTNER_SHIPMENT]}},
        "403": {"Not a partner": {"detail": "Only partners can do this.", "code": "permission_denied"}},
    },
    "POST /partner/orders/{shipment_id}/state/": {
        "summary": "Move one of your shipments: confirm, assemble, send (with a tracking number), deliver or cancel",
        "request": {
            "Confirm": {"state": "confirmed"},
            "Send with a tracking number": {"state": "sent", "tracking_number": "RA123456789RU"},
            "Cancel with a reason": {"state": "canceled", "reason": "Нет на складе"},
        },
        "200": {"The shipment": {**PARTNER_SHIPMENT, "state": "confirmed"}},
        "400": {
            "Canceled without a reason": {
                "detail": "reason: Say why the shipment is canceled: the customer reads the reason.",
                "code": "invalid",
                "errors": {"reason": ["Say why the shipment is canceled: the customer reads the reason."]},
            }
        },
        "404": {"Not yours": {"detail": "Not found.", "code": "not_found"}},
        "409": {
            "Not a move it may make": {
                "detail": (
                    "Shipment #57 (ТехноМир) cannot move from “Confirmed” to “Delivered”; "
                    "it may move to “Assembled”, “Canceled”."
                ),
                "code": "invalid_transition",
            }
        },
    },
}
