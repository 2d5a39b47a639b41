"""Duplicate detection: the pure scoring, real near-duplicate messages, and the DB service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from civicgrid.config import get_settings
from civicgrid.intel import duplicates as dup
from civicgrid.intel import features as ft
from civicgrid.intel import service
from civicgrid.intel import text as tx
from civicgrid.models.workorder import WorkOrder
from tests.conftest import shared_data
from tests.fixtures.world import World, centre

T0 = datetime(2025, 6, 1, 8, tzinfo=UTC)
LAMP = "幸福小区3栋门口的路灯坏了一个多月，晚上漆黑一片，老人出行很危险，请尽快维修"
LAMP_AGAIN = "幸福小区3栋门口路灯坏了很久了，晚上一片漆黑，老人出门危险，希望尽快修好"
NOISE = "万达广场夜间施工噪音扰民，凌晨两点还在打桩，影响周边居民休息"
_codes = count()


def test_haversine_known_distances() -> None:
    # One degree of latitude is ~111.2 km; a point to itself is 0.
    d = dup.haversine_m(28.0, 112.0, np.array([29.0, 28.0]), np.array([112.0, 112.0]))
    assert d[0] == pytest.approx(111_195, rel=1e-3) and d[1] == 0.0


def test_same_issue_same_place_soon_is_a_duplicate() -> None:
    cands = [LAMP_AGAIN, NOISE, LAMP_AGAIN, LAMP_AGAIN]
    lats = [28.2001, 28.2001, 28.2400, None]  # near, near, 4.4 km away, unknown
    lons = [112.9001, 112.9001, 112.9000, None]
    ats = [T0 - timedelta(hours=5), T0 - timedelta(hours=1), T0 - timedelta(hours=5), T0]
    found = dup.find_duplicates(LAMP, 28.2, 112.9, T0, cands, lats, lons, ats, keys=list("abcd"))
    assert [m.key for m in found] == ["a", "d"]
    best = found[0]
    assert best.text > 0.5 and best.distance_m is not None and best.distance_m < 20
    assert "文本相似" in best.reason and "米" in best.reason and "小时" in best.reason
    assert found[1].distance_m is None and "位置未知" in found[1].reason


def test_outside_the_time_window_is_not_a_duplicate() -> None:
    params = dup.DuplicateParams(window_hours=72)
    old = T0 - timedelta(days=10)
    found = dup.find_duplicates(
        LAMP, 28.2, 112.9, T0, [LAMP], [28.2], [112.9], [old], params=params
    )
    assert found == []


def test_limit_and_order() -> None:
    cands = [LAMP_AGAIN] * 8 + [LAMP]
    n = len(cands)
    found = dup.find_duplicates(
        LAMP, None, None, None, cands, [None] * n, [None] * n, [None] * n,
        params=dup.DuplicateParams(limit=3),
    )  # fmt: skip
    assert len(found) == 3 and found[0].index == 8
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


@given(
    st.floats(0, 1),
    st.floats(0, 5000) | st.just(float("nan")),
    st.floats(-2000, 2000) | st.just(float("nan")),
)
def test_score_is_bounded_and_monotone_in_text(sim: float, dist: float, hours: float) -> None:
    params = dup.DuplicateParams()
    a = dup.score_candidates(np.array([sim]), np.array([dist]), np.array([hours]), params)[0]
    b = dup.score_candidates(np.array([min(1.0, sim + 0.1)]), np.array([dist]), np.array([hours]))
    assert 0.0 <= a <= sim + 1e-12
    assert b[0] >= a - 1e-12


def test_mismatched_candidate_arrays_are_rejected() -> None:
    with pytest.raises(ValueError):
        dup.find_duplicates(LAMP, None, None, None, [LAMP], [], [], [])


def test_real_messages_identical_and_near_duplicates() -> None:
    """On the shared messages: identical texts score ~1; re-posts of one issue are found;
    messages of different categories almost never look alike."""
    seg = pd.read_csv(shared_data("gov_messages", "train_segmented.csv"), dtype=str)
    texts = seg["分词文本"].tolist()
    labels = seg["一级标签"].tolist()
    repeated = seg[seg.duplicated("分词文本", keep=False)].index[:40].tolist()
    rng = np.random.default_rng(0)
    sample = sorted(set(repeated) | set(rng.choice(len(texts), 400, replace=False).tolist()))
    pairs = dup.duplicate_pairs([texts[i] for i in sample], min_text=0.5)
    exact = [(i, j) for i, j, s in pairs if texts[sample[i]] == texts[sample[j]]]
    assert len(exact) >= 15
    assert all(s > 0.999 for i, j, s in pairs if texts[sample[i]] == texts[sample[j]])
    similar_but_not_identical = [p for p in pairs if texts[sample[p[0]]] != texts[sample[p[1]]]]
    cross = [p for p in similar_but_not_identical if labels[sample[p[0]]] != labels[sample[p[1]]]]
    assert len(cross) <= max(1, len(similar_but_not_identical) // 4)


# -- service over work orders ---------------------------------------------------------------
def _order(
    world: World, grid: str, title: str, body: str, hours_ago: float, **kw: object
) -> WorkOrder:
    lon, lat = centre(world.grid_cols[grid])
    fields: dict[str, object] = {
        "code": f"DUP{next(_codes):06d}",
        "title": title,
        "description": body,
        "status": "dispatched",
        "node_id": world.grids[grid].id,
        "lat": lat,
        "lon": lon,
        "reported_at": T0 - timedelta(hours=hours_ago),
    }
    fields.update(kw)
    return WorkOrder(**fields)


def test_reference_idf_discounts_common_phrases() -> None:
    common = [f"小区反映第{i}号问题" for i in range(50)]
    docs = [" ".join(tx.tokenize(t)) for t in common]
    reference = ft.fit_block("char", docs, (1, 3), min_df=1)
    a, b = "小区反映路灯坏了", "小区反映垃圾没人清运"
    plain = dup.text_similarity(a, [b])[0]
    weighted = dup.text_similarity(a, [b], reference)[0]
    assert weighted < plain
    assert dup.text_similarity(a, [a], reference)[0] == pytest.approx(1.0)


def test_duplicate_candidates_service(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CIVICGRID_DATA_DIR", str(tmp_path))  # no stored model: plain weights
    get_settings.cache_clear()
    same = _order(world, "D1-1", "路灯坏了", LAMP_AGAIN, 3)
    closed = _order(world, "D1-1", "路灯坏了", LAMP_AGAIN, 3, status="closed")
    far = _order(world, "X2-1", "路灯坏了", LAMP_AGAIN, 3)
    other = _order(world, "D1-1", "施工噪音", NOISE, 2)
    old = _order(world, "D1-1", "路灯坏了", LAMP_AGAIN, 24 * 40)
    db.add_all([same, closed, far, other, old])
    db.flush()
    lon, lat = centre(world.grid_cols["D1-1"])
    found = service.duplicate_candidates(
        db, title="路灯不亮", description=LAMP, lat=lat + 0.0003, lon=lon, reported_at=T0
    )
    assert [c.order_id for c in found] == [same.id]
    assert found[0].code == same.code and found[0].distance_m == pytest.approx(33, abs=3)
    again = service.duplicate_candidates(
        db, title="路灯不亮", description=LAMP, lat=lat, lon=lon, reported_at=T0,
        exclude_id=same.id,
    )  # fmt: skip
    assert again == []
    get_settings.cache_clear()
