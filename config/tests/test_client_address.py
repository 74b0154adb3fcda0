"""The client address: REMOTE_ADDR unless trusted proxies forwarded the request; never the raw header."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from config.api.client_address import client_address, client_rate_key, rate_limit_key
from config.env import env_networks


def request_from(remote: str, forwarded_for: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


@pytest.fixture
def no_proxies(settings):
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = []
    return settings


def test_without_configured_proxies_the_forwarded_header_is_ignored(no_proxies):
    request = request_from("203.0.113.5", "198.51.100.1")

    assert client_address(request) == "203.0.113.5"


def test_one_trusted_proxy_by_count_gives_the_address_it_appended(settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = []

    assert client_address(request_from("127.0.0.1", "203.0.113.9")) == "203.0.113.9"


def test_spoofed_left_most_values_are_never_read(settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = []

    request = request_from("127.0.0.1", "1.1.1.1, 8.8.8.8, 203.0.113.9")

    assert client_address(request) == "203.0.113.9"


def test_two_proxies_by_count_walk_two_hops_from_the_right(settings):
    settings.NUM_PROXIES = 2
    settings.TRUSTED_PROXIES = []

    request = request_from("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1")

    assert client_address(request) == "203.0.113.9"


def test_trusted_networks_are_walked_over_until_the_first_untrusted_address(settings):
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.168.1.1"]

    request = request_from("192.168.1.1", "6.6.6.6, 203.0.113.9, 10.4.0.7")

    assert client_address(request) == "203.0.113.9"


def test_a_peer_outside_the_trusted_networks_is_the_client_whatever_it_forwards(settings):
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    request = request_from("203.0.113.50", "10.0.0.3")

    assert client_address(request) == "203.0.113.50"


def test_num_proxies_bounds_the_walk_over_trusted_networks(settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    request = request_from("10.0.0.2", "203.0.113.9, 10.0.0.1")

    assert client_address(request) == "10.0.0.1"


def test_a_malformed_hop_falls_back_to_the_peer_address(settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = []

    assert client_address(request_from("127.0.0.1", "203.0.113.9, not-an-ip")) == "127.0.0.1"
    assert client_address(request_from("127.0.0.1", "203.0.113.9,")) == "127.0.0.1"
    assert client_address(request_from("127.0.0.1", "203.0.113.9:443")) == "127.0.0.1"


def test_garbage_left_of_the_hops_we_read_does_not_matter(settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = []

    assert client_address(request_from("127.0.0.1", "<script>, , 203.0.113.9")) == "203.0.113.9"


def test_a_proxy_that_forwards_no_header_is_itself_the_client(settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = []

    assert client_address(request_from("127.0.0.1")) == "127.0.0.1"
    assert client_address(request_from("127.0.0.1", "")) == "127.0.0.1"


def test_a_unix_socket_peer_is_the_local_proxy_when_proxies_are_trusted(settings):
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_address(request_from("", "203.0.113.9")) == "203.0.113.9"


def test_addresses_are_written_in_one_canonical_form(no_proxies):
    assert client_address(request_from("::ffff:203.0.113.5")) == "203.0.113.5"
    assert client_address(request_from("2001:DB8:0:0:0:0:0:1")) == "2001:db8::1"


def test_limits_count_an_ipv6_client_by_its_64_network(no_proxies):
    assert rate_limit_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert rate_limit_key("203.0.113.5") == "203.0.113.5"
    assert client_rate_key(request_from("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64"


def test_trusted_proxies_with_a_typo_stop_the_start_up(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.300")

    with pytest.raises(ValueError, match=r"TRUSTED_PROXIES: '10.0.0.300' is not an IP address or network"):
        env_networks("TRUSTED_PROXIES")


def test_trusted_proxies_accept_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1,fd00::/8")

    assert env_networks("TRUSTED_PROXIES") == ["10.0.0.0/8", "192.168.1.1", "fd00::/8"]
