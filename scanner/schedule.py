"""Long-running mode: run a cldscan command line on a cron expression or a fixed interval.

Each run is a child process (``python -m scanner.cli ARGS``), so every scan starts with
fresh SDK sessions and gives its memory back, and a crash in one run cannot take the
scheduler down. Runs never overlap: ticks that pass while a run is still going are
skipped (and logged). SIGTERM or SIGINT stops the scheduler: while idle it exits at
once; during a run it passes the signal to the run and waits for it to end (state
writes are atomic, so an abandoned run leaves the previous state as it was).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from scanner.cron import CronSchedule
from scanner.errors import ConfigurationError

log = structlog.get_logger(__name__)
ROUTINE_EXIT_STATUSES = frozenset({0, 3, 4})

Clock = Callable[[], datetime]
Runner = Callable[[Sequence[str]], int]

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL = timedelta(minutes=1)


def parse_every(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h30m``, ``1d``: at least one minute."""
    compact = text.strip().lower()
    if not compact or _DURATION.sub("", compact):
        raise ConfigurationError(f"--every {text!r}: use a duration such as 15m, 1h or 1h30m")
    total = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(compact))
    interval = timedelta(seconds=total)
    if interval < MIN_INTERVAL:
        raise ConfigurationError(f"--every {text!r}: the shortest interval is 1m")
    return interval


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"unknown time zone {name!r} (an IANA name such as UTC or Europe/Berlin)"
        ) from None


@dataclass(frozen=True)
class Cron:
    """Fire on a cron expression's times in a time zone."""

    schedule: CronSchedule
    zone: ZoneInfo

    def next_after(self, moment: datetime) -> datetime:
        fire = self.schedule.next_after(moment, self.zone)
        if fire is None:
            raise ConfigurationError(f"cron expression {self.schedule.expression!r} never fires")
        return fire

    def describe(self) -> str:
        return f"cron {self.schedule.expression!r} ({self.zone.key})"


@dataclass(frozen=True)
class Every:
    """Fire every ``interval``, counted from ``start``."""

    interval: timedelta
    start: datetime

    def next_after(self, moment: datetime) -> datetime:
        periods = (moment - self.start) // self.interval + 1
        return self.start + max(periods, 1) * self.interval

    def describe(self) -> str:
        return f"every {self.interval}"


Trigger = Cron | Every


@dataclass
class Scheduler:
    """The loop. ``clock``, ``sleep`` and ``runner`` are injectable for tests."""

    trigger: Trigger
    args: tuple[str, ...]
    run_now: bool = False
    clock: Clock = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep
    runner: Runner | None = None
    child_prefix: tuple[str, ...] = (sys.executable, "-m", "scanner.cli")
    """The argv each run's arguments are appended to (another program in tests)."""
    stopping: bool = False
    runs: int = 0
    _child: subprocess.Popen[bytes] | None = None

    def stop(self, signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        """Stop scheduling; pass the signal on to a run in progress."""
        if not self.stopping:
            log.info(
                "schedule.stopping",
                signal=signal.Signals(signum).name,
                run_in_progress=self._child is not None,
            )
        self.stopping = True
        if self._child is not None and self._child.poll() is None:
            self._child.send_signal(signum)

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.stop)

    def _wait_until(self, moment: datetime) -> bool:
        """Sleep until ``moment`` in short steps; False when stopped first."""
        while not self.stopping:
            left = (moment - self.clock()).total_seconds()
            if left <= 0:
                return True
            self.sleep(min(left, 1.0))
        return False

    def _run_child(self, args: Sequence[str]) -> int:
        self._child = subprocess.Popen([*self.child_prefix, *args])
        try:
            if self.stopping:  # a signal that came while the child was starting
                self._child.terminate()
            return self._child.wait()
        finally:
            self._child = None

    def run_once(self) -> int:
        self.runs += 1
        started = self.clock()
        log.info("schedule.run.start", run=self.runs, args=list(self.args))
        code = (self.runner or self._run_child)(self.args)
        seconds = round((self.clock() - started).total_seconds(), 3)
        # 0, 3 and 4 are verdicts; anything else (2 usage, 1 bug, 5 delivery) needs a person.
        report = log.info if code in ROUTINE_EXIT_STATUSES else log.error
        report("schedule.run.end", run=self.runs, exit_status=code, seconds=seconds)
        return code

    def loop(self) -> int:
        """Run until stopped; 0 after a clean stop."""
        log.info("schedule.start", trigger=self.trigger.describe(), args=list(self.args))
        if self.run_now and not self.stopping:
            self.run_once()
        due = self.trigger.next_after(self.clock())
        while not self.stopping:
            log.info("schedule.next", at=due.isoformat())
            if not self._wait_until(due):
                break
            self.run_once()
            now = self.clock()
            following = self.trigger.next_after(due)
            if following <= now:
                following = self.trigger.next_after(now)
                log.warning(
                    "schedule.skipped",
                    reason="the previous run was still going",
                    resumes=following.isoformat(),
                )
            due = following
        log.info("schedule.stopped", runs=self.runs)
        return 0
