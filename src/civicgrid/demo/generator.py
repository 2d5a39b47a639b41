"""演示城市生成器 — build a whole, deterministic demo city inside one database transaction.

``generate_city(session, size="default", seed=2026)`` writes one district (its own codes, all
prefixed ``demo-``) with streets, communities, grids, buildings, grid teams, households, residents,
entities, places and a year of work orders ending at a reference date derived from the seed. The
same seed gives the same rows (ciphertexts aside: AES-GCM draws a fresh nonce per value, by
design; the blind indexes are deterministic for given keys).

The caller owns the transaction (the CLI commits; tests roll back). Rows are written with Core
bulk inserts in chunks; the session's identity map is not involved.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicgrid.config import get_settings
from civicgrid.demo import orderrows, population, registries, territory
from civicgrid.demo.sizes import DEFAULT_SEED, SIZES, Size, reference_date
from civicgrid.errors import Conflict, Invalid
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.i18n import _
from civicgrid.models.org import OrgNode

GENERATOR_VERSION = 1
SQLITE_CACHE_KIB = 512 * 1024
MANIFEST_PREFIX = "demo:"


class Reporter(Protocol):
    """Progress sink (the CLI draws rich progress bars; tests pass nothing)."""

    def start(self, key: str, label: str, total: int | None) -> None: ...

    def advance(self, key: str, n: int) -> None: ...

    def finish(self, key: str) -> None: ...


class NullReporter:
    def start(self, key: str, label: str, total: int | None) -> None:
        return None

    def advance(self, key: str, n: int) -> None:
        return None

    def finish(self, key: str) -> None:
        return None


@dataclass
class CitySummary:
    """What was built; post-generation steps may append lines to ``messages``."""

    size: str
    seed: int
    reference_date: date
    district_id: int
    district_code: str
    levels: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    entities: dict[str, int] = field(default_factory=dict)
    places: dict[str, int] = field(default_factory=dict)
    orders: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0  # wall-clock seconds
    cpu: float = 0.0  # CPU seconds of this process (less sensitive to a busy machine)
    messages: list[str] = field(default_factory=list)


def key_fingerprint(cipher: FieldCipher) -> str:
    """A short, non-reversible tag of the keys the city was encrypted with."""
    material = b"".join(k for _, k in cipher.keys) + cipher.index_key
    return hashlib.sha256(b"civicgrid-demo\x00" + material).hexdigest()[:12]


def manifest_tags(size: str, seed: int, reference: date, keys: str) -> list[str]:
    return [
        "demo",
        f"{MANIFEST_PREFIX}size={size}",
        f"{MANIFEST_PREFIX}seed={seed}",
        f"{MANIFEST_PREFIX}reference={reference.isoformat()}",
        f"{MANIFEST_PREFIX}keys={keys}",
        f"{MANIFEST_PREFIX}version={GENERATOR_VERSION}",
    ]


def read_manifest(session: Session) -> dict[str, str] | None:
    """The manifest of the demo city in this database, or None when there is none."""
    node = session.scalars(
        select(OrgNode).where(OrgNode.code.startswith("demo-"), OrgNode.parent_id.is_(None))
    ).first()
    if node is None:
        return None
    out = {"district_id": str(node.id), "district_code": node.code}
    for tag in node.tags:
        if tag.startswith(MANIFEST_PREFIX):
            k, _sep, v = tag.removeprefix(MANIFEST_PREFIX).partition("=")
            out[k] = v
    return out


def default_cipher() -> FieldCipher:
    settings = get_settings()
    if not settings.field_keys or not settings.secret_key:
        raise Invalid(_("未配置加密密钥（CIVICGRID_FIELD_KEYS 与 CIVICGRID_SECRET_KEY）"))
    return FieldCipher.from_config(settings.field_keys, settings.secret_key)


def resolve_size(size: str | Size) -> Size:
    if isinstance(size, Size):
        return size
    if size not in SIZES:
        raise Invalid(
            _("未知的规模：{size}（可选 {choices}）").format(size=size, choices="、".join(SIZES))
        )
    return SIZES[size]


def generate_city(
    session: Session,
    *,
    size: str | Size = "default",
    seed: int = DEFAULT_SEED,
    cipher: FieldCipher | None = None,
    reference: date | None = None,
    reporter: Reporter | None = None,
) -> CitySummary:
    """Write a complete demo city in the session's transaction and return its summary."""
    spec = resolve_size(size)
    cipher = cipher or default_cipher()
    rep = reporter or NullReporter()
    reference = reference or reference_date(seed)
    if read_manifest(session) is not None:
        raise Conflict(_("数据库中已有演示城市，请使用新的数据库或 --fresh 重新生成"))
    conn = session.connection()
    session.flush()
    if conn.dialect.name == "sqlite":
        # A large page cache keeps the random-key indexes (blind indexes, codes) in memory.
        previous_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    # The platform went live a year before the reference date, at 09:00 Beijing time.
    created = datetime.combine(reference - timedelta(days=365), datetime.min.time(), UTC)
    created += timedelta(hours=1)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    clock = t0

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    cpu0 = time.process_time()
    rep.start("territory", _("区划与网格"), None)
    terr = territory.build_territory(conn, streams[0], spec, created)
    sizes = population.plan_households(streams[1], spec.residents)
    per_grid = population.households_per_grid(streams[1], terr, sizes.size)
    buildings, hh_building = territory.build_buildings(conn, streams[2], terr, per_grid, created)
    members = territory.build_teams(conn, streams[3], terr, created)
    rep.finish("territory")
    lap("territory")

    hh_grid = np.repeat(np.arange(terr.n_grids), per_grid)
    rep.start("encrypt", _("加密身份证号与手机号"), spec.residents)
    rep.start("households", _("户"), int(sizes.size))
    rep.start("persons", _("人口"), spec.residents)
    people, groups = population.build_population(
        conn,
        streams[4],
        terr,
        buildings,
        hh_grid,
        hh_building,
        sizes,
        reference=reference,
        created=created,
        cipher=cipher,
        advance=rep.advance,
    )
    for key in ("encrypt", "households", "persons"):
        rep.finish(key)
    lap("population")

    rep.start("registries", _("法人与场所"), None)
    entity_counts, shops = registries.build_entities(
        conn, streams[5], terr, spec, spec.residents, created=created, cipher=cipher
    )
    place_counts = registries.build_places(conn, streams[6], terr, created=created)
    rep.finish("registries")
    lap("registries")

    rep.start("orders", _("工单"), spec.work_orders)
    figures = orderrows.write_orders(
        conn,
        streams[7],
        terr,
        buildings,
        people,
        shops,
        n_orders=spec.work_orders,
        reference=reference,
        advance=lambda n: rep.advance("orders", n),
    )
    rep.finish("orders")
    lap("orders")

    tags = manifest_tags(spec.name, seed, reference, key_fingerprint(cipher))
    conn.execute(update(OrgNode).where(OrgNode.id == terr.district_id).values(tags=tags))
    from civicgrid.demo.summary import level_counts, table_counts

    summary = CitySummary(
        size=spec.name,
        seed=seed,
        reference_date=reference,
        district_id=terr.district_id,
        district_code=terr.district_code,
        groups=groups,
        entities=entity_counts,
        places=place_counts,
        orders=figures,
        timings=timings,
    )
    summary.levels = level_counts(session, terr.district_path)
    summary.tables = table_counts(session, terr.district_path)
    summary.tables["grid_member"] = members
    summary.elapsed = round(time.perf_counter() - t0, 2)
    summary.cpu = round(time.process_time() - cpu0, 2)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size={int(previous_cache or -2000)}")
    return summary
