"""Reads of the accounts app: whose contacts a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Contact, User


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    """A user sees only their own delivery contacts (anyone else's is a 404)."""
    if not user.is_authenticated:
        return Contact.objects.none()
    return Contact.objects.filter(user=user).order_by("id")
