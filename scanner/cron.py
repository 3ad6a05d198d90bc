"""Five-field cron expressions (minute hour day-of-month month day-of-week).

Supports ``*``, numbers, ranges ``a-b``, steps ``*/n`` and ``a-b/n``, lists, month and
weekday names (``jan``, ``mon``; 0 and 7 are Sunday) and the ``@hourly``, ``@daily``,
``@midnight``, ``@weekly``, ``@monthly``, ``@yearly``/``@annually`` shorthands. As in
Vixie cron, when both day-of-month and day-of-week are restricted a day matches if
either does. Times are wall-clock times in the given time zone: a time skipped by a
daylight-saving change does not fire, a repeated one fires once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scanner.errors import ConfigurationError

SHORTHANDS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Eight years cover every leap-day schedule; an expression with no time in them never fires.
SEARCH_LIMIT = timedelta(days=8 * 366)


class CronError(ConfigurationError):
    """A cron expression that cannot be parsed or never fires."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, MONTHS, 1),
    _Field("day-of-week", 0, 7, WEEKDAYS, 0),
)


def _number(text: str, field: _Field) -> int:
    lowered = text.lower()
    if lowered in field.names:
        return field.names.index(lowered) + field.name_base
    if not text.isdigit():
        raise CronError(f"{field.name}: {text!r} is not a number")
    value = int(text)
    if not field.low <= value <= field.high:
        raise CronError(f"{field.name}: {value} is outside {field.low}-{field.high}")
    return value


def _parse_field(text: str, field: _Field) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{field.name}: bad step in {part!r}")
            step = int(step_text)
        if span == "*":
            low, high = field.low, field.high
        elif "-" in span:
            first, _, last = span.partition("-")
            low, high = _number(first, field), _number(last, field)
            if low > high:
                raise CronError(f"{field.name}: range {span!r} runs backwards")
        elif span:
            low = _number(span, field)
            high = field.high if step_text else low
        else:
            raise CronError(f"{field.name}: empty item in {text!r}")
        values.update(range(low, high + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed expression; :meth:`next_after` gives its next firing time."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    """0-6, Sunday is 0."""
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        text = SHORTHANDS.get(expression.strip().lower(), expression)
        parts = text.split()
        if len(parts) != len(_FIELDS):
            raise CronError(
                f"cron expression {expression!r} must have 5 fields "
                "(minute hour day-of-month month day-of-week) or be an @shorthand"
            )
        try:
            sets = [_parse_field(p, f) for p, f in zip(parts, _FIELDS, strict=True)]
        except CronError as exc:
            raise CronError(f"cron expression {expression!r}: {exc}") from None
        return cls(
            expression=expression,
            minutes=sets[0],
            hours=sets[1],
            days=sets[2],
            months=sets[3],
            weekdays=frozenset(d % 7 for d in sets[4]),
            days_restricted=not parts[2].startswith("*"),
            weekdays_restricted=not parts[4].startswith("*"),
        )

    def _day_matches(self, day: datetime) -> bool:
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow
        return dom and dow

    def next_after(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """The first firing time strictly after ``moment`` (aware), in ``zone``; None when
        the expression never fires (``0 0 30 2 *``)."""
        local = moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
        wall = local + timedelta(minutes=1)
        limit = wall + SEARCH_LIMIT
        while wall < limit:
            if wall.month not in self.months:
                wall = (wall.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0)
            elif not self._day_matches(wall):
                wall = (wall + timedelta(days=1)).replace(hour=0, minute=0)
            elif wall.hour not in self.hours:
                wall = (wall + timedelta(hours=1)).replace(minute=0)
            elif wall.minute not in self.minutes:
                wall += timedelta(minutes=1)
            else:
                fire = _aware(wall, zone)
                if fire is not None and fire > moment:
                    return fire
                wall += timedelta(minutes=1)
        return None


def _aware(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """``wall`` in ``zone`` (first occurrence when repeated); None when the clocks skip it."""
    aware = wall.replace(tzinfo=zone, fold=0)
    if aware.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return aware
