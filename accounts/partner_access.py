"""Admin access of partner users: who counts as a partner in the back office, and granting that access."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from unfold.contrib.filters.admin import RelatedDropdownFilter

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
    """A shop filter whose choices, for a partner, are only the partner's own shops."""

    def field_choices(self, field, request, model_admin):
        if not is_partner_user(request.user):
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, limit_choices_to={"owner": request.user}, ordering=ordering
        )
