"""工单 — a year of work orders: category mix, seasons, weekdays, hotspots, SLAs and ratings.

Counts per (category, day) are one multinomial draw over category share × season × weekday ×
trend × holidays; each order then gets a grid (by households, with commercial grids drawing
street-trade complaints), an hour of the day from its category's profile, a channel, a place
inside its grid, a reporter, a timeline (dispatched → accepted → replied → closed, with returns,
reassignments and the department's pace), a status as seen at the reference moment, a reply and
a rating. Everything is vectorised except the text rendering, done chunk by chunk.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import Connection

from civicgrid.demo import catalog, geography, texts
from civicgrid.demo.catalog import CATEGORIES
from civicgrid.demo.hotspots import SPECS, window
from civicgrid.demo.population import People
from civicgrid.demo.territory import Buildings, Territory
from civicgrid.demo.writer import datetime_texts, fix_sequence, insert_columns, next_id, table_of
from civicgrid.models.workorder import WorkOrder

H = 3600
LOCAL_OFFSET = 8 * H  # Asia/Shanghai has no daylight saving
SPRING_FESTIVAL = {
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
}
SERVICE_TOPS = {"咨询建议", "社会保障", "教育", "养老服务", "医疗卫生"}
URGENT = {"水电气暖/燃气", "治安隐患/消防安全", "物业管理/电梯故障"}
IN_GRID_TOPS = {"市容环境", "邻里纠纷", "治安隐患"}
CHUNK = 20_000
TIME_WORDS = ("最近", "这几天", "这段时间", "近一个月", "从上周开始", "今年以来")


@dataclass
class Orders:
    cat: NDArray[np.int64]
    day: NDArray[np.int64]
    grid: NDArray[np.int64]
    second: NDArray[np.int64]  # local second of the day
    channel: NDArray[np.str_]
    hotspot: NDArray[np.int64]  # -1 or index into SPECS
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]


def _day_factors(
    days: NDArray[np.datetime64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    as_int = days.astype(np.int64)
    month = (days.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)
    weekday = ((as_int + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday; Monday = 0
    factor = np.linspace(0.92, 1.08, days.size)  # volume grows over the year
    for sf in SPRING_FESTIVAL.values():
        k = as_int - np.datetime64(sf, "D").astype(np.int64)
        factor = np.where((k >= -2) & (k <= 6), factor * 0.45, factor)
    md = days.astype(str)
    national = np.array([s[5:7] == "10" and int(s[8:10]) <= 7 for s in md])
    factor = np.where(national, factor * 0.7, factor)
    return month, weekday, factor


def _sample_profile(
    rng: np.random.Generator, profile: tuple[float, ...], n: int
) -> NDArray[np.int64]:
    p = np.array(profile, dtype=np.float64)
    return rng.choice(p.size, size=n, p=p / p.sum()).astype(np.int64)


def _channels(rng: np.random.Generator, mix: dict[str, float], n: int) -> NDArray[np.str_]:
    keys = np.array(list(mix))
    p = np.array(list(mix.values()), dtype=np.float64)
    return keys[rng.choice(keys.size, size=n, p=p / p.sum())]


def plan_orders(
    rng: np.random.Generator, t: Territory, b: Buildings, n_orders: int, reference: date
) -> tuple[Orders, NDArray[np.datetime64]]:
    days = np.arange(
        np.datetime64(reference - timedelta(days=364), "D"),
        np.datetime64(reference + timedelta(days=1), "D"),
    )
    month, weekday, factor = _day_factors(days)
    n_hot = round(n_orders * sum(s.share for s in SPECS)) if n_orders >= 1000 else 0
    n_base = n_orders - n_hot

    n_cat = len(CATEGORIES)
    lam = np.empty((n_cat, days.size))
    for c, cat in enumerate(CATEGORIES):
        row = (
            np.array(catalog.SEASONS[cat.season])[month]
            * np.array(catalog.WEEKS[cat.week])[weekday]
            * factor
        )
        lam[c] = row / row.sum() * cat.share
    counts = rng.multinomial(n_base, (lam / lam.sum()).ravel())
    flat = np.repeat(np.arange(lam.size), counts)
    cat_idx = (flat // days.size).astype(np.int64)
    day_idx = (flat % days.size).astype(np.int64)

    sensor_categories = set(texts.templates().sensors)
    propensity = rng.lognormal(0.0, 0.35, t.n_grids)
    base_w = t.grid_weight**0.9 * propensity
    commercial = np.array([k == "commercial" for k in t.grid_kind])
    unit = np.array([k == "unit" for k in t.grid_kind])
    grid = np.empty(n_base, dtype=np.int64)
    second = np.empty(n_base, dtype=np.int64)
    channel = np.empty(n_base, dtype=object)
    for c, cat in enumerate(CATEGORIES):
        sel = np.nonzero(cat_idx == c)[0]
        w = base_w * np.where(commercial, cat.commercial * 2.2, 1.0) * np.where(unit, 1.5, 1.0)
        grid[sel] = rng.choice(t.n_grids, size=sel.size, p=w / w.sum())
        second[sel] = _sample_profile(rng, catalog.HOURS[cat.hours], sel.size) * H + rng.integers(
            0, H, sel.size
        )
        chosen = _channels(rng, catalog.CHANNEL_MIXES[cat.channels], sel.size)
        if cat.path not in sensor_categories:
            chosen = np.where(chosen == "sensor", "patrol", chosen)
        channel[sel] = chosen
    lon, lat = _places(rng, t, b, grid)
    base = Orders(
        cat_idx,
        day_idx,
        grid,
        second,
        channel.astype(str),
        np.full(n_base, -1, dtype=np.int64),
        lon,
        lat,
    )
    if n_hot == 0:
        return base, days
    return _concat(base, _hotspots(rng, t, n_orders, reference, days)), days


def _places(
    rng: np.random.Generator, t: Territory, b: Buildings, grid: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A point inside each order's grid: near one of its buildings, or anywhere in the grid."""
    lon = np.empty(grid.size)
    lat = np.empty(grid.size)
    order = np.argsort(grid, kind="stable")
    bounds = np.searchsorted(grid[order], np.arange(t.n_grids + 1))
    b_order = np.argsort(b.grid, kind="stable")
    b_bounds = np.searchsorted(b.grid[b_order], np.arange(t.n_grids + 1))
    for g in range(t.n_grids):
        sel = order[bounds[g] : bounds[g + 1]]
        if sel.size == 0:
            continue
        poly = t.grid_polys[g]
        x, y = geography.sample_in(rng, poly, sel.size)
        blds = b_order[b_bounds[g] : b_bounds[g + 1]]
        near = rng.random(sel.size) < 0.55
        if blds.size and near.any():
            pick = blds[rng.integers(0, blds.size, int(near.sum()))]
            nx = np.round(b.lon[pick] + rng.normal(0, 0.00015, pick.size), geography.DECIMALS)
            ny = np.round(b.lat[pick] + rng.normal(0, 0.00015, pick.size), geography.DECIMALS)
            ok = shapely.contains_xy(poly, nx, ny)
            nx = np.where(ok, nx, b.lon[pick])
            ny = np.where(ok, ny, b.lat[pick])
            x[near], y[near] = nx, ny
        lon[sel], lat[sel] = x, y
    return lon, lat


def _hotspots(
    rng: np.random.Generator,
    t: Territory,
    n_orders: int,
    reference: date,
    days: NDArray[np.datetime64],
) -> Orders:
    parts: list[Orders] = []
    residential = [g for g in range(t.n_grids) if t.grid_kind[g] == "residential"]
    commercial = [g for g in range(t.n_grids) if t.grid_kind[g] == "commercial"] or residential
    by_weight = sorted(residential, key=lambda g: -t.grid_weight[g])
    used: set[int] = set()
    for h, spec in enumerate(SPECS):
        count = max(round(n_orders * spec.share), 3)
        start, end = window(spec, reference)
        d0 = int((np.datetime64(start, "D") - days[0]).astype(np.int64))
        d1 = int((np.datetime64(end, "D") - days[0]).astype(np.int64))
        if spec.grid_kind == "community":
            c = int(t.grid_community[by_weight[0]])
            grids = np.nonzero(t.grid_community == c)[0]
            grid = grids[rng.integers(0, grids.size, count)]
        else:
            pool = (
                commercial
                if spec.grid_kind == "commercial"
                else by_weight[: max(3, len(by_weight) // 3)]
            )
            free = [g for g in pool if g not in used] or pool
            g0 = free[int(rng.integers(0, len(free)))]
            used.add(g0)
            grid = np.full(count, g0, dtype=np.int64)
        day = rng.integers(d0, d1 + 1, count).astype(np.int64)
        second = _sample_profile(rng, catalog.HOURS[spec.hours], count) * H + rng.integers(
            0, H, count
        )
        cat = catalog.CATEGORIES.index(catalog.BY_PATH[spec.category])
        channel = _channels(rng, {"resident": 0.45, "hotline": 0.5, "patrol": 0.05}, count)
        lon = np.empty(count)
        lat = np.empty(count)
        for g in np.unique(grid).tolist():
            sel = np.nonzero(grid == g)[0]
            poly = t.grid_polys[g]
            centre = poly.representative_point()
            x, y = geography.sample_near(rng, poly, (centre.x, centre.y), spec.spread, sel.size)
            lon[sel], lat[sel] = x, y
        parts.append(
            Orders(
                np.full(count, cat, dtype=np.int64),
                day,
                grid,
                second,
                channel.astype(str),
                np.full(count, h, dtype=np.int64),
                lon,
                lat,
            )
        )
    out = parts[0]
    for p in parts[1:]:
        out = _concat(out, p)
    return out


def _concat(a: Orders, b: Orders) -> Orders:
    return Orders(
        *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in Orders.__dataclass_fields__)
    )


def _lognormal(
    rng: np.random.Generator, median: float | NDArray[np.float64], sigma: float, n: int
) -> NDArray[np.float64]:
    return np.asarray(median) * rng.lognormal(0.0, sigma, n)


def write_orders(
    conn: Connection,
    rng: np.random.Generator,
    t: Territory,
    b: Buildings,
    people: People,
    shops_by_grid: list[list[str]],
    *,
    n_orders: int,
    reference: date,
    advance: Callable[[int], None],
) -> dict[str, Any]:
    """Plan, time, rate and write the year of orders; returns figures for the summary."""
    dialect = conn.dialect.name
    plan, days = plan_orders(rng, t, b, n_orders, reference)
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

    # Timestamps as seen at the reference moment (0 = not happened / not applicable).
    dispatched = np.where(rejected, 0, dispatched)
    accepted = np.where(rejected, 0, accepted)
    stamps = {}
    for key, values in (
        ("dispatched_at", dispatched),
        ("accepted_at", accepted),
        ("replied_at", replied),
        ("closed_at", closed),
    ):
        seen = (values > 0) & (values <= ref_ts)
        texts_ = datetime_texts(np.where(seen, values, 0), dialect)
        stamps[key] = [x if ok else None for x, ok in zip(texts_, seen.tolist(), strict=True)]
    last = np.maximum.reduce(
        [reported]
        + [np.where((v > 0) & (v <= ref_ts), v, 0) for v in (dispatched, accepted, replied, closed)]
    )
    closed_now = status == catalog.CLOSED
    local_day = np.datetime_as_string((reported + LOCAL_OFFSET).astype("datetime64[s]"), unit="D")
    reply_day = np.datetime_as_string((replied + LOCAL_OFFSET).astype("datetime64[s]"), unit="D")
    reporter_l = reporter.tolist()
    columns: dict[str, list[Any]] = {
        "id": (next_id(conn, table_of(WorkOrder)) + np.arange(n)).tolist(),
        "code": [
            f"demo-{d.replace('-', '')}-{i + 1:07d}" for i, d in enumerate(local_day.tolist())
        ],
        "category": [cats[c].path for c in cat.tolist()],
        "department": [cats[c].department for c in cat.tolist()],
        "channel": channel.tolist(),
        "status": status.tolist(),
        "triage": triage.tolist(),
        "priority": priority.tolist(),
        "node_id": t.grid_ids[grid].tolist(),
        "lat": lat.tolist(),
        "lon": lon.tolist(),
        "reporter_person_id": [int(people.ids[p]) if p >= 0 else None for p in reporter_l],
        "reporter_name": [
            people.names[p] if p >= 0 else (t.workers[g] if ch == "patrol" else None)
            for p, g, ch in zip(reporter_l, grid.tolist(), channel.tolist(), strict=True)
        ],
        "reporter_phone_enc": [people.phone_enc[p] if p >= 0 else None for p in reporter_l],
        "reported_at": datetime_texts(reported, dialect),
        **stamps,
        "due_at": [
            None if r else d
            for r, d in zip(rejected.tolist(), datetime_texts(due, dialect), strict=True)
        ],
        "satisfaction": [
            str(x) if ok else None
            for x, ok in zip(rating.tolist(), (rated & closed_now).tolist(), strict=True)
        ],
        "returns_count": returns.tolist(),
        "reassign_count": reassign.tolist(),
        "reopen_count": (reopened & closed_now).astype(np.int64).tolist(),
        "likes": likes.tolist(),
        "resolved_in_grid": in_grid.tolist(),
        "extra": [
            json.dumps({"demo_hotspot": SPECS[h].key}) if h >= 0 else "{}" for h in hotspot.tolist()
        ],
        "version": [1] * n,
        "created_at": datetime_texts(reported, dialect),
        "updated_at": datetime_texts(last, dialect),
    }

    # Texts, the only per-order Python work.
    tpl = texts.templates()
    hotspot_slots = [
        _hotspot_slots(t, int(grid[np.nonzero(hotspot == h)[0][0]]), h)
        if (hotspot == h).any()
        else {}
        for h in range(len(SPECS))
    ]
    titles: list[str] = []
    descriptions: list[str] = []
    places: list[str] = []
    replies: list[str | None] = []
    replied_seen = stamps["replied_at"]
    for i in range(n):
        d = draws[i]
        c = cats[int(cat[i])]
        tc = cats[int(text_cat[i])]
        g = int(grid[i])
        h = int(hotspot[i])
        slots = _slots(t, g, shops_by_grid[g], d) if h < 0 else hotspot_slots[h]
        spec = SPECS[h] if h >= 0 else None
        title, description = texts.describe(
            tpl,
            category=tc.path,
            channel=str(channel[i]),
            draws=tuple(int(x) for x in d[5:]),
            slots=slots,
            other_category=cats[int(other[i])].path if other[i] >= 0 and h < 0 else None,
            problem=spec.problem if spec else None,
            generic_title=bool(generic[i]) and h < 0,
            vague=bool(vague[i]),
        )
        titles.append(texts.fill(spec.title, slots) if spec else title)
        descriptions.append(description)
        places.append(slots["place"])
        if replied_seen[i] is None:
            replies.append(None)
        elif rejected[i]:
            replies.append(
                "经核实，该诉求与已有工单重复，已合并处理。"
                if triage[i] == catalog.TRIAGE_DUPLICATE
                else "经核实，反映内容不完整且无法联系到反映人，作无效处理。"
            )
        else:
            day = reply_day[i]
            replies.append(
                texts.reply(
                    tpl,
                    str(reply_kind[i]),
                    int(d[4]),
                    {
                        **slots,
                        "department": c.department,
                        "date": f"{int(day[5:7])}月{int(day[8:10])}日",
                    },
                )
            )
    columns.update(title=titles, description=descriptions, address=places, reply=replies)
    insert_columns(conn, table_of(WorkOrder), columns, advance=advance, chunk=CHUNK)
    fix_sequence(conn, table_of(WorkOrder))
    figures["total"] = n
    return figures


def _slots(t: Territory, g: int, shops: list[str], d: NDArray[np.int64]) -> dict[str, str]:
    compounds = t.compounds[g]
    comp = compounds[int(d[0]) % len(compounds)]
    roads = t.community_roads[int(t.grid_community[g])]
    road = roads[int(d[1]) % len(roads)]
    bldg = str(int(d[2]) % 12 + 1)
    days = str(int(d[3]) % 9 + 2)
    shop = shops[int(d[4]) % len(shops)] if shops else "路边小店"
    place = f"{comp.name}{bldg}栋" if int(d[1]) % 3 else f"{road}{int(d[2]) % 300 + 1}号"
    return {
        "compound": comp.name,
        "road": road,
        "bldg": bldg,
        "days": days,
        "shop": shop,
        "place": place,
        "floor": str(int(d[3]) % 25 + 3),
        "time": TIME_WORDS[int(d[2]) % len(TIME_WORDS)],
    }


def _hotspot_slots(t: Territory, g: int, h: int) -> dict[str, str]:
    comp = t.compounds[g][0]
    road = t.community_roads[int(t.grid_community[g])][h % 4]
    return {
        "compound": comp.name,
        "road": road,
        "bldg": "3",
        "days": "5",
        "shop": "",
        "place": f"{comp.name}附近" if h != 1 else f"{road}夜市",
        "floor": "6",
        "time": "最近",
    }
