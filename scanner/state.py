"""Scheduled-scan state: what failed last time, so each finding says new, open or resolved.

One JSON file per scanned target in the state directory (docs/state.md). Lifecycle
tracks failing findings, FAIL and ERROR; a PASS finding has no lifecycle unless it was
failing before, when it is ``resolved``. A finding that failed before and is absent now
is resolved only where this run could see it: a check that did not run, a scope or
region not scanned, or a gap (an ERROR for that scope) keeps it open.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from scanner.engine import ScanReport
from scanner.errors import ConfigurationError
from scanner.inventory import GLOBAL, ResourceRef, ScanScope, regions_overlap
from scanner.results import Finding, Lifecycle, Severity, Status

log = structlog.get_logger(__name__)

SCHEMA = "cldscan.state"
VERSION = 1
TRACKED = (Status.FAIL, Status.ERROR)
REGION_SCOPED = ("aws",)
"""Providers whose scopes list the regions scanned; Azure subscriptions and GCP projects
are scanned whole and list only the regions in use."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")


class StateError(ConfigurationError):
    """A state file that cannot be used: corrupt, from a newer cldscan, or locked."""


@dataclass(frozen=True)
class Seen:
    """A failing finding as the previous runs saw it."""

    finding_id: str
    check_id: str
    title: str
    status: Status
    severity: Severity
    controls: tuple[str, ...]
    resource: ResourceRef
    message: str
    first_seen: datetime
    last_seen: datetime

    def record(self) -> dict[str, Any]:
        r = self.resource
        return {
            "check_id": self.check_id,
            "title": self.title,
            "status": self.status.value,
            "severity": self.severity.value,
            "controls": list(self.controls),
            "resource": {
                "id": r.id,
                "kind": r.kind,
                "provider": r.provider,
                "account": r.account,
                "region": r.region,
                "name": r.name,
            },
            "message": self.message,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
        }

    @classmethod
    def from_record(cls, finding_id: str, rec: Mapping[str, Any]) -> Seen:
        res = rec["resource"]
        return cls(
            finding_id=finding_id,
            check_id=str(rec["check_id"]),
            title=str(rec.get("title", "")),
            status=Status(rec["status"]),
            severity=Severity(rec["severity"]),
            controls=tuple(str(c) for c in rec.get("controls", ())),
            resource=ResourceRef(
                str(res["id"]),
                str(res["kind"]),
                str(res["provider"]),
                str(res["account"]),
                str(res["region"]),
                str(res.get("name", "")),
            ),
            message=str(rec.get("message", "")),
            first_seen=_aware(rec["first_seen"]),
            last_seen=_aware(rec["last_seen"]),
        )

    @classmethod
    def of(cls, finding: Finding, first_seen: datetime, now: datetime) -> Seen:
        return cls(
            finding_id=finding.finding_id,
            check_id=finding.check_id,
            title=finding.title,
            status=finding.status,
            severity=finding.severity,
            controls=finding.controls,
            resource=finding.resource,
            message=finding.message,
            first_seen=first_seen,
            last_seen=now,
        )


def _aware(value: Any) -> datetime:
    stamp = datetime.fromisoformat(str(value))
    if stamp.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no time zone")
    return stamp


def target_name(scopes: tuple[ScanScope, ...]) -> str:
    """The default state name: providers and sorted accounts (hashed when long)."""
    providers = "+".join(sorted({s.provider for s in scopes})) or "none"
    accounts = sorted({s.account for s in scopes})
    name = re.sub(r"[^A-Za-z0-9._+-]", "_", f"{providers}-{'+'.join(accounts)}")
    if len(name) <= 100 and _NAME.match(name):
        return name
    digest = hashlib.sha256("\n".join(accounts).encode()).hexdigest()[:16]
    return f"{providers}-{len(accounts)}accounts-{digest}"


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigurationError(
            f"--state-name {name!r}: use letters, digits, '.', '_', '+' or '-' "
            "(up to 128, not starting with a dot)"
        )
    return name


class StateStore:
    """One target's state file, its lock file and atomic replacement."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.path = directory / f"{name}.json"
        self.lock_path = directory / f"{name}.lock"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the target's lock; a second run on the same state fails at once."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateError(
                f"cannot use state directory {self.directory}: {exc.strerror}"
            ) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                raise StateError(
                    f"state {self.path} is in use by another cldscan run (lock "
                    f"{self.lock_path}); run again when it has finished"
                ) from None
            yield
        finally:
            os.close(fd)

    def load(self) -> dict[str, Seen]:
        """The previous run's failing findings; nothing when there was no previous run."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"cannot read state file {self.path}: {exc}") from None
        try:
            doc = json.loads(text)
            if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
                raise ValueError(f"not a {SCHEMA} document")
            version = doc.get("version")
            if isinstance(version, int) and version > VERSION:
                raise StateError(
                    f"state file {self.path} has version {version}, newer than this "
                    f"cldscan reads ({VERSION}): upgrade cldscan or use another --state-dir"
                )
            if version != VERSION:
                raise ValueError(f"unknown version {version!r}")
            return {fid: Seen.from_record(fid, rec) for fid, rec in doc["findings"].items()}
        except StateError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateError(
                f"state file {self.path} is corrupt ({type(exc).__name__}: {exc}); move it "
                "aside to start over (every failing finding is then reported as new)"
            ) from None

    def save(self, seen: Mapping[str, Seen], now: datetime) -> None:
        """Replace the state atomically: a temp file, fsync, rename, fsync the directory."""
        doc = {
            "schema": SCHEMA,
            "version": VERSION,
            "updated_at": now.isoformat(),
            "findings": {fid: seen[fid].record() for fid in sorted(seen)},
        }
        try:
            self._replace(doc)
        except OSError as exc:
            raise StateError(
                f"the findings were written, but the state {self.path} could not be saved "
                f"({exc.strerror or exc}); the previous state is intact and the next run "
                "reports these changes again"
            ) from None

    def _replace(self, doc: Mapping[str, Any]) -> None:
        for stale in self.directory.glob(f".{self.path.name}.*"):
            stale.unlink(missing_ok=True)  # left by a run killed mid-write; we hold the lock
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1, ensure_ascii=False)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@dataclass(frozen=True)
class Tracked:
    report: ScanReport
    """Findings with lifecycle, plus findings resolved since the last run."""
    state: dict[str, Seen]
    """What the next run compares with."""


def track(
    report: ScanReport,
    previous: Mapping[str, Seen],
    now: datetime,
    *,
    min_severity: Severity | None = None,
) -> Tracked:
    """Compare this run's findings with the previous run's (see the module docstring).

    ``report`` must hold every finding, whatever ``--severity``: the state is built from
    all of them. ``min_severity`` only filters the report returned for writing.
    """
    state: dict[str, Seen] = {}
    findings: list[Finding] = []
    gone: list[Finding] = []

    def keep(f: Finding, before: Seen | None = None) -> bool:
        return f.shown_at(min_severity) or (
            min_severity is not None
            and f.lifecycle is Lifecycle.RESOLVED
            and before is not None
            and before.severity.at_least(min_severity)
        )

    for found in report.findings:
        before = previous.get(found.finding_id)
        f = found
        if f.status in TRACKED:
            first = before.first_seen if before else now
            state[f.finding_id] = Seen.of(f, first, now)
            lifecycle = Lifecycle.OPEN if before else Lifecycle.NEW
            f = dataclasses.replace(f, lifecycle=lifecycle, first_seen=first, last_seen=now)
        elif before:
            f = dataclasses.replace(
                f,
                lifecycle=Lifecycle.RESOLVED,
                first_seen=before.first_seen,
                last_seen=before.last_seen,
            )
        if keep(f, before):
            findings.append(f)
    present = {f.finding_id for f in report.findings}
    for fid, before in previous.items():
        if fid in present:
            continue
        if not _covered(report, before):
            state[fid] = before
        elif _unseen(report, before):
            state[fid] = before
            if keep(still := _still_open(before)):
                findings.append(still)
        elif keep(resolved := _gone(before)):
            gone.append(resolved)
    counted = dataclasses.replace(report, findings=tuple(findings), _summary=[])
    summaries = counted.control_summaries()
    everything = sorted(
        (*findings, *gone),
        key=lambda f: (f.check_id, f.resource.account, f.resource.region, f.resource.id),
    )
    return Tracked(
        dataclasses.replace(report, findings=tuple(everything), _summary=list(summaries)),
        state,
    )


def _covered(report: ScanReport, before: Seen) -> bool:
    """Whether this run looked where ``before`` was: its check, scope and region."""
    r = before.resource
    if before.check_id not in {c.id for c in report.checks}:
        return False
    scope = next(
        (s for s in report.scopes if s.provider == r.provider and s.account == r.account), None
    )
    if scope is None:
        return False
    if r.provider in REGION_SCOPED and r.region != GLOBAL and scope.regions:
        return r.region in scope.regions
    return True


def _unseen(report: ScanReport, before: Seen) -> bool:
    """Whether this run's check reported its scope (or the whole account) as not evaluated."""
    r = before.resource
    return any(
        f.status is Status.ERROR
        and f.check_id == before.check_id
        and f.resource.kind in ("scope", "account")
        and f.resource.provider == r.provider
        and f.resource.account == r.account
        and regions_overlap(f.resource.region, r.region)
        for f in report.findings
    )


def _still_open(before: Seen) -> Finding:
    return _from_state(
        before,
        Status.ERROR,
        Lifecycle.OPEN,
        f"not evaluated in this run (its scope could not be seen), so still open; "
        f"last seen {before.status.value} at {before.last_seen.isoformat()}: {before.message}",
    )


def _gone(before: Seen) -> Finding:
    return _from_state(
        before,
        Status.PASS,
        Lifecycle.RESOLVED,
        f"resolved: no longer reported (the resource is gone or no longer in scope); "
        f"was {before.status.value}: {before.message}",
    )


def _from_state(before: Seen, status: Status, lifecycle: Lifecycle, message: str) -> Finding:
    """A finding this run did not produce, rebuilt from what the state remembers."""
    return Finding(
        finding_id=before.finding_id,
        check_id=before.check_id,
        title=before.title,
        status=status,
        severity=before.severity,
        controls=before.controls,
        resource=before.resource,
        message=message,
        evidence={"previous_status": before.status.value, "previous_message": before.message},
        remediation="",
        lifecycle=lifecycle,
        first_seen=before.first_seen,
        last_seen=before.last_seen,
    )
