"""The bounded buffer between the rendered events and a sink.

The run's events are rendered once into a spool that keeps at most ``MEMORY_LIMIT``
bytes in memory and spills the rest to a file beside the output file (the one
directory a read-only container is known to be able to write). Each sink reads the
spool from the start and sends it in batches bounded by event count and bytes, so
memory stays bounded whatever the size of the run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

MEMORY_LIMIT = 4 * 1024 * 1024


class Spool:
    """Newline-delimited events, written once, read any number of times."""

    def __init__(self, directory: Path | None = None, memory_limit: int = MEMORY_LIMIT) -> None:
        self._file: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed in close()
            max_size=memory_limit,
            mode="w+",
            encoding="utf-8",
            newline="\n",
            dir=str(directory) if directory else None,
            prefix=".cldscan-spool-",
        )
        self.count = 0

    def write(self, text: str) -> int:
        """A text stream's ``write``: renderers write whole lines, one event each."""
        self.count += text.count("\n")
        return self._file.write(text)

    def __iter__(self) -> Iterator[str]:
        self._file.flush()
        self._file.seek(0)
        for raw in self._file:
            line = raw.rstrip("\n")
            if line:
                yield line
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def batches(
    events: Iterable[str],
    *,
    max_events: int,
    max_bytes: int,
    size: Callable[[str], int] = lambda e: len(e.encode("utf-8")),
) -> Iterator[list[str]]:
    """Group events into batches of at most ``max_events`` and ``max_bytes`` (as measured
    by ``size``); an event bigger than ``max_bytes`` travels alone."""
    batch: list[str] = []
    used = 0
    for event in events:
        n = size(event)
        if batch and (len(batch) >= max_events or used + n > max_bytes):
            yield batch
            batch, used = [], 0
        batch.append(event)
        used += n
    if batch:
        yield batch
