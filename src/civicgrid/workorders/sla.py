"""时限 — SLA clocks in calendar hours or working hours. Pure: no database, no I/O.

Working time is counted in the deployment's zone (Asia/Shanghai) on working days between
``day_start`` and ``day_end``. Public holidays and the make-up working days of 调休 are data
(``WorkCalendar.holidays`` / ``extra_workdays``), loaded from configuration per year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from civicgrid.kit.timeutil import LOCAL_TZ, ensure_utc


class SlaMode(StrEnum):
    CALENDAR = "calendar"  # 自然小时
    WORKING = "working"  # 工作小时


class SlaLight(StrEnum):
    GREEN = "green"  # 正常
    YELLOW = "yellow"  # 临期预警
    RED = "red"  # 超期


@dataclass(frozen=True)
class WorkCalendar:
    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    weekend: frozenset[int] = frozenset({5, 6})  # Saturday, Sunday
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)  # 调休上班
    tz: ZoneInfo = LOCAL_TZ

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    @property
    def hours_per_day(self) -> float:
        start = datetime.combine(date(2000, 1, 1), self.day_start)
        end = datetime.combine(date(2000, 1, 1), self.day_end)
        return (end - start).total_seconds() / 3600


def _window(cal: WorkCalendar, day: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(day, cal.day_start, tzinfo=cal.tz),
        datetime.combine(day, cal.day_end, tzinfo=cal.tz),
    )


def add_hours(start: datetime, hours: float, mode: SlaMode, cal: WorkCalendar) -> datetime:
    """The deadline ``hours`` after ``start`` (UTC in, UTC out)."""
    start = ensure_utc(start)
    if hours < 0:
        raise ValueError("hours must be >= 0")
    if mode == SlaMode.CALENDAR:
        return start + timedelta(hours=hours)
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(cal.tz)
    for _ in range(3660):  # ten years of days at most
        day = cursor.date()
        if cal.is_workday(day):
            open_, close = _window(cal, day)
            begin = max(cursor, open_)
            if begin < close:
                available = close - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(ensure_utc(start).tzinfo)
                remaining -= available
        cursor = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=cal.tz)
    raise ValueError("deadline more than ten years away")


def elapsed_hours(start: datetime, end: datetime, mode: SlaMode, cal: WorkCalendar) -> float:
    """Hours of SLA time between ``start`` and ``end`` (0 when end <= start)."""
    start, end = ensure_utc(start), ensure_utc(end)
    if end <= start:
        return 0.0
    if mode == SlaMode.CALENDAR:
        return (end - start).total_seconds() / 3600
    total = 0.0
    day = start.astimezone(cal.tz).date()
    last = end.astimezone(cal.tz).date()
    while day <= last:
        if cal.is_workday(day):
            open_, close = _window(cal, day)
            lo, hi = max(open_, start), min(close, end)
            if hi > lo:
                total += (hi - lo).total_seconds() / 3600
        day += timedelta(days=1)
    return total


def light(
    *,
    now: datetime,
    started: datetime,
    due: datetime,
    warn_fraction: float = 0.2,
    paused_hours: float = 0.0,
) -> SlaLight:
    """Traffic light of a running clock: red past due, yellow in the last ``warn_fraction``.

    ``paused_hours`` (time spent paused with a reason) extends the deadline.
    """
    now, started, due = ensure_utc(now), ensure_utc(started), ensure_utc(due)
    due = due + timedelta(hours=paused_hours)
    if now > due:
        return SlaLight.RED
    budget = (due - started).total_seconds()
    left = (due - now).total_seconds()
    if budget > 0 and left <= warn_fraction * budget:
        return SlaLight.YELLOW
    return SlaLight.GREEN
