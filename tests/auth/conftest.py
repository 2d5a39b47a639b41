"""Planted registry data in both streets, with known clear values to look for (and never find)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy.orm import Session

from civicgrid.auth import fields
from civicgrid.kit.masking import mask_address, mask_id_number, mask_phone
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.registry import Entity, Household, Person, Place
from civicgrid.models.workorder import WorkOrder
from tests.fixtures.world import World


@dataclass
class Planted:
    """One planted person and the records around it, all in one grid."""

    grid: str
    street: str
    person: Person
    household: Household
    entity: Entity
    place: Place
    workorder: WorkOrder
    id_number: str
    phone: str
    address: str
    name: str

    @property
    def secrets(self) -> list[str]:
        """Values that must never appear in clear without an unmask."""
        return [self.id_number, self.phone, self.address]

    @property
    def markers(self) -> list[str]:
        """Strings that identify this record at all (for out-of-scope checks)."""
        return [
            self.name,
            self.id_number,
            mask_id_number(self.id_number) or "",
            self.phone,
            mask_phone(self.phone) or "",
            self.address,
            mask_address(self.address) or "",
            self.entity.name,
            self.place.name,
            self.workorder.code,
            self.workorder.title,
        ]


@dataclass
class People:
    by_grid: dict[str, Planted] = field(default_factory=dict)

    def __getitem__(self, grid: str) -> Planted:
        return self.by_grid[grid]

    def all(self) -> list[Planted]:
        return list(self.by_grid.values())


PLAN = {
    # grid: (name, id number, phone, address)
    "D1-1": ("郑东湖", "430102198703157714", "13807310001", "东湖路18号3栋2单元501室"),
    "D1-2": ("钱二格", "430102199212083326", "13807310002", "东湖路26号1栋1单元302室"),
    "X1-1": ("孙西山", "430104197506222459", "13907310003", "西山大道99号7栋4单元1102室"),
    "X2-1": ("李远山", "430104200111300028", "13907310004", "西山二路5号2栋1单元201室"),
}


def plant(db: Session, world: World) -> People:
    people = People()
    for i, (grid_key, (name, id_number, phone, address)) in enumerate(PLAN.items(), start=1):
        grid = world.grids[grid_key]
        street = "东湖街道" if grid_key.startswith("D") else "西山街道"
        household = Household(code=f"HH-{grid_key}", node_id=grid.id, address=address)
        db.add(household)
        db.flush()
        person = Person(
            household_id=household.id,
            node_id=grid.id,
            name=name,
            gender="F" if i % 2 else "M",
            birth_date=date(1950 + 10 * i, 3, 15),
            id_number_enc=fields.encrypt(id_number),
            id_number_index=fields.cipher().blind_index(id_number),
            phone_enc=fields.encrypt(phone),
            phone_index=fields.phone_index(phone),
            address=address,
            tags=["elderly_alone"] if i == 1 else [],
        )
        entity = Entity(
            node_id=grid.id,
            name=f"{grid_key}号便利店{name}",
            kind="shop",
            credit_code=f"91430100MA4L{i:06d}",
            phone_enc=fields.encrypt(phone),
        )
        place = Place(node_id=grid.id, name=f"{grid_key}健康驿站{name}", kind="facility")
        order = WorkOrder(
            code=f"WO-{grid_key}-0001",
            title=f"{name}家门口路灯不亮",
            status="reported",
            node_id=grid.id,
            department="城管",
            address=address,
            reporter_name=name,
            reporter_phone_enc=fields.encrypt(phone),
            reported_at=utcnow(),
        )
        db.add_all([person, entity, place])
        db.flush()
        order.reporter_person_id = person.id
        db.add(order)
        db.flush()
        people.by_grid[grid_key] = Planted(
            grid=grid_key,
            street=street,
            person=person,
            household=household,
            entity=entity,
            place=place,
            workorder=order,
            id_number=id_number,
            phone=phone,
            address=address,
            name=name,
        )
    return people


@pytest.fixture
def people(db: Session, world: World) -> People:
    return plant(db, world)


def make_app(engine, db: Session, **overrides):  # type: ignore[no-untyped-def]
    """An app like the ``app`` fixture's, with settings overridden (https, redis_url …)."""
    from collections.abc import Iterator

    from civicgrid.app import create_app
    from civicgrid.config import Settings
    from civicgrid.kit.web import get_db

    application = create_app(Settings(**overrides), engine=engine)

    def _test_db() -> Iterator[Session]:
        request_tx = db.begin_nested()
        try:
            yield db
            db.flush()
            request_tx.commit()
        except BaseException:
            request_tx.rollback()
            raise

    application.dependency_overrides[get_db] = _test_db
    return application
