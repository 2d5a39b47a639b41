"""四库一体 — verbs on the registries: bulk import, incremental updates, verification, listing.

Services flush, never commit. List functions take an optional ``where`` clause so that the
access layer (auth) can pass its scope filter in without this module knowing about users.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, Text, cast, func, or_, select
from sqlalchemy.orm import Session

from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.kit.crypto import FieldCipher, KeyError_
from civicgrid.kit.i18n import _
from civicgrid.kit.tabular import memory_table, open_table
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.org import OrgNode, subtree_of
from civicgrid.models.registry import Entity, Household, ImportBatch, Person, PersonTag, Place
from civicgrid.registry.ciphers import BulkCipher
from civicgrid.registry.codes import IdInfo, normalise_id_number, parse_id_number
from civicgrid.registry.entities import EntityHandler
from civicgrid.registry.importer import HandlerFactory, ImportOptions, ImportResult, run_import
from civicgrid.registry.locate import Territory
from civicgrid.registry.mapping import header_predicate, load_mapping_file, resolve_mapping
from civicgrid.registry.people import PeopleHandler
from civicgrid.registry.places import PlaceHandler
from civicgrid.registry.rules import (
    RuleError,
    check_length,
    check_lon_lat,
    parse_phone,
    parse_tags,
)

KINDS = ("people", "entities", "places")
HANDLERS: dict[str, HandlerFactory] = {
    "people": PeopleHandler,
    "entities": EntityHandler,
    "places": PlaceHandler,
}
MODELS: dict[str, type[Person] | type[Entity] | type[Place]] = {
    "people": Person,
    "entities": Entity,
    "places": Place,
}
T = TypeVar("T")


def field_cipher(field_keys: str, secret_key: str) -> FieldCipher:
    """The cipher for personal fields, with a clear message when keys are not configured."""
    try:
        return FieldCipher.from_config(field_keys, secret_key)
    except (KeyError_, ValueError) as exc:
        raise Invalid(
            _(
                "个人信息加密密钥未配置或无效（CIVICGRID_FIELD_KEYS / CIVICGRID_SECRET_KEY）：{e}"
            ).format(e=exc)
        ) from exc


# --- bulk import -----------------------------------------------------------------------------


def _handler(kind: str) -> HandlerFactory:
    try:
        return HANDLERS[kind]
    except KeyError:
        raise Invalid(
            _("未知的导入类型：{k}（可选：{all}）").format(k=kind, all=", ".join(KINDS))
        ) from None


def import_file(
    session: Session,
    *,
    kind: str,
    path: str | Path,
    cipher: FieldCipher,
    mapping: Mapping[str, str] | str | Path | None = None,
    sheet: str | None = None,
    options: ImportOptions | None = None,
) -> ImportResult:
    """Import a CSV/XLSX file into a registry; one savepoint, a per-row report, an ImportBatch.

    ``mapping`` is a dict (field → header) or the path of a YAML/JSON mapping file.
    """
    factory = _handler(kind)
    overrides: Mapping[str, str] = {}
    if isinstance(mapping, str | Path):
        loaded = load_mapping_file(mapping)
        overrides, sheet = loaded.columns, sheet or loaded.sheet
    elif mapping is not None:
        overrides = mapping
    predicate = header_predicate(kind, list(overrides.values()))
    with open_table(path, header_predicate=predicate, sheet=sheet) as table:
        columns = resolve_mapping(kind, table.header, overrides)
        return run_import(
            session,
            kind=kind,
            table=table,
            mapping=columns,
            cipher=BulkCipher(cipher),
            handler_factory=factory,
            options=options or ImportOptions(),
        )


def import_rows(
    session: Session,
    *,
    kind: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    cipher: FieldCipher,
    mapping: Mapping[str, str] | None = None,
    name: str = "rows",
    options: ImportOptions | None = None,
) -> ImportResult:
    """Import rows held in memory (row 1 is taken as the header row for numbering)."""
    factory = _handler(kind)
    table = memory_table(header, rows, name)
    columns = resolve_mapping(kind, table.header, mapping)
    return run_import(
        session,
        kind=kind,
        table=table,
        mapping=columns,
        cipher=BulkCipher(cipher),
        handler_factory=factory,
        options=options or ImportOptions(),
    )


def get_import_batch_or_raise(session: Session, batch_id: int) -> ImportBatch:
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(_("导入批次 {id} 不存在").format(id=batch_id))
    return batch


# --- people: incremental updates by grid workers ---------------------------------------------


def get_person(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def get_person_or_raise(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(_("人员 {id} 不存在").format(id=person_id))
    return person


def find_person_by_id_number(
    session: Session, *, id_number: str, cipher: FieldCipher
) -> Person | None:
    """Exact lookup through the blind index: nothing is decrypted."""
    index = cipher.blind_index(normalise_id_number(id_number))
    return session.scalar(select(Person).where(Person.id_number_index == index))


def _invalid(field: str, reason: str) -> Invalid:
    return Invalid(reason, field=field)


UPDATABLE = frozenset(
    {
        "name",
        "id_number",
        "phone",
        "address",
        "relation",
        "tags",
        "lon",
        "lat",
        "node_id",
        "household_id",
    }
)


def update_person(
    session: Session,
    *,
    person: Person,
    changes: Mapping[str, Any],
    cipher: FieldCipher,
    verified: bool = False,
) -> list[str]:
    """Apply a grid worker's corrections; only fields whose value changes are written.

    Returns the names of the changed fields. ``verified`` also stamps ``verified_at`` (the worker
    checked the record on the spot), which counts towards freshness even when nothing changed.
    Values are validated with the same rules as the bulk import; a bad value raises ``Invalid``
    naming the field and nothing is written.
    """
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise Invalid(_("不能修改的字段：{f}").format(f="、".join(sorted(unknown))))
    new: dict[str, Any] = {}
    try:
        if "name" in changes:
            name = str(changes["name"] or "").strip()
            if not name:
                raise _invalid("name", _("姓名为空"))
            new["name"] = check_length(name, 100, _("姓名"))
        if "id_number" in changes:
            info = parse_id_number(str(changes["id_number"] or ""))
            if not isinstance(info, IdInfo):
                raise _invalid("id_number", info)
            index = cipher.blind_index(info.number)
            if index != person.id_number_index:
                clash = session.scalar(
                    select(Person.id).where(Person.id_number_index == index, Person.id != person.id)
                )
                if clash is not None:
                    raise Conflict(_("该身份证号已登记在另一人名下（人员 {id}）").format(id=clash))
                new["id_number_index"] = index
                new["id_number_enc"] = cipher.encrypt(info.number)
            new["gender"] = info.gender
            new["birth_date"] = info.birth_date
        if "phone" in changes:
            raw = str(changes["phone"] or "").strip()
            phone = parse_phone(raw) if raw else None
            phone_index = cipher.blind_index(phone) if phone else None
            if phone_index != person.phone_index:
                new["phone_index"] = phone_index
                new["phone_enc"] = cipher.encrypt(phone) if phone else None
        for key, limit, label in (("address", 300, _("地址")), ("relation", 20, _("与户主关系"))):
            if key in changes:
                text = str(changes[key] or "").strip()
                new[key] = check_length(text, limit, label) or None
        if "tags" in changes:
            tags = changes["tags"]
            text = tags if isinstance(tags, str) else "、".join(tags or ["无"])
            new["tags"] = list(parse_tags(text or "无"))
    except RuleError as exc:
        raise Invalid(str(exc)) from exc
    if "lon" in changes or "lat" in changes:
        new.update(_relocate(session, changes.get("lon"), changes.get("lat")))
    if "node_id" in changes and "lon" not in changes:
        node_id = changes["node_id"]
        if node_id is not None and session.get(OrgNode, node_id) is None:
            raise NotFound(_("节点 {id} 不存在").format(id=node_id))
        new["node_id"] = node_id
    if "household_id" in changes:
        household_id = changes["household_id"]
        if household_id is not None and session.get(Household, household_id) is None:
            raise NotFound(_("户 {id} 不存在").format(id=household_id))
        new["household_id"] = household_id
    changed = [k for k, v in new.items() if getattr(person, k) != v]
    for key in changed:
        setattr(person, key, new[key])
    if verified:
        person.verified_at = utcnow()
    session.flush()
    return sorted(changed)


def _relocate(session: Session, lon: Any, lat: Any) -> dict[str, Any]:
    if lon is None or lat is None:
        return {"lon": None, "lat": None}
    try:
        x, y = float(lon), float(lat)
        check_lon_lat(x, y)
    except (TypeError, ValueError) as exc:
        raise Invalid(str(exc) if isinstance(exc, RuleError) else _("经纬度不是数字")) from exc
    grid = Territory.load(session).index.assign_one(x, y)
    if grid is None:
        raise Invalid(_("坐标不在辖区的任何网格内"))
    return {"lon": x, "lat": y, "node_id": grid}


def verify_record(session: Session, *, kind: str, record_id: int) -> Any:
    """Stamp ``verified_at`` on a person, entity or place a worker has checked on the spot."""
    model = MODELS.get(kind)
    if model is None:
        raise Invalid(_("未知的登记类型：{k}").format(k=kind))
    record: Any = session.get(model, record_id)
    if record is None:
        raise NotFound(_("记录 {id} 不存在").format(id=record_id))
    record.verified_at = utcnow()
    session.flush()
    return record


# --- listing and search in a subtree ---------------------------------------------------------


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def in_subtree(column: Any, node: OrgNode) -> ColumnElement[bool]:
    """``column`` (a node id) lies in the subtree of ``node`` (an index range on the path)."""
    clause: ColumnElement[bool] = column.in_(
        select(OrgNode.id).where(subtree_of(OrgNode.path, node.path))
    )
    return clause


def _page(session: Session, stmt: Select[Any], order: Any, limit: int, offset: int) -> Page[Any]:
    if not 1 <= limit <= 1000:
        raise Invalid(_("每页条数应在 1 到 1000 之间"))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.order_by(order).limit(limit).offset(max(0, offset))))
    return Page(items=items, total=int(total), limit=limit, offset=max(0, offset))


def list_people(
    session: Session,
    *,
    node: OrgNode | None = None,
    where: ColumnElement[bool] | None = None,
    q: str | None = None,
    tag: str | None = None,
    cipher: FieldCipher | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Person]:
    """People in ``node``'s subtree. ``q`` matches a name, or exactly an ID number or phone
    (through their blind indexes, so neither is decrypted); ``tag`` filters a special group."""
    stmt = select(Person)
    if node is not None:
        stmt = stmt.where(in_subtree(Person.node_id, node))
    if where is not None:
        stmt = stmt.where(where)
    if q and q.strip():
        text = q.strip()
        conditions = [Person.name.contains(text, autoescape=True)]
        if cipher is not None and any(c.isdigit() for c in text):
            conditions.append(
                Person.id_number_index == cipher.blind_index(normalise_id_number(text))
            )
            with contextlib.suppress(RuleError):
                conditions.append(Person.phone_index == cipher.blind_index(parse_phone(text)))
        stmt = stmt.where(or_(*conditions))
    if tag:
        stmt = stmt.where(has_tag(Person.tags, tag))
    return _page(session, stmt, Person.id, limit, offset)


def has_tag(column: Any, tag: str) -> ColumnElement[bool]:
    """JSON array membership on both backends: the serialised array contains ``"tag"``."""
    if tag not in {t.value for t in PersonTag}:
        raise Invalid(_("未知的人员类别：{t}").format(t=tag))
    return cast(column, Text).contains(f'"{tag}"')


def list_entities(
    session: Session,
    *,
    node: OrgNode | None = None,
    where: ColumnElement[bool] | None = None,
    q: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Entity]:
    stmt = select(Entity)
    if node is not None:
        stmt = stmt.where(in_subtree(Entity.node_id, node))
    if where is not None:
        stmt = stmt.where(where)
    if kind:
        stmt = stmt.where(Entity.kind == kind)
    if q and q.strip():
        text = q.strip()
        stmt = stmt.where(
            or_(Entity.name.contains(text, autoescape=True), Entity.credit_code == text.upper())
        )
    return _page(session, stmt, Entity.id, limit, offset)


def list_places(
    session: Session,
    *,
    node: OrgNode | None = None,
    where: ColumnElement[bool] | None = None,
    q: str | None = None,
    kind: str | None = None,
    facility_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Place]:
    stmt = select(Place)
    if node is not None:
        stmt = stmt.where(in_subtree(Place.node_id, node))
    if where is not None:
        stmt = stmt.where(where)
    if kind:
        stmt = stmt.where(Place.kind == kind)
    if facility_type:
        stmt = stmt.where(Place.facility_type == facility_type)
    if q and q.strip():
        text = q.strip()
        stmt = stmt.where(or_(Place.name.contains(text, autoescape=True), Place.code == text))
    return _page(session, stmt, Place.id, limit, offset)
