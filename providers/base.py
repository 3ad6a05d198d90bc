"""What every provider adapter shares: the progress callback type."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, label)`` while collection units finish."""
