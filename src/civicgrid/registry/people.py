"""人口库导入 — the population import handler (column-wise, built for a million rows).

Per chunk: validate every column (ID numbers vectorised with numpy), place rows on grids
(vectorised), compute blind indexes and ciphertexts in batches — all while the writer thread is
still inserting the previous chunk — then, with the connection to itself: find households and
people already in the database, create new households, and queue the inserts and the
changed-fields-only updates.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from civicgrid.kit.bulk import Row, json_tags, rebuild_indexes, suspend_indexes
from civicgrid.kit.i18n import _
from civicgrid.models.registry import Household, Person
from civicgrid.registry.codes import IdCheck, check_id_numbers, normalise_id_numbers
from civicgrid.registry.importer import Chunk, ImportContext, has_any, limited_texts
from civicgrid.registry.locate import Located
from civicgrid.registry.rules import (
    GENDER_LABEL,
    GENDERS,
    RuleError,
    number_lost_digits,
    parse_date,
    parse_date_text,
    parse_gender,
    parse_phone,
    parse_tags,
    plain_mobiles,
)

INSERT_COLUMNS = (
    "household_id",
    "node_id",
    "name",
    "gender",
    "birth_date",
    "id_number_enc",
    "id_number_index",
    "phone_enc",
    "phone_index",
    "address",
    "lat",
    "lon",
    "relation",
    "tags",
    "source",
    "created_at",
    "updated_at",
)
HOUSEHOLD_COLUMNS = ("code", "node_id", "address", "lat", "lon", "created_at", "updated_at")
# Existing people are read straight from the driver; dates and JSON as text on both backends.
_EXISTING_SQL = (
    "SELECT id, id_number_index, name, gender, CAST(birth_date AS VARCHAR(10)), phone_index, "
    "address, lat, lon, node_id, household_id, relation, CAST(tags AS TEXT) FROM person"
)
_ID, _INDEX, _NAME, _GENDER, _BIRTH, _PHONE, _ADDRESS = range(7)
_LAT, _LON, _NODE, _HOUSEHOLD, _RELATION, _TAGS = range(7, 13)


class PeopleHandler:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.table: Table = Person.__table__  # type: ignore[assignment]
        self.households_table: Table = Household.__table__  # type: ignore[assignment]
        self.seen: dict[str, int] = {}  # ID number → row number of the first accepted row
        self.households: dict[str, tuple[int, int | None]] = {}  # code → (id, node id)
        self.db_has_people = has_any(ctx.session, Person.id)
        self.db_had_households = has_any(ctx.session, Household.id)
        # An initial load into an empty table builds the indexes once at the end instead.
        self.rebuild: list[str] = []
        if not self.db_has_people and (ctx.estimated_rows or 0) >= ctx.options.bulk_load_rows:
            self.rebuild = suspend_indexes(ctx.connection, self.table.name)
        self.now_db = ctx.writer.bind_value(self.table, "created_at", ctx.now)
        self.today = dt.date.today()
        self.dates: dict[str, str] = {}

    # --- prepare: validation, no database access (the writer may be busy) ----------------------

    def prepare(self, chunk: Chunk) -> Prepared:
        ctx = self.ctx
        n = chunk.n
        names = limited_texts(ctx, chunk, "name", 100, _("姓名"))
        if not all(names):
            for k, name in enumerate(names):
                if not name:
                    ctx.fail(chunk, k, "name", name, _("姓名为空"))

        id_texts = chunk.text("id_number") or [""] * n
        id_raw = chunk.raw("id_number") or [None] * n
        ids = normalise_id_numbers(id_texts)
        check = check_id_numbers(ids, today=self.today)
        for k, reason in enumerate(check.reasons if check.reasons.count(None) != n else ()):
            if reason is not None:
                if number_lost_digits(id_raw[k]):
                    reason = _(
                        "身份证号被 Excel 存成了数字，后几位已丢失：请把该列设为“文本”后重新填写"
                    )
                ctx.fail(chunk, k, "id_number", id_texts[k], reason)

        phones: list[str | None] = [None] * n
        phone_texts = chunk.text("phone")
        fast = plain_mobiles(phone_texts) if phone_texts is not None else None
        if fast is not None:
            phones = fast
        elif phone_texts is not None:
            for k, text in enumerate(phone_texts):
                if text:
                    try:
                        phones[k] = parse_phone(text)
                    except RuleError as exc:
                        ctx.fail(chunk, k, "phone", text, str(exc))

        self._check_gender(chunk, check.genders)
        self._check_birth(chunk, check.birth_dates)
        codes = limited_texts(ctx, chunk, "household_code", 64, _("户号"))
        relations = limited_texts(ctx, chunk, "relation", 20, _("与户主关系"))
        addresses = limited_texts(ctx, chunk, "address", 300, _("地址"))

        tags: list[tuple[str, ...] | None] = [None] * n
        tag_texts = chunk.text("tags")
        if tag_texts is not None and any(tag_texts):
            for k, text in enumerate(tag_texts):
                if text:
                    try:
                        tags[k] = parse_tags(text)
                    except RuleError as exc:
                        ctx.fail(chunk, k, "tags", text, str(exc))

        located = ctx.located(chunk)

        good = chunk.good()
        keys = Keys(ctx, good, ids, phones, seal_now=not self.db_has_people)
        return Prepared(
            chunk, names, ids, id_texts, phones, codes, relations, addresses, tags, check, located,
            keys,
        )  # fmt: skip

    # --- complete: the connection is ours once the writer is idle -----------------------------

    def complete(self, p: Prepared) -> Chunk:
        ctx, chunk, keys, located = self.ctx, p.chunk, p.keys, p.located
        names, ids, codes, addresses, tags = p.names, p.ids, p.codes, p.addresses, p.tags
        relations, check = p.relations, p.check
        keys.resolve()
        id_index, phone_index = keys.id_index, keys.phone_index
        good = keys.good
        ctx.writer.wait()
        self._load_households({codes[k] for k in good if codes[k]})
        existing = self._existing([id_index[k] for k in good])
        nodes: dict[int, int | None] = {}
        explicit: set[int] = set()
        for k in good:
            node = located.nodes[k]
            if node is not None:
                explicit.add(k)
            elif codes[k] and codes[k] in self.households:
                node = self.households[codes[k]][1]
            if node is None and id_index[k] in existing:
                nodes[k] = existing[id_index[k]][_NODE]  # already placed: stays where it is
                continue
            if node is None and ctx.options.scope is not None:
                node = ctx.options.scope.id
            if node is None:
                ctx.fail(chunk, k, ctx.location_field(), "", ctx.no_location())
                continue
            nodes[k] = node

        accepted = []
        for k in good:
            if not chunk.ok[k]:
                continue
            first = self.seen.get(ids[k])
            if first is not None:
                ctx.fail(
                    chunk,
                    k,
                    "id_number",
                    p.id_texts[k],
                    _("与第 {n} 行身份证号重复（同一人只导入一次）").format(n=first),
                )
                continue
            self.seen[ids[k]] = chunk.rows[k]
            accepted.append(k)

        self._create_households(
            [k for k in accepted if codes[k] and codes[k] not in self.households],
            codes,
            addresses,
            nodes,
            located.lons,
            located.lats,
        )
        new_rows = [k for k in accepted if id_index[k] not in existing]
        changed_phone = [
            k
            for k in accepted
            if k in phone_index
            and (id_index[k] not in existing or existing[id_index[k]][_PHONE] != phone_index[k])
        ]
        keys.seal(new_rows, changed_phone)

        inserts: list[Row] = []
        for k in new_rows:
            household = self.households.get(codes[k]) if codes[k] else None
            inserts.append(
                (
                    household[0] if household else None,
                    nodes[k],
                    names[k],
                    check.genders[k],
                    check.birth_dates[k],
                    keys.id_enc[k],
                    id_index[k],
                    keys.phone_enc.get(k),
                    phone_index.get(k),
                    addresses[k] or None,
                    located.lats[k],
                    located.lons[k],
                    relations[k] or None,
                    json_tags(tags[k] or ()),
                    ctx.source,
                    self.now_db,
                    self.now_db,
                )
            )
        ctx.writer.insert(self.table, INSERT_COLUMNS, inserts)
        ctx.inserted += len(inserts)

        updates: dict[tuple[str, ...], list[Row]] = {}
        for k in accepted if existing else ():
            old = existing.get(id_index[k])
            if old is None:
                continue
            household = self.households.get(codes[k]) if codes[k] else None
            changed: dict[str, Any] = {}
            for column, value, current in (
                ("name", names[k], old[_NAME]),
                ("gender", check.genders[k], old[_GENDER]),
                ("birth_date", check.birth_dates[k], old[_BIRTH]),
                ("address", addresses[k], old[_ADDRESS]),
                ("relation", relations[k], old[_RELATION]),
            ):
                if value and value != current:
                    changed[column] = value
            if k in phone_index and phone_index[k] != old[_PHONE]:
                changed["phone_index"] = phone_index[k]
                changed["phone_enc"] = keys.phone_enc[k]
            if tags[k] is not None and not _same_tags(old[_TAGS], tags[k] or ()):
                changed["tags"] = json_tags(tags[k] or ())
            lat, lon = located.lats[k], located.lons[k]
            if k in explicit:
                if nodes[k] != old[_NODE]:
                    changed["node_id"] = nodes[k]
                if lon is not None and (_moved(old[_LAT], lat) or _moved(old[_LON], lon)):
                    changed["lat"], changed["lon"] = lat, lon
            if household is not None and household[0] != old[_HOUSEHOLD]:
                changed["household_id"] = household[0]
                if k not in explicit and nodes[k] != old[_NODE]:
                    changed["node_id"] = nodes[k]
            if not changed:
                ctx.unchanged += 1
                continue
            columns = (*sorted(changed), "updated_at")
            row = (*(changed[c] for c in columns[:-1]), self.now_db, old[_ID])
            updates.setdefault(columns, []).append(row)
            ctx.updated += 1
        for columns, rows in updates.items():
            ctx.writer.update(self.table, columns, rows)
        return chunk

    def finish(self) -> None:
        self.ctx.writer.wait()
        # Fails (and rolls the import back) only if two rows shared an ID: dedup prevents that.
        rebuild_indexes(self.ctx.connection, self.rebuild)

    # --- helpers ----------------------------------------------------------------------------

    def _check_gender(self, chunk: Chunk, genders: list[str | None]) -> None:
        texts = chunk.text("gender")
        if texts is None:
            return
        for k, text in enumerate(texts):
            derived = genders[k]
            if not text or derived is None or GENDERS.get(text) == derived:
                continue
            label = GENDER_LABEL[derived]
            try:
                given = parse_gender(text)
            except RuleError:
                self.ctx.warn(
                    chunk,
                    k,
                    "gender",
                    text,
                    _("性别「{v}」无法识别，已按身份证号记为{g}").format(v=text[:10], g=label),
                )
                continue
            if given != derived:
                self.ctx.warn(
                    chunk,
                    k,
                    "gender",
                    text,
                    _("性别与身份证号不符，已按身份证号记为{g}").format(g=label),
                )

    def _check_birth(self, chunk: Chunk, births: list[str | None]) -> None:
        raw = chunk.raw("birth_date")
        texts = chunk.text("birth_date")
        if raw is None or texts is None:
            return
        seen = self.dates  # text → ISO date, a file has a few tens of thousands of distinct ones
        for k, text in enumerate(texts):
            if not text:
                continue
            value = raw[k]
            given = seen.get(text) if value.__class__ is str else None
            if given is None:
                try:
                    day = parse_date_text(value) if value.__class__ is str else parse_date(value)
                except RuleError as exc:
                    self.ctx.fail(chunk, k, "birth_date", text, str(exc))
                    continue
                given = day.isoformat()
                if value.__class__ is str:
                    seen[text] = given
            derived = births[k]
            if derived is not None and given != derived:
                self.ctx.warn(
                    chunk,
                    k,
                    "birth_date",
                    text,
                    _("出生日期与身份证号不符，已按身份证号记为 {d}").format(d=derived),
                )

    def _load_households(self, codes: set[str], *, created: bool = False) -> None:
        """Households by code into the cache: those that existed before the import, or just
        ``created`` ones (households this import made are cached, so nothing else is looked up)."""
        wanted = [c for c in codes if c not in self.households]
        if not wanted or not (created or self.db_had_households):
            return
        found = self.ctx.writer.fetch_in("SELECT id, code, node_id FROM household", "code", wanted)
        for household_id, code, node_id in found:
            self.households[code] = (household_id, node_id)

    def _create_households(
        self,
        rows: list[int],
        codes: list[str],
        addresses: list[str],
        nodes: dict[int, int | None],
        lons: list[float | None],
        lats: list[float | None],
    ) -> None:
        """Insert the new households (executemany), then read their ids back by code."""
        new: dict[str, Row] = {}
        for k in rows:
            if codes[k] not in new:
                new[codes[k]] = (
                    codes[k],
                    nodes[k],
                    addresses[k],
                    lats[k],
                    lons[k],
                    self.now_db,
                    self.now_db,
                )
        if not new:
            return
        writer = self.ctx.writer
        writer.insert(self.households_table, HOUSEHOLD_COLUMNS, list(new.values()))
        writer.wait()
        self._load_households(set(new), created=True)

    def _existing(self, indexes: list[str]) -> dict[str, Row]:
        """People already registered, by blind index, as tuples (see ``_EXISTING_SQL``)."""
        if not indexes or not self.db_has_people:
            return {}
        rows = self.ctx.writer.fetch_in(_EXISTING_SQL, "id_number_index", indexes)
        return {row[_INDEX]: row for row in rows}


@dataclass
class Prepared:
    """A validated chunk waiting for its database step."""

    chunk: Chunk
    names: list[str]
    ids: list[str]
    id_texts: list[str]
    phones: list[str | None]
    codes: list[str]
    relations: list[str]
    addresses: list[str]
    tags: list[tuple[str, ...] | None]
    check: IdCheck
    located: Located
    keys: Keys


class Keys:
    """Blind indexes and ciphertexts of a chunk's good rows.

    With a crypto process they are all computed there, asynchronously (``resolve`` waits for
    them). Without one, blind indexes are computed here at once, and ciphertexts either at once
    (``seal_now``: an empty table, every row is new) or later by ``seal`` for the rows that turn out
    to need them (new people, changed phones).
    """

    def __init__(
        self,
        ctx: ImportContext,
        good: list[int],
        ids: list[str],
        phones: list[str | None],
        *,
        seal_now: bool,
    ) -> None:
        self.ctx, self.good, self.ids, self.phones = ctx, good, ids, phones
        self.with_phone = [k for k in good if phones[k]]
        self.id_index: dict[int, str] = {}
        self.phone_index: dict[int, str] = {}
        self.id_enc: dict[int, str] = {}
        self.phone_enc: dict[int, str] = {}
        id_values = [ids[k] for k in good]
        phone_values = [phones[k] or "" for k in self.with_phone]
        self.future = ctx.crypto.submit(id_values, phone_values) if ctx.crypto is not None else None
        if self.future is None:
            cipher = ctx.cipher
            self.id_index = dict(zip(good, cipher.index_many(id_values), strict=True))
            self.phone_index = dict(
                zip(self.with_phone, cipher.index_many(phone_values), strict=True)
            )
            if seal_now:
                self.seal(good, self.with_phone)

    def resolve(self) -> None:
        if self.future is None:
            return
        id_index, id_enc, phone_index, phone_enc = self.future.result()
        self.future = None
        self.id_index = dict(zip(self.good, id_index, strict=True))
        self.id_enc = dict(zip(self.good, id_enc, strict=True))
        self.phone_index = dict(zip(self.with_phone, phone_index, strict=True))
        self.phone_enc = dict(zip(self.with_phone, phone_enc, strict=True))

    def seal(self, id_rows: list[int], phone_rows: list[int]) -> None:
        """Encrypt what is still missing for these rows."""
        encrypt = self.ctx.cipher.encrypt_many
        id_rows = [k for k in id_rows if k not in self.id_enc]
        phone_rows = [k for k in phone_rows if k not in self.phone_enc]
        self.id_enc.update(zip(id_rows, encrypt([self.ids[k] for k in id_rows]), strict=True))
        values = [self.phones[k] or "" for k in phone_rows]
        self.phone_enc.update(zip(phone_rows, encrypt(values), strict=True))


def _same_tags(stored: str | None, tags: tuple[str, ...]) -> bool:
    if stored == json_tags(tags):
        return True
    return sorted(json.loads(stored or "[]")) == list(tags)


def _moved(old: float | None, new: float | None) -> bool:
    if old is None or new is None:
        return old is not new
    return abs(old - new) > 1e-9
