"""``cldscan schedule``: the loop on an injected clock, signals, and the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scanner.cron import CronSchedule
from scanner.errors import ConfigurationError
from scanner.schedule import Cron, Every, Scheduler, parse_every, parse_zone
from tests.harness.client import REPO

START = datetime(2026, 11, 23, 10, 3, 20, tzinfo=UTC)


class FakeTime:
    """A clock that moves only when the scheduler sleeps or a fake run takes time."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now
        self.slept = 0.0

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert 0 < seconds <= 1.0
        self.slept += seconds
        self.now += timedelta(seconds=seconds)


class FakeRuns:
    """Records each run's start and end; each takes ``durations`` in turn."""

    def __init__(self, fake: FakeTime, durations: Sequence[timedelta], stop_after: int) -> None:
        self.fake = fake
        self.durations = list(durations)
        self.stop_after = stop_after
        self.spans: list[tuple[datetime, datetime]] = []
        self.scheduler: Scheduler | None = None

    def __call__(self, args: Sequence[str]) -> int:
        assert tuple(args) == ("scan", "aws")
        start = self.fake.now
        self.fake.now += self.durations[len(self.spans) % len(self.durations)]
        self.spans.append((start, self.fake.now))
        if len(self.spans) >= self.stop_after and self.scheduler is not None:
            self.scheduler.stop()
        return 3

    def starts(self) -> list[str]:
        return [s.strftime("%H:%M:%S") for s, _ in self.spans]


def _scheduler(trigger: Cron | Every, runs: FakeRuns, fake: FakeTime, **kw: bool) -> Scheduler:
    scheduler = Scheduler(
        trigger, ("scan", "aws"), clock=fake.clock, sleep=fake.sleep, runner=runs, **kw
    )
    runs.scheduler = scheduler
    return scheduler


def cron(expr: str, zone: str = "UTC") -> Cron:
    return Cron(CronSchedule.parse(expr), ZoneInfo(zone))


def test_runs_on_each_cron_tick() -> None:
    fake = FakeTime()
    runs = FakeRuns(fake, [timedelta(seconds=40)], stop_after=3)
    assert _scheduler(cron("*/10 * * * *"), runs, fake).loop() == 0
    assert runs.starts() == ["10:10:00", "10:20:00", "10:30:00"]


def test_overrunning_run_skips_ticks_and_never_overlaps() -> None:
    fake = FakeTime()
    runs = FakeRuns(fake, [timedelta(minutes=25), timedelta(minutes=2)], stop_after=4)
    _scheduler(cron("*/10 * * * *"), runs, fake).loop()
    # 10:10 runs until 10:35: the 10:20 and 10:30 ticks are skipped, 10:40 is next.
    assert runs.starts() == ["10:10:00", "10:40:00", "10:50:00", "11:20:00"]
    for (_, end), (start, _) in zip(runs.spans, runs.spans[1:], strict=False):
        assert start >= end


def test_run_now_then_every_interval() -> None:
    fake = FakeTime()
    runs = FakeRuns(fake, [timedelta(minutes=1)], stop_after=3)
    trigger = Every(timedelta(hours=1), START)
    _scheduler(trigger, runs, fake, run_now=True).loop()
    assert runs.starts() == ["10:03:20", "11:03:20", "12:03:20"]


def test_every_keeps_its_phase_after_an_overrun() -> None:
    fake = FakeTime()
    runs = FakeRuns(fake, [timedelta(minutes=70), timedelta(minutes=1)], stop_after=3)
    _scheduler(Every(timedelta(hours=1), START), runs, fake).loop()
    assert runs.starts() == ["11:03:20", "13:03:20", "14:03:20"]


def test_stop_while_waiting_ends_without_running() -> None:
    fake = FakeTime()
    runs = FakeRuns(fake, [timedelta(seconds=1)], stop_after=99)
    scheduler = _scheduler(cron("@hourly"), runs, fake)
    real_sleep = fake.sleep

    def sleep(seconds: float) -> None:
        real_sleep(seconds)
        if fake.now >= START + timedelta(minutes=30):
            scheduler.stop(signal.SIGINT)

    scheduler.sleep = sleep
    assert scheduler.loop() == 0
    assert runs.spans == []
    assert scheduler.runs == 0


def test_cron_in_a_time_zone() -> None:
    fake = FakeTime()
    runs = FakeRuns(fake, [timedelta(seconds=5)], stop_after=2)
    _scheduler(cron("0 9 * * *", "America/New_York"), runs, fake).loop()
    assert [s.isoformat() for s, _ in runs.spans] == [
        "2026-11-23T14:00:00+00:00",
        "2026-11-24T14:00:00+00:00",
    ]


def test_signal_is_passed_to_the_run_in_progress() -> None:
    trigger = Every(timedelta(hours=1), datetime.now(UTC))
    scheduler = Scheduler(
        trigger,
        ("import time; time.sleep(60)",),
        run_now=True,
        child_prefix=(sys.executable, "-c"),
    )
    timer = threading.Timer(0.5, scheduler.stop)
    timer.start()
    started = time.monotonic()
    try:
        assert scheduler.loop() == 0
    finally:
        timer.cancel()
    assert time.monotonic() - started < 10
    assert scheduler.runs == 1


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1m", 60), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("1d", 86400), ("90s", 90)],
)
def test_parse_every(text: str, seconds: int) -> None:
    assert parse_every(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "1h 30m", "30s", "-1h", "0m"])
def test_parse_every_rejects(text: str) -> None:
    with pytest.raises(ConfigurationError, match="--every"):
        parse_every(text)


def test_parse_zone_rejects_unknown() -> None:
    assert parse_zone("Europe/Berlin").key == "Europe/Berlin"
    with pytest.raises(ConfigurationError, match="unknown time zone 'Nowhere/Else'"):
        parse_zone("Nowhere/Else")


def _cldscan(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLDSCAN_"))}
    return subprocess.run(
        [sys.executable, "-m", "scanner.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cron", "61 * * * *", "--", "scan", "aws"], "minute: 61 is outside 0-59"),
        (["--cron", "0 0 30 2 *", "--", "scan", "aws"], "never fires"),
        (["--cron", "@daily", "--every", "1h", "--", "scan", "aws"], "exactly one of"),
        (["--every", "1h"], "no command to schedule"),
        (["--every", "1h", "--", "scna", "aws"], "cannot schedule 'scna'"),
        (["--every", "1h", "--", "schedule", "--every", "1h"], "cannot schedule 'schedule'"),
        (["--cron", "@daily", "--timezone", "Mars/Base", "--", "scan", "aws"], "time zone"),
        (["--every", "1h", "--", "evaluate", "snap.json", "--bogus"], "No such option '--bogus'"),
        (["--every", "1h", "--", "scan", "aws", "--max-workers", "0"], "--max-workers"),
        (["--every", "1h", "--", "scan", "azurre"], "No such command 'azurre'"),
        (["--every", "1h", "--", "demo"], "cannot schedule 'demo'"),
        (["--every", "1h", "--", "scan"], "'cldscan scan' needs a command: aws, azure, gcp"),
    ],
)
def test_bad_schedule_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = _cldscan("schedule", *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert done.stdout == ""


def test_sigterm_stops_an_idle_scheduler_cleanly() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLDSCAN_"))}
    command = ["schedule", "--every", "1h", "--run-now", "--", "--version"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner.cli", *command],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "schedule.next" in line:
            break
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    log = "".join(lines) + err
    assert proc.returncode == 0, log
    assert "cldscan, version" in out
    assert '"exit_status": 0' in log and "schedule.stopped" in log, log
