"""Temporarily set and remove environment variables (the demo's fake clouds use them)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def patched_environment(
    values: Mapping[str, str], *, unset: tuple[str, ...] = ()
) -> Iterator[None]:
    """Set ``values`` and remove ``unset`` from the environment; restore both after."""
    saved = {k: os.environ.get(k) for k in (*values, *unset)}
    for key in unset:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
