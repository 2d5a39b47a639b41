"""A tiny hand-made data set for the metric tests, on top of the seed world (March 2025).

Every figure the tests expect can be read off this file:

D1-1 (worker 张三), valid orders o1 o2 o3 o4 o6 o7 (o5 rejected, o8 reported after March):
  o1 patrol   closed 2 h   due ok   满意     in grid   环境卫生  城管局
  o2 resident closed 24 h  late     基本满意 returned 1 环境卫生 reporter P1  城管局
  o3 resident open, overdue         returned 2, reassigned 1  市政设施 reporter P1  住建局
  o4 sensor   closed 6 h   due ok   不满意   reopened, in grid  市政设施 at 光明街8号  住建局
  o6 resident closed 10 h  due ok   满意     in grid   环境卫生 reporter P1 (repeat of o2)  城管局
  o7 patrol   open, no due date, week 2 of March
  o0 (Feb 20, before the period) 市政设施 at 光明街8号: makes o4 a repeat by place.
D1-2 (worker 李四): p0 hotline open (reported 00:30 local on March 1st: inside the period),
  p1 hotline closed 24 h on time 满意 城管局, p2 patrol closed 1 h flagged is_repeat, in grid.
D2-1: nothing.
Registry in D1-1: P1 complete and verified on March 15; P2 only gender, updated June 2024
(stale); a place fully filled but updated after the period (state unknown); P3 created after
the period (ignored).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.kit.timeutil import LOCAL_TZ, utcnow
from civicgrid.models.org import GridMember, OrgNode
from civicgrid.models.registry import Household, Person, Place
from civicgrid.models.workorder import WorkOrder
from tests.fixtures.world import World


def local(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def add_order(db: Session, node: OrgNode, code: str, **fields: Any) -> WorkOrder:
    fields.setdefault("title", code)
    fields.setdefault("status", "reported")
    order = WorkOrder(code=code, node_id=node.id, **fields)
    db.add(order)
    return order


def build_march(db: Session, world: World) -> None:
    d11, d12 = world.grids["D1-1"], world.grids["D1-2"]
    db.add_all(
        [
            GridMember(node_id=d11.id, role="worker", name="张三"),
            GridMember(node_id=d12.id, role="worker", name="李四"),
        ]
    )
    old = local(1, 1, year=2024)
    household = Household(code="EV-H1", node_id=d11.id, address="幸福路1号")
    db.add(household)
    db.flush()
    p1 = Person(
        node_id=d11.id,
        household_id=household.id,
        name="王五",
        gender="M",
        birth_date=local(1, 1, year=1980).date(),
        id_number_enc="ciphertext",
        phone_enc="ciphertext",
        created_at=old,
        updated_at=old,
        verified_at=local(3, 15),
    )
    p2 = Person(
        node_id=d11.id, name="赵六", gender="F", created_at=old, updated_at=local(6, 1, year=2024)
    )
    p3 = Person(node_id=d11.id, name="新来的")  # created now: after the period, ignored
    place = Place(
        node_id=d11.id,
        name="社区卫生服务站",
        kind="facility",
        address="幸福路2号",
        lat=28.2,
        lon=112.9,
        created_at=old,
        updated_at=utcnow(),
    )
    db.add_all([p1, p2, p3, place])
    db.flush()

    add_order(
        db,
        d11,
        "EV-o0",
        channel="resident",
        category="市政设施",
        address="光明街8号",
        reported_at=local(2, 20),
        status="closed",
        closed_at=local(2, 21),
    )
    add_order(
        db,
        d11,
        "EV-o1",
        channel="patrol",
        category="环境卫生",
        department="城管局",
        reported_at=local(3, 2, 9),
        closed_at=local(3, 2, 11),
        due_at=local(3, 3),
        status="closed",
        satisfaction="满意",
        resolved_in_grid=True,
    )
    add_order(
        db,
        d11,
        "EV-o2",
        channel="resident",
        category="环境卫生",
        department="城管局",
        reporter_person_id=p1.id,
        address="幸福路1号",
        reported_at=local(3, 5, 10),
        closed_at=local(3, 6, 10),
        due_at=local(3, 5, 20),
        status="closed",
        satisfaction="基本满意",
        returns_count=1,
    )
    add_order(
        db,
        d11,
        "EV-o3",
        channel="resident",
        category="市政设施",
        department="住建局",
        reporter_person_id=p1.id,
        reported_at=local(3, 10),
        due_at=local(3, 12),
        status="in_progress",
        returns_count=2,
        reassign_count=1,
    )
    add_order(
        db,
        d11,
        "EV-o4",
        channel="sensor",
        category="市政设施",
        department="住建局",
        address="光明街8号",
        reported_at=local(3, 20, 8),
        closed_at=local(3, 20, 14),
        due_at=local(3, 21),
        status="assessed",
        satisfaction="不满意",
        reopen_count=1,
        resolved_in_grid=True,
    )
    add_order(db, d11, "EV-o5", channel="resident", reported_at=local(3, 21), status="rejected")
    add_order(
        db,
        d11,
        "EV-o6",
        channel="resident",
        category="环境卫生",
        department="城管局",
        reporter_person_id=p1.id,
        reported_at=local(3, 25, 8),
        closed_at=local(3, 25, 18),
        due_at=local(3, 27),
        status="closed",
        satisfaction="满意",
        resolved_in_grid=True,
    )
    add_order(db, d11, "EV-o7", channel="patrol", category="环境卫生", reported_at=local(3, 9))
    add_order(db, d11, "EV-o8", channel="resident", reported_at=local(4, 1, 0, 30))

    add_order(db, d12, "EV-p0", channel="hotline", reported_at=local(3, 1, 0, 30))
    add_order(
        db,
        d12,
        "EV-p1",
        channel="hotline",
        category="环境卫生",
        department="城管局",
        reported_at=local(3, 3, 9),
        closed_at=local(3, 4, 9),
        due_at=local(3, 4, 12),
        status="closed",
        satisfaction="满意",
    )
    add_order(
        db,
        d12,
        "EV-p2",
        channel="patrol",
        category="环境卫生",
        reported_at=local(3, 30, 9),
        closed_at=local(3, 30, 10),
        status="closed",
        is_repeat=True,
        resolved_in_grid=True,
    )
    db.flush()
