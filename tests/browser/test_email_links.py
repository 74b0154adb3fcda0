"""End to end in a real browser: the links in the confirmation and password-reset e-mails open pages that
work, and each ends in a working sign-in."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import User
from accounts.services import make_partner
from accounts.tests.factories import PartnerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEW_PASSWORD = "Quiet-River-2031"


def link_in_last_email(path: str) -> str:
    match = re.search(rf"(\S+{re.escape(path)}\?token=\S+)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_the_confirmation_link_confirms_the_address_and_the_account_signs_in(
    page, live_server, settings, screenshot
):
    settings.SITE_URL = live_server.url
    api = page.request
    registered = api.post(
        f"{live_server.url}/register/",
        data={
            "username": "oleg",
            "password": "Str0ng-Passw0rd!",
            "first_name": "Олег",
            "last_name": "Смирнов",
            "email": "oleg@example.com",
        },
    )
    assert registered.status == 201
    refused = api.post(
        f"{live_server.url}/get_token/", data={"username": "OLEG@example.com", "password": "Str0ng-Passw0rd!"}
    )
    assert refused.status == 403
    assert refused.json()["code"] == "email_not_confirmed"

    link = link_in_last_email("/account/confirm-email/")
    assert link.startswith(f"{live_server.url}/account/confirm-email/?token=")
    page.goto(link)
    page.wait_for_selector("#confirm-email-form")
    assert "oleg@example.com" in page.inner_text("#page")
    screenshot("email-link-confirm")
    with page.expect_navigation():
        page.click("#confirm-email-form button[type=submit]")
    assert "oleg@example.com" in page.inner_text("#page")
    screenshot("email-link-confirmed")
    assert User.objects.get(username="oleg").is_email_verified is True

    signed_in = api.post(
        f"{live_server.url}/get_token/", data={"email": "oleg@example.com", "password": "Str0ng-Passw0rd!"}
    )
    assert signed_in.status == 200
    profile = api.get(
        f"{live_server.url}/user/", headers={"Authorization": f"Token {signed_in.json()['token']}"}
    )
    assert profile.json()["is_email_verified"] is True


def test_the_reset_link_sets_a_new_password_that_signs_in_to_the_back_office(
    page, live_server, settings, screenshot
):
    settings.SITE_URL = live_server.url
    partner = make_partner(user=PartnerFactory(username="tekhnomir", email="olga@tekhnomir.example"))
    asked = page.request.post(f"{live_server.url}/password_reset/", data={"email": "Olga@Tekhnomir.example"})
    assert asked.status == 200

    page.goto(link_in_last_email("/account/reset-password/"))
    page.wait_for_selector("#reset-password-form")
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD + "!")
    with page.expect_navigation():
        page.click("#reset-password-form button[type=submit]")
    assert page.locator(".errors").count() == 1
    screenshot("email-link-reset-mismatch")
    partner.refresh_from_db()
    assert not partner.check_password(NEW_PASSWORD)

    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("#reset-password-form button[type=submit]")
    screenshot("email-link-reset-done")
    with page.expect_navigation():
        page.click("#sign-in")
    page.fill("input[name=username]", "OLGA@tekhnomir.example")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    screenshot("email-link-reset-signed-in")
