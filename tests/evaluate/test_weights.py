"""Known-answer and property tests for AHP, entropy weights and blends (pure, no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.errors import Invalid
from civicgrid.evaluate.weights import (
    RANDOM_INDEX,
    ahp,
    ahp_weights,
    blend,
    entropy_weights,
    format_judgement,
    pairwise_matrix,
)

# T. L. Saaty, "How to make a decision: The Analytic Hierarchy Process",
# European Journal of Operational Research 48 (1990) 9-26, Table 2: a family choosing a house,
# criteria compared pairwise (upper triangle as printed; the lower one is reciprocal).
# Published priorities .173 .054 .188 .018 .031 .036 .167 .333, λmax = 9.669, C.I. = 0.238,
# C.R. = 0.169 (so this matrix must also be *refused* by the CR ≤ 0.1 rule).
HOUSE_LABELS = ["房屋大小", "交通", "邻里", "房龄", "院子", "现代设施", "总体状况", "贷款条件"]
HOUSE = [
    [1, 5, 3, 7, 6, 6, "1/3", "1/4"],
    [None, 1, "1/3", 5, 3, 3, "1/5", "1/7"],
    [None, None, 1, 6, 3, 4, 6, "1/5"],
    [None, None, None, 1, "1/3", "1/4", "1/7", "1/8"],
    [None, None, None, None, 1, "1/2", "1/5", "1/6"],
    [None, None, None, None, None, 1, "1/5", "1/6"],
    [None, None, None, None, None, None, 1, "1/2"],
    [None, None, None, None, None, None, None, 1],
]
HOUSE_PUBLISHED = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]

# T. L. Saaty, "Decision making with the analytic hierarchy process", Int. J. Services Sciences
# 1(1) (2008) 83-98, Table 2: relative consumption of drinks in the US. Published derived
# priorities .177 .019 .042 .116 .190 .129 .327 (coffee, wine, tea, beer, sodas, milk, water).
DRINKS = [
    [1, 9, 5, 2, 1, 1, "1/2"],
    ["1/9", 1, "1/3", "1/9", "1/9", "1/9", "1/9"],
    ["1/5", 3, 1, "1/3", "1/4", "1/3", "1/9"],
    ["1/2", 9, 3, 1, "1/2", 1, "1/3"],
    [1, 9, 4, 2, 1, 2, "1/2"],
    [1, 9, 3, 1, "1/2", 1, "1/3"],
    [2, 9, 9, 3, 2, 3, 1],
]
DRINKS_PUBLISHED = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]


def test_saaty_house_example_reproduced_to_three_decimals() -> None:
    result = ahp(pairwise_matrix(HOUSE))
    assert [round(w, 3) for w in result.weights] == HOUSE_PUBLISHED
    assert round(result.lambda_max, 3) == 9.669
    assert round(result.ci, 3) == 0.238
    assert result.ri == 1.41
    assert round(result.cr, 3) == 0.169
    assert not result.acceptable


def test_saaty_drinks_example_reproduced_and_accepted() -> None:
    result = ahp_weights(pairwise_matrix(DRINKS), [str(i) for i in range(7)])
    assert [round(w, 3) for w in result.weights] == DRINKS_PUBLISHED
    assert result.cr < 0.1
    assert math.isclose(sum(result.weights), 1.0)


def test_inconsistent_matrix_refused_with_worst_pair_named() -> None:
    with pytest.raises(Invalid) as err:
        ahp_weights(pairwise_matrix(HOUSE), HOUSE_LABELS)
    message = err.value.message
    assert "CR = 0.169 > 0.1" in message
    # 邻里 vs 总体状况 = 6 while the other judgements imply ≈ 1.13: the worst judgement.
    assert "「邻里」相对「总体状况」= 6" in message
    assert "接近 1" in message


def test_fixing_the_named_pair_improves_consistency() -> None:
    before = ahp(pairwise_matrix(HOUSE))
    assert before.worst_pair == (2, 6)
    fixed = [list(row) for row in HOUSE]
    fixed[2][6] = 1
    after = ahp(pairwise_matrix(fixed))
    assert after.cr < before.cr - 0.05


def test_random_index_table_is_saatys() -> None:
    assert [RANDOM_INDEX[n] for n in range(3, 10)] == [0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45]


def test_matrix_errors_are_explained() -> None:
    with pytest.raises(Invalid, match="方阵"):
        pairwise_matrix([[1, 2], [0.5]])
    with pytest.raises(Invalid, match="不互反"):
        pairwise_matrix([[1, 3], [3, 1]], ["甲", "乙"])
    with pytest.raises(Invalid, match="正数"):
        pairwise_matrix([[1, -2], [None, 1]])
    with pytest.raises(Invalid, match="对角线"):
        pairwise_matrix([[2, 1], [None, 1]])
    with pytest.raises(Invalid, match="判断值无效"):
        pairwise_matrix([[1, "abc"], [None, 1]])


def test_small_orders_are_always_consistent() -> None:
    assert ahp(pairwise_matrix([[1]])).weights == (1.0,)
    two = ahp(pairwise_matrix([[1, 3], [None, 1]]))
    assert two.cr == 0.0
    assert [round(w, 6) for w in two.weights] == [0.75, 0.25]


def test_format_judgement() -> None:
    assert format_judgement(3.0) == "3"
    assert format_judgement(1 / 7) == "1/7"
    assert format_judgement(2.5) == "2.5"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.05, max_value=20.0), min_size=2, max_size=9))
def test_consistent_matrix_gives_exact_weights_and_zero_cr(raw: list[float]) -> None:
    """a_ij = w_i / w_j is perfectly consistent: λmax = n, CR = 0, priorities = w."""
    w = np.asarray(raw) / sum(raw)
    matrix = w[:, None] / w[None, :]
    result = ahp(matrix)
    assert np.allclose(result.weights, w, atol=1e-9)
    assert abs(result.cr) < 1e-9
    assert math.isclose(result.lambda_max, len(raw), rel_tol=1e-9)


# Entropy weight method, worked by hand. Four grids, three indicators:
#   A (higher better): 0, 1, 1, 2      → min-max 0, .5, .5, 1     Σ = 2
#   B (lower better):  10, 20, 20, 30  → min-max 1, .5, .5, 0     Σ = 2
#   C (higher better): 1, 2, 3, 4      → min-max 0, 1/3, 2/3, 1   Σ = 2
#   D (higher better): 5, 5, 5, 5      → no spread, min-max 1 for all (everyone equal)
# p_ij = y_ij / Σ_i y_ij:
#   A: 0, 1/4, 1/4, 1/2     B: 1/2, 1/4, 1/4, 0     C: 0, 1/6, 1/3, 1/2     D: 1/4 each
# e_j = −Σ p ln p / ln 4:
#   A, B: (2·¼·ln 4 + ½·ln 2) / ln 4 = (ln 2 + ½ ln 2) / (2 ln 2) = 0.75          d = 0.25
#   C:    (⅙ ln 6 + ⅓ ln 3 + ½ ln 2) / ln 4 = (0.298627 + 0.366204 + 0.346574) / 1.386294
#         = 1.011404 / 1.386294 = 0.729574                                         d = 0.270426
#   D:    ln 4 / ln 4 = 1                                                          d = 0
# w = d / Σ d, Σ d = 0.770426: A = B = 0.324496, C = 0.351008, D = 0.
def test_entropy_weights_by_hand() -> None:
    from civicgrid.evaluate.normalise import Direction, minmax

    columns = [
        minmax([0, 1, 1, 2], Direction.HIGHER),
        minmax([10, 20, 20, 30], Direction.LOWER),
        minmax([1, 2, 3, 4], Direction.HIGHER),
        minmax([5, 5, 5, 5], Direction.HIGHER),
    ]
    assert columns[1] == [1.0, 0.5, 0.5, 0.0]
    result = entropy_weights(np.array(columns).T)
    assert [round(e, 6) for e in result.entropy] == [0.75, 0.75, 0.729574, 1.0]
    assert [round(w, 6) for w in result.weights] == [0.324496, 0.324496, 0.351008, 0.0]


def test_entropy_degenerate_cases() -> None:
    assert entropy_weights(np.array([[1.0, 0.0]])).weights == (0.5, 0.5)
    constant = entropy_weights(np.array([[1.0, 1.0], [1.0, 1.0]]))
    assert constant.weights == (0.5, 0.5)


def test_blend() -> None:
    assert blend([0.6, 0.4], [0.2, 0.8], alpha=0.5) == pytest.approx((0.4, 0.6))
    # multiplicative: 0.6·0.2 = 0.12, 0.4·0.8 = 0.32 → 0.12/0.44, 0.32/0.44
    assert blend([0.6, 0.4], [0.2, 0.8], mode="multiplicative") == pytest.approx(
        (0.12 / 0.44, 0.32 / 0.44)
    )
    with pytest.raises(Invalid, match="α"):
        blend([1.0], [1.0], alpha=1.5)
