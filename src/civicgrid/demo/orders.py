"""工单计划 — which orders happen: category mix, seasons, weekdays, holidays, grids, hotspots.

Counts per (category, day) are one multinomial draw over category share × season × weekday ×
trend × holidays; each order then gets a grid (by households, with commercial grids drawing
street-trade complaints), an hour of the day from its category's profile, a channel and a place
inside its grid. Hotspots add clusters of near-identical reports. ``timeline.py`` then times and
rates every order and ``orderrows.py`` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import shapely
from numpy.typing import NDArray

from civicgrid.demo import catalog, geography, texts
from civicgrid.demo.catalog import CATEGORIES
from civicgrid.demo.hotspots import SPECS, window
from civicgrid.demo.territory import Buildings, Territory

H = 3600
LOCAL_OFFSET = 8 * H  # Asia/Shanghai has no daylight saving
SPRING_FESTIVAL = {
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
}


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
