"""The accounts API: registration, email confirmation, tokens, profile, contacts and password reset."""

from __future__ import annotations

import re

import pytest
from django.core import mail, signing
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Contact, User
from accounts.tests.factories import (
    DEFAULT_PASSWORD,
    ContactFactory,
    PartnerFactory,
    UnconfirmedUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Horse-77"


@pytest.fixture
def client():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def _auth_client(user: User) -> tuple[APIClient, str]:
    token = services.issue_token(user=user)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api, token


@pytest.fixture
def user():
    return UserFactory(username="anna", email="anna@example.com", first_name="Anna", last_name="Ivanova")


@pytest.fixture
def unconfirmed_user():
    return UnconfirmedUserFactory(username="oleg", email="oleg@example.com")


@pytest.fixture
def user_client(user):
    return _auth_client(user)[0]


def _registration(**overrides):
    return {
        "username": "newbie",
        "password": "Str0ng-Passw0rd!",
        "first_name": "Oleg",
        "last_name": "Smirnov",
        "email": "oleg@example.com",
        **overrides,
    }


def _token_in_last_email() -> str:
    match = re.search(r'"token": "([^"]+)"', mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


# --- Registration ---------------------------------------------------------------------------------


def test_register_creates_a_buyer_and_emails_a_confirmation(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/register/", _registration(), format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 201
    user = User.objects.get(username="newbie")
    assert response.json() == {
        "id": user.pk,
        "username": "newbie",
        "email": "oleg@example.com",
        "first_name": "Oleg",
        "last_name": "Smirnov",
        "company": "",
        "position": "",
        "type": "buyer",
        "is_email_verified": False,
    }
    assert user.type == User.Type.BUYER
    assert user.check_password("Str0ng-Passw0rd!")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["oleg@example.com"]
    assert message.subject == "Confirm your email address"
    assert "/register/confirm/" in message.body
    assert message.alternatives[0].mimetype == "text/html"
    assert '<html lang="en">' in message.alternatives[0].content


def test_register_never_returns_the_password(client):
    response = client.post("/register/", _registration(), format="json")

    assert response.status_code == 201
    assert "password" not in response.json()
    assert "Str0ng-Passw0rd!" not in response.content.decode()


@pytest.mark.parametrize("field", ["type", "is_staff", "is_superuser", "is_email_verified"])
def test_register_refuses_privilege_fields_and_creates_nothing(client, field):
    value = "shop" if field == "type" else True

    response = client.post("/register/", _registration(**{field: value}), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "not_allowed"
    assert list(response.json()["errors"]) == [field]
    assert not User.objects.filter(username="newbie").exists()


def test_register_refuses_a_taken_username_and_email_case_insensitively(client, user):
    response = client.post(
        "/register/", _registration(username="ANNA", email="Anna@Example.COM"), format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "email"}
    assert User.objects.count() == 1


def test_register_checks_the_password_with_django_validators(client):
    response = client.post("/register/", _registration(password="12345678"), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "password_too_common"
    assert list(body["errors"]) == ["password"]
    assert len(body["errors"]["password"]) == 2  # too common and entirely numeric
    assert not User.objects.exists()


def test_register_reports_every_missing_field(client):
    response = client.post("/register/", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password", "first_name", "last_name", "email"}


def test_register_rejects_an_invalid_email(client):
    response = client.post("/register/", _registration(email="not-an-email"), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["email"]


def test_malformed_json_is_a_400_in_the_error_shape(client):
    response = client.post("/register/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert set(response.json()) == {"detail", "code"}


def test_confirm_email_marks_the_address_verified(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/register/", _registration(), format="json")
    token = _token_in_last_email()

    response = client.post("/register/confirm/", {"token": token}, format="json")

    assert response.status_code == 200
    assert response.json()["is_email_verified"] is True
    assert User.objects.get(username="newbie").is_email_verified is True


def test_confirm_email_refuses_a_forged_token(client, unconfirmed_user):
    forged = signing.dumps(
        {"user": unconfirmed_user.pk, "email": unconfirmed_user.email}, salt="another-salt"
    )

    response = client.post("/register/confirm/", {"token": forged}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    unconfirmed_user.refresh_from_db()
    assert unconfirmed_user.is_email_verified is False


def test_confirm_email_refuses_an_expired_token(client, unconfirmed_user, settings):
    token = services.make_email_confirmation_token(user=unconfirmed_user)
    settings.EMAIL_CONFIRMATION_MAX_AGE = -1

    response = client.post("/register/confirm/", {"token": token}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    unconfirmed_user.refresh_from_db()
    assert unconfirmed_user.is_email_verified is False


def test_confirm_email_refuses_a_token_for_a_previous_address(client, unconfirmed_user):
    token = services.make_email_confirmation_token(user=unconfirmed_user)
    User.objects.filter(pk=unconfirmed_user.pk).update(email="new@example.com")

    response = client.post("/register/confirm/", {"token": token}, format="json")

    assert response.status_code == 400
    unconfirmed_user.refresh_from_db()
    assert unconfirmed_user.is_email_verified is False


def test_confirmation_email_is_rendered_in_russian(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/register/", _registration(), format="json", HTTP_ACCEPT_LANGUAGE="ru")

    html = mail.outbox[0].alternatives[0].content
    assert '<html lang="ru">' in html
    assert "/register/confirm/" in mail.outbox[0].body


# --- Tokens ---------------------------------------------------------------------------------------


def test_get_token_returns_a_working_token(client, user):
    response = client.post("/get_token/", {"username": "anna", "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/user/").json()["username"] == "anna"


def test_tokens_are_stored_only_as_hashes(client, user):
    token = client.post(
        "/get_token/", {"username": "anna", "password": DEFAULT_PASSWORD}, format="json"
    ).json()["token"]

    row = AuthToken.objects.get(user=user)
    assert token not in row.digest
    assert token != row.token_key
    assert len(row.token_key) < len(token)
    assert not AuthToken.objects.filter(digest=token).exists()


@pytest.mark.parametrize(
    "credentials",
    [{"username": "anna", "password": "wrong"}, {"username": "nobody", "password": DEFAULT_PASSWORD}],
)
def test_get_token_with_wrong_credentials_is_a_401(client, user, credentials):
    response = client.post("/get_token/", credentials, format="json")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Unable to log in with the provided username and password.",
        "code": "invalid_credentials",
    }
    assert not AuthToken.objects.exists()


def test_get_token_refuses_an_inactive_user(client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = client.post("/get_token/", {"username": "anna", "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 401
    assert not AuthToken.objects.exists()


def test_get_token_without_fields_is_a_400(client):
    response = client.post("/get_token/", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


def test_repeated_logins_are_throttled(client, user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "3/min"},
    }
    statuses = [
        client.post("/get_token/", {"username": "anna", "password": "wrong"}, format="json").status_code
        for _ in range(4)
    ]

    assert statuses == [401, 401, 401, 429]
    response = client.post("/get_token/", {"username": "anna", "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


def test_registration_is_throttled(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "register": "1/hour"},
    }
    assert client.post("/register/", _registration(), format="json").status_code == 201

    response = client.post(
        "/register/", _registration(username="second", email="s@example.com"), format="json"
    )

    assert response.status_code == 429
    assert not User.objects.filter(username="second").exists()


def test_anonymous_requests_are_throttled(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"},
    }

    statuses = [client.get("/shops/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_refresh_token_replaces_every_old_token(client, user):
    first, _ = _auth_client(user)
    second, _ = _auth_client(user)

    response = client.post(
        "/refresh_token/", {"username": "anna", "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert AuthToken.objects.filter(user=user).count() == 1
    assert first.get("/user/").status_code == 401
    assert second.get("/user/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/user/").status_code == 200


def test_refresh_token_with_a_wrong_password_keeps_the_old_tokens(client, user):
    old, _ = _auth_client(user)

    response = client.post("/refresh_token/", {"username": "anna", "password": "wrong"}, format="json")

    assert response.status_code == 401
    assert old.get("/user/").status_code == 200


def test_an_expired_token_is_refused(user):
    api, _ = _auth_client(user)
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timezone.timedelta(seconds=1))

    response = api.get("/user/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_token_with_an_expiry_setting_gets_an_expiry(user, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timezone.timedelta(hours=2)}

    services.issue_token(user=user)

    expiry = AuthToken.objects.get(user=user).expiry
    assert timezone.timedelta(hours=1, minutes=59) < expiry - timezone.now() <= timezone.timedelta(hours=2)


# --- Profile --------------------------------------------------------------------------------------


def test_user_requires_a_token(client):
    response = client.get("/user/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_user_with_a_bad_token_is_a_401(client):
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get("/user/").status_code == 401


def test_get_user_returns_the_profile(user_client, user):
    response = user_client.get("/user/")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": "anna",
        "email": "anna@example.com",
        "first_name": "Anna",
        "last_name": "Ivanova",
        "company": "",
        "position": "",
        "type": "buyer",
        "is_email_verified": True,
    }


def test_patch_user_changes_only_the_given_fields(user_client, user):
    response = user_client.patch("/user/", {"company": "Romashka", "position": "Buyer"}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.company, user.position, user.first_name) == ("Romashka", "Buyer", "Anna")


def test_put_user_needs_every_profile_field(user_client, user):
    response = user_client.put("/user/", {"first_name": "Anya"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"last_name", "email", "company", "position"}
    user.refresh_from_db()
    assert user.first_name == "Anna"


def test_put_user_replaces_the_profile(user_client, user):
    response = user_client.put(
        "/user/",
        {
            "first_name": "Anya",
            "last_name": "Petrova",
            "email": "anna@example.com",
            "company": "",
            "position": "Head",
        },
        format="json",
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.position) == ("Anya", "Petrova", "Head")


@pytest.mark.parametrize(
    ("field", "value"),
    [("type", "shop"), ("is_staff", True), ("is_superuser", True), ("username", "boss"), ("id", 99)],
)
def test_patch_user_refuses_protected_fields_naming_them(user_client, user, field, value):
    response = user_client.patch("/user/", {field: value, "company": "X"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    user.refresh_from_db()
    assert (user.type, user.is_staff, user.is_superuser, user.username, user.company) == (
        "buyer",
        False,
        False,
        "anna",
        "",
    )


def test_changing_the_email_needs_a_new_confirmation(user_client, user, django_capture_on_commit_callbacks):
    User.objects.filter(pk=user.pk).update(is_email_verified=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.patch("/user/", {"email": "anna.new@example.com"}, format="json")

    assert response.status_code == 200
    assert response.json()["is_email_verified"] is False
    assert mail.outbox[-1].to == ["anna.new@example.com"]
    token = _token_in_last_email()
    assert (
        APIClient(HTTP_ACCEPT_LANGUAGE="en")
        .post("/register/confirm/", {"token": token}, format="json")
        .status_code
        == 200
    )
    user.refresh_from_db()
    assert user.is_email_verified is True


def test_changing_the_email_to_a_taken_one_is_refused(user_client, user):
    UserFactory(email="taken@example.com")

    response = user_client.patch("/user/", {"email": "TAKEN@example.com"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["email"]
    user.refresh_from_db()
    assert user.email == "anna@example.com"


def test_password_change_with_the_current_password(user):
    api, _ = _auth_client(user)
    other_session, _ = _auth_client(user)

    response = api.patch(
        "/user/", {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert api.get("/user/").status_code == 200
    assert other_session.get("/user/").status_code == 401


def test_password_change_with_a_wrong_current_password_changes_nothing(user_client, user):
    response = user_client.patch(
        "/user/",
        {"current_password": "wrong", "new_password": NEW_PASSWORD, "company": "X"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["current_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert user.company == ""


def test_password_change_validates_the_new_password(user_client, user):
    response = user_client.patch(
        "/user/", {"current_password": DEFAULT_PASSWORD, "new_password": "123"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["new_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_needs_both_fields(user_client, user):
    response = user_client.patch("/user/", {"new_password": NEW_PASSWORD}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["current_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


# --- Contacts -------------------------------------------------------------------------------------

CONTACT = {
    "city": "Казань",
    "street": "Баумана",
    "house": "5",
    "apartment": "3",
    "phone": "8 (916) 123-45-67",
}


def test_create_contact_stores_the_phone_in_e164(user_client, user):
    response = user_client.post("/user/contacts/", CONTACT, format="json")

    assert response.status_code == 201
    contact = Contact.objects.get(user=user)
    assert contact.phone == "+79161234567"
    assert response.json() == {
        "id": contact.pk,
        "city": "Казань",
        "street": "Баумана",
        "house": "5",
        "structure": "",
        "building": "",
        "apartment": "3",
        "phone": "+79161234567",
        "address": contact.address,
    }


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+7 916 123", ""])
def test_create_contact_refuses_an_invalid_phone(user_client, user, phone):
    response = user_client.post("/user/contacts/", {**CONTACT, "phone": phone}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phone"]
    assert not Contact.objects.exists()


def test_create_contact_refuses_unknown_fields(user_client, user):
    other = UserFactory()

    response = user_client.post("/user/contacts/", {**CONTACT, "user": other.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["user"]
    assert not Contact.objects.exists()


def test_a_sixth_contact_is_refused(user_client, user):
    ContactFactory.create_batch(5, user=user)

    response = user_client.post("/user/contacts/", CONTACT, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "too_many_contacts"
    assert Contact.objects.filter(user=user).count() == 5


def test_list_contacts_shows_only_ones_own(user_client, user):
    mine = ContactFactory(user=user)
    ContactFactory()

    response = user_client.get("/user/contacts/")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [mine.pk]


def test_patch_contact_changes_it(user_client, user):
    contact = ContactFactory(user=user)

    response = user_client.patch(
        f"/user/contacts/{contact.pk}/", {"phone": "+7 495 123-45-67"}, format="json"
    )

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.phone == "+74951234567"


def test_patch_contact_refuses_an_invalid_phone(user_client, user):
    contact = ContactFactory(user=user)

    response = user_client.patch(f"/user/contacts/{contact.pk}/", {"phone": "123"}, format="json")

    assert response.status_code == 400
    contact.refresh_from_db()
    assert contact.phone == "+79161234567"


def test_other_users_contacts_are_404(user_client):
    other = ContactFactory(city="Omsk")

    assert user_client.get(f"/user/contacts/{other.pk}/").status_code == 404
    assert user_client.patch(f"/user/contacts/{other.pk}/", {"city": "X"}, format="json").status_code == 404
    response = user_client.delete(f"/user/contacts/{other.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    other.refresh_from_db()
    assert other.city == "Omsk"


def test_delete_contact(user_client, user):
    contact = ContactFactory(user=user)

    response = user_client.delete(f"/user/contacts/{contact.pk}/")

    assert response.status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_contacts_need_a_token(client):
    assert client.get("/user/contacts/").status_code == 401


def test_put_on_a_contact_is_405(user_client, user):
    contact = ContactFactory(user=user)

    response = user_client.put(f"/user/contacts/{contact.pk}/", CONTACT, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- Password reset -------------------------------------------------------------------------------


def test_password_reset_answers_the_same_for_known_and_unknown_emails(
    client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/password_reset/", {"email": "ANNA@example.com"}, format="json")
        unknown = client.post("/password_reset/", {"email": "ghost@example.com"}, format="json")

    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert [message.to for message in mail.outbox] == [["anna@example.com"]]


def test_password_reset_confirm_sets_the_password_and_ends_every_session(
    client, user, django_capture_on_commit_callbacks
):
    old_session, _ = _auth_client(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password_reset/", {"email": "anna@example.com"}, format="json")
    token = _token_in_last_email()

    response = client.post(
        "/password_reset/confirm/", {"token": token, "password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not AuthToken.objects.filter(user=user).exists()
    assert old_session.get("/user/").status_code == 401
    again = client.post(
        "/password_reset/confirm/", {"token": token, "password": "Third-Horse-99"}, format="json"
    )
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"


def test_password_reset_confirm_accepts_uid_and_token_separately(client, user):
    uid, _, token = services.make_password_reset_token(user=user).partition("-")

    response = client.post(
        "/password_reset/confirm/", {"uid": uid, "token": token, "password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("token", ["garbage", "MQ-abc-def", "-", "!!!-123"])
def test_password_reset_confirm_refuses_a_bad_token(client, user, token):
    response = client.post(
        "/password_reset/confirm/", {"token": token, "password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_reset_confirm_validates_the_password(client, user):
    token = services.make_password_reset_token(user=user)

    response = client.post("/password_reset/confirm/", {"token": token, "password": "123"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_reset_is_throttled(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "password_reset": "1/hour",
        },
    }
    assert client.post("/password_reset/", {"email": "a@example.com"}, format="json").status_code == 200

    assert client.post("/password_reset/", {"email": "a@example.com"}, format="json").status_code == 429


def test_a_partner_registered_elsewhere_keeps_its_type_through_profile_updates(client):
    partner = PartnerFactory()
    api, _ = _auth_client(partner)

    response = api.patch("/user/", {"company": "Shop LLC"}, format="json")

    assert response.status_code == 200
    assert response.json()["type"] == "shop"


def test_contact_list_query_count_does_not_grow(user, django_assert_max_num_queries):
    api, _ = _auth_client(user)
    ContactFactory.create_batch(5, user=user)

    with django_assert_max_num_queries(3):  # token, user, contacts
        response = api.get("/user/contacts/")

    assert len(response.json()) == 5
