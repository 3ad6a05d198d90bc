"""A moto server with a request log and fault injection, and moto's gaps patched.

The moto patches are ``fixtures.aws.moto_patches`` (applied at start-up); this module
adds only what tests need around them: the request log, injected faults, and control
routes that switch the patches' state.

Run as ``python -m tests.harness.moto_server --port N`` (``--port 0`` picks a free port).
It prints ``READY <port>`` on stdout once it accepts connections. Control routes (JSON):

- ``GET  /_harness/requests``          every request seen since the last reset
- ``POST /_harness/reset-log``         forget the request log
- ``POST /_harness/faults``            replace the fault rules (a JSON list; ``[]`` clears)
- ``POST /_harness/iam/root-row``      ``{"enabled": bool, <csv column>: value, ...}``
- ``POST /_harness/iam/access-key``    ``{"access_key_id", "create_date", "last_used"?}``

Everything else goes to moto (including ``/moto-api/...``).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from fixtures.aws import moto_patches

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_CRED_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([A-Za-z0-9]+)$")

# GuardDuty is REST: its operation is named by method and path, not by the request.
_REST_OPERATIONS: tuple[tuple[str, str, re.Pattern[str], str], ...] = (
    ("guardduty", "GET", re.compile(r"^/detector/?$"), "ListDetectors"),
    ("guardduty", "GET", re.compile(r"^/detector/[^/]+/?$"), "GetDetector"),
    ("guardduty", "POST", re.compile(r"^/detector/?$"), "CreateDetector"),
)


class HarnessState:
    """Request log and fault rules, shared by the server's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []

    def take_fault(self, record: dict[str, Any]) -> dict[str, Any] | None:
        with self.lock:
            for rule in self.faults:
                if rule.get("action") not in (None, record["action"]):
                    continue
                if rule.get("service") not in (None, record["service"]):
                    continue
                if rule.get("region") not in (None, record["region"]):
                    continue
                if rule.get("after", 0) > 0:
                    rule["after"] -= 1
                    continue
                remaining = rule.get("count")
                if remaining is not None:
                    if remaining <= 0:
                        continue
                    rule["count"] = remaining - 1
                return dict(rule)
        return None


STATE = HarnessState()


def _describe(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """Service, action, region and wire protocol of one request."""
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    scope = _CRED_SCOPE.search(auth)
    region, service = (scope.group(1), scope.group(2)) if scope else ("", "")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    action = ""
    protocol = "rest-json"
    cbor = _CBOR_PATH.match(path)
    if cbor and "smithy" in environ.get("HTTP_SMITHY_PROTOCOL", "rpc-v2-cbor"):
        action, protocol = cbor.group(1), "rpc-v2-cbor"
    elif target:
        action, protocol = target.rsplit(".", 1)[-1], "json"
    else:
        params = parse_qs(environ.get("QUERY_STRING", ""))
        if "form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            params.update(parse_qs(body.decode("utf-8", "replace")))
        if "Action" in params:
            action = params["Action"][0]
            protocol = "ec2" if service == "ec2" else "query"
        else:
            for svc, verb, pattern, name in _REST_OPERATIONS:
                if svc == service and verb == method and pattern.match(path):
                    action = name
    return {
        "method": method,
        "path": path,
        "service": service,
        "action": action,
        "region": region,
        "protocol": protocol,
        "time": time.time(),
    }


def _cbor_text_map(values: dict[str, str]) -> bytes:
    """A CBOR map of short text strings: all an rpc-v2-cbor error body needs."""

    def head(major: int, n: int) -> bytes:
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")

    out = head(5, len(values))
    for key, value in values.items():
        for text in (key, value):
            raw = text.encode()
            out += head(3, len(raw)) + raw
    return out


def _error_response(
    record: dict[str, Any], rule: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    status = int(rule.get("status", 400))
    code = str(rule.get("code", "AccessDenied"))
    message = str(rule.get("message", f"injected fault for {record['action']}"))
    status_line = f"{status} Injected"
    protocol = record["protocol"]
    if protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
            f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            "<RequestID>harness</RequestID></Response>"
        ).encode()
        return status_line, [("Content-Type", "text/xml")], body
    if protocol == "query":
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>harness</RequestId></ErrorResponse>"
        ).encode()
        return status_line, [("Content-Type", "text/xml")], body
    if protocol == "rpc-v2-cbor":
        body = _cbor_text_map({"__type": code, "message": message})
        headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        return status_line, headers, body
    body = json.dumps({"__type": code, "message": message}).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    return status_line, headers, body


def _json_reply(start_response: StartResponse, payload: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(payload, default=str).encode()]


def _control(environ: dict[str, Any], body: bytes, start_response: StartResponse) -> list[bytes]:
    path = environ["PATH_INFO"]
    data = json.loads(body or b"null")
    if path == "/_harness/requests":
        with STATE.lock:
            return _json_reply(start_response, list(STATE.requests))
    if path == "/_harness/reset-log":
        with STATE.lock:
            STATE.requests.clear()
        return _json_reply(start_response, {"ok": True})
    if path == "/_harness/faults":
        with STATE.lock:
            STATE.faults = [dict(rule) for rule in data or []]
        return _json_reply(start_response, {"ok": True})
    if path == "/_harness/iam/root-row":
        if data.pop("enabled", True):
            moto_patches.set_root_row(**{k: str(v) for k, v in data.items()})
        else:
            moto_patches.clear_root_row()
        return _json_reply(start_response, {"ok": True})
    if path == "/_harness/iam/access-key":
        found = moto_patches.backdate_access_key(
            data["access_key_id"], _when(data.get("create_date")), _when(data.get("last_used"))
        )
        return _json_reply(start_response, {"ok": found})
    start_response("404 Not Found", [("Content-Type", "application/json")])
    return [b'{"error": "unknown harness route"}']


class HarnessMiddleware:
    """Logs each request, answers injected faults, and routes ``/_harness/`` calls."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if environ.get("PATH_INFO", "").startswith("/_harness/"):
            return _control(environ, body, start_response)
        record = _describe(environ, body)
        rule = None if record["path"].startswith("/moto-api") else STATE.take_fault(record)
        record["fault"] = rule.get("code") if rule else None
        with STATE.lock:
            STATE.requests.append(record)
        if rule is not None:
            time.sleep(float(rule.get("delay", 0)))
            if rule.get("passthrough"):
                return self.app(environ, start_response)
            status, headers, payload = _error_response(record, rule)
            start_response(status, [*headers, ("Content-Length", str(len(payload)))])
            return [payload]
        return self.app(environ, start_response)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def build_app() -> WsgiApp:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    moto_patches.apply()
    return HarnessMiddleware(DomainDispatcherApplication(create_backend_app))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            """The request log lives in memory; keep the test output clean."""

    server = make_server(
        args.host, args.port, build_app(), threaded=True, request_handler=QuietHandler
    )
    print(f"READY {server.server_port}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
