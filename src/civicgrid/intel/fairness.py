"""分组质量 — model quality overall, per category and per area, so a gap is visible.

``summarise`` gives the usual figures (accuracy, macro-F1, per-class precision/recall/F1,
confusion matrix). ``group_quality`` breaks accuracy and macro-F1 down by any grouping (a street,
a community, a channel) and flags a group only when the gap is more than chance: the upper end
of the 95% Wilson interval of the group's accuracy lies below the accuracy of all other rows.
Small groups are reported but not flagged below ``min_support`` rows.

Pure functions over label lists; the database side is in ``civicgrid.intel.service``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

Z95 = 1.959963984540054


def summarise(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class report and confusion matrix (rows = true labels)."""
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred differ in length")
    classes = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    n = len(y_true)
    if n == 0:
        return {"n": 0, "accuracy": 0.0, "macro_f1": 0.0, "per_class": {}, "confusion": {}}
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(
        yt, yp, labels=classes, zero_division=0
    )
    present = [c for c in classes if c in set(y_true)]
    return {
        "n": n,
        "accuracy": float((yt == yp).mean()),
        "macro_f1": float(f1_score(yt, yp, labels=present, average="macro", zero_division=0)),
        "per_class": {
            c: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, c in enumerate(classes)
        },
        "confusion": {
            "labels": classes,
            "matrix": confusion_matrix(yt, yp, labels=classes).tolist(),
        },
    }


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (well-behaved for small n and p near 1)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class GroupQuality:
    group: str
    n: int
    accuracy: float
    macro_f1: float
    accuracy_low: float
    accuracy_high: float
    rest_accuracy: float
    flagged: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def group_quality(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    groups: Sequence[str],
    *,
    min_support: int = 20,
) -> list[GroupQuality]:
    """Quality per group, worst accuracy first; ``flagged`` marks a gap beyond chance."""
    if not len(y_true) == len(y_pred) == len(groups):
        raise ValueError("y_true, y_pred and groups differ in length")
    yt, yp, g = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    correct = yt == yp
    total_correct, total = int(correct.sum()), len(yt)
    out = []
    for name in sorted(set(g.tolist())):
        mask = g == name
        n = int(mask.sum())
        ok = int(correct[mask].sum())
        rest_n = total - n
        rest_acc = (total_correct - ok) / rest_n if rest_n else float("nan")
        low, high = wilson_interval(ok, n)
        present = sorted(set(yt[mask].tolist()))
        mf1 = float(f1_score(yt[mask], yp[mask], labels=present, average="macro", zero_division=0))
        flagged = bool(n >= min_support and rest_n > 0 and high < rest_acc)
        out.append(
            GroupQuality(
                group=str(name),
                n=n,
                accuracy=ok / n,
                macro_f1=mf1,
                accuracy_low=low,
                accuracy_high=high,
                rest_accuracy=rest_acc,
                flagged=flagged,
            )
        )
    out.sort(key=lambda q: (q.accuracy, q.group))
    return out
