"""热点问题 — hot issues: clusters of reports about the same thing in the same place over a period.

Pure functions (no DB, no I/O). The method:

1. **Text** — TF-IDF on character 2–3-grams of the title (counted twice) and the first
   ``body_chars`` characters of the body; cosine similarity between reports. Character n-grams
   need no word segmentation and match the many spelling variants of a place name.
2. **Place** — place entities pulled out of the Chinese text by pattern (…小区/花园/路/街/村/
   学校/医院…, see :func:`extract_places`), or coordinates when the reports have them. Two
   reports naming the same place get ``place_bonus`` added to their similarity, two that name
   places but none in common have it multiplied by ``place_mismatch``; with coordinates, pairs
   further apart than ``max_distance_m`` are never linked.
3. **Time** — similarity is multiplied by ``exp(-|Δt| / time_scale_days)`` so that the same
   complaint a year apart is a weaker link than within a month.
4. **Clusters** — average-linkage agglomerative clustering on ``1 - similarity`` cut at
   ``1 - threshold`` (average linkage does not chain a cluster through one loose report, as
   connected components of a link graph would).

Heat index of a cluster (all natural logs)::

    heat = 2·ln(1 + R) + ln(1 + L) + ln(1 + R / W)
           volume         support    intensity

R = distinct reporters (reports when the reporter is unknown; one resident posting twenty times
is one voice), L = total likes (点赞), W = span in weeks (at least 1). Votes against (反对) are
reported but not counted as support.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer

# --- place entities ---------------------------------------------------------------------------

PLACE_SUFFIXES = (
    "街道", "小区", "花园", "家园", "新城", "新村", "公寓", "广场", "大厦", "华府", "名苑", "雅苑",
    "苑", "城", "山庄", "公馆", "国际", "大道", "路", "街", "巷", "村", "镇", "乡", "社区",
    "学校", "中学", "小学", "幼儿园", "大学", "学院", "医院", "市场", "公园", "车站", "地铁站",
    "工业园", "园区", "高速", "大桥", "隧道", "湖",
)  # fmt: skip
# Endings that look like a place suffix but name no place (线路 "route", 政府 …).
_NOT_PLACE = (
    "线路", "道路", "马路", "公路", "思路", "出路", "套路", "跑路", "走路", "修路", "让路",
    "政府", "街道办", "乡村", "进城", "县城", "全城",
)  # fmt: skip
_SUFFIX_RE = "|".join(sorted(PLACE_SUFFIXES, key=len, reverse=True))
# Administrative prefixes (A市, A5区, 西地省, K9县 …) and words that end a place name on the left.
_ADMIN = re.compile(r"[A-Z]\d*[省市区县]|[\u4e00-\u9fff]{2}省")
_BREAK_WORDS = (
    "关于", "反映", "投诉", "举报", "咨询", "请问", "建议", "希望", "要求", "请求", "恳请",
    "强烈", "解决", "处理", "整治", "问题", "附近", "周边", "门口", "对面", "旁边", "楼下",
    "业主", "居民", "村民", "我们", "我家", "本人", "位于", "存在", "严重", "何时", "什么",
    "为什么", "能否", "是否", "一直", "多次", "长期", "靠近", "距离", "经过", "进入", "作为",
    "调整", "安装", "改变", "相关", "某某", "每次", "充分", "并且", "还是", "以及", "或者",
    "导致", "造成", "影响", "进行", "没有", "已经", "但是", "可是", "因为", "所以", "目前",
    "现在", "今年", "去年", "自从", "通过", "根据", "按照", "包括", "其中", "非常", "特别",
    "的", "了", "请", "我",
)  # fmt: skip
# (single characters such as 和/在/与 are not breaks: they occur inside names — 禧和路, 在水一方)
_BREAK = re.compile("|".join(sorted(map(re.escape, _BREAK_WORDS), key=len, reverse=True)))
_NON_NAME = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")
_PLACE = re.compile(rf"([\u4e00-\u9fffA-Za-z0-9]{{1,8}}?)({_SUFFIX_RE})")
_TAIL = re.compile("小区|花园|家园|公寓|广场|大厦|社区|小学|中学|幼儿园|医院|市场|公园")
_GENERIC = re.compile(r"^(本|该|此|这个|那个|我们|我|同|一个|各|各个|全|整个|城乡|农村|城市)")
_STRIP_TAIL = ("小区", "社区")


def extract_places(text: str, limit: int = 5, *, trim: bool = False) -> list[str]:
    """Place names in Chinese text in order of appearance, e.g. ``"魅力之城小区"``, ``"联丰路"``.

    Administrative units (A市, A5区) and function words split the text into segments; in each
    segment a name is up to 8 characters before a place suffix. Names that are only a suffix
    or start with a generic word (本小区, 该村) are dropped. ``trim`` (for running text, where
    a verb often sits right before the name) cuts the name after the last two-character verb,
    preposition or adverb that jieba's tagger finds in it.
    """
    text = _ADMIN.sub("|", text)
    text = _BREAK.sub("|", text)
    found: list[str] = []
    for segment in _NON_NAME.sub("|", text).split("|"):
        if len(segment) < 3:
            continue
        pos = 0
        while (match := _PLACE.search(segment, pos)) is not None:
            stem, suffix = match.group(1), match.group(2)
            pos = match.end()
            tail = _TAIL.match(segment, pos)  # 魅力之城 + 小区: keep the compound
            if tail is not None:
                suffix += tail.group(0)
                pos = tail.end()
            if trim:
                stem = _trim_stem(stem)
            name = stem + suffix
            if len(stem) < 2 and len(suffix) < 2:
                continue
            if _GENERIC.match(name) or name in PLACE_SUFFIXES or name.endswith(_NOT_PLACE):
                continue
            if name not in found:
                found.append(name)
    return found[:limit]


_CUT_FLAGS = ("v", "p", "d", "c", "r")
EARTH_RADIUS_M = 6_371_000.0


@lru_cache(maxsize=65536)
def _trim_stem(stem: str) -> str:
    import jieba.posseg

    words = list(jieba.posseg.cut(stem))
    for i in range(len(words) - 1, -1, -1):
        w = words[i]
        if len(w.word) >= 2 and w.flag.startswith(_CUT_FLAGS):
            return "".join(x.word for x in words[i + 1 :])
    return stem


def place_key(name: str) -> str:
    """Normalised key for matching: '魅力之城小区' and '魅力之城' are the same place."""
    for tail in _STRIP_TAIL:
        if name.endswith(tail) and len(name) - len(tail) >= 2:
            return name[: -len(tail)]
    return name


# --- reports and issues -----------------------------------------------------------------------


@dataclass(frozen=True)
class HotReport:
    key: str
    title: str
    body: str
    when: datetime | None
    likes: int = 0
    against: int = 0
    reporter: str | None = None
    lat: float | None = None
    lon: float | None = None
    place: str | None = None  # a known place name; extracted from the text when None


@dataclass
class HotIssue:
    rank: int
    heat: float
    volume: float
    support: float
    intensity: float
    reports: int
    reporters: int
    likes: int
    against: int
    start: datetime | None
    end: datetime | None
    place: str
    keywords: list[str]
    title: str
    members: list[str] = field(default_factory=list)
    lat: float | None = None
    lon: float | None = None

    @property
    def span_days(self) -> float:
        if self.start is None or self.end is None:
            return 0.0
        return (self.end - self.start).total_seconds() / 86400.0


def heat_index(reporters: int, likes: int, span_days: float) -> tuple[float, float, float, float]:
    """(heat, volume, support, intensity) — see the module docstring for the formula."""
    weeks = max(span_days / 7.0, 1.0)
    volume = 2.0 * math.log1p(reporters)
    support = math.log1p(max(likes, 0))
    intensity = math.log1p(reporters / weeks)
    return volume + support + intensity, volume, support, intensity


@dataclass(frozen=True)
class HotspotParams:
    threshold: float = 0.3  # minimum average similarity inside a cluster
    place_bonus: float = 0.25
    place_mismatch: float = 0.3  # factor when both reports name places and share none
    time_scale_days: float = 180.0
    max_distance_m: float = 500.0
    min_reports: int = 3
    body_chars: int = 150
    max_reports: int = 60_000  # pairwise work grows with n²: about a minute at this size
    max_component: int = 15_000  # largest linked group clustered densely (~0.9 GB)


def _texts(reports: Sequence[HotReport], body_chars: int) -> list[str]:
    return [f"{r.title} {r.title} {r.body.strip()[:body_chars]}" for r in reports]


def tfidf_matrix(reports: Sequence[HotReport], body_chars: int = 150) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows of character 2–3-grams (title twice + start of the body)."""
    texts = [_ADMIN.sub(" ", t) for t in _texts(reports, body_chars)]
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), min_df=2, sublinear_tf=True)
    try:
        return sparse.csr_matrix(vec.fit_transform(texts), dtype=np.float32)
    except ValueError:  # empty vocabulary (tiny or empty input): every report stands alone
        return sparse.csr_matrix(sparse.eye(len(reports), dtype=np.float32))


def report_places(reports: Sequence[HotReport]) -> list[list[str]]:
    """A report's places: its known place, else those in its title, else those in its body."""
    out = []
    for r in reports:
        if r.place:
            out.append([r.place])
        else:
            out.append(extract_places(r.title) or extract_places(r.body[:150], trim=True))
    return out


@dataclass
class _Prepared:
    """Everything the pairwise similarity needs, as arrays over the reports."""

    text: sparse.csr_matrix  # n × terms
    place: sparse.csr_matrix  # n × place keys (0/1)
    named: np.ndarray  # report names at least one (usable) place
    days: np.ndarray  # NaN when undated
    lat: np.ndarray  # NaN when not located
    lon: np.ndarray


def _prepare(
    reports: Sequence[HotReport], params: HotspotParams, places: list[list[str]]
) -> _Prepared:
    n = len(reports)
    keys = [{place_key(p) for p in ps} for ps in places]
    counts = Counter(k for ks in keys for k in ks)
    # a "place" shared by half the corpus is no place
    usable = sorted(k for k, c in counts.items() if c < n // 2 + 2)
    column = {k: c for c, k in enumerate(usable)}
    rows, cols = [], []
    for i, ks in enumerate(keys):
        for k in ks:
            if k in column:
                rows.append(i)
                cols.append(column[k])
    place = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, max(len(usable), 1))
    )
    return _Prepared(
        text=tfidf_matrix(reports, params.body_chars),
        place=place,
        named=np.asarray(place.sum(axis=1)).ravel() > 0,
        days=np.array([r.when.timestamp() / 86400.0 if r.when else np.nan for r in reports]),
        lat=np.array(
            [r.lat if r.lat is not None and r.lon is not None else np.nan for r in reports]
        ),
        lon=np.array(
            [r.lon if r.lat is not None and r.lon is not None else np.nan for r in reports]
        ),
    )


def _text_place(
    prep: _Prepared, rows: np.ndarray, cols: np.ndarray, params: HotspotParams
) -> np.ndarray:
    """Text similarity with the same-place bonus / different-place factor, rows × cols."""
    sim = np.asarray((prep.text[rows] @ prep.text[cols].T).todense(), dtype=np.float32)
    same = np.asarray((prep.place[rows] @ prep.place[cols].T).todense()) > 0
    differ = prep.named[rows][:, None] & prep.named[cols][None, :] & ~same
    out: np.ndarray = np.where(
        differ, sim * np.float32(params.place_mismatch), sim + np.float32(params.place_bonus) * same
    )
    return out


def _time_space(prep: _Prepared, i: np.ndarray, j: np.ndarray, params: HotspotParams) -> np.ndarray:
    """Factor in [0, 1] per pair (i[k], j[k]): time decay, 0 beyond the distance limit.

    Distances use the equirectangular approximation (exact to well under 1 % at city scale).
    An undated report is not damped; a report without coordinates is never cut by distance.
    """
    gap = np.nan_to_num(np.abs(prep.days[i] - prep.days[j]), nan=0.0)
    factor: np.ndarray = np.exp(-gap / params.time_scale_days)
    mean_lat = np.radians((prep.lat[i] + prep.lat[j]) / 2)
    dx = np.radians(prep.lon[i] - prep.lon[j]) * np.cos(mean_lat)
    dy = np.radians(prep.lat[i] - prep.lat[j])
    with np.errstate(invalid="ignore"):
        far = (dx * dx + dy * dy) * EARTH_RADIUS_M**2 > params.max_distance_m**2  # NaN: False
    factor[far] = 0.0
    return factor


def _block(prep: _Prepared, idx: np.ndarray, params: HotspotParams) -> np.ndarray:
    """Dense combined similarity among the reports ``idx`` (see the module docstring)."""
    sim = _text_place(prep, idx, idx, params)
    i, j = np.meshgrid(idx, idx, indexing="ij")
    sim *= _time_space(prep, i.ravel(), j.ravel(), params).reshape(sim.shape).astype(np.float32)
    np.fill_diagonal(sim, 1.0)
    out: np.ndarray = np.clip(sim, 0.0, 1.0)
    return out


def combined_similarity(
    reports: Sequence[HotReport], params: HotspotParams, places: list[list[str]] | None = None
) -> np.ndarray:
    """The dense n × n combined similarity (for small inputs and inspection)."""
    prep = _prepare(reports, params, places if places is not None else report_places(reports))
    return _block(prep, np.arange(len(reports)), params)


def cluster_labels(sim: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage clusters whose mean pairwise similarity is at least ``threshold``."""
    n = sim.shape[0]
    if n == 0:
        return np.zeros(0, dtype=int)
    if n == 1:
        return np.ones(1, dtype=int)
    dist = 1.0 - np.maximum(sim, sim.T).astype(np.float64)
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average")
    return np.asarray(fcluster(tree, t=1.0 - threshold, criterion="distance"))


def _components(prep: _Prepared, n: int, params: HotspotParams, chunk: int = 1024) -> np.ndarray:
    """Connected components of the graph of pairs with similarity >= threshold.

    Exact shortcut: two average-linkage clusters merge only when their mean similarity reaches
    the threshold, so at least one pair across them does; every final cluster therefore lies in
    one component, and clustering component by component gives the same result as clustering
    all reports at once, in memory that grows with ``chunk × n`` instead of n².
    """
    everything = np.arange(n)
    rows_out, cols_out = [], []
    for start in range(0, n, chunk):
        rows = everything[start : start + chunk]
        upper = _text_place(prep, rows, everything, params)  # time and distance only lower it
        r, c = np.nonzero(upper >= params.threshold)
        i, j = rows[r], c
        keep = upper[r, c] * _time_space(prep, i, j, params) >= params.threshold
        rows_out.append(i[keep])
        cols_out.append(j[keep])
    r_all, c_all = np.concatenate(rows_out), np.concatenate(cols_out)
    graph = sparse.coo_matrix((np.ones(len(r_all), dtype=np.int8), (r_all, c_all)), shape=(n, n))
    _count, labels = connected_components(graph, directed=False)
    return np.asarray(labels)


def cluster_reports(
    reports: Sequence[HotReport], params: HotspotParams, places: list[list[str]]
) -> list[np.ndarray]:
    """Index arrays of the clusters with at least ``params.min_reports`` members."""
    n = len(reports)
    prep = _prepare(reports, params, places)
    components = _components(prep, n, params)
    clusters: list[np.ndarray] = []
    for comp in np.unique(components):
        idx = np.flatnonzero(components == comp)
        if len(idx) < params.min_reports:
            continue
        if len(idx) > params.max_component:
            raise ValueError(f"a linked group of {len(idx)} reports is too large to cluster")
        labels = cluster_labels(_block(prep, idx, params), params.threshold)
        for label in np.unique(labels):
            members = idx[labels == label]
            if len(members) >= params.min_reports:
                clusters.append(members)
    return clusters


def _keywords(titles: list[str], top: int = 5) -> list[str]:
    import jieba

    stop = set(_BREAK_WORDS) | {"A市", "市", "区", "县", "情况", "相关", "现象", "事情"}
    words: Counter[str] = Counter()
    for t in titles:
        seen = set()
        for w in jieba.lcut(_ADMIN.sub(" ", t)):
            w = w.strip()
            if len(w) >= 2 and w not in stop and not w.isdigit() and w not in seen:
                words[w] += 1
                seen.add(w)
    return [w for w, _ in words.most_common(top)]


def find_hot_issues(
    reports: Sequence[HotReport], params: HotspotParams | None = None, *, top: int | None = None
) -> list[HotIssue]:
    """Cluster ``reports`` and return the hot issues ranked by heat (highest first)."""
    params = params or HotspotParams()
    if len(reports) > params.max_reports:
        raise ValueError(f"too many reports for one pass ({len(reports)} > {params.max_reports})")
    if not reports:
        return []
    places = report_places(reports)
    issues = [
        _summarise([reports[int(i)] for i in idx], [places[int(i)] for i in idx])
        for idx in cluster_reports(reports, params, places)
    ]
    issues.sort(key=lambda h: (-h.heat, -h.reports, h.members[0]))
    for rank, issue in enumerate(issues, start=1):
        issue.rank = rank
    return issues[:top] if top else issues


def _summarise(members: list[HotReport], places: list[list[str]]) -> HotIssue:
    reporters = len({m.reporter or m.key for m in members})
    likes = sum(max(m.likes, 0) for m in members)
    dated = [m.when for m in members if m.when is not None]
    start = min(dated) if dated else None
    end = max(dated) if dated else None
    span = (end - start).total_seconds() / 86400.0 if start and end else 0.0
    heat, volume, support, intensity = heat_index(reporters, likes, span)
    counts: Counter[str] = Counter()
    spelled: dict[str, Counter[str]] = {}
    for ps in places:
        for p in dict.fromkeys(place_key(x) for x in ps):
            counts[p] += 1
        for x in ps:
            spelled.setdefault(place_key(x), Counter())[x] += 1
    place = ""
    if counts:
        key, _n = counts.most_common(1)[0]
        place = spelled[key].most_common(1)[0][0]
    titles = [m.title for m in members]
    # representative title: the member whose title shares most character bigrams with the rest
    grams = [{t[i : i + 2] for i in range(len(t) - 1)} for t in titles]
    total: Counter[str] = Counter(g for gs in grams for g in gs)
    best = max(range(len(titles)), key=lambda i: (sum(total[g] for g in grams[i]), -len(titles[i])))
    located = [m for m in members if m.lat is not None and m.lon is not None]
    return HotIssue(
        rank=0,
        heat=round(heat, 3),
        volume=round(volume, 3),
        support=round(support, 3),
        intensity=round(intensity, 3),
        reports=len(members),
        reporters=reporters,
        likes=likes,
        against=sum(max(m.against, 0) for m in members),
        start=start,
        end=end,
        place=place,
        keywords=_keywords(titles),
        title=titles[best],
        members=[m.key for m in members],
        lat=float(np.mean([m.lat for m in located if m.lat is not None])) if located else None,
        lon=float(np.mean([m.lon for m in located if m.lon is not None])) if located else None,
    )
