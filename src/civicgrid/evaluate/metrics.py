"""度量库 — the metrics an indicator can point at, computed from the platform's own data.

Every metric returns, for every evaluee of a ``Dataset``, its value AND the raw counts behind it
(``MetricValue``), so a score can be explained down to "45 of 50 orders closed on time".
Work-order metrics count orders *reported* in the period (local calendar days).

How work-order states are read lives in the constants right below, and nowhere else: when the
work-order domain renames a state, this is the one line to change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from civicgrid.evaluate.dataset import NS_PER_HOUR, Dataset, Level, place_codes
from civicgrid.evaluate.metric_types import (
    METRICS,
    ORDER_FILTERS,
    MetricDef,
    MetricValue,
    Unit,
    register,
)
from civicgrid.evaluate.normalise import Direction
from civicgrid.kit.i18n import N_, gettext

# ---------------------------------------------------------------- interpretation of the data
CLOSED_STATES = frozenset({"closed", "assessed"})  # 已办结, 已考核
EXCLUDED_STATES = frozenset({"rejected", "merged", "self_help"})  # invalid, duplicate, private
PROACTIVE_CHANNELS = frozenset({"patrol", "sensor", "collision"})  # found by us, not reported
PATROL_CHANNELS = frozenset({"patrol"})
RESIDENT_CHANNELS = frozenset({"resident", "open311"})  # 随手拍 and the Open311 API
SATISFIED = frozenset({"满意", "satisfied"})
BASICALLY_SATISFIED = frozenset({"基本满意", "basically_satisfied"})
DISSATISFIED = frozenset({"不满意", "dissatisfied"})

__all__ = [
    "BASICALLY_SATISFIED",
    "CLOSED_STATES",
    "DISSATISFIED",
    "EXCLUDED_STATES",
    "METRICS",
    "PATROL_CHANNELS",
    "PROACTIVE_CHANNELS",
    "RESIDENT_CHANNELS",
    "SATISFIED",
    "MetricDef",
    "MetricValue",
    "Unit",
    "compute_metric",
    "repeat_mask",
]

TERRITORIAL = frozenset({Level.WORKER, Level.GRID, Level.COMMUNITY, Level.STREET})
WEEK_NS = 7 * 24 * NS_PER_HOUR


def compute_metric(ds: Dataset, key: str, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    metric = METRICS[key]
    merged = {**metric.params, **params}
    return metric.compute(ds, merged)


# ---------------------------------------------------------------- helpers
def _valid_orders(ds: Dataset, params: Mapping[str, Any]) -> pd.DataFrame:
    """In-period orders that count (not rejected/merged/self-help), filtered by params."""
    df = ds.orders()
    mask = df["in_period"] & ~df["status"].isin(EXCLUDED_STATES)
    if params.get("channels"):
        mask &= df["channel"].isin(list(params["channels"]))
    if params.get("categories"):
        mask &= df["category"].isin(list(params["categories"]))
    return df[mask]


def _is_closed(df: pd.DataFrame) -> pd.Series:
    return df["status"].isin(CLOSED_STATES) & (df["closed"] >= 0)


def _sums(ds: Dataset, df: pd.DataFrame, columns: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Per-entity sums of the given boolean/numeric columns (one bincount per column)."""
    index = df["eidx"].to_numpy()
    keep = index >= 0
    n = len(ds.entities)
    totals = {
        name: np.bincount(index[keep], weights=np.asarray(col, dtype=float)[keep], minlength=n)
        for name, col in columns.items()
    }
    return {
        evaluee.key: {name: float(values[i]) for name, values in totals.items()}
        for i, evaluee in enumerate(ds.entities)
    }


def _values(
    ds: Dataset,
    metric_key: str,
    sums: Mapping[str, Mapping[str, float]],
    value: Callable[[Mapping[str, float]], float | None],
) -> dict[str, MetricValue]:
    metric = METRICS[metric_key]
    out = {}
    for evaluee in ds.entities:
        counts = {name: float(sums.get(evaluee.key, {}).get(name, 0.0)) for name in metric.counts}
        v = value(counts)
        out[evaluee.key] = MetricValue(v, counts, render_text(metric, counts))
    return out


def render_text(metric: MetricDef, counts: Mapping[str, float]) -> str:
    """The metric's sentence over its counts, in the current language."""
    shown = {k: (f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}") for k, v in counts.items()}
    return gettext(metric.text).format(**shown)


def _ratio(num: str, den: str) -> Callable[[Mapping[str, float]], float | None]:
    def value(c: Mapping[str, float]) -> float | None:
        return c[num] / c[den] if c[den] > 0 else None

    return value


# ---------------------------------------------------------------- work-order metrics
def _on_time(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    df = _valid_orders(ds, params)
    closed = _is_closed(df)
    has_due = df["due"] >= 0
    asof = int(pd.Timestamp(ds.asof).value)
    on_time = closed & has_due & (df["closed"] <= df["due"])
    due = has_due & (closed | (df["due"] <= asof))
    overdue_open = has_due & ~closed & (df["due"] <= asof)
    sums = _sums(ds, df, {"due": due, "on_time": on_time, "overdue_open": overdue_open})
    return _values(ds, "on_time_closure_rate", sums, _ratio("on_time", "due"))


def _disposal(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    df = _valid_orders(ds, params)
    sums = _sums(ds, df, {"orders": np.ones(len(df)), "closed": _is_closed(df)})
    return _values(ds, "disposal_rate", sums, _ratio("closed", "orders"))


def _handling_hours(df: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    closed = df[_is_closed(df) & (df["closed"] >= df["reported"])]
    hours = (closed["closed"] - closed["reported"]) / NS_PER_HOUR
    return pd.DataFrame({"entity": closed["entity"].to_numpy(), "hours": hours.to_numpy()})


def _avg_hours(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    frame = _handling_hours(_valid_orders(ds, params), params)
    grouped = frame.groupby("entity")["hours"].agg(["count", "sum"])
    sums = {
        str(k): {"closed": float(r["count"]), "total_hours": float(r["sum"])}
        for k, r in grouped.iterrows()
    }
    return _values(ds, "avg_handling_hours", sums, _ratio("total_hours", "closed"))


def _median_hours(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    frame = _handling_hours(_valid_orders(ds, params), params)
    grouped = frame.groupby("entity")["hours"].agg(["count", "median"])
    sums = {
        str(k): {"closed": float(r["count"]), "median_hours": round(float(r["median"]), 2)}
        for k, r in grouped.iterrows()
    }
    return _values(
        ds, "median_handling_hours", sums, lambda c: c["median_hours"] if c["closed"] else None
    )


def _satisfaction(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    df = _valid_orders(ds, params)
    s = df["satisfaction"]
    sums = _sums(
        ds,
        df,
        {
            "satisfied": s.isin(SATISFIED),
            "basic": s.isin(BASICALLY_SATISFIED),
            "dissatisfied": s.isin(DISSATISFIED),
        },
    )
    weight = float(params.get("basic_weight", 1.0))

    def value(c: Mapping[str, float]) -> float | None:
        rated = c["satisfied"] + c["basic"] + c["dissatisfied"]
        return (c["satisfied"] + weight * c["basic"]) / rated if rated else None

    return _values(ds, "satisfaction_rate", sums, value)


def repeat_mask(ds: Dataset, window_days: float) -> pd.Series:
    """Per order id: flagged repeat, or an earlier order from the same reporter, or at the same
    place, in the same category within ``window_days`` (earlier orders may predate the period).
    """
    cache_key = f"repeat:{window_days}"
    cached = ds._cache.get(cache_key)
    if cached is not None:
        result: pd.Series = cached
        return result
    base = ds.orders().drop_duplicates("id")
    base = base[~base["status"].isin(EXCLUDED_STATES)]
    ids = base["id"].to_numpy()
    reported = base["reported"].to_numpy()
    category = pd.factorize(base["category"].fillna(""))[0]
    repeat = base["repeat_flag"].to_numpy(copy=True)
    window = window_days * 24 * NS_PER_HOUR
    reporter = base["reporter"].to_numpy(dtype="float64", na_value=np.nan)
    reporter_codes = np.where(np.isnan(reporter), -1, pd.factorize(reporter)[0])
    for codes in (reporter_codes, place_codes(base)):
        order = np.lexsort((reported, category, codes))
        k, c, t = codes[order], category[order], reported[order]
        same = (k[1:] == k[:-1]) & (c[1:] == c[:-1]) & (k[1:] >= 0)
        hit = same & (t[1:] - t[:-1] <= window)
        repeat[order[1:][hit]] = True
    result = pd.Series(repeat, index=ids)
    ds._cache[cache_key] = result
    return result


def _repeat(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    df = _valid_orders(ds, params)
    flags = repeat_mask(ds, float(params["window_days"]))
    repeated = df["id"].map(flags).fillna(False).astype(bool)
    sums = _sums(ds, df, {"orders": np.ones(len(df)), "repeat": repeated})
    return _values(ds, "repeat_complaint_rate", sums, _ratio("repeat", "orders"))


def _in_grid(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    df = _valid_orders(ds, params)
    closed = _is_closed(df)
    sums = _sums(ds, df, {"closed": closed, "in_grid": closed & df["in_grid"]})
    return _values(ds, "resolved_in_grid_rate", sums, _ratio("in_grid", "closed"))


def _returns(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    df = _valid_orders(ds, params)
    sums = _sums(
        ds, df, {"orders": np.ones(len(df)), "returns": df["returns"], "reassigns": df["reassigns"]}
    )
    include = bool(params.get("include_reassign"))

    def value(c: Mapping[str, float]) -> float | None:
        moved = c["returns"] + (c["reassigns"] if include else 0.0)
        return moved / c["orders"] if c["orders"] else None

    return _values(ds, "returns_per_order", sums, value)


def _reopen(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    df = _valid_orders(ds, params)
    sums = _sums(ds, df, {"orders": np.ones(len(df)), "reopened": df["reopens"] > 0})
    return _values(ds, "reopen_rate", sums, _ratio("reopened", "orders"))


def _proactive(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    df = _valid_orders(ds, params)
    sums = _sums(
        ds, df, {"orders": np.ones(len(df)), "proactive": df["channel"].isin(PROACTIVE_CHANNELS)}
    )
    return _values(ds, "proactive_discovery_rate", sums, _ratio("proactive", "orders"))


def _patrol_coverage(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    df = ds.orders()
    start = int(pd.Timestamp(ds.start).value)
    patrol = df[df["in_period"] & df["channel"].isin(PATROL_CHANNELS) & df["grid_id"].notna()]
    weeks = math.ceil(ds.period.days / 7)
    frame = pd.DataFrame(
        {
            "entity": patrol["entity"].to_numpy(),
            "grid": patrol["grid_id"].astype("int64").to_numpy(),
            "week": ((patrol["reported"] - start) // WEEK_NS).to_numpy(),
        }
    ).drop_duplicates()
    covered = frame.groupby("entity").size()
    sums = {
        e.key: {
            "grid_weeks": float(len(ds.entity_grids.get(e.key, [])) * weeks),
            "covered": float(covered.get(e.key, 0)),
            "patrol_orders": 0.0,
        }
        for e in ds.entities
    }
    for key, n in patrol.groupby("entity").size().items():
        if str(key) in sums:
            sums[str(key)]["patrol_orders"] = float(n)
    return _values(ds, "patrol_coverage", sums, _ratio("covered", "grid_weeks"))


def _resident_reporting(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    df = ds.orders()
    reports = df[df["in_period"] & df["channel"].isin(RESIDENT_CHANNELS)]
    people = ds.registry_counts("person", 180)  # record counts; 180 shares the cached query
    per_entity = reports.groupby("entity").size()
    sums = {
        e.key: {
            "reports": float(per_entity.get(e.key, 0)),
            "residents": float(people.get(e.key, {}).get("records", 0.0)),
        }
        for e in ds.entities
    }
    return _values(
        ds,
        "resident_reporting_rate",
        sums,
        lambda c: c["reports"] / c["residents"] * 1000 if c["residents"] else None,
    )


# ---------------------------------------------------------------- registry metrics
def _registry_sums(
    ds: Dataset, params: Mapping[str, Any], window: int
) -> dict[str, dict[str, float]]:
    sums: dict[str, dict[str, float]] = {}
    for kind in params["registries"]:
        for key, counts in ds.registry_counts(kind, window).items():
            bucket = sums.setdefault(key, {})
            for name, value in counts.items():
                bucket[name] = bucket.get(name, 0.0) + value
    for bucket in sums.values():
        bucket["stale"] = bucket["records"] - bucket["fresh"] - bucket["unknown"]
    return sums


def _completeness(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    sums = _registry_sums(ds, params, 180)
    return _values(ds, "registry_completeness", sums, _ratio("filled", "required"))


def _freshness(ds: Dataset, params: Mapping[str, Any]) -> dict[str, MetricValue]:
    sums = _registry_sums(ds, params, int(params["window_days"]))

    def value(c: Mapping[str, float]) -> float | None:
        known = c["fresh"] + c["stale"]
        return c["fresh"] / known if known else None

    return _values(ds, "registry_freshness", sums, value)


REGISTRIES = ["person", "entity", "place"]

for _metric in (
    MetricDef(
        "on_time_closure_rate",
        N_("按时办结率"),
        Unit.RATIO,
        Direction.HIGHER,
        N_("按时办结数 / 应办结数"),
        {"on_time": N_("按时办结"), "due": N_("应办结"), "overdue_open": N_("超期未办结")},
        N_("按时办结 {on_time} 件 / 应办结 {due} 件（超期未办结 {overdue_open} 件）"),
        "Orders closed by their due time / orders that had a due time and were closed or "
        "already due by the end of the period (or now).",
        _on_time,
        params=dict(ORDER_FILTERS),
    ),
    MetricDef(
        "disposal_rate",
        N_("办结率"),
        Unit.RATIO,
        Direction.HIGHER,
        N_("办结数 / 受理数"),
        {"closed": N_("办结"), "orders": N_("受理")},
        N_("办结 {closed} 件 / 受理 {orders} 件"),
        "Closed orders / valid orders reported in the period.",
        _disposal,
        params=dict(ORDER_FILTERS),
    ),
    MetricDef(
        "avg_handling_hours",
        N_("平均处置时长"),
        Unit.HOURS,
        Direction.LOWER,
        N_("Σ(办结时间 − 上报时间) / 办结数"),
        {"total_hours": N_("处置总时长（小时）"), "closed": N_("办结")},
        N_("处置总时长 {total_hours} 小时 / 办结 {closed} 件"),
        "Mean wall-clock hours from report to closure over closed orders.",
        _avg_hours,
        params=dict(ORDER_FILTERS),
    ),
    MetricDef(
        "median_handling_hours",
        N_("处置时长中位数"),
        Unit.HOURS,
        Direction.LOWER,
        N_("办结工单处置时长的中位数"),
        {"median_hours": N_("中位数（小时）"), "closed": N_("办结")},
        N_("办结 {closed} 件的处置时长中位数 {median_hours} 小时"),
        "Median wall-clock hours from report to closure over closed orders.",
        _median_hours,
        params=dict(ORDER_FILTERS),
    ),
    MetricDef(
        "satisfaction_rate",
        N_("满意率"),
        Unit.RATIO,
        Direction.HIGHER,
        N_("(满意 + 基本满意) / 参评数"),
        {"satisfied": N_("满意"), "basic": N_("基本满意"), "dissatisfied": N_("不满意")},
        N_("满意 {satisfied} 件、基本满意 {basic} 件、不满意 {dissatisfied} 件"),
        "(satisfied + basic_weight × basically satisfied) / rated orders; basic_weight "
        "defaults to 1.",
        _satisfaction,
        params={**ORDER_FILTERS, "basic_weight": 1.0},
    ),
    MetricDef(
        "repeat_complaint_rate",
        N_("重复投诉率"),
        Unit.RATIO,
        Direction.LOWER,
        N_("重复投诉数 / 受理数"),
        {"repeat": N_("重复投诉"), "orders": N_("受理")},
        N_("重复投诉 {repeat} 件 / 受理 {orders} 件"),
        "Orders flagged as repeats, or following an order of the same category from the same "
        "reporter or at the same place (address, else location to ~100 m) within window_days.",
        _repeat,
        params={**ORDER_FILTERS, "window_days": 30},
    ),
    MetricDef(
        "resolved_in_grid_rate",
        N_("网格内解决率"),
        Unit.RATIO,
        Direction.HIGHER,
        N_("网格内解决数 / 办结数"),
        {"in_grid": N_("网格内解决"), "closed": N_("办结")},
        N_("网格内解决 {in_grid} 件 / 办结 {closed} 件"),
        "Closed orders resolved within the grid / closed orders.",
        _in_grid,
        levels=TERRITORIAL,
        params=dict(ORDER_FILTERS),
    ),
    MetricDef(
        "returns_per_order",
        N_("退单率"),
        Unit.PER_ORDER,
        Direction.LOWER,
        N_("退单次数 / 受理数"),
        {"returns": N_("退单次数"), "reassigns": N_("改派次数"), "orders": N_("受理")},
        N_("退单 {returns} 次（改派 {reassigns} 次）/ 受理 {orders} 件"),
        "Returns (退单) per order; with include_reassign, reassignments count too.",
        _returns,
        params={**ORDER_FILTERS, "include_reassign": False},
    ),
    MetricDef(
        "reopen_rate",
        N_("重办率"),
        Unit.RATIO,
        Direction.LOWER,
        N_("重办工单数 / 受理数"),
        {"reopened": N_("重办"), "orders": N_("受理")},
        N_("重办 {reopened} 件 / 受理 {orders} 件"),
        "Orders reopened at least once (resident dissatisfied) / orders.",
        _reopen,
        params=dict(ORDER_FILTERS),
    ),
    MetricDef(
        "proactive_discovery_rate",
        N_("主动发现率"),
        Unit.RATIO,
        Direction.HIGHER,
        N_("主动发现数（巡查、物联感知、数据碰撞）/ 受理数"),
        {"proactive": N_("主动发现"), "orders": N_("受理")},
        N_("主动发现 {proactive} 件 / 受理 {orders} 件"),
        "Share of orders from patrol, sensor and data-collision channels.",
        _proactive,
        params=dict(ORDER_FILTERS),
    ),
    MetricDef(
        "patrol_coverage",
        N_("巡查覆盖率（代理）"),
        Unit.RATIO,
        Direction.HIGHER,
        N_("有巡查上报的网格周数 / 网格周数"),
        {
            "covered": N_("有巡查上报的网格周"),
            "grid_weeks": N_("网格周"),
            "patrol_orders": N_("巡查上报"),
        },
        N_(
            "有巡查上报 {covered} 个网格周 / 共 {grid_weeks} 个网格周"
            "（巡查上报 {patrol_orders} 件）"
        ),
        "PROXY until patrol records exist: grid-weeks with at least one patrol-channel order / "
        "grid-weeks in the period. A patrol that found nothing leaves no trace, so this "
        "undercounts real patrols.",
        _patrol_coverage,
        levels=TERRITORIAL,
    ),
    MetricDef(
        "resident_reporting_rate",
        N_("居民随手拍参与度"),
        Unit.PER_THOUSAND,
        Direction.HIGHER,
        N_("居民上报数 / 登记人口 × 1000"),
        {"reports": N_("居民上报"), "residents": N_("登记人口")},
        N_("居民上报 {reports} 件 / 登记人口 {residents} 人 × 1000"),
        "Resident-channel reports (随手拍, Open311) per 1,000 registered residents: participation "
        "in reporting only (votes, volunteering and deliberation are not recorded yet).",
        _resident_reporting,
        levels=TERRITORIAL,
    ),
    MetricDef(
        "registry_completeness",
        N_("基础数据完整率"),
        Unit.RATIO,
        Direction.HIGHER,
        N_("已填必填项 / 必填项"),
        {"filled": N_("已填必填项"), "required": N_("必填项"), "records": N_("记录数")},
        N_("已填 {filled} 项 / 必填 {required} 项（{records} 条记录）"),
        "Filled required fields / required fields over the registry records of the evaluee "
        "(current data of records created before the period end).",
        _completeness,
        levels=TERRITORIAL,
        params={"registries": list(REGISTRIES)},
    ),
    MetricDef(
        "registry_freshness",
        N_("基础数据鲜活度"),
        Unit.RATIO,
        Direction.HIGHER,
        N_("近期核实或更新的记录 / 可判断的记录"),
        {
            "fresh": N_("近期核实/更新"),
            "stale": N_("久未更新"),
            "unknown": N_("期末后才更新（无法判断）"),
        },
        N_("近期核实/更新 {fresh} 条、久未更新 {stale} 条、无法判断 {unknown} 条"),
        "Records verified or updated within window_days before the period end (or now) / "
        "records whose state at that time is known (records touched only after it are unknown).",
        _freshness,
        levels=TERRITORIAL,
        params={"registries": list(REGISTRIES), "window_days": 180},
    ),
):
    register(_metric)
