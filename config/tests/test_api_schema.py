"""The OpenAPI schema generates cleanly and documents every endpoint of the contract."""

from __future__ import annotations

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

CONTRACT_PATHS = {
    "/register/": {"post"},
    "/register/confirm/": {"post"},
    "/register/confirm/resend/": {"post"},
    "/get_token/": {"post"},
    "/refresh_token/": {"post"},
    "/user/": {"get", "patch", "put"},
    "/user/contacts/": {"get", "post"},
    "/user/contacts/{contact_id}/": {"get", "patch", "delete"},
    "/password_reset/": {"post"},
    "/password_reset/confirm/": {"post"},
    "/products/": {"get"},
    "/products/details/": {"get"},
    "/shops/": {"get"},
    "/categories/": {"get"},
    "/products/order/": {"post"},
    "/basket/": {"get", "patch", "delete"},
    "/orders/": {"get"},
    "/orders/confirm/": {"post"},
    "/orders/info/": {"get"},
    "/orders/cancel/": {"post"},
    "/partner/orders/": {"get"},
    "/partner_update/": {"post"},
    "/partner/state/": {"get", "post"},
    "/partner/export/": {"get"},
}


@pytest.fixture(scope="module")
def schema_and_warnings():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache)
    errors = dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return schema, warnings, errors


def test_schema_generates_without_warnings_or_errors_and_is_valid_openapi(schema_and_warnings):
    schema, warnings, errors = schema_and_warnings

    assert errors == {}
    assert warnings == {}
    validate_schema(schema)


def test_schema_lists_every_endpoint_of_the_contract(schema_and_warnings):
    schema = schema_and_warnings[0]
    documented = {path: set(operations) - {"parameters"} for path, operations in schema["paths"].items()}

    missing = {
        path: sorted(methods - documented.get(path, set()))
        for path, methods in CONTRACT_PATHS.items()
        if methods - documented.get(path, set())
    }

    assert missing == {}


def test_every_documented_operation_has_a_response_shape(schema_and_warnings):
    schema = schema_and_warnings[0]
    without_shape = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method != "parameters"
        and not any(
            "content" in response or status == "204" for status, response in operation["responses"].items()
        )
    ]

    assert without_shape == []


@pytest.mark.django_db
def test_schema_and_swagger_ui_are_served():
    client = APIClient()

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/products/details/" in schema.content
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_every_paginated_list_documents_the_400_and_404_of_its_page_parameters(schema_and_warnings):
    schema = schema_and_warnings[0]
    paginated = {
        path: operations["get"]
        for path, operations in schema["paths"].items()
        if "get" in operations
        and {"page", "page_size"} <= {p["name"] for p in operations["get"].get("parameters", [])}
    }
    undocumented = {
        path: sorted({"400", "404"} - set(operation["responses"]))
        for path, operation in paginated.items()
        if {"400", "404"} - set(operation["responses"])
    }

    assert sorted(paginated) == ["/categories/", "/orders/", "/partner/orders/", "/products/", "/shops/"]
    assert undocumented == {}
    assert paginated["/orders/"]["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiError"
    }
