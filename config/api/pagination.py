"""Pagination of every list endpoint: `?page=` and `?page_size=`, with a clear 400 for a bad value."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


def _positive_int(raw: str, *, name: str) -> int:
    """A query parameter that must be a positive integer; anything else is a 400 naming it."""
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise exceptions.ValidationError({name: [_("A positive integer is required.")]}, code="invalid")
    return value


class Pagination(PageNumberPagination):
    """`?page=` and `?page_size=` (at most 100); a page size that is not a positive integer is a 400."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        return min(_positive_int(raw, name=self.page_size_query_param), self.max_page_size)

    def get_page_number(self, request: Any, paginator: Any) -> int:
        """`?page=` must be a positive integer (or `last`): anything else is a 400 naming `page`.

        A well-formed page past the end stays a 404, as before.
        """
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw == "":
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        return _positive_int(raw, name=self.page_query_param)
