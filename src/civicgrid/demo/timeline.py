"""工单时间线 — per-order timestamps, triage, status, ratings and text choices (all vectorised).

Input: the planned orders (category, day, grid, hour, channel, place); output: one array per
column of the work-order table, sorted by report time, as seen at the reference moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from civicgrid.demo import catalog
from civicgrid.demo.catalog import CATEGORIES
from civicgrid.demo.hotspots import SPECS
from civicgrid.demo.orders import LOCAL_OFFSET, H, Orders
from civicgrid.demo.population import People
from civicgrid.demo.territory import Territory

SERVICE_TOPS = {"咨询建议", "社会保障", "教育", "养老服务", "医疗卫生"}
URGENT = {"水电气暖/燃气", "治安隐患/消防安全", "物业管理/电梯故障"}
IN_GRID_TOPS = {"市容环境", "邻里纠纷", "治安隐患"}


@dataclass
class Timeline:
    """Arrays in report-time order; timestamps are UTC epoch seconds (0 = none)."""

    ref_ts: int
    cat: NDArray[np.int64]
    text_cat: NDArray[np.int64]
    grid: NDArray[np.int64]
    channel: NDArray[Any]
    hotspot: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    reported: NDArray[np.int64]
    dispatched: NDArray[np.int64]
    accepted: NDArray[np.int64]
    replied: NDArray[np.int64]
    closed: NDArray[np.int64]
    due: NDArray[np.int64]
    triage: NDArray[Any]
    rejected: NDArray[np.bool_]
    status: NDArray[Any]
    reply_kind: NDArray[Any]
    rated: NDArray[np.bool_]
    rating: NDArray[Any]
    reopened: NDArray[np.bool_]
    in_grid: NDArray[np.bool_]
    priority: NDArray[np.int64]
    likes: NDArray[np.int64]
    returns: NDArray[np.int64]
    reassign: NDArray[np.int64]
    reporter: NDArray[np.int64]  # position in People, -1 for none
    draws: NDArray[np.int64]
    vague: NDArray[np.bool_]
    other: NDArray[np.int64]
    generic: NDArray[np.bool_]
    figures: dict[str, Any]

    @property
    def n(self) -> int:
        return int(self.cat.size)


def _lognormal(
    rng: np.random.Generator, median: float | NDArray[np.float64], sigma: float, n: int
) -> NDArray[np.float64]:
    return np.asarray(median) * rng.lognormal(0.0, sigma, n)


def build_timeline(
    rng: np.random.Generator,
    plan: Orders,
    days: NDArray[np.datetime64],
    t: Territory,
    people: People,
    reference: date,
) -> Timeline:
    """Time, triage, rate and word every planned order."""
    n = plan.cat.size
    day_start = days.astype("datetime64[s]").astype(np.int64)
    reported = day_start[plan.day] + plan.second - LOCAL_OFFSET
    ref_ts = int(np.datetime64(reference, "s").astype(np.int64)) + 18 * H - LOCAL_OFFSET
    late = reported > ref_ts
    reported[late] = ref_ts - rng.integers(60, 6 * H, int(late.sum()))
    order = np.argsort(reported, kind="stable")
    cat, grid, channel = plan.cat[order], plan.grid[order], plan.channel[order]
    hotspot, lon, lat, reported = (
        plan.hotspot[order],
        plan.lon[order],
        plan.lat[order],
        reported[order],
    )

    cats = CATEGORIES
    sla = np.array([c.sla_hours for c in cats], dtype=np.float64)[cat]
    speed = np.array([c.speed for c in cats])[cat]
    pace = np.array([catalog.DEPARTMENT_PACE[c.department] for c in cats])[cat]
    default_triage = np.array([c.triage for c in cats])[cat]
    top = np.array([c.top for c in cats])[cat]

    u = rng.random(n)
    triage = default_triage.astype(object)
    triage[(top == "邻里纠纷") & (u < 0.1)] = catalog.TRIAGE_SELF_HELP
    triage[u > 0.985] = catalog.TRIAGE_INVALID
    triage[(u > 0.965) & (u <= 0.985)] = catalog.TRIAGE_DUPLICATE
    rejected = (triage == catalog.TRIAGE_INVALID) | (triage == catalog.TRIAGE_DUPLICATE)
    near = (channel == "patrol") | (triage == catalog.TRIAGE_COMMUNITY)

    local_hour = ((reported + LOCAL_OFFSET) % 86400) // H
    dispatch_h = np.where(near, _lognormal(rng, 0.25, 0.8, n), _lognormal(rng, 0.9, 0.9, n))
    off_hours = (
        ((local_hour < 8) | (local_hour >= 20))
        & (channel != "patrol")
        & (sla > 12)
        & (rng.random(n) < 0.7)
    )
    to_morning = ((8.5 - local_hour) % 24).astype(np.float64)
    dispatch_h = np.where(off_hours, to_morning + dispatch_h * 0.3, dispatch_h)
    accept_h = _lognormal(rng, 1.2, 0.9, n) * pace
    handle_h = sla * speed * pace * rng.lognormal(0.0, 0.6, n) * np.where(hotspot >= 0, 1.3, 1.0)
    handle_h = np.maximum(handle_h, 0.3)
    stuck = rng.random(n) < 0.01
    handle_h = np.where(stuck, handle_h * rng.uniform(5, 15, n), handle_h)
    returns = (rng.random(n) < 0.04 * pace**2).astype(np.int64)
    returns += (returns > 0) & (rng.random(n) < 0.2)
    reassign = (rng.random(n) < 0.03).astype(np.int64)
    detour_h = returns * _lognormal(rng, 10.0, 0.6, n) + reassign * 6.0
    close_h = np.minimum(_lognormal(rng, 8.0, 0.9, n), 72.0)

    def secs(hours: NDArray[np.float64]) -> NDArray[np.int64]:
        return (hours * H).astype(np.int64)

    dispatched = reported + secs(dispatch_h)
    accepted = dispatched + secs(accept_h)
    replied = accepted + secs(handle_h + detour_h)
    closed = replied + secs(close_h)
    due = reported + secs(sla)
    # Rejected reports are closed by the dispatcher within a few hours, never dispatched.
    replied = np.where(rejected, reported + secs(_lognormal(rng, 2.0, 0.6, n)), replied)
    closed = np.where(rejected, replied, closed)

    overdue = replied > due
    kind_u = rng.random(n)
    service = np.isin(top, list(SERVICE_TOPS))
    reply_kind = np.where(
        kind_u < 0.04,
        "nonanswer",
        np.where(
            triage == catalog.TRIAGE_COMMUNITY,
            "community",
            np.where(
                service & (kind_u < 0.5), "explain", np.where(kind_u > 0.85, "partial", "done")
            ),
        ),
    )
    rated = np.isin(channel, ["resident", "hotline"]) & ~rejected & (rng.random(n) < 0.85)
    p_bad = (
        0.05
        + 0.18 * overdue
        + 0.1 * (returns > 0)
        + 0.25 * (reply_kind == "nonanswer")
        + 0.08 * (reply_kind == "partial")
    )
    p_basic = 0.12 + 0.12 * overdue + 0.05 * (returns > 0)
    r = rng.random(n)
    rating = np.where(
        r < p_bad,
        catalog.DISSATISFIED,
        np.where(r < p_bad + p_basic, catalog.BASICALLY_SATISFIED, catalog.SATISFIED),
    )
    reopened = rated & (rating == catalog.DISSATISFIED) & (rng.random(n) < 0.35)
    closed = np.where(reopened, closed + secs(_lognormal(rng, 48.0, 0.5, n)), closed)
    in_grid = (
        (triage == catalog.TRIAGE_COMMUNITY)
        | (triage == catalog.TRIAGE_SELF_HELP)
        | ((channel == "patrol") & np.isin(top, list(IN_GRID_TOPS)) & (rng.random(n) < 0.6))
    )
    paths = np.array([c.path for c in cats])[cat]
    priority = np.where(
        np.isin(paths, list(URGENT)) | (hotspot == 2), 1, np.where(top == "咨询建议", 3, 2)
    )
    likes = np.where(
        hotspot >= 0, rng.poisson(4.0, n), np.where(channel == "resident", rng.poisson(0.5, n), 0)
    )

    # Status as seen at the reference moment; times after it have not happened yet.
    status = np.full(n, catalog.REPORTED, dtype=object)
    has_dispatch = ~rejected & (dispatched <= ref_ts)
    status[has_dispatch] = catalog.DISPATCHED
    started = ~rejected & (accepted <= ref_ts)
    status[started] = catalog.ACCEPTED
    status[started & (accepted + secs(handle_h * 0.2) <= ref_ts)] = catalog.IN_PROGRESS
    status[replied <= ref_ts] = catalog.REPLIED
    status[closed <= ref_ts] = catalog.CLOSED
    figures = {
        "overdue": int(
            (overdue & (replied <= ref_ts)).sum() + ((due < ref_ts) & (replied > ref_ts)).sum()
        ),
        "open": int((closed > ref_ts).sum()),
        "rated": int((rated & (closed <= ref_ts)).sum()),
        "returns": int(returns.sum()),
        "hotspots": {s.key: int((hotspot == i).sum()) for i, s in enumerate(SPECS)},
    }

    # Reporters: a resident of the grid with a phone, for app and hotline reports.
    adults = np.nonzero(people.adult_with_phone)[0]
    a_bounds = np.searchsorted(people.grid[adults], np.arange(t.n_grids + 1))
    span = a_bounds[grid + 1] - a_bounds[grid]
    pick = a_bounds[grid] + (rng.random(n) * np.maximum(span, 1)).astype(np.int64)
    known = np.isin(channel, ["resident", "hotline"]) & (span > 0) & (rng.random(n) < 0.85)
    reporter = np.where(known, adults[np.minimum(pick, adults.size - 1)], -1)

    draws = rng.integers(0, 1 << 30, (n, 13))
    # Some reports read like a neighbouring category (the label stays), a few are vague.
    text_cat = cat.copy()
    confused = np.nonzero((rng.random(n) < 0.08) & (hotspot < 0))[0]
    pick_u = rng.random(confused.size)
    for j, i in enumerate(confused.tolist()):
        options = catalog.CONFUSABLE.get(cats[int(cat[i])].path, ())
        if options:
            text_cat[i] = catalog.CATEGORIES.index(
                catalog.BY_PATH[options[int(pick_u[j] * len(options))]]
            )
    vague = (channel == "hotline") & (rng.random(n) < 0.06) & (hotspot < 0)
    other = np.where(
        (rng.random(n) < 0.06) & np.isin(channel, ["resident", "hotline"]),
        rng.integers(0, len(cats), n),
        -1,
    )
    generic = (channel == "hotline") & (rng.random(n) < 0.08)
    # Rejected reports were never dispatched.
    dispatched = np.where(rejected, 0, dispatched)
    accepted = np.where(rejected, 0, accepted)
    return Timeline(
        ref_ts=ref_ts,
        cat=cat,
        text_cat=text_cat,
        grid=grid,
        channel=channel,
        hotspot=hotspot,
        lon=lon,
        lat=lat,
        reported=reported,
        dispatched=dispatched,
        accepted=accepted,
        replied=replied,
        closed=closed,
        due=due,
        triage=triage,
        rejected=rejected,
        status=status,
        reply_kind=reply_kind,
        rated=rated,
        rating=rating,
        reopened=reopened,
        in_grid=in_grid,
        priority=priority,
        likes=likes,
        returns=returns,
        reassign=reassign,
        reporter=reporter,
        draws=draws,
        vague=vague,
        other=other,
        generic=generic,
        figures=figures,
    )
