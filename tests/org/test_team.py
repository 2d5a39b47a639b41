"""The 1+X+N grid team and the party branch on the grid."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.models.org import GridMember, GridRole
from civicgrid.org import team
from tests.fixtures.world import World


def test_one_worker_replaced_not_doubled(db: Session, world: World) -> None:
    grid = world.grids["D1-1"]
    first = team.set_worker(db, grid=grid, name="张伟")
    assert team.set_worker(db, grid=grid, name="张伟") is first
    second = team.set_worker(db, grid=grid, name="李娜", user_id=42)
    workers = db.scalars(
        select(GridMember).where(GridMember.node_id == grid.id, GridMember.role == GridRole.WORKER)
    ).all()
    assert [(w.name, w.user_id) for w in workers] == [("李娜", 42)]
    assert team.get_worker(db, grid=grid) is second


def test_database_refuses_a_second_worker(db: Session, world: World) -> None:
    grid = world.grids["D1-2"]
    team.set_worker(db, grid=grid, name="王芳")
    nested = db.begin_nested()
    db.add(GridMember(node_id=grid.id, role=GridRole.WORKER, name="刘洋"))
    with pytest.raises(IntegrityError):
        db.flush()
    nested.rollback()
    # Another grid may of course have its own worker.
    team.set_worker(db, grid=world.grids["D2-1"], name="刘洋")


def test_members_roles_and_listing(db: Session, world: World) -> None:
    grid = world.grids["X1-1"]
    team.set_worker(db, grid=grid, name="陈静")
    team.add_member(db, grid=grid, role=GridRole.LIAISON, name="赵强", department="城管执法")
    team.add_member(db, grid=grid, role=GridRole.VOLUNTEER, name="孙丽")
    steward = team.add_member(db, grid=grid, role=GridRole.STEWARD, name="周敏")
    with pytest.raises(Conflict, match="孙丽"):
        team.add_member(db, grid=grid, role=GridRole.VOLUNTEER, name="孙丽")
    with pytest.raises(Invalid, match="部门"):
        team.add_member(db, grid=grid, role=GridRole.LIAISON, name="吴刚")
    with pytest.raises(Invalid, match="每个网格只有一名"):
        team.add_member(db, grid=grid, role=GridRole.WORKER, name="吴刚")
    with pytest.raises(Invalid, match="未知"):
        team.add_member(db, grid=grid, role="captain", name="吴刚")
    with pytest.raises(Invalid, match="姓名"):
        team.add_member(db, grid=grid, role=GridRole.VOLUNTEER, name="  ")
    with pytest.raises(Invalid, match="只有网格"):
        team.add_member(db, grid=world.communities["西山一社区"], role="volunteer", name="吴刚")
    listed = team.list_team(db, grid=grid)
    assert listed.worker is not None and listed.worker.name == "陈静"
    assert [(m.name, m.department) for m in listed.liaisons] == [("赵强", "城管执法")]
    assert [m.name for m in listed.volunteers] == ["孙丽"]
    assert [m.name for m in listed.stewards] == ["周敏"]
    team.remove_member(db, grid=grid, member_id=steward.id)
    assert team.list_team(db, grid=grid).stewards == []
    with pytest.raises(NotFound):
        team.remove_member(db, grid=world.grids["X1-2"], member_id=listed.volunteers[0].id)


def test_party_branch_and_vacancies(db: Session, world: World) -> None:
    grid = world.grids["X2-1"]
    team.set_party_branch(db, grid=grid, branch=" 西山二社区第一网格党支部 ")
    assert team.list_team(db, grid=grid).party_branch == "西山二社区第一网格党支部"
    team.set_party_branch(db, grid=grid, branch="")
    assert grid.party_branch is None
    with pytest.raises(Invalid):
        team.set_party_branch(db, grid=grid, branch="支" * 201)
    street = world.streets["西山街道"]
    assert {g.name for g in team.grids_without_worker(db, root=street)} == {
        "X1-1网格",
        "X1-2网格",
        "X2-1网格",
    }
    team.set_worker(db, grid=grid, name="郑华")
    assert grid not in team.grids_without_worker(db, root=street)
    assert len(team.grids_without_worker(db)) == 5
