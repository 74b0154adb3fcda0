"""The OpenAPI document a client author reads: every operation's summary, and request and response
examples (each app's `api/examples.py`, keyed by method and path), with the error shape shown for every
error status an operation documents. A postprocessing hook of drf-spectacular (SPECTACULAR_SETTINGS)."""

from __future__ import annotations

from typing import Any

from accounts.api import examples as accounts_examples
from catalog.api import examples as catalog_examples
from orders.api import examples as orders_examples
from partners.api import examples as partners_examples

FORM_MEDIA_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
HTTP_METHODS = frozenset({"get", "put", "post", "patch", "delete", "head", "options", "trace"})

# The error shape by status, for operations whose own examples do not show one.
ERROR_EXAMPLES: dict[str, dict[str, Any]] = {
    "400": {
        "Invalid input: every field with its problems": {
            "detail": "quantity: A valid integer is required.",
            "code": "invalid",
            "errors": {
                "quantity": ["A valid integer is required."],
                "product_info": ["This field is required."],
            },
        }
    },
    "401": {
        "No token": {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"},
        "A wrong or expired token": {"detail": "Invalid token.", "code": "authentication_failed"},
    },
    "403": {
        "Not allowed for this user": {"detail": "Only partners can do this.", "code": "permission_denied"}
    },
    "404": {"Not found, or not yours": {"detail": "Not found.", "code": "not_found"}},
    "405": {"Method not allowed": {"detail": 'Method "PUT" not allowed.', "code": "method_not_allowed"}},
    "409": {
        "The object is not in a state that allows this": {
            "detail": "Order #41 is already placed (state: New).",
            "code": "not_a_basket",
        }
    },
    "413": {
        "Too large": {
            "detail": "The price list is larger than the limit of 167772160 bytes.",
            "code": "too_large",
        }
    },
    "429": {
        "Too many requests (see Retry-After)": {
            "detail": "Request was throttled. Expected available in 42 seconds.",
            "code": "throttled",
        }
    },
}


def registered_examples() -> dict[str, dict[str, Any]]:
    """Every app's examples by `"METHOD /path/"`."""
    registry: dict[str, dict[str, Any]] = {}
    for module in (accounts_examples, catalog_examples, partners_examples, orders_examples):
        registry.update(module.EXAMPLES)
    return registry


def _examples_object(named: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"example{index}": {"summary": summary, "value": value}
        for index, (summary, value) in enumerate(named.items(), start=1)
    }


def attach_examples(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: summaries where the view gives none, and examples."""
    registry = registered_examples()
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            entry = registry.get(f"{method.upper()} {path}", {})
            if entry.get("summary") and not operation.get("summary"):
                operation["summary"] = entry["summary"]
            body = operation.get("requestBody")
            if body and entry.get("request"):
                for media_type, content in body.get("content", {}).items():
                    if media_type == "application/json" or len(body["content"]) == 1:
                        content["examples"] = _examples_object(entry["request"])
                    elif media_type in FORM_MEDIA_TYPES and entry.get("request_form"):
                        content["examples"] = _examples_object(entry["request_form"])
            for status, response in operation.get("responses", {}).items():
                named = entry.get(status) or ERROR_EXAMPLES.get(status)
                if not named:
                    continue
                for content in response.get("content", {}).values():
                    content["examples"] = _examples_object(named)
    return result
