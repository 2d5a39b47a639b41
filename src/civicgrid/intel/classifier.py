"""留言分类 — routing citizen messages to a category, with calibrated top-k suggestions.

The model (chosen by grouped cross-validation, see docs/domains/intelligence.md):

- features: TF-IDF of word uni+bi-grams, TF-IDF of character 1-3-grams of the text without
  word boundaries (robust to segmentation differences and unseen words), and TF-IDF of the
  leading words (where the title is), all sublinear and L2-normalised, stacked side by side;
- each feature scaled by how strongly it tells classes apart: the mean over classes of the
  absolute naive-Bayes log-count ratio |log(p_c / q_c)| (class c against the rest, from the
  training rows only, smoothed by ``nb_alpha``), as in NB-SVM but one weight per feature for all
  classes, so a single multi-class fit suffices;
- a linear SVM (one-vs-rest, balanced class weights) on those scaled features; the scaling is
  folded into the SVM's weights, so prediction costs nothing extra;
- a multinomial logistic calibrator on the SVM's out-of-fold decision values, which turns
  scores into probabilities for the confidence and the top-k suggestions.

Input texts may be raw Chinese (title + body) or already segmented; ``civicgrid.intel.text``
brings both to the same token stream. Everything a fitted model holds is plain arrays and
string lists (no pickled code), which ``civicgrid.intel.modelstore`` saves and loads safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from civicgrid.errors import Invalid
from civicgrid.intel import features as ft
from civicgrid.intel import text as tx
from civicgrid.kit.i18n import _

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ClassifierParams:
    """Hyper-parameters (defaults chosen by grouped 5-fold CV on the development split)."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (1, 3)
    lead_weight: float = 0.5
    char_weight: float = 1.0
    min_df: int = 2
    c: float = 0.5
    nb_alpha: float = 0.1
    """Smoothing of the naive-Bayes feature scaling; 0 turns the scaling off (plain TF-IDF)."""
    balanced: bool = True
    calibration_folds: int = 3
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassifierParams:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("word_ngrams", "char_ngrams"):
            if key in known:
                known[key] = tuple(known[key])
        return cls(**known)


@dataclass(frozen=True)
class Suggestion:
    category: str
    confidence: float
    department: str | None = None


BLOCKS = ft.BLOCK_KINDS


@dataclass
class TextClassifier:
    """A fitted message classifier; build with ``TextClassifier.fit`` or load from a store."""

    params: ClassifierParams
    classes: list[str]
    words: ft.WordIndex
    blocks: dict[str, ft.Block]
    coef: FloatArray  # (n_classes, n_features), the SVM
    intercept: FloatArray  # (n_classes,)
    cal_coef: FloatArray  # (n_classes, n_classes), the calibrator on decision values
    cal_intercept: FloatArray
    # Out-of-fold predictions on the training rows (set by ``fit``, not saved): an honest
    # estimate of quality that costs no extra training.
    oof_predictions: list[str] | None = field(default=None, repr=False, compare=False)

    # -- training --------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        params: ClassifierParams | None = None,
        *,
        prepared: bool = False,
    ) -> TextClassifier:
        """Train on ``texts`` (raw or segmented; canonical documents when ``prepared``)."""
        params = params or ClassifierParams()
        try:
            ft.check_ngrams("word", params.word_ngrams)
            ft.check_ngrams("char", params.char_ngrams)
        except ValueError as exc:
            raise Invalid(_("参数不合法：{e}").format(e=exc)) from exc
        if params.nb_alpha < 0:
            raise Invalid(_("参数不合法：{e}").format(e=f"nb_alpha < 0: {params.nb_alpha}"))
        docs = list(texts) if prepared else prepare(texts)
        y = np.asarray([str(v) for v in labels])
        if len(docs) != len(y):
            raise Invalid(_("文本与标签的行数不一致"))
        classes = sorted(set(y.tolist()))
        if len(classes) < 2:
            raise Invalid(_("训练数据至少需要两个类别"))
        counts = {c: int((y == c).sum()) for c in classes}
        if min(counts.values()) < 2:
            rare = ", ".join(c for c, n in counts.items() if n < 2)
            raise Invalid(_("每个类别至少需要两条样本：{c}").format(c=rare))
        min_df = params.min_df if len(docs) >= 200 else 1
        words = ft.fit_words(docs, min_df)
        if not words.words:
            raise Invalid(_("训练文本分词后为空，无法训练"))
        blocks = {
            "word": ft.fit_block("word", docs, params.word_ngrams, min_df, words),
            "char": ft.fit_block("char", docs, params.char_ngrams, min_df),
            "lead": ft.fit_block("lead", docs, (1, 1), min_df, words),
        }
        x = _features(blocks, words, params, docs)
        scale = _nb_scale(x, y, params.nb_alpha)
        svm = _svm(params).fit(_scaled(x, scale), y)
        scores_oof = _out_of_fold_scores(x, y, docs, params)
        calibrator = LogisticRegression(C=1.0, max_iter=1000).fit(scores_oof, y)
        oof = [str(v) for v in calibrator.predict(scores_oof)]
        coef, intercept = _one_row_per_class(svm.coef_, svm.intercept_, negate=True)
        coef = coef * scale  # (x * scale) @ w == x @ (w * scale)
        cal_coef, cal_intercept = _one_row_per_class(
            calibrator.coef_, calibrator.intercept_, negate=False
        )
        return cls(
            params=params,
            classes=[str(c) for c in svm.classes_],
            words=words,
            blocks=blocks,
            # float32 precision, as stored: a saved and reloaded model predicts identically.
            coef=coef.astype(np.float32).astype(np.float64),
            intercept=intercept,
            cal_coef=cal_coef,
            cal_intercept=cal_intercept,
            oof_predictions=oof,
        )

    # -- inference -------------------------------------------------------------------------
    def features(self, docs: Sequence[str]) -> sparse.csr_matrix:
        return _features(self.blocks, self.words, self.params, docs)

    def decision_function(self, docs: Sequence[str]) -> FloatArray:
        """SVM scores (n, n_classes) for canonical documents (see ``prepare``)."""
        x = self.features(docs)
        return np.asarray(x @ self.coef.T + self.intercept, dtype=np.float64)

    def predict_proba(self, docs: Sequence[str]) -> FloatArray:
        """Calibrated probabilities (n, n_classes), columns in ``self.classes`` order."""
        z = self.decision_function(docs) @ self.cal_coef.T + self.cal_intercept
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)

    def predict(self, texts: Sequence[str], *, prepared: bool = False) -> list[str]:
        labels, _conf = self.predict_with_confidence(texts, prepared=prepared)
        return labels

    def predict_with_confidence(
        self, texts: Sequence[str], *, prepared: bool = False
    ) -> tuple[list[str], list[float]]:
        """Most probable category and its probability, per text."""
        docs = list(texts) if prepared else prepare(texts)
        if not docs:
            return [], []
        proba = self.predict_proba(docs)
        best = proba.argmax(axis=1)
        return [self.classes[i] for i in best], [float(proba[r, i]) for r, i in enumerate(best)]

    def top_k(
        self, texts: Sequence[str], k: int = 3, *, prepared: bool = False
    ) -> list[list[tuple[str, float]]]:
        """The ``k`` most probable categories with their probabilities, per text."""
        docs = list(texts) if prepared else prepare(texts)
        if not docs:
            return []
        proba = self.predict_proba(docs)
        order = np.argsort(-proba, axis=1)[:, : max(1, k)]
        return [
            [(self.classes[i], float(row[i])) for i in idx]
            for row, idx in zip(proba, order, strict=True)
        ]

    @property
    def n_features(self) -> int:
        return int(self.coef.shape[1])


def _features(
    blocks: dict[str, ft.Block], words: ft.WordIndex, params: ClassifierParams, docs: Sequence[str]
) -> sparse.csr_matrix:
    parts = [_weight(b, params) * ft.transform_block(blocks[b], docs, words) for b in BLOCKS]
    return sparse.hstack(parts, format="csr")


def _one_row_per_class(
    coef: NDArray[Any], intercept: NDArray[Any], *, negate: bool
) -> tuple[FloatArray, FloatArray]:
    """Two-class models have one row of weights (for the second class); give each class its
    row: the SVM's score for the first class is minus the second's (``negate``), the logistic
    calibrator's first row is zero (softmax of (0, z) is the sigmoid of z)."""
    w = np.asarray(coef, dtype=np.float64)
    b = np.asarray(intercept, dtype=np.float64).ravel()
    if w.shape[0] != 1:
        return w, b
    if negate:
        return np.vstack([-w, w]), np.concatenate([-b, b])
    return np.vstack([np.zeros_like(w), w]), np.concatenate([np.zeros_like(b), b])


def _nb_scale(x: sparse.csr_matrix, y: NDArray[Any], alpha: float) -> FloatArray:
    """Per-feature weight: mean over classes of |naive-Bayes log-count ratio| (ones if off).

    For class c, ``p`` is ``alpha`` plus the feature's summed TF-IDF over the rows of c, ``q``
    the same over the other rows; the ratio compares the two normalised profiles. Features that
    occur evenly across classes get a weight near 0, telling ones a large weight.
    """
    n_features = x.shape[1]
    if alpha <= 0:
        return np.ones(n_features)
    classes, codes = np.unique(y, return_inverse=True)
    onehot = sparse.csr_matrix(
        (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(classes), len(codes))
    )
    per_class = np.asarray((onehot @ x).todense(), dtype=np.float64)  # (n_classes, n_features)
    rest = per_class.sum(axis=0, keepdims=True) - per_class
    p = per_class + alpha
    q = rest + alpha
    ratio = np.log(p / p.sum(axis=1, keepdims=True)) - np.log(q / q.sum(axis=1, keepdims=True))
    return np.asarray(np.abs(ratio).mean(axis=0), dtype=np.float64)


def _scaled(x: sparse.csr_matrix, scale: FloatArray) -> sparse.csr_matrix:
    out = x.copy()
    out.data = out.data * scale[out.indices]
    return out


def _scores(svm: LinearSVC, x: sparse.csr_matrix) -> FloatArray:
    """Decision values with one column per class (two columns for two classes)."""
    s = np.asarray(svm.decision_function(x), dtype=np.float64)
    return np.column_stack([-s, s]) if s.ndim == 1 else s


def _weight(block: str, params: ClassifierParams) -> float:
    return {"word": 1.0, "char": params.char_weight, "lead": params.lead_weight}[block]


def _svm(params: ClassifierParams) -> LinearSVC:
    return LinearSVC(
        C=params.c,
        class_weight="balanced" if params.balanced else None,
        random_state=params.seed,
    )


def _group_folds(y: NDArray[Any], docs: Sequence[str], folds: int, seed: int) -> NDArray[Any]:
    """Fold number per row: identical documents share a fold, classes stay balanced.

    Stratified k-fold over the distinct documents (each with its first label), then spread to
    the rows: linear time, unlike ``StratifiedGroupKFold`` (quadratic in groups).
    """
    first: dict[str, int] = {}
    group = np.fromiter((first.setdefault(d, len(first)) for d in docs), np.int64, len(docs))
    _uniq, first_row = np.unique(group, return_index=True)
    glabel = y[first_row]
    gfold = np.zeros(len(first), dtype=np.int64)
    rng = np.random.default_rng(seed)
    for label in np.unique(glabel):
        members = np.flatnonzero(glabel == label)
        rng.shuffle(members)
        gfold[members] = np.arange(len(members)) % folds
    return gfold[group]


def _out_of_fold_scores(
    x: sparse.csr_matrix, y: NDArray[Any], docs: Sequence[str], params: ClassifierParams
) -> FloatArray:
    """SVM scores of each training row from a model that did not see its text."""
    classes = sorted(set(y.tolist()))
    smallest = min(int((y == c).sum()) for c in classes)
    folds = max(2, min(params.calibration_folds, smallest))
    fold_of = _group_folds(y, docs, folds, params.seed)
    out = np.zeros((len(y), len(classes)))
    full: LinearSVC | None = None
    for k in range(folds):
        te = np.flatnonzero(fold_of == k)
        tr = np.flatnonzero(fold_of != k)
        if len(set(y[tr].tolist())) < len(classes):
            # A fold lacks a class (tiny data): score it with the full model instead.
            scale = _nb_scale(x, y, params.nb_alpha)
            full = full or _svm(params).fit(_scaled(x, scale), y)
            out[te] = _scores(full, _scaled(x[te], scale))
            continue
        # The scaling is learnt from the fold's training rows only (it uses the labels).
        scale = _nb_scale(x[tr], y[tr], params.nb_alpha)
        svm = _svm(params).fit(_scaled(x[tr], scale), y[tr])
        out[te] = _scores(svm, _scaled(x[te], scale))
    return out


def prepare(texts: Sequence[str | None]) -> list[str]:
    """Canonical documents (space-joined tokens) from raw or segmented texts."""
    return [tx.as_document(tx.tokenize(t)) for t in texts]


def prepare_pairs(titles: Sequence[str | None], bodies: Sequence[str | None]) -> list[str]:
    """Canonical documents from title and body columns."""
    return prepare([tx.compose(t, b) for t, b in zip(titles, bodies, strict=True)])


def suggest(
    model: TextClassifier,
    title: str | None,
    body: str | None,
    k: int = 3,
    *,
    departments: dict[str, str] | None = None,
) -> list[Suggestion]:
    """Top-``k`` categories for one new message, with calibrated confidences.

    ``departments`` maps a category to its responsible department (the responsibility list);
    intake uses the first suggestion to pre-fill both, and the dispatcher confirms or overrides.
    """
    doc = prepare([tx.compose(title, body)])
    ranked = model.top_k(doc, k, prepared=True)[0]
    lookup = departments or {}
    return [Suggestion(c, round(p, 4), lookup.get(c)) for c, p in ranked]
