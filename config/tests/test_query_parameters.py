"""Every listing declares the query parameters it reads (`config.api.query_parameters`), so a misspelt
filter is a 400 and never a silently unfiltered list."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import generics
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from config.api.query_parameters import DeclaredQueryParametersMixin


def _views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "view_class"):
            yield prefix + str(pattern.pattern), pattern.callback.view_class


def test_every_list_view_of_the_api_declares_its_query_parameters():
    listings = {
        path: view
        for path, view in _views(get_resolver().url_patterns)
        if issubclass(view, generics.ListAPIView) or view.__name__.endswith("ListView")
    }

    undeclared = sorted(
        path for path, view in listings.items() if not issubclass(view, DeclaredQueryParametersMixin)
    )

    assert {"categories/", "orders/", "partner/orders/", "products/", "shops/", "user/contacts/"} <= set(
        listings
    )
    assert undeclared == []


@pytest.mark.django_db
def test_the_contact_list_refuses_an_unknown_parameter_but_posts_are_not_checked():
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(UserFactory())

    listed = client.get("/user/contacts/?city=Moscow")
    created = client.post(
        "/user/contacts/?source=app",
        {"city": "Москва", "street": "Тверская", "phone": "+79161234567"},
        format="json",
    )

    assert listed.status_code == 400
    assert listed.json()["errors"] == {"city": ["Unknown query parameter. Allowed: format."]}
    assert created.status_code == 201
