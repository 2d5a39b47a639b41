"""Hot issues: place extraction, planted clusters, the heat index, the real 附件3 file, the CLI."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from civicgrid.intel.hotspots import (
    HotReport,
    HotspotParams,
    extract_places,
    find_hot_issues,
    heat_index,
    place_key,
)
from tests.conftest import shared_data

T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A市A5区魅力之城小区临街门面油烟扰民", "魅力之城小区"),
        ("反映A7县春华镇金鼎村水泥路问题", "金鼎村"),
        ("A2区黄兴路步行街大古道巷住户卫生间粪便外排", "大古道巷"),
        ("投诉A市温斯顿英语培训学校拖延退费！", "温斯顿英语培训学校"),
        ("A9市禧和路垃圾分拣中心不符合有关规定", "禧和路"),
        ("A3区麓泉社区单方面改变麓谷明珠小区6栋架空层使用性质", "麓谷明珠小区"),
    ],
)
def test_extract_places(text: str, expected: str) -> None:
    assert expected in extract_places(text)


def test_extract_places_drops_generic_words() -> None:
    assert extract_places("本小区的道路和政府的线路规划") == []


def test_place_key_merges_spellings() -> None:
    assert place_key("魅力之城小区") == place_key("魅力之城") == "魅力之城"


def test_heat_index_is_monotone_and_documented() -> None:
    heat, volume, support, intensity = heat_index(reporters=9, likes=99, span_days=14)
    assert heat == pytest.approx(volume + support + intensity)
    assert volume == pytest.approx(2 * 2.302585, rel=1e-5)  # 2 ln 10
    assert heat_index(10, 99, 14)[0] > heat
    assert heat_index(9, 100, 14)[0] > heat
    assert heat_index(9, 99, 28)[0] < heat  # the same volume spread thinner is less intense


PLANTED = [
    ("幸福里小区", "垃圾堆放没人清运，臭气熏天", "幸福里小区门口垃圾成堆"),
    ("建设路", "夜间施工噪音扰民，凌晨还在打桩", "建设路工地夜间施工噪音"),
    ("实验小学", "门口上下学时段交通拥堵，家长乱停车", "实验小学门口交通拥堵"),
]
NOISE_TOPICS = [
    "路灯不亮", "井盖缺失", "广场舞音响太大", "楼道堆放杂物", "宠物狗扰民", "水管漏水",
    "电梯故障", "共享单车乱放", "占道经营", "绿化带被毁", "油烟扰民", "违章搭建",
]  # fmt: skip
NOISE_PLACES = [f"{a}{b}" for a in "东南西北中" for b in ("湖花园", "山新村", "桥路", "江苑")]


def planted_reports(seed: int = 7) -> tuple[list[HotReport], dict[str, set[str]]]:
    rng = random.Random(seed)
    reports: list[HotReport] = []
    truth: dict[str, set[str]] = {}
    for c, (place, body, title) in enumerate(PLANTED):
        truth[place] = set()
        for k in range(8 + 3 * c):
            key = f"p{c}-{k}"
            truth[place].add(key)
            reports.append(
                HotReport(
                    key=key,
                    title=rng.choice([title, f"反映{title}问题", f"{place}{body[:6]}"]),
                    body=f"我住在{place}附近，{body}。希望尽快处理。",
                    when=T0 + timedelta(days=rng.uniform(0, 20)),
                    likes=rng.randint(0, 5),
                    reporter=f"u{c}-{k % 6}",
                )
            )
    for k in range(120):  # unrelated reports: random topic at a random place
        topic, place = rng.choice(NOISE_TOPICS), rng.choice(NOISE_PLACES)
        reports.append(
            HotReport(
                key=f"n{k}",
                title=f"{place}{topic}",
                body=f"{place}{topic}，请相关部门处理。",
                when=T0 + timedelta(days=rng.uniform(-60, 60)),
                reporter=f"n{k}",
            )
        )
    rng.shuffle(reports)
    return reports, truth


def test_planted_clusters_are_found() -> None:
    reports, truth = planted_reports()
    issues = find_hot_issues(reports)
    by_place = {i.place: i for i in issues}
    for place, members in truth.items():
        issue = by_place.get(place)
        assert issue is not None, (place, [(i.place, i.reports) for i in issues])
        found = set(issue.members)
        assert len(found & members) >= 0.9 * len(members)  # recall
        assert len(found - members) <= 1  # purity
    # the three planted issues are the hottest
    assert {i.place for i in issues[:3]} == set(truth)
    assert [i.rank for i in issues] == list(range(1, len(issues) + 1))
    assert all(a.heat >= b.heat for a, b in itertools.pairwise(issues))


def test_coordinates_split_the_same_complaint_in_two_places() -> None:
    reports = []
    for k in range(10):
        lat, lon = (28.20, 112.90) if k % 2 else (28.30, 113.00)  # about 15 km apart
        reports.append(
            HotReport(
                key=str(k),
                title="小区门口垃圾成堆没人清运",
                body="垃圾堆放臭气熏天",
                when=T0 + timedelta(hours=k),
                lat=lat + 0.0001 * k,
                lon=lon,
            )
        )
    issues = find_hot_issues(reports, HotspotParams(min_reports=2))
    assert sorted(i.reports for i in issues) == [5, 5]
    assert all(i.lat is not None for i in issues)


def test_time_separates_old_and_new_complaints() -> None:
    reports = [
        HotReport(
            key=str(k),
            title="建设路夜间施工噪音扰民",
            body="凌晨还在施工",
            when=T0 + timedelta(days=(k % 2) * 1000 + k * 0.1),
        )
        for k in range(12)
    ]
    issues = find_hot_issues(reports, HotspotParams(min_reports=2, time_scale_days=30))
    assert sorted(i.reports for i in issues) == [6, 6]


def load_messages(path: Path) -> list[HotReport]:
    d = pd.read_csv(path)
    return [
        HotReport(
            key=str(r.留言编号),
            title=str(r.留言主题),
            body=str(r.留言详情),
            when=None if pd.isna(r.留言时间) else pd.Timestamp(r.留言时间).to_pydatetime(),
            likes=int(r.点赞数),
            against=int(r.反对数),
            reporter=str(r.留言用户),
        )
        for r in d.itertuples()
    ]


@pytest.mark.slow
def test_real_hot_messages_top_issues() -> None:
    reports = load_messages(shared_data("gov_hot_messages", "messages_with_votes_附件3.csv"))
    issues = find_hot_issues(reports, top=10)
    top5 = " ".join(f"{i.place}{i.title}" for i in issues[:5])
    # the two large campaigns of 2019 in this file must lead (see docs/domains/intelligence.md)
    assert "丽发新城" in f"{issues[0].place}{issues[0].title}{issues[1].place}{issues[1].title}"
    assert "伊景园滨河苑" in top5
    assert issues[0].reports >= 30
    for issue in issues:
        assert issue.reports >= 3
        assert issue.keywords
    assert sum(bool(i.place) for i in issues) >= 8


def test_cli_hotspots(tmp_path: Path) -> None:
    from civicgrid.cli.main import app

    reports, truth = planted_reports()
    frame = pd.DataFrame(
        {
            "编号": [r.key for r in reports],
            "标题": [r.title for r in reports],
            "内容": [r.body for r in reports],
            "时间": [r.when.strftime("%Y-%m-%d %H:%M:%S") if r.when else "" for r in reports],
            "点赞": [r.likes for r in reports],
            "用户": [r.reporter for r in reports],
        }
    )
    data = tmp_path / "msgs.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "hot.csv"
    result = CliRunner().invoke(
        app,
        [
            "intel", "hotspots", "--data", str(data), "--title-col", "标题",
            "--text-col", "内容", "--date-col", "时间", "--likes-col", "点赞",
            "--user-col", "用户", "--id-col", "编号", "--out", str(out), "--top", "5",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns[:4]) == ["rank", "heat", "place", "title"]
    assert set(table["place"][:3]) == set(truth)
    assert len(table) <= 5
