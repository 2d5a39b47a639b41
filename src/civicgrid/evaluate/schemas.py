"""考核结果的数据结构 — what services return and the JSON API sends (pydantic models).

A results page needs: the ranking (``EvaluationResult.entities`` sorted by rank), radar values
(``RadarData``), trends (``TrendResult``) and a drill-down (``ExplanationNode``), all plain data.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class CountItem(BaseModel):
    key: str
    label: str
    value: float


class LeafValue(BaseModel):
    """One entity's value of one leaf indicator, from raw figures to normalised score."""

    key: str
    raw: float | None
    display: str
    normalised: float
    missing: bool = False
    imputed: float | None = None  # the raw value used in place of a missing one
    counts: list[CountItem] = Field(default_factory=list)
    text: str = ""
    normalisation: str = ""


class TopsisDetail(BaseModel):
    d_best: float
    d_worst: float
    closeness: float


class EntityResult(BaseModel):
    key: str
    name: str
    parent: str | None = None
    rank: int
    score: float  # 0–100
    dimension_scores: dict[str, float] = Field(default_factory=dict)  # first level, 0–100
    values: dict[str, LeafValue] = Field(default_factory=dict)
    topsis: TopsisDetail | None = None


class IndicatorInfo(BaseModel):
    key: str
    name: str
    parent: str | None
    depth: int
    is_leaf: bool
    local_weight: float
    global_weight: float
    subjective_weight: float  # global, from the configuration (given or AHP)
    objective_weight: float | None = None  # global, entropy (when used)
    metric: str | None = None
    source: str | None = None
    unit: str = ""
    direction: str = "higher"
    normalise: str = "minmax"
    formula: str = ""
    description: str = ""


class AhpInfo(BaseModel):
    parent: str  # "" for the first level
    parent_name: str
    labels: list[str]
    weights: list[float]
    lambda_max: float
    ci: float
    ri: float
    cr: float


class EvaluationResult(BaseModel):
    system_name: str
    system_title: str
    system_version: int | None = None
    level: str
    level_label: str
    period_start: date
    period_end: date
    scope: str | None = None
    method: str
    weighting: str
    computed_at: datetime
    indicators: list[IndicatorInfo]
    ahp: list[AhpInfo] = Field(default_factory=list)
    entities: list[EntityResult]
    warnings: list[str] = Field(default_factory=list)
    run_id: int | None = None

    def indicator(self, key: str) -> IndicatorInfo:
        return next(i for i in self.indicators if i.key == key)

    def entity(self, key: str) -> EntityResult | None:
        return next((e for e in self.entities if e.key == key), None)


class ExplanationNode(BaseModel):
    """The drill-down: how an entity's score is built, down to the raw figures."""

    key: str
    name: str
    local_weight: float
    global_weight: float
    score: float  # this node's own score, 0–100
    contribution: float  # points it adds to the total (weighted sum), 0–100 overall
    children: list[ExplanationNode] = Field(default_factory=list)
    leaf: LeafValue | None = None
    metric: str | None = None
    formula: str = ""


class Explanation(BaseModel):
    entity: EntityResult
    method: str
    tree: list[ExplanationNode]
    summary: str


class RankRow(BaseModel):
    rank: int
    key: str
    name: str
    parent: str | None
    score: float
    dimensions: dict[str, float]


class RadarSeries(BaseModel):
    key: str
    name: str
    values: list[float]


class RadarData(BaseModel):
    axes: list[str]
    series: list[RadarSeries]
    average: list[float]


class TrendSeries(BaseModel):
    key: str
    name: str
    scores: list[float | None]
    ranks: list[int | None]


class TrendResult(BaseModel):
    system_name: str
    level: str
    periods: list[str]
    series: list[TrendSeries]
    warnings: list[str] = Field(default_factory=list)


class SystemSummary(BaseModel):
    name: str
    title: str
    description: str = ""
    builtin: bool
    based_on: str | None = None
    version: int | None = None
    levels: list[str]
    method: str
    weighting: str
    first_level: int
    leaves: int


class ImportReport(BaseModel):
    batch_id: int | None
    rows_total: int
    rows_inserted: int
    rows_updated: int
    rows_rejected: int
    errors: list[dict[str, Any]]


class RunRequest(BaseModel):
    system: str = Field(description="Template or stored system name.")
    level: str = Field(description="worker, grid, community, street or department.")
    period: str = Field(description="2025-01-01..2025-12-31, 2025, 2025-03, 2025Q1 …")
    scope: str | None = Field(None, description="Only objects under this org node code.")
    method: str | None = Field(None, description="Override: weighted_sum or topsis.")
    save: bool = False


class CopyRequest(BaseModel):
    source: str
    name: str
    title: str | None = None


class MetricInfo(BaseModel):
    key: str
    label: str
    unit: str
    direction: str
    formula: str
    levels: list[str]
    params: dict[str, Any]
    counts: dict[str, str]
    description: str
