"""Forms of the accounts app outside the API: the admin sign-in form, and the pages that e-mail links open."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.forms import AuthenticationForm
from unfold.widgets import UnfoldAdminPasswordWidget

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


class NewPasswordForm(forms.Form):
    """The page a password-reset link opens: the new password twice; the service checks its strength."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=500)
    new_password1 = forms.CharField(
        label=_("New password"),
        max_length=128,
        strip=False,
        widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password", "autofocus": ""}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        max_length=128,
        strip=False,
        widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"}),
    )

    def clean_new_password2(self) -> str:
        first, second = self.cleaned_data.get("new_password1"), self.cleaned_data.get("new_password2")
        if first and second and first != second:
            raise ValidationError(_("The two passwords do not match."), code="password_mismatch")
        return second


class EmailConfirmationForm(forms.Form):
    """The page a confirmation link opens: one button, so a mail scanner that follows links confirms
    nothing (a POST with the CSRF token does)."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=1000)
