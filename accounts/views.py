"""The pages that the confirmation and password-reset e-mails link to: small server-rendered forms, in the
admin's look, for people; `/register/confirm/` and `/password_reset/confirm/` stay for programs.

Each page counts against the same limits as its API twin (`config.api.throttling`): opening it counts
as an anonymous request, submitting it also in the twin's own scope. A link only shows a form; the
change happens on a POST carrying the CSRF token, so a mail scanner that follows links changes nothing.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache

from accounts import services
from accounts.forms import EmailConfirmationForm, NewPasswordForm
from accounts.models import User
from config.api.throttling import AnonThrottle, PasswordResetThrottle, RegisterThrottle, page_throttle_wait


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    # The admin's look and site title; no "return to site" link: the site root is the API.
    context = {**admin.site.each_context(request), "site_url": None, **context}
    response = render(request, f"accounts/{template}", context, status=status)
    # The token is in the address: never send it to another site as a Referer (`no-referrer` would also
    # make browsers send `Origin: null` with the form, which the CSRF check rightly refuses).
    response["Referrer-Policy"] = "same-origin"
    return response


def _throttled(request: HttpRequest, wait: int) -> HttpResponse:
    minutes = max(1, math.ceil(wait / 60))
    message = ngettext(
        "Too many attempts from your address. Try again in %(minutes)d minute.",
        "Too many attempts from your address. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    response = _render(
        request, "link_page.html", {"title": _("Try again later"), "error": message}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


def _sign_in_context(user: User) -> dict[str, Any]:
    """How the person signs in next: the back office for staff, their program (the API) for others."""
    return {"signed_user": user, "back_office": user.is_staff and user.is_active}


@method_decorator(never_cache, name="dispatch")
class EmailConfirmationPage(View):
    """`/account/confirm-email/?token=…`: shows the address and a button that confirms it."""

    throttles = (AnonThrottle,)
    submit_throttles = (AnonThrottle, RegisterThrottle)

    def get(self, request: HttpRequest) -> HttpResponse:
        wait = page_throttle_wait(request, self.throttles)
        if wait is not None:
            return _throttled(request, wait)
        token = request.GET.get("token", "")
        user = services.user_from_email_confirmation_token(token=token) if token else None
        if user is None:
            return self._invalid(request)
        form = EmailConfirmationForm(initial={"token": token})
        return _render(
            request,
            "confirm_email.html",
            {
                "title": _("Confirm your e-mail address"),
                "form": form,
                "email": user.email,
                "confirmed": False,
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        wait = page_throttle_wait(request, self.submit_throttles)
        if wait is not None:
            return _throttled(request, wait)
        form = EmailConfirmationForm(request.POST)
        if not form.is_valid():
            return self._invalid(request)
        try:
            user = services.confirm_email(token=form.cleaned_data["token"])
        except ValidationError:
            return self._invalid(request)
        return _render(
            request,
            "confirm_email.html",
            {
                "title": _("Address confirmed"),
                "email": user.email,
                "confirmed": True,
                **_sign_in_context(user),
            },
        )

    def _invalid(self, request: HttpRequest) -> HttpResponse:
        return _render(
            request,
            "link_page.html",
            {
                "title": _("Confirm your e-mail address"),
                "error": _("The confirmation link is invalid or has expired."),
                "hint": _(
                    "Ask for a new link where you registered, or send your address to "
                    "POST /register/confirm/resend/. A link works for a few days, and only for the "
                    "address it was sent to."
                ),
            },
            status=400,
        )


@method_decorator(never_cache, name="dispatch")
class PasswordResetPage(View):
    """`/account/reset-password/?token=…`: asks for the new password twice and sets it."""

    throttles = (AnonThrottle,)
    submit_throttles = (AnonThrottle, PasswordResetThrottle)

    def get(self, request: HttpRequest) -> HttpResponse:
        wait = page_throttle_wait(request, self.throttles)
        if wait is not None:
            return _throttled(request, wait)
        token = request.GET.get("token", "")
        user = services.user_from_password_reset_token(token=token) if token else None
        if user is None:
            return self._invalid(request)
        return self._form_page(request, NewPasswordForm(initial={"token": token}), user)

    def post(self, request: HttpRequest) -> HttpResponse:
        wait = page_throttle_wait(request, self.submit_throttles)
        if wait is not None:
            return _throttled(request, wait)
        form = NewPasswordForm(request.POST)
        token = request.POST.get("token", "")
        user = services.user_from_password_reset_token(token=token) if token else None
        if user is None:
            return self._invalid(request)
        if not form.is_valid():
            return self._form_page(request, form, user, status=400)
        try:
            user = services.reset_password(token=token, password=form.cleaned_data["new_password1"])
        except ValidationError as error:
            errors = error.message_dict
            if "token" in errors:
                return self._invalid(request)
            form.add_error("new_password1", errors.get("password", error.messages))
            return self._form_page(request, form, user, status=400)
        return _render(
            request,
            "reset_password.html",
            {"title": _("Password changed"), "done": True, **_sign_in_context(user)},
        )

    def _form_page(
        self, request: HttpRequest, form: NewPasswordForm, user: User, status: int = 200
    ) -> HttpResponse:
        return _render(
            request,
            "reset_password.html",
            {"title": _("Set a new password"), "form": form, "username": user.get_username(), "done": False},
            status=status,
        )

    def _invalid(self, request: HttpRequest) -> HttpResponse:
        return _render(
            request,
            "link_page.html",
            {
                "title": _("Set a new password"),
                "error": _("The reset link is invalid or has expired."),
                "hint": _(
                    "A link works once, and only until the password changes. Ask for a new one where you "
                    "signed in, or send your address to POST /password_reset/."
                ),
            },
            status=400,
        )
