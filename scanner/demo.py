"""The built-in demo: a seeded fake AWS account served by moto on 127.0.0.1.

``cldscan demo`` runs inside :func:`demo_environment` and scans it like any account.
moto comes with the ``demo`` extra; it is imported only when the demo starts.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from fixtures.aws.scenarios import DEFAULT_REGIONS

log = structlog.get_logger(__name__)

# Read by moto when it creates its backends, so they must be set before it starts.
SERVER_ENV = {
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "false",
    "MOTO_ALLOW_NONEXISTENT_REGION": "false",
}
DEMO_KEY_AGE_DAYS = 400


@dataclass(frozen=True)
class DemoAccount:
    env: dict[str, str]
    """Environment variables that point boto3 at the demo server, and nowhere else."""
    regions: tuple[str, ...]


@contextmanager
def demo_environment(regions: tuple[str, ...] = DEFAULT_REGIONS) -> Iterator[DemoAccount]:
    """Start moto in this process, seed the demo account, yield how to reach it."""
    from moto.server import ThreadedMotoServer  # the demo extra: ImportError if missing

    from fixtures.aws import moto_patches
    from fixtures.aws.scenarios import build_demo_account
    from fixtures.aws.seed import Seeder

    saved = {name: os.environ.get(name) for name in SERVER_ENV}
    os.environ.update(SERVER_ENV)
    # werkzeug logs every request to stderr; keep stderr for cldscan's own lines.
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto_patches.apply()
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        scenario = build_demo_account(Seeder.for_endpoint(endpoint, regions[0]), regions)
        moto_patches.add_root_row(**scenario.root_row)
        created = datetime.now(UTC).replace(microsecond=0)
        for key_id in scenario.old_access_keys:
            moto_patches.backdate_access_key(
                key_id, created.replace(year=created.year - 2).replace(tzinfo=None)
            )
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
