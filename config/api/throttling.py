"""API throttles (scopes: anon, user, login, register, password_reset), rates read at request time and
clients told apart by `config.api.client_address`.

Kept apart from `config.api.errors`: DRF's APIView imports the default throttle classes when it is defined,
so this module must not import DRF's views.
"""

from __future__ import annotations

import math
from typing import Any

from rest_framework import throttling
from rest_framework.settings import api_settings

from config.api.client_address import client_rate_key


class _ProjectThrottleMixin:
    """Read the rate at request time (DRF copies THROTTLE_RATES onto the class once, at import) and key
    clients by the project's address rule, never by the raw X-Forwarded-For header as DRF does."""

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope)

    def get_ident(self, request: Any) -> str:
        return client_rate_key(request)


class AnonThrottle(_ProjectThrottleMixin, throttling.AnonRateThrottle):
    """Every anonymous request, per client address (scope `anon`)."""


class UserThrottle(_ProjectThrottleMixin, throttling.UserRateThrottle):
    """Every request of a signed-in user, per user, from wherever it comes (scope `user`)."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            # Anonymous requests are counted by AnonThrottle, per address.
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class _ScopedByAddressThrottle(_ProjectThrottleMixin, throttling.SimpleRateThrottle):
    """Every request to one sensitive endpoint, per client address, whoever is logged in."""

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginThrottle(_ScopedByAddressThrottle):
    scope = "login"


class RegisterThrottle(_ScopedByAddressThrottle):
    scope = "register"


class PasswordResetThrottle(_ScopedByAddressThrottle):
    scope = "password_reset"


def page_throttle_wait(request: Any, throttles: tuple[type[throttling.BaseThrottle], ...]) -> int | None:
    """For pages outside DRF that share an API endpoint's limits (the pages e-mail links open): count
    this request with each throttle, as DRF would; the seconds to wait when any refuses, else None."""
    waits = []
    for throttle_class in throttles:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait() or 1)
    return math.ceil(max(waits)) if waits else None
