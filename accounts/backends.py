"""The authentication backend: Django's password check behind the sign-in limits of `login_limits`."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts import login_limits
from config.api.client_address import client_rate_key


class LoginLimitBackend(ModelBackend):
    """`ModelBackend` for every password sign-in (the admin, `/get_token/`, `/refresh_token/`, and any
    later login form): a username locked out from the client is refused before its password is checked.

    Being the backend, not code in each view, no way of signing in can forget the limits. Calls without a
    request (management commands, scripts on the server) have no client to count and are not limited.
    """

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if request is None or username is None or password is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        address = client_rate_key(request)
        if login_limits.begin_login_attempt(username=username, address=address) is not None:
            # Stops Django's authenticate() for every backend; the caller asks `login_refusal` for why.
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            login_limits.record_successful_login(username=username, address=address)
        return user

    async def aauthenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        # ModelBackend's own async path would skip the limits.
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)
