"""Fetching a partner's price list from a URL without letting the server reach into our own network.

The host is resolved once, every address it resolves to is checked, and the connection goes to the
checked address (the Host header and TLS certificate still name the host), so a DNS answer that
changes between the check and the connection cannot point the request inside. Redirects are followed
by hand, each hop checked the same way. The body is streamed and cut at the size cap.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
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

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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


def _resolve(host: str, port: int) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
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
                raise ValidationError(
                    _(
                        "The URL points to %(address)s, a loopback, private, link-local, reserved or "
                        "metadata address; price lists can only be fetched from public servers."
                    )
                    % {"address": address},
                    code="url_forbidden_address",
                )
    return str(addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to a checked address, with the Host header of the URL."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; the certificate is verified against the host name of the URL."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


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


def _file_name(url: str) -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name[:255] or "price-list.yaml"


def fetch_price_list(url: str, *, max_bytes: int | None = None, timeout: float | None = None) -> FetchedFile:
    """Download `url` safely; raises ValidationError with a code naming the refusal.

    `too_large` means the body passed `max_bytes` (the API answers 413); every other code is a 400.
    """
    max_bytes = settings.PRICE_LIST_MAX_BYTES if max_bytes is None else max_bytes
    timeout = settings.PRICE_LIST_URL_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = _check_url(current)
        address = _resolve(host, port)
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(host, port, address=address, timeout=timeout)
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
                content=_read_capped(response, max_bytes=max_bytes, deadline=deadline),
                url=current,
                file_name=_file_name(current),
            )
        except TimeoutError:
            raise ValidationError(
                _("The server did not answer within %(seconds)s seconds.") % {"seconds": timeout},
                code="url_timeout",
            ) from None
        except ssl.SSLError as error:
            raise ValidationError(
                _("The secure connection to %(host)s failed: %(reason)s")
                % {"host": host, "reason": error.reason or type(error).__name__},
                code="url_tls",
            ) from None
        except (OSError, http.client.HTTPException):
            raise ValidationError(
                _("Could not download the file from %(host)s.") % {"host": host}, code="url_unreachable"
            ) from None
        finally:
            connection.close()
    raise ValidationError(
        _("The URL redirected more than %(count)s times.") % {"count": MAX_REDIRECTS},
        code="url_too_many_redirects",
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


def _read_capped(response: http.client.HTTPResponse, *, max_bytes: int, deadline: float) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large_error(max_bytes)
    chunks: list[bytes] = []
    received = 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError
        chunk = response.read(CHUNK_SIZE)
        if not chunk:
            return b"".join(chunks)
        received += len(chunk)
        if received > max_bytes:
            raise too_large_error(max_bytes)
        chunks.append(chunk)
