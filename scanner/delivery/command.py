"""``cldscan deliver FILE``: send a file an earlier run wrote to the SIEM sinks again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from scanner.delivery.cli_options import SINK_OPTIONS, pop_sinks
from scanner.errors import ConfigurationError, ExitCode

DELIVER_EPILOG = """\b
Exit status:
  0  every event reached every sink
  1  internal error (a bug: a traceback is printed)
  2  usage error, or FILE is not an ocsf, jsonl or json output of cldscan
  5  some events did not reach a sink (see the delivery_finished log)
"""


class RecordFile:
    """The records of an ``ocsf`` or ``jsonl`` file (one per line) or of a ``json``
    document (its findings), gzipped or not; read afresh on each iteration."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as fh:
            self.compressed = fh.read(2) == b"\x1f\x8b"
        self.document = False
        self.record_format = ""
        self.count = 0
        self._check()

    def _open(self) -> IO[str]:
        if self.compressed:
            import gzip

            return gzip.open(self.path, "rt", encoding="utf-8")
        return self.path.open(encoding="utf-8")

    def _bad(self, why: str) -> ConfigurationError:
        return ConfigurationError(
            f"{self.path}: {why}; deliver sends files written with -f ocsf, jsonl or json"
        )

    def _check(self) -> None:
        try:
            self.document = self._is_document()
            first: dict[str, Any] | None = None
            for record in self._records():
                first = first or record
                self.count += 1
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise self._bad(f"cannot be read ({exc})") from None
        if first is None:
            raise self._bad("holds no findings")
        self.record_format = "ocsf" if "class_uid" in first else "json"
        if self.record_format == "json" and "finding_id" not in first:
            raise self._bad("is not a cldscan finding record")

    def _is_document(self) -> bool:
        """A ``json`` document (indented, or one line with ``findings``), not lines."""
        with self._open() as fh:
            first = next((line for line in fh if line.strip()), "")
        if not first.lstrip().startswith("{"):
            return False
        try:
            record = json.loads(first)
        except ValueError:
            return True
        return isinstance(record, dict) and "findings" in record and "check_id" not in record

    def _records(self) -> Iterator[dict[str, Any]]:
        if self.document:
            with self._open() as fh:
                try:
                    doc = json.load(fh)
                except ValueError as exc:
                    raise self._bad(f"is not JSON ({exc})") from None
            findings = doc.get("findings") if isinstance(doc, dict) else None
            if not isinstance(findings, list):
                raise self._bad("is a JSON document without findings")
            yield from (f for f in findings if isinstance(f, dict))
            return
        with self._open() as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    raise self._bad(f"line {number} is not JSON") from None
                if not isinstance(record, dict):
                    raise self._bad(f"line {number} is not a JSON object")
                yield record

    def __iter__(self) -> Iterator[str]:
        if self.document:
            for record in self._records():
                yield json.dumps(record, ensure_ascii=False)
            return
        with self._open() as fh:
            for line in fh:
                if line.strip():
                    yield line.rstrip("\n")


def _sink_options(func: Any) -> Any:
    for option in reversed(SINK_OPTIONS):
        func = option(func)
    return func


@click.command("deliver", epilog=DELIVER_EPILOG)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_sink_options
def deliver_cmd(file: Path, **kwargs: Any) -> None:
    """Send the findings of FILE, written by an earlier run, to --hec-url and/or --syslog.

    For a run that ended with exit status 5 (findings written, delivery failed). FILE is
    an ocsf, jsonl or json output, gzipped or not; its records are sent as they are.
    """
    from scanner.cli.runner import exit_with
    from scanner.delivery.run import deliver

    records = RecordFile(file)
    cfg = pop_sinks(kwargs, records.record_format)
    if not cfg.sinks:
        raise ConfigurationError("deliver needs --hec-url or --syslog")
    results = deliver(records, records.count, cfg, file=file)
    exit_with(ExitCode.OK if all(r.ok for r in results) else ExitCode.DELIVERY_FAILED)
