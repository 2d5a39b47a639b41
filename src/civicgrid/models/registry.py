"""四库一体 — population, legal entities and places registries (events live in workorder.py)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.kit.classification import DataLevel, level_info
from civicgrid.models.base import Base, TimestampMixin

PUBLIC = level_info(DataLevel.PUBLIC)
INTERNAL = level_info(DataLevel.INTERNAL)
SENSITIVE = level_info(DataLevel.SENSITIVE)
HIGHLY_SENSITIVE = level_info(DataLevel.HIGHLY_SENSITIVE)


class PersonTag(StrEnum):
    """Special groups (重点人群) a person can be tagged with."""

    ELDERLY_ALONE = "elderly_alone"  # 独居老人
    DISABLED = "disabled"  # 残疾人
    LOW_INCOME = "low_income"  # 低保
    LEFT_BEHIND_CHILD = "left_behind_child"  # 留守儿童
    PARTY_MEMBER = "party_member"  # 党员
    VETERAN = "veteran"  # 退役军人


class Household(TimestampMixin, Base):
    """户 — a household at an address; ``node_id`` is its grid, ``building_id`` its building."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, info=INTERNAL)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), info=SENSITIVE)
    lat: Mapped[float | None] = mapped_column(default=None, info=SENSITIVE)
    lon: Mapped[float | None] = mapped_column(default=None, info=SENSITIVE)


class Person(TimestampMixin, Base):
    """人口库 — a resident. ID number and phone are encrypted at rest with blind indexes."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), info=INTERNAL)
    gender: Mapped[str | None] = mapped_column(String(1), default=None, info=INTERNAL)
    birth_date: Mapped[date | None] = mapped_column(default=None, info=INTERNAL)
    id_number_enc: Mapped[str | None] = mapped_column(Text, default=None, info=HIGHLY_SENSITIVE)
    # A unique *index* rather than a constraint: a bulk load into an empty table can drop it and
    # build it once at the end (SQLite cannot drop the index behind a UNIQUE constraint).
    id_number_index: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True, default=None
    )
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None, info=HIGHLY_SENSITIVE)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    address: Mapped[str | None] = mapped_column(String(300), default=None, info=SENSITIVE)
    lat: Mapped[float | None] = mapped_column(default=None, info=SENSITIVE)
    lon: Mapped[float | None] = mapped_column(default=None, info=SENSITIVE)
    relation: Mapped[str | None] = mapped_column(String(20), default=None, info=INTERNAL)
    tags: Mapped[list[str]] = mapped_column(default=list, info=INTERNAL)
    source: Mapped[str | None] = mapped_column(String(50), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)


class EntityKind(StrEnum):
    ENTERPRISE = "enterprise"  # 企业
    SHOP = "shop"  # 商户
    SOCIAL_ORG = "social_org"  # 社会组织
    PROPERTY_COMPANY = "property_company"  # 物业公司


class Entity(TimestampMixin, Base):
    """法人库 — enterprises, shops, social organisations, property companies."""

    __tablename__ = "entity"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), info=PUBLIC)
    kind: Mapped[str] = mapped_column(String(30), info=PUBLIC)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True, info=PUBLIC)
    legal_rep: Mapped[str | None] = mapped_column(String(100), default=None, info=INTERNAL)
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None, info=HIGHLY_SENSITIVE)
    address: Mapped[str | None] = mapped_column(String(300), default=None, info=PUBLIC)
    lat: Mapped[float | None] = mapped_column(default=None, info=PUBLIC)
    lon: Mapped[float | None] = mapped_column(default=None, info=PUBLIC)
    employees: Mapped[int | None] = mapped_column(default=None, info=INTERNAL)
    tags: Mapped[list[str]] = mapped_column(default=list, info=INTERNAL)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)


class PlaceKind(StrEnum):
    HOUSE = "house"  # 房屋
    FACILITY = "facility"  # 设施
    POI = "poi"  # 兴趣点
    HAZARD = "hazard"  # 风险隐患点


class FacilityType(StrEnum):
    HEALTH_STATION = "health_station"  # 社区卫生服务站
    ELDERLY_CARE = "elderly_care"  # 养老服务中心
    KINDERGARTEN = "kindergarten"  # 幼儿园
    MARKET = "market"  # 农贸市场
    SHELTER = "shelter"  # 应急避难场所
    SCHOOL = "school"  # 学校
    PARK = "park"  # 公园


class Place(TimestampMixin, Base):
    """地理库 — houses, facilities (with type and capacity), points of interest, hazards."""

    __tablename__ = "place"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), info=PUBLIC)
    kind: Mapped[str] = mapped_column(String(20), info=PUBLIC)
    facility_type: Mapped[str | None] = mapped_column(String(30), default=None, info=PUBLIC)
    code: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    capacity: Mapped[int | None] = mapped_column(default=None, info=PUBLIC)
    address: Mapped[str | None] = mapped_column(String(300), default=None, info=PUBLIC)
    lat: Mapped[float | None] = mapped_column(default=None, info=PUBLIC)
    lon: Mapped[float | None] = mapped_column(default=None, info=PUBLIC)
    tags: Mapped[list[str]] = mapped_column(default=list, info=INTERNAL)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict, info=INTERNAL)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)


class ImportBatch(TimestampMixin, Base):
    """One bulk import: counts and the per-row report of rejected rows (row number + reason)."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(300))
    encoding: Mapped[str | None] = mapped_column(String(30), default=None)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_inserted: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    rows_unchanged: Mapped[int] = mapped_column(default=0)
    report: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    created_by: Mapped[int | None] = mapped_column(default=None)
    # The scope node the import was limited to (plain id: the batch record outlives the node).
    node_id: Mapped[int | None] = mapped_column(default=None, index=True)
    # field → the file's header that was used for it.
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
