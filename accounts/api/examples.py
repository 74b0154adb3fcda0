"""Request and response examples of the accounts API for the OpenAPI document (`config.openapi` attaches
them to the operations, keyed by method and path; a test checks each against its schema)."""

from __future__ import annotations

PASSWORD = "Str0ng-Passw0rd!"
TOKEN = "6606aa7f91a043456c9a6b3280bc8bf47f2e958cdec06199761cc8f21a7d193f"
USER = {
    "id": 7,
    "username": "ivan",
    "email": "ivan.p@example.com",
    "first_name": "Иван",
    "last_name": "Петров",
    "company": "Сеть магазинов «Уголок»",
    "position": "Менеджер по закупкам",
    "type": "buyer",
    "is_email_verified": True,
}
CONTACT = {
    "id": 3,
    "city": "Москва",
    "street": "ул. Большая Полянка",
    "house": "28",
    "structure": "",
    "building": "1",
    "apartment": "14",
    "phone": "+74951234567",
    "address": "Москва, ул. Большая Полянка, д. 28, корп. 1, кв. 14",
}
CONTACT_INPUT = {
    "city": "Москва",
    "street": "ул. Большая Полянка",
    "house": "28",
    "building": "1",
    "apartment": "14",
    "phone": "+7 495 123-45-67",
}
INVALID_CREDENTIALS = {
    "detail": "Unable to log in with the provided username and password.",
    "code": "invalid_credentials",
}
NOT_CONFIRMED = {
    "detail": (
        "Confirm your e-mail address before signing in. Open the link in the confirmation e-mail, or ask "
        'for a new one: POST /register/confirm/resend/ with {"email": "<your address>"}.'
    ),
    "code": "email_not_confirmed",
}
LOCKED = {"detail": "Too many failed login attempts. Try again in 15 minutes.", "code": "login_locked"}
SIGN_IN = {
    "By e-mail address (any case), as the original service signs in": {
        "username": "Ivan.P@example.com",
        "password": PASSWORD,
    },
    "By username": {"username": "ivan", "password": PASSWORD},
    "With an email field": {"email": "ivan.p@example.com", "password": PASSWORD},
}
SIGN_IN_ERRORS = {
    "401": {"Wrong password, or no such user": INVALID_CREDENTIALS},
    "403": {"The account has never confirmed its address (EMAIL_CONFIRMATION=mandatory)": NOT_CONFIRMED},
    "429": {"Locked after repeated failures": LOCKED},
}
RESET_SENT = {"detail": "If an account with this email exists, we have sent it a password reset link."}

EXAMPLES = {
    "POST /register/": {
        "request": {
            "A buyer": {
                "username": "ivan",
                "password": PASSWORD,
                "first_name": "Иван",
                "last_name": "Петров",
                "email": "ivan.p@example.com",
                "company": "Сеть магазинов «Уголок»",
                "position": "Менеджер по закупкам",
            }
        },
        "201": {"The new account; a confirmation link is e-mailed": {**USER, "is_email_verified": False}},
        "400": {
            "Every field with its problems": {
                "detail": "username: A user with this username already exists.",
                "code": "unique",
                "errors": {
                    "username": ["A user with this username already exists."],
                    "password": ["This password is too common."],
                    "email": ["Enter a valid email address."],
                },
            }
        },
    },
    "POST /register/confirm/": {
        "request": {
            "The token from the e-mail": {
                "token": "eyJ1c2VyIjo3LCJlbWFpbCI6Iml2YW4ucEBleGFtcGxlLmNvbSJ9:1vPiRb:Q8"
            }
        },
        "200": {"Confirmed": USER},
        "400": {
            "Forged, expired, or for an earlier address": {
                "detail": "token: The confirmation link is invalid or has expired.",
                "code": "invalid_token",
                "errors": {"token": ["The confirmation link is invalid or has expired."]},
            }
        },
    },
    "POST /register/confirm/resend/": {
        "request": {"The address to confirm": {"email": "ivan.p@example.com"}},
        "200": {
            "The same answer for every address": {
                "detail": "If an account with this address is waiting for confirmation, we have sent it a new link."
            }
        },
    },
    "POST /get_token/": {"request": SIGN_IN, "200": {"A new token": {"token": TOKEN}}, **SIGN_IN_ERRORS},
    "POST /refresh_token/": {
        "request": SIGN_IN,
        "200": {"The only token that works now": {"token": TOKEN}},
        **SIGN_IN_ERRORS,
    },
    "GET /user/": {"200": {"The signed-in user": USER}},
    "PATCH /user/": {
        "request": {
            "A new company": {"company": "Сеть магазинов «Уголок»"},
            "A new address (to be confirmed; it signs in at once)": {"email": "ivan.petrov@example.com"},
            "A new password": {"current_password": PASSWORD, "new_password": "Another-Horse-77"},
        },
        "200": {"The changed profile": USER},
        "400": {
            "A field that cannot be changed": {
                "detail": "type: This field cannot be set here.",
                "code": "not_allowed",
                "errors": {"type": ["This field cannot be set here."]},
            }
        },
    },
    "PUT /user/": {
        "request": {
            "Every profile field": {
                "first_name": "Иван",
                "last_name": "Петров",
                "email": "ivan.p@example.com",
                "company": "Сеть магазинов «Уголок»",
                "position": "Менеджер по закупкам",
            }
        },
        "200": {"The new profile": USER},
    },
    "GET /user/contacts/": {"200": {"The user's contacts": [CONTACT]}},
    "POST /user/contacts/": {
        "request": {"A delivery address": CONTACT_INPUT},
        "201": {"The new contact (the phone in E.164)": CONTACT},
        "400": {
            "Not a phone number": {
                "detail": "phone: Enter a valid phone number, e.g. +7 916 123-45-67.",
                "code": "invalid_phone",
                "errors": {"phone": ["Enter a valid phone number, e.g. +7 916 123-45-67."]},
            }
        },
    },
    "GET /user/contacts/{contact_id}/": {"200": {"One contact": CONTACT}},
    "PATCH /user/contacts/{contact_id}/": {
        "request": {"A new phone": {"phone": "8 (916) 123-45-67"}},
        "200": {"The changed contact": {**CONTACT, "phone": "+79161234567"}},
    },
    "DELETE /user/contacts/{contact_id}/": {},
    "POST /password_reset/": {
        "request": {"The account's address": {"email": "ivan.p@example.com"}},
        "200": {"The same answer for every address": RESET_SENT},
    },
    "POST /password_reset/confirm/": {
        "request": {
            "The token from the e-mail and the new password": {
                "token": "Nw-cgsdxq-5d0c9b3c1e2f4a6b8d0e1f2a3b4c5d6e",
                "password": "Another-Horse-77",
            }
        },
        "200": {"Changed": {"detail": "Your password has been changed. Get a new token to continue."}},
        "400": {
            "Used, expired or forged": {
                "detail": "token: The reset link is invalid or has expired.",
                "code": "invalid_token",
                "errors": {"token": ["The reset link is invalid or has expired."]},
            }
        },
    },
}
