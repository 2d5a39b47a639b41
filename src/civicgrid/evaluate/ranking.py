"""综合排名 — weighted sum and TOPSIS, and competition ranking with ties. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def weighted_sum(normalised: FloatArray, weights: Sequence[float]) -> FloatArray:
    """Score_i = Σ_j w_j · y_ij for an m×n matrix of normalised values (higher is better)."""
    scores: FloatArray = np.asarray(normalised, dtype=float) @ np.asarray(weights, dtype=float)
    return scores


@dataclass(frozen=True)
class TopsisResult:
    """Closeness C_i = D⁻_i / (D⁺_i + D⁻_i) and the pieces behind it."""

    closeness: tuple[float, ...]
    d_best: tuple[float, ...]
    d_worst: tuple[float, ...]
    ideal: tuple[float, ...]
    anti_ideal: tuple[float, ...]


def topsis(matrix: FloatArray, weights: Sequence[float], benefit: Sequence[bool]) -> TopsisResult:
    """Hwang & Yoon's TOPSIS on raw values.

    1. vector normalisation r_ij = x_ij / √(Σ_i x_ij²) (a column of zeros stays zero);
    2. v_ij = w_j · r_ij;
    3. ideal A⁺_j = max_i v_ij for a benefit criterion, min for a cost one; anti-ideal A⁻ reversed;
    4. D⁺_i, D⁻_i Euclidean distances to A⁺, A⁻; C_i = D⁻_i / (D⁺_i + D⁻_i).
    When every alternative coincides (D⁺ = D⁻ = 0) the closeness is 0.5 for all.
    """
    x = np.asarray(matrix, dtype=float)
    w = np.asarray(weights, dtype=float)
    is_benefit = np.asarray(benefit, dtype=bool)
    norms = np.sqrt((x**2).sum(axis=0))
    norms[norms == 0] = 1.0
    v = x / norms * w
    ideal = np.where(is_benefit, v.max(axis=0), v.min(axis=0))
    anti = np.where(is_benefit, v.min(axis=0), v.max(axis=0))
    d_best = np.sqrt(((v - ideal) ** 2).sum(axis=1))
    d_worst = np.sqrt(((v - anti) ** 2).sum(axis=1))
    total = d_best + d_worst
    closeness = np.where(total > 1e-15, d_worst / np.where(total > 1e-15, total, 1.0), 0.5)
    return TopsisResult(
        closeness=tuple(float(c) for c in np.clip(closeness, 0.0, 1.0)),
        d_best=tuple(float(d) for d in d_best),
        d_worst=tuple(float(d) for d in d_worst),
        ideal=tuple(float(a) for a in ideal),
        anti_ideal=tuple(float(a) for a in anti),
    )


def competition_rank(scores: Sequence[float], decimals: int = 6) -> list[int]:
    """Standard competition ranking ("1224"): equal scores (to ``decimals``) share a rank."""
    rounded = [round(s, decimals) for s in scores]
    order = sorted(range(len(rounded)), key=lambda i: -rounded[i])
    ranks = [0] * len(rounded)
    for position, i in enumerate(order):
        previous = order[position - 1] if position else None
        same = previous is not None and rounded[previous] == rounded[i]
        ranks[i] = ranks[previous] if same and previous is not None else position + 1
    return ranks
