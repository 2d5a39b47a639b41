"""JSON routes of the territory."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from civicgrid.kit.web import DB
from civicgrid.models.org import OrgLevel, OrgNode
from civicgrid.org import service

router = APIRouter(prefix="/api/org", tags=["territory"])


@router.get("/summary")
def summary(db: DB) -> dict[str, Any]:
    """Counts of nodes per level of the administrative tree."""
    return {"levels": service.level_counts(db)}


@router.get("/grids.geojson")
def grids_geojson(db: DB) -> dict[str, Any]:
    """Every grid as a GeoJSON FeatureCollection (for the map)."""
    rows = db.execute(
        select(OrgNode.id, OrgNode.name, OrgNode.code, OrgNode.parent_id, OrgNode.geometry).where(
            OrgNode.level == OrgLevel.GRID, OrgNode.geometry.is_not(None)
        )
    ).all()
    features = [
        {
            "type": "Feature",
            "id": r.id,
            "properties": {"id": r.id, "name": r.name, "code": r.code, "parent_id": r.parent_id},
            "geometry": r.geometry,
        }
        for r in rows
    ]
    return {"type": "FeatureCollection", "features": features}
