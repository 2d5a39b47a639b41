"""热点 — recurring clusters planted in the demo year (the ground truth for hot-issue discovery).

Each hotspot is one place (a grid, or every grid of a community for a water-main burst), one
category, a window of the year and a fixed core sentence, so its reports are near-duplicates
close in space and time. Orders of a hotspot carry ``extra["demo_hotspot"] = key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class HotspotSpec:
    key: str
    category: str
    title: str
    problem: str
    start: tuple[int, int]  # (month, day) the window opens
    days: int
    share: float  # of all orders
    grid_kind: str  # "residential" | "commercial" | "community"
    hours: str
    spread: float  # degrees around the focal point


SPECS: tuple[HotspotSpec, ...] = (
    HotspotSpec(
        "H1",
        "噪音扰民/生活噪音",
        "{compound}广场舞音响噪音扰民",
        "{compound}中心广场的广场舞每天晚上七点跳到十点，音响开得特别大，反映多次仍未解决。",
        (5, 1),
        184,
        0.009,
        "residential",
        "evening",
        0.0003,
    ),
    HotspotSpec(
        "H2",
        "道路交通/占道经营",
        "{road}夜市摊贩占道经营",
        "{road}夜市的烧烤摊和小吃摊每天晚上摆满人行道和机动车道，油烟和垃圾很多。",
        (4, 15),
        200,
        0.007,
        "commercial",
        "evening",
        0.0004,
    ),
    HotspotSpec(
        "H3",
        "水电气暖/供水",
        "{compound}突然停水",
        "{road}的自来水主管道爆裂，{compound}从早上开始停水，到现在还没有恢复供水。",
        (7, 16),
        2,
        0.004,
        "community",
        "morning",
        0.004,
    ),
    HotspotSpec(
        "H4",
        "违章建筑/违法搭建",
        "{compound}顶楼违章加盖",
        "{compound}{bldg}栋顶楼住户正在违章加盖一层，每天施工，楼下住户担心安全。",
        (3, 10),
        45,
        0.0025,
        "residential",
        "office",
        0.0002,
    ),
    HotspotSpec(
        "H5",
        "市容环境/垃圾清运",
        "{compound}垃圾站无人清运",
        "{compound}垃圾站已经很多天没有清运，垃圾堆到路边，臭味很大。",
        (8, 5),
        21,
        0.0035,
        "residential",
        "morning",
        0.0003,
    ),
    HotspotSpec(
        "H6",
        "噪音扰民/施工噪音",
        "{road}工地夜间施工扰民",
        "{road}地铁站工地每天晚上施工到凌晨，渣土车和机器轰鸣，周边居民无法休息。",
        (9, 1),
        60,
        0.0035,
        "residential",
        "evening",
        0.0006,
    ),
)


def window(spec: HotspotSpec, reference: date) -> tuple[date, date]:
    """The latest occurrence of the hotspot's window that starts on or before ``reference``."""
    month, day = spec.start
    start = date(reference.year, month, day)
    if start > reference - timedelta(days=1):
        start = date(reference.year - 1, month, day)
    end = min(start + timedelta(days=spec.days - 1), reference)
    return start, end
