"""工单写入 — turn the timeline into work-order rows, texts included, chunk by chunk.

Only the texts need per-order Python work; building and writing them in chunks keeps memory flat
for the city size (two million orders).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from civicgrid.demo import catalog, texts
from civicgrid.demo.catalog import CATEGORIES
from civicgrid.demo.hotspots import SPECS
from civicgrid.demo.orders import LOCAL_OFFSET, plan_orders
from civicgrid.demo.population import People
from civicgrid.demo.territory import Buildings, Territory
from civicgrid.demo.timeline import Timeline, build_timeline
from civicgrid.demo.writer import datetime_texts, fix_sequence, insert_columns, next_id, table_of
from civicgrid.models.workorder import WorkOrder

CHUNK = 50_000
TIME_WORDS = ("最近", "这几天", "这段时间", "近一个月", "从上周开始", "今年以来")
DUPLICATE_REPLY = "经核实，该诉求与已有工单重复，已合并处理。"
INVALID_REPLY = "经核实，反映内容不完整且无法联系到反映人，作无效处理。"


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
    plan, days = plan_orders(rng, t, b, n_orders, reference)
    tl = build_timeline(rng, plan, days, t, people, reference)
    table = table_of(WorkOrder)
    first_id = next_id(conn, table)
    hotspot_slots = [
        _hotspot_slots(t, int(tl.grid[np.nonzero(tl.hotspot == h)[0][0]]), h)
        if (tl.hotspot == h).any()
        else {}
        for h in range(len(SPECS))
    ]
    for start in range(0, tl.n, CHUNK):
        stop = min(start + CHUNK, tl.n)
        columns = _columns(conn.dialect.name, tl, people, t, start, stop, first_id)
        columns.update(_texts(tl, t, shops_by_grid, hotspot_slots, start, stop, columns))
        insert_columns(conn, table, columns, chunk=CHUNK)
        advance(stop - start)
    fix_sequence(conn, table)
    figures = dict(tl.figures)
    figures["total"] = tl.n
    return figures


def _seen(values: NDArray[np.int64], ref_ts: int, dialect: str) -> list[str | None]:
    seen = (values > 0) & (values <= ref_ts)
    text = datetime_texts(np.where(seen, values, 0), dialect)
    return [x if ok else None for x, ok in zip(text, seen.tolist(), strict=True)]


def _columns(
    dialect: str, tl: Timeline, people: People, t: Territory, start: int, stop: int, first_id: int
) -> dict[str, list[Any]]:
    s = slice(start, stop)
    n = stop - start
    cats = CATEGORIES
    reported = tl.reported[s]
    times = [tl.dispatched[s], tl.accepted[s], tl.replied[s], tl.closed[s]]
    last = np.maximum.reduce(
        [reported] + [np.where((v > 0) & (v <= tl.ref_ts), v, 0) for v in times]
    )
    closed_now = tl.status[s] == catalog.CLOSED
    local_day = np.datetime_as_string((reported + LOCAL_OFFSET).astype("datetime64[s]"), unit="D")
    reporter = tl.reporter[s].tolist()
    grid = tl.grid[s].tolist()
    channel = tl.channel[s].tolist()
    cat = tl.cat[s].tolist()
    reported_text = datetime_texts(reported, dialect)
    return {
        "id": (first_id + np.arange(start, stop)).tolist(),
        "code": [
            f"demo-{d.replace('-', '')}-{start + i + 1:07d}"
            for i, d in enumerate(local_day.tolist())
        ],
        "category": [cats[c].path for c in cat],
        "department": [cats[c].department for c in cat],
        "channel": channel,
        "status": tl.status[s].tolist(),
        "triage": tl.triage[s].tolist(),
        "priority": tl.priority[s].tolist(),
        "node_id": t.grid_ids[tl.grid[s]].tolist(),
        "lat": tl.lat[s].tolist(),
        "lon": tl.lon[s].tolist(),
        "reporter_person_id": [int(people.ids[p]) if p >= 0 else None for p in reporter],
        "reporter_name": [
            people.names[p] if p >= 0 else (t.workers[g] if ch == "patrol" else None)
            for p, g, ch in zip(reporter, grid, channel, strict=True)
        ],
        "reporter_phone_enc": [people.phone_enc[p] if p >= 0 else None for p in reporter],
        "reported_at": reported_text,
        "dispatched_at": _seen(tl.dispatched[s], tl.ref_ts, dialect),
        "accepted_at": _seen(tl.accepted[s], tl.ref_ts, dialect),
        "replied_at": _seen(tl.replied[s], tl.ref_ts, dialect),
        "closed_at": _seen(tl.closed[s], tl.ref_ts, dialect),
        "due_at": [
            None if r else d
            for r, d in zip(
                tl.rejected[s].tolist(), datetime_texts(tl.due[s], dialect), strict=True
            )
        ],
        "satisfaction": [
            str(x) if ok else None
            for x, ok in zip(
                tl.rating[s].tolist(), (tl.rated[s] & closed_now).tolist(), strict=True
            )
        ],
        "returns_count": tl.returns[s].tolist(),
        "reassign_count": tl.reassign[s].tolist(),
        "reopen_count": (tl.reopened[s] & closed_now).astype(np.int64).tolist(),
        "likes": tl.likes[s].tolist(),
        "resolved_in_grid": tl.in_grid[s].tolist(),
        "extra": [
            json.dumps({"demo_hotspot": SPECS[h].key}) if h >= 0 else "{}"
            for h in tl.hotspot[s].tolist()
        ],
        "version": [1] * n,
        "created_at": reported_text,
        "updated_at": datetime_texts(last, dialect),
    }


def _texts(
    tl: Timeline,
    t: Territory,
    shops_by_grid: list[list[str]],
    hotspot_slots: list[dict[str, str]],
    start: int,
    stop: int,
    columns: dict[str, list[Any]],
) -> dict[str, list[Any]]:
    """Titles, descriptions, addresses and replies: the only per-order Python work."""
    tpl = texts.templates()
    cats = CATEGORIES
    reply_day = np.datetime_as_string(
        (tl.replied[start:stop] + LOCAL_OFFSET).astype("datetime64[s]"), unit="D"
    ).tolist()
    replied_seen = columns["replied_at"]
    titles: list[str] = []
    descriptions: list[str] = []
    places: list[str] = []
    replies: list[str | None] = []
    for k, i in enumerate(range(start, stop)):
        d = tl.draws[i]
        c = cats[int(tl.cat[i])]
        g = int(tl.grid[i])
        h = int(tl.hotspot[i])
        slots = _slots(t, g, shops_by_grid[g], d) if h < 0 else hotspot_slots[h]
        spec = SPECS[h] if h >= 0 else None
        title, description = texts.describe(
            tpl,
            category=cats[int(tl.text_cat[i])].path,
            channel=str(tl.channel[i]),
            draws=tuple(int(x) for x in d[5:]),
            slots=slots,
            other_category=cats[int(tl.other[i])].path if tl.other[i] >= 0 and h < 0 else None,
            problem=spec.problem if spec else None,
            generic_title=bool(tl.generic[i]) and h < 0,
            vague=bool(tl.vague[i]),
        )
        titles.append(texts.fill(spec.title, slots) if spec else title)
        descriptions.append(description)
        places.append(slots["place"])
        if replied_seen[k] is None:
            replies.append(None)
        elif tl.rejected[i]:
            duplicate = tl.triage[i] == catalog.TRIAGE_DUPLICATE
            replies.append(DUPLICATE_REPLY if duplicate else INVALID_REPLY)
        else:
            day = reply_day[k]
            date_text = f"{int(day[5:7])}月{int(day[8:10])}日"
            replies.append(
                texts.reply(
                    tpl,
                    str(tl.reply_kind[i]),
                    int(d[4]),
                    {**slots, "department": c.department, "date": date_text},
                )
            )
    return {"title": titles, "description": descriptions, "address": places, "reply": replies}


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
