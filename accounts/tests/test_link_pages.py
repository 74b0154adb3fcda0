"""The pages that the confirmation and password-reset e-mails link to: a form behind each link, clear
errors, CSRF protection, the API twins' limits, and links built from SITE_URL."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from knox.models import AuthToken

from accounts import services
from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, PartnerFactory, UnconfirmedUserFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-River-2031"


@pytest.fixture
def browser():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def link_in_last_email(path: str) -> str:
    match = re.search(rf"(\S+{re.escape(path)}\?token=\S+)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def csrf_form(response) -> dict[str, str]:
    return dict(re.findall(r'name="(csrfmiddlewaretoken|token)" value="([^"]*)"', response.content.decode()))


# --- the e-mails ------------------------------------------------------------------------------------


def test_the_confirmation_email_links_to_the_page_under_site_url(
    settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://shop.example.com"
    user = UnconfirmedUserFactory(email="oleg@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        services.send_email_confirmation(user=user)

    link = link_in_last_email("/account/confirm-email/")
    assert link.startswith("https://shop.example.com/account/confirm-email/?token=")
    assert f'href="{link.replace("&", "&amp;")}"' in mail.outbox[-1].alternatives[0].content


def test_the_reset_email_links_to_the_page_under_site_url(settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://shop.example.com"
    UserFactory(email="anna@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        services.request_password_reset(email="anna@example.com")

    assert link_in_last_email("/account/reset-password/").startswith(
        "https://shop.example.com/account/reset-password/?token="
    )


# --- confirming an address ----------------------------------------------------------------------------


def test_the_confirmation_link_shows_the_address_and_confirms_only_on_the_button(browser):
    user = UnconfirmedUserFactory(email="oleg@example.com")
    token = services.make_email_confirmation_token(user=user)

    page = browser.get("/account/confirm-email/", {"token": token})

    assert page.status_code == 200
    assert "Confirm that <strong>oleg@example.com</strong> is your e-mail address." in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    assert "no-store" in page["Cache-Control"]
    user.refresh_from_db()
    assert user.is_email_verified is False

    done = browser.post("/account/confirm-email/", csrf_form(page))

    assert done.status_code == 200
    assert "The address oleg@example.com is confirmed." in done.content.decode()
    user.refresh_from_db()
    assert (user.is_email_verified, user.has_ever_verified_email) == (True, True)


def test_a_confirmed_partner_is_offered_the_back_office_sign_in(browser):
    partner = PartnerFactory(is_staff=True, is_email_verified=False, has_ever_verified_email=False)
    page = browser.get(
        "/account/confirm-email/", {"token": services.make_email_confirmation_token(user=partner)}
    )

    done = browser.post("/account/confirm-email/", csrf_form(page))

    assert 'href="/admin/login/"' in done.content.decode()


@pytest.mark.parametrize("token", ["", "garbage", "eyJ1c2VyIjoxfQ:1abc:forged"])
def test_an_invalid_confirmation_link_says_so(browser, token):
    page = browser.get("/account/confirm-email/", {"token": token})

    assert page.status_code == 400
    assert "The confirmation link is invalid or has expired." in page.content.decode()


def test_an_expired_confirmation_link_says_so_and_confirms_nothing(browser, settings):
    user = UnconfirmedUserFactory()
    token = services.make_email_confirmation_token(user=user)
    settings.EMAIL_CONFIRMATION_MAX_AGE = -1

    page = browser.get("/account/confirm-email/", {"token": token})
    posted = browser.post("/account/confirm-email/", {"token": token})

    assert page.status_code == posted.status_code == 400
    assert "The confirmation link is invalid or has expired." in posted.content.decode()
    user.refresh_from_db()
    assert user.is_email_verified is False


def test_confirming_without_the_csrf_token_is_refused_and_changes_nothing():
    user = UnconfirmedUserFactory()
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    response = strict.post(
        "/account/confirm-email/", {"token": services.make_email_confirmation_token(user=user)}
    )

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.is_email_verified is False


def test_the_pages_are_russian_by_default(settings):
    settings.LANGUAGE_CODE = "ru"
    user = UnconfirmedUserFactory()

    page = Client().get(
        "/account/confirm-email/", {"token": services.make_email_confirmation_token(user=user)}
    )

    assert '<html lang="ru"' in page.content.decode()


# --- setting a new password ---------------------------------------------------------------------------


@pytest.fixture
def anna():
    user = UserFactory(username="anna", email="anna@example.com")
    services.issue_token(user=user)
    return user


def reset_page(browser, user):
    return browser.get("/account/reset-password/", {"token": services.make_password_reset_token(user=user)})


def test_the_reset_link_asks_twice_and_sets_the_password(browser, anna):
    page = reset_page(browser, anna)
    assert page.status_code == 200
    assert "Choose a new password for the account <strong>anna</strong>" in page.content.decode()

    done = browser.post(
        "/account/reset-password/",
        {**csrf_form(page), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done.status_code == 200
    assert "Your password has been changed." in done.content.decode()
    anna.refresh_from_db()
    assert anna.check_password(NEW_PASSWORD)
    assert AuthToken.objects.filter(user=anna).count() == 0


def test_two_different_passwords_are_refused_and_nothing_changes(browser, anna):
    page = reset_page(browser, anna)

    response = browser.post(
        "/account/reset-password/",
        {**csrf_form(page), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
    )

    assert response.status_code == 400
    assert "The two passwords do not match." in response.content.decode()
    anna.refresh_from_db()
    assert anna.check_password(DEFAULT_PASSWORD)
    assert AuthToken.objects.filter(user=anna).count() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("12345678", "This password is entirely numeric."),
        ("short", "This password is too short. It must contain at least 8 characters."),
        ("anna@example.com", "The password is too similar to the"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason_and_nothing_changes(browser, anna, password, message):
    page = reset_page(browser, anna)

    response = browser.post(
        "/account/reset-password/", {**csrf_form(page), "new_password1": password, "new_password2": password}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    anna.refresh_from_db()
    assert anna.check_password(DEFAULT_PASSWORD)


def test_a_used_reset_link_no_longer_works(browser, anna):
    page = reset_page(browser, anna)
    form = {**csrf_form(page), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert browser.post("/account/reset-password/", form).status_code == 200

    again = browser.post("/account/reset-password/", {**form, "new_password1": "Other-Pass-9911"})
    reopened = browser.get("/account/reset-password/", {"token": form["token"]})

    assert again.status_code == reopened.status_code == 400
    assert "The reset link is invalid or has expired." in reopened.content.decode()
    anna.refresh_from_db()
    assert anna.check_password(NEW_PASSWORD)


def test_setting_a_password_without_the_csrf_token_is_refused(anna):
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    token = services.make_password_reset_token(user=anna)

    response = strict.post(
        "/account/reset-password/",
        {"token": token, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 403
    anna.refresh_from_db()
    assert anna.check_password(DEFAULT_PASSWORD)


def test_the_reset_page_shares_the_limit_of_its_api_twin(browser, anna, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "password_reset": "2/hour",
        },
    }
    browser.post("/password_reset/", {"email": "anna@example.com"})
    page = reset_page(browser, anna)
    form = {**csrf_form(page), "new_password1": "1", "new_password2": "1"}

    statuses = [browser.post("/account/reset-password/", form).status_code for _ in range(2)]

    assert statuses == [400, 429]
    refused = browser.post("/account/reset-password/", form)
    assert "Too many attempts from your address. Try again in" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0


def test_the_confirmation_page_shares_the_limit_of_its_api_twin(browser, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "register": "1/hour"},
    }
    user = UnconfirmedUserFactory()
    browser.post("/register/confirm/", {"token": "x"})

    response = browser.post(
        "/account/confirm-email/", {"token": services.make_email_confirmation_token(user=user)}
    )

    assert response.status_code == 429
    assert User.objects.get(pk=user.pk).is_email_verified is False
