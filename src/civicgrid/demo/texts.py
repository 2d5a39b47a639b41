"""工单文本 — titles, descriptions and replies rendered from the templates in data/texts.yaml.

A description is an opening that depends on the channel (hotline transcript, resident app, patrol
note, sensor alert), an optional time phrase, the category's core sentence, sometimes a second
sentence borrowed from another category (people complain about several things at once), an impact
and a request. Titles are sometimes generic ("市民来电反映问题"), so a classifier has to read the
body too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

GENERIC_TITLES = (
    "市民来电反映问题",
    "关于{compound}的投诉",
    "{road}附近问题反映",
    "请求协调解决",
    "反映一个问题",
)


@dataclass(frozen=True)
class Templates:
    openings: dict[str, tuple[str, ...]]
    times: tuple[str, ...]
    impacts: tuple[str, ...]
    asks: tuple[str, ...]
    patrol_asks: tuple[str, ...]
    titles: dict[str, tuple[tuple[str, ...], ...]]  # per problem, its title variants
    problems: dict[str, tuple[str, ...]]
    replies: dict[str, tuple[str, ...]]
    sensors: dict[str, tuple[str, ...]]
    vague: tuple[tuple[str, str], ...]
    synonyms: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def templates() -> Templates:
    raw: dict[str, Any] = yaml.safe_load(
        resources.files("civicgrid.demo").joinpath("data/texts.yaml").read_text("utf-8")
    )
    cats: dict[str, list[dict[str, Any]]] = raw["categories"]
    return Templates(
        openings={k: tuple(v) for k, v in raw["openings"].items()},
        times=tuple(raw["times"]),
        impacts=tuple(raw["impacts"]),
        asks=tuple(raw["asks"]),
        patrol_asks=tuple(raw["patrol_asks"]),
        titles={k: tuple(tuple(item["t"]) for item in v) for k, v in cats.items()},
        problems={k: tuple(item["p"] for item in v) for k, v in cats.items()},
        replies={k: tuple(v) for k, v in raw["replies"].items()},
        sensors={k: tuple(v) for k, v in raw["sensors"].items()},
        vague=tuple((item["t"], item["p"]) for item in raw["vague"]),
        synonyms={k: tuple(v) for k, v in raw["synonyms"].items()},
    )


class _Slots(dict[str, str]):
    """Format mapping that leaves unknown placeholders readable instead of failing."""

    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, slots: dict[str, str]) -> str:
    return template.format_map(_Slots(slots))


def describe(
    tpl: Templates,
    *,
    category: str,
    channel: str,
    draws: tuple[int, ...],
    slots: dict[str, str],
    other_category: str | None,
    problem: str | None = None,
    generic_title: bool = False,
    vague: bool = False,
) -> tuple[str, str]:
    """(title, description) for one order; ``draws`` are 8 seeded random integers."""
    d0, d1, d2, d3, d4, d5, d6, d7 = draws[:8]
    k = d1 % len(tpl.problems[category])
    variants = tpl.titles[category][k]
    title = (
        GENERIC_TITLES[d0 % len(GENERIC_TITLES)] if generic_title else variants[d0 % len(variants)]
    )
    core = problem or tpl.problems[category][k]
    if channel == "sensor" and category in tpl.sensors and problem is None:
        core = tpl.sensors[category][d1 % len(tpl.sensors[category])]
    elif vague and problem is None:
        title, core = tpl.vague[d1 % len(tpl.vague)]
    if problem is None:
        core = reword(tpl, core, d7)
    opening = tpl.openings[channel][d2 % len(tpl.openings[channel])]
    parts = [opening]
    if d3 % 3 == 0 and "{time}" not in core:
        parts.append(tpl.times[d3 % len(tpl.times)] + "，")
    parts.append(core)
    if other_category is not None:
        extra = tpl.problems[other_category]
        parts.append("另外，" + extra[d4 % len(extra)])
    if channel != "sensor":
        parts.append(tpl.impacts[d5 % len(tpl.impacts)] if channel != "patrol" else "")
        asks = tpl.patrol_asks if channel == "patrol" else tpl.asks
        parts.append(asks[d6 % len(asks)])
    return fill(title, slots)[:300], fill("".join(parts), slots)


def reword(tpl: Templates, text: str, draw: int) -> str:
    """Swap common words for synonyms (before placeholders are filled, so names stay intact)."""
    for i, (word, options) in enumerate(tpl.synonyms.items()):
        if word in text:
            text = text.replace(word, options[(draw >> (i % 24)) % len(options)])
    return text


def reply(tpl: Templates, kind: str, draw: int, slots: dict[str, str]) -> str:
    options = tpl.replies[kind]
    return fill(options[draw % len(options)], slots)
