"""Forms of the accounts app outside the API: the admin sign-in form."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from unfold.forms import AuthenticationForm

from accounts.login_limits import counted_username, login_refusal
from config.api.client_address import client_rate_key


class AdminLoginForm(AuthenticationForm):
    """The admin sign-in (unfold's form): an attempt refused by the sign-in limits says so and when to try
    again, instead of "wrong password", which would send the user guessing again. The username field
    takes the e-mail address too (`accounts.backends.LoginLimitBackend`)."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            username = self.cleaned_data.get("username")
            refusal = (
                login_refusal(username=counted_username(username), address=client_rate_key(self.request))
                if username and self.request is not None
                else None
            )
            if refusal is not None:
                raise ValidationError(refusal.message, code="login_locked") from None
            raise
