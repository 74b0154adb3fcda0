"""Who may call an endpoint, by role (the roles are defined once, on the user)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from rest_framework import permissions
from rest_framework.request import Request


class IsPartner(permissions.BasePermission):
    """Partner accounts only."""

    message = gettext_lazy("Only partners can do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_partner)


class IsPartnerOrManager(permissions.BasePermission):
    """Partner accounts, and the managers who look after them."""

    message = gettext_lazy("Only partners can do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_partner or user.is_manager))
