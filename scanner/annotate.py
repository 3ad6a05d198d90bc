"""The annotate stage between evaluation and output: suppressions, then state.

``annotated`` yields the report to write and a ``commit`` to call once it is written:
the state is replaced only after the findings are out, so a run that fails to write
them reports the same changes again next time. The state stays locked in between.
``min_severity`` (``--severity``) filters only what is written: suppressions and the
state see every finding, so a finding below it is neither resolved nor forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from scanner.engine import ScanReport
from scanner.inventory import Inventory
from scanner.results import Lifecycle, Severity
from scanner.suppressions import Suppressions, apply, tags_from


@contextmanager
def annotated(
    report: ScanReport,
    inv: Inventory,
    *,
    suppressions: Suppressions | None = None,
    state_dir: Path | None = None,
    state_name: str | None = None,
    min_severity: Severity | None = None,
    now: datetime | None = None,
) -> Iterator[tuple[ScanReport, Callable[[], None]]]:
    from scanner.state import StateStore, target_name, track

    now = (now or datetime.now(UTC)).replace(microsecond=0)
    if suppressions is not None:
        report = apply(report, suppressions, tags_from(inv), now.date())
    if state_dir is None:
        yield at_severity(report, min_severity), lambda: None
        return
    store = StateStore(state_dir, state_name or target_name(report.scopes))
    with store.locked():
        tracked = track(report, store.load(), now, min_severity=min_severity)
        yield tracked.report, lambda: store.save(tracked.state, now)


def at_severity(report: ScanReport, min_severity: Severity | None) -> ScanReport:
    """Only findings at or above ``min_severity``; the control summary counts those."""
    import dataclasses

    if min_severity is None:
        return report
    return dataclasses.replace(
        report,
        findings=tuple(f for f in report.findings if f.shown_at(min_severity)),
        _summary=[],
    )


def changes(report: ScanReport) -> ScanReport:
    """Only new and resolved findings; the control summary still counts every finding."""
    import dataclasses

    keep = (Lifecycle.NEW, Lifecycle.RESOLVED)
    return dataclasses.replace(
        report,
        findings=tuple(f for f in report.findings if f.lifecycle in keep),
        _summary=list(report.control_summaries()),
    )
