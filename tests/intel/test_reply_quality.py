"""Reply quality: hand-made good and bad replies, timeliness, and a sanity check on real data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from civicgrid.intel import reply_quality as rq
from civicgrid.intel import service
from civicgrid.models.workorder import WorkOrder
from tests.conftest import shared_data
from tests.fixtures.world import World

TITLE = "幸福小区3栋门口路灯不亮"
MESSAGE = "幸福小区3栋门口的路灯坏了一个多月，晚上漆黑一片，老人出行很危险。请问什么时候能修好？"
GOOD = (
    "网友您好！经核实，幸福小区3栋门口路灯因线路老化损坏。街道已安排维修人员于5月3日更换线路和灯具，"
    "目前已恢复照明。根据《城市照明管理规定》，小区公共照明由物业负责日常巡查，我们已督促物业加强维护。"
    "如有疑问，请拨打街道城管办联系电话0731-88886666。"
)
BOILERPLATE = "网友：您好！您的留言已收悉。感谢您对我们工作的关注和支持！"
FORWARDED = "网友您好！您反映的问题已转交相关部门调查处理。"
REFERRAL = "网友您好，此事请您向区住建局咨询。"
OFF_TOPIC = (
    "网友您好！关于您反映的义务教育阶段招生问题，经核实，我区严格按照划片招生政策执行，"
    "学位分配公开透明，报名时间为每年6月，具体请咨询区教育局招生办0731-84441234。"
)
T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)


def score(reply: str, days: float | None = 3) -> rq.ReplyScore:
    replied = T0 + timedelta(days=days) if days is not None else None
    return rq.score_reply(MESSAGE, reply, title=TITLE, asked_at=T0, replied_at=replied)


def test_a_concrete_relevant_reply_scores_high() -> None:
    good = score(GOOD)
    assert not good.non_answer
    assert good.relevance > 0.4 and good.completeness > 0.8 and good.timeliness == 1.0
    assert good.score > 0.7


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (BOILERPLATE, "只有套话"),
        (FORWARDED, "只有套话"),
        (REFERRAL, "只有套话"),
        (OFF_TOPIC, "答非所问"),
        ("", "只有套话"),
    ],
)
def test_non_answers_are_flagged(reply: str, reason: str) -> None:
    bad = score(reply)
    assert bad.non_answer
    assert bad.reasons[0].startswith(reason)
    assert bad.score <= 0.3 < score(GOOD).score


def test_referral_with_some_text_but_no_answer_is_flagged() -> None:
    reply = (
        "网友您好！您反映的情况已转交区城管局，请您直接联系区城管局执法大队，"
        "他们会根据具体情况安排人员前往处理，感谢您的理解。"
    )
    assert score(reply).non_answer


def test_completeness_lists_what_is_missing() -> None:
    vague = "网友您好！幸福小区3栋门口路灯的问题我们很重视，会认真研究，积极协调，争取早日解决。"
    result = score(vague)
    assert result.completeness < score(GOOD).completeness
    assert "没有联系方式" in result.reasons and "没有政策或法规依据" in result.reasons


def test_timeliness_decays_after_the_target() -> None:
    assert score(GOOD, days=10).timeliness == 1.0
    assert score(GOOD, days=30).timeliness == pytest.approx(0.5)
    assert score(GOOD, days=45).timeliness == pytest.approx(0.25)
    late = score(GOOD, days=45)
    assert late.score < score(GOOD, days=3).score
    assert any("天才答复" in r for r in late.reasons)
    missing = score(GOOD, days=None)
    assert missing.timeliness is None and missing.days is None
    early = score(GOOD, days=-1)
    assert early.timeliness is None and "答复时间早于留言时间" in early.reasons


def test_parse_time() -> None:
    stamp = rq.parse_time("2019-04-25 09:32:09")
    assert stamp is not None and stamp.utcoffset() == timedelta(hours=8)
    assert rq.parse_time("2019/04/25") is not None
    assert rq.parse_time("") is None and rq.parse_time("not a date") is None


def test_true_replies_beat_shuffled_replies_on_real_data() -> None:
    """On the shared reply data, a message's own reply outscores another message's reply for
    most messages, and boilerplate replies are the ones flagged."""
    data = pd.read_csv(shared_data("gov_replies", "train.csv"), dtype=str).fillna("")
    sample = data.sample(300, random_state=1).reset_index(drop=True)
    df, n = rq.document_frequencies(data["留言主题"] + "\n" + data["留言详情"])
    shuffled = sample["答复意见"].sample(frac=1.0, random_state=2).tolist()
    own, other = [], []
    for row, foreign in zip(sample.itertuples(), shuffled, strict=True):
        kw = {"title": row.留言主题, "df": df, "n_docs": n}
        own.append(rq.score_reply(row.留言详情, row.答复意见, **kw))
        other.append(rq.score_reply(row.留言详情, foreign, **kw))
    rel_own = np.array([s.relevance for s in own])
    rel_other = np.array([s.relevance for s in other])
    assert (rel_own > rel_other).mean() > 0.8
    assert (np.array([s.score for s in own]) > np.array([s.score for s in other])).mean() > 0.7
    flagged = [s for s in own if s.non_answer]
    assert 0.05 < len(flagged) / len(own) < 0.35
    assert np.mean([s.non_answer for s in other]) > 0.7
    short = [r for r, s in zip(sample["答复意见"], own, strict=True) if len(r) < 30]
    assert all(s.non_answer for r, s in zip(sample["答复意见"], own, strict=True) if len(r) < 30)
    assert short  # the sample does contain such replies


def test_reply_quality_of_a_work_order(db: Session, world: World) -> None:
    order = WorkOrder(
        code="RQ000001",
        title=TITLE,
        description=MESSAGE,
        status="replied",
        node_id=world.grids["D1-1"].id,
        reported_at=T0,
        replied_at=T0 + timedelta(days=2),
        reply=GOOD,
    )
    db.add(order)
    db.flush()
    result = service.reply_quality_of(order)
    assert result is not None and not result.non_answer and result.timeliness == 1.0
    order.reply = None
    assert service.reply_quality_of(order) is None
