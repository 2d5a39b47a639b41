"""演示事项目录 — the demo city's work-order category tree and its responsibility list.

Each leaf category ("市容环境/垃圾清运") names the responsible department, the SLA (hours to
handle), its share of all orders, a seasonal profile (12 monthly factors), a weekly profile
(Monday … Sunday), an hour-of-day profile and the usual intake channels. The work-order issue owns
the real, editable responsibility list; this table only seeds the demo city with plausible data.
"""

from __future__ import annotations

from dataclasses import dataclass

# Work-order statuses the demo writes (the work-order state machine names them the same way).
REPORTED = "reported"
DISPATCHED = "dispatched"
ACCEPTED = "accepted"
IN_PROGRESS = "in_progress"
REPLIED = "replied"
CLOSED = "closed"

SATISFIED = "满意"
BASICALLY_SATISFIED = "基本满意"
DISSATISFIED = "不满意"

# 三事分流: big matters to departments, small ones to the community, private ones self-help.
TRIAGE_GOVERNMENT = "government"
TRIAGE_COMMUNITY = "community"
TRIAGE_SELF_HELP = "self_help"
TRIAGE_INVALID = "invalid"
TRIAGE_DUPLICATE = "duplicate"

SEASONS: dict[str, tuple[float, ...]] = {
    "flat": (1.0,) * 12,
    "summer": (0.7, 0.7, 0.85, 0.95, 1.1, 1.3, 1.45, 1.4, 1.15, 0.95, 0.8, 0.7),
    "summer_strong": (0.45, 0.5, 0.7, 0.9, 1.2, 1.6, 1.9, 1.8, 1.3, 0.9, 0.6, 0.5),
    "winter": (2.2, 1.8, 1.1, 0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 0.7, 1.5, 2.2),
    "rainy": (0.7, 0.8, 1.1, 1.4, 1.7, 1.7, 1.2, 1.0, 0.8, 0.8, 0.7, 0.7),
    "school": (0.7, 0.9, 1.0, 0.8, 1.1, 1.5, 1.9, 2.0, 1.4, 0.7, 0.6, 0.6),
    "year_end": (1.9, 1.4, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.8, 0.9, 1.3, 2.0),
    "flu": (1.5, 1.3, 1.1, 0.9, 0.8, 0.8, 0.9, 0.9, 0.9, 1.0, 1.1, 1.4),
    "building_season": (0.5, 0.5, 1.1, 1.2, 1.25, 1.15, 1.0, 1.0, 1.2, 1.25, 1.1, 0.8),
}
WEEKS: dict[str, tuple[float, ...]] = {
    "office": (1.12, 1.08, 1.05, 1.04, 1.0, 0.62, 0.55),
    "strict_office": (1.2, 1.12, 1.1, 1.06, 1.0, 0.4, 0.35),
    "leisure": (0.85, 0.85, 0.88, 0.92, 1.1, 1.35, 1.25),
    "even": (1.02, 1.0, 1.0, 1.0, 1.0, 0.92, 0.9),
}
HOURS: dict[str, tuple[float, ...]] = {
    # local hour 0 … 23
    "office": (
        0.2,
        0.1,
        0.1,
        0.1,
        0.1,
        0.2,
        0.6,
        1.5,
        3.5,
        5.0,
        5.5,
        4.6,
        2.8,
        3.0,
        4.6,
        5.0,
        4.8,
        3.8,
        2.2,
        1.8,
        1.6,
        1.2,
        0.7,
        0.4,
    ),
    "evening": (
        1.8,
        0.9,
        0.4,
        0.2,
        0.1,
        0.1,
        0.3,
        0.8,
        1.5,
        1.8,
        1.9,
        1.7,
        1.3,
        1.5,
        1.7,
        1.7,
        1.8,
        2.0,
        2.6,
        3.6,
        4.6,
        5.2,
        4.8,
        3.2,
    ),
    "morning": (
        0.3,
        0.2,
        0.2,
        0.2,
        0.3,
        0.8,
        2.6,
        4.8,
        5.0,
        4.2,
        3.6,
        3.0,
        2.4,
        2.4,
        2.6,
        2.6,
        2.5,
        2.6,
        2.8,
        2.6,
        2.2,
        1.6,
        1.0,
        0.6,
    ),
}

# Channel weights: resident app (随手拍), 12345 hotline, grid-worker patrol, IoT sensor.
CHANNEL_MIXES: dict[str, dict[str, float]] = {
    "street": {"resident": 0.28, "hotline": 0.34, "patrol": 0.36, "sensor": 0.02},
    "home": {"resident": 0.3, "hotline": 0.62, "patrol": 0.08},
    "service": {"resident": 0.22, "hotline": 0.72, "patrol": 0.06},
    "utility": {"resident": 0.22, "hotline": 0.6, "patrol": 0.06, "sensor": 0.12},
    "safety": {"resident": 0.22, "hotline": 0.38, "patrol": 0.34, "sensor": 0.06},
}


@dataclass(frozen=True)
class Category:
    path: str  # "一级/二级", the value written to work_order.category
    department: str
    sla_hours: int
    share: float
    season: str = "flat"
    week: str = "office"
    hours: str = "office"
    channels: str = "home"
    triage: str = TRIAGE_GOVERNMENT
    speed: float = 0.35  # typical handling time as a fraction of the SLA
    commercial: float = 1.0  # weight multiplier in commercial grids

    @property
    def top(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def leaf(self) -> str:
        return self.path.split("/", 1)[1]


CM = "区城市管理和综合执法局"
CATEGORIES: tuple[Category, ...] = (
    Category("市容环境/垃圾清运", CM, 24, 0.095, "summer", "even", "morning", "street", speed=0.3),
    Category("市容环境/环境卫生", CM, 48, 0.05, "rainy", "even", "office", "street"),
    Category(
        "市容环境/园林绿化", "区园林绿化中心", 72, 0.025, "rainy", "office", "office", "street"
    ),
    Category(
        "道路交通/占道经营", CM, 24, 0.065, "summer", "leisure", "evening", "street", commercial=3.0
    ),
    Category(
        "道路交通/乱停乱放",
        "交警大队",
        24,
        0.055,
        "flat",
        "even",
        "office",
        "street",
        commercial=1.8,
    ),
    Category(
        "道路交通/道路设施",
        "区住房和城乡建设局",
        72,
        0.04,
        "rainy",
        "office",
        "office",
        "street",
        speed=0.45,
    ),
    Category(
        "噪音扰民/施工噪音",
        "区生态环境分局",
        24,
        0.04,
        "building_season",
        "even",
        "evening",
        "home",
    ),
    Category(
        "噪音扰民/生活噪音",
        "辖区派出所",
        24,
        0.05,
        "summer_strong",
        "leisure",
        "evening",
        "home",
        triage=TRIAGE_COMMUNITY,
        commercial=1.6,
    ),
    Category(
        "物业管理/物业服务",
        "区住房和城乡建设局",
        72,
        0.065,
        "flat",
        "office",
        "office",
        "home",
        triage=TRIAGE_COMMUNITY,
        commercial=0.3,
    ),
    Category(
        "物业管理/电梯故障",
        "区市场监督管理局",
        24,
        0.025,
        "summer",
        "even",
        "morning",
        "home",
        speed=0.3,
        commercial=0.4,
    ),
    Category(
        "水电气暖/供水",
        "市供水有限公司",
        12,
        0.04,
        "summer_strong",
        "even",
        "morning",
        "utility",
        speed=0.4,
    ),
    Category(
        "水电气暖/供电",
        "国网供电公司",
        12,
        0.03,
        "summer_strong",
        "even",
        "evening",
        "utility",
        speed=0.35,
    ),
    Category("水电气暖/燃气", "市燃气有限公司", 12, 0.02, "winter", "even", "morning", "utility"),
    Category(
        "水电气暖/供暖",
        "区住房和城乡建设局",
        24,
        0.02,
        "winter",
        "even",
        "evening",
        "home",
        commercial=0.3,
    ),
    Category(
        "邻里纠纷/邻里矛盾",
        "街道司法所",
        72,
        0.04,
        "flat",
        "leisure",
        "evening",
        "home",
        triage=TRIAGE_COMMUNITY,
        speed=0.45,
        commercial=0.5,
    ),
    Category(
        "邻里纠纷/漏水纠纷",
        "街道司法所",
        72,
        0.02,
        "rainy",
        "even",
        "office",
        "home",
        triage=TRIAGE_COMMUNITY,
        speed=0.45,
        commercial=0.4,
    ),
    Category(
        "违章建筑/违法搭建",
        CM,
        120,
        0.03,
        "building_season",
        "office",
        "office",
        "street",
        speed=0.5,
        commercial=0.8,
    ),
    Category(
        "治安隐患/消防安全",
        "区消防救援大队",
        24,
        0.03,
        "winter",
        "office",
        "office",
        "safety",
        speed=0.3,
    ),
    Category(
        "治安隐患/治安问题",
        "辖区派出所",
        24,
        0.02,
        "flat",
        "leisure",
        "evening",
        "safety",
        commercial=1.8,
    ),
    Category(
        "养老服务/居家养老",
        "区民政局",
        120,
        0.03,
        "winter",
        "strict_office",
        "office",
        "service",
        speed=0.3,
    ),
    Category(
        "社会保障/社保医保",
        "区人力资源和社会保障局",
        120,
        0.04,
        "year_end",
        "strict_office",
        "office",
        "service",
        speed=0.25,
    ),
    Category(
        "社会保障/低保救助",
        "区民政局",
        120,
        0.02,
        "year_end",
        "strict_office",
        "office",
        "service",
        speed=0.3,
    ),
    Category("医疗卫生/卫生服务", "区卫生健康局", 72, 0.03, "flu", "office", "office", "service"),
    Category(
        "医疗卫生/病媒防治",
        "区爱国卫生运动委员会办公室",
        48,
        0.02,
        "summer_strong",
        "even",
        "office",
        "street",
    ),
    Category(
        "教育/入学入园",
        "区教育局",
        120,
        0.03,
        "school",
        "strict_office",
        "office",
        "service",
        speed=0.25,
        commercial=0.5,
    ),
    Category(
        "教育/校外培训",
        "区教育局",
        120,
        0.012,
        "school",
        "office",
        "office",
        "service",
        commercial=1.5,
    ),
    Category(
        "市场监管/食品安全",
        "区市场监督管理局",
        48,
        0.022,
        "summer",
        "even",
        "office",
        "service",
        commercial=2.5,
    ),
    Category(
        "劳动保障/欠薪维权",
        "区人力资源和社会保障局",
        120,
        0.02,
        "year_end",
        "office",
        "office",
        "service",
        speed=0.5,
        commercial=2.0,
    ),
    Category(
        "咨询建议/政策咨询",
        "街道综合服务中心",
        120,
        0.028,
        "flat",
        "strict_office",
        "office",
        "service",
        triage=TRIAGE_COMMUNITY,
        speed=0.2,
    ),
)

BY_PATH: dict[str, Category] = {c.path: c for c in CATEGORIES}

# How departments perform: a factor on handling time (>1 slower, more overdue orders).
DEPARTMENT_PACE: dict[str, float] = {
    CM: 1.05,
    "区住房和城乡建设局": 1.35,
    "区生态环境分局": 0.9,
    "辖区派出所": 0.8,
    "交警大队": 0.9,
    "区市场监督管理局": 1.0,
    "市供水有限公司": 1.1,
    "国网供电公司": 0.85,
    "市燃气有限公司": 0.8,
    "街道司法所": 1.2,
    "区消防救援大队": 0.7,
    "区民政局": 1.0,
    "区人力资源和社会保障局": 1.25,
    "区卫生健康局": 0.95,
    "区爱国卫生运动委员会办公室": 1.0,
    "区教育局": 1.1,
    "区园林绿化中心": 1.3,
    "街道综合服务中心": 0.8,
}

DEPARTMENTS: tuple[str, ...] = tuple(sorted({c.department for c in CATEGORIES}))

# Liaisons a grid team draws from (1+X+N: X department liaisons).
LIAISON_DEPARTMENTS = ("辖区派出所", CM, "社区卫生服务站", "街道司法所", "区消防救援大队")

# Categories whose reports read alike: a share of each category's orders is written like one of
# its neighbours (the label stays), as happens when operators file the same complaint under
# different headings. It keeps the text classifier honest (no 100 % on the demo city).
CONFUSABLE: dict[str, tuple[str, ...]] = {
    "噪音扰民/生活噪音": ("邻里纠纷/邻里矛盾", "道路交通/占道经营", "噪音扰民/施工噪音"),
    "噪音扰民/施工噪音": ("噪音扰民/生活噪音", "违章建筑/违法搭建"),
    "邻里纠纷/邻里矛盾": ("噪音扰民/生活噪音", "物业管理/物业服务"),
    "邻里纠纷/漏水纠纷": ("物业管理/物业服务", "水电气暖/供水"),
    "物业管理/物业服务": ("物业管理/电梯故障", "市容环境/环境卫生", "治安隐患/治安问题"),
    "物业管理/电梯故障": ("物业管理/物业服务",),
    "市容环境/垃圾清运": ("市容环境/环境卫生",),
    "市容环境/环境卫生": ("市容环境/垃圾清运", "医疗卫生/病媒防治"),
    "市容环境/园林绿化": ("市容环境/环境卫生",),
    "道路交通/占道经营": ("市场监管/食品安全", "噪音扰民/生活噪音", "违章建筑/违法搭建"),
    "道路交通/乱停乱放": ("治安隐患/消防安全",),
    "道路交通/道路设施": ("水电气暖/供电", "市容环境/环境卫生"),
    "违章建筑/违法搭建": ("道路交通/占道经营",),
    "治安隐患/消防安全": ("道路交通/乱停乱放", "物业管理/物业服务"),
    "治安隐患/治安问题": ("物业管理/物业服务",),
    "水电气暖/供水": ("邻里纠纷/漏水纠纷", "物业管理/物业服务"),
    "水电气暖/供电": ("物业管理/物业服务",),
    "水电气暖/燃气": ("治安隐患/消防安全",),
    "水电气暖/供暖": ("物业管理/物业服务",),
    "养老服务/居家养老": ("社会保障/低保救助",),
    "社会保障/社保医保": ("医疗卫生/卫生服务", "劳动保障/欠薪维权"),
    "社会保障/低保救助": ("养老服务/居家养老",),
    "医疗卫生/卫生服务": ("社会保障/社保医保",),
    "医疗卫生/病媒防治": ("市容环境/环境卫生",),
    "教育/入学入园": ("咨询建议/政策咨询",),
    "教育/校外培训": ("市场监管/食品安全",),
    "市场监管/食品安全": ("道路交通/占道经营",),
    "劳动保障/欠薪维权": ("社会保障/社保医保",),
    "咨询建议/政策咨询": ("教育/入学入园", "养老服务/居家养老"),
}
