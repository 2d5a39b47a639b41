"""区划与网格 — the demo district, its streets, communities, grids, buildings and grid teams."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import Polygon
from sqlalchemy import Connection

from civicgrid.demo import addresses, geography, names
from civicgrid.demo.catalog import LIAISON_DEPARTMENTS
from civicgrid.demo.sizes import Size
from civicgrid.demo.writer import fix_sequence, insert_rows, next_id, table_of
from civicgrid.models.org import GridMember, GridRole, OrgLevel, OrgNode

CENTRE = (112.955, 28.215)  # west bank of the Xiang river, Changsha
GRID_KINDS = ("residential", "commercial", "unit")
GRID_KIND_TAGS = {"residential": "住宅网格", "commercial": "商业网格", "unit": "专属网格"}
HOUSEHOLDS_TARGET = 250


@dataclass
class Compound:
    name: str
    road: str
    number: int
    highrise: bool
    centre: tuple[float, float]


@dataclass
class Territory:
    district_id: int
    district_code: str
    district_path: str
    street_names: list[str]
    community_ids: list[int]
    community_names: list[str]
    community_street: list[int]
    community_roads: list[list[str]]
    grid_ids: NDArray[np.int64]
    grid_codes: list[str]
    grid_names: list[str]
    grid_paths: list[str]
    grid_polys: list[Polygon]
    grid_community: NDArray[np.int64]
    grid_kind: list[str]
    grid_weight: NDArray[np.float64]
    district_polygon: Polygon
    workers: list[str] = field(default_factory=list)
    compounds: list[list[Compound]] = field(default_factory=list)

    @property
    def n_grids(self) -> int:
        return len(self.grid_ids)


@dataclass
class Buildings:
    ids: NDArray[np.int64]
    grid: NDArray[np.int64]  # position in Territory.grid_ids
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    compound: list[str]
    road: list[str]
    road_no: NDArray[np.int64]
    number: NDArray[np.int64]  # the 栋 number inside its compound
    floors: NDArray[np.int64]
    units: NDArray[np.int64]


def _split(total: int, weights: NDArray[np.float64], minimum: int = 1) -> list[int]:
    """Split ``total`` into integers >= ``minimum``, proportional to ``weights``."""
    parts = len(weights)
    base = np.full(parts, minimum, dtype=np.int64)
    rest = total - minimum * parts
    if rest <= 0:
        return [int(x) for x in base]
    share = weights / weights.sum() * rest
    extra = np.floor(share).astype(np.int64)
    remainder = rest - int(extra.sum())
    order = np.argsort(-(share - extra), kind="stable")
    extra[order[:remainder]] += 1
    return [int(x) for x in base + extra]


def build_territory(
    conn: Connection, rng: np.random.Generator, size: Size, created: datetime
) -> Territory:
    """Write the district → street → community → grid nodes; return what later steps need."""
    table = table_of(OrgNode)
    next_node = next_id(conn, table)
    rows: list[dict[str, object]] = []

    def node(
        parent: tuple[int, str, int] | None,
        level: str,
        name: str,
        code: str,
        poly: Polygon,
        tags: list[str],
        target: int | None = None,
        branch: str | None = None,
    ) -> tuple[int, str, int]:
        nonlocal next_node
        node_id = next_node
        next_node += 1
        path = f"{parent[1] if parent else '/'}{node_id}/"
        depth = parent[2] + 1 if parent else 0
        centre = poly.representative_point()
        rows.append(
            {
                "id": node_id,
                "parent_id": parent[0] if parent else None,
                "level": level,
                "name": name,
                "code": code,
                "path": path,
                "depth": depth,
                "geometry": geography.geojson(poly),
                "lat": round(centre.y, geography.DECIMALS),
                "lon": round(centre.x, geography.DECIMALS),
                "tags": tags,
                "households_target": target,
                "party_branch": branch,
                "created_at": created,
                "updated_at": created,
            }
        )
        return node_id, path, depth

    outline = geography.district_outline(rng, CENTRE, size.width, size.height)
    code = f"demo-{addresses.DISTRICT_REGION}"
    district = node(
        None,
        OrgLevel.DISTRICT,
        addresses.DISTRICT_NAME,
        code,
        outline,
        ["demo"],
        branch=f"中共{addresses.DISTRICT_NAME}委员会",
    )
    street_polys = geography.partition(rng, outline, size.streets)
    street_names = addresses.distinct_names(rng, addresses.STREET_STEMS, size.streets, "街道")
    areas = np.array([p.area for p in street_polys])
    per_street = _split(size.communities, areas)
    community_names = addresses.distinct_names(
        rng, addresses.COMMUNITY_STEMS, size.communities, "社区"
    )
    road_pool = addresses.road_names(rng, size.communities * 4)

    t = Territory(
        district_id=district[0],
        district_code=code,
        district_path=district[1],
        street_names=street_names,
        community_ids=[],
        community_names=[],
        community_street=[],
        community_roads=[],
        grid_ids=np.zeros(0, dtype=np.int64),
        grid_codes=[],
        grid_names=[],
        grid_paths=[],
        grid_polys=[],
        grid_community=np.zeros(0, dtype=np.int64),
        grid_kind=[],
        grid_weight=np.zeros(0),
        district_polygon=outline,
    )
    community_polys: list[Polygon] = []
    community_nodes: list[tuple[int, str, int]] = []
    community_codes: list[str] = []
    c_index = 0
    for s_i, (s_poly, s_name) in enumerate(zip(street_polys, street_names, strict=True)):
        s_code = f"{code}{s_i + 1:03d}"
        street = node(
            district, OrgLevel.STREET, s_name, s_code, s_poly, [], branch=f"{s_name}党工委"
        )
        for k, c_poly in enumerate(geography.partition(rng, s_poly, per_street[s_i])):
            c_name = community_names[c_index]
            c_code = f"{s_code}{k + 1:03d}"
            c_node = node(
                street, OrgLevel.COMMUNITY, c_name, c_code, c_poly, [], branch=f"{c_name}党委"
            )
            community_codes.append(c_code)
            t.community_ids.append(c_node[0])
            t.community_names.append(c_name)
            t.community_street.append(s_i)
            t.community_roads.append(road_pool[c_index * 4 : c_index * 4 + 4])
            community_polys.append(c_poly)
            community_nodes.append(c_node)
            c_index += 1

    c_areas = np.array([p.area for p in community_polys])
    per_community = _split(size.grids, c_areas, minimum=2)
    grid_ids: list[int] = []
    grid_comm: list[int] = []
    weights: list[float] = []
    for c_i, (c_poly, c_node) in enumerate(zip(community_polys, community_nodes, strict=True)):
        n_grids = per_community[c_i]
        kinds = _grid_kinds(rng, n_grids)
        for k, (g_poly, kind) in enumerate(
            zip(geography.partition(rng, c_poly, n_grids), kinds, strict=True)
        ):
            c_name = t.community_names[c_i]
            g_name = f"{c_name}第{k + 1}网格"
            g_code = f"{community_codes[c_i]}{k + 1:02d}"
            g_node = node(
                c_node,
                OrgLevel.GRID,
                g_name,
                g_code,
                g_poly,
                [GRID_KIND_TAGS[kind]],
                target=HOUSEHOLDS_TARGET,
                branch=f"{g_name}党支部",
            )
            grid_ids.append(g_node[0])
            t.grid_codes.append(g_code)
            t.grid_names.append(g_name)
            t.grid_paths.append(g_node[1])
            t.grid_polys.append(g_poly)
            t.grid_kind.append(kind)
            grid_comm.append(c_i)
            base = {"residential": 1.0, "commercial": 0.35, "unit": 0.12}[kind]
            weights.append(base * float(rng.lognormal(0.0, 0.25)))
    t.grid_ids = np.array(grid_ids, dtype=np.int64)
    t.grid_community = np.array(grid_comm, dtype=np.int64)
    t.grid_weight = np.array(weights) / sum(weights)
    insert_rows(conn, table, rows)
    fix_sequence(conn, table)
    return t


def _grid_kinds(rng: np.random.Generator, n: int) -> list[str]:
    kinds = rng.choice(3, size=n, p=[0.78, 0.14, 0.08])
    kinds[int(rng.integers(0, n))] = 0  # every community has homes
    return [GRID_KINDS[int(k)] for k in kinds]


def build_buildings(
    conn: Connection,
    rng: np.random.Generator,
    t: Territory,
    households_per_grid: NDArray[np.int64],
    created: datetime,
) -> tuple[Buildings, NDArray[np.int64]]:
    """Compounds and buildings per grid sized to its households; returns the buildings and, for
    each household (grouped by grid, in grid order), the position of its building."""
    table = table_of(OrgNode)
    next_node = next_id(conn, table)
    rows: list[dict[str, object]] = []
    b_grid: list[int] = []
    b_lon: list[float] = []
    b_lat: list[float] = []
    b_compound: list[str] = []
    b_road: list[str] = []
    b_road_no: list[int] = []
    b_number: list[int] = []
    b_floors: list[int] = []
    b_units: list[int] = []
    hh_building: list[NDArray[np.int64]] = []
    t.compounds = []
    for g, households in enumerate(households_per_grid.tolist()):
        poly = t.grid_polys[g]
        roads = t.community_roads[int(t.grid_community[g])]
        n_comp = int(rng.integers(1, 4))
        n_comp = 1 if households < 60 else n_comp
        cx, cy = geography.sample_in(rng, poly, n_comp)
        compounds = []
        used: set[str] = set()
        for k in range(n_comp):
            name = addresses.compound_name(rng)
            while name in used:
                name = addresses.compound_name(rng) + ("二期" if len(used) % 2 else "")
            used.add(name)
            road = roads[int(rng.integers(0, len(roads)))]
            compounds.append(
                Compound(
                    name,
                    road,
                    int(rng.integers(1, 400)),
                    bool(rng.random() < 0.45),
                    (float(cx[k]), float(cy[k])),
                )
            )
        t.compounds.append(compounds)
        split = _split(households, rng.uniform(0.5, 1.5, n_comp), minimum=0)
        for comp, comp_households in zip(compounds, split, strict=True):
            per_building = (
                int(rng.integers(60, 160)) if comp.highrise else int(rng.integers(12, 36))
            )
            n_build = max(1, -(-comp_households // per_building))
            xs, ys = geography.sample_near(rng, poly, comp.centre, 0.0009, n_build)
            first = len(b_grid)
            for b in range(n_build):
                floors = int(rng.integers(18, 34)) if comp.highrise else int(rng.integers(5, 8))
                b_grid.append(g)
                b_lon.append(float(xs[b]))
                b_lat.append(float(ys[b]))
                b_compound.append(comp.name)
                b_road.append(comp.road)
                b_road_no.append(comp.number)
                b_number.append(b + 1)
                b_floors.append(floors)
                b_units.append(
                    int(rng.integers(1, 5)) if comp.highrise else int(rng.integers(1, 4))
                )
                node_id = next_node
                next_node += 1
                rows.append(
                    {
                        "id": node_id,
                        "parent_id": int(t.grid_ids[g]),
                        "level": OrgLevel.BUILDING,
                        "name": f"{comp.name}{b + 1}栋",
                        "code": f"{t.grid_codes[g]}B{len(b_grid):05d}",
                        "path": f"{t.grid_paths[g]}{node_id}/",
                        "depth": t.grid_paths[g].count("/") - 1,
                        "geometry": geography.point_geojson(xs[b], ys[b]),
                        "lat": float(ys[b]),
                        "lon": float(xs[b]),
                        "tags": ["高层" if comp.highrise else "多层", f"{floors}层"],
                        "households_target": None,
                        "party_branch": None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            hh_building.append(first + np.arange(comp_households, dtype=np.int64) % n_build)
    insert_rows(conn, table, rows)
    fix_sequence(conn, table)
    ids = np.array([r["id"] for r in rows], dtype=np.int64)
    buildings = Buildings(
        ids=ids,
        grid=np.array(b_grid, dtype=np.int64),
        lon=np.array(b_lon),
        lat=np.array(b_lat),
        compound=b_compound,
        road=b_road,
        road_no=np.array(b_road_no, dtype=np.int64),
        number=np.array(b_number, dtype=np.int64),
        floors=np.array(b_floors, dtype=np.int64),
        units=np.array(b_units, dtype=np.int64),
    )
    return buildings, np.concatenate(hh_building)


def build_teams(conn: Connection, rng: np.random.Generator, t: Territory, created: datetime) -> int:
    """The 1+X+N roster of each grid: one worker, 2–3 liaisons, 3–8 volunteers, stewards."""
    table = table_of(GridMember)
    first = next_id(conn, table)
    rows: list[dict[str, object]] = []
    t.workers = []
    for g, grid_id in enumerate(t.grid_ids.tolist()):
        n_liaisons = int(rng.integers(2, 4))
        n_volunteers = int(rng.integers(3, 9))
        n_stewards = min(len(t.compounds[g]) if t.compounds else 1, 3)
        pool = names.simple_names(
            rng, 1 + n_liaisons + n_volunteers + n_stewards + 6, min_year=1960, max_year=2000
        )
        unique = list(dict.fromkeys(pool))
        worker, rest = unique[0], unique[1:]
        t.workers.append(worker)
        members: list[tuple[str, str, str | None]] = [(GridRole.WORKER, worker, "社区居委会")]
        departments = rng.permutation(len(LIAISON_DEPARTMENTS))[:n_liaisons]
        for i, d in enumerate(departments.tolist()):
            members.append((GridRole.LIAISON, rest[i], LIAISON_DEPARTMENTS[d]))
        for name in rest[n_liaisons : n_liaisons + n_volunteers]:
            members.append((GridRole.VOLUNTEER, name, None))
        for name in rest[n_liaisons + n_volunteers : n_liaisons + n_volunteers + n_stewards]:
            members.append((GridRole.STEWARD, name, None))
        for role, name, dept in members:
            rows.append(
                {
                    "id": first + len(rows),
                    "node_id": grid_id,
                    "role": role,
                    "name": name,
                    "department": dept,
                    "user_id": None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
    insert_rows(conn, table, rows)
    fix_sequence(conn, table)
    return len(rows)
