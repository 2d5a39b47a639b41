"""地名与地址 — names of the generated district, streets, communities, compounds and roads.

The names sound like a Changsha district on the west bank of the Xiang river, but the place is
invented: combinations are drawn from the lists below, never copied from a real gazetteer.
"""

from __future__ import annotations

import numpy as np

CITY = "长沙市"
PROVINCE = "湖南省"
DISTRICT_NAME = "麓湖区"
DISTRICT_REGION = "430199"  # not a real county code: the demo district is invented

STREET_STEMS = (
    "枫林",
    "望湖",
    "银杉",
    "观澜",
    "梅溪",
    "麓谷",
    "咸嘉",
    "洋湖",
    "金霞",
    "湘雅",
    "橘洲",
    "岳华",
    "天马",
    "含浦",
    "莲城",
    "东塘",
    "桂花",
    "侯家",
    "月湖",
    "清水",
    "松雅",
    "新河",
    "桃源",
    "银盆",
    "谷山",
    "白沙",
    "雨花",
    "德润",
    "书院",
    "荷花",
    "映日",
    "星城",
    "芙蓉",
    "坪塘",
    "学士",
    "凤凰",
)
COMMUNITY_STEMS = (
    "新华",
    "和平",
    "桃李",
    "翠湖",
    "金桂",
    "丽水",
    "朝阳",
    "景园",
    "银河",
    "文苑",
    "长安",
    "学府",
    "东风",
    "红旗",
    "青山",
    "竹苑",
    "兰亭",
    "南湖",
    "北辰",
    "锦绣",
    "怡和",
    "安康",
    "紫薇",
    "燕山",
    "玉泉",
    "泰和",
    "泉塘",
    "沁园",
    "枫华",
    "博才",
    "育英",
    "馨园",
    "金色",
    "白鹭",
    "春晖",
    "望江",
    "阳光",
    "湘麓",
    "友谊",
    "光明",
    "花园",
    "福源",
    "龙泉",
    "云栖",
    "荷塘",
    "仁和",
    "聚贤",
    "清风",
)
COMPOUND_STEMS = (
    "阳光",
    "翠苑",
    "金色家园",
    "锦绣",
    "书香",
    "和馨",
    "丽景",
    "泰和",
    "御景",
    "碧水",
    "华府",
    "江山",
    "湘江",
    "麓山",
    "枫林",
    "紫荆",
    "绿地",
    "保利",
    "中建",
    "融城",
    "万科",
    "东方",
    "银杏",
    "桂苑",
    "怡园",
    "学府",
    "天骄",
    "名都",
    "金茂",
    "时代",
    "龙湖",
    "嘉园",
    "悦府",
    "橡树湾",
    "梅岭",
)
COMPOUND_SUFFIXES = ("小区", "花园", "家园", "苑", "公寓", "新村", "华庭", "雅苑", "宿舍")
ROAD_STEMS = (
    "枫林",
    "桐梓坡",
    "麓山南",
    "金星",
    "岳麓",
    "银双",
    "望岳",
    "咸嘉湖",
    "茶子山",
    "潇湘",
    "河西",
    "麓谷",
    "佳园",
    "杜鹃",
    "玉兰",
    "含光",
    "坪塘",
    "学士",
    "黄鹤",
    "谷丰",
    "云栖",
    "岳华",
    "桃花岭",
    "西湖",
    "银杉",
    "白鹤",
    "观沙",
    "梅溪湖",
    "青山",
    "达美",
    "靳江",
)
ROAD_SUFFIXES = ("路", "大道", "街", "巷", "一路", "二路", "中路", "南路", "北路", "西路")
SHOP_STEMS = (
    "惠民",
    "好又多",
    "佳佳",
    "鸿福",
    "湘味",
    "便民",
    "快乐",
    "兴旺",
    "金牌",
    "老字号",
    "一品",
    "阿婆",
    "同心",
    "润泽",
    "乐购",
    "优选",
    "邻里",
    "晨光",
    "天天",
    "福满",
    "顺心",
    "新鲜",
)
SHOP_KINDS = (
    "超市",
    "便利店",
    "粉店",
    "烧烤店",
    "药店",
    "水果店",
    "理发店",
    "五金店",
    "餐馆",
    "奶茶店",
    "干洗店",
    "快递驿站",
    "菜店",
    "早餐店",
    "小吃店",
    "棋牌室",
    "KTV",
    "手机店",
    "文具店",
    "茶馆",
)
ENTERPRISE_KINDS = (
    "科技有限公司",
    "建设工程有限公司",
    "商贸有限公司",
    "文化传媒有限公司",
    "餐饮管理有限公司",
    "信息技术有限公司",
    "医药连锁有限公司",
    "教育咨询有限公司",
    "物流有限公司",
    "装饰工程有限公司",
)


def distinct_names(
    rng: np.random.Generator, stems: tuple[str, ...], n: int, suffix: str
) -> list[str]:
    """``n`` distinct names ``stem + suffix``; combines two stems when the list runs out."""
    order = rng.permutation(len(stems)).tolist()
    names = [stems[i] + suffix for i in order[:n]]
    k = 0
    while len(names) < n:
        a, b = stems[order[k % len(order)]], stems[order[(k * 7 + 3) % len(order)]]
        candidate = a[:1] + b[-1:] + suffix if a != b else a + "新" + suffix
        if candidate not in names:
            names.append(candidate)
        k += 1
        if k > 50 * n:  # pragma: no cover - defensive: the stem lists are large enough
            names.append(f"第{len(names) + 1}{suffix}")
    return names


def road_names(rng: np.random.Generator, n: int) -> list[str]:
    stems = [ROAD_STEMS[i] for i in rng.permutation(len(ROAD_STEMS))]
    out: list[str] = []
    for i in range(n):
        stem = stems[i % len(stems)]
        suffix = ROAD_SUFFIXES[int(rng.integers(0, len(ROAD_SUFFIXES)))]
        name = stem + suffix
        out.append(name if name not in out else f"{stem}{i // len(stems) + 1}{suffix}")
    return out


def compound_name(rng: np.random.Generator) -> str:
    stem = COMPOUND_STEMS[int(rng.integers(0, len(COMPOUND_STEMS)))]
    suffix = COMPOUND_SUFFIXES[int(rng.integers(0, len(COMPOUND_SUFFIXES)))]
    if stem.endswith(("家园", "湾")):
        return stem
    return stem + suffix


def prefix(street: str) -> str:
    """The common part of every address in the district."""
    return f"{PROVINCE}{CITY}{DISTRICT_NAME}{street}"


def dwelling(road: str, number: int, compound: str, building: int, unit: int, room: str) -> str:
    return f"{road}{number}号{compound}{building}栋{unit}单元{room}室"
