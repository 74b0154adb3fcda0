"""Sign-in by e-mail address: `/get_token/`, `/refresh_token/` and the admin take the username or the
address (any case), or `email`; attempts count on the account however it was named."""

from __future__ import annotations

import pytest
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services
from accounts.models import LoginFailure
from accounts.tests.factories import DEFAULT_PASSWORD, ManagerFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"
INVALID = {
    "detail": "Unable to log in with the provided username and password.",
    "code": "invalid_credentials",
}


@pytest.fixture(autouse=True)
def limits(settings):
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = []
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 20


@pytest.fixture
def ivan():
    return UserFactory(username="ivan", email="ivan.p@example.com")


def post(path: str, body: dict, *, address: str = ADDRESS):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    return client.post(path, body, format="json", REMOTE_ADDR=address)


def user_of(token: str) -> str:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/user/").json()["username"]


@pytest.mark.parametrize("login", ["ivan.p@example.com", "IVAN.P@EXAMPLE.COM", "Ivan.P@Example.com"])
def test_get_token_takes_the_email_address_in_username_in_any_case(ivan, login):
    response = post("/get_token/", {"username": login, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert user_of(response.json()["token"]) == "ivan"


def test_get_token_takes_an_email_field_instead_of_username(ivan):
    response = post("/get_token/", {"email": "IVAN.P@example.com", "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert user_of(response.json()["token"]) == "ivan"


def test_get_token_takes_username_and_email_together_when_they_name_the_same_thing(ivan):
    response = post(
        "/get_token/",
        {"username": "ivan.p@example.com", "email": "Ivan.P@example.com", "password": DEFAULT_PASSWORD},
    )

    assert response.status_code == 200


def test_get_token_refuses_a_username_and_a_different_email_and_issues_nothing(ivan):
    response = post("/get_token/", {"username": "ivan", "email": "other@example.com", "password": "x"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["Send either username or email, not two different names."]}
    assert AuthToken.objects.count() == 0


def test_the_email_field_looks_up_addresses_only_never_usernames(ivan):
    UserFactory(username="boss@example.com", email="boss.real@example.com")

    by_username_field = post("/get_token/", {"username": "boss@example.com", "password": DEFAULT_PASSWORD})
    by_email_field = post("/get_token/", {"email": "boss@example.com", "password": DEFAULT_PASSWORD})

    assert by_username_field.status_code == 200
    assert by_email_field.status_code == 401
    assert by_email_field.json() == INVALID


def test_refresh_token_takes_the_email_address(ivan):
    old = services.issue_token(user=ivan)

    response = post("/refresh_token/", {"username": "IVAN.P@EXAMPLE.COM", "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert user_of(response.json()["token"]) == "ivan"
    assert APIClient().get("/user/", HTTP_AUTHORIZATION=f"Token {old}").status_code == 401


def test_after_an_email_change_the_new_address_signs_in_and_the_old_one_no_longer(ivan):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {services.issue_token(user=ivan)}")
    assert client.patch("/user/", {"email": "Ivan.New@Example.com"}, format="json").status_code == 200

    new = post("/get_token/", {"username": "ivan.new@example.com", "password": DEFAULT_PASSWORD})
    old = post("/get_token/", {"username": "ivan.p@example.com", "password": DEFAULT_PASSWORD})

    assert new.status_code == 200
    assert user_of(new.json()["token"]) == "ivan"
    assert old.status_code == 401
    assert old.json() == INVALID


def test_a_wrong_password_by_email_and_an_unknown_address_answer_the_same(ivan):
    known = post("/get_token/", {"username": "ivan.p@example.com", "password": "wrong"})
    unknown = post("/get_token/", {"username": "nobody@example.com", "password": "wrong"})
    unknown_field = post("/get_token/", {"email": "nobody@example.com", "password": "wrong"})

    assert [known.status_code, unknown.status_code, unknown_field.status_code] == [401, 401, 401]
    assert known.json() == unknown.json() == unknown_field.json() == INVALID


def test_failures_by_username_and_by_address_add_up_on_the_one_account(ivan):
    names = ["ivan", "ivan.p@example.com", "IVAN.P@example.com", "ivan", "Ivan.P@Example.COM"]

    statuses = [post("/get_token/", {"username": name, "password": "wrong"}).status_code for name in names]

    assert statuses == [401, 401, 401, 401, 429]
    assert list(LoginFailure.objects.values_list("username", "failures")) == [("ivan", 5)]
    locked = post("/get_token/", {"email": "ivan.p@example.com", "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_locked"
    assert AuthToken.objects.count() == 0


def test_an_unknown_address_is_counted_and_locked_like_any_unknown_name(ivan):
    statuses = [
        post("/get_token/", {"username": "Nobody@Example.com", "password": "wrong"}).status_code
        for _ in range(5)
    ]

    assert statuses == [401, 401, 401, 401, 429]
    assert list(LoginFailure.objects.values_list("username", "failures")) == [("nobody@example.com", 5)]
    # The account's own count is untouched: its owner still signs in.
    assert post("/get_token/", {"username": "ivan", "password": DEFAULT_PASSWORD}).status_code == 200


def test_a_success_by_address_forgets_the_failures_by_username(ivan):
    for _ in range(3):
        post("/get_token/", {"username": "ivan", "password": "wrong"})

    assert (
        post("/get_token/", {"email": "ivan.p@example.com", "password": DEFAULT_PASSWORD}).status_code == 200
    )

    assert LoginFailure.objects.count() == 0


def test_registration_refuses_a_username_that_is_another_accounts_address(ivan):
    response = post(
        "/register/",
        {
            "username": "IVAN.P@example.com",
            "password": "Str0ng-Passw0rd!",
            "first_name": "Eve",
            "last_name": "Evil",
            "email": "eve@example.com",
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"username": ["A user with this username already exists."]}


def test_an_address_that_is_another_accounts_username_cannot_be_taken(ivan):
    UserFactory(username="boss@example.com", email="boss.real@example.com")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {services.issue_token(user=ivan)}")

    response = client.patch("/user/", {"email": "Boss@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["A user with this email already exists."]}
    ivan.refresh_from_db()
    assert ivan.email == "ivan.p@example.com"


def test_the_admin_sign_in_takes_the_email_address(client):
    ManagerFactory(username="anna", email="anna.m@example.com")

    response = client.post(
        reverse("admin:login"),
        {"username": "ANNA.M@example.com", "password": DEFAULT_PASSWORD, "next": "/admin/"},
        REMOTE_ADDR=ADDRESS,
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
