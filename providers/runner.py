"""Run collection units concurrently and turn their failures into gaps.

A unit is one (provider, account, region, operation) piece of collection with a fetch
function that yields entities (and, for sub-calls it could not make, gaps). Units are
independent, so a scan of many accounts can be sharded; this runner runs them on one
bounded local thread pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import structlog

from providers.base import Progress
from scanner.inventory import Entity, Gap, GapReason

log = structlog.get_logger(__name__)

Fetch = Callable[[], Iterable[Entity | Gap]]
Classifier = Callable[[BaseException], tuple[GapReason, str]]
"""Maps an exception from a provider SDK to a gap reason and a one-line detail."""


@dataclass(frozen=True)
class Unit:
    provider: str
    account: str
    region: str
    operation: str
    """The API operation it stands for, e.g. ``ec2:DescribeInstances``."""
    kinds: tuple[str, ...]
    fetch: Fetch = field(compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.operation} {self.region}"

    def gap(self, reason: GapReason, detail: str, operation: str | None = None) -> Gap:
        return Gap(
            provider=self.provider,
            account=self.account,
            region=self.region,
            operation=operation or self.operation,
            kinds=self.kinds,
            reason=reason,
            detail=detail,
        )


@dataclass
class Outcome:
    entities: list[Entity] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


def run_unit(unit: Unit, classify: Classifier) -> Outcome:
    """Run one unit, keeping whatever it yielded before it failed."""
    out = Outcome()
    try:
        for item in unit.fetch():
            if isinstance(item, Gap):
                _log_gap(item)
                out.gaps.append(item)
            else:
                out.entities.append(item)
    except Exception as exc:
        reason, detail = classify(exc)
        gap = unit.gap(reason, detail)
        _log_gap(gap, type(exc).__name__)
        out.gaps.append(gap)
    return out


def _log_gap(gap: Gap, error_type: str = "") -> None:
    """Every gap is worth a warning: it makes the scan incomplete for that scope."""
    log.warning(
        "collection_gap",
        operation=gap.operation,
        account=gap.account,
        region=gap.region,
        reason=gap.reason.value,
        detail=gap.detail,
        **({"error_type": error_type} if error_type else {}),
    )


def run_units(
    units: Sequence[Unit],
    classify: Classifier,
    max_workers: int,
    progress: Progress | None = None,
) -> Outcome:
    """Run every unit on a bounded pool; results are merged in the units' order."""
    total = len(units)
    results: dict[int, Outcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        futures = {pool.submit(run_unit, unit, classify): i for i, unit in enumerate(units)}
        for done, future in enumerate(as_completed(futures), start=1):
            index = futures[future]
            results[index] = future.result()
            if progress is not None:
                progress(done, total, units[index].label)
    merged = Outcome()
    for i in range(total):
        merged.entities.extend(results[i].entities)
        merged.gaps.extend(results[i].gaps)
    return merged
