"""Admin plumbing every app's admin uses: what partners may do, which rows a list shows, which filters
it takes, and how actions answer. Ground of the admin: it imports no app of the project (roles are read
from the user: `is_partner`, `is_manager`)."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import BadRequest, EmptyResultSet, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.db.models.sql.where import WhereNode
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.translation import gettext
from unfold.views import ChangeList


def is_partner(user) -> bool:
    """The role as the admin sees it; an anonymous visitor has none."""
    return bool(getattr(user, "is_authenticated", False) and user.is_partner)


class PartnersCannotChangeMixin:
    """For admins (and inlines): a partner may never add, change or delete these rows, whatever its group grants."""

    def has_add_permission(self, request, *args):
        return not is_partner(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return not is_partner(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_partner(request.user) and super().has_delete_permission(request, obj)


class ManagersOnlyMixin(PartnersCannotChangeMixin):
    """Data for managers only: partners never see these rows, whatever their group grants."""

    def has_module_permission(self, request):
        return not is_partner(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return not is_partner(request.user) and super().has_view_permission(request, obj)


class VisibleRowsMixin:
    """For ModelAdmins and inlines: the rows come from the app's selector of what this user may see.

    `visible_rows` is that selector, called as `visible_rows(user, queryset)`: the admin, the dashboard
    and the API share one rule per model.
    """

    visible_rows: Callable[..., QuerySet]

    def get_queryset(self, request):
        return type(self).visible_rows(request.user, super().get_queryset(request))


class OfferedFiltersOnlyChangeList(ChangeList):
    """A changelist filtered only through the filters it offers.

    Django applies every other query parameter that names a field as a raw lookup (`?total__gt=`,
    `?items=`, `?shop=`): on a list a partner sees, that lets it ask questions of rows it is not shown
    (which of its orders hold another shop's lines), and some names crash the page. Such a parameter
    makes the list answer as for a wrong filter: Django's redirect to the unfiltered list (`?e=1`); so
    does a filter value with a NUL character.
    """

    def get_filters(self, request):
        # PostgreSQL text cannot hold NUL, so a filter value with one would fail in the database.
        lookups = self.get_filters_params()  # the search term has its own check, in Django's form
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in lookups.items()):
            raise IncorrectLookupParameters("a NUL character in a filter")
        filter_specs, has_filters, remaining, may_have_duplicates, has_active_filters = super().get_filters(
            request
        )
        if remaining:
            raise IncorrectLookupParameters(f"not a filter of this list: {', '.join(sorted(remaining))}")
        return filter_specs, has_filters, remaining, may_have_duplicates, has_active_filters


class OfferedFiltersOnlyMixin:
    """For ModelAdmins: lists (and their exports) take only the filters they offer; see the changelist."""

    def get_changelist(self, request, **kwargs):
        return OfferedFiltersOnlyChangeList

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters:
            if ERROR_FLAG not in request.GET:  # Django redirects to the unfiltered list: say why
                messages.warning(
                    request,
                    gettext(
                        "The address asked for a filter this list does not offer; the list is shown unfiltered."
                    ),
                )
            raise

    def get_export_queryset(self, request):
        try:
            return super().get_export_queryset(request)
        except IncorrectLookupParameters as error:
            raise BadRequest(
                gettext("The export was asked for a filter this list does not offer.")
            ) from error


def finish_dialog(request, url: str) -> HttpResponse:
    """Leave an action: htmx dialogs follow `HX-Redirect`, plain requests a normal redirect."""
    if request.headers.get("HX-Request"):
        return HttpResponse(headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


def report_validation_error(model_admin, request, error: ValidationError) -> None:
    """A service's refusal as admin messages, one per problem."""
    for message in error.messages:
        model_admin.message_user(request, message, messages.ERROR)


class LargeTablePaginator(Paginator):
    """A changelist paginator for tables of a million rows (issue 12).

    - The count is exact up to `EXACT_COUNT_LIMIT` (1,000: counting stops there); above it, on PostgreSQL,
      it is the planner's estimate of the filtered query, so a page never waits for a full count.
      Pair it with `show_full_result_count = False` (no second, unfiltered count).
    - A page chooses its rows by their primary keys first (a subquery: an index walk, even at a deep
      offset) and joins only those rows, instead of joining every row it skips.
    """

    EXACT_COUNT_LIMIT = 1_000

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if connection.vendor != "postgresql":  # the embedded database holds no such tables
            return rows.count()
        # Always the same two statements (an estimate, a count that stops at the limit), so a list's
        # queries do not depend on how many rows it has.
        try:
            sql, params = rows.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing (a search for `#abc`, `pk__in=[]`)
            return 0
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        exact = rows.order_by().values("pk")[: self.EXACT_COUNT_LIMIT + 1].count()
        if exact <= self.EXACT_COUNT_LIMIT:
            return exact
        return max(int(plan[0]["Plan"]["Plan Rows"]), self.EXACT_COUNT_LIMIT + 1)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        keys = self.object_list.values("pk")[bottom : bottom + self.per_page]
        # One query: the page's keys in a subquery (PostgreSQL walks an index for them), then only those
        # rows with the list's joins, columns and order. The keys hold every filter, so the outer query
        # drops them: repeated there they made PostgreSQL scan the table for rows it then threw away.
        rows = self.object_list.all()
        rows.query.where = WhereNode()
        return self._get_page(rows.filter(pk__in=keys), number, self)


class LargeTableAdminMixin:
    """For ModelAdmins of large tables: estimated counts and pages that read their keys first."""

    paginator = LargeTablePaginator
    show_full_result_count = False
