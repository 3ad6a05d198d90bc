"""A moto server with a request log, fault injection and a few moto gaps patched.

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
    """Request log, fault rules and patch switches, shared by the server's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self.root_row: dict[str, str] | None = None

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
        enabled = bool(data.pop("enabled", True))
        with STATE.lock:
            STATE.root_row = {k: str(v) for k, v in data.items()} if enabled else None
        return _json_reply(start_response, {"ok": True})
    if path == "/_harness/iam/access-key":
        return _json_reply(start_response, {"ok": _age_access_key(data)})
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


# --- moto patches --------------------------------------------------------------------------


def _age_access_key(data: dict[str, Any]) -> bool:
    """moto stamps every access key "now"; tests need old keys to see rotation FAILs."""
    from moto.iam.models import iam_backends

    key_id = data["access_key_id"]
    for account_backends in iam_backends.values():
        backend = account_backends["global"]
        for user in backend.users.values():
            for key in user.access_keys:
                if key.access_key_id != key_id:
                    continue
                if data.get("create_date"):
                    key.create_date = datetime.fromisoformat(data["create_date"])
                if data.get("last_used"):
                    # to_csv() calls strftime on it, which a datetime has.
                    key.last_used = datetime.fromisoformat(data["last_used"])  # type: ignore[assignment]
                return True
    return False


_ROOT_DEFAULTS = {
    "user": "<root_account>",
    "user_creation_time": "2020-01-01T00:00:00+00:00",
    "password_enabled": "not_supported",
    "password_last_used": "no_information",
    "password_last_changed": "not_supported",
    "password_next_rotation": "not_supported",
    "mfa_active": "true",
    "access_key_1_active": "false",
    "access_key_1_last_rotated": "N/A",
    "access_key_1_last_used_date": "N/A",
    "access_key_1_last_used_region": "N/A",
    "access_key_1_last_used_service": "N/A",
    "access_key_2_active": "false",
    "access_key_2_last_rotated": "N/A",
    "access_key_2_last_used_date": "N/A",
    "access_key_2_last_used_region": "N/A",
    "access_key_2_last_used_service": "N/A",
    "cert_1_active": "false",
    "cert_1_last_rotated": "N/A",
    "cert_2_active": "false",
    "cert_2_last_rotated": "N/A",
}


def _patch_credential_report() -> None:
    """moto's credential report has no ``<root_account>`` row; add one when a test asks."""
    from moto.iam.models import IAMBackend

    original = IAMBackend.get_credential_report

    def get_credential_report(self: Any) -> str:
        report: str = original(self)
        with STATE.lock:
            overrides = dict(STATE.root_row) if STATE.root_row is not None else None
        if overrides is None:
            return report
        header, _, rest = report.partition("\n")
        row = {**_ROOT_DEFAULTS, "arn": f"arn:aws:iam::{self.account_id}:root", **overrides}
        line = ",".join(row.get(col, "N/A") for col in header.split(","))
        return f"{header}\n{line}\n{rest}"

    IAMBackend.get_credential_report = get_credential_report  # type: ignore[method-assign]


def _patch_ec2_settings() -> None:
    """moto 5.2.5 lacks GetEbsDefaultKmsKeyId and the serial console settings; without them
    every region of every scenario would carry a region_settings gap."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.settings import Settings

    def get_ebs_default_kms_key_id(self: Any) -> Any:
        key = getattr(self.ec2_backend, "default_kms_key_id", "") or "alias/aws/ebs"
        return ActionResult({"KmsKeyId": key})

    def get_serial_console_access_status(self: Any) -> Any:
        enabled = getattr(self.ec2_backend, "harness_serial_console", False)
        return ActionResult({"SerialConsoleAccessEnabled": enabled})

    def _set_serial_console(self: Any, enabled: bool) -> Any:
        self.ec2_backend.harness_serial_console = enabled
        return ActionResult({"SerialConsoleAccessEnabled": enabled})

    Settings.get_ebs_default_kms_key_id = get_ebs_default_kms_key_id  # type: ignore[attr-defined]
    Settings.get_serial_console_access_status = get_serial_console_access_status  # type: ignore[attr-defined]
    Settings.enable_serial_console_access = (  # type: ignore[attr-defined]
        lambda self: _set_serial_console(self, True)
    )
    Settings.disable_serial_console_access = (  # type: ignore[attr-defined]
        lambda self: _set_serial_console(self, False)
    )


def build_app() -> WsgiApp:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    _patch_credential_report()
    _patch_ec2_settings()
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
