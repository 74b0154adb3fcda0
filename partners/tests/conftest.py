"""A local HTTP server for URL-import tests (the only place these tests send traffic: 127.0.0.1)."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Stream the body in pieces without a Content-Length, like a server that does not know the size.
    chunked: bool = False
    delay: float = 0.0


@dataclass
class LocalServer:
    host: str
    port: int
    routes: dict[str, Route]
    requests: list[tuple[str, str]]

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    routes: dict[str, Route] = {}
    requests: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            requests.append((self.path, self.headers.get("Host", "")))
            route = routes.get(self.path, Route(status=404, body=b"not found"))
            if route.delay:
                time.sleep(route.delay)
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for start in range(0, len(route.body), 65536):
                        piece = route.body[start : start + 65536]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(route.body)

        def log_message(self, format, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            # A client that stops reading at the size cap resets the connection: expected here.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalServer("127.0.0.1", server.server_address[1], routes, requests)
    finally:
        server.shutdown()
        server.server_close()


# --- A server that takes its time ------------------------------------------------------------------


@dataclass
class Drip:
    """What the dripping server sends for one path, and how slowly.

    `head` (status line and headers) then `body`; each is sent at once, or one byte every
    `head_interval` / `body_interval` seconds. `delay` is a pause before anything is sent; `release`, if
    given, is waited for first. `close_early` ends the connection after that many body bytes. `then`,
    if given, is what the path serves from the next request on.
    """

    head: bytes = b""
    body: bytes = b""
    head_interval: float = 0.0
    body_interval: float = 0.0
    delay: float = 0.0
    release: threading.Event | None = None
    close_early: int | None = None
    then: Drip | None = None


def http_head(status: int = 200, headers: dict[str, str] | None = None) -> bytes:
    reasons = {200: "OK", 301: "Moved Permanently", 302: "Found"}
    lines = [f"HTTP/1.1 {status} {reasons.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class DripServer:
    """A raw HTTP/1.1 server on 127.0.0.1 that sends its answers as slowly as told, one thread per
    connection; unknown paths get a 404. Also offers a port where nothing is ever accepted."""

    def __init__(self) -> None:
        self.routes: dict[str, Drip] = {}
        self.requests: list[str] = []
        self.stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stalled: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str, *, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def unaccepted_url(self, path: str = "/p.yaml", *, scheme: str = "http") -> str:
        """A URL whose TCP connect never completes: the port's accept queue is full and never served."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler = socket.create_connection(listener.getsockname())  # takes the only place in the queue
        self._stalled += [listener, filler]
        return f"{scheme}://127.0.0.1:{listener.getsockname()[1]}{path}"

    def silent_url(self, path: str = "/p.yaml", *, scheme: str = "http") -> str:
        """A URL whose server accepts the connection and then never sends a byte."""
        self.routes[path] = Drip(release=threading.Event())
        return self.url(path, scheme=scheme)

    def close(self) -> None:
        self.stopped.set()
        self._listener.close()
        for sock in self._stalled:
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client, contextlib.suppress(OSError):
            request = b""
            while b"\r\n\r\n" not in request:
                piece = client.recv(4096)
                if not piece:
                    return
                request += piece
            path = request.split(b" ", 2)[1].decode("latin-1")
            self.requests.append(path)
            drip = self.routes.get(path) or Drip(
                head=http_head(404, {"Content-Length": "9"}), body=b"not found"
            )
            if drip.then is not None:
                self.routes[path] = drip.then
            if drip.release is not None:
                while not drip.release.wait(0.05):
                    if self.stopped.is_set():
                        return
            if drip.delay and self.stopped.wait(drip.delay):
                return
            body = drip.body if drip.close_early is None else drip.body[: drip.close_early]
            self._send(client, drip.head, drip.head_interval)
            self._send(client, body, drip.body_interval)

    def _send(self, client: socket.socket, data: bytes, interval: float) -> None:
        if not interval:
            client.sendall(data)
            return
        for index in range(len(data)):
            client.sendall(data[index : index + 1])
            if self.stopped.wait(interval):
                return


@pytest.fixture
def drip_server() -> Iterator[DripServer]:
    server = DripServer()
    try:
        yield server
    finally:
        server.close()
