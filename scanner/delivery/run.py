"""Delivering a written run to every configured sink, and what that does to the exit status.

The run's file is written before this is called: a SIEM outage costs a re-send, never
findings. Each sink gets every event of the run in bounded batches; a batch that still
fails after its retries stops that sink (the collector is down, the rest would fail
too), and ``delivery_finished`` says how many events arrived and where the file is.
"""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import structlog

from scanner.delivery.buffer import Spool, batches
from scanner.delivery.config import Delivery, HecSink, SyslogSink
from scanner.delivery.retry import GaveUp, Permanent, with_retry

if TYPE_CHECKING:
    from scanner.engine import ScanReport

log = structlog.get_logger(__name__)


class Client(Protocol):
    def size(self, event: str) -> int: ...
    def send(self, batch: list[str]) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class SinkResult:
    sink: str
    delivered: int
    failed: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.error is None


def client_for(sink: HecSink | SyslogSink) -> Client:
    if isinstance(sink, HecSink):
        from scanner.delivery.hec import HecClient

        return HecClient(sink)
    from scanner.delivery.syslog import SyslogClient

    return SyslogClient(sink)


def deliver_to(
    client: Client,
    events: Iterable[str],
    total: int,
    cfg: Delivery,
    *,
    name: str,
    sleep: Callable[[float], None] | None = None,
) -> SinkResult:
    """Send ``events`` (``total`` of them) through ``client``; never raises for the
    receiver's faults, they are in the result."""
    delivered = 0
    pause = sleep or time.sleep
    try:
        for batch in batches(
            events,
            max_events=cfg.max_batch_events,
            max_bytes=cfg.max_batch_bytes,
            size=client.size,
        ):
            try:
                with_retry(partial(client.send, batch), cfg.retry, sink=name, sleep=pause)
            except (GaveUp, Permanent) as exc:
                return SinkResult(name, delivered, total - delivered, str(exc))
            delivered += len(batch)
    finally:
        client.close()
    return SinkResult(name, delivered, total - delivered)


def deliver(
    events: Iterable[str], total: int, cfg: Delivery, *, file: Path | None
) -> list[SinkResult]:
    """Deliver to every sink in ``cfg`` and log ``delivery_finished`` for each."""
    results = []
    for sink in cfg.sinks:
        result = deliver_to(client_for(sink), events, total, cfg, name=str(sink))
        fields = {
            "sink": result.sink,
            "delivered": result.delivered,
            "not_delivered": result.failed,
            "file": os.path.abspath(file) if file else None,
        }
        if result.ok:
            log.info("delivery_finished", **fields)
        else:
            log.error("delivery_finished", **fields, error=result.error)
        results.append(result)
    return results


RECORD_RENDERERS = {"ocsf": "ocsf", "json": "jsonl"}
"""Delivery record format -> the line-per-finding output format that renders it."""


def deliver_report(
    report: ScanReport,
    cfg: Delivery,
    *,
    file: Path | None,
    file_format: str,
    compressed: bool,
    scan_code: int,
) -> int:
    """Send the run's records to every sink and return the exit status:
    ``DELIVERY_FAILED`` if any event did not arrive, else ``scan_code``.

    When the file already holds the delivery records (``-f ocsf`` with the default
    ``--delivery-format ocsf``), its lines are sent as they are, so the SIEM and the
    file agree byte for byte; otherwise the records are rendered into a bounded spool.
    """
    from scanner.errors import ExitCode
    from scanner.outputs import renderer

    fmt = RECORD_RENDERERS[cfg.record_format]
    # A FIFO or a device (``-o /dev/stdout``) cannot be read back: render the records.
    regular = file is not None and file.is_file()
    if file is not None and regular and file_format == fmt:
        lines = FileLines(file, compressed=compressed)
        results = deliver(lines, lines.count(), cfg, file=file)
    else:
        with Spool(file.parent if file is not None and regular else None) as spool:
            renderer(fmt)(report, spool)  # type: ignore[arg-type]
            results = deliver(spool, spool.count, cfg, file=file)
    if all(r.ok for r in results):
        return scan_code
    return int(ExitCode.DELIVERY_FAILED)


class FileLines:
    """The non-empty lines of a (possibly gzipped) file, read afresh on each iteration."""

    def __init__(self, path: Path, *, compressed: bool) -> None:
        self.path = path
        self.compressed = compressed

    def _open(self) -> IO[str]:
        if self.compressed:
            return gzip.open(self.path, "rt", encoding="utf-8", newline="\n")
        return self.path.open(encoding="utf-8", newline="\n")

    def __iter__(self) -> Iterator[str]:
        with self._open() as fh:
            for raw in fh:
                line = raw.rstrip("\n")
                if line:
                    yield line

    def count(self) -> int:
        return sum(1 for _ in self)
