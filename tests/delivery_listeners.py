"""Local receivers for delivery tests: a Splunk HEC stand-in over HTTP(S) and a syslog
listener over TCP or TLS that parses octet-counted RFC 5424 frames. Certificates are
made at test time with ``cryptography``."""

from __future__ import annotations

import json
import re
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fixtures.tls import write_self_signed

TOKEN = "test-token-0123456789"


@dataclass(frozen=True)
class Cert:
    cert: Path
    key: Path

    def server_context(self, client_ca: Cert | None = None) -> ssl.SSLContext:
        """Serve this certificate; with ``client_ca``, demand a client certificate
        signed by it."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        if client_ca is not None:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(client_ca.cert)
        return ctx


def make_cert(directory: Path, name: str = "localhost") -> Cert:
    """A self-signed certificate for ``name`` and 127.0.0.1 (it is its own CA)."""
    cert_path, key_path = directory / f"{name}-cert.pem", directory / f"{name}-key.pem"
    write_self_signed(cert_path, key_path, name)
    return Cert(cert_path, key_path)


# --- HEC ----------------------------------------------------------------------------------


@dataclass
class Hec:
    """What the collector saw, and how it should answer."""

    url: str = ""
    fail_first: int = 0
    """Answer 503 to this many requests (an outage), then recover."""
    fail_status: int = 503
    retry_after: str | None = None
    always: int | None = None
    """Answer every request with this status (collector down for good, bad token...)."""
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    auth_headers: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: Hec) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output free of one line per request."""

        def _answer(self, status: int, doc: dict[str, Any], retry_after: str | None) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.requests += 1
                state.auth_headers.append(self.headers.get("Authorization", ""))
                state.paths.append(self.path)
                if state.always is not None:
                    self._answer(state.always, {"text": "Invalid token", "code": 4}, None)
                    return
                if state.fail_first > 0:
                    state.fail_first -= 1
                    self._answer(
                        state.fail_status,
                        {"text": "Server is busy", "code": 9},
                        state.retry_after,
                    )
                    return
                if self.headers.get("Authorization") != f"Splunk {TOKEN}":
                    self._answer(403, {"text": "Invalid token", "code": 4}, None)
                    return
                # HEC's batch format: JSON objects one after another.
                decoder, text, pos = json.JSONDecoder(), body.decode(), 0
                batch = []
                while pos < len(text):
                    while pos < len(text) and text[pos].isspace():
                        pos += 1
                    if pos == len(text):
                        break
                    doc, pos = decoder.raw_decode(text, pos)
                    batch.append(doc)
                state.events.extend(batch)
                self._answer(200, {"text": "Success", "code": 0}, None)

    return Handler


@contextmanager
def hec_server(state: Hec | None = None, *, cert: Cert | None = None) -> Iterator[Hec]:
    state = state or Hec()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    scheme = "http"
    if cert is not None:
        server.socket = cert.server_context().wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- syslog -------------------------------------------------------------------------------

RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) "
    r"(?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+) (?P<msg>.*)",
    re.DOTALL,
)
SD_PARAM = re.compile(r'(\S+?)="((?:[^"\\]|\\.)*)"')


@dataclass
class Syslog:
    host: str = "127.0.0.1"
    port: int = 0
    frames: list[bytes] = field(default_factory=list)
    connections: int = 0
    peers: list[dict[str, Any]] = field(default_factory=list)
    """Client certificates seen (mutual TLS)."""
    closed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages(self) -> list[dict[str, Any]]:
        return [parse(f) for f in self.frames]


def parse(frame: bytes) -> dict[str, Any]:
    m = RFC5424.fullmatch(frame.decode("utf-8"))
    assert m, frame[:200]
    sd = m["sd"]
    params = {k: v.replace('\\"', '"').replace("\\]", "]") for k, v in SD_PARAM.findall(sd)}
    return {**m.groupdict(), "params": params, "event": json.loads(m["msg"])}


def read_frames(stream: Any) -> Iterator[bytes]:
    """Octet-counted frames (``LEN SP MSG``) from a binary stream until EOF."""
    while True:
        digits = b""
        while True:
            ch = stream.read(1)
            if not ch:
                assert not digits, "stream ended inside a frame length"
                return
            if ch == b" ":
                break
            assert ch.isdigit(), f"bad frame length byte {ch!r}"
            digits += ch
        size = int(digits)
        msg = stream.read(size)
        assert len(msg) == size, "stream ended inside a frame"
        yield msg


@contextmanager
def syslog_server(
    *, cert: Cert | None = None, client_ca: Cert | None = None, close_after: int | None = None
) -> Iterator[Syslog]:
    """``close_after``: the first connection is closed after that many frames (a receiver
    restart); ``state.closed`` is set then."""
    state = Syslog()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            with state.lock:
                state.connections += 1
                first = state.connections == 1
            for read, frame in enumerate(read_frames(self.rfile), 1):
                with state.lock:
                    state.frames.append(frame)
                if first and close_after is not None and read == close_after:
                    # shutdown acts at once; close() waits for the makefile references.
                    self.request.shutdown(socket.SHUT_RDWR)
                    state.closed.set()
                    return

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

        def get_request(self) -> tuple[socket.socket, Any]:
            sock, addr = super().get_request()
            if cert is not None:
                sock = cert.server_context(client_ca).wrap_socket(sock, server_side=True)
                peer = sock.getpeercert()
                if peer:
                    state.peers.append(dict(peer))
            return sock, addr

    server = Server(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A port nothing listens on (for 'receiver down')."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
