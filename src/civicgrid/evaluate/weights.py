"""考核权重 — AHP (principal eigenvector, consistency ratio), entropy weights and blends.

Pure functions: no database, no I/O. Matrices are numpy arrays; results are frozen dataclasses
that carry everything a report needs to show how a weight was obtained.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from civicgrid.errors import Invalid
from civicgrid.kit.i18n import _

FloatArray = NDArray[np.float64]

# Saaty's random consistency index RI(n): mean CI of random reciprocal matrices of order n,
# as tabulated in T. L. Saaty, "The Analytic Hierarchy Process" (1980) and reused in his later
# papers (e.g. "How to make a decision", EJOR 48, 1990). Orders above 15 are not tabulated.
RANDOM_INDEX: dict[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}
CR_LIMIT = 0.1
SAATY_SCALE = (1, 2, 3, 4, 5, 6, 7, 8, 9)
RECIPROCAL_TOLERANCE = 0.01


@dataclass(frozen=True)
class AhpResult:
    """Priorities of an AHP pairwise-comparison matrix and its consistency."""

    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    # The most inconsistent judgement: indices (i, j), the given a_ij and the ratio w_i / w_j
    # the other judgements imply. None for orders below 3 (always consistent).
    worst_pair: tuple[int, int] | None = None
    worst_given: float | None = None
    worst_implied: float | None = None

    @property
    def acceptable(self) -> bool:
        return self.cr <= CR_LIMIT


def parse_judgement(value: object) -> float:
    """A pairwise judgement: a positive number, or a fraction written "1/3"."""
    if isinstance(value, bool):
        raise Invalid(_("判断值无效：{value}").format(value=value))
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("／", "/")
        try:
            number = float(Fraction(text))
        except (ValueError, ZeroDivisionError) as exc:
            raise Invalid(
                _("判断值无效：{value}（应为正数或 1/3 这样的分数）").format(value=value)
            ) from exc
    else:
        raise Invalid(_("判断值无效：{value}").format(value=value))
    if not math.isfinite(number) or number <= 0:
        raise Invalid(_("判断值必须为正数：{value}").format(value=value))
    return number


def pairwise_matrix(
    rows: Sequence[Sequence[object]], labels: Sequence[str] | None = None
) -> FloatArray:
    """Build and check a reciprocal comparison matrix from its rows.

    Cells may be numbers or fractions ("1/3"). Below-diagonal cells may be left empty (None or
    "") and are then filled with the reciprocal of the mirrored cell.
    """
    n = len(rows)
    names = list(labels) if labels is not None else [str(i + 1) for i in range(n)]
    if n == 0:
        raise Invalid(_("判断矩阵为空"))
    if any(len(row) != n for row in rows):
        raise Invalid(_("判断矩阵必须是 {n}×{n} 的方阵（每行 {n} 个判断值）").format(n=n))
    if labels is not None and len(names) != n:
        raise Invalid(_("判断矩阵的阶数 {n} 与下级指标数 {k} 不一致").format(n=n, k=len(names)))
    matrix = np.ones((n, n))
    for i in range(n):
        for j in range(n):
            cell = rows[i][j]
            if i > j and (cell is None or cell == ""):
                matrix[i, j] = math.nan
            elif i == j:
                if parse_judgement(cell if cell not in (None, "") else 1) != 1.0:
                    raise Invalid(_("判断矩阵对角线必须为 1（「{a}」）").format(a=names[i]))
            else:
                matrix[i, j] = parse_judgement(cell)
    for i in range(n):
        for j in range(i):
            if math.isnan(matrix[i, j]):
                matrix[i, j] = 1.0 / matrix[j, i]
            elif abs(matrix[i, j] * matrix[j, i] - 1.0) > RECIPROCAL_TOLERANCE:
                raise Invalid(
                    _(
                        "判断矩阵不互反：「{a}」对「{b}」为 {x}，"
                        "「{b}」对「{a}」应为 {y}，实际为 {z}"
                    ).format(
                        a=names[j],
                        b=names[i],
                        x=format_judgement(matrix[j, i]),
                        y=format_judgement(1.0 / matrix[j, i]),
                        z=format_judgement(matrix[i, j]),
                    )
                )
    return matrix


def format_judgement(value: float) -> str:
    """3 → "3", 0.3333 → "1/3", 2.5 → "2.5" (how experts write judgements)."""
    if value >= 1:
        return f"{value:g}" if abs(value - round(value)) > 1e-9 else str(round(value))
    inverse = 1.0 / value
    if abs(inverse - round(inverse)) < 1e-6:
        return f"1/{round(inverse)}"
    return f"{value:.3g}"


def canonical_judgement(value: float) -> int | str:
    """A judgement as written in a configuration: 3 → 3, 1/3 → "1/3", 2.5 → "2.5"."""
    if value >= 1 and abs(value - round(value)) < 1e-9:
        return round(value)
    return format_judgement(value)


def nearest_scale(value: float) -> float:
    """The Saaty 1–9 judgement (or reciprocal) closest to ``value`` on a log scale."""
    candidates = [float(s) for s in SAATY_SCALE] + [1.0 / s for s in SAATY_SCALE[1:]]
    return min(candidates, key=lambda c: abs(math.log(c) - math.log(value)))


def principal_eigenvector(matrix: FloatArray) -> tuple[FloatArray, float]:
    """Perron vector (normalised to sum 1) and eigenvalue of a positive square matrix."""
    values, vectors = np.linalg.eig(matrix)
    k = int(np.argmax(values.real))
    vector = np.abs(vectors[:, k].real)
    return vector / vector.sum(), float(values[k].real)


def ahp(matrix: FloatArray) -> AhpResult:
    """Saaty's eigenvector method: priorities, λmax, CI = (λmax − n)/(n − 1), CR = CI/RI(n)."""
    n = matrix.shape[0]
    if n not in RANDOM_INDEX:
        raise Invalid(_("判断矩阵最多 15 阶（当前 {n} 阶），请把指标分组").format(n=n))
    if n == 1:
        return AhpResult(weights=(1.0,), lambda_max=1.0, ci=0.0, ri=0.0, cr=0.0)
    weights, lambda_max = principal_eigenvector(matrix)
    ci = max((lambda_max - n) / (n - 1), 0.0)
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    worst: tuple[int, int] | None = None
    worst_given = worst_implied = None
    if n >= 3:
        # a_ij · w_j / w_i is 1 for a judgement in line with the priorities; the largest
        # log-deviation is the judgement that contributes most to the inconsistency.
        deviation = np.abs(np.log(matrix * weights[np.newaxis, :] / weights[:, np.newaxis]))
        i, j = np.unravel_index(int(np.argmax(np.triu(deviation, 1))), deviation.shape)
        worst = (int(i), int(j))
        worst_given = float(matrix[i, j])
        worst_implied = float(weights[i] / weights[j])
    return AhpResult(
        weights=tuple(float(w) for w in weights),
        lambda_max=lambda_max,
        ci=ci,
        ri=ri,
        cr=cr,
        worst_pair=worst,
        worst_given=worst_given,
        worst_implied=worst_implied,
    )


def explain_inconsistency(result: AhpResult, labels: Sequence[str]) -> str:
    """The Chinese refusal message for a matrix whose CR exceeds the limit."""
    text = _(
        "判断矩阵一致性检验未通过：CR = {cr:.3f} > {limit}（λmax = {lm:.3f}，CI = {ci:.3f}，"
        "RI = {ri}）。"
    ).format(cr=result.cr, limit=CR_LIMIT, lm=result.lambda_max, ci=result.ci, ri=result.ri)
    if result.worst_pair is not None and result.worst_given and result.worst_implied:
        i, j = result.worst_pair
        text += _(
            "最不一致的判断是「{a}」相对「{b}」= {given}，而其余判断隐含的比值约为 {implied:.2f}"
            "（接近 {suggest}）；请重新审视这一对比较。"
        ).format(
            a=labels[i],
            b=labels[j],
            given=format_judgement(result.worst_given),
            implied=result.worst_implied,
            suggest=format_judgement(nearest_scale(result.worst_implied)),
        )
    return text


def ahp_weights(matrix: FloatArray, labels: Sequence[str]) -> AhpResult:
    """AHP priorities, refusing (Invalid) when CR > 0.1 with the worst pair named."""
    result = ahp(matrix)
    if not result.acceptable:
        raise Invalid(explain_inconsistency(result, labels), cr=round(result.cr, 4))
    return result


@dataclass(frozen=True)
class EntropyResult:
    """Entropy weight method: per criterion entropy e_j, divergence d_j = 1 − e_j, weight."""

    weights: tuple[float, ...]
    entropy: tuple[float, ...]
    divergence: tuple[float, ...]


def entropy_weights(normalised: FloatArray) -> EntropyResult:
    """Objective weights from the dispersion of each column of an m×n matrix in [0, 1].

    ``normalised`` must already point every column the same way (higher is better), e.g. after
    direction-aware min-max. p_ij = y_ij / Σ_i y_ij, e_j = −Σ_i p_ij ln p_ij / ln m (0·ln 0 = 0),
    d_j = 1 − e_j, w_j = d_j / Σ d. A column with no spread (or no values) gets weight 0; when no
    column has any spread the weights are equal.
    """
    y = np.asarray(normalised, dtype=float)
    m, n = y.shape
    if n == 0:
        return EntropyResult((), (), ())
    if m < 2:
        equal = tuple([1.0 / n] * n)
        return EntropyResult(equal, tuple([1.0] * n), tuple([0.0] * n))
    totals = y.sum(axis=0)
    entropy = np.ones(n)
    for j in range(n):
        if totals[j] <= 0:
            continue  # no information: e = 1
        p = y[:, j] / totals[j]
        nz = p[p > 0]
        entropy[j] = float(-(nz * np.log(nz)).sum() / math.log(m))
    divergence = np.clip(1.0 - entropy, 0.0, None)
    spread = divergence.sum()
    weights = divergence / spread if spread > 1e-12 else np.full(n, 1.0 / n)
    return EntropyResult(
        weights=tuple(float(w) for w in weights),
        entropy=tuple(float(e) for e in entropy),
        divergence=tuple(float(d) for d in divergence),
    )


BlendMode = Literal["linear", "multiplicative"]


def blend(
    subjective: Sequence[float],
    objective: Sequence[float],
    *,
    alpha: float = 0.5,
    mode: BlendMode = "linear",
) -> tuple[float, ...]:
    """Combine expert (subjective) and data (objective) weights.

    linear: w = α·s + (1 − α)·o. multiplicative: w = s·o / Σ s·o (falls back to linear when every
    product is zero).
    """
    if not 0.0 <= alpha <= 1.0:
        raise Invalid(_("组合权重系数 α 必须在 0 到 1 之间（当前 {a}）").format(a=alpha))
    s = np.asarray(subjective, dtype=float)
    o = np.asarray(objective, dtype=float)
    if s.shape != o.shape:
        raise Invalid(_("主观权重与客观权重的个数不一致"))
    if mode == "multiplicative":
        product = s * o
        if product.sum() > 1e-12:
            return tuple(float(w) for w in product / product.sum())
    combined = alpha * s + (1.0 - alpha) * o
    total = combined.sum()
    return tuple(float(w) for w in (combined / total if total > 0 else combined))
