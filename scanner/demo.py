"""The built-in demo: seeded fake accounts served on 127.0.0.1, scanned like real ones.

Each provider's part (see :mod:`scanner.demo_parts`) is a context manager yielding a
collector. The AWS part runs moto in this process (:func:`demo_environment`); moto
comes with the ``demo`` extra and is imported only when the demo starts.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

import structlog

from fixtures.aws.scenarios import DEFAULT_REGIONS
from scanner.demo_parts import DEMO_PARTS
from scanner.environ import patched_environment

if TYPE_CHECKING:
    from scanner.cli.report import Collector
    from scanner.inventory import Inventory

log = structlog.get_logger(__name__)

# Read by moto when it creates its backends, so they must be set before it starts.
SERVER_ENV = {
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "false",
    "MOTO_ALLOW_NONEXISTENT_REGION": "false",
}
AWS_UNSET = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)
"""The user's own AWS identity must never reach the demo."""
DEMO_KEY_AGE_DAYS = 400
"""Age given to the demo's old access key (moto creates every key "now")."""


@dataclass(frozen=True)
class DemoAccount:
    env: dict[str, str]
    """Environment variables that point boto3 at the demo server, and nowhere else."""
    regions: tuple[str, ...]


@contextmanager
def demo_environment(regions: tuple[str, ...] = DEFAULT_REGIONS) -> Iterator[DemoAccount]:
    """Start moto in this process, seed the demo account, yield how to reach it."""
    from fixtures.aws import moto_patches

    moto_patches.slim(regions)
    from moto.server import ThreadedMotoServer  # the demo extra: ImportError if missing

    class _QuickStopServer(ThreadedMotoServer):
        # serve_forever() polls for shutdown every 0.5 s: stop() would wait that long.
        def _server_entry(self) -> None:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )
            from werkzeug.serving import make_server

            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever(poll_interval=0.05)

    from fixtures.aws.scenarios import build_demo_account
    from fixtures.aws.seed import Seeder

    saved = {name: os.environ.get(name) for name in SERVER_ENV}
    os.environ.update(SERVER_ENV)
    # werkzeug logs every request to stderr; keep stderr for cldscan's own lines.
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.CRITICAL)
    server = _QuickStopServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto_patches.apply()
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        scenario = build_demo_account(Seeder.for_endpoint(endpoint, regions[0]), regions)
        gc.collect()  # drop the seeding clients before the scan creates its own
        moto_patches.set_root_row(**scenario.root_row)
        old = datetime.now(UTC) - timedelta(days=DEMO_KEY_AGE_DAYS)
        for key_id in scenario.old_access_keys:
            moto_patches.backdate_access_key(key_id, old)
        log.debug("demo_seeded", endpoint=endpoint, regions=list(regions))
        with tempfile.NamedTemporaryFile("w", prefix="cldscan-demo-", suffix=".ini") as empty:
            yield DemoAccount(
                env={
                    "AWS_ENDPOINT_URL": endpoint,
                    "AWS_ACCESS_KEY_ID": "demo",
                    "AWS_SECRET_ACCESS_KEY": "demo",
                    "AWS_DEFAULT_REGION": regions[0],
                    "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_CONFIG_FILE": empty.name,
                    "AWS_SHARED_CREDENTIALS_FILE": empty.name,
                },
                regions=tuple(regions),
            )
    finally:
        server.stop()
        werkzeug_log.setLevel(werkzeug_level)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def aws_demo() -> Iterator[Collector]:
    """The AWS part of the demo: a collector for the seeded moto account."""
    from providers.aws.options import AwsOptions
    from scanner.cli.provider_options import lazy_collector

    with (
        patched_environment({}, unset=AWS_UNSET),
        demo_environment() as account,
        patched_environment(account.env),
    ):
        yield lazy_collector("aws", AwsOptions(regions=account.regions))


def collect_demo(provider: str, run: Callable[[Collector], Inventory]) -> Inventory:
    """Start ``provider``'s demo part, collect it with ``run`` and stop it again."""
    module, _, name = DEMO_PARTS[provider].partition(":")
    part = cast(
        "Callable[[], AbstractContextManager[Collector]]",
        getattr(importlib.import_module(module), name),
    )
    with part() as collector:
        return run(collector)
