"""答复质量 — scores a department's reply against the citizen's message.

Three scores in [0, 1] and a flag:

- relevance: how much of what the message is about the reply talks about. The message's key
  terms (content words, weighted by rarity when a corpus is given, title terms counted twice)
  are looked up in the reply text; blended with the share of the message's character bigrams
  that the reply contains, which survives segmentation differences;
- completeness: whether the reply has substance: findings or actions taken (经核实, 已安排,
  责令整改 ...), a time or deadline, a legal or policy basis, a contact, an answer to each
  question the message asks, and enough text once greetings and set phrases are removed;
- timeliness: 1 within ``target_days`` of the message, then decaying (half-life
  ``target_days``); None when either time is missing or the reply predates the message;
- non_answer (答非所问 / 套话): the reply is set phrases only ("留言已收悉", "已转交相关部门"),
  a bare referral elsewhere, or has almost nothing in common with the message.

Pure functions. The rules were checked on gov_replies/train.csv (see
docs/domains/intelligence.md): a true reply outscores a reply to another message for most
messages, and the flagged replies are the boilerplate ones.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from civicgrid.intel import text as tx
from civicgrid.kit.timeutil import LOCAL_TZ

TARGET_DAYS = 15.0
MAX_TERMS = 15
MIN_SUBSTANCE_CHARS = 25
NON_ANSWER_RELEVANCE = 0.05
OFF_TOPIC_RELEVANCE = 0.02
"""Below 0.02 a reply is off-topic whatever it says; below 0.05 unless it reports findings."""

# Words that carry no topic in this genre (greetings, forms of address, the act of replying).
GENERIC_WORDS = frozenset(
    [
        "网友",
        "您好",
        "你好",
        "留言",
        "来信",
        "收悉",
        "已收悉",
        "反映",
        "问题",
        "情况",
        "回复",
        "答复",
        "如下",
        "现将",
        "感谢",
        "关注",
        "支持",
        "理解",
        "尊敬",
        "领导",
        "希望",
        "请求",
        "请问",
        "谢谢",
        "相关",
        "部门",
        "有关",
        "单位",
        "工作",
        "我们",
        "你们",
        "您们",
        "现在",
        "目前",
        "一直",
        "已经",
        "进行",
        "要求",
        "处理",
        "解决",
        "关于",
        "市民",
        "群众",
        "老百姓",
        "政府",
        "网民",
        "平台",
        "栏目",
        "问政",
        "书记",
        "市长",
        "同志",
        "咨询",
        "建议",
        "一个",
        "没有",
        "这个",
        "那个",
        "今年",
        "去年",
        "时间",
        "时候",
        "月份",
        "年度",
    ]
)

# Set phrases removed before measuring how much substance a reply has.
BOILERPLATE = [
    r"网友[“\"]?[A-Za-z0-9_]*[”\"]?[:：，,]?",
    r"(您|你)好[！!，,。]?",
    r"(您的|你的)?(留言|来信|意见|问题|诉求)(已|己)?收悉[！!，,。]?",
    r"现(将|就)?(有关)?(情况|问题)?(答复|回复)如下[:：]?",
    r"(感谢|谢谢)(您|你)?(对|的)?[^。！!]{0,20}(关注|关心|支持|理解|监督)[！!。]?",
    r"(已|己)?(转交|转至|转给|转到|移交)(相关|有关)?(部门|单位)?[^。！!]{0,12}(办理|处理|调查|核实|答复)?[。！!]?",
    r"[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日",
    r"[“\"]?[A-Z]{1,3}[0-9]{4,}[”\"]?",
]
_BOILERPLATE_RE = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE))
_REFERRAL_RE = re.compile(r"(请|建议|可)(您|你)?(向|到|咨询|联系|拨打|前往)|转交|转至|移交|转办")

ACTION_TERMS = [
    "经核实",
    "经调查",
    "经查",
    "经了解",
    "调查核实",
    "现场",
    "核查",
    "已安排",
    "已责令",
    "责令",
    "整改",
    "已完成",
    "已经完成",
    "维修",
    "修复",
    "清理",
    "清运",
    "拆除",
    "查处",
    "处罚",
    "立案",
    "约谈",
    "督促",
    "协调",
    "落实",
    "已解决",
    "已处理",
    "已于",
    "将于",
    "已将",
    "安排",
    "派出",
    "组织",
    "开展",
    "启动",
    "纳入",
    "列入",
    "办理",
    "审批",
    "补发",
    "退还",
    "发放",
    "恢复",
    "更换",
    "疏通",
    "整治",
    "答复如下",
    "具体如下",
]
TIME_RE = re.compile(
    r"[0-9一二三四五六七八九十]{1,4}(年|月|日|号|个工作日|天|周|小时)|预计|近期|月底|年底|之前|以前|尽快|"
    r"截至|目前已|下一步|下阶段"
)
BASIS_RE = re.compile(r"根据|依据|按照|依照|规定|条例|办法|政策|文件|《[^》]{2,40}》")
CONTACT_RE = re.compile(
    r"(联系|咨询|服务|投诉)电话|电话[:：]?\s*[0-9]|[0-9]{3,4}[-－—][0-9]{7,8}|1[3-9][0-9]{9}|"
    r"[0-9]{7,8}(?![0-9])|联系人|可拨打|窗口|地址[:：]"
)
# The reply reports what was found or done about this case (a short reply can still answer).
FINDINGS_RE = re.compile(
    r"经查|据查|经核实|经调查|经了解|核查|已立案|立案|已责令|已安排|已派|已完成|已处理"
)
WHEN_RE = re.compile(r"什么时候|何时|多久|多长时间|哪天|几时|时间表|期限")
QUESTION_RE = re.compile(
    r"[^。！!？?\n]*(?:[？?]|能否|是否|何时|怎么|如何|为什么|为何|多少|哪里)[^。！!？?\n]*"
)


@dataclass(frozen=True)
class ReplyScore:
    relevance: float
    completeness: float
    timeliness: float | None
    score: float
    non_answer: bool
    reasons: list[str] = field(default_factory=list)
    days: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "relevance": self.relevance,
            "completeness": self.completeness,
            "timeliness": self.timeliness,
            "score": self.score,
            "non_answer": self.non_answer,
            "reasons": list(self.reasons),
            "days": self.days,
        }


def parse_time(value: object) -> datetime | None:
    """A cell from a table as an aware datetime (naive values are Asia/Shanghai)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        stamp = value
    else:
        text = str(value).strip()
        try:
            stamp = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=LOCAL_TZ)


def document_frequencies(messages: Iterable[str]) -> tuple[dict[str, int], int]:
    """Per-term document frequency over a corpus of messages, to weight rare terms higher."""
    df: Counter[str] = Counter()
    n = 0
    for message in messages:
        n += 1
        df.update(set(_content_words(tx.tokenize(message))))
    return dict(df), n


def _content_words(tokens: Sequence[str]) -> list[str]:
    return [
        t
        for t in tokens
        if len(t) >= 2 and t not in GENERIC_WORDS and not t.isdigit() and not t.isascii()
    ]


def key_terms(
    message: str,
    title: str | None = None,
    df: Mapping[str, int] | None = None,
    n_docs: int = 0,
) -> dict[str, float]:
    """The message's key terms with weights (tf x idf; title terms count twice)."""
    counts: Counter[str] = Counter(_content_words(tx.tokenize(message)))
    if title:
        counts.update(dict.fromkeys(_content_words(tx.tokenize(title)), 2))
    weights = {}
    for term, tf in counts.items():
        idf = math.log((1 + n_docs) / (1 + df.get(term, 0))) + 1 if df and n_docs else 1.0
        weights[term] = (1 + math.log(tf)) * idf
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TERMS]
    return dict(top)


def substance(reply: str) -> str:
    """The reply without greetings, set phrases, dates, ids, whitespace and punctuation."""
    stripped = _BOILERPLATE_RE.sub("", reply)
    return "".join(ch for ch in stripped if ch.isalnum())


def relevance(message: str, reply: str, terms: Mapping[str, float]) -> float:
    """Weighted share of key terms found in the reply, blended with bigram containment."""
    compact_reply = "".join(reply.split())
    if not compact_reply:
        return 0.0
    total = sum(terms.values())
    covered = sum(w for t, w in terms.items() if t in compact_reply) / total if total else 0.0
    grams = tx.char_ngrams(_BOILERPLATE_RE.sub("", message), 2)
    reply_grams = tx.char_ngrams(compact_reply, 2)
    contained = len(grams & reply_grams) / len(grams) if grams else 0.0
    return min(1.0, 0.7 * covered + 0.3 * min(1.0, 2 * contained))


def completeness(message: str, reply: str) -> tuple[float, list[str]]:
    """Substance checklist score and the missing items (as reasons)."""
    body = substance(reply)
    missing = []
    parts: list[tuple[float, bool, str]] = [
        (0.25, any(a in reply for a in ACTION_TERMS), "没有说明调查结果或处理措施"),
        (0.15, bool(TIME_RE.search(_BOILERPLATE_RE.sub("", reply))), "没有时间或办理期限"),
        (0.15, bool(BASIS_RE.search(reply)), "没有政策或法规依据"),
        (0.10, bool(CONTACT_RE.search(reply)), "没有联系方式"),
        (0.20, len(body) >= 4 * MIN_SUBSTANCE_CHARS, "内容过短"),
    ]
    questions = [q for q in QUESTION_RE.findall(message) if len(q.strip()) >= 4]
    answered = 1.0
    if questions:
        hits = 0
        has_time = bool(TIME_RE.search(_BOILERPLATE_RE.sub("", reply)))
        for q in questions[:5]:
            words = _content_words(tx.tokenize(q))
            if not words or any(w in reply for w in words) or (has_time and WHEN_RE.search(q)):
                hits += 1
        answered = hits / min(len(questions), 5)
    score = 0.15 * answered
    if answered < 0.5:
        missing.append("未回应所提问题")
    for weight, ok, reason in parts:
        if ok:
            score += weight
        else:
            missing.append(reason)
    return min(1.0, score), missing


def timeliness(
    asked_at: datetime | None, replied_at: datetime | None, target_days: float = TARGET_DAYS
) -> tuple[float | None, float | None]:
    """(score, days): 1 within ``target_days``, halving every further ``target_days``."""
    if asked_at is None or replied_at is None:
        return None, None
    days = (replied_at - asked_at).total_seconds() / 86400
    if days < 0:
        return None, days
    if days <= target_days:
        return 1.0, days
    return 0.5 ** ((days - target_days) / target_days), days


def score_reply(
    message: str,
    reply: str,
    *,
    title: str | None = None,
    asked_at: datetime | None = None,
    replied_at: datetime | None = None,
    target_days: float = TARGET_DAYS,
    df: Mapping[str, int] | None = None,
    n_docs: int = 0,
) -> ReplyScore:
    """Score one reply. ``df``/``n_docs`` (see ``document_frequencies``) weight rare terms."""
    reply = reply or ""
    full_message = tx.compose(title, message)
    terms = key_terms(message, title, df, n_docs)
    rel = relevance(full_message, reply, terms)
    comp, reasons = completeness(full_message, reply)
    time_score, days = timeliness(asked_at, replied_at, target_days)
    body = substance(reply)
    findings = bool(FINDINGS_RE.search(reply))
    non_answer = False
    if len(body) < MIN_SUBSTANCE_CHARS:
        non_answer = True
        reasons.insert(0, "只有套话，没有实质内容")
    elif rel < OFF_TOPIC_RELEVANCE or (rel < NON_ANSWER_RELEVANCE and not findings):
        non_answer = True
        reasons.insert(0, "答非所问：与留言内容几乎无关")
    elif (
        _REFERRAL_RE.search(reply)
        and len(body) < 3 * MIN_SUBSTANCE_CHARS
        and rel < 0.3
        and not findings
    ):
        non_answer = True
        reasons.insert(0, "只转交或让对方另找部门，没有答复")
    if days is not None and days < 0:
        reasons.append("答复时间早于留言时间")
    elif time_score is not None and time_score < 1.0:
        reasons.append(f"超过 {target_days:g} 天才答复（{days:.0f} 天）")
    weights = [(0.45, rel), (0.35, comp)]
    if time_score is not None:
        weights.append((0.20, time_score))
    score = sum(w * v for w, v in weights) / sum(w for w, _v in weights)
    if non_answer:
        score = min(score, 0.3)
    return ReplyScore(
        relevance=rel,
        completeness=comp,
        timeliness=time_score,
        score=score,
        non_answer=non_answer,
        reasons=reasons,
        days=days,
    )
