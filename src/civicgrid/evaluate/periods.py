"""考核周期 — evaluation periods in local (Asia/Shanghai) calendar days. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from civicgrid.errors import Invalid
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import LOCAL_TZ

Step = Literal["week", "month", "quarter", "year"]

_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_HALF = re.compile(r"^(\d{4})-?[Hh]([12])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, order=True)
class Period:
    """An inclusive range of local calendar days, e.g. 2025-01-01..2025-12-31."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise Invalid(
                _("考核周期的结束日期 {end} 早于开始日期 {start}").format(
                    end=self.end, start=self.start
                )
            )

    @classmethod
    def parse(cls, text: str) -> Period:
        """ "2025-01-01..2025-12-31", "2025", "2025-03", "2025Q1" or "2025H2"."""
        raw = text.strip()
        try:
            if ".." in raw:
                first, last = (part.strip() for part in raw.split("..", 1))
                return cls(date.fromisoformat(first), date.fromisoformat(last))
            if _DAY.match(raw):
                day = date.fromisoformat(raw)
                return cls(day, day)
            if m := _YEAR.match(raw):
                year = int(m.group(1))
                return cls(date(year, 1, 1), date(year, 12, 31))
            if m := _QUARTER.match(raw):
                year, quarter = int(m.group(1)), int(m.group(2))
                return cls(date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter))
            if m := _HALF.match(raw):
                year, half = int(m.group(1)), int(m.group(2))
                return cls(date(year, 6 * half - 5, 1), _month_end(year, 6 * half))
            if m := _MONTH.match(raw):
                year, month = int(m.group(1)), int(m.group(2))
                return cls(date(year, month, 1), _month_end(year, month))
        except ValueError as exc:
            raise Invalid(_("无法识别的考核周期：{text}").format(text=text)) from exc
        raise Invalid(
            _(
                "无法识别的考核周期：{text}（示例：2025-01-01..2025-12-31、2025、2025-03、2025Q1）"
            ).format(text=text)
        )

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants: local midnight of the first day to that after the last."""
        lo = datetime.combine(self.start, time.min, LOCAL_TZ)
        hi = datetime.combine(self.end + timedelta(days=1), time.min, LOCAL_TZ)
        return lo.astimezone(UTC), hi.astimezone(UTC)

    def __str__(self) -> str:
        return self.label


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def _next_start(day: date, step: Step) -> date:
    if step == "week":
        return day + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[step]
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def split(period: Period, step: Step) -> list[Period]:
    """Consecutive periods covering ``period``: calendar months/quarters/years, or 7-day weeks.

    Calendar steps are aligned to their calendar boundaries (the first and last piece may be
    partial); weeks start on ``period.start``.
    """
    if step not in ("week", "month", "quarter", "year"):
        raise Invalid(_("趋势步长应为 week、month、quarter 或 year"))
    pieces: list[Period] = []
    cursor = period.start
    if step == "quarter":
        first = date(cursor.year, 3 * ((cursor.month - 1) // 3) + 1, 1)
    elif step == "year":
        first = date(cursor.year, 1, 1)
    elif step == "month":
        first = date(cursor.year, cursor.month, 1)
    else:
        first = cursor
    boundary = _next_start(first, step)
    while cursor <= period.end:
        last = min(boundary - timedelta(days=1), period.end)
        pieces.append(Period(cursor, last))
        cursor, boundary = boundary, _next_start(boundary, step)
    if len(pieces) > 400:
        raise Invalid(_("趋势分段过多（{n} 段），请放大步长").format(n=len(pieces)))
    return pieces
