"""URL imports fetch only public servers (or named hosts), follow few redirects, and stop at the cap."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

import pytest
from django.core.exceptions import ValidationError

from partners.importing import url_fetch
from partners.importing.url_fetch import check_price_list_url, fetch_price_list, is_forbidden_address
from partners.tests.conftest import Drip, Route, http_head

YAML = "shop: Связной\ncategories: []\ngoods: []\n".encode()


def refusal(url: str, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        fetch_price_list(url, **kwargs)
    return caught.value


@pytest.fixture
def allow_local(settings):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]


def test_named_local_host_is_fetched(allow_local, local_server):
    local_server.routes["/prices/shop1.yaml"] = Route(body=YAML)

    fetched = fetch_price_list(local_server.url("/prices/shop1.yaml"))

    assert fetched.content == YAML
    assert fetched.file_name == "shop1.yaml"
    assert fetched.url == local_server.url("/prices/shop1.yaml")


def test_loopback_is_refused_unless_named_in_the_setting(local_server):
    local_server.routes["/p.yaml"] = Route(body=YAML)

    error = refusal(local_server.url("/p.yaml"))

    assert error.code == "url_forbidden_address"
    assert "127.0.0.1" in error.message
    assert local_server.requests == []


def test_localhost_name_is_refused(settings):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = []

    assert refusal("http://localhost:9/p.yaml").code == "url_forbidden_address"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/p.yaml",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "p.yaml",
    ],
)
def test_only_http_and_https_are_fetched(url):
    assert refusal(url).code == "url_scheme"


def test_urls_with_credentials_are_refused():
    assert refusal("http://user:pw@example.com/p.yaml").code == "url_invalid"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "169.254.169.254",
        "169.254.1.1",
        "100.64.0.1",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
    ],
)
def test_internal_addresses_are_forbidden(address):
    assert is_forbidden_address(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert is_forbidden_address(ipaddress.ip_address(address)) is False


def test_host_resolving_to_any_internal_address_is_refused(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(url_fetch.socket, "getaddrinfo", resolve)

    error = refusal("http://mixed.example.com/p.yaml")

    assert error.code == "url_forbidden_address"
    assert "10.0.0.5" in error.message


def test_connection_goes_to_the_checked_address_not_a_second_dns_answer(monkeypatch):
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    connected_to = []

    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def connect(address, timeout=None, *args, **kwargs):
        connected_to.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(url_fetch.socket, "getaddrinfo", resolve)
    monkeypatch.setattr(url_fetch.socket, "create_connection", connect)

    error = refusal("http://rebind.example.com/p.yaml")

    assert error.code == "url_unreachable"
    assert connected_to == [("93.184.216.34", 80)]


def test_named_host_is_reached_at_its_resolved_address_with_its_own_host_header(
    settings, local_server, monkeypatch
):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["prices.partner.test"]
    real_getaddrinfo = socket.getaddrinfo

    resolved = []

    def resolve(host, port, *args, **kwargs):
        resolved.append(host)
        return real_getaddrinfo("127.0.0.1" if host == "prices.partner.test" else host, port, *args, **kwargs)

    monkeypatch.setattr(url_fetch.socket, "getaddrinfo", resolve)
    local_server.routes["/p.yaml"] = Route(body=YAML)

    fetched = fetch_price_list(f"http://prices.partner.test:{local_server.port}/p.yaml")

    assert fetched.content == YAML
    assert local_server.requests == [("/p.yaml", f"prices.partner.test:{local_server.port}")]
    # Resolved once by name; the connection itself used the checked address.
    assert resolved == ["prices.partner.test", "127.0.0.1"]


def test_redirect_to_metadata_address_is_refused(allow_local, local_server):
    local_server.routes["/p.yaml"] = Route(
        status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )

    error = refusal(local_server.url("/p.yaml"))

    assert error.code == "url_forbidden_address"
    assert "169.254.169.254" in error.message


def test_relative_redirects_are_followed(allow_local, local_server):
    local_server.routes["/old.yaml"] = Route(status=301, headers={"Location": "/new.yaml"})
    local_server.routes["/new.yaml"] = Route(body=YAML)

    fetched = fetch_price_list(local_server.url("/old.yaml"))

    assert fetched.content == YAML
    assert fetched.file_name == "new.yaml"


def test_more_than_three_redirects_are_refused(allow_local, local_server):
    for hop in range(4):
        local_server.routes[f"/{hop}"] = Route(status=302, headers={"Location": f"/{hop + 1}"})
    local_server.routes["/4"] = Route(body=YAML)

    assert refusal(local_server.url("/0")).code == "url_too_many_redirects"
    assert [path for path, _ in local_server.requests] == ["/0", "/1", "/2", "/3"]


def test_three_redirects_are_followed(allow_local, local_server):
    for hop in range(3):
        local_server.routes[f"/{hop}"] = Route(status=302, headers={"Location": f"/{hop + 1}"})
    local_server.routes["/3"] = Route(body=YAML)

    assert fetch_price_list(local_server.url("/0")).content == YAML


def test_declared_size_above_the_cap_is_refused_before_reading(allow_local, local_server):
    local_server.routes["/big.yaml"] = Route(body=b"x" * 5000)

    error = refusal(local_server.url("/big.yaml"), max_bytes=4999)

    assert error.code == "too_large"


def test_streamed_body_is_cut_at_the_cap(allow_local, local_server):
    local_server.routes["/big.yaml"] = Route(body=b"x" * 300_000, chunked=True)

    assert refusal(local_server.url("/big.yaml"), max_bytes=200_000).code == "too_large"
    assert fetch_price_list(local_server.url("/big.yaml"), max_bytes=300_000).content == b"x" * 300_000


def test_error_status_is_refused_with_the_status(allow_local, local_server):
    error = refusal(local_server.url("/missing.yaml"))

    assert error.code == "url_http_error"
    assert "404" in error.message


def test_slow_server_times_out(allow_local, local_server):
    local_server.routes["/slow.yaml"] = Route(body=YAML, delay=1.5)

    error = refusal(local_server.url("/slow.yaml"), timeout=0.3)

    assert error.code == "url_timeout"


def test_unresolvable_host_is_refused(monkeypatch):
    def resolve(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(url_fetch.socket, "getaddrinfo", resolve)

    assert refusal("https://no-such-host.example/p.yaml").code == "url_unresolvable"


def test_path_in_another_script_is_sent_percent_encoded(allow_local, local_server):
    local_server.routes["/%D0%BF%D1%80%D0%B0%D0%B9%D1%81.yaml?shop=%D0%90"] = Route(body=YAML)

    fetched = fetch_price_list(local_server.url("/прайс.yaml?shop=А"))

    assert fetched.content == YAML
    assert fetched.file_name == "прайс.yaml"
    assert local_server.requests == [
        ("/%D0%BF%D1%80%D0%B0%D0%B9%D1%81.yaml?shop=%D0%90", f"127.0.0.1:{local_server.port}")
    ]


def test_redirect_to_a_path_with_non_ascii_letters_is_followed(allow_local, local_server):
    local_server.routes["/old.yaml"] = Route(status=302, headers={"Location": "/café.yaml"})
    local_server.routes["/caf%C3%A9.yaml"] = Route(body=YAML)

    fetched = fetch_price_list(local_server.url("/old.yaml"))

    assert fetched.content == YAML
    assert fetched.file_name == "café.yaml"


def test_redirect_whose_location_is_raw_utf8_is_followed_as_utf8(allow_local, local_server):
    # The test server writes header text as Latin-1, so this puts the UTF-8 bytes of the path on the wire.
    raw_location = "/новый.yaml".encode().decode("latin-1")
    local_server.routes["/old.yaml"] = Route(status=302, headers={"Location": raw_location})
    local_server.routes["/%D0%BD%D0%BE%D0%B2%D1%8B%D0%B9.yaml"] = Route(body=YAML)

    fetched = fetch_price_list(local_server.url("/old.yaml"))

    assert fetched.content == YAML
    assert fetched.file_name == "новый.yaml"


# --- One deadline for the whole fetch ----------------------------------------------------------------

# Short, so the tests are quick; the bound asserted is generous: this is a behaviour, not a benchmark.
DEADLINE = 2.0
BOUND = DEADLINE + 1.5


def timed_refusal(url: str, **kwargs) -> tuple[ValidationError, float]:
    started = time.monotonic()
    error = refusal(url, timeout=DEADLINE, **kwargs)
    return error, time.monotonic() - started


def test_headers_dripping_one_byte_a_second_are_cut_off_at_the_deadline(allow_local, drip_server):
    # Each byte comes well within any per-read timeout; only an overall deadline stops this.
    drip_server.routes["/p.yaml"] = Drip(
        head=http_head(200, {"Content-Length": str(len(YAML)), "X-Padding": "a" * 200}), head_interval=1.0
    )

    error, elapsed = timed_refusal(drip_server.url("/p.yaml"))

    assert error.code == "url_timeout"
    assert error.message == "The server did not send the file within 2.0 seconds."
    assert elapsed < BOUND


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_dripping_one_byte_a_second_is_cut_off_at_the_deadline(allow_local, drip_server, chunked):
    body = b"x" * 1000
    if chunked:
        head = http_head(200, {"Transfer-Encoding": "chunked"})
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    else:
        head = http_head(200, {"Content-Length": str(len(body))})
    drip_server.routes["/p.yaml"] = Drip(head=head, body=body, body_interval=1.0)

    error, elapsed = timed_refusal(drip_server.url("/p.yaml"))

    assert error.code == "url_timeout"
    assert elapsed < BOUND


def test_server_that_accepts_and_never_answers_times_out(allow_local, drip_server):
    error, elapsed = timed_refusal(drip_server.silent_url())

    assert error.code == "url_timeout"
    assert elapsed < BOUND
    assert drip_server.requests == ["/p.yaml"]


def test_server_that_never_accepts_the_connection_times_out(allow_local, drip_server):
    error, elapsed = timed_refusal(drip_server.unaccepted_url())

    assert error.code == "url_timeout"
    assert elapsed < BOUND


def test_https_server_that_never_answers_the_tls_handshake_times_out(allow_local, drip_server):
    error, elapsed = timed_refusal(drip_server.silent_url(scheme="https"))

    assert error.code == "url_timeout"
    assert elapsed < BOUND


def test_https_server_that_never_accepts_the_connection_times_out(allow_local, drip_server):
    error, elapsed = timed_refusal(drip_server.unaccepted_url(scheme="https"))

    assert error.code == "url_timeout"
    assert elapsed < BOUND


def test_redirect_hops_each_within_the_deadline_add_up_against_it(allow_local, drip_server):
    # Each hop answers after 0.8 s, well within 2 s alone; three of them are not.
    for hop in range(3):
        drip_server.routes[f"/{hop}"] = Drip(
            head=http_head(302, {"Location": f"/{hop + 1}", "Content-Length": "0"}), delay=0.8
        )
    drip_server.routes["/3"] = Drip(head=http_head(200, {"Content-Length": str(len(YAML))}), body=YAML)

    error, elapsed = timed_refusal(drip_server.url("/0"))

    assert error.code == "url_timeout"
    assert elapsed < BOUND
    assert drip_server.requests == ["/0", "/1", "/2"]


def test_slow_but_timely_server_is_fetched_whole(allow_local, drip_server):
    drip_server.routes["/p.yaml"] = Drip(
        head=http_head(200, {"Content-Length": str(len(YAML))}), body=YAML, delay=0.5, body_interval=0.01
    )

    fetched = fetch_price_list(drip_server.url("/p.yaml"), timeout=DEADLINE)

    assert fetched.content == YAML


def test_name_lookup_that_hangs_times_out(allow_local, monkeypatch):
    answer_now = threading.Event()
    looked_up = []

    def hanging_name_server(host, port, *args, **kwargs):
        looked_up.append(host)
        answer_now.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(url_fetch.socket, "getaddrinfo", hanging_name_server)
    try:
        error, elapsed = timed_refusal("http://slow-dns.example.com/p.yaml")
    finally:
        answer_now.set()

    assert error.code == "url_timeout"
    assert elapsed < BOUND
    assert looked_up == ["slow-dns.example.com"]


def test_body_cut_short_of_its_content_length_is_refused_not_imported_truncated(allow_local, drip_server):
    drip_server.routes["/p.yaml"] = Drip(
        head=http_head(200, {"Content-Length": "1000"}), body=b"x" * 1000, close_early=10
    )

    assert refusal(drip_server.url("/p.yaml")).code == "url_unreachable"


# --- Checks made before any fetch ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/p.yaml", "url_scheme"),
        ("http://user:pw@example.com/p.yaml", "url_invalid"),
        ("http://example.com:99999/p.yaml", "url_invalid"),
        ("https:///p.yaml", "url_invalid"),
        ("http://10.0.0.1/p.yaml", "url_forbidden_address"),
        ("http://169.254.169.254/latest/meta-data/", "url_forbidden_address"),
        ("http://[::ffff:127.0.0.1]/p.yaml", "url_forbidden_address"),
    ],
)
def test_url_check_without_the_network_refuses_what_could_never_be_fetched(url, code, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the check must not resolve names")

    monkeypatch.setattr(url_fetch.socket, "getaddrinfo", no_network)

    with pytest.raises(ValidationError) as caught:
        check_price_list_url(url)

    assert caught.value.code == code


def test_url_check_without_the_network_accepts_host_names_and_allowed_addresses(settings, monkeypatch):
    settings.PRICE_LIST_URL_ALLOWED_HOSTS = ["127.0.0.1"]

    def no_network(*args, **kwargs):
        raise AssertionError("the check must not resolve names")

    monkeypatch.setattr(url_fetch.socket, "getaddrinfo", no_network)

    assert check_price_list_url("https://internal.example.com/p.yaml") is None
    assert check_price_list_url("http://127.0.0.1:8000/p.yaml") is None
