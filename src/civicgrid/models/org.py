"""行政区划与网格 — the administrative tree (any depth) and its grids."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    SQLColumnExpression,
    String,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicgrid.models.base import Base, TimestampMixin


class OrgLevel(StrEnum):
    """Usual levels; the tree accepts any depth, the level is a label."""

    CITY = "city"
    DISTRICT = "district"  # 区/县
    STREET = "street"  # 街道/乡镇
    COMMUNITY = "community"  # 社区/村
    GRID = "grid"  # 网格
    MICRO_GRID = "micro_grid"  # 微网格
    BUILDING = "building"  # 楼栋


# Binary ordering on both backends, so a subtree is an index range scan (see ``subtree_of``).
PATH_TYPE = String(512).with_variant(String(512, collation="C"), "postgresql")


def subtree_of(column: SQLColumnExpression[str], path: str) -> ColumnElement[bool]:
    """Rows whose materialised ``column`` lies in the subtree rooted at ``path`` ("/1/4/").

    A half-open range instead of LIKE: it uses the index on SQLite and PostgreSQL alike
    ('0' is the character right after '/').
    """
    return and_(column >= path, column < path[:-1] + "0")


class OrgNode(TimestampMixin, Base):
    """A node of the administrative tree. Every record in the system hangs at one node.

    ``path`` is the materialised path of ids ("/1/4/17/"): a subtree is the range
    ``subtree_of(OrgNode.path, '/1/4/')``, which both SQLite and PostgreSQL answer from an
    index, so scope filters stay cheap at city scale.
    """

    __tablename__ = "org_node"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id", ondelete="RESTRICT"))
    level: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(PATH_TYPE, index=True)
    depth: Mapped[int] = mapped_column(default=0)
    # GeoJSON geometry (Polygon/MultiPolygon for areas, Point for buildings), WGS84 lon/lat.
    geometry: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    tags: Mapped[list[str]] = mapped_column(default=list)
    households_target: Mapped[int | None] = mapped_column(default=None)
    # Households living in a building (level building), or the sum over a generated grid's
    # buildings; None when unknown. Input of grid generation by household count.
    households: Mapped[int | None] = mapped_column(default=None)
    party_branch: Mapped[str | None] = mapped_column(String(200), default=None)

    parent: Mapped[OrgNode | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgNode]] = relationship(back_populates="parent")

    __table_args__ = (
        Index("ix_org_node_parent_level", "parent_id", "level"),
        # Covers the grid-layer fingerprint (count, max updated_at, sum id per level) that tells
        # the cached point → grid index it is stale (civicgrid.org.locate).
        Index("ix_org_node_level_updated", "level", "updated_at", "id"),
    )


class GridRole(StrEnum):
    """1+X+N: one full-time worker, X department liaisons, N volunteers / building stewards."""

    WORKER = "worker"  # 专职网格员
    LIAISON = "liaison"  # 部门联络员
    VOLUNTEER = "volunteer"  # 志愿者
    STEWARD = "steward"  # 楼栋管家


class GridMember(TimestampMixin, Base):
    """The team roster of a grid. ``user_id`` links to an account once the member has one."""

    __tablename__ = "grid_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100), default=None)
    user_id: Mapped[int | None] = mapped_column(default=None, index=True)

    __table_args__ = (
        UniqueConstraint("node_id", "role", "name"),
        # 一格一专员: at most one full-time worker per grid, enforced by the database too.
        Index(
            "ix_grid_member_one_worker",
            "node_id",
            unique=True,
            sqlite_where=text("role = 'worker'"),
            postgresql_where=text("role = 'worker'"),
        ),
    )
