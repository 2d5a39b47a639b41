"""SLA clocks in calendar and working hours, tested without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from civicgrid.kit.timeutil import LOCAL_TZ
from civicgrid.workorders.sla import (
    SlaLight,
    SlaMode,
    WorkCalendar,
    add_hours,
    elapsed_hours,
    light,
)

CAL = WorkCalendar(
    holidays=frozenset({date(2025, 10, 1), date(2025, 10, 2)}),
    extra_workdays=frozenset({date(2025, 9, 28)}),
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC)  # type: ignore[misc]


def test_calendar_hours() -> None:
    start = local(2025, 9, 26, 16, 0)
    assert add_hours(start, 24, SlaMode.CALENDAR, CAL) == start + timedelta(hours=24)


def test_working_hours_skip_night_and_weekend() -> None:
    # Friday 16:00 + 4 working hours: 1 h on Friday, 3 h on Monday → Monday 12:00.
    assert add_hours(local(2025, 9, 19, 16, 0), 4, SlaMode.WORKING, CAL) == local(
        2025, 9, 22, 12, 0
    )


def test_working_hours_respect_holidays_and_make_up_days() -> None:
    # Saturday 2025-09-27 is a weekend day; Sunday 09-28 is a 调休 working day.
    assert add_hours(local(2025, 9, 27, 10, 0), 2, SlaMode.WORKING, CAL) == local(
        2025, 9, 28, 11, 0
    )
    # Tuesday 09-30 16:00 + 2 h: 1 h on 09-30, holidays 10-01/02, → Friday 10-03 10:00.
    assert add_hours(local(2025, 9, 30, 16, 0), 2, SlaMode.WORKING, CAL) == local(
        2025, 10, 3, 10, 0
    )


def test_light() -> None:
    started, due = local(2025, 9, 22, 9), local(2025, 9, 22, 19)
    assert light(now=local(2025, 9, 22, 10), started=started, due=due) == SlaLight.GREEN
    assert light(now=local(2025, 9, 22, 18), started=started, due=due) == SlaLight.YELLOW
    assert light(now=local(2025, 9, 22, 20), started=started, due=due) == SlaLight.RED
    assert (
        light(now=local(2025, 9, 22, 20), started=started, due=due, paused_hours=3)
        == SlaLight.YELLOW
    )


@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)),
    st.floats(min_value=0, max_value=200, allow_nan=False),
    st.sampled_from(list(SlaMode)),
)
def test_elapsed_inverts_add(start: datetime, hours: float, mode: SlaMode) -> None:
    start = start.replace(tzinfo=UTC)
    due = add_hours(start, hours, mode, CAL)
    assert due >= start
    assert abs(elapsed_hours(start, due, mode, CAL) - hours) < 1e-6
