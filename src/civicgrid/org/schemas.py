"""Request and response shapes of the territory API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NodeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    level: str
    name: str
    code: str
    depth: int
    lat: float | None
    lon: float | None
    tags: list[str]
    households: int | None
    households_target: int | None
    party_branch: str | None
    counts: dict[str, int] = Field(
        default_factory=dict, description="Descendants per level (the node itself excluded)."
    )


class TreeNodeRead(NodeRead):
    children: list[TreeNodeRead] = Field(default_factory=list)


class TreeRead(BaseModel):
    levels: dict[str, int] = Field(description="Nodes per level in the listed subtree.")
    nodes: list[TreeNodeRead]


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    role: str
    name: str
    department: str | None
    user_id: int | None


class TeamRead(BaseModel):
    grid_id: int
    grid_name: str
    party_branch: str | None
    worker: MemberRead | None
    liaisons: list[MemberRead]
    volunteers: list[MemberRead]
    stewards: list[MemberRead]


class WorkerSet(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    user_id: int | None = None
    department: str | None = Field(default=None, max_length=100)


class MemberCreate(BaseModel):
    role: str = Field(description="liaison | volunteer | steward")
    name: str = Field(min_length=1, max_length=100)
    department: str | None = Field(default=None, max_length=100)
    user_id: int | None = None


class PartyBranchSet(BaseModel):
    party_branch: str | None = Field(default=None, max_length=200)


class LocateRead(BaseModel):
    grid_id: int | None
    grid: NodeRead | None = None


class ImportReportRead(BaseModel):
    """What a grid import did (or, with ``dry_run``, would do)."""

    format: str
    level: str
    features: int
    imported: int
    dry_run: bool
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    repaired: list[dict[str, Any]]
    rejected: list[dict[str, Any]]
    overlaps: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    outside: list[dict[str, Any]]
    warnings: list[str]
