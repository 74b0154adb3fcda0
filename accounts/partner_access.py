"""Admin access of partner users: who counts as a partner in the back office, granting that access, and
what a partner may ask of an admin list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth.models import Group
from django.core.exceptions import BadRequest
from django.db import transaction
from django.utils.translation import gettext
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.views import ChangeList

from accounts.models import User

PARTNERS_GROUP = "Partners"


def is_partner_user(user) -> bool:
    """A partner in the admin sees only its own shops' data; superusers always see everything."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "type", None) == User.Type.SHOP
        and not user.is_superuser
    )


def is_manager_user(user) -> bool:
    """Staff who run the whole store: every staff user that is not a partner."""
    return bool(getattr(user, "is_authenticated", False) and user.is_manager)


@transaction.atomic
def make_partner(*, user: User) -> User:
    """Turn a user into a partner: type shop, staff access, member of the "Partners" group."""
    group, _ = Group.objects.get_or_create(name=PARTNERS_GROUP)
    user.type = User.Type.SHOP
    user.is_staff = True
    user.save(update_fields=["type", "is_staff"])
    user.groups.add(group)
    return user


class PartnersCannotChangeMixin:
    """For admins (and inlines): a partner may never add, change or delete these rows, whatever its group grants."""

    def has_add_permission(self, request, *args):
        return not is_partner_user(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return not is_partner_user(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_partner_user(request.user) and super().has_delete_permission(request, obj)


class OwnShopsFilter(RelatedDropdownFilter):
    """A shop filter whose choices, for a partner, are only the partner's own shops; it accepts no other."""

    def field_choices(self, field, request, model_admin):
        if not is_partner_user(request.user):
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, limit_choices_to={"owner": request.user}, ordering=ordering
        )

    def queryset(self, request, queryset):
        if is_partner_user(request.user) and self.lookup_val:
            offered = {str(pk) for pk, _name in self.lookup_choices}
            if not set(self.lookup_val) <= offered:
                raise IncorrectLookupParameters("a shop that is not offered")
        return super().queryset(request, queryset)


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
