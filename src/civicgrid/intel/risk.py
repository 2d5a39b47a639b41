"""五色分级 — five-colour grid risk grading (红橙黄蓝绿), transparent and explained per factor.

Pure scoring (no DB). For each grid and factor f with raw value x_f (see ``FACTORS``)::

    s_f = 1 - 2^(-x_f / k_f)            sub-score in [0, 1): 0.5 when x_f equals k_f
    contribution_f = 100 · w_f · s_f    points; the weights w_f sum to 1
    score = Σ_f contribution_f          0 … 100

Each sub-score rises strictly with its factor and saturates (the tenth hazard adds less than the
first), so the score is monotone in every factor and the contributions add up to the score
exactly: "which factors, how much". Colours come from fixed cut-offs on the score (default) or
from quantiles of the scores of the grids graded together (``mode="quantile"``: the top 10 % are
red, the next 15 % orange, 25 % yellow, 25 % blue, the rest green — relative, so some grid is
always red). Patrol frequency follows the colour (red daily … green weekly).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class Colour(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"
    GREEN = "green"


COLOUR_LABELS = {
    Colour.RED: "红",
    Colour.ORANGE: "橙",
    Colour.YELLOW: "黄",
    Colour.BLUE: "蓝",
    Colour.GREEN: "绿",
}
# Days between patrols per colour: red daily, orange every 2 days, yellow every 3 days,
# blue every 5 days, green weekly.
PATROL_EVERY_DAYS = {
    Colour.RED: 1,
    Colour.ORANGE: 2,
    Colour.YELLOW: 3,
    Colour.BLUE: 5,
    Colour.GREEN: 7,
}
# Fixed cut-offs on the 0–100 score: score >= cut-off gets the colour.
FIXED_CUTOFFS = (
    (Colour.RED, 60.0),
    (Colour.ORANGE, 45.0),
    (Colour.YELLOW, 30.0),
    (Colour.BLUE, 15.0),
)
QUANTILE_SHARES = (
    (Colour.RED, 0.10),
    (Colour.ORANGE, 0.15),
    (Colour.YELLOW, 0.25),
    (Colour.BLUE, 0.25),
)


@dataclass(frozen=True)
class Factor:
    name: str
    label: str  # Chinese label shown in explanations
    weight: float
    half: float  # raw value at which the sub-score is 0.5
    unit: str


# Halves are set for grids of 200–300 households; events and sensor alerts are per 30 days (the
# service rescales other periods), so the same grid gets the same score over 30 or 90 days.
FACTORS: tuple[Factor, ...] = (
    Factor("events", "近30天事件（按严重程度加权）", 0.30, 40.0, "件"),
    Factor("hazards", "风险隐患点", 0.20, 2.0, "处"),
    Factor("special_population", "重点人群（加权人数）", 0.15, 30.0, "人"),
    Factor("sensor_alerts", "近30天物联感知告警", 0.15, 3.0, "次"),
    Factor("overdue", "超期未办结工单", 0.20, 3.0, "件"),
)
# Severity weight of an event by work-order priority (1 urgent, 2 normal, 3 low/consultation).
PRIORITY_WEIGHT = {1: 3.0, 2: 1.0, 3: 0.5}
# Weight of each special-group tag in the special-population factor.
TAG_WEIGHT = {
    "elderly_alone": 1.0,  # 独居老人
    "disabled": 1.0,  # 残疾人
    "left_behind_child": 1.0,  # 留守儿童
    "low_income": 0.5,  # 低保
}


@dataclass(frozen=True)
class Contribution:
    factor: str
    label: str
    value: float
    subscore: float
    weight: float
    points: float


@dataclass
class GridRisk:
    grid_id: int | None
    grid: str
    score: float
    colour: Colour
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def colour_label(self) -> str:
        return COLOUR_LABELS[self.colour]

    @property
    def patrol_every_days(self) -> int:
        return PATROL_EVERY_DAYS[self.colour]

    def explain(self) -> str:
        """e.g. "近期事件（按严重程度加权） 12.0 件 → 16.2 分；风险隐患点 1 处 → 5.9 分"."""
        parts = [
            f"{c.label} {c.value:g} → {c.points:.1f} 分"
            for c in sorted(self.contributions, key=lambda c: -c.points)
            if c.points > 0.05
        ]
        return "；".join(parts) if parts else "无风险因素"


def subscore(value: float, half: float) -> float:
    """1 - 2^(-value/half): 0 at 0, 0.5 at ``half``, → 1; negative values count as 0."""
    return 1.0 - math.pow(2.0, -max(value, 0.0) / half)


def validate_factors(factors: Sequence[Factor]) -> None:
    total = sum(f.weight for f in factors)
    if abs(total - 1.0) > 1e-9 or any(f.weight < 0 or f.half <= 0 for f in factors):
        raise ValueError("factor weights must be non-negative and sum to 1, halves positive")


def score_grid(
    values: Mapping[str, float], factors: Sequence[Factor] = FACTORS
) -> tuple[float, list[Contribution]]:
    """Score 0–100 and per-factor contributions (missing factors count as 0)."""
    validate_factors(factors)
    contributions = []
    for f in factors:
        value = float(values.get(f.name, 0.0))
        s = subscore(value, f.half)
        contributions.append(
            Contribution(f.name, f.label, value, s, f.weight, 100.0 * f.weight * s)
        )
    return sum(c.points for c in contributions), contributions


def colour_fixed(score: float) -> Colour:
    for colour, cut in FIXED_CUTOFFS:
        if score >= cut:
            return colour
    return Colour.GREEN


def colours_by_quantile(scores: Sequence[float]) -> list[Colour]:
    """Rank-based colours: the top 10 % red, next 15 % orange, 25 % yellow, 25 % blue, rest green.

    Ties get the same (higher) colour; a grid with score 0 is always green.
    """
    n = len(scores)
    arr = np.asarray(scores, dtype=float)
    # rank of each score among all (0 = highest), ties share the best rank
    ranks = np.array([int(np.sum(arr > s)) for s in arr])
    out: list[Colour] = []
    for s, r in zip(arr, ranks, strict=True):
        colour = Colour.GREEN
        upper = 0.0
        if s > 0:
            for c, share in QUANTILE_SHARES:
                upper += share
                if r < math.ceil(upper * n - 1e-9):
                    colour = c
                    break
        out.append(colour)
    return out


@dataclass(frozen=True)
class GridFactors:
    grid_id: int | None
    grid: str
    values: Mapping[str, float]


def grade(
    grids: Sequence[GridFactors], *, mode: str = "fixed", factors: Sequence[Factor] = FACTORS
) -> list[GridRisk]:
    """Score and colour every grid; sorted by score, highest first."""
    if mode not in {"fixed", "quantile"}:
        raise ValueError("mode must be 'fixed' or 'quantile'")
    scored = [(g, *score_grid(g.values, factors)) for g in grids]
    if mode == "fixed":
        colours = [colour_fixed(score) for _, score, _ in scored]
    else:
        colours = colours_by_quantile([score for _, score, _ in scored])
    results = [
        GridRisk(g.grid_id, g.grid, round(score, 2), colour, contribs)
        for (g, score, contribs), colour in zip(scored, colours, strict=True)
    ]
    results.sort(key=lambda r: (-r.score, r.grid))
    return results


def event_weight(priority: int | None) -> float:
    return PRIORITY_WEIGHT.get(priority if priority is not None else 2, 1.0)


def population_weight(tags: Sequence[str] | None) -> float:
    """A person counts once, with the weight of their heaviest special-group tag."""
    return max((TAG_WEIGHT.get(t, 0.0) for t in tags or ()), default=0.0)
