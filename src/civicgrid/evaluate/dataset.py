"""考核数据集 — who is evaluated at a level, and the data behind their metrics, loaded once.

A ``Dataset`` fixes the level (worker, grid, community, street, department), the period and an
optional scope node. It lists the evaluated objects (``Evaluee``) and loads, lazily and at most
once, the work orders of the period (one row per order and evaluee) and the registry aggregates
the metric library needs. Metrics never query the database themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, String, and_, case, event, func, select, type_coerce
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid
from civicgrid.evaluate.periods import Period
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.evaluation import EvaluationInput
from civicgrid.models.org import GridMember, GridRole, OrgLevel, OrgNode, subtree_of
from civicgrid.models.registry import Entity, Person, Place
from civicgrid.models.workorder import WorkOrder


class Level(StrEnum):
    WORKER = "worker"  # 网格员
    GRID = "grid"  # 网格
    COMMUNITY = "community"  # 社区
    STREET = "street"  # 街道
    DEPARTMENT = "department"  # 职能部门


LEVEL_LABELS = {
    Level.WORKER: "网格员",
    Level.GRID: "网格",
    Level.COMMUNITY: "社区",
    Level.STREET: "街道",
    Level.DEPARTMENT: "职能部门",
}
ORG_LEVELS = {
    Level.GRID: OrgLevel.GRID,
    Level.COMMUNITY: OrgLevel.COMMUNITY,
    Level.STREET: OrgLevel.STREET,
}
# Levels at or above the grid: loaded up front to map any node to its grid/community/street.
_TREE_LEVELS = (
    OrgLevel.CITY,
    OrgLevel.DISTRICT,
    OrgLevel.STREET,
    OrgLevel.COMMUNITY,
    OrgLevel.GRID,
)
NS_PER_HOUR = 3_600_000_000_000


def parse_level(value: str) -> Level:
    try:
        return Level(value)
    except ValueError as exc:
        raise Invalid(
            _("未知的考核层级：{v}（可选：{all}）").format(v=value, all=", ".join(Level))
        ) from exc


@dataclass(frozen=True)
class Evaluee:
    """One evaluated object. ``key`` is its stable code (also used by survey imports)."""

    key: str
    name: str
    level: str
    parent: str | None = None
    node_id: int | None = None


@dataclass
class Dataset:
    session: Session
    level: Level
    period: Period
    scope: OrgNode | None = None
    now: datetime = field(default_factory=utcnow)
    lookback_days: int = 30

    def __post_init__(self) -> None:
        self.start, self.end = self.period.utc_bounds()
        # "As of": figures that depend on the present (overdue, freshness) use the earlier of the
        # period end and now, so evaluating the current month is fair to open orders.
        self.asof = min(self.end, self.now)
        self._nodes: dict[int, tuple[str, str, str, str]] = {}  # id → (level, path, name, code)
        self.node_entities: dict[int, list[str]] = {}
        self.entity_grids: dict[str, list[int]] = defaultdict(list)
        self.entities: list[Evaluee] = []
        self._cache: dict[str, Any] = {}
        self._load_entities()

    # ------------------------------------------------------------------ entities
    def _load_entities(self) -> None:
        stmt = select(OrgNode.id, OrgNode.level, OrgNode.path, OrgNode.name, OrgNode.code).where(
            OrgNode.level.in_([str(level) for level in _TREE_LEVELS])
        )
        if self.scope is not None:
            stmt = stmt.where(subtree_of(OrgNode.path, self.scope.path))
        for node_id, level, path, name, code in self.session.execute(stmt):
            self._nodes[node_id] = (level, path, name, code)
        if self.level is Level.DEPARTMENT:
            return  # departments come from the orders themselves (see ``orders``)
        if self.level is Level.WORKER:
            rows = self.session.execute(
                select(GridMember.node_id, GridMember.name)
                .where(GridMember.role == GridRole.WORKER)
                .order_by(GridMember.node_id, GridMember.name)
            )
            for grid_id, name in rows:
                if grid_id not in self._nodes:
                    continue
                _level, _path, grid_name, grid_code = self._nodes[grid_id]
                key = f"{grid_code}/{name}"
                self.entities.append(Evaluee(key, name, self.level, grid_name, grid_id))
                self.node_entities.setdefault(grid_id, []).append(key)
                self.entity_grids[key].append(grid_id)
            return
        wanted = ORG_LEVELS[self.level]
        for node_id, (level, path, name, code) in sorted(self._nodes.items()):
            if level == wanted:
                parent = self._parent_name(path)
                self.entities.append(Evaluee(code, name, self.level, parent, node_id))
        by_id = {e.node_id: e.key for e in self.entities}
        for node_id, (level, path, _name, _code) in self._nodes.items():
            ancestor = next((a for a in _path_ids(path) if a in by_id), None)
            if ancestor is not None:
                self.node_entities[node_id] = [by_id[ancestor]]
                if level == OrgLevel.GRID:
                    self.entity_grids[by_id[ancestor]].append(node_id)

    def _parent_name(self, path: str) -> str | None:
        ids = _path_ids(path)
        if len(ids) >= 2 and ids[-2] in self._nodes:
            return self._nodes[ids[-2]][2]
        return None

    def keys_for_nodes(self, node_ids: Iterable[int | None]) -> dict[int, list[str]]:
        """Evaluee keys of any org node ids (buildings and micro-grids map via their grid)."""
        known: dict[int, list[str]] = {}
        missing: set[int] = set()
        for node_id in node_ids:
            if node_id is None:
                continue
            if node_id in self.node_entities:
                known[node_id] = self.node_entities[node_id]
            elif node_id not in self._nodes:
                missing.add(node_id)
        for chunk in _chunks(sorted(missing), 5000):
            for node_id, path in self.session.execute(
                select(OrgNode.id, OrgNode.path).where(OrgNode.id.in_(chunk))
            ):
                keys = next(
                    (
                        self.node_entities[a]
                        for a in reversed(_path_ids(path))
                        if a in self.node_entities
                    ),
                    None,
                )
                if keys:
                    self.node_entities[node_id] = keys
                    known[node_id] = keys
        return known

    def grid_of(self, node_id: int) -> int | None:
        if node_id in self._nodes:
            level, path, _n, _c = self._nodes[node_id]
            if level == OrgLevel.GRID:
                return node_id
            return next(
                (a for a in _path_ids(path) if self._nodes.get(a, ("",))[0] == OrgLevel.GRID),
                None,
            )
        return None

    # ------------------------------------------------------------------ work orders
    def orders(self) -> pd.DataFrame:
        """Orders reported in [start − lookback, end), one row per (order, evaluee).

        Columns: entity, id, node_id, grid_id, channel, status, category, reported, closed, due
        (int64 ns since the epoch, UTC; NaT-free: missing = -1), satisfaction, returns,
        reassigns, reopens, in_grid, repeat_flag, reporter, place, in_period.
        """
        if "orders" not in self._cache:
            self._cache["orders"] = self._load_orders()
        frame: pd.DataFrame = self._cache["orders"]
        return frame

    def _order_query(self) -> Select[*tuple[Any, ...]]:
        lo = self.start - timedelta(days=self.lookback_days)
        # Datetimes are read raw (SQLite gives ISO strings, PostgreSQL aware datetimes) and parsed
        # by pandas in one vectorised pass, not one Python conversion per value.
        postgres = self.session.get_bind().dialect.name == "postgresql"

        def raw_time(column: Any) -> Any:
            # PostgreSQL: naive UTC timestamps (driver datetimes with a zone are slow to convert).
            return func.timezone("UTC", column) if postgres else type_coerce(column, String)

        stmt = select(
            *[
                raw_time(column) if name in _TIME_COLUMNS else column
                for name, column in order_columns()
            ]
        ).where(WorkOrder.reported_at >= lo, WorkOrder.reported_at < self.end)
        if self.scope is not None:
            stmt = stmt.where(
                WorkOrder.node_id.in_(
                    select(OrgNode.id).where(subtree_of(OrgNode.path, self.scope.path))
                )
            )
        return stmt

    def _load_orders(self) -> pd.DataFrame:
        key = ("orders", self.start, self.end, self.lookback_days, self._scope_path)
        cache = session_cache(self.session)
        if key not in cache:
            cache[key] = self._read_orders()
        df: pd.DataFrame = cache[key]
        if self.level is Level.DEPARTMENT:
            df = df[df["department"].notna()].copy()
            df["entity"] = df["department"].astype(object)
            names = sorted(set(df.loc[df["in_period"], "entity"]))
            self.entities = [Evaluee(name, name, self.level) for name in names]
            return self._index(df)
        mapping = self.keys_for_nodes(set(df["node_id"].dropna().astype(int).tolist()))
        pairs = [(node, key) for node, keys in mapping.items() for key in keys]
        link = pd.DataFrame(pairs, columns=["node_id", "entity"])
        link["node_id"] = link["node_id"].astype("Int64")
        return self._index(df.merge(link, on="node_id", how="inner"))

    @property
    def _scope_path(self) -> str | None:
        return self.scope.path if self.scope is not None else None

    def _read_orders(self) -> pd.DataFrame:
        """The period's orders as a frame, before any attribution to evaluees."""
        names = [name for name, _column in order_columns()]
        result = self.session.connection().execute(self._order_query())
        # Straight from the DBAPI cursor: no Row objects, no per-value type processing (the
        # columns are converted below, vectorised).
        rows = result.cursor.fetchall() if result.cursor is not None else []
        result.close()
        table = np.array(rows, dtype=object).reshape(len(rows), len(names))
        # Times are converted before pandas sees them (it would infer driver datetimes slowly).
        df = pd.DataFrame(
            {
                name: _to_ns(table[:, i]) if name in _TIME_COLUMNS else table[:, i]
                for i, name in enumerate(names)
            }
        )
        for col in ("id", "returns", "reassigns", "reopens"):
            df[col] = pd.to_numeric(df[col]).fillna(0).astype("int64")
        for col in ("node_id", "reporter"):
            df[col] = pd.to_numeric(df[col]).astype("Int64")
        for col in ("lat", "lon"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
        for col in ("in_grid", "repeat_flag"):
            df[col] = df[col].fillna(False).astype(bool)
        df["in_period"] = df["reported"] >= _ns(self.start)
        grids = {int(n): self.grid_of(int(n)) for n in df["node_id"].dropna().unique()}
        df["grid_id"] = df["node_id"].map(grids).astype("Int64")
        return df

    def _index(self, df: pd.DataFrame) -> pd.DataFrame:
        """Add ``eidx``: the position of the row's evaluee in ``entities`` (−1: not evaluated)."""
        position = {e.key: i for i, e in enumerate(self.entities)}
        df = df.reset_index(drop=True)
        df["eidx"] = df["entity"].map(position).fillna(-1).astype("int64")
        return df

    def ensure_entities(self) -> None:
        """Departments are known only after the orders are read."""
        if self.level is Level.DEPARTMENT:
            self.orders()

    # ------------------------------------------------------------------ registries
    def registry_counts(self, kind: str, window_days: int) -> dict[str, dict[str, float]]:
        """Per evaluee: record counts, filled required fields, freshness (see metrics.py)."""
        cache_key = f"registry:{kind}:{window_days}"
        if cache_key not in self._cache:
            self._cache[cache_key] = self._registry_counts(kind, window_days)
        counts: dict[str, dict[str, float]] = self._cache[cache_key]
        return counts

    def _registry_counts(self, kind: str, window_days: int) -> dict[str, dict[str, float]]:
        model, required = REGISTRY_FIELDS[kind]
        lo = self.asof - timedelta(days=window_days)
        hi = self.asof

        def within(col: Any) -> Any:
            return and_(col.is_not(None), col >= lo, col <= hi)

        fresh = case((within(model.verified_at) | within(model.updated_at), 1), else_=0)
        later = (model.updated_at > hi) | (
            model.verified_at.is_not(None) & (model.verified_at > hi)
        )
        unknown = case(
            (~(within(model.verified_at) | within(model.updated_at)) & later, 1), else_=0
        )
        filled = [func.sum(case((col.is_not(None), 1), else_=0)) for col in required]
        stmt = (
            select(
                model.node_id,
                func.count(),
                func.sum(fresh),
                func.sum(unknown),
                *filled,
            )
            .where(model.node_id.is_not(None), model.created_at < hi)
            .group_by(model.node_id)
        )
        cache_key = ("registry", kind, window_days, self.asof)
        cache = session_cache(self.session)
        if cache_key not in cache:
            cache[cache_key] = [tuple(r) for r in self.session.execute(stmt).all()]
        rows = cache[cache_key]
        mapping = self.keys_for_nodes([r[0] for r in rows])
        out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for node_id, records, n_fresh, n_unknown, *n_filled in rows:
            for key in mapping.get(node_id, []):
                bucket = out[key]
                bucket["records"] += records
                bucket["fresh"] += n_fresh or 0
                bucket["unknown"] += n_unknown or 0
                bucket["required"] += records * len(required)
                bucket["filled"] += sum(int(x or 0) for x in n_filled)
        return {k: dict(v) for k, v in out.items()}

    # ------------------------------------------------------------------ imported values
    def input_values(
        self, source: str, indicator: str, survey: str | None
    ) -> dict[str, tuple[float, int | None, int]]:
        """Imported survey/manual values whose period lies within the evaluation period.

        Returns per evaluee (mean value, total sample size or None, number of imported values).
        """
        stmt = select(
            EvaluationInput.entity_code, EvaluationInput.value, EvaluationInput.sample_size
        ).where(
            EvaluationInput.source == source,
            EvaluationInput.level == str(self.level),
            EvaluationInput.indicator == indicator,
            EvaluationInput.period_start >= self.period.start,
            EvaluationInput.period_end <= self.period.end,
        )
        if survey:
            stmt = stmt.where(EvaluationInput.survey == survey)
        values: dict[str, list[tuple[float, int | None]]] = defaultdict(list)
        for code, value, sample in self.session.execute(stmt):
            values[code].append((value, sample))
        out: dict[str, tuple[float, int | None, int]] = {}
        for code, items in values.items():
            samples = [s for _v, s in items if s is not None]
            mean = sum(v for v, _s in items) / len(items)
            out[code] = (mean, sum(samples) if samples else None, len(items))
        return out


_SESSION_CACHE = "civicgrid.evaluate.cache"


def session_cache(session: Session) -> dict[tuple[Any, ...], Any]:
    """Data read by the evaluations of one session, reused by the next evaluation of the same
    period (another system or level). Dropped at any flush, commit or rollback, so an evaluation
    never sees data older than the session's own writes."""
    cache: dict[tuple[Any, ...], Any] | None = session.info.get(_SESSION_CACHE)
    if cache is None:
        store: dict[tuple[Any, ...], Any] = {}

        def clear(*_args: Any) -> None:
            store.clear()

        for name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
            event.listen(session, name, clear)
        session.info[_SESSION_CACHE] = store
        cache = store
    return cache


# Required fields per registry for completeness (ID numbers and phones count when present,
# encrypted or not). Households are not listed: their only required field is mandatory.
REGISTRY_FIELDS: dict[str, tuple[Any, list[Any]]] = {
    "person": (
        Person,
        [
            Person.gender,
            Person.birth_date,
            Person.id_number_enc,
            Person.phone_enc,
            Person.household_id,
        ],
    ),
    "entity": (
        Entity,
        [Entity.credit_code, Entity.legal_rep, Entity.phone_enc, Entity.address, Entity.lat],
    ),
    "place": (Place, [Place.address, Place.lat, Place.lon]),
}


_TIME_COLUMNS = ("reported", "closed", "due")


def order_columns() -> list[tuple[str, Any]]:
    return [
        ("id", WorkOrder.id),
        ("node_id", WorkOrder.node_id),
        ("department", WorkOrder.department),
        ("channel", WorkOrder.channel),
        ("status", WorkOrder.status),
        ("category", WorkOrder.category),
        ("reported", WorkOrder.reported_at),
        ("closed", WorkOrder.closed_at),
        ("due", WorkOrder.due_at),
        ("satisfaction", WorkOrder.satisfaction),
        ("returns", WorkOrder.returns_count),
        ("reassigns", WorkOrder.reassign_count),
        ("reopens", WorkOrder.reopen_count),
        ("in_grid", WorkOrder.resolved_in_grid),
        ("repeat_flag", WorkOrder.is_repeat),
        ("reporter", WorkOrder.reporter_person_id),
        ("address", WorkOrder.address),
        ("lat", WorkOrder.lat),
        ("lon", WorkOrder.lon),
    ]


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _ns(moment: datetime) -> int:
    return int(pd.Timestamp(moment).value)


def _to_ns(values: np.ndarray) -> np.ndarray:
    """Datetimes (ISO text or datetime objects; naive = UTC) → int64 ns UTC, missing → -1."""
    stamps = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    stamps = stamps.dt.as_unit("ns")
    ns = stamps.astype("int64").where(stamps.notna(), -1)
    return ns.to_numpy(dtype=np.int64)


def place_codes(df: pd.DataFrame) -> np.ndarray:
    """Integer place codes for repeat detection (−1: no place): the address when there is one,
    else the location rounded to 0.001° (~100 m)."""
    address = df["address"].to_numpy(dtype=object)
    has_address = np.array([isinstance(a, str) and a.strip() != "" for a in address], dtype=bool)
    codes = np.full(len(df), -1, dtype=np.int64)
    if has_address.any():
        stripped = [a.strip() for a in address[has_address]]
        codes[has_address] = pd.factorize(np.array(stripped, dtype=object))[0]
    lat = df["lat"].to_numpy(dtype=float)
    lon = df["lon"].to_numpy(dtype=float)
    located = ~has_address & ~np.isnan(lat) & ~np.isnan(lon)
    if located.any():
        cell = np.round(lat[located] * 1000).astype(np.int64) * 1_000_000 + np.round(
            lon[located] * 1000
        ).astype(np.int64)
        offset = int(codes.max()) + 1
        codes[located] = pd.factorize(cell)[0] + offset
    return codes
