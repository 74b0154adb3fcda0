"""The authentication backend: Django's password check behind the sign-in limits of `login_limits`, for a
username or an e-mail address."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import check_password_with_timing_attack_mitigation, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.views.decorators.debug import sensitive_variables

from accounts import login_limits
from accounts.selectors import user_for_login
from config.api.client_address import client_rate_key


class LoginLimitBackend(ModelBackend):
    """`ModelBackend` for every password sign-in (the admin, `/get_token/`, `/refresh_token/`, and any
    later login form): a username locked out from the client is refused before its password is checked.

    The name may be the username or the account's e-mail address in any case (`email=` looks up the
    address only): the original service's clients sign in with the address. Attempts count on the
    account the name means (`login_limits.counted_username`), however it was typed.

    Being the backend, not code in each view, no way of signing in can forget the limits. Calls without a
    request (management commands, scripts on the server) have no client to count and are not limited.
    """

    @sensitive_variables("password")
    def authenticate(
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        email: str | None = None,
        **kwargs: Any,
    ) -> Any:
        email_only = email is not None
        login = email if email_only else username
        if login is None:
            login = kwargs.get(get_user_model().USERNAME_FIELD)
        if login is None or password is None:
            return None
        account = user_for_login(login, email_only=email_only)
        # Attempts count on the account's own username; an unknown name counts as typed.
        username = account.username if account is not None else login
        if request is not None:
            address = client_rate_key(request)
            if login_limits.begin_login_attempt(username=username, address=address) is not None:
                # Stops Django's authenticate() for every backend; the caller asks `login_refusal` why.
                raise PermissionDenied
        # Without an account the default hasher still runs, so an unknown name takes as long as a known one.
        if not (
            check_password_with_timing_attack_mitigation(account, password)
            and self.user_can_authenticate(account)
        ):
            return None
        if request is not None:
            login_limits.record_successful_login(username=username, address=address)
        return account

    async def aauthenticate(
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        email: str | None = None,
        **kwargs: Any,
    ) -> Any:
        # ModelBackend's own async path would skip the limits.
        return await sync_to_async(self.authenticate)(
            request, username=username, password=password, email=email, **kwargs
        )
