"""工单状态机 — the closed loop as an explicit transition table. Pure: no database, no I/O.

发现 → 上报 → 分流 → 处置 → 反馈 → 考核

Every move is a row of ``TRANSITIONS``: (from state, action) → (to state, who may, what it needs).
Anything not in the table is impossible; ``allowed_actions`` lists what a role may do next, which is
exactly what the workbench shows as buttons and what the 409 error names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    REPORTED = "reported"  # 已上报
    TRIAGED = "triaged"  # 已分流 (大事/小事: government or community)
    DISPATCHED = "dispatched"  # 已派单
    ACCEPTED = "accepted"  # 已签收
    IN_PROGRESS = "in_progress"  # 处置中
    PAUSED = "paused"  # 已挂起
    MEDIATING = "mediating"  # 调解中 (矛盾纠纷)
    RETURNED = "returned"  # 已退单 (waiting for the dispatcher to re-route)
    REPLIED = "replied"  # 已答复 (waiting for the resident's confirmation)
    REOPENED = "reopened"  # 已重办 (resident dissatisfied)
    CLOSED = "closed"  # 已办结
    ASSESSED = "assessed"  # 已考核
    REJECTED = "rejected"  # 已驳回 (invalid report)
    MERGED = "merged"  # 已合并 (duplicate)
    SELF_HELP = "self_help"  # 引导自治 (private matter, guided to self-resolution)


STATE_LABELS: dict[State, str] = {
    State.REPORTED: "已上报",
    State.TRIAGED: "已分流",
    State.DISPATCHED: "已派单",
    State.ACCEPTED: "已签收",
    State.IN_PROGRESS: "处置中",
    State.PAUSED: "已挂起",
    State.MEDIATING: "调解中",
    State.RETURNED: "已退单",
    State.REPLIED: "已答复",
    State.REOPENED: "已重办",
    State.CLOSED: "已办结",
    State.ASSESSED: "已考核",
    State.REJECTED: "已驳回",
    State.MERGED: "已合并",
    State.SELF_HELP: "引导自治",
}


class Action(StrEnum):
    TRIAGE = "triage"
    REJECT = "reject"
    MERGE = "merge"
    GUIDE_SELF_HELP = "guide_self_help"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"  # 退单
    REASSIGN = "reassign"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    START_MEDIATION = "start_mediation"
    RECORD_AGREEMENT = "record_agreement"
    REFER = "refer"  # 诉调对接: referral to arbitration or court
    REPLY = "reply"
    CONFIRM = "confirm"  # resident rates 满意/基本满意
    REOPEN = "reopen"  # resident rates 不满意
    CLOSE = "close"  # dispatcher closes (e.g. no confirmation within the window)
    ASSESS = "assess"
    WHISTLE = "whistle"  # 吹哨: summon several departments (joint handling)


ACTION_LABELS: dict[Action, str] = {
    Action.TRIAGE: "分流",
    Action.REJECT: "驳回",
    Action.MERGE: "合并",
    Action.GUIDE_SELF_HELP: "引导自治",
    Action.DISPATCH: "派单",
    Action.ACCEPT: "签收",
    Action.RETURN: "退单",
    Action.REASSIGN: "改派",
    Action.START: "开始处置",
    Action.PAUSE: "挂起",
    Action.RESUME: "恢复",
    Action.START_MEDIATION: "开始调解",
    Action.RECORD_AGREEMENT: "达成调解协议",
    Action.REFER: "诉调对接",
    Action.REPLY: "答复",
    Action.CONFIRM: "确认办结",
    Action.REOPEN: "不满意重办",
    Action.CLOSE: "办结",
    Action.ASSESS: "考核",
    Action.WHISTLE: "吹哨",
}


class Role(StrEnum):
    """Roles as the accounts layer names them (auth/roles.py holds the permission table)."""

    RESIDENT = "resident"
    GRID_WORKER = "grid_worker"
    HOTLINE_OPERATOR = "hotline_operator"
    DISPATCHER = "dispatcher"
    DEPARTMENT_HANDLER = "department_handler"
    LEADER = "leader"
    EVALUATOR = "evaluator"
    ADMIN = "admin"
    SYSTEM = "system"  # SLA jobs, sensors, imports


@dataclass(frozen=True)
class Transition:
    source: State
    action: Action
    target: State
    roles: frozenset[Role]
    needs_reason: bool = False
    counts_as: str | None = None  # "returns" | "reassignments" | "reopens": buck-passing indicators


STAFF_ROUTERS = frozenset({Role.DISPATCHER, Role.ADMIN})
HANDLERS = frozenset({Role.DEPARTMENT_HANDLER, Role.GRID_WORKER})
RESIDENT = frozenset({Role.RESIDENT})
SYSTEM = frozenset({Role.SYSTEM})

_ROWS: list[Transition] = [
    # 分流 triage
    Transition(State.REPORTED, Action.TRIAGE, State.TRIAGED, STAFF_ROUTERS),
    Transition(State.REPORTED, Action.REJECT, State.REJECTED, STAFF_ROUTERS, needs_reason=True),
    Transition(State.REPORTED, Action.MERGE, State.MERGED, STAFF_ROUTERS, needs_reason=True),
    Transition(
        State.REPORTED, Action.GUIDE_SELF_HELP, State.SELF_HELP, STAFF_ROUTERS, needs_reason=True
    ),
    Transition(State.REPORTED, Action.DISPATCH, State.DISPATCHED, STAFF_ROUTERS | SYSTEM),
    Transition(State.TRIAGED, Action.DISPATCH, State.DISPATCHED, STAFF_ROUTERS | SYSTEM),
    Transition(State.TRIAGED, Action.REJECT, State.REJECTED, STAFF_ROUTERS, needs_reason=True),
    Transition(State.TRIAGED, Action.MERGE, State.MERGED, STAFF_ROUTERS, needs_reason=True),
    Transition(
        State.TRIAGED, Action.GUIDE_SELF_HELP, State.SELF_HELP, STAFF_ROUTERS, needs_reason=True
    ),
    Transition(State.RETURNED, Action.DISPATCH, State.DISPATCHED, STAFF_ROUTERS),
    Transition(State.RETURNED, Action.REJECT, State.REJECTED, STAFF_ROUTERS, needs_reason=True),
    # 处置 handling
    Transition(State.DISPATCHED, Action.ACCEPT, State.ACCEPTED, HANDLERS),
    Transition(
        State.DISPATCHED,
        Action.RETURN,
        State.RETURNED,
        HANDLERS,
        needs_reason=True,
        counts_as="returns",
    ),
    Transition(
        State.DISPATCHED,
        Action.REASSIGN,
        State.DISPATCHED,
        STAFF_ROUTERS,
        needs_reason=True,
        counts_as="reassignments",
    ),
    Transition(State.ACCEPTED, Action.START, State.IN_PROGRESS, HANDLERS),
    Transition(
        State.ACCEPTED,
        Action.RETURN,
        State.RETURNED,
        HANDLERS,
        needs_reason=True,
        counts_as="returns",
    ),
    Transition(
        State.ACCEPTED,
        Action.REASSIGN,
        State.DISPATCHED,
        STAFF_ROUTERS,
        needs_reason=True,
        counts_as="reassignments",
    ),
    Transition(State.ACCEPTED, Action.START_MEDIATION, State.MEDIATING, HANDLERS | STAFF_ROUTERS),
    Transition(
        State.IN_PROGRESS, Action.PAUSE, State.PAUSED, HANDLERS | STAFF_ROUTERS, needs_reason=True
    ),
    Transition(
        State.PAUSED, Action.RESUME, State.IN_PROGRESS, HANDLERS | STAFF_ROUTERS, needs_reason=True
    ),
    Transition(State.IN_PROGRESS, Action.REPLY, State.REPLIED, HANDLERS),
    Transition(
        State.IN_PROGRESS,
        Action.REASSIGN,
        State.DISPATCHED,
        STAFF_ROUTERS,
        needs_reason=True,
        counts_as="reassignments",
    ),
    Transition(
        State.IN_PROGRESS, Action.START_MEDIATION, State.MEDIATING, HANDLERS | STAFF_ROUTERS
    ),
    Transition(
        State.IN_PROGRESS, Action.WHISTLE, State.IN_PROGRESS, STAFF_ROUTERS, needs_reason=True
    ),
    Transition(State.ACCEPTED, Action.WHISTLE, State.IN_PROGRESS, STAFF_ROUTERS, needs_reason=True),
    Transition(
        State.DISPATCHED, Action.WHISTLE, State.IN_PROGRESS, STAFF_ROUTERS, needs_reason=True
    ),
    # 矛盾纠纷 mediation path
    Transition(State.MEDIATING, Action.RECORD_AGREEMENT, State.REPLIED, HANDLERS | STAFF_ROUTERS),
    Transition(
        State.MEDIATING, Action.REFER, State.REPLIED, HANDLERS | STAFF_ROUTERS, needs_reason=True
    ),
    # 反馈 feedback
    Transition(State.REPLIED, Action.CONFIRM, State.CLOSED, RESIDENT | STAFF_ROUTERS),
    Transition(
        State.REPLIED,
        Action.REOPEN,
        State.REOPENED,
        RESIDENT | STAFF_ROUTERS,
        needs_reason=True,
        counts_as="reopens",
    ),
    Transition(State.REPLIED, Action.CLOSE, State.CLOSED, STAFF_ROUTERS | SYSTEM),
    Transition(State.REOPENED, Action.DISPATCH, State.DISPATCHED, STAFF_ROUTERS | SYSTEM),
    Transition(State.REOPENED, Action.START, State.IN_PROGRESS, HANDLERS),
    # 考核 assessment
    Transition(State.CLOSED, Action.ASSESS, State.ASSESSED, STAFF_ROUTERS | SYSTEM),
    Transition(State.SELF_HELP, Action.ASSESS, State.ASSESSED, STAFF_ROUTERS | SYSTEM),
]

TRANSITIONS: dict[tuple[State, Action], Transition] = {(t.source, t.action): t for t in _ROWS}
if len(TRANSITIONS) != len(_ROWS):
    raise RuntimeError("duplicate (state, action) row in the transition table")

TERMINAL = frozenset({State.ASSESSED, State.REJECTED, State.MERGED})
OPEN_STATES = frozenset(
    {
        State.REPORTED,
        State.TRIAGED,
        State.DISPATCHED,
        State.ACCEPTED,
        State.IN_PROGRESS,
        State.PAUSED,
        State.MEDIATING,
        State.RETURNED,
        State.REOPENED,
    }
)
DONE_STATES = frozenset({State.REPLIED, State.CLOSED, State.ASSESSED, State.SELF_HELP})
CLOSED_STATES = frozenset({State.CLOSED, State.ASSESSED, State.SELF_HELP})
SLA_PAUSED = frozenset({State.PAUSED})


def find(source: State, action: Action) -> Transition | None:
    return TRANSITIONS.get((source, action))


def allowed_actions(source: State, roles: frozenset[Role] | set[Role]) -> list[Action]:
    """Actions any of ``roles`` may take from ``source``, in table order."""
    return [t.action for t in _ROWS if t.source == source and t.roles & set(roles)]


def all_actions(source: State) -> list[Action]:
    return [t.action for t in _ROWS if t.source == source]


def reachable_from(start: State = State.REPORTED) -> set[State]:
    seen = {start}
    frontier = [start]
    while frontier:
        state = frontier.pop()
        for t in _ROWS:
            if t.source == state and t.target not in seen:
                seen.add(t.target)
                frontier.append(t.target)
    return seen


def mermaid() -> str:
    """The table as a Mermaid state diagram (rendered in docs/domains/workorders.md)."""
    lines = ["stateDiagram-v2", "    [*] --> reported"]
    for t in _ROWS:
        lines.append(f"    {t.source.value} --> {t.target.value}: {t.action.value}")
    for s in sorted(TERMINAL):
        lines.append(f"    {s.value} --> [*]")
    return "\n".join(lines)
