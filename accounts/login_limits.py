"""Sign-in limits of the admin and the API: failed passwords counted per username and client address,
with a higher ceiling per username that never locks its owner out of the addresses they use.

The rules (settings, read at each call):

- A username that fails `LOGIN_FAILURE_LIMIT` times from one client address within
  `LOGIN_LOCKOUT_MINUTES` is refused from that address, without its password being checked, until
  `LOGIN_LOCKOUT_MINUTES` after the failure that reached the limit. A successful sign-in from the address
  forgets its failures. A victim's own address is never locked by an attacker elsewhere.
- A username that fails `LOGIN_ACCOUNT_FAILURE_LIMIT` times within `LOGIN_LOCKOUT_MINUTES`, from any
  number of addresses, is refused from every address it has not signed in from in the last
  `LOGIN_KNOWN_ADDRESS_DAYS` days, until enough of those failures are older than the window. So one
  account cannot be guessed at from many addresses (at most that many guesses per window), and an
  attacker who keeps failing cannot lock the owner out of the addresses they sign in from.

An attempt is counted as failed *before* its password is checked and forgotten when it succeeds, under a
row lock: parallel guesses cannot all slip past the check before any of them is recorded.
Addresses are the keys of `config.api.client_address.client_rate_key` (an IPv6 client by its /64).
Usernames are the accounts' own (`counted_username`): an attempt by e-mail address counts on the account
the address belongs to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import KnownLoginAddress, LoginFailure
from accounts.selectors import user_for_login

USERNAME_MAX_LENGTH = 150


@dataclass(frozen=True)
class LoginRefusal:
    """A sign-in refused without checking the password, and how long until one may be checked again."""

    retry_after: int  # seconds

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        return ngettext(
            "Too many failed login attempts. Try again in %(minutes)d minute.",
            "Too many failed login attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}


class LoginRefused(Exception):
    """The credentials were not checked: this username is locked out from this client."""

    def __init__(self, refusal: LoginRefusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def username_key(username: str) -> str:
    """The username as counted: case-folded, so `Anna` and `ANNA` share one count."""
    return username.casefold()[:USERNAME_MAX_LENGTH]


def counted_username(login: str, *, email_only: bool = False) -> str:
    """The name a sign-in attempt counts under: the account's username when `login` names an account
    (its username, or its e-mail address in any case: `accounts.selectors.user_for_login`), else `login`
    as typed.

    So guesses by username and by address add up on one account instead of doubling the attacker's
    budget, and an address that names no account is counted like any unknown name: the answers are the
    same whether or not it exists.
    """
    user = user_for_login(login, email_only=email_only)
    return user.username if user is not None else login


def _window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _is_known_address(*, key: str, address: str, now: datetime) -> bool:
    since = now - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
    return KnownLoginAddress.objects.filter(username=key, address=address, last_login_at__gt=since).exists()


def login_refusal(*, username: str, address: str, now: datetime | None = None) -> LoginRefusal | None:
    """Why a sign-in with `username` from `address` would be refused now, or None when it may be tried."""
    now = now or timezone.now()
    key = username_key(username)
    window_start = now - _window()
    in_window = Q(first_failure_at__gt=window_start)
    summary = (
        LoginFailure.objects.filter(username=key)
        .filter(in_window | Q(locked_until__gt=now))
        .aggregate(
            address_locked_until=Max("locked_until", filter=Q(address=address, locked_until__gt=now)),
            account_failures=Sum("failures", filter=in_window),
            oldest_in_window=Min("first_failure_at", filter=in_window),
        )
    )
    if summary["address_locked_until"] is not None:
        return LoginRefusal(retry_after=_seconds_until(summary["address_locked_until"], now))
    if (summary["account_failures"] or 0) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT and not _is_known_address(
        key=key, address=address, now=now
    ):
        return LoginRefusal(retry_after=_seconds_until(summary["oldest_in_window"] + _window(), now))
    return None


@transaction.atomic
def begin_login_attempt(*, username: str, address: str) -> LoginRefusal | None:
    """Count one attempt as failed before its password is checked; the refusal if it may not be tried.

    Call `record_successful_login` when the password turns out right.
    """
    now = timezone.now()
    refusal = login_refusal(username=username, address=address, now=now)
    if refusal is not None:
        return refusal
    failure, _ = LoginFailure.objects.select_for_update().get_or_create(
        username=username_key(username),
        address=address,
        defaults={"failures": 0, "first_failure_at": now, "last_failure_at": now},
    )
    if failure.locked_until is not None and failure.locked_until > now:
        # Another attempt reached the limit between the check above and this row lock.
        return LoginRefusal(retry_after=_seconds_until(failure.locked_until, now))
    if failure.first_failure_at <= now - _window():
        failure.failures = 0
        failure.first_failure_at = now
    failure.failures += 1
    failure.last_failure_at = now
    failure.locked_until = now + _window() if failure.failures >= settings.LOGIN_FAILURE_LIMIT else None
    failure.save(update_fields=["failures", "first_failure_at", "last_failure_at", "locked_until"])
    return None


@transaction.atomic
def record_successful_login(*, username: str, address: str) -> None:
    """The password was right: forget this address's failures for the username and remember the address."""
    key = username_key(username)
    LoginFailure.objects.filter(username=key, address=address).delete()
    KnownLoginAddress.objects.update_or_create(
        username=key, address=address, defaults={"last_login_at": timezone.now()}
    )


def clear_login_failures(*, failures: QuerySet[LoginFailure]) -> int:
    """Unlock: forget these failures (a manager's decision in the admin); returns how many rows went."""
    deleted, _ = failures.delete()
    return deleted


def delete_stale_login_records(*, now: datetime | None = None) -> int:
    """Delete failures that no longer count and known addresses past their time; returns how many."""
    now = now or timezone.now()
    stale_failures = LoginFailure.objects.filter(first_failure_at__lte=now - _window()).exclude(
        locked_until__gt=now
    )
    failures_deleted, _ = stale_failures.delete()
    addresses_deleted, _ = KnownLoginAddress.objects.filter(
        last_login_at__lte=now - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
    ).delete()
    return failures_deleted + addresses_deleted
