"""API throttles with real rates: keyed by the client-address rule, and per user once signed in."""

from __future__ import annotations

import itertools

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

# A different username for each attempt: only the throttle is measured here, not the sign-in lockout.
_usernames = itertools.count()


@pytest.fixture
def rates(settings):
    """Set real rates for some scopes; the others keep the suite's 10000/min."""

    def set_rates(**scopes: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **scopes},
        }

    return set_rates


@pytest.fixture
def no_proxies(settings):
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = []


@pytest.fixture
def one_proxy(settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = []


def get_token(client: APIClient, *, remote: str = "127.0.0.1", forwarded_for: str | None = None, **extra):
    headers = {"REMOTE_ADDR": remote, **extra}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(
        "/get_token/",
        {"username": f"nobody{next(_usernames)}", "password": "wrong"},
        format="json",
        **headers,
    ).status_code


def test_varying_x_forwarded_for_from_an_untrusted_peer_never_escapes_the_login_throttle(rates, no_proxies):
    rates(login="3/min")
    client = APIClient()

    statuses = [get_token(client, forwarded_for=f"198.51.100.{index}") for index in range(1, 7)]

    assert statuses == [401, 401, 401, 429, 429, 429]


def test_through_one_trusted_proxy_each_real_client_has_its_own_login_limit(rates, one_proxy):
    rates(login="3/min")
    client = APIClient()

    first = [get_token(client, forwarded_for="203.0.113.1") for _ in range(4)]
    second = [get_token(client, forwarded_for="203.0.113.2") for _ in range(4)]

    assert first == [401, 401, 401, 429]
    assert second == [401, 401, 401, 429]


def test_spoofed_left_most_forwarded_values_do_not_escape_the_login_throttle(rates, one_proxy):
    rates(login="3/min")
    client = APIClient()

    statuses = [get_token(client, forwarded_for=f"10.9.9.{index}, 203.0.113.7") for index in range(1, 6)]

    assert statuses == [401, 401, 401, 429, 429]


def test_sending_a_token_does_not_escape_the_login_throttle(rates, no_proxies):
    rates(login="2/min")
    token = services.issue_token(user=UserFactory())
    client = APIClient()

    statuses = [get_token(client, HTTP_AUTHORIZATION=f"Token {token}") for _ in range(3)]

    assert statuses == [401, 401, 429]


def test_the_login_throttle_answers_429_with_retry_after(rates, no_proxies):
    rates(login="1/min")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    get_token(client)

    response = client.post("/get_token/", {"username": "x", "password": "y"}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) == 60


def test_signed_in_users_are_throttled_per_user_from_any_address(rates, no_proxies):
    rates(user="2/min")
    user = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {services.issue_token(user=user)}")

    statuses = [client.get("/user/", REMOTE_ADDR=f"203.0.113.{index}").status_code for index in range(1, 4)]

    assert statuses == [200, 200, 429]


def test_one_users_throttle_leaves_other_users_alone(rates, no_proxies):
    rates(user="1/min")
    first, second = APIClient(), APIClient()
    first.credentials(HTTP_AUTHORIZATION=f"Token {services.issue_token(user=UserFactory())}")
    second.credentials(HTTP_AUTHORIZATION=f"Token {services.issue_token(user=UserFactory())}")

    assert [first.get("/user/").status_code for _ in range(2)] == [200, 429]
    assert second.get("/user/").status_code == 200


def test_anonymous_requests_are_counted_by_address_not_by_the_user_throttle(rates, no_proxies):
    rates(user="1/min", anon="3/min")
    client = APIClient()

    statuses = [client.get("/shops/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_a_user_hitting_the_user_limit_can_still_get_a_new_token(rates, no_proxies):
    rates(user="1/min")
    user = UserFactory(username="busy")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {services.issue_token(user=user)}")
    assert [client.get("/user/").status_code for _ in range(2)] == [200, 429]

    response = APIClient().post(
        "/get_token/", {"username": "busy", "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200
