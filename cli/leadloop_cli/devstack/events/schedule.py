"""``Schedule`` / ``ScheduleV2`` events: EventBridge schedule expressions, timers, and the events they send.

moto stores schedules but never fires them. Locally a timer thread per schedule fires on time when
``dev up --schedules`` asks for it (off by default so demos are deterministic), and any schedule can be
fired now. Expressions: ``rate(N minute|minutes|hour|hours|day|days)``, six-field AWS ``cron(...)``
(``* ? , - /``, names, ``L`` for the last day of the month, ``n#k`` and ``nL`` for weekdays) and
ScheduleV2's one-time ``at(yyyy-mm-ddThh:mm:ss)``, in the schedule's timezone.
"""

from __future__ import annotations

import calendar
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..logsink import LogSink
from ..resources import ScheduleSpec
from .loop import BackgroundLoop

__all__ = ["ScheduleExpressionError", "ScheduleTimer", "next_fire", "schedule_event"]

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


class ScheduleExpressionError(ValueError):
    """Not a schedule expression the local stack understands."""


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        part, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _value(first, names), _value(last, names)
        else:
            start = _value(part, names)
            end = high if step != 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise ScheduleExpressionError(f"{part!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    try:
        return int(text)
    except ValueError:
        raise ScheduleExpressionError(f"{text!r} is not a value") from None


@dataclass(frozen=True)
class _Cron:
    minutes: set[int]
    hours: set[int]
    dom: str
    months: set[int]
    dow: str
    years: set[int]

    def day_matches(self, day: datetime) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.dom != "?":
            if self.dom == "L":
                return day.day == calendar.monthrange(day.year, day.month)[1]
            return day.day in _field(self.dom, 1, 31)
        aws_weekday = (day.isoweekday() % 7) + 1  # SUN=1 ... SAT=7
        if "#" in self.dow:
            weekday, nth = self.dow.split("#", 1)
            return aws_weekday == _value(weekday, _DAYS) and (day.day - 1) // 7 + 1 == int(nth)
        if self.dow.endswith("L") and self.dow != "L":
            last = calendar.monthrange(day.year, day.month)[1]
            return aws_weekday == _value(self.dow[:-1], _DAYS) and day.day > last - 7
        return aws_weekday in _field(self.dow, 1, 7, _DAYS)


def _parse_cron(body: str) -> _Cron:
    parts = body.split()
    if len(parts) != 6:
        raise ScheduleExpressionError(f"cron({body}) needs 6 fields: minutes hours day-of-month month day-of-week year")
    minutes, hours, dom, month, dow, year = parts
    if (dom == "?") == (dow == "?"):
        raise ScheduleExpressionError(f"cron({body}): exactly one of day-of-month and day-of-week must be '?'")
    if "W" in dom.upper() or (dom != "L" and "L" in dom.upper()):
        raise ScheduleExpressionError(f"cron({body}): day-of-month {dom!r} is not supported locally")
    cron = _Cron(
        minutes=_field(minutes, 0, 59),
        hours=_field(hours, 0, 23),
        dom=dom.upper(),
        months=_field(month, 1, 12, _MONTHS),
        dow=dow.upper(),
        years=_field(year, 1970, 2199),
    )
    if cron.dom not in ("?", "L"):
        _field(cron.dom, 1, 31)
    if cron.dow != "?" and "#" not in cron.dow and not cron.dow.endswith("L"):
        _field(cron.dow, 1, 7, _DAYS)
    return cron


def next_fire(expression: str, after: datetime, timezone: str | None = None) -> datetime | None:
    """The first time strictly after ``after`` (aware) that ``expression`` fires, or None if never again."""
    expression = expression.strip()
    zone = ZoneInfo(timezone) if timezone else UTC
    rate = re.fullmatch(r"rate\(\s*(\d+)\s+(\w+)\s*\)", expression)
    if rate:
        unit = rate.group(2).lower()
        if unit not in _UNITS or int(rate.group(1)) < 1:
            raise ScheduleExpressionError(f"{expression}: unit must be minute(s), hour(s) or day(s)")
        return after + timedelta(seconds=int(rate.group(1)) * _UNITS[unit])
    at = re.fullmatch(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)", expression)
    if at:
        when = datetime.fromisoformat(at.group(1)).replace(tzinfo=zone)
        return when if when > after else None
    cron = re.fullmatch(r"cron\((.*)\)", expression)
    if not cron:
        raise ScheduleExpressionError(f"{expression!r} is not rate(...), cron(...) or at(...)")
    spec = _parse_cron(cron.group(1))
    local = after.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=1)
    day = local.replace(hour=0, minute=0)
    for _ in range(366 * 8):
        if day.year > max(spec.years):
            return None
        if spec.day_matches(day):
            for hour in sorted(spec.hours):
                for minute in sorted(spec.minutes):
                    candidate = day.replace(hour=hour, minute=minute)
                    if candidate >= local:
                        return candidate.replace(tzinfo=zone).astimezone(UTC)
        day += timedelta(days=1)
    return None


def schedule_event(spec: ScheduleSpec, *, region: str, account_id: str, now: datetime | None = None) -> Any:
    """What the target receives: the ``Input`` JSON, else the scheduled event (rule) or ``{}`` (Scheduler)."""
    if spec.input is not None:
        return json.loads(spec.input) if isinstance(spec.input, str) else spec.input
    if spec.kind == "ScheduleV2":
        return {}
    now = now or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account_id}:rule/{spec.owner}-{spec.name}"],
        "detail": {},
    }


class ScheduleTimer(BackgroundLoop):
    """Fires one schedule on time until stopped."""

    def __init__(self, spec: ScheduleSpec, fire: Callable[[ScheduleSpec], Any], sink: LogSink) -> None:
        next_fire(spec.expression, datetime.now(UTC), spec.timezone)  # validate now, fail at start
        self.spec = spec
        self._fire = fire
        self._sink = sink
        super().__init__()
        self.fired = 0

    def _thread_names(self) -> list[str]:
        return [f"schedule-{self.spec.owner}"]

    def _run(self) -> None:
        tag = f"{self.spec.owner}.{self.spec.name}"
        while not self._stop.is_set():
            now = datetime.now(UTC)
            when = next_fire(self.spec.expression, now, self.spec.timezone)
            if when is None:
                return
            self._sink.write(tag, f"next run {when:%Y-%m-%dT%H:%M:%SZ}")
            if self._stop.wait((when - now).total_seconds()):
                return
            try:
                self._fire(self.spec)
                self.fired += 1
            except Exception as exc:
                self._sink.write(tag, f"schedule failed: {type(exc).__name__}: {exc}")
