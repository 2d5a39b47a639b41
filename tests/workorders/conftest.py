"""Fixtures of the work-order tests: a published responsibility list and acting roles."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from tests.fixtures.world import World, centre

from civicgrid.workorders import responsibility as rl
from civicgrid.workorders.schemas import WorkOrderCreate
from civicgrid.workorders.service import Actor
from civicgrid.workorders.states import Role

RESPONSIBILITY = [
    (
        2,
        {
            "分类编码": "HJ01",
            "分类名称": "垃圾清运",
            "责任部门": "环卫所",
            "分流类型": "小事",
            "签收时限": "2",
            "办理时限": "24",
            "答复时限": "48",
            "升级路径": "社区>街道>区",
        },
    ),
    (
        3,
        {
            "分类编码": "ZS01",
            "分类名称": "噪音扰民",
            "责任部门": "城管执法队",
            "签收时限": "1",
            "办理时限": "72",
            "计时方式": "工作",
        },
    ),
    (
        4,
        {
            "分类编码": "JF01",
            "分类名称": "邻里纠纷",
            "责任部门": "司法所",
            "办理时限": "240",
            "矛盾纠纷": "是",
        },
    ),
]

RESIDENT = Actor(user_id=9001, name="居民甲", roles=frozenset({Role.RESIDENT}))
DISPATCHER = Actor(user_id=9002, name="调度员", roles=frozenset({Role.DISPATCHER}))
HANDLER = Actor(
    user_id=9003, name="环卫所经办", roles=frozenset({Role.DEPARTMENT_HANDLER}), department="环卫所"
)
OTHER_HANDLER = Actor(
    user_id=9004,
    name="城管经办",
    roles=frozenset({Role.DEPARTMENT_HANDLER}),
    department="城管执法队",
)


@pytest.fixture
def published(db: Session) -> None:
    rl.import_rows(db, rows=RESPONSIBILITY)


def report(world: World, grid: str = "D1-1", **kw: object) -> WorkOrderCreate:
    lon, lat = centre(world.grid_cols[grid])
    data: dict[str, object] = {
        "title": "楼下垃圾堆积三天没人清运",
        "description": "气味很大",
        "lat": lat,
        "lon": lon,
    }
    data.update(kw)
    return WorkOrderCreate.model_validate(data)
