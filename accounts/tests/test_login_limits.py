"""Sign-in limits: a username locked per client address, a ceiling per account that spares the owner's
known addresses, the same rules for the admin and the API, and managers who see and clear lockouts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import login_limits
from accounts.forms import AdminLoginForm
from accounts.models import KnownLoginAddress, LoginFailure
from accounts.tasks import clean_login_records
from accounts.tests.factories import DEFAULT_PASSWORD, ManagerFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

LOCKED_MESSAGE = "Too many failed login attempts. Try again in 15 minutes."


@pytest.fixture(autouse=True)
def limits(settings):
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = []
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 20
    settings.LOGIN_KNOWN_ADDRESS_DAYS = 30
    return settings


@pytest.fixture
def anna():
    return UserFactory(username="anna")


def get_token(username: str, password: str, *, address: str = "203.0.113.1", path: str = "/get_token/"):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    return client.post(path, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


def statuses(count: int, username: str, password: str, **kwargs) -> list[int]:
    return [get_token(username, password, **kwargs).status_code for _ in range(count)]


# --- The API -----------------------------------------------------------------------------------------


def test_get_token_locks_a_username_at_one_address_after_five_failures(anna):
    assert statuses(5, "anna", "wrong") == [401, 401, 401, 401, 429]

    response = get_token("anna", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert response.json() == {"code": "login_locked", "detail": LOCKED_MESSAGE}
    assert 890 <= int(response["Retry-After"]) <= 900
    assert not AuthToken.objects.exists()


def test_a_lockout_at_one_address_does_not_lock_the_owner_out_elsewhere(anna):
    statuses(5, "anna", "wrong", address="198.51.100.66")

    response = get_token("anna", DEFAULT_PASSWORD, address="203.0.113.1")

    assert response.status_code == 200
    assert AuthToken.objects.filter(user=anna).count() == 1


def test_a_successful_sign_in_forgets_the_failures_of_that_address(anna):
    statuses(4, "anna", "wrong")
    assert get_token("anna", DEFAULT_PASSWORD).status_code == 200

    assert statuses(4, "anna", "wrong") == [401, 401, 401, 401]
    assert LoginFailure.objects.get(username="anna").failures == 4


def test_the_lockout_ends_after_the_lockout_minutes(anna):
    statuses(5, "anna", "wrong")
    later = timezone.now() - timedelta(minutes=16)
    LoginFailure.objects.update(first_failure_at=later, last_failure_at=later, locked_until=later)

    assert get_token("anna", DEFAULT_PASSWORD).status_code == 200


def test_failures_older_than_the_window_start_a_new_count(anna):
    statuses(4, "anna", "wrong")
    earlier = timezone.now() - timedelta(minutes=16)
    LoginFailure.objects.update(first_failure_at=earlier, last_failure_at=earlier)

    assert statuses(4, "anna", "wrong") == [401, 401, 401, 401]
    assert LoginFailure.objects.get().failures == 4


def test_usernames_are_counted_whatever_their_case(anna):
    assert [get_token(name, "wrong").status_code for name in ["anna", "ANNA", "Anna", "aNNa", "anna"]] == [
        401,
        401,
        401,
        401,
        429,
    ]
    assert get_token("anna", DEFAULT_PASSWORD).status_code == 429


def test_unknown_usernames_are_counted_and_answered_like_real_ones():
    responses = [get_token("ghost", "wrong") for _ in range(5)]

    assert [response.status_code for response in responses] == [401, 401, 401, 401, 429]
    assert responses[-1].json()["detail"] == LOCKED_MESSAGE


def test_refresh_token_shares_the_count_with_get_token(anna):
    statuses(3, "anna", "wrong")
    statuses(2, "anna", "wrong", path="/refresh_token/")

    assert get_token("anna", DEFAULT_PASSWORD, path="/refresh_token/").status_code == 429


def test_one_account_cannot_be_guessed_at_from_many_addresses(anna, limits):
    limits.LOGIN_ACCOUNT_FAILURE_LIMIT = 6
    attempts = [get_token("anna", "wrong", address=f"198.51.100.{index + 1}") for index in range(6)]
    assert [attempt.status_code for attempt in attempts] == [401, 401, 401, 401, 401, 429]

    response = get_token("anna", DEFAULT_PASSWORD, address="198.51.100.99")

    assert response.status_code == 429
    assert response.json()["code"] == "login_locked"
    assert not AuthToken.objects.exists()
    # Refused attempts are not counted: the ceiling lifts when the failures age, not later.
    assert sum(LoginFailure.objects.values_list("failures", flat=True)) == 6


def test_the_owner_signs_in_from_a_known_address_while_the_account_is_under_attack(anna, limits):
    limits.LOGIN_ACCOUNT_FAILURE_LIMIT = 6
    assert get_token("anna", DEFAULT_PASSWORD, address="192.0.2.10").status_code == 200
    for index in range(10):
        get_token("anna", "wrong", address=f"198.51.100.{index + 1}")

    assert get_token("anna", DEFAULT_PASSWORD, address="192.0.2.10").status_code == 200
    assert get_token("anna", DEFAULT_PASSWORD, address="192.0.2.11").status_code == 429


def test_a_known_address_is_forgotten_after_the_known_address_days(anna, limits):
    limits.LOGIN_ACCOUNT_FAILURE_LIMIT = 6
    get_token("anna", DEFAULT_PASSWORD, address="192.0.2.10")
    KnownLoginAddress.objects.update(last_login_at=timezone.now() - timedelta(days=31))
    for index in range(6):
        get_token("anna", "wrong", address=f"198.51.100.{index + 1}")

    assert get_token("anna", DEFAULT_PASSWORD, address="192.0.2.10").status_code == 429


def test_the_account_ceiling_lifts_when_the_failures_are_older_than_the_window(anna, limits):
    limits.LOGIN_ACCOUNT_FAILURE_LIMIT = 6
    for index in range(6):
        get_token("anna", "wrong", address=f"198.51.100.{index + 1}")
    earlier = timezone.now() - timedelta(minutes=16)
    LoginFailure.objects.update(first_failure_at=earlier, last_failure_at=earlier)

    assert get_token("anna", DEFAULT_PASSWORD, address="198.51.100.99").status_code == 200


def test_limits_count_the_client_behind_a_trusted_proxy(anna, limits):
    limits.NUM_PROXIES = 1
    client = APIClient()

    def attempt(forwarded_for: str, password: str) -> int:
        return client.post(
            "/get_token/",
            {"username": "anna", "password": password},
            format="json",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        ).status_code

    assert [attempt(f"10.0.0.{index}, 203.0.113.50", "wrong") for index in range(5)][-1] == 429
    assert attempt("203.0.113.50", DEFAULT_PASSWORD) == 429
    assert attempt("203.0.113.51", DEFAULT_PASSWORD) == 200
    assert set(LoginFailure.objects.values_list("address", flat=True)) == {"203.0.113.50"}


def test_an_ipv6_client_is_locked_for_its_whole_64_network(anna):
    for index in range(5):
        get_token("anna", "wrong", address=f"2001:db8:1:2::{index + 1}")

    assert get_token("anna", DEFAULT_PASSWORD, address="2001:db8:1:2::99").status_code == 429
    assert get_token("anna", DEFAULT_PASSWORD, address="2001:db8:1:3::1").status_code == 200


def test_code_without_a_request_is_not_limited(anna):
    statuses(5, "anna", "wrong")

    assert authenticate(username="anna", password=DEFAULT_PASSWORD) == anna


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_get_no_more_password_checks_than_the_limit():
    allowed = []
    barrier = threading.Barrier(12)

    def guess() -> None:
        try:
            barrier.wait()
            if login_limits.begin_login_attempt(username="anna", address="203.0.113.1") is None:
                allowed.append(1)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(allowed) == 5
    assert LoginFailure.objects.get().failures == 5


# --- The admin ---------------------------------------------------------------------------------------


def admin_login(client, username: str, password: str, *, address: str = "203.0.113.1"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_admin_login_locks_out_after_five_failures_with_a_clear_message(client):
    ManagerFactory(username="boss")
    wrong = [admin_login(client, "boss", "wrong") for _ in range(5)]

    assert [response.status_code for response in wrong] == [200] * 5
    assert all("Please enter the correct username and password" in r.content.decode() for r in wrong[:4])
    assert LOCKED_MESSAGE in wrong[4].content.decode()

    response = admin_login(client, "boss", DEFAULT_PASSWORD)

    assert response.status_code == 200
    assert LOCKED_MESSAGE in response.content.decode()
    assert isinstance(response.context["form"], AdminLoginForm)
    assert "unfold/layouts/unauthenticated.html" in [template.name for template in response.templates]
    assert "_auth_user_id" not in client.session


def test_successful_admin_login_resets_the_counter(client):
    ManagerFactory(username="boss")
    for _ in range(4):
        admin_login(client, "boss", "wrong")

    response = admin_login(client, "boss", DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert not LoginFailure.objects.exists()
    assert KnownLoginAddress.objects.filter(username="boss", address="203.0.113.1").exists()


def test_admin_and_api_share_one_count(client):
    ManagerFactory(username="boss")
    statuses(3, "boss", "wrong")
    admin_login(client, "boss", "wrong")

    response = admin_login(client, "boss", "wrong")

    assert LOCKED_MESSAGE in response.content.decode()
    assert get_token("boss", DEFAULT_PASSWORD).status_code == 429


def test_manager_sees_locked_sign_ins_in_the_admin(client):
    ManagerFactory(username="boss")
    statuses(5, "anna", "wrong", address="198.51.100.7")
    statuses(2, "olga", "wrong", address="198.51.100.8")
    client.force_login(ManagerFactory())

    locked = client.get(reverse("admin:accounts_loginfailure_changelist"), {"locked": "yes"})
    everyone = client.get(reverse("admin:accounts_loginfailure_changelist"))

    assert locked.status_code == 200
    assert [(row.username, row.address) for row in locked.context["cl"].result_list] == [
        ("anna", "198.51.100.7")
    ]
    assert {row.username for row in everyone.context["cl"].result_list} == {"anna", "olga"}
    assert "Locked until" in locked.content.decode()


def test_manager_unlocks_a_username_and_its_owner_signs_in_again(client, anna):
    statuses(5, "anna", "wrong")
    client.force_login(ManagerFactory())

    response = client.post(
        reverse("admin:accounts_loginfailure_changelist"),
        {"action": "unlock", "_selected_action": list(LoginFailure.objects.values_list("pk", flat=True))},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 sign-in lockout cleared." in response.content.decode()
    assert not LoginFailure.objects.exists()
    assert get_token("anna", DEFAULT_PASSWORD).status_code == 200


def test_lockouts_cannot_be_added_or_edited_in_the_admin(client):
    statuses(1, "anna", "wrong")
    failure = LoginFailure.objects.get()
    client.force_login(ManagerFactory())

    assert client.get(reverse("admin:accounts_loginfailure_add")).status_code == 403
    response = client.post(
        reverse("admin:accounts_loginfailure_change", args=[failure.pk]), {"failures": 0, "username": "x"}
    )

    assert response.status_code == 403
    failure.refresh_from_db()
    assert (failure.username, failure.failures) == ("anna", 1)


def test_partners_never_see_sign_in_lockouts(client):
    statuses(1, "anna", "wrong")
    client.force_login(PartnerFactory(is_staff=True))

    assert client.get(reverse("admin:accounts_loginfailure_changelist")).status_code == 403


def test_lockout_list_query_count_does_not_grow(client, django_assert_max_num_queries):
    for index in range(30):
        statuses(1, f"user{index}", "wrong", address=f"198.51.100.{index + 1}")
    client.force_login(ManagerFactory())

    with django_assert_max_num_queries(8):
        response = client.get(reverse("admin:accounts_loginfailure_changelist"))

    assert len(response.context["cl"].result_list) == 30


# --- Cleanup -----------------------------------------------------------------------------------------


def test_cleanup_deletes_only_records_that_no_longer_count():
    now = timezone.now()
    old = now - timedelta(minutes=20)
    counting = LoginFailure.objects.create(
        username="a", address="1.1.1.1", failures=2, first_failure_at=now, last_failure_at=now
    )
    still_locked = LoginFailure.objects.create(
        username="b",
        address="1.1.1.1",
        failures=5,
        first_failure_at=old,
        last_failure_at=old,
        locked_until=now + timedelta(minutes=1),
    )
    LoginFailure.objects.create(
        username="c", address="1.1.1.1", failures=3, first_failure_at=old, last_failure_at=old
    )
    recent = KnownLoginAddress.objects.create(username="a", address="1.1.1.1", last_login_at=now)
    KnownLoginAddress.objects.create(username="b", address="1.1.1.1", last_login_at=now - timedelta(days=40))

    assert clean_login_records() == 2

    assert set(LoginFailure.objects.all()) == {counting, still_locked}
    assert list(KnownLoginAddress.objects.all()) == [recent]
