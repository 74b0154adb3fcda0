"""Reads of price-list imports, with the visibility rule kept in one place."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from partners.models import PriceListImport


def imports_visible_to(
    user: User, imports: QuerySet[PriceListImport] | None = None
) -> QuerySet[PriceListImport]:
    """Managers see every import; a partner the imports it made and those into its shops (a manager
    may import on its behalf); everyone else none. `imports` narrows a queryset the caller built."""
    if imports is None:
        imports = PriceListImport.objects.select_related("shop", "partner")
    if not user.is_authenticated or not user.is_active:
        return imports.none()
    if user.is_manager:
        return imports.all()
    return imports.filter(Q(partner=user) | Q(shop__owner=user))
