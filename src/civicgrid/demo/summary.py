"""Counting and fingerprinting a demo city already in the database."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy import Executable, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from civicgrid.demo.generator import CitySummary, read_manifest
from civicgrid.models.org import GridMember, OrgNode, subtree_of
from civicgrid.models.registry import Entity, Household, Person, Place
from civicgrid.models.workorder import WorkOrder

LOCATED: dict[str, InstrumentedAttribute[Any]] = {
    "household": Household.node_id,
    "person": Person.node_id,
    "entity": Entity.node_id,
    "place": Place.node_id,
    "work_order": WorkOrder.node_id,
    "grid_member": GridMember.node_id,
}


def level_counts(session: Session, district_path: str) -> dict[str, int]:
    stmt = (
        select(OrgNode.level, func.count())
        .where(subtree_of(OrgNode.path, district_path))
        .group_by(OrgNode.level)
    )
    return {str(level): int(n) for level, n in session.execute(stmt).all()}


def table_counts(session: Session, district_path: str) -> dict[str, int]:
    """Rows per registry table whose node lies in the district."""
    out: dict[str, int] = {}
    for name, node_id in LOCATED.items():
        stmt = (
            select(func.count())
            .select_from(node_id.class_)
            .join(OrgNode, OrgNode.id == node_id)
            .where(subtree_of(OrgNode.path, district_path))
        )
        out[name] = int(session.execute(stmt).scalar_one())
    return out


def load_summary(session: Session) -> CitySummary | None:
    """The summary of the demo city already in this database (counts only)."""
    manifest = read_manifest(session)
    if manifest is None:
        return None
    district = session.get(OrgNode, int(manifest["district_id"]))
    assert district is not None
    summary = CitySummary(
        size=manifest.get("size", "?"),
        seed=int(manifest.get("seed", "0")),
        reference_date=date.fromisoformat(manifest.get("reference", "1970-01-01")),
        district_id=district.id,
        district_code=district.code,
    )
    summary.levels = level_counts(session, district.path)
    summary.tables = table_counts(session, district.path)
    return summary


def _digest(session: Session, stmt: Executable) -> str:
    h = hashlib.sha256()
    for row in session.execute(stmt):
        h.update(
            json.dumps(
                [_plain(v) for v in row], ensure_ascii=False, sort_keys=True, default=str
            ).encode()
        )
        h.update(b"\n")
    return h.hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    return value


def fingerprint(session: Session, district_path: str) -> dict[str, str]:
    """SHA-256 per table over every generated value except ids and ciphertexts.

    Ids depend on what the database already holds and AES-GCM ciphertexts carry random nonces,
    so rows are compared by codes, names and blind indexes instead.
    """
    in_district = subtree_of(OrgNode.path, district_path)
    parent = aliased(OrgNode)
    grid = aliased(OrgNode)
    building = aliased(OrgNode)
    nodes = (
        select(
            OrgNode.code,
            parent.code,
            OrgNode.level,
            OrgNode.name,
            OrgNode.depth,
            OrgNode.geometry,
            OrgNode.lat,
            OrgNode.lon,
            OrgNode.tags,
            OrgNode.households_target,
            OrgNode.party_branch,
            OrgNode.created_at,
        )
        .outerjoin(parent, parent.id == OrgNode.parent_id)
        .where(in_district)
        .order_by(OrgNode.code)
    )
    members = (
        select(OrgNode.code, GridMember.role, GridMember.name, GridMember.department)
        .join(OrgNode, OrgNode.id == GridMember.node_id)
        .where(in_district)
        .order_by(OrgNode.code, GridMember.role, GridMember.name)
    )
    households = (
        select(
            Household.code,
            grid.code,
            building.code,
            Household.address,
            Household.lat,
            Household.lon,
        )
        .join(grid, grid.id == Household.node_id)
        .join(building, building.id == Household.building_id)
        .join(OrgNode, OrgNode.id == Household.node_id)
        .where(in_district)
        .order_by(Household.code)
    )
    persons = (
        select(
            Household.code,
            Person.name,
            Person.gender,
            Person.birth_date,
            Person.id_number_index,
            Person.phone_index,
            Person.address,
            Person.lat,
            Person.lon,
            Person.relation,
            Person.tags,
            Person.verified_at,
        )
        .join(Household, Household.id == Person.household_id)
        .join(OrgNode, OrgNode.id == Person.node_id)
        .where(in_district)
        .order_by(Person.id)
    )
    entities = (
        select(
            Entity.name,
            Entity.kind,
            Entity.credit_code,
            Entity.legal_rep,
            Entity.address,
            Entity.lat,
            Entity.lon,
            Entity.employees,
            Entity.tags,
            OrgNode.code,
        )
        .join(OrgNode, OrgNode.id == Entity.node_id)
        .where(in_district)
        .order_by(Entity.id)
    )
    places = (
        select(
            Place.code,
            Place.name,
            Place.kind,
            Place.facility_type,
            Place.capacity,
            Place.address,
            Place.lat,
            Place.lon,
            Place.tags,
            Place.attributes,
            OrgNode.code,
        )
        .join(OrgNode, OrgNode.id == Place.node_id)
        .where(in_district)
        .order_by(Place.code)
    )
    work_orders = (
        select(
            WorkOrder.code,
            WorkOrder.title,
            WorkOrder.description,
            WorkOrder.category,
            WorkOrder.department,
            WorkOrder.channel,
            WorkOrder.status,
            WorkOrder.triage,
            WorkOrder.priority,
            OrgNode.code,
            WorkOrder.lat,
            WorkOrder.lon,
            WorkOrder.address,
            WorkOrder.reporter_name,
            WorkOrder.reported_at,
            WorkOrder.dispatched_at,
            WorkOrder.accepted_at,
            WorkOrder.replied_at,
            WorkOrder.closed_at,
            WorkOrder.due_at,
            WorkOrder.reply,
            WorkOrder.satisfaction,
            WorkOrder.returns_count,
            WorkOrder.reassign_count,
            WorkOrder.reopen_count,
            WorkOrder.likes,
            WorkOrder.resolved_in_grid,
            WorkOrder.extra,
        )
        .join(OrgNode, OrgNode.id == WorkOrder.node_id)
        .where(in_district)
        .order_by(WorkOrder.code)
    )
    return {
        "org_node": _digest(session, nodes),
        "grid_member": _digest(session, members),
        "household": _digest(session, households),
        "person": _digest(session, persons),
        "entity": _digest(session, entities),
        "place": _digest(session, places),
        "work_order": _digest(session, work_orders),
    }
