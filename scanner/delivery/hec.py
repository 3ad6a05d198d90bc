"""Splunk HTTP Event Collector: batches of JSON events POSTed to /services/collector/event.

The token travels only in the ``Authorization: Splunk <token>`` header and is never
logged. HEC acknowledgement (indexer acks) is not used: a 200 means accepted.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import socket
import ssl
import time
from urllib.parse import urlsplit

from scanner import __version__
from scanner.delivery.config import HecSink, tls_context
from scanner.delivery.retry import Permanent, Transient
from scanner.errors import one_line

EVENT_PATH = "/services/collector/event"
_ENVELOPE_OVERHEAD = 160


def _retry_after(value: str | None) -> float | None:
    """Retry-After as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _hec_text(body: bytes) -> str:
    """HEC's own error text (``{"text": ..., "code": n}``) or the start of the body."""
    try:
        doc = json.loads(body)
        return f"{doc['text']} (HEC code {doc['code']})"
    except (ValueError, KeyError, TypeError):
        return one_line(body.decode("utf-8", "replace"), 200) or "no body"


def _event_time(event: str, default: float) -> float:
    """The OCSF event's own ``time`` (epoch ms) in seconds, so a file re-sent later keeps
    the scan's time in Splunk; ``default`` for records without one."""
    try:
        stamp = json.loads(event).get("time")
    except (ValueError, AttributeError):
        return round(default, 3)
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and stamp > 0:
        return round(stamp / 1000, 3)
    return round(default, 3)


class HecClient:
    """One keep-alive connection to a collector; reconnects after any failure."""

    def __init__(self, sink: HecSink, *, host: str | None = None) -> None:
        self.sink = sink
        parts = urlsplit(sink.url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        path = parts.path.rstrip("/")
        self._path = path if path else EVENT_PATH
        self._conn: http.client.HTTPConnection | None = None
        self._reused = False
        self._event_host = host or socket.gethostname()
        self._ssl: ssl.SSLContext | None = None
        if self._https:
            self._ssl = tls_context(sink.ca_file)

    def size(self, event: str) -> int:
        return len(event.encode("utf-8")) + _ENVELOPE_OVERHEAD

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self._https:
                self._conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self.sink.timeout_s, context=self._ssl
                )
            else:
                self._conn = http.client.HTTPConnection(
                    self._host, self._port, timeout=self.sink.timeout_s
                )
        return self._conn

    def _body(self, batch: list[str], now: float) -> bytes:
        lines = []
        for event in batch:
            envelope: dict[str, object] = {
                "time": _event_time(event, now),
                "host": self._event_host,
                "source": self.sink.source,
                "sourcetype": self.sink.sourcetype,
            }
            if self.sink.index:
                envelope["index"] = self.sink.index
            # The event is already JSON: splice it in rather than parse and re-encode it.
            head = json.dumps(envelope, ensure_ascii=False)[:-1]
            lines.append(f'{head}, "event": {event}}}')
        return "\n".join(lines).encode("utf-8")

    def send(self, batch: list[str]) -> None:
        body = self._body(batch, time.time())
        headers = {
            "Authorization": f"Splunk {self.sink.token}",
            "Content-Type": "application/json",
            "User-Agent": f"cldscan/{__version__}",
        }
        try:
            try:
                response, payload = self._post(body, headers)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if not self._reused:
                    raise
                # The collector dropped an idle keep-alive connection: open a new one now
                # rather than after a backoff.
                self.close()
                response, payload = self._post(body, headers)
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise Permanent(f"TLS verification failed: {exc.verify_message}") from None
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise Transient(
                f"connection error: {one_line(str(exc)) or type(exc).__name__}"
            ) from None
        status = response.status
        if 200 <= status < 300:
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return
        self.close()
        text = f"HTTP {status}: {_hec_text(payload)}"
        if status == 429 or status >= 500:
            raise Transient(text, _retry_after(response.getheader("Retry-After")))
        raise Permanent(text)

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[http.client.HTTPResponse, bytes]:
        self._reused = self._conn is not None
        conn = self._connection()
        conn.request("POST", self._path, body=body, headers=headers)
        response = conn.getresponse()
        return response, response.read()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
