"""Fetching a partner's price list from a URL without letting the server reach into our own network.

The host is resolved once, every address it resolves to is checked, and the connection goes to the
checked address (the Host header and TLS certificate still name the host), so a DNS answer that
changes between the check and the connection cannot point the request inside. Redirects are followed
by hand, each hop checked the same way. The body is streamed and cut at the size cap.

One wall-clock deadline covers the whole fetch, whatever the server sends or withholds: name
resolution, connecting, the TLS handshake, the request, the status line and headers, the body and
every redirect hop. Each blocking step gets only the time left as its own timeout (CPython bounds a
connect, a TLS handshake, a sendall and a single recv by the socket timeout as a whole), and every
read of the response asks the socket again, so a server dripping a byte at a time is cut off at the
deadline instead of resetting a per-read timeout forever. Name resolution cannot be interrupted, so
it runs in a daemon thread that the fetch stops waiting for at the deadline.
"""

from __future__ import annotations

import functools
import http.client
import io
import ipaddress
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_REDIRECTS = 3
CHUNK_SIZE = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Cloud instance-metadata endpoints, refused by name even where they would pass the range checks.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
USER_AGENT = "procurement-price-list-fetcher/1.0"
# Name lookups that may be in progress at once in one process. A lookup the fetch gave up on keeps its
# thread until the system resolver gives up too (seconds); this bounds how many a hostile name server
# can hold. When all are busy, a fetch waits for a free one within its own deadline.
RESOLVER_THREADS = 8

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class _Deadline:
    """The one point in time by which the whole fetch must be over."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, as a socket timeout; TimeoutError once they are spent (0 would mean non-blocking)."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left

    @property
    def has_passed(self) -> bool:
        return time.monotonic() >= self.at


_resolver_slots = threading.BoundedSemaphore(RESOLVER_THREADS)


def _forget_resolver_slots() -> None:
    # A forked child (a gunicorn or Celery worker) has none of its parent's lookup threads.
    global _resolver_slots
    _resolver_slots = threading.BoundedSemaphore(RESOLVER_THREADS)


os.register_at_fork(after_in_child=_forget_resolver_slots)


def _getaddrinfo(host: str, port: int, deadline: _Deadline) -> list:
    """socket.getaddrinfo, given up on (TimeoutError) at the deadline; the lookup thread then ends alone."""
    slots = _resolver_slots
    if not slots.acquire(timeout=deadline.remaining()):
        raise TimeoutError
    outcome: dict[str, object] = {}
    done = threading.Event()

    def look_up() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as error:  # handed to the waiting fetch, which decides
            outcome["error"] = error
        finally:
            slots.release()
            done.set()

    threading.Thread(target=look_up, name="price-list-dns", daemon=True).start()
    if not done.wait(deadline.remaining()):
        raise TimeoutError
    if "error" in outcome:
        raise outcome["error"]
    return outcome["infos"]


@dataclass(frozen=True)
class FetchedFile:
    content: bytes
    url: str
    file_name: str


def is_forbidden_address(address: IPAddress) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified, metadata or otherwise not public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address in METADATA_ADDRESSES
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _host_is_allowed(host: str) -> bool:
    allowed = {name.strip().lower().rstrip(".") for name in settings.PRICE_LIST_URL_ALLOWED_HOSTS}
    return host.lower().rstrip(".") in allowed


def _resolve(host: str, port: int, deadline: _Deadline) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    try:
        infos = _getaddrinfo(host, port, deadline)
    except TimeoutError:
        raise
    except (OSError, UnicodeError, ValueError):  # no such name, a name IDNA refuses, a NUL in the host
        raise ValidationError(
            _("The host %(host)s of the URL could not be resolved.") % {"host": host}, code="url_unresolvable"
        ) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise ValidationError(
            _("The host %(host)s of the URL could not be resolved.") % {"host": host}, code="url_unresolvable"
        )
    if not _host_is_allowed(host):
        for address in addresses:
            if is_forbidden_address(address):
                raise _forbidden_address_error(address)
    return str(addresses[0])


class _DeadlineReader(io.RawIOBase):
    """The response's bytes as they come, each read given only the time left before the deadline.

    It reads through the socket's own file object, which keeps the socket open while the response is
    read even after http.client closes the connection (as it does for `Connection: close`).
    """

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._sock.settimeout(self._deadline.remaining())
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args, deadline: _Deadline, **kwargs) -> None:
        super().__init__(sock, *args, **kwargs)
        opened_by_http_client = self.fp
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))
        opened_by_http_client.close()


class _DeadlineConnectionMixin:
    """Connect to the checked address and send within the deadline; the response reads within it too."""

    address: str
    deadline: _Deadline

    def _init_deadline(self, *, address: str, deadline: _Deadline) -> None:
        self.address = address
        self.deadline = deadline
        self.response_class = functools.partial(_DeadlineResponse, deadline=deadline)

    def _connect_socket(self) -> socket.socket:
        return socket.create_connection((self.address, self.port), self.deadline.remaining())

    def send(self, data) -> None:
        if self.sock is None:
            self.connect()
        self.sock.settimeout(self.deadline.remaining())
        super().send(data)


class _PinnedHTTPConnection(_DeadlineConnectionMixin, http.client.HTTPConnection):
    """Plain HTTP to a checked address, with the Host header of the URL."""

    def __init__(self, host: str, port: int, *, address: str, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.seconds)
        self._init_deadline(address=address, deadline=deadline)

    def connect(self) -> None:
        self.sock = self._connect_socket()


class _PinnedHTTPSConnection(_DeadlineConnectionMixin, http.client.HTTPSConnection):
    """HTTPS to a checked address; the certificate is verified against the host name of the URL."""

    def __init__(self, host: str, port: int, *, address: str, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.seconds, context=ssl.create_default_context())
        self._init_deadline(address=address, deadline=deadline)

    def connect(self) -> None:
        sock = self._connect_socket()
        try:
            # The handshake as a whole is bounded by the socket's timeout: the time left.
            sock.settimeout(self.deadline.remaining())
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an acceptable URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError(_("The URL is not valid."), code="url_invalid") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValidationError(_("Only http and https URLs can be fetched."), code="url_scheme")
    if not parts.hostname:
        raise ValidationError(_("The URL has no host."), code="url_invalid")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            _("URLs with a user name or password are not accepted; publish the file at a plain URL."),
            code="url_invalid",
        )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    # A request line is ASCII: a path written in another script (a Cyrillic file name, say) is sent
    # percent-encoded, as a browser would; escapes already in the URL are kept as they are.
    path = quote(path, safe="!#$%&'()*+,/:;=?@[]~")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def file_name_of(url: str) -> str:
    """The file name a URL's path ends with, printable characters only (%00 or %0A decode to others)."""
    name = "".join(char for char in unquote(urlsplit(url).path.rsplit("/", 1)[-1]) if char.isprintable())
    return name[:255] or "price-list.yaml"


def check_price_list_url(url: str) -> None:
    """Refuse, without touching the network, a URL that could never be fetched.

    The scheme, the host's syntax, credentials, and a host written as an address that is not public
    (unless named in PRICE_LIST_URL_ALLOWED_HOSTS). Host names are resolved and checked only when the
    file is fetched, by `fetch_price_list`.
    """
    _scheme, host, _port, _path = _check_url(url)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not _host_is_allowed(host) and is_forbidden_address(address):
        raise _forbidden_address_error(address)


def fetch_price_list(url: str, *, max_bytes: int | None = None, timeout: float | None = None) -> FetchedFile:
    """Download `url` safely within `timeout` seconds in all; raises ValidationError naming the refusal.

    `too_large` means the body passed `max_bytes` (the API answers 413); every other code is a 400.
    `url_timeout` means the deadline passed, whichever step the server was at.
    """
    max_bytes = settings.PRICE_LIST_MAX_BYTES if max_bytes is None else max_bytes
    deadline = _Deadline(settings.PRICE_LIST_URL_TIMEOUT if timeout is None else timeout)
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = _check_url(current)
        try:
            address = _resolve(host, port, deadline)
        except TimeoutError:
            raise _timeout_error(deadline) from None
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(host, port, address=address, deadline=deadline)
        response = None
        try:
            connection.request(
                "GET",
                path,
                headers={"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity"},
            )
            response = connection.getresponse()
            if response.status in REDIRECT_STATUSES:
                location = response.getheader("Location")
                if not location:
                    raise ValidationError(
                        _("The server answered a redirect without a location."), code="url_http_error"
                    )
                current = urljoin(current, _header_text(location.strip()))
                continue
            if response.status != 200:
                raise ValidationError(
                    _("The server answered HTTP %(status)s instead of the file.")
                    % {"status": response.status},
                    code="url_http_error",
                )
            return FetchedFile(
                content=_read_capped(response, max_bytes=max_bytes),
                url=current,
                file_name=file_name_of(current),
            )
        except TimeoutError:
            raise _timeout_error(deadline) from None
        except ssl.SSLError as error:
            if deadline.has_passed:
                raise _timeout_error(deadline) from None
            raise ValidationError(
                _("The secure connection to %(host)s failed: %(reason)s")
                % {"host": host, "reason": error.reason or type(error).__name__},
                code="url_tls",
            ) from None
        except (OSError, http.client.HTTPException):
            # A read cut short at the deadline can surface as a broken connection instead.
            if deadline.has_passed:
                raise _timeout_error(deadline) from None
            raise ValidationError(
                _("Could not download the file from %(host)s.") % {"host": host}, code="url_unreachable"
            ) from None
        finally:
            if response is not None:
                response.close()
            connection.close()
    raise ValidationError(
        _("The URL redirected more than %(count)s times.") % {"count": MAX_REDIRECTS},
        code="url_too_many_redirects",
    )


def _timeout_error(deadline: _Deadline) -> ValidationError:
    return ValidationError(
        _("The server did not send the file within %(seconds)s seconds.") % {"seconds": deadline.seconds},
        code="url_timeout",
    )


def _forbidden_address_error(address: IPAddress) -> ValidationError:
    return ValidationError(
        _(
            "The URL points to %(address)s, a loopback, private, link-local, reserved or "
            "metadata address; price lists can only be fetched from public servers."
        )
        % {"address": address},
        code="url_forbidden_address",
    )


def _header_text(value: str) -> str:
    """A header as the server meant it: http.client reads Latin-1, but raw bytes in a Location are UTF-8
    to browsers, so a server writing a Cyrillic path there is understood the same way here."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def too_large_error(max_bytes: int) -> ValidationError:
    return ValidationError(
        _("The price list is larger than the limit of %(limit)s bytes.") % {"limit": max_bytes},
        code="too_large",
    )


def _read_capped(response: http.client.HTTPResponse, *, max_bytes: int) -> bytes:
    """The body, cut at `max_bytes`; what is available is taken as it comes (the deadline is the reader's)."""
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large_error(max_bytes)
    chunks: list[bytes] = []
    received = 0
    while True:
        chunk = response.read1(CHUNK_SIZE)
        if not chunk:
            if response.length:  # the connection ended before the Content-Length: a truncated file
                raise http.client.IncompleteRead(b"", response.length)
            return b"".join(chunks)
        received += len(chunk)
        if received > max_bytes:
            raise too_large_error(max_bytes)
        chunks.append(chunk)
