"""Ledger event types: stable numeric codes, grouped by domain in blocks of one hundred.

A code, once released, never changes meaning and is never reused (old leaves keep it forever).
A new domain takes the next free block; a domain adds codes at the end of its block. The name is
for people; the leaf stores only the number.

====  =======================================================================
1xx   the ledger itself (erasures of event records)
2xx   territory and registries (组织架构, 基础数据)
3xx   work orders (工单): every transition of the closed loop
4xx   participation: micro-project proposals and votes (民生微实事, 协商议事)
5xx   volunteers and the time bank (时间银行/积分制)
6xx   benefit decisions (免申即享 and other public-service entitlements)
7xx   collective assets, funds and resources of villages/communities (三资)
8xx   evaluation (考核评价)
9xx   accounts and security (roles granted, data unmasked)
====  =======================================================================
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class EventType(IntEnum):
    # 1xx ledger
    LEDGER_RECORD_ERASED = 101  # event records erased (e.g. under PIPL); payload lists leaf indices

    # 2xx territory and registries
    ORG_NODE_CHANGED = 201
    REGISTRY_IMPORTED = 202
    PERSON_ERASED = 203

    # 3xx work orders
    WORKORDER_OPENED = 301
    WORKORDER_TRIAGED = 302
    WORKORDER_DISPATCHED = 303
    WORKORDER_ACCEPTED = 304
    WORKORDER_RETURNED = 305
    WORKORDER_REASSIGNED = 306
    WORKORDER_STARTED = 307
    WORKORDER_PAUSED = 308
    WORKORDER_RESUMED = 309
    WORKORDER_REPLIED = 310
    WORKORDER_CONFIRMED = 311
    WORKORDER_REOPENED = 312
    WORKORDER_CLOSED = 313
    WORKORDER_ASSESSED = 314
    WORKORDER_MERGED = 315
    WORKORDER_ESCALATED = 316
    WORKORDER_JOINT_SUMMONED = 317
    WORKORDER_PART_UPDATED = 318
    WORKORDER_RATED = 319
    WORKORDER_MEDIATION = 320
    WORKORDER_SLA_WARNED = 321
    WORKORDER_SLA_OVERDUE = 322
    WORKORDER_INVALIDATED = 323
    WORKORDER_NOTE = 324  # a timeline note that is not a state change (escalation, part report)
    WORKORDER_TRANSITIONED = 399  # any transition without a code of its own

    # 4xx participation
    PROPOSAL_SUBMITTED = 401
    PROPOSAL_SHORTLISTED = 402
    VOTE_ROUND_OPENED = 403
    VOTE_CAST = 404
    VOTE_ROUND_CLOSED = 405
    VOTE_RESULT_PUBLISHED = 406
    RESOLUTION_ADOPTED = 407
    PROJECT_PROGRESS = 408

    # 5xx time bank
    VOLUNTEER_REGISTERED = 501
    TIMEBANK_HOURS_CONFIRMED = 502
    TIMEBANK_POINTS_TRANSFERRED = 503
    TIMEBANK_POINTS_REDEEMED = 504
    TIMEBANK_POINTS_REVERSED = 505

    # 6xx benefit decisions
    BENEFIT_ELIGIBILITY_FOUND = 601
    BENEFIT_APPROVED = 602
    BENEFIT_REJECTED = 603
    BENEFIT_REVOKED = 604
    BENEFIT_PAID = 605

    # 7xx collective assets 三资
    ASSET_REGISTERED = 701
    ASSET_CONTRACT_SIGNED = 702
    ASSET_FUNDS_RECEIVED = 703
    ASSET_FUNDS_DISBURSED = 704
    ASSET_DISPOSED = 705
    ASSET_ACCOUNTS_PUBLISHED = 706

    # 8xx evaluation
    ASSESSMENT_PUBLISHED = 801
    SURVEY_IMPORTED = 802

    # 9xx accounts and security
    ROLE_GRANTED = 901
    ROLE_REVOKED = 902
    DATA_UNMASKED = 903


# Module-level names, so callers can write ``events.WORKORDER_OPENED``.
LEDGER_RECORD_ERASED = EventType.LEDGER_RECORD_ERASED
ORG_NODE_CHANGED = EventType.ORG_NODE_CHANGED
REGISTRY_IMPORTED = EventType.REGISTRY_IMPORTED
PERSON_ERASED = EventType.PERSON_ERASED
WORKORDER_OPENED = EventType.WORKORDER_OPENED
WORKORDER_TRIAGED = EventType.WORKORDER_TRIAGED
WORKORDER_DISPATCHED = EventType.WORKORDER_DISPATCHED
WORKORDER_ACCEPTED = EventType.WORKORDER_ACCEPTED
WORKORDER_RETURNED = EventType.WORKORDER_RETURNED
WORKORDER_REASSIGNED = EventType.WORKORDER_REASSIGNED
WORKORDER_STARTED = EventType.WORKORDER_STARTED
WORKORDER_PAUSED = EventType.WORKORDER_PAUSED
WORKORDER_RESUMED = EventType.WORKORDER_RESUMED
WORKORDER_REPLIED = EventType.WORKORDER_REPLIED
WORKORDER_CONFIRMED = EventType.WORKORDER_CONFIRMED
WORKORDER_REOPENED = EventType.WORKORDER_REOPENED
WORKORDER_CLOSED = EventType.WORKORDER_CLOSED
WORKORDER_ASSESSED = EventType.WORKORDER_ASSESSED
WORKORDER_MERGED = EventType.WORKORDER_MERGED
WORKORDER_ESCALATED = EventType.WORKORDER_ESCALATED
WORKORDER_JOINT_SUMMONED = EventType.WORKORDER_JOINT_SUMMONED
WORKORDER_PART_UPDATED = EventType.WORKORDER_PART_UPDATED
WORKORDER_RATED = EventType.WORKORDER_RATED
WORKORDER_MEDIATION = EventType.WORKORDER_MEDIATION
WORKORDER_SLA_WARNED = EventType.WORKORDER_SLA_WARNED
WORKORDER_SLA_OVERDUE = EventType.WORKORDER_SLA_OVERDUE
WORKORDER_INVALIDATED = EventType.WORKORDER_INVALIDATED
WORKORDER_NOTE = EventType.WORKORDER_NOTE
WORKORDER_TRANSITIONED = EventType.WORKORDER_TRANSITIONED
PROPOSAL_SUBMITTED = EventType.PROPOSAL_SUBMITTED
PROPOSAL_SHORTLISTED = EventType.PROPOSAL_SHORTLISTED
VOTE_ROUND_OPENED = EventType.VOTE_ROUND_OPENED
VOTE_CAST = EventType.VOTE_CAST
VOTE_ROUND_CLOSED = EventType.VOTE_ROUND_CLOSED
VOTE_RESULT_PUBLISHED = EventType.VOTE_RESULT_PUBLISHED
RESOLUTION_ADOPTED = EventType.RESOLUTION_ADOPTED
PROJECT_PROGRESS = EventType.PROJECT_PROGRESS
VOLUNTEER_REGISTERED = EventType.VOLUNTEER_REGISTERED
TIMEBANK_HOURS_CONFIRMED = EventType.TIMEBANK_HOURS_CONFIRMED
TIMEBANK_POINTS_TRANSFERRED = EventType.TIMEBANK_POINTS_TRANSFERRED
TIMEBANK_POINTS_REDEEMED = EventType.TIMEBANK_POINTS_REDEEMED
TIMEBANK_POINTS_REVERSED = EventType.TIMEBANK_POINTS_REVERSED
BENEFIT_ELIGIBILITY_FOUND = EventType.BENEFIT_ELIGIBILITY_FOUND
BENEFIT_APPROVED = EventType.BENEFIT_APPROVED
BENEFIT_REJECTED = EventType.BENEFIT_REJECTED
BENEFIT_REVOKED = EventType.BENEFIT_REVOKED
BENEFIT_PAID = EventType.BENEFIT_PAID
ASSET_REGISTERED = EventType.ASSET_REGISTERED
ASSET_CONTRACT_SIGNED = EventType.ASSET_CONTRACT_SIGNED
ASSET_FUNDS_RECEIVED = EventType.ASSET_FUNDS_RECEIVED
ASSET_FUNDS_DISBURSED = EventType.ASSET_FUNDS_DISBURSED
ASSET_DISPOSED = EventType.ASSET_DISPOSED
ASSET_ACCOUNTS_PUBLISHED = EventType.ASSET_ACCOUNTS_PUBLISHED
ASSESSMENT_PUBLISHED = EventType.ASSESSMENT_PUBLISHED
SURVEY_IMPORTED = EventType.SURVEY_IMPORTED
ROLE_GRANTED = EventType.ROLE_GRANTED
ROLE_REVOKED = EventType.ROLE_REVOKED
DATA_UNMASKED = EventType.DATA_UNMASKED


DOMAINS: dict[int, str] = {
    1: "ledger",
    2: "registry",
    3: "workorders",
    4: "participation",
    5: "timebank",
    6: "benefits",
    7: "collective_assets",
    8: "evaluation",
    9: "auth",
}


def domain_of(code: int) -> str:
    """The domain a code belongs to (its block of one hundred)."""
    return DOMAINS.get(code // 100, "unknown")


def is_known(code: int) -> bool:
    try:
        EventType(code)
    except ValueError:
        return False
    return True


def name_of(code: int) -> str:
    """The event's name, or ``EVENT_<code>`` for a code this release does not know."""
    try:
        return EventType(code).name
    except ValueError:
        return f"EVENT_{code}"
