"""指标标准化 — min-max, target (threshold) and z-score normalisation, with direction.

Pure. A ``Normaliser`` is fitted on the raw values of one indicator across the entities being
compared and then maps each raw value to a score in [0, 1] (1 = best), with a Chinese formula
that explains the mapping in the drill-down.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from civicgrid.errors import Invalid
from civicgrid.kit.i18n import _


class Direction(StrEnum):
    HIGHER = "higher"  # 正向指标: higher is better
    LOWER = "lower"  # 逆向指标: lower is better


class Method(StrEnum):
    MINMAX = "minmax"  # 极差标准化
    TARGET = "target"  # 目标值（达标）标准化
    ZSCORE = "zscore"  # Z 分数 → 正态分布百分位


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


@dataclass(frozen=True)
class Normaliser:
    """A fitted normalisation of one indicator."""

    method: Method
    direction: Direction
    low: float = 0.0  # min-max: observed minimum; target: the "worst" end of the scale
    high: float = 1.0  # min-max: observed maximum; target: the target value
    mean: float = 0.0
    std: float = 0.0

    def apply(self, x: float) -> float:
        if self.method is Method.MINMAX:
            span = self.high - self.low
            if span <= 0:
                return 1.0  # everyone equal: nobody is behind the best observed value
            y = (x - self.low) / span
            return min(max(y if self.direction is Direction.HIGHER else 1.0 - y, 0.0), 1.0)
        if self.method is Method.TARGET:
            y = (x - self.low) / (self.high - self.low)
            return min(max(y, 0.0), 1.0)
        if self.std <= 0:
            return 0.5
        z = (x - self.mean) / self.std
        return normal_cdf(z if self.direction is Direction.HIGHER else -z)

    def describe(self, x: float) -> str:
        """The formula applied to ``x``, for the explanation tree."""
        y = self.apply(x)
        if self.method is Method.MINMAX:
            if self.high - self.low <= 0:
                return _("各对象取值相同（{v}），记 1").format(v=_fmt(x))
            lo, hi = _fmt(self.low), _fmt(self.high)
            if self.direction is Direction.HIGHER:
                return f"({_fmt(x)} − {lo}) / ({hi} − {lo}) = {y:.4f}"
            return f"({hi} − {_fmt(x)}) / ({hi} − {lo}) = {y:.4f}"
        if self.method is Method.TARGET:
            return _(
                "({x} − 最差值 {w}) / (目标值 {t} − 最差值 {w}) = {y:.4f}（截断到 0~1）"
            ).format(x=_fmt(x), w=_fmt(self.low), t=_fmt(self.high), y=y)
        if self.std <= 0:
            return _("各对象取值相同（{v}），记 0.5").format(v=_fmt(x))
        sign = "" if self.direction is Direction.HIGHER else "−"
        return _("z = {s}({x} − {m}) / {sd}，Φ(z) = {y:.4f}").format(
            s=sign, x=_fmt(x), m=_fmt(self.mean), sd=_fmt(self.std), y=y
        )


def fit(
    values: Sequence[float | None],
    *,
    method: Method = Method.MINMAX,
    direction: Direction = Direction.HIGHER,
    target: float | None = None,
    worst: float | None = None,
) -> Normaliser:
    """Fit a normaliser on the observed values (None = missing, ignored)."""
    present = [float(v) for v in values if v is not None and math.isfinite(v)]
    if method is Method.TARGET:
        if target is None:
            raise Invalid(_("目标值标准化需要给出目标值 target"))
        if worst is None:
            if direction is Direction.HIGHER:
                worst = 0.0
            else:
                worst = max(present, default=target)
                if worst <= target:
                    worst = target + (abs(target) or 1.0)
        if worst == target:
            raise Invalid(_("目标值与最差值不能相同（{t}）").format(t=target))
        if (direction is Direction.HIGHER) != (target > worst):
            raise Invalid(
                _("方向与目标值不一致：{d}指标的目标值 {t} 应{rel}最差值 {w}").format(
                    d=_("正向") if direction is Direction.HIGHER else _("逆向"),
                    t=target,
                    rel=_("大于") if direction is Direction.HIGHER else _("小于"),
                    w=worst,
                )
            )
        return Normaliser(method, direction, low=float(worst), high=float(target))
    if not present:
        return Normaliser(method, direction)
    if method is Method.MINMAX:
        return Normaliser(method, direction, low=min(present), high=max(present))
    mean = sum(present) / len(present)
    std = math.sqrt(sum((v - mean) ** 2 for v in present) / len(present))
    return Normaliser(method, direction, mean=mean, std=std)


def minmax(values: Sequence[float], direction: Direction = Direction.HIGHER) -> list[float]:
    """Direction-aware min-max of a complete column (used by the entropy weight method)."""
    n = fit(values, method=Method.MINMAX, direction=direction)
    return [n.apply(v) for v in values]
