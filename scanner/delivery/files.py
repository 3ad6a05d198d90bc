"""Output files: atomic writes, optional gzip, and one file per run in a directory.

Per-run names: ``cldscan-{provider}-{account}-{YYYYMMDDTHHMMSSZ}{ext}`` for a run over
one account; over several, ``cldscan-{providers}-{n}accounts-{digest}-{time}{ext}``
where providers are joined by ``_`` and digest is 8 hex digits of the sorted
``provider:account`` list, so the same set of accounts always gets the same prefix.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, TextIO

from scanner.errors import ConfigurationError

EXTENSIONS = {
    "table": ".txt",
    "json": ".json",
    "jsonl": ".jsonl",
    "ocsf": ".ocsf.jsonl",
    "csv": ".csv",
    "html": ".html",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def extension(fmt: str, *, compress: bool) -> str:
    return EXTENSIONS.get(fmt, f".{fmt}") + (".gz" if compress else "")


def run_stem(scopes: Iterable[tuple[str, str]], when: datetime) -> str:
    """The per-run name without extension, from the scanned (provider, account) pairs."""
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    pairs = sorted(set(scopes))
    if not pairs:
        return f"cldscan-{stamp}"
    if len(pairs) == 1:
        provider, account = pairs[0]
        return f"cldscan-{_safe(provider)}-{_safe(account)}-{stamp}"
    providers = "_".join(sorted({_safe(p) for p, _ in pairs}))
    digest = hashlib.sha256("\n".join(f"{p}:{a}" for p, a in pairs).encode()).hexdigest()[:8]
    return f"cldscan-{providers}-{len(pairs)}accounts-{digest}-{stamp}"


def _safe(part: str) -> str:
    return _UNSAFE.sub("_", part).strip("._") or "unknown"


def run_path(directory: Path, stem: str, ext: str) -> Path:
    """A path in ``directory`` no earlier run took: a second run in the same second
    gets ``-2``, ``-3``... The directory is created if need be."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create {directory}: {exc.strerror or exc}") from None
    candidate = directory / f"{stem}{ext}"
    n = 2
    while candidate.exists():
        candidate = directory / f"{stem}-{n}{ext}"
        n += 1
    return candidate


def wants_gzip(path: Path | None, flag: bool) -> bool:
    return flag or (path is not None and path.suffix.lower() == ".gz")


def write_atomic(path: Path, emit: Callable[[TextIO], None], *, compress: bool) -> None:
    """Write ``path`` through a temporary file in the same directory and rename it into
    place: a failed or killed run leaves the old file (or none), never half a file."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise ConfigurationError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as raw:
            write_stream(raw, emit, compress=compress)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_stream(
    raw: BinaryIO,
    emit: Callable[[TextIO], None],
    *,
    compress: bool,
) -> None:
    """UTF-8 text from ``emit`` into the binary stream ``raw``, gzipped if asked."""
    target: BinaryIO | gzip.GzipFile = raw
    zipped: gzip.GzipFile | None = None
    if compress:
        # No name or time in the gzip header: the same findings give the same bytes.
        zipped = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
        target = zipped
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")  # type: ignore[arg-type]
    try:
        emit(text)
        text.flush()
    finally:
        text.detach()
        if zipped is not None:
            zipped.close()
