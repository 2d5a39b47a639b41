"""The small demo city, built once per backend inside a transaction rolled back at the end.

The seed world is already in the database: the demo district must live beside it (own codes, all
prefixed ``demo-``) without touching it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import shape
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civicgrid.demo import catalog, idcodes
from civicgrid.demo.generator import CitySummary, default_cipher, generate_city, read_manifest
from civicgrid.errors import Conflict
from civicgrid.kit.geo import PolygonIndex
from civicgrid.models.org import GridMember, OrgLevel, OrgNode, subtree_of
from civicgrid.models.registry import Entity, Household, Person, Place
from civicgrid.models.workorder import WorkOrder

SEED = 11


@dataclass
class City:
    session: Session
    summary: CitySummary
    path: str

    def grids(self) -> list[OrgNode]:
        return list(
            self.session.scalars(
                select(OrgNode).where(
                    subtree_of(OrgNode.path, self.path), OrgNode.level == OrgLevel.GRID
                )
            )
        )

    def orders(self) -> list[WorkOrder]:
        return list(
            self.session.scalars(
                select(WorkOrder)
                .join(OrgNode, OrgNode.id == WorkOrder.node_id)
                .where(subtree_of(OrgNode.path, self.path))
            )
        )


@pytest.fixture(scope="module")
def city(engine: Engine) -> Iterator[City]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        summary = generate_city(session, size="small", seed=SEED)
        district = session.get(OrgNode, summary.district_id)
        assert district is not None
        yield City(session, summary, district.path)
    finally:
        session.close()
        outer.rollback()
        connection.close()


def test_hierarchy_and_counts(city: City) -> None:
    s = city.summary
    assert s.levels == {
        "district": 1,
        "street": 2,
        "community": 4,
        "grid": 12,
        "building": s.levels["building"],
    }
    assert s.levels["building"] >= 12
    assert s.tables["person"] == 2000
    assert s.tables["work_order"] == 3000
    assert 600 <= s.tables["household"] <= 1000
    assert s.tables["entity"] > 20 and s.tables["place"] > 20 and s.tables["grid_member"] >= 12 * 6
    nodes = city.session.scalars(select(OrgNode).where(subtree_of(OrgNode.path, city.path)))
    assert all(n.code.startswith("demo-") for n in nodes)
    # The seed world is untouched.
    seed_levels = dict(
        city.session.execute(
            select(OrgNode.level, func.count())
            .where(~OrgNode.code.startswith("demo-"))
            .group_by(OrgNode.level)
        ).all()
    )
    assert seed_levels == {"district": 1, "street": 2, "community": 4, "grid": 6}


def test_manifest_and_refusal_to_build_twice(city: City) -> None:
    manifest = read_manifest(city.session)
    assert manifest is not None
    assert manifest["size"] == "small" and manifest["seed"] == str(SEED)
    with pytest.raises(Conflict):
        generate_city(city.session, size="small", seed=SEED)


def test_children_tile_their_parent(city: City) -> None:
    rows = city.session.execute(
        select(OrgNode.id, OrgNode.parent_id, OrgNode.level, OrgNode.geometry).where(
            subtree_of(OrgNode.path, city.path)
        )
    ).all()
    geoms = {r.id: shape(r.geometry) for r in rows}
    children: dict[int, list[int]] = {}
    for r in rows:
        if r.level in (OrgLevel.STREET, OrgLevel.COMMUNITY, OrgLevel.GRID):
            children.setdefault(r.parent_id, []).append(r.id)
    for parent, kids in children.items():
        area = sum(geoms[k].area for k in kids)
        assert abs(area / geoms[parent].area - 1) < 1e-3
    for r in rows:  # buildings are points inside their grid
        if r.level == OrgLevel.BUILDING:
            assert geoms[r.parent_id].contains(geoms[r.id])


def test_every_located_record_lies_in_its_grid(city: City) -> None:
    grids = city.grids()
    index = PolygonIndex([g.id for g in grids], [shape(g.geometry) for g in grids])
    for model in (Household, Person, Entity, Place, WorkOrder):
        rows = city.session.execute(
            select(model.node_id, model.lon, model.lat)
            .join(OrgNode, OrgNode.id == model.node_id)
            .where(subtree_of(OrgNode.path, city.path))
        ).all()
        assigned = index.assign([r.lon for r in rows], [r.lat for r in rows])
        assert list(assigned) == [r.node_id for r in rows], model.__name__


def test_residents_have_valid_encrypted_ids_and_phones(city: City) -> None:
    cipher = default_cipher()
    people = city.session.scalars(
        select(Person)
        .join(OrgNode, OrgNode.id == Person.node_id)
        .where(subtree_of(OrgNode.path, city.path))
    ).all()
    ids = set()
    for p in people:
        assert p.id_number_enc is not None and p.id_number_index is not None
        number = cipher.decrypt(p.id_number_enc)
        assert idcodes.is_valid_id_number(number), number
        assert cipher.blind_index(number) == p.id_number_index
        assert number[6:14] == p.birth_date.strftime("%Y%m%d")  # type: ignore[union-attr]
        assert (int(number[16]) % 2 == 1) == (p.gender == "M")
        ids.add(number)
        if p.phone_enc is not None:
            phone = cipher.decrypt(p.phone_enc)
            assert len(phone) == 11 and cipher.blind_index(phone) == p.phone_index
        assert len(p.name) >= 2
    assert len(ids) == len(people)
    tags = Counter(t for p in people for t in p.tags)
    n = len(people)
    assert 0.01 < tags["elderly_alone"] / n < 0.08
    assert 0.03 < tags["party_member"] / n < 0.12
    assert tags["disabled"] and tags["low_income"] and tags["veteran"]
    elderly = sum(1 for p in people if p.birth_date and p.birth_date.year <= 1966)
    assert 0.12 < elderly / n < 0.3  # population aged 60+


def test_entities_have_valid_credit_codes_and_places_capacity(city: City) -> None:
    codes = city.session.scalars(
        select(Entity.credit_code)
        .join(OrgNode, OrgNode.id == Entity.node_id)
        .where(subtree_of(OrgNode.path, city.path))
    ).all()
    assert codes and all(c and idcodes.is_valid_credit_code(c) for c in codes)
    shelters = city.session.scalars(
        select(Place)
        .join(OrgNode, OrgNode.id == Place.node_id)
        .where(subtree_of(OrgNode.path, city.path), Place.facility_type == "shelter")
    ).all()
    assert len(shelters) >= 4 and all((s.capacity or 0) >= 300 for s in shelters)


def test_grid_teams_have_one_worker_each(city: City) -> None:
    grids = city.grids()
    roles = city.session.execute(
        select(GridMember.node_id, GridMember.role, func.count())
        .where(GridMember.node_id.in_([g.id for g in grids]))
        .group_by(GridMember.node_id, GridMember.role)
    ).all()
    workers = {node: n for node, role, n in roles if role == "worker"}
    assert workers == {g.id: 1 for g in grids}
    assert all(n >= 2 for _node, role, n in roles if role == "liaison")


def test_work_order_timelines_are_consistent(city: City) -> None:
    orders = city.orders()
    ref = datetime.combine(city.summary.reference_date, datetime.min.time(), UTC)
    ref_moment = ref + timedelta(hours=10)  # 18:00 Beijing time
    statuses = Counter(o.status for o in orders)
    assert statuses[catalog.CLOSED] / len(orders) > 0.9
    assert set(statuses) <= {
        catalog.REPORTED,
        catalog.DISPATCHED,
        catalog.ACCEPTED,
        catalog.IN_PROGRESS,
        catalog.REPLIED,
        catalog.CLOSED,
    }
    for o in orders:
        chain = [o.reported_at, o.dispatched_at, o.accepted_at, o.replied_at, o.closed_at]
        present = [t for t in chain if t is not None]
        assert present == sorted(present), o.code
        assert all(t <= ref_moment for t in present)
        assert ref - timedelta(days=366) <= o.reported_at
        if o.status == catalog.CLOSED:
            assert o.closed_at is not None and o.replied_at is not None and o.reply
        else:
            assert o.closed_at is None and o.satisfaction is None
        if o.triage in (catalog.TRIAGE_INVALID, catalog.TRIAGE_DUPLICATE):
            assert o.dispatched_at is None and o.due_at is None
        else:
            assert o.due_at == o.reported_at + timedelta(
                hours=catalog.BY_PATH[o.category or ""].sla_hours
            )
        assert o.category in catalog.BY_PATH
        assert o.department == catalog.BY_PATH[o.category].department
    rated = Counter(o.satisfaction for o in orders if o.satisfaction)
    total = sum(rated.values())
    assert rated[catalog.SATISFIED] / total > 0.6
    assert 0.02 < rated[catalog.DISSATISFIED] / total < 0.2
    overdue = sum(1 for o in orders if o.due_at and o.replied_at and o.replied_at > o.due_at)
    assert 0.03 < overdue / len(orders) < 0.25
    assert sum(o.returns_count for o in orders) > 0 and sum(o.reopen_count for o in orders) > 0


def test_volume_has_weekly_and_seasonal_patterns(city: City) -> None:
    local = [o.reported_at + timedelta(hours=8) for o in city.orders()]
    weekday = sum(1 for t in local if t.weekday() < 5) / 5
    weekend = sum(1 for t in local if t.weekday() >= 5) / 2
    assert weekday > 1.2 * weekend
    noise = [o.reported_at.month for o in city.orders() if o.category == "噪音扰民/生活噪音"]
    summer = sum(1 for m in noise if m in (6, 7, 8))
    winter = sum(1 for m in noise if m in (12, 1, 2))
    assert summer > 2 * winter


def test_hotspots_are_clustered(city: City) -> None:
    by_spot: dict[str, list[WorkOrder]] = {}
    for o in city.orders():
        if "demo_hotspot" in o.extra:
            by_spot.setdefault(o.extra["demo_hotspot"], []).append(o)
    assert set(by_spot) == {"H1", "H2", "H3", "H4", "H5", "H6"}
    for key, items in by_spot.items():
        assert len({o.category for o in items}) == 1
        if key != "H3":  # the water-main burst spans a whole community
            assert len({o.node_id for o in items}) == 1
        days = sorted(o.reported_at for o in items)
        assert (days[-1] - days[0]).days <= 200


def test_category_signal_is_real_but_not_trivial(city: City) -> None:
    """A plain character-bigram classifier learns the categories well, but not perfectly."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    orders = sorted(city.orders(), key=lambda o: o.code)
    texts = [f"{o.title} {o.description}" for o in orders]
    labels = [o.category for o in orders]
    cut = len(orders) * 4 // 5
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    model = LinearSVC().fit(vectorizer.fit_transform(texts[:cut]), labels[:cut])
    predicted = model.predict(vectorizer.transform(texts[cut:]))
    accuracy = sum(p == y for p, y in zip(predicted, labels[cut:], strict=True)) / len(predicted)
    assert 0.7 < accuracy < 0.97
