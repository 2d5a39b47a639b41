"""地理库导入 — the places import handler: houses, facilities (type, capacity), POIs, hazards.

A place is the same place when its code is the same; without a code, when name, kind and
address are the same. Columns the mapping does not know are kept in ``attributes``
(opening hours, the responsible person…), so nothing an office recorded is thrown away.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select, tuple_

from civicgrid.kit.bulk import Row, json_text
from civicgrid.kit.i18n import _
from civicgrid.models.registry import FacilityType, Place, PlaceKind
from civicgrid.registry.importer import (
    Chunk,
    ImportContext,
    changed_fields,
    has_any,
    in_batches,
    limited_texts,
)
from civicgrid.registry.rules import (
    RuleError,
    cell_text,
    parse_count,
    parse_facility_type,
    parse_free_tags,
    parse_place_kind,
)

INSERT_COLUMNS = (
    "node_id",
    "name",
    "kind",
    "facility_type",
    "code",
    "capacity",
    "address",
    "lat",
    "lon",
    "tags",
    "attributes",
    "created_at",
    "updated_at",
)
_EXISTING = (
    Place.id,
    Place.name,
    Place.kind,
    Place.facility_type,
    Place.code,
    Place.capacity,
    Place.address,
    Place.lat,
    Place.lon,
    Place.node_id,
    Place.tags,
    Place.attributes,
)
Key = tuple[str, ...]


def place_key(code: str, name: str, kind: str, address: str) -> Key:
    return ("code", code) if code else ("name", name, kind, address)


class PlaceHandler:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.table: Table = Place.__table__  # type: ignore[assignment]
        self.seen: dict[Key, int] = {}
        self.db_has_rows = has_any(ctx.session, Place.id)
        self.now_db = ctx.writer.bind_value(self.table, "created_at", ctx.now)

    def prepare(self, chunk: Chunk) -> Chunk:
        """Everything happens here (volumes are small); ``complete`` only hands the chunk back."""
        self._process(chunk)
        return chunk

    def complete(self, prepared: Chunk) -> Chunk:
        return prepared

    def _process(self, chunk: Chunk) -> None:
        ctx = self.ctx
        names = limited_texts(ctx, chunk, "name", 200, _("名称"))
        for k, name in enumerate(names):
            if not name:
                ctx.fail(chunk, k, "name", name, _("名称为空"))
        codes = limited_texts(ctx, chunk, "code", 64, _("编码"))
        addresses = limited_texts(ctx, chunk, "address", 300, _("地址"))
        kinds, types = self._kinds(chunk)
        capacities = self._parse(chunk, "capacity", lambda t: parse_count(t, _("容纳人数")))
        for k in range(chunk.n):
            if types[k] == FacilityType.SHELTER and not capacities[k] and chunk.ok[k]:
                ctx.fail(
                    chunk,
                    k,
                    "capacity" if chunk.has("capacity") else "facility_type",
                    "",
                    _("应急避难场所须填写容纳人数"),
                )
        tags = self._parse(chunk, "tags", parse_free_tags)
        attributes = [
            {h: cell_text(cells[pos]) for pos, h in ctx.mapping.extra.items() if cells[pos]}
            for cells in chunk.cells
        ]
        located = ctx.located(chunk)
        nodes = ctx.resolve_nodes(chunk, located)

        ctx.writer.wait()
        accepted = []
        for k in chunk.good():
            key = place_key(codes[k], names[k], kinds[k] or "", addresses[k])
            first = self.seen.get(key)
            if first is not None:
                ctx.fail(
                    chunk,
                    k,
                    "code" if codes[k] else "name",
                    codes[k] or names[k],
                    _("与第 {n} 行是同一场所（{what}相同）").format(
                        n=first, what=_("编码") if codes[k] else _("名称、类别和地址")
                    ),
                )
                continue
            self.seen[key] = chunk.rows[k]
            accepted.append(k)
        existing = self._existing(
            [place_key(codes[k], names[k], kinds[k] or "", addresses[k]) for k in accepted]
        )

        inserts: list[Row] = []
        updates: dict[tuple[str, ...], list[Row]] = {}
        for k in accepted:
            lat, lon = located.lats[k], located.lons[k]
            old = existing.get(place_key(codes[k], names[k], kinds[k] or "", addresses[k]))
            if old is None:
                inserts.append(
                    (
                        nodes[k],
                        names[k],
                        kinds[k],
                        types[k],
                        codes[k] or None,
                        capacities[k],
                        addresses[k] or None,
                        lat,
                        lon,
                        json_text(tags[k] or []),
                        json_text(attributes[k]),
                        self.now_db,
                        self.now_db,
                    )
                )
                continue
            new: dict[str, Any] = {"name": names[k], "kind": kinds[k]}
            for column, value in (
                ("facility_type", types[k]),
                ("capacity", capacities[k]),
                ("address", addresses[k]),
                ("tags", tags[k]),
            ):
                if value not in (None, ""):
                    new[column] = value
            if attributes[k]:
                new["attributes"] = {**(old["attributes"] or {}), **attributes[k]}
            if located.nodes[k] is not None:
                new["node_id"] = nodes[k]
                if lon is not None:
                    new["lat"], new["lon"] = lat, lon
            changed = changed_fields(old, new)
            if not changed:
                ctx.unchanged += 1
                continue
            for column in ("tags", "attributes"):
                if column in changed:
                    changed[column] = json_text(changed[column])
            columns = (*sorted(changed), "updated_at")
            row = (*(changed[c] for c in columns[:-1]), self.now_db, old["id"])
            updates.setdefault(columns, []).append(row)
            ctx.updated += 1
        ctx.writer.insert(self.table, INSERT_COLUMNS, inserts)
        ctx.inserted += len(inserts)
        for columns, rows in updates.items():
            ctx.writer.update(self.table, columns, rows)

    def finish(self) -> None:
        self.ctx.writer.wait()

    def _kinds(self, chunk: Chunk) -> tuple[list[str | None], list[str | None]]:
        kinds: list[str | None] = [None] * chunk.n
        types: list[str | None] = [None] * chunk.n
        kind_texts = chunk.text("kind") or [""] * chunk.n
        type_texts = chunk.text("facility_type") or [""] * chunk.n
        for k in range(chunk.n):
            try:
                if type_texts[k]:
                    types[k] = parse_facility_type(type_texts[k])
            except RuleError as exc:
                self.ctx.fail(chunk, k, "facility_type", type_texts[k], str(exc))
            try:
                if kind_texts[k]:
                    kinds[k] = parse_place_kind(kind_texts[k])
            except RuleError as exc:
                self.ctx.fail(chunk, k, "kind", kind_texts[k], str(exc))
                continue
            if types[k] is not None and kinds[k] not in (None, PlaceKind.FACILITY):
                self.ctx.fail(
                    chunk, k, "kind", kind_texts[k], _("填写了设施类型时，场所类别应为“设施”")
                )
            elif types[k] is not None:
                kinds[k] = PlaceKind.FACILITY.value
            elif kinds[k] is None and not type_texts[k]:
                self.ctx.fail(
                    chunk,
                    k,
                    "kind" if chunk.has("kind") else "name",
                    kind_texts[k],
                    _("缺少场所类别（房屋、设施、兴趣点、隐患点）或设施类型"),
                )
        return kinds, types

    def _parse(self, chunk: Chunk, name: str, parse: Any) -> list[Any]:
        texts = chunk.text(name)
        values: list[Any] = [None] * chunk.n
        if texts is None:
            return values
        for k, text in enumerate(texts):
            if text:
                try:
                    values[k] = parse(text)
                except RuleError as exc:
                    self.ctx.fail(chunk, k, name, text, str(exc))
        return values

    def _existing(self, keys: list[Key]) -> dict[Key, dict[str, Any]]:
        if not keys or not self.db_has_rows:
            return {}
        found: dict[Key, dict[str, Any]] = {}
        conn = self.ctx.connection
        by_code = [k[1] for k in keys if k[0] == "code"]
        for part in in_batches(by_code):
            for row in conn.execute(select(*_EXISTING).where(Place.code.in_(part))):
                found[("code", row.code)] = dict(row._mapping)
        with_address = [(k[1], k[2], k[3]) for k in keys if k[0] == "name" and k[3]]
        without_address = [(k[1], k[2]) for k in keys if k[0] == "name" and not k[3]]
        stmts = [
            select(*_EXISTING).where(
                Place.code.is_(None), tuple_(Place.name, Place.kind, Place.address).in_(part)
            )
            for part in in_batches(with_address, 300)
        ] + [
            select(*_EXISTING).where(
                Place.code.is_(None),
                Place.address.is_(None),
                tuple_(Place.name, Place.kind).in_(part),
            )
            for part in in_batches(without_address, 400)
        ]
        for stmt in stmts:
            for row in conn.execute(stmt):
                found[("name", row.name, row.kind, row.address or "")] = dict(row._mapping)
        return found
