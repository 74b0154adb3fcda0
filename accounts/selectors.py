"""Reads of the accounts app: whose contacts a user may see, and which account a sign-in name means."""

from __future__ import annotations

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower

from accounts.models import Contact, User


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    """A user sees only their own delivery contacts (anyone else's is a 404)."""
    if not user.is_authenticated:
        return Contact.objects.none()
    return Contact.objects.filter(user=user).order_by("id")


def user_for_login(login: str, *, email_only: bool = False) -> User | None:
    """The account a sign-in name means, active or not: the user with exactly this username, else the
    user with this e-mail address in any case (addresses are unique whatever their case). With
    `email_only` (the `email` field of `/get_token/`) only the address is looked up.

    One query in every case, so an unknown name costs what a known one does. It compares `lower(email)`,
    the expression of the unique index, so the look-up is an index scan.
    """
    login = login.strip() if email_only else login
    if not login:
        return None
    by_email = Q(email_lower=Lower(Value(login))) & ~Q(email="")
    condition = by_email if email_only else Q(username=login) | by_email
    candidates = list(User.objects.alias(email_lower=Lower("email")).filter(condition)[:2])
    # A username wins over another account's address: that is how the name signed in before.
    for user in candidates:
        if not email_only and user.username == login:
            return user
    return candidates[0] if candidates else None
