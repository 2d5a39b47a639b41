"""法人库与地理库 — shops, enterprises, property companies, social organisations; facilities,
emergency shelters with capacity and hazard points."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import Connection

from civicgrid.demo import addresses, geography, idcodes, names
from civicgrid.demo.sizes import Size
from civicgrid.demo.territory import Territory
from civicgrid.demo.writer import fix_sequence, insert_rows, next_id, table_of
from civicgrid.kit.crypto import FieldCipher
from civicgrid.models.registry import Entity, EntityKind, FacilityType, Place, PlaceKind

HAZARDS = (
    ("加油站", "fire", 0.12),
    ("燃气调压站", "gas", 0.1),
    ("危旧房屋", "structure", 0.18),
    ("低洼易涝点", "flood", 0.2),
    ("边坡", "landslide", 0.08),
    ("高空坠物隐患点", "falling", 0.14),
    ("群租房", "fire", 0.1),
    ("废品收购站", "fire", 0.08),
)
PROPERTY_COMPANIES = ("物业服务有限公司", "物业管理有限公司", "智慧物业服务有限公司")


def build_entities(
    conn: Connection,
    rng: np.random.Generator,
    t: Territory,
    size: Size,
    residents: int,
    *,
    created: datetime,
    cipher: FieldCipher,
) -> tuple[dict[str, int], list[list[str]]]:
    """Write entities; returns counts per kind and the shop names of every grid."""
    table = table_of(Entity)
    first = next_id(conn, table)
    rows: list[dict[str, object]] = []
    shops_by_grid: list[list[str]] = [[] for _ in range(t.n_grids)]
    used_codes: set[str] = set()
    used_names: set[str] = set()
    commercial = np.array([3.5 if k == "commercial" else 1.0 for k in t.grid_kind])
    grid_p = t.grid_weight * commercial
    grid_p = grid_p / grid_p.sum()

    def add(kind: str, name: str, g: int, employees: int, tags: list[str]) -> None:
        while True:
            body = f"{int(rng.integers(10_000_000, 99_999_999)):08d}"
            code = idcodes.credit_code(
                "2" if kind == EntityKind.SHOP else "1", addresses.DISTRICT_REGION, body
            )
            if code not in used_codes:
                used_codes.add(code)
                break
        lon, lat = geography.sample_in(rng, t.grid_polys[g], 1)
        road = t.community_roads[int(t.grid_community[g])][int(rng.integers(0, 4))]
        rep = names.simple_names(rng, 1, min_year=1960, max_year=1995)[0]
        phone = idcodes.mobile_numbers(rng, 1)[0]
        rows.append(
            {
                "id": first + len(rows),
                "node_id": int(t.grid_ids[g]),
                "name": name,
                "kind": kind,
                "credit_code": code,
                "legal_rep": rep,
                "phone_enc": cipher.encrypt(phone),
                "address": f"{addresses.prefix('')}{road}{int(rng.integers(1, 500))}号",
                "lat": float(lat[0]),
                "lon": float(lon[0]),
                "employees": employees,
                "tags": tags,
                "verified_at": created + timedelta(days=int(rng.integers(0, 300))),
                "created_at": created,
                "updated_at": created,
            }
        )

    def unique(name: str) -> str:
        base, k = name, 2
        while name in used_names:
            name = f"{base}（{k}店）" if k < 50 else f"{base}{k}"
            k += 1
        used_names.add(name)
        return name

    n_shops = int(residents / 1000 * size.shops_per_1000)
    shop_grids = rng.choice(t.n_grids, size=n_shops, p=grid_p)
    for g in shop_grids.tolist():
        stem = addresses.SHOP_STEMS[int(rng.integers(0, len(addresses.SHOP_STEMS)))]
        kind_name = addresses.SHOP_KINDS[int(rng.integers(0, len(addresses.SHOP_KINDS)))]
        name = unique(f"{stem}{kind_name}")
        shops_by_grid[g].append(name)
        add(
            EntityKind.SHOP,
            name,
            g,
            int(rng.integers(1, 12)),
            ["餐饮"] if kind_name in ("粉店", "烧烤店", "餐馆", "早餐店", "小吃店") else [],
        )
    n_ent = int(residents / 1000 * size.enterprises_per_1000)
    for g in rng.choice(t.n_grids, size=n_ent, p=grid_p).tolist():
        stem = addresses.STREET_STEMS[int(rng.integers(0, len(addresses.STREET_STEMS)))]
        suffix = addresses.ENTERPRISE_KINDS[int(rng.integers(0, len(addresses.ENTERPRISE_KINDS)))]
        name = unique(
            f"长沙{stem}{names.surnames(rng, 1)[0]}氏{suffix}"
            if rng.random() < 0.15
            else f"长沙市{stem}{suffix}"
        )
        add(EntityKind.ENTERPRISE, name, g, int(rng.lognormal(2.8, 1.0)) + 3, [])
    # Property companies: one company per few compounds, registered where its first compound is.
    compounds = [(g, c.name) for g in range(t.n_grids) for c in t.compounds[g]]
    n_prop = max(2, len(compounds) // 4)
    for i in range(n_prop):
        g = compounds[i * len(compounds) // n_prop][0]
        stem = addresses.COMPOUND_STEMS[int(rng.integers(0, len(addresses.COMPOUND_STEMS)))]
        suffix = PROPERTY_COMPANIES[int(rng.integers(0, len(PROPERTY_COMPANIES)))]
        add(
            EntityKind.PROPERTY_COMPANY,
            unique(f"长沙{stem}{suffix}"),
            g,
            int(rng.integers(15, 120)),
            [],
        )
    for c_i, c_name in enumerate(t.community_names):
        grids = np.nonzero(t.grid_community == c_i)[0]
        g = int(grids[int(rng.integers(0, grids.size))])
        for org in ("志愿者协会", "老年协会"):
            add(EntityKind.SOCIAL_ORG, unique(f"{c_name}{org}"), g, int(rng.integers(0, 8)), [])
    insert_rows(conn, table, rows)
    fix_sequence(conn, table)
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r["kind"])] = counts.get(str(r["kind"]), 0) + 1
    return counts, shops_by_grid


def build_places(
    conn: Connection,
    rng: np.random.Generator,
    t: Territory,
    *,
    created: datetime,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Facilities per community and street, emergency shelters with capacity, hazard points."""
    table = table_of(Place)
    first = next_id(conn, table)
    rows: list[dict[str, object]] = []

    def add(
        kind: str,
        ftype: str | None,
        name: str,
        g: int,
        capacity: int | None,
        tags: list[str],
        attrs: dict[str, object],
    ) -> None:
        lon, lat = geography.sample_in(rng, t.grid_polys[g], 1)
        road = t.community_roads[int(t.grid_community[g])][int(rng.integers(0, 4))]
        rows.append(
            {
                "id": first + len(rows),
                "node_id": int(t.grid_ids[g]),
                "name": name,
                "kind": kind,
                "facility_type": ftype,
                "code": f"demo-P{len(rows) + 1:06d}",
                "capacity": capacity,
                "address": f"{road}{int(rng.integers(1, 500))}号",
                "lat": float(lat[0]),
                "lon": float(lon[0]),
                "tags": tags,
                "attributes": attrs,
                "verified_at": created + timedelta(days=int(rng.integers(0, 300))),
                "created_at": created,
                "updated_at": created,
            }
        )

    def grid_in(c_i: int) -> int:
        grids = np.nonzero(t.grid_community == c_i)[0]
        return int(grids[int(rng.integers(0, grids.size))])

    fac = PlaceKind.FACILITY
    for c_i, c_name in enumerate(t.community_names):
        short = c_name.removesuffix("社区")
        add(
            fac,
            FacilityType.HEALTH_STATION,
            f"{short}社区卫生服务站",
            grid_in(c_i),
            int(rng.integers(10, 40)),
            [],
            {"beds": int(rng.integers(0, 10))},
        )
        add(
            fac,
            FacilityType.ELDERLY_CARE,
            f"{short}社区居家养老服务中心",
            grid_in(c_i),
            int(rng.integers(20, 80)),
            [],
            {"meal_service": bool(rng.random() < 0.7)},
        )
        for k in range(int(rng.integers(1, 3))):
            add(
                fac,
                FacilityType.KINDERGARTEN,
                f"{short}{'第二' if k else ''}幼儿园",
                grid_in(c_i),
                int(rng.integers(90, 360)),
                [],
                {"public": bool(rng.random() < 0.5)},
            )
        add(
            fac,
            FacilityType.SHELTER,
            f"{short}社区应急避难场所",
            grid_in(c_i),
            int(rng.integers(3, 30)) * 100,
            ["应急"],
            {"area_m2": int(rng.integers(800, 6000))},
        )
        if rng.random() < 0.5:
            add(fac, FacilityType.PARK, f"{short}口袋公园", grid_in(c_i), None, [], {})
    for s_i, s_name in enumerate(t.street_names):
        communities = [i for i, s in enumerate(t.community_street) if s == s_i]
        short = s_name.removesuffix("街道")
        for k in range(int(rng.integers(1, 3))):
            c_i = communities[int(rng.integers(0, len(communities)))]
            add(
                fac,
                FacilityType.MARKET,
                f"{short}{'新' if k else ''}农贸市场",
                grid_in(c_i),
                int(rng.integers(80, 300)),
                [],
                {"stalls": int(rng.integers(80, 300))},
            )
        for k in range(int(rng.integers(1, 3))):
            c_i = communities[int(rng.integers(0, len(communities)))]
            add(
                fac,
                FacilityType.SCHOOL,
                f"{short}{('第一', '第二')[k]}小学",
                grid_in(c_i),
                int(rng.integers(12, 40)) * 45,
                [],
                {},
            )
        c_i = communities[int(rng.integers(0, len(communities)))]
        add(
            fac,
            FacilityType.SHELTER,
            f"{short}中心应急避难场所",
            grid_in(c_i),
            int(rng.integers(20, 80)) * 100,
            ["应急", "中心避难场所"],
            {"area_m2": int(rng.integers(10_000, 40_000))},
        )
    hazard_p = np.array([h[2] for h in HAZARDS])
    for g in range(t.n_grids):
        for _ in range(int(rng.poisson(1.2))):
            name, risk, _w = HAZARDS[int(rng.choice(len(HAZARDS), p=hazard_p / hazard_p.sum()))]
            level = ("一般", "较大", "重大")[int(rng.choice(3, p=[0.7, 0.25, 0.05]))]
            add(
                PlaceKind.HAZARD,
                None,
                f"{t.grid_names[g]}{name}",
                g,
                None,
                [risk],
                {"risk_level": level, "hazard": name},
            )
    insert_rows(conn, table, rows)
    fix_sequence(conn, table)
    counts: dict[str, int] = {}
    for r in rows:
        key = str(r["facility_type"] or r["kind"])
        counts[key] = counts.get(key, 0) + 1
    if progress:
        progress(len(rows))
    return counts
