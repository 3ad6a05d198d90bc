"""Syslog over TCP or TLS: RFC 5424 messages in octet-counting frames (RFC 6587 3.4.1).

TCP gives no application acknowledgement: a batch counts as delivered once written to
the socket. After a failure the connection is reopened and the whole batch sent again,
so a receiver may see a few events twice after an outage, never none silently.
"""

from __future__ import annotations

import json
import os
import select
import socket
import ssl
from datetime import UTC, datetime
from typing import Any

from scanner.delivery.config import SyslogSink, tls_context
from scanner.delivery.retry import Permanent, Transient
from scanner.errors import one_line

APP_NAME = "cldscan"
SD_ID = "cldscan@32473"
"""32473 is the private enterprise number RFC 5612 sets aside for documentation."""
DEFAULT_MSGID = "finding"
PROBE_S = 0.3
_MAX_FIELD = {"hostname": 255, "msgid": 32}

# Syslog severities: 2 crit, 3 err, 4 warning, 5 notice, 6 info.
_FAIL_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}
_NOT_EVALUATED = 5
_SUPPRESSED = 5
_PASSED = 6


def _printable(value: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, or the NILVALUE '-'."""
    clean = "".join(c for c in value if 33 <= ord(c) <= 126)[:limit]
    return clean or "-"


def _sd_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def describe(record: dict[str, Any]) -> dict[str, str]:
    """Check, finding id, status (PASS/FAIL/ERROR), severity, lifecycle (new/open/resolved
    with ``--state-dir``) and suppressed ("true" or "") of an OCSF or native record."""
    if "class_uid" in record:
        meta = record.get("metadata") or {}
        compliance = record.get("compliance") or {}
        unmapped = record.get("unmapped") or {}
        return {
            "check": str(meta.get("event_code") or ""),
            "finding_id": str((record.get("finding_info") or {}).get("uid") or ""),
            "status": str(compliance.get("status_code") or ""),
            "severity": str(record.get("severity") or "").lower(),
            "lifecycle": str(unmapped.get("lifecycle") or ""),
            "suppressed": "true" if unmapped.get("suppression") else "",
        }
    return {
        "check": str(record.get("check_id") or ""),
        "finding_id": str(record.get("finding_id") or ""),
        "status": str(record.get("status") or ""),
        "severity": str(record.get("severity") or "").lower(),
        "lifecycle": str(record.get("lifecycle") or ""),
        "suppressed": "true" if record.get("suppressed") else "",
    }


def severity(status: str, finding_severity: str, *, suppressed: bool = False) -> int:
    if suppressed and status == "FAIL":
        return _SUPPRESSED
    if status == "FAIL":
        return _FAIL_SEVERITY.get(finding_severity, 4)
    if status == "PASS":
        return _PASSED
    return _NOT_EVALUATED


def message(event: str, *, facility: int, hostname: str, procid: str, now: datetime) -> bytes:
    """One RFC 5424 SYSLOG-MSG (without framing) whose MSG is the event's JSON."""
    info = describe(json.loads(event))
    pri = facility * 8 + severity(
        info["status"], info["severity"], suppressed=bool(info["suppressed"])
    )
    check = info["check"]
    fits = bool(check) and len(check) <= 32 and _printable(check, 32) == check
    msgid = check if fits else DEFAULT_MSGID
    params = " ".join(
        f'{name}="{_sd_value(value)}"'
        for name, value in (
            ("finding_id", info["finding_id"]),
            ("check", check),
            ("status", info["status"]),
            ("severity", info["severity"]),
            ("lifecycle", info["lifecycle"]),
            ("suppressed", info["suppressed"]),
        )
        if value
    )
    timestamp = now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    header = (
        f"<{pri}>1 {timestamp} {_printable(hostname, _MAX_FIELD['hostname'])} {APP_NAME} "
        f"{_printable(procid, 128)} {msgid} [{SD_ID} {params}] "
    )
    return header.encode("ascii") + event.encode("utf-8")


def _hostname() -> str:
    """The FQDN when the resolver knows one, else the plain host name (RFC 5424 6.2.4)."""
    fqdn = socket.getfqdn()
    if "." in fqdn and not fqdn.startswith("localhost"):
        return fqdn
    return socket.gethostname()


def frame(msg: bytes) -> bytes:
    return str(len(msg)).encode("ascii") + b" " + msg


class SyslogClient:
    """A TCP or TLS connection to one syslog receiver; reopened after any failure."""

    def __init__(self, sink: SyslogSink, *, hostname: str | None = None) -> None:
        self.sink = sink
        self._sock: socket.socket | None = None
        self._hostname = hostname or _hostname()
        self._procid = str(os.getpid())
        self._ssl: ssl.SSLContext | None = None
        if sink.scheme == "tls":
            self._ssl = tls_context(sink.ca_file, sink.client_cert, sink.client_key)

    def size(self, event: str) -> int:
        return len(event.encode("utf-8")) + 200

    def _socket(self) -> socket.socket:
        if self._sock is not None and not self._alive(self._sock):
            # The receiver closed or reset the connection since the last batch (a
            # restart): a write now would be accepted by the kernel and then lost.
            self.close()
        if self._sock is None:
            sock = socket.create_connection(
                (self.sink.host, self.sink.port), timeout=self.sink.timeout_s
            )
            if self._ssl is not None:
                try:
                    sock = self._ssl.wrap_socket(sock, server_hostname=self.sink.host)
                    self._refused(sock)
                except BaseException:
                    sock.close()
                    raise
            self._sock = sock
        return self._sock

    def _alive(self, sock: socket.socket) -> bool:
        """Receivers never write to a syslog client, so anything readable is a close,
        a reset or a TLS alert; TLS housekeeping (session tickets) does not count."""
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return True
        sock.setblocking(False)
        try:
            if isinstance(sock, ssl.SSLSocket):
                data = sock.recv(1)
            else:
                data = sock.recv(1, socket.MSG_PEEK)
        except (ssl.SSLWantReadError, BlockingIOError):
            return True
        except OSError:
            return False
        finally:
            sock.settimeout(self.sink.timeout_s)
        return bool(data)

    def _refused(self, sock: ssl.SSLSocket) -> None:
        """Wait briefly for a refusal: under TLS 1.3 a receiver that rejects the client
        certificate says so only after the handshake, and what was sent meanwhile is
        lost. Silence means accepted; a syslog receiver never writes to the client."""
        sock.settimeout(PROBE_S)
        try:
            data = sock.recv(1)
        except TimeoutError:
            return
        except ssl.SSLError as exc:
            raise Permanent(f"the receiver refused the TLS session: {exc.reason or exc}") from None
        finally:
            sock.settimeout(self.sink.timeout_s)
        if not data:
            raise Transient("the receiver closed the connection after the TLS handshake")

    def send(self, batch: list[str]) -> None:
        now = datetime.now(UTC)
        data = b"".join(
            frame(
                message(
                    e,
                    facility=self.sink.facility,
                    hostname=self._hostname,
                    procid=self._procid,
                    now=now,
                )
            )
            for e in batch
        )
        try:
            self._socket().sendall(data)
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise Permanent(f"TLS verification failed: {exc.verify_message}") from None
        except OSError as exc:
            self.close()
            raise Transient(
                f"connection error: {one_line(str(exc)) or type(exc).__name__}"
            ) from None

    def close(self) -> None:
        """Half-close and wait briefly for the receiver to finish reading, then close."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            sock.settimeout(2.0)
            if isinstance(sock, ssl.SSLSocket):
                sock = sock.unwrap()
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(4096):
                pass
        except OSError:
            pass
        finally:
            sock.close()
