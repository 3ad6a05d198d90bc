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
import stat
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


def write_new(
    directory: Path, stem: str, ext: str, emit: Callable[[TextIO], None], *, compress: bool
) -> Path:
    """Write a new file ``stem + ext`` in ``directory`` (created if need be) and return
    its path. An existing file is never replaced: a second run in the same second gets
    ``-2``, ``-3``... The name is claimed with a hard link from the finished temporary
    file, which is atomic even against a concurrent run; where links are not supported
    (some network file systems) a check-then-rename stands in."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create {directory}: {exc.strerror or exc}") from None
    tmp = _write_temporary(directory, f"{stem}{ext}", emit, compress=compress)
    try:
        n = 1
        while True:
            candidate = directory / (f"{stem}{ext}" if n == 1 else f"{stem}-{n}{ext}")
            n += 1
            try:
                os.link(tmp, candidate)
            except FileExistsError:
                continue
            except OSError:
                if candidate.exists():
                    continue
                os.replace(tmp, candidate)
            return candidate
    finally:
        tmp.unlink(missing_ok=True)


def wants_gzip(path: Path | None, flag: bool) -> bool:
    return flag or (path is not None and path.suffix.lower() == ".gz")


def write_atomic(path: Path, emit: Callable[[TextIO], None], *, compress: bool) -> None:
    """Write ``path`` through a temporary file in the same directory and rename it into
    place: a failed or killed run leaves the old file (or none), never half a file.
    Through a symbolic link, the regular file it names is replaced and the link kept.
    Something that is not a regular file (a FIFO, a device, ``/dev/stdout`` on a pipe)
    is written in place: it cannot be replaced, and the rename would destroy it."""
    target = _replaceable(path)
    if target is None:
        _write_in_place(path, emit, compress=compress)
        return
    directory = target.parent if str(target.parent) else Path(".")
    tmp = _write_temporary(directory, target.name, emit, compress=compress)
    try:
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _cannot_write(target, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _replaceable(path: Path) -> Path | None:
    """The path to rename the new file onto: ``path`` when nothing is there yet, the
    regular file it names (through links) otherwise; None to write in place."""
    try:
        found = os.stat(path)
    except OSError:
        return path  # missing (or unreadable: the temporary file reports why)
    if not stat.S_ISREG(found.st_mode):
        return None
    real = Path(os.path.realpath(path))
    try:
        if os.path.samestat(found, os.stat(real)):
            return real
    except OSError:
        pass
    return None  # e.g. /dev/stdout onto a deleted file: no name to replace


def _write_in_place(path: Path, emit: Callable[[TextIO], None], *, compress: bool) -> None:
    try:
        with open(path, "wb") as raw:
            write_stream(raw, emit, compress=compress)
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def _write_temporary(
    directory: Path, name: str, emit: Callable[[TextIO], None], *, compress: bool
) -> Path:
    """A finished, synced temporary file ``.NAME.xxxx`` in ``directory``."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
    except OSError as exc:
        raise _cannot_write(directory / name, exc) from None
    try:
        with os.fdopen(fd, "wb") as raw:
            write_stream(raw, emit, compress=compress)
            raw.flush()
            os.fsync(raw.fileno())
    except OSError as exc:
        # disk full, a file size limit: the temporary file goes, the old file stays
        Path(tmp).unlink(missing_ok=True)
        raise _cannot_write(directory / name, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _cannot_write(path: Path | str, exc: OSError) -> ConfigurationError:
    return ConfigurationError(f"cannot write {path}: {exc.strerror or exc}")


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
