"""重复上报 — near-duplicate detection for a new report: same issue, same place, close in time.

For one new report and a pool of candidates (recent open reports), each candidate gets:

- ``text``: cosine similarity of TF-IDF character 1-2-grams of the two texts after tokenising
  (stop words and punctuation out, so raw and segmented text compare alike). The IDF comes from
  a reference (the routing model's character block, fitted on the site's messages), so phrases
  every report shares ("小区", "反映") count little; not from the candidate pool, which is
  small and full of the very duplicates being looked for;
- ``distance_m``: haversine distance when both have coordinates;
- ``hours``: time between the two reports.

``score = text x place x time`` where ``place`` is 1 within ``radius_m``, then halves every
further ``radius_m`` (``unknown_place`` when a position is missing), and ``time`` falls linearly
from 1 to ``0.5`` at the edge of the window. A candidate is offered when ``score >= threshold`` and
``text >= min_text``, with a reason a person can read ("文本相似 0.82，相距 120 米，相隔 5 小时").

Pure functions over arrays; ``civicgrid.intel.service.duplicate_candidates`` feeds them open work
orders from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from civicgrid.intel import features as ft
from civicgrid.intel import text as tx
from civicgrid.kit.i18n import _

EARTH_RADIUS_M = 6_371_008.8
NGRAMS = (1, 2)
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DuplicateParams:
    window_hours: float = 30 * 24.0
    radius_m: float = 200.0
    unknown_place: float = 0.8
    min_text: float = 0.4
    threshold: float = 0.4
    limit: int = 5


@dataclass(frozen=True)
class DuplicateMatch:
    index: int  # position in the candidate sequence
    key: object  # the candidate's id, as given
    score: float
    text: float
    distance_m: float | None
    hours: float | None
    reason: str


def haversine_m(
    lat1: float | FloatArray, lon1: float | FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Great-circle distance in metres (vectorised; NaN in, NaN out)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def _reweighted(block: ft.Block, reference: ft.Block | None) -> ft.Block:
    """``block``'s n-grams weighted by ``reference``'s IDF (unseen: the rarest); else 1."""
    if reference is None or reference.size == 0:
        return ft.Block(block.kind, block.ngrams, block.keys, np.ones_like(block.idf))
    pos = np.minimum(np.searchsorted(reference.keys, block.keys), reference.size - 1)
    hit = reference.keys[pos] == block.keys
    idf = np.where(hit, reference.idf[pos], reference.idf.max())
    return ft.Block(block.kind, block.ngrams, block.keys, idf)


def text_similarity(
    new_text: str, candidate_texts: Sequence[str], reference: ft.Block | None = None
) -> FloatArray:
    """Cosine of sublinear TF-IDF character 1-2-grams between one text and each candidate.

    ``reference`` is a character block fitted on many messages (the routing model's), whose
    IDF makes phrases every report shares count little; without it every n-gram weighs 1.
    """
    if not candidate_texts:
        return np.zeros(0)
    docs = [tx.as_document(tx.tokenize(t)) for t in [new_text, *candidate_texts]]
    block = _reweighted(ft.fit_block("char", docs, NGRAMS, min_df=1), reference)
    x = ft.transform_block(block, docs)
    sims = np.asarray((x[1:] @ x[0].T).todense()).ravel()
    return np.asarray(np.clip(sims, 0.0, 1.0), dtype=np.float64)


def _num(values: Sequence[float | None]) -> FloatArray:
    return np.asarray([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def score_candidates(
    text_sim: FloatArray,
    distance_m: FloatArray,
    hours: FloatArray,
    params: DuplicateParams = DuplicateParams(),
) -> FloatArray:
    """Combined score per candidate (NaN distance or hours: that factor is 'unknown')."""
    over = np.maximum(distance_m - params.radius_m, 0.0) / params.radius_m
    place = np.where(np.isnan(distance_m), params.unknown_place, 0.5**over)
    frac = np.clip(np.abs(hours) / params.window_hours, 0.0, 1.0)
    time = np.where(np.isnan(hours), 0.75, 1.0 - 0.5 * frac)
    outside = ~np.isnan(hours) & (np.abs(hours) > params.window_hours)
    return np.asarray(np.where(outside, 0.0, text_sim * place * time))


def _reason(text: float, distance: float | None, hours: float | None) -> str:
    parts = [_("文本相似 {s:.2f}").format(s=text)]
    if distance is None:
        parts.append(_("位置未知"))
    else:
        parts.append(_("相距 {d:.0f} 米").format(d=distance))
    if hours is not None:
        if abs(hours) < 48:
            parts.append(_("相隔 {h:.0f} 小时").format(h=abs(hours)))
        else:
            parts.append(_("相隔 {d:.0f} 天").format(d=abs(hours) / 24))
    return "，".join(parts)


def find_duplicates(
    text: str,
    lat: float | None,
    lon: float | None,
    at: datetime | None,
    candidates_text: Sequence[str],
    candidates_lat: Sequence[float | None],
    candidates_lon: Sequence[float | None],
    candidates_at: Sequence[datetime | None],
    keys: Sequence[object] | None = None,
    params: DuplicateParams = DuplicateParams(),
    reference: ft.Block | None = None,
) -> list[DuplicateMatch]:
    """Likely duplicates of one new report among candidates, best first."""
    n = len(candidates_text)
    if not (len(candidates_lat) == len(candidates_lon) == len(candidates_at) == n):
        raise ValueError("candidate arrays differ in length")
    if n == 0:
        return []
    sims = text_similarity(text, candidates_text, reference)
    if lat is None or lon is None:
        dist = np.full(n, np.nan)
    else:
        dist = haversine_m(float(lat), float(lon), _num(candidates_lat), _num(candidates_lon))
    hours = np.asarray(
        [
            np.nan if (at is None or c is None) else (at - c).total_seconds() / 3600
            for c in candidates_at
        ],
        dtype=np.float64,
    )
    scores = score_candidates(sims, dist, hours, params)
    order = np.argsort(-scores, kind="stable")
    out = []
    for i in order:
        if scores[i] < params.threshold:
            break
        if sims[i] < params.min_text:
            continue
        d = None if np.isnan(dist[i]) else float(dist[i])
        h = None if np.isnan(hours[i]) else float(hours[i])
        out.append(
            DuplicateMatch(
                index=int(i),
                key=keys[i] if keys is not None else int(i),
                score=float(scores[i]),
                text=float(sims[i]),
                distance_m=d,
                hours=h,
                reason=_reason(float(sims[i]), d, h),
            )
        )
        if len(out) >= params.limit:
            break
    return out


def duplicate_pairs(
    texts: Sequence[str], *, min_text: float = 0.9, chunk: int = 512
) -> list[tuple[int, int, float]]:
    """All pairs (i < j) of a collection whose texts are near-identical (for data cleaning)."""
    if len(texts) < 2:
        return []
    docs = [tx.as_document(tx.tokenize(t)) for t in texts]
    block = ft.fit_block("char", docs, NGRAMS, min_df=1)
    x = ft.transform_block(block, docs)
    xt = x.T.tocsc()
    out: list[tuple[int, int, float]] = []
    for start in range(0, x.shape[0], chunk):
        sims = (x[start : start + chunk] @ xt).tocoo()
        rows = sims.row + start
        keep = (rows < sims.col) & (sims.data >= min_text - 1e-9)
        out.extend(
            zip(rows[keep].tolist(), sims.col[keep].tolist(), sims.data[keep].tolist(), strict=True)
        )
    return sorted(out, key=lambda t: (-t[2], t[0], t[1]))
