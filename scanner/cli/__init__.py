"""The ``cldscan`` command line (entry point ``scanner.cli:main``)."""

from scanner.cli.app import cli, main

__all__ = ["cli", "main"]
