"""Boundary checks without a database: rejections, repairs, overlaps, gaps."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from civicgrid.org.formats import read_geojson
from civicgrid.org.geocheck import (
    FeatureIssue,
    Gap,
    Outside,
    Overlap,
    as_text,
    explain,
    find_gaps,
    find_outside,
    find_overlaps,
    lookup,
    prepare_features,
)
from tests.org.broken import BROKEN, OVERLAP_M2, D, X, Y, m2


def test_broken_file_exact_report() -> None:
    clean, repaired, rejected = prepare_features(read_geojson(BROKEN).features)
    assert [f.code for f in clean] == ["T-OK", "T-BOW", "T-O1", "T-O2"]
    assert repaired == [FeatureIssue(2, "蝴蝶结", "T-BOW", "已修复：自相交（113.501 28.301）")]
    assert rejected == [
        FeatureIssue(3, "一个点", "T-PT", "不是面要素（Point）"),
        FeatureIssue(4, None, "T-NONAME", "缺少名称（属性 name）"),
        FeatureIssue(7, "尖刺", "T-SPIKE", "自相交（113.502 28.302），无法修复"),
        FeatureIssue(8, "无几何", "T-NOGEOM", "缺少几何"),
        FeatureIssue(9, "重复编码", "T-OK", "编码 T-OK 与第 1 个要素重复"),
        FeatureIssue(10, "投影坐标", "T-UTM", "坐标超出经纬度范围（应为 WGS84 经纬度）"),
    ]
    assert rejected[1].label == "#4 T-NONAME"
    # The bow-tie became two triangles that keep the whole drawn area.
    bow = clean[1].geometry
    assert bow.geom_type == "MultiPolygon"
    assert bow.area == pytest.approx(D * D / 2)
    overlaps = find_overlaps([f.code for f in clean], [f.geometry for f in clean])
    assert overlaps == [Overlap("T-O1", "T-O2", OVERLAP_M2)]


def test_several_reasons_are_joined() -> None:
    raw = read_geojson({"type": "Feature", "properties": {}, "geometry": None})
    _, _, rejected = prepare_features(raw.features)
    assert rejected == [
        FeatureIssue(1, None, None, "缺少几何；缺少名称（属性 name）；缺少编码（属性 code）")
    ]


def test_property_mapping_and_values() -> None:
    props = {"BoroCD": 311.0, "parent": {"adcode": 430100}, "名称": " 东湖 "}
    assert lookup(props, "parent.adcode") == 430100
    assert lookup(props, "parent.missing") is None
    assert as_text(props["BoroCD"]) == "311"
    assert as_text(" ") is None
    raw = read_geojson(
        {
            "type": "Feature",
            "id": "F-9",
            "properties": props,
            "geometry": box(0, 0, 1, 1).__geo_interface__,
        }
    )
    clean, _, rejected = prepare_features(raw.features, parent_prop="parent.adcode")
    assert rejected == []
    assert (clean[0].name, clean[0].code, clean[0].parent_ref) == ("东湖", "F-9", "430100")
    clean, _, _ = prepare_features(raw.features, name_prop="BoroCD", code_prop="BoroCD")
    assert (clean[0].name, clean[0].code) == ("311", "311")


def test_degenerate_and_tiny_polygons_are_rejected() -> None:
    flat = {
        "type": "Polygon",
        "coordinates": [[[X, Y], [X + D, Y + D], [X + 2 * D, Y + 2 * D], [X, Y]]],
    }
    few = {"type": "Polygon", "coordinates": [[[X, Y], [X, Y], [X, Y], [X, Y]]]}
    bad_ring = {"type": "Polygon", "coordinates": [[[X, Y], [X + D, Y]]]}
    empty = {"type": "Polygon", "coordinates": []}
    raw = read_geojson(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"name": n, "code": n}, "geometry": g}
                for n, g in (("flat", flat), ("few", few), ("ring", bad_ring), ("empty", empty))
            ],
        }
    )
    _, _, rejected = prepare_features(raw.features)
    reasons = {r.code: r.reason for r in rejected}
    assert reasons["flat"] == "面积为零，无法修复"
    assert reasons["few"] == "点数不足（113.5 28.3），无法修复"
    assert reasons["ring"].startswith("坐标无效：")
    assert reasons["empty"] == "几何为空"


def test_explain_keeps_unknown_reasons() -> None:
    assert explain("Ring Self-intersection[1 2]") == "环自相交（1 2）"
    assert explain("Something new") == "Something new"


def test_gaps_holes_and_outside() -> None:
    # A 3 × 3 lattice of 0.01° squares without its centre: one hole of one square.
    squares = [
        box(113 + i * 0.01, 28 + j * 0.01, 113 + (i + 1) * 0.01, 28 + (j + 1) * 0.01)
        for i in range(3)
        for j in range(3)
        if (i, j) != (1, 1)
    ]
    gaps = find_gaps("P", squares)
    assert len(gaps) == 1
    hole = gaps[0]
    assert (hole.parent, hole.kind) == ("P", "hole")
    assert hole.area_m2 == pytest.approx(m2(0.01, 0.01, 28.015), rel=1e-6)
    assert 113.01 < hole.lon < 113.02 and 28.01 < hole.lat < 28.02
    # With the parent's polygon the hole is uncovered parent area, and the strip of the parent
    # east of the lattice too; a square sticking out of the parent is reported.
    parent = box(113, 28, 113.04, 28.03)
    gaps = find_gaps("P", squares, parent)
    assert [g.kind for g in gaps] == ["uncovered", "uncovered"]
    assert gaps[0].area_m2 == pytest.approx(m2(0.01, 0.03, 28.015), rel=1e-3)
    assert find_gaps("P", squares, parent, tolerance_m2=1e9) == []
    sticking = box(113.035, 28.0, 113.045, 28.01)
    assert find_outside("P", ["S"], [sticking], parent) == [
        Outside("S", "P", round(m2(0.005, 0.01, 28.005), 1))
    ]
    assert find_outside("P", ["A"], [squares[0]], parent) == []


def test_overlaps_only_flagged_and_tolerance() -> None:
    a, b, c = box(0, 0, 1, 1), box(0.5, 0, 1.5, 1), box(1.4, 0, 2, 1)
    assert [o.b for o in find_overlaps(["a", "b", "c"], [a, b, c])] == ["b", "c"]
    assert find_overlaps(["a", "b", "c"], [a, b, c], only=[False, False, True]) == [
        find_overlaps(["a", "b", "c"], [a, b, c])[1]
    ]
    # Touching squares share a border, not an area.
    assert find_overlaps(["a", "c"], [box(0, 0, 1, 1), box(1, 0, 2, 1)]) == []
    assert Gap("p", "hole", 1.0, 0, 0).kind == "hole"


_geometries = st.sampled_from(
    [
        None,
        {"type": "Point", "coordinates": [113.0, 28.0]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[113.0, 28.0], [113.01, 28.01]]]},
        box(113.0, 28.0, 113.01, 28.01).__geo_interface__,
        {
            "type": "Polygon",
            "coordinates": [[[X, Y], [X + D, Y + D], [X + D, Y], [X, Y + D], [X, Y]]],
        },
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            _geometries,
            st.sampled_from([None, "", "甲", "乙"]),
            st.sampled_from([None, "A", "B", "C"]),
        ),
        max_size=12,
    )
)
def test_every_feature_is_accounted_for_once(items: list[tuple[Any, Any, Any]]) -> None:
    features = [
        {"type": "Feature", "properties": {"name": n, "code": c}, "geometry": g}
        for g, n, c in items
    ]
    clean, repaired, rejected = prepare_features(
        read_geojson({"type": "FeatureCollection", "features": features}).features
    )
    indices = sorted([f.index for f in clean] + [r.index for r in rejected])
    assert indices == list(range(1, len(items) + 1))
    assert {r.index for r in repaired} <= {f.index for f in clean}
    assert len({f.code for f in clean}) == len(clean)  # codes unique among accepted features
    for f in clean:
        assert f.geometry.is_valid and f.geometry.geom_type in ("Polygon", "MultiPolygon")
        assert f.name and f.code
    assert all(r.reason for r in rejected)
