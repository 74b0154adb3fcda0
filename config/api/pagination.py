"""Pagination of every list endpoint: `?page=` and `?page_size=`, with a clear 400 for a bad value; the
product listing also reads keyset pages (`?cursor=`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


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


class PageOrCursorPagination(Pagination):
    """Page numbers exactly as `Pagination`, or keyset pages: `?cursor=` continues after the last row of
    the page that handed it out, as fast deep in a large listing as at its start.

    Every page answers `next_cursor`, the link of the following page by cursor (null on the last), so a
    client can switch from page numbers at any point; a page read by cursor answers its `next` link with
    a cursor too, and `previous` null. `?cursor=` with no value starts at the first page.

    The listing (the view's queryset) provides `count()`, slices, `page_after(cursor, size)` (raising
    `ValueError` for a cursor it did not hand out) and `cursor_after(row)`.
    """

    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list | None:
        self.request = request
        self.listing = queryset
        raw = request.query_params.get(self.cursor_query_param)
        self.by_cursor = raw is not None
        if not self.by_cursor:
            rows = super().paginate_queryset(queryset, request, view)
            self.next_cursor = queryset.cursor_after(rows[-1]) if rows and self.page.has_next() else None
            return rows
        if request.query_params.get(self.page_query_param):
            raise exceptions.ValidationError(
                {self.cursor_query_param: [_("Send either page or cursor, not both.")]}, code="invalid"
            )
        size = self.get_page_size(request)
        try:
            rows = queryset.page_after(raw or None, size + 1)
        except ValueError:
            raise exceptions.ValidationError(
                {
                    self.cursor_query_param: [
                        _(
                            "This cursor was not handed out by this listing with this ordering; "
                            "start again from a first page's next_cursor link."
                        )
                    ]
                },
                code="invalid_cursor",
            ) from None
        self.next_cursor = queryset.cursor_after(rows[size - 1]) if len(rows) > size else None
        return rows[:size]

    def _cursor_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, self.next_cursor)

    def get_paginated_response(self, data: list) -> Response:
        if self.by_cursor:
            count, next_link, previous_link = self.listing.count(), self._cursor_link(), None
        else:
            count, next_link, previous_link = (
                self.page.paginator.count,
                self.get_next_link(),
                self.get_previous_link(),
            )
        return Response(
            {
                "count": count,
                "next": next_link,
                "previous": previous_link,
                "next_cursor": self._cursor_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        properties = paginated["properties"]
        paginated["properties"] = {
            **{name: value for name, value in properties.items() if name != "results"},
            "next_cursor": {
                "type": "string",
                "nullable": True,
                "format": "uri",
                "description": "The following page by cursor (keyset); null on the last page.",
            },
            "results": properties["results"],
        }
        return paginated

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "A `next_cursor` link's cursor: the page after it (instead of `page`).",
                "schema": {"type": "string"},
            },
        ]
