"""TOPSIS worked by hand, weighted sums, ranking ties, normalisation; hypothesis properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from civicgrid.errors import Invalid
from civicgrid.evaluate.normalise import Direction, Method, fit
from civicgrid.evaluate.ranking import competition_rank, topsis, weighted_sum


def test_topsis_by_hand() -> None:
    """Three grids; on-time closures (benefit) and handling hours (cost); weights 0.6 / 0.4.

    Raw        x1 (benefit)  x2 (cost)
      G1           3             5
      G2           4            12
      G3           0             0
    1. vector norms: √(9 + 16 + 0) = 5; √(25 + 144 + 0) = 13
       r1 = .6, .8, 0                 r2 = 5/13, 12/13, 0
    2. weighted: v1 = .36, .48, 0     v2 = 2/13 = .153846, 4.8/13 = .369231, 0
    3. ideal A⁺ = (max v1, min v2) = (.48, 0); anti-ideal A⁻ = (min v1, max v2) = (0, .369231)
    4. G1: D⁺ = √(.12² + .153846²) = √(.0144 + .023669) = .195112
           D⁻ = √(.36² + (.369231 − .153846)²) = √(.1296 + .046391) = .419512
           C = .419512 / (.195112 + .419512) = .682551
       G2: D⁺ = √(0² + .369231²) = .369231; D⁻ = √(.48² + 0²) = .48; C = .48 / .849231 = .565217
       G3: D⁺ = .48; D⁻ = .369231; C = .369231 / .849231 = .434783
    """
    result = topsis(np.array([[3, 5], [4, 12], [0, 0]]), [0.6, 0.4], [True, False])
    assert result.ideal == pytest.approx((0.48, 0.0))
    assert result.anti_ideal == pytest.approx((0.0, 4.8 / 13))
    assert [round(d, 6) for d in result.d_best] == [0.195112, 0.369231, 0.48]
    assert [round(d, 6) for d in result.d_worst] == [0.419512, 0.48, 0.369231]
    assert [round(c, 6) for c in result.closeness] == [0.682551, 0.565217, 0.434783]
    assert competition_rank(list(result.closeness)) == [1, 2, 3]


def test_topsis_identical_alternatives() -> None:
    result = topsis(np.array([[1.0, 2.0], [1.0, 2.0]]), [0.5, 0.5], [True, True])
    assert result.closeness == (0.5, 0.5)


def test_weighted_sum_and_ties() -> None:
    scores = weighted_sum(np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]), [0.5, 0.5])
    assert list(scores) == [0.5, 0.5, 0.5]
    assert competition_rank([0.9, 0.7, 0.9, 0.1]) == [1, 3, 1, 4]
    assert competition_rank([]) == []


def test_normalisation_methods() -> None:
    up = fit([0.8, 0.9, 1.0], method=Method.MINMAX, direction=Direction.HIGHER)
    assert up.apply(0.9) == pytest.approx(0.5)
    assert "(0.9 − 0.8) / (1 − 0.8)" in up.describe(0.9)
    down = fit([2.0, 4.0, 6.0], method=Method.MINMAX, direction=Direction.LOWER)
    assert down.apply(2.0) == 1.0
    assert down.apply(6.0) == 0.0
    flat = fit([3.0, 3.0], method=Method.MINMAX)
    assert flat.apply(3.0) == 1.0
    # target: linear from the worst value (0 for a rate by default) to the target, capped.
    target = fit([0.5], method=Method.TARGET, direction=Direction.HIGHER, target=0.95)
    assert target.apply(0.95) == 1.0
    assert target.apply(0.99) == 1.0
    assert target.apply(0.475) == pytest.approx(0.5)
    hours = fit([], method=Method.TARGET, direction=Direction.LOWER, target=24, worst=72)
    assert hours.apply(48) == pytest.approx(0.5)
    assert hours.apply(12) == 1.0
    z = fit([1.0, 2.0, 3.0], method=Method.ZSCORE, direction=Direction.HIGHER)
    assert z.apply(2.0) == pytest.approx(0.5)
    assert z.apply(3.0) > 0.5 > z.apply(1.0)
    zl = fit([1.0, 2.0, 3.0], method=Method.ZSCORE, direction=Direction.LOWER)
    assert zl.apply(1.0) == pytest.approx(z.apply(3.0))


def test_target_normalisation_errors() -> None:
    with pytest.raises(Invalid, match="目标值"):
        fit([1.0], method=Method.TARGET)
    with pytest.raises(Invalid, match="方向与目标值不一致"):
        fit([1.0], method=Method.TARGET, direction=Direction.LOWER, target=10, worst=5)


matrices = hnp.arrays(
    np.float64,
    st.tuples(st.integers(2, 8), st.integers(1, 5)),
    # zero or a reasonable magnitude: subnormal floats would underflow when squared
    elements=st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=1e4)),
)


@settings(max_examples=80, deadline=None)
@given(matrices, st.data())
def test_topsis_closeness_bounded_and_scale_invariant(x: np.ndarray, data: st.DataObject) -> None:
    n = x.shape[1]
    raw_w = data.draw(st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n))
    weights = [w / sum(raw_w) for w in raw_w]
    benefit = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    base = topsis(x, weights, benefit)
    assert all(0.0 <= c <= 1.0 for c in base.closeness)
    column = data.draw(st.integers(0, n - 1))
    factor = data.draw(st.floats(min_value=1e-3, max_value=1e3))
    scaled = x.copy()
    scaled[:, column] *= factor
    again = topsis(scaled, weights, benefit)
    for a, b in zip(base.closeness, again.closeness, strict=True):
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
