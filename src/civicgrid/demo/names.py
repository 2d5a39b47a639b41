"""姓名 — realistic Chinese personal names, drawn by frequency and by birth cohort.

Surname weights are rounded shares (per cent) from the national surname statistics, nudged towards
Hunan (彭, 谭, 邓, 曾, 易, 贺 … are more frequent there). Given names follow the taste of three
birth cohorts: before 1970 (建国, 秀英), 1970–1989 (伟, 丽, 海燕) and from 1990 (子涵, 浩然).
Everything is vectorised on a seeded ``numpy.random.Generator``: the same seed gives the same names.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

SURNAMES: tuple[tuple[str, float], ...] = (
    ("刘", 6.2),
    ("李", 6.8),
    ("王", 6.0),
    ("张", 5.6),
    ("陈", 5.4),
    ("杨", 3.3),
    ("黄", 2.6),
    ("周", 2.4),
    ("罗", 2.2),
    ("彭", 2.0),
    ("谭", 1.9),
    ("邓", 1.9),
    ("曾", 1.8),
    ("唐", 1.8),
    ("胡", 1.7),
    ("吴", 1.7),
    ("赵", 1.5),
    ("徐", 1.3),
    ("孙", 1.1),
    ("朱", 1.2),
    ("马", 1.0),
    ("何", 1.3),
    ("郭", 1.0),
    ("高", 0.9),
    ("林", 0.9),
    ("欧阳", 0.35),
    ("易", 0.9),
    ("贺", 0.8),
    ("龚", 0.7),
    ("廖", 0.8),
    ("蒋", 0.8),
    ("肖", 0.9),
    ("文", 0.6),
    ("谢", 0.8),
    ("邹", 0.6),
    ("袁", 0.6),
    ("宋", 0.5),
    ("梁", 0.5),
    ("许", 0.5),
    ("熊", 0.6),
    ("雷", 0.5),
    ("汤", 0.5),
    ("钟", 0.5),
    ("夏", 0.4),
    ("颜", 0.4),
    ("姚", 0.4),
    ("戴", 0.4),
    ("石", 0.4),
    ("范", 0.3),
    ("方", 0.3),
    ("田", 0.4),
    ("程", 0.3),
    ("毛", 0.4),
    ("段", 0.3),
    ("郑", 0.4),
    ("冯", 0.3),
    ("董", 0.3),
    ("付", 0.3),
    ("沈", 0.2),
    ("韩", 0.3),
    ("左", 0.2),
    ("尹", 0.3),
    ("卢", 0.3),
    ("丁", 0.3),
    ("莫", 0.2),
    ("万", 0.2),
    ("阳", 0.3),
    ("向", 0.3),
    ("伍", 0.2),
    ("聂", 0.2),
    ("潘", 0.2),
    ("江", 0.2),
    ("黎", 0.2),
    ("邱", 0.2),
    ("吕", 0.2),
    ("苏", 0.2),
    ("司马", 0.02),
    ("诸葛", 0.02),
    ("上官", 0.02),
)

# Given-name characters by (cohort, gender); pairs are combined freely, with a share of
# whole names that were fashionable in each cohort.
_CHARS: dict[tuple[int, str], str] = {
    (0, "M"): "建国华明军平志国伟强德文忠新勇海林荣福春生宝发庆兵成贵桂树学友",
    (0, "F"): "秀英桂兰玉珍凤芳淑华美莲翠梅琴菊云霞芝红荣金娥香素彩群",
    (1, "M"): "伟磊勇军涛斌杰鹏辉超波刚浩亮强俊峰明健飞雄斌华宇林兵东永",
    (1, "F"): "丽娟敏静燕艳霞玲婷芳红梅颖慧琳萍蓉霞倩洁莉英雪晶娜琴",
    (2, "M"): "子浩然宇轩博文睿泽俊熙晨阳梓辰一铭皓天佑煜航瑞奕哲嘉诚",
    (2, "F"): "子涵欣怡梓萱诗雨佳琪一诺思彤可馨雅若汐语嫣梦瑶紫琳依晨",
}
_WHOLE: dict[tuple[int, str], tuple[str, ...]] = {
    (0, "M"): ("建国", "国庆", "建军", "卫国", "志强", "红兵", "援朝", "解放", "德明", "跃进"),
    (0, "F"): ("秀英", "桂英", "淑珍", "玉兰", "秀兰", "桂兰", "凤英", "冬梅", "红梅", "秀珍"),
    (1, "M"): ("伟", "磊", "勇", "军", "涛", "斌", "志伟", "海涛", "建华", "晓东"),
    (1, "F"): ("丽", "娟", "敏", "静", "燕", "艳", "海燕", "丽娟", "晓红", "春燕"),
    (2, "M"): ("浩然", "子轩", "宇轩", "梓豪", "俊杰", "一鸣", "子墨", "浩宇", "睿", "博"),
    (2, "F"): ("子涵", "欣怡", "梓涵", "诗涵", "一诺", "雨桐", "可欣", "思彤", "语嫣", "梦瑶"),
}


def _surname_table() -> tuple[NDArray[np.str_], NDArray[np.float64]]:
    names = np.array([s for s, _ in SURNAMES])
    weights = np.array([w for _, w in SURNAMES], dtype=np.float64)
    return names, weights / weights.sum()


def cohort_of(birth_years: NDArray[np.int64]) -> NDArray[np.int64]:
    """0 = born before 1970, 1 = 1970–1989, 2 = from 1990."""
    return np.where(birth_years < 1970, 0, np.where(birth_years < 1990, 1, 2)).astype(np.int64)


def surnames(rng: np.random.Generator, n: int) -> NDArray[np.str_]:
    names, p = _surname_table()
    return names[rng.choice(len(names), size=n, p=p)]


def given_names(
    rng: np.random.Generator, genders: NDArray[np.str_], cohorts: NDArray[np.int64]
) -> list[str]:
    """One given name per person: 1 or 2 characters, in the style of the person's cohort."""
    n = len(genders)
    out = np.empty(n, dtype=object)
    whole_draw = rng.random(n)
    single_draw = rng.random(n)
    i1 = rng.integers(0, 1 << 30, n)
    i2 = rng.integers(0, 1 << 30, n)
    for cohort in (0, 1, 2):
        for gender in ("M", "F"):
            sel = np.nonzero((cohorts == cohort) & (genders == gender))[0]
            if sel.size == 0:
                continue
            chars = _CHARS[(cohort, gender)]
            whole = _WHOLE[(cohort, gender)]
            single_rate = (0.08, 0.22, 0.06)[cohort]
            for k in sel:
                if whole_draw[k] < 0.18:
                    out[k] = whole[i1[k] % len(whole)]
                elif single_draw[k] < single_rate:
                    out[k] = chars[i1[k] % len(chars)]
                else:
                    a, b = chars[i1[k] % len(chars)], chars[i2[k] % len(chars)]
                    out[k] = a + (b if b != a else chars[(i2[k] + 1) % len(chars)])
    return [str(x) for x in out]


def full_names(
    rng: np.random.Generator,
    genders: NDArray[np.str_],
    birth_years: NDArray[np.int64],
    family_names: NDArray[np.str_] | None = None,
) -> list[str]:
    """Full names; pass ``family_names`` to make children carry their father's surname."""
    fam = family_names if family_names is not None else surnames(rng, len(genders))
    given = given_names(rng, genders, cohort_of(birth_years))
    return [f"{s}{g}" for s, g in zip(fam.tolist(), given, strict=True)]


def simple_names(rng: np.random.Generator, n: int, *, min_year: int, max_year: int) -> list[str]:
    """Names for staff and volunteers: random gender and a birth year in the given range."""
    genders = np.where(rng.random(n) < 0.5, "M", "F")
    years = rng.integers(min_year, max_year + 1, n)
    return full_names(rng, genders, years)
