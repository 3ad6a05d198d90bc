"""A one-line progress counter on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import shutil
import sys
import threading
from typing import TextIO


class ProgressLine:
    """Callable as ``providers.base.Progress``; safe to call from collector threads."""

    def __init__(self, stream: TextIO | None = None, *, verb: str = "collecting") -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._verb = verb
        self._lock = threading.Lock()
        self._shown = False
        self.enabled = _is_tty(self._stream)

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.enabled:
            return
        width = max(shutil.get_terminal_size((80, 24)).columns - 1, 20)
        text = f"{self._verb} {done}/{total} {label}"[:width]
        with self._lock:
            self._stream.write(f"\r\x1b[K{text}")
            self._stream.flush()
            self._shown = True

    def clear(self) -> None:
        """Erase the counter so that whatever follows starts on a clean line."""
        with self._lock:
            if self._shown:
                self._stream.write("\r\x1b[K")
                self._stream.flush()
                self._shown = False

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.clear()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
