"""模型验证 — honest splits: duplicates and the two forms of one message never straddle folds.

Messages repeat (the same text posted twice, or one message present both raw and segmented).
If one copy trains the model and the other tests it, the score is inflated. ``leakage_groups``
joins rows that share a message id or an identical document into one group; the splits below
keep each group on one side and keep class proportions (``StratifiedGroupKFold``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedGroupKFold

from civicgrid.intel import fairness
from civicgrid.intel.classifier import ClassifierParams, TextClassifier

IntArray = NDArray[np.int64]
HOLDOUT_SEED = 20261123


def leakage_groups(docs: Sequence[str], ids: Sequence[str] | None = None) -> IntArray:
    """Group number per row: rows sharing a non-empty id or an identical document are joined."""
    parent = list(range(len(docs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, doc in enumerate(docs):
        keys = [("d", doc)]
        if ids is not None and ids[i]:
            keys.append(("i", ids[i]))
        for key in keys:
            j = first.setdefault(key, i)
            if j != i:
                a, b = find(i), find(j)
                if a != b:
                    parent[a] = b
    roots = [find(i) for i in range(len(docs))]
    _, numbered = np.unique(np.asarray(roots), return_inverse=True)
    return np.asarray(numbered, dtype=np.int64)


def grouped_folds(
    labels: Sequence[str], groups: IntArray, n_splits: int, seed: int = 0
) -> list[tuple[IntArray, IntArray]]:
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    y = np.asarray(labels)
    return [(tr, te) for tr, te in cv.split(np.zeros(len(y)), y, groups)]


def holdout_split(
    labels: Sequence[str], groups: IntArray, *, parts: int = 5, seed: int = HOLDOUT_SEED
) -> tuple[IntArray, IntArray]:
    """A fixed held-out slice (one part in ``parts``, about 20%): (train rows, test rows)."""
    return grouped_folds(labels, groups, parts, seed)[0]


@dataclass
class CVResult:
    predictions: list[str]
    confidences: list[float]
    folds: int
    summary: dict[str, object]


def cross_validate(
    docs: Sequence[str],
    labels: Sequence[str],
    groups: IntArray,
    *,
    params: ClassifierParams | None = None,
    folds: int = 5,
    seed: int = 0,
    on_fold: Callable[[int], None] | None = None,
) -> CVResult:
    """Out-of-fold predictions for every row and their summary (accuracy, macro-F1, ...)."""
    preds = [""] * len(docs)
    confs = [0.0] * len(docs)
    for k, (tr, te) in enumerate(grouped_folds(labels, groups, folds, seed)):
        model = TextClassifier.fit(
            [docs[i] for i in tr], [labels[i] for i in tr], params, prepared=True
        )
        p, c = model.predict_with_confidence([docs[i] for i in te], prepared=True)
        for i, label, conf in zip(te, p, c, strict=True):
            preds[i] = label
            confs[i] = conf
        if on_fold is not None:
            on_fold(k)
    summary = fairness.summarise(list(labels), preds)
    return CVResult(predictions=preds, confidences=confs, folds=folds, summary=summary)
