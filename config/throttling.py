"""API throttles whose rates are read from settings at request time (scopes: anon, login, register,
password_reset).

Kept apart from `config.api`: DRF's APIView imports the default throttle classes when it is defined,
so this module must not import DRF's views.
"""

from __future__ import annotations

from typing import Any

from rest_framework import throttling
from rest_framework.settings import api_settings


class _RatesFromSettingsMixin:
    """Read the rate at request time: DRF copies THROTTLE_RATES onto the class once, at import."""

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope)


class AnonThrottle(_RatesFromSettingsMixin, throttling.AnonRateThrottle):
    """Every anonymous request, per client address (scope `anon`)."""


class _ScopedByAddressThrottle(_RatesFromSettingsMixin, throttling.SimpleRateThrottle):
    """Every request to one sensitive endpoint, per client address, whoever is logged in."""

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginThrottle(_ScopedByAddressThrottle):
    scope = "login"


class RegisterThrottle(_ScopedByAddressThrottle):
    scope = "register"


class PasswordResetThrottle(_ScopedByAddressThrottle):
    scope = "password_reset"
