"""EMAIL_CONFIRMATION: `mandatory` refuses API tokens to accounts that never confirmed an address,
`optional` and `off` do not; a new link is sent on request without saying who exists."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core import mail
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UnconfirmedUserFactory, UserFactory

pytestmark = pytest.mark.django_db

NOT_CONFIRMED = (
    "Confirm your e-mail address before signing in. Open the link in the confirmation e-mail, or ask for a "
    'new one: POST /register/confirm/resend/ with {"email": "<your address>"}.'
)
RESENT = {
    "detail": "If an account with this address is waiting for confirmation, we have sent it a new link."
}


@pytest.fixture
def client():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def newbie():
    return UnconfirmedUserFactory(username="oleg", email="oleg@example.com")


def sign_in(client, path="/get_token/", **credentials):
    return client.post(path, credentials, format="json")


def test_mandatory_is_the_default():
    assert django_settings.EMAIL_CONFIRMATION == "mandatory"


@pytest.mark.parametrize("path", ["/get_token/", "/refresh_token/"])
def test_mandatory_refuses_a_token_to_an_unconfirmed_account_and_says_how_to_confirm(client, newbie, path):
    response = sign_in(client, path, username="oleg@example.com", password=DEFAULT_PASSWORD)

    assert response.status_code == 403
    assert response.json() == {"code": "email_not_confirmed", "detail": NOT_CONFIRMED}
    assert AuthToken.objects.count() == 0


def test_mandatory_answers_a_wrong_password_with_401_not_with_the_confirmation_hint(client, newbie):
    response = sign_in(client, username="oleg", password="wrong")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_mandatory_lets_an_account_sign_in_once_it_confirmed_its_address(client, newbie):
    services.confirm_email(token=services.make_email_confirmation_token(user=newbie))

    response = sign_in(client, username="oleg", password=DEFAULT_PASSWORD)

    assert response.status_code == 200
    newbie.refresh_from_db()
    assert (newbie.is_email_verified, newbie.has_ever_verified_email) == (True, True)


def test_mandatory_keeps_signing_in_an_account_whose_new_address_waits_for_confirmation(client):
    user = UserFactory(username="anna", email="anna@example.com")
    services.update_profile(user=user, data={"email": "anna.new@example.com"})

    response = sign_in(client, username="ANNA.NEW@example.com", password=DEFAULT_PASSWORD)

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.is_email_verified, user.has_ever_verified_email) == (False, True)


def test_mandatory_lets_an_account_a_manager_marked_verified_sign_in(client, newbie):
    User.objects.filter(pk=newbie.pk).update(is_email_verified=True)

    assert sign_in(client, username="oleg", password=DEFAULT_PASSWORD).status_code == 200


@pytest.mark.parametrize("mode", ["optional", "off"])
def test_optional_and_off_give_an_unconfirmed_account_a_token(client, newbie, settings, mode):
    settings.EMAIL_CONFIRMATION = mode

    response = sign_in(client, email="OLEG@example.com", password=DEFAULT_PASSWORD)

    assert response.status_code == 200
    assert AuthToken.objects.filter(user=newbie).count() == 1


def test_an_unknown_mode_stops_the_settings_from_loading():
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={"EMAIL_CONFIRMATION": "sometimes", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        check=False,
    )

    assert result.returncode == 1
    assert "EMAIL_CONFIRMATION must be mandatory, optional or off, got 'sometimes'" in result.stderr


# --- POST /register/confirm/resend/ ------------------------------------------------------------------


def test_resend_emails_a_new_link_that_confirms_the_address(
    client, newbie, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/register/confirm/resend/", {"email": "OLEG@example.com"}, format="json")

    assert response.status_code == 200
    assert response.json() == RESENT
    assert [message.to for message in mail.outbox] == [["oleg@example.com"]]
    token = re.search(r'"token": "([^"]+)"', mail.outbox[0].body).group(1)
    assert client.post("/register/confirm/", {"token": token}, format="json").status_code == 200
    assert sign_in(client, username="oleg", password=DEFAULT_PASSWORD).status_code == 200


@pytest.mark.parametrize("email", ["nobody@example.com", "anna@example.com"])
def test_resend_answers_the_same_for_unknown_and_confirmed_addresses_and_sends_nothing(
    client, email, django_capture_on_commit_callbacks
):
    UserFactory(username="anna", email="anna@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/register/confirm/resend/", {"email": email}, format="json")

    assert response.status_code == 200
    assert response.json() == RESENT
    assert mail.outbox == []


def test_resend_sends_one_email_per_account_in_ten_minutes_however_often_asked(
    client, newbie, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post("/register/confirm/resend/", {"email": "oleg@example.com"}, format="json")
            for _ in range(3)
        ]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert len(mail.outbox) == 1


def test_resend_refuses_a_malformed_address(client):
    response = client.post("/register/confirm/resend/", {"email": "not-an-address"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["email"]


def test_resend_is_throttled_with_registration(client, settings, newbie):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "register": "2/hour"},
    }

    statuses = [
        client.post("/register/confirm/resend/", {"email": "oleg@example.com"}, format="json").status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 429]
