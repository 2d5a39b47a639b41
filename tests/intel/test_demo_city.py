"""Forecasting, warnings, hot issues and risk on the generated demo city (both backends)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.demo.generator import generate_city
from civicgrid.intel.analytics import early_warnings, grade_grid_risk, hot_issues
from civicgrid.intel.forecast import CalendarModel, backtest, daily_series
from civicgrid.intel.risk import Colour
from civicgrid.models.workorder import WorkOrder


def test_demo_city_intelligence(db: Session) -> None:
    summary = generate_city(db, size="small")
    end = datetime.combine(summary.reference_date, datetime.min.time(), UTC) + timedelta(days=1)
    district = summary.district_id

    # forecasting: the city's daily volume, one year of request-level rows
    rows = db.execute(select(WorkOrder.reported_at, WorkOrder.category)).all()
    frame = pd.DataFrame(rows, columns=["reported_at", "category"])
    frame["day"] = pd.to_datetime(frame["reported_at"], utc=True).dt.tz_convert("Asia/Shanghai")
    frame["day"] = frame["day"].dt.tz_localize(None)
    total = daily_series(frame, date_col="day")["all"]
    res = backtest(total, CalendarModel, horizon=28, origins=3)
    assert res.mase_model < res.mase_naive

    # risk: every demo grid graded, points add up, colours spread
    risks = grade_grid_risk(db, as_of=end, root_id=district)
    assert len(risks) == summary.levels["grid"]
    for r in risks:
        assert sum(c.points for c in r.contributions) == pytest.approx(r.score, abs=0.01)
    assert any(c.value > 0 for r in risks for c in r.contributions if c.factor == "events")
    assert len({r.colour for r in risks}) >= 2
    assert {r.colour for r in risks} <= set(Colour)

    # hot issues: the planted hot spot with most reports in the last 90 days is found
    since = end - timedelta(days=90)
    planted = Counter(
        (o.extra or {}).get("demo_hotspot")
        for o in db.scalars(select(WorkOrder).where(WorkOrder.reported_at >= since))
    )
    planted.pop(None, None)
    key, n_planted = planted.most_common(1)[0]
    issues = hot_issues(db, since=since, until=end, root_id=district, top=5)
    codes = {
        o.code
        for o in db.scalars(select(WorkOrder).where(WorkOrder.reported_at >= since))
        if (o.extra or {}).get("demo_hotspot") == key
    }
    best = max(issues, key=lambda i: len(codes & set(i.members)))
    assert len(codes & set(best.members)) >= 0.8 * n_planted
    assert len(set(best.members) - codes) <= 0.2 * len(best.members)

    # early warnings run over the whole year and name real grids
    found = early_warnings(db, as_of=end, root_id=district)
    grids = {r.grid for r in risks}
    assert all(d.group in grids for d in found)
