"""法人库导入 — the legal-entity import handler (enterprises, shops, social organisations).

An entity is the same entity when its unified social credit code is the same; without a code,
when its name and address are the same. Kind comes from the kind column, or else from the credit
code itself (its 1st and 2nd characters name the registration authority and organisation type).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select, tuple_

from civicgrid.kit.bulk import Row, json_text
from civicgrid.kit.i18n import _
from civicgrid.models.registry import Entity
from civicgrid.registry.codes import check_credit_code, entity_kind_from_credit_code
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
    parse_count,
    parse_entity_kind,
    parse_free_tags,
    parse_phone,
)

INSERT_COLUMNS = (
    "node_id",
    "name",
    "kind",
    "credit_code",
    "legal_rep",
    "phone_enc",
    "address",
    "lat",
    "lon",
    "employees",
    "tags",
    "created_at",
    "updated_at",
)
_EXISTING = (
    Entity.id,
    Entity.name,
    Entity.kind,
    Entity.credit_code,
    Entity.legal_rep,
    Entity.phone_enc,
    Entity.address,
    Entity.lat,
    Entity.lon,
    Entity.node_id,
    Entity.employees,
    Entity.tags,
)
Key = tuple[str, ...]


def entity_key(code: str, name: str, address: str) -> Key:
    return ("code", code) if code else ("name", name, address)


class EntityHandler:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.table: Table = Entity.__table__  # type: ignore[assignment]
        self.seen: dict[Key, int] = {}
        self.db_has_rows = has_any(ctx.session, Entity.id)
        self.now_db = ctx.writer.bind_value(self.table, "created_at", ctx.now)

    def prepare(self, chunk: Chunk) -> Chunk:
        """Everything happens here (volumes are small); ``complete`` only hands the chunk back."""
        self._process(chunk)
        return chunk

    def complete(self, prepared: Chunk) -> Chunk:
        return prepared

    def _process(self, chunk: Chunk) -> None:
        ctx = self.ctx
        n = chunk.n
        names = limited_texts(ctx, chunk, "name", 200, _("单位名称"))
        for k, name in enumerate(names):
            if not name:
                ctx.fail(chunk, k, "name", name, _("单位名称为空"))
        codes = [c.replace(" ", "").upper() for c in chunk.text("credit_code") or [""] * n]
        for k, code in enumerate(codes):
            if code and (reason := check_credit_code(code)) is not None:
                ctx.fail(chunk, k, "credit_code", code, reason)
        kinds = self._kinds(chunk, codes)
        reps = limited_texts(ctx, chunk, "legal_rep", 100, _("法定代表人"))
        addresses = limited_texts(ctx, chunk, "address", 300, _("地址"))
        phones = self._parse(chunk, "phone", parse_phone)
        employees = self._parse(chunk, "employees", lambda t: parse_count(t, _("从业人数")))
        tags = self._parse(chunk, "tags", parse_free_tags)
        located = ctx.located(chunk)
        nodes = ctx.resolve_nodes(chunk, located)

        ctx.writer.wait()
        accepted = []
        for k in chunk.good():
            key = entity_key(codes[k], names[k], addresses[k])
            first = self.seen.get(key)
            if first is not None:
                field = "credit_code" if codes[k] else "name"
                ctx.fail(
                    chunk,
                    k,
                    field,
                    codes[k] or names[k],
                    _("与第 {n} 行是同一单位（{what}相同）").format(
                        n=first, what=_("统一社会信用代码") if codes[k] else _("名称和地址")
                    ),
                )
                continue
            self.seen[key] = chunk.rows[k]
            accepted.append(k)
        existing = self._existing([entity_key(codes[k], names[k], addresses[k]) for k in accepted])

        inserts: list[Row] = []
        updates: dict[tuple[str, ...], list[Row]] = {}
        for k in accepted:
            lat, lon = located.lats[k], located.lons[k]
            old = existing.get(entity_key(codes[k], names[k], addresses[k]))
            if old is None:
                phone_enc = ctx.cipher.encrypt_many([phones[k]])[0] if phones[k] else None
                inserts.append(
                    (
                        nodes[k],
                        names[k],
                        kinds[k],
                        codes[k] or None,
                        reps[k] or None,
                        phone_enc,
                        addresses[k] or None,
                        lat,
                        lon,
                        employees[k],
                        json_text(tags[k] or []),
                        self.now_db,
                        self.now_db,
                    )
                )
                continue
            new: dict[str, Any] = {"name": names[k], "kind": kinds[k]}
            for column, value in (
                ("legal_rep", reps[k]),
                ("address", addresses[k]),
                ("employees", employees[k]),
                ("tags", tags[k]),
            ):
                if value not in (None, ""):
                    new[column] = value
            if located.nodes[k] is not None:
                new["node_id"] = nodes[k]
                if lon is not None:
                    new["lat"], new["lon"] = lat, lon
            changed = changed_fields(old, new)
            if phones[k]:
                current = ctx.cipher.cipher.decrypt(old["phone_enc"]) if old["phone_enc"] else None
                if current != phones[k]:
                    changed["phone_enc"] = ctx.cipher.encrypt_many([phones[k]])[0]
            if not changed:
                ctx.unchanged += 1
                continue
            if "tags" in changed:
                changed["tags"] = json_text(changed["tags"])
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

    def _kinds(self, chunk: Chunk, codes: list[str]) -> list[str | None]:
        texts = chunk.text("kind") or [""] * chunk.n
        kinds: list[str | None] = [None] * chunk.n
        for k, text in enumerate(texts):
            try:
                if text:
                    kinds[k] = parse_entity_kind(text)
                    continue
            except RuleError as exc:
                self.ctx.fail(chunk, k, "kind", text, str(exc))
                continue
            kinds[k] = entity_kind_from_credit_code(codes[k]) if codes[k] else None
            if kinds[k] is None:
                self.ctx.fail(
                    chunk,
                    k,
                    "kind" if chunk.has("kind") else "name",
                    text,
                    _("缺少单位类型（企业、商户、社会组织、物业公司），信用代码也无法推断"),
                )
        return kinds

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
        by_code = [k[1] for k in keys if k[0] == "code"]
        by_name = [(k[1], k[2]) for k in keys if k[0] == "name"]
        conn = self.ctx.connection
        for part in in_batches(by_code):
            for row in conn.execute(select(*_EXISTING).where(Entity.credit_code.in_(part))):
                found[("code", row.credit_code)] = dict(row._mapping)
        with_address = [p for p in by_name if p[1]]
        without_address = [p[0] for p in by_name if not p[1]]
        stmts = [
            select(*_EXISTING).where(
                Entity.credit_code.is_(None), tuple_(Entity.name, Entity.address).in_(part)
            )
            for part in in_batches(with_address, 400)
        ] + [
            select(*_EXISTING).where(
                Entity.credit_code.is_(None), Entity.address.is_(None), Entity.name.in_(part)
            )
            for part in in_batches(without_address)
        ]
        for stmt in stmts:
            for row in conn.execute(stmt):
                found[("name", row.name, row.address or "")] = dict(row._mapping)
        return found
