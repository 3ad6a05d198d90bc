"""Run the real ``cldscan`` CLI with short AWS timeouts and few retry attempts.

The CLI has no options for botocore's timeouts and attempts (a 60 s read timeout would
make a timeout test take minutes), so this replaces the AwsOptions defaults from
environment variables and then calls the unchanged entry point:
``CLDSCAN_TEST_READ_TIMEOUT`` / ``CLDSCAN_TEST_CONNECT_TIMEOUT`` (seconds) and
``CLDSCAN_TEST_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import providers.aws.options as aws_options
from scanner.cli import main

_base = aws_options.AwsOptions


@dataclass(frozen=True)
class _TestOptions(_base):
    max_attempts: int = int(os.environ.get("CLDSCAN_TEST_MAX_ATTEMPTS", "2"))
    connect_timeout: float = float(os.environ.get("CLDSCAN_TEST_CONNECT_TIMEOUT", "2"))
    read_timeout: float = float(os.environ.get("CLDSCAN_TEST_READ_TIMEOUT", "2"))


if __name__ == "__main__":
    aws_options.AwsOptions = _TestOptions  # type: ignore[misc]
    main()
