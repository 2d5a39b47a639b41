"""人口与户籍 — households and residents with ages, names, ID numbers, phones and special groups.

Household sizes follow the census shape (many one- and two-person homes), ages come from the
household type (young singles, elderly couples, families with children, grandparents raising
left-behind grandchildren), so the population pyramid, the share of elderly people living alone and
the special-group rates are plausible for a Chinese city district.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from civicgrid.demo import addresses, idcodes, names
from civicgrid.demo.territory import Buildings, Territory
from civicgrid.demo.writer import datetime_texts, fix_sequence, insert_columns, next_id, table_of
from civicgrid.kit.crypto import FieldCipher
from civicgrid.models.registry import Household, Person, PersonTag

HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5, 6])
HOUSEHOLD_SIZE_P = np.array([0.22, 0.30, 0.26, 0.13, 0.06, 0.03])
# Household types
SINGLE, COUPLE, SINGLE_PARENT, FAMILY, GRANDPARENTS = range(5)
HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD = "户主", "配偶", "子女", "父母", "孙子女"


@dataclass
class People:
    """What the work-order step needs about residents (arrays in person order)."""

    ids: NDArray[np.int64]
    grid: NDArray[np.int64]  # grid position
    names: list[str]
    phone_enc: list[str | None]
    adult_with_phone: NDArray[np.bool_]


def plan_households(rng: np.random.Generator, residents: int) -> NDArray[np.int64]:
    """Household sizes whose sum is exactly ``residents``."""
    sizes = rng.choice(HOUSEHOLD_SIZES, size=int(residents / 2.2) + 16, p=HOUSEHOLD_SIZE_P)
    total = np.cumsum(sizes)
    cut = int(np.searchsorted(total, residents))
    sizes = sizes[: cut + 1].astype(np.int64)
    sizes[-1] -= int(sizes.sum()) - residents
    return sizes[sizes > 0]


def households_per_grid(
    rng: np.random.Generator, t: Territory, n_households: int
) -> NDArray[np.int64]:
    return rng.multinomial(n_households, t.grid_weight).astype(np.int64)


def _household_types(rng: np.random.Generator, sizes: NDArray[np.int64]) -> NDArray[np.int64]:
    u = rng.random(sizes.size)
    kind = np.full(sizes.size, FAMILY)
    kind[sizes == 1] = SINGLE
    kind[(sizes == 2) & (u < 0.82)] = COUPLE
    kind[(sizes == 2) & (u >= 0.82)] = SINGLE_PARENT
    kind[(sizes >= 3) & (sizes <= 4) & (u < 0.07)] = GRANDPARENTS
    return kind


def _head_ages(rng: np.random.Generator, kind: NDArray[np.int64]) -> NDArray[np.int64]:
    n = kind.size
    u = rng.random(n)
    young = rng.integers(22, 36, n)
    mid = rng.integers(36, 60, n)
    old = np.clip(rng.gamma(2.2, 6.5, n).astype(np.int64) + 60, 60, 99)
    age = np.where(u < 0.35, young, np.where(u < 0.55, mid, old))  # singles
    couple = np.where(u < 0.32, rng.integers(24, 38, n), np.where(u < 0.45, mid, old))
    age = np.where(kind == COUPLE, couple, age)
    age = np.where(kind == SINGLE_PARENT, rng.integers(32, 56, n), age)
    age = np.where(kind == FAMILY, rng.integers(29, 60, n), age)
    age = np.where(kind == GRANDPARENTS, rng.integers(55, 76, n), age)
    return age.astype(np.int64)


def build_population(
    conn: Connection,
    rng: np.random.Generator,
    t: Territory,
    b: Buildings,
    hh_grid: NDArray[np.int64],
    hh_building: NDArray[np.int64],
    sizes: NDArray[np.int64],
    *,
    reference: date,
    created: datetime,
    cipher: FieldCipher,
    advance: Callable[[str, int], None],
) -> tuple[People, dict[str, int]]:
    """Write households and persons; returns the residents and the special-group counts."""
    n_hh = sizes.size
    kind = _household_types(rng, sizes)
    head_age = _head_ages(rng, kind)

    # --- households: address from building, unit, floor and room ---------------------------
    hh_first = next_id(conn, table_of(Household))
    hh_ids = hh_first + np.arange(n_hh, dtype=np.int64)
    order_in_building = np.zeros(n_hh, dtype=np.int64)
    counters: dict[int, int] = {}
    for i, bld in enumerate(hh_building.tolist()):
        order_in_building[i] = counters.get(bld, 0)
        counters[bld] = order_in_building[i] + 1
    units = b.units[hh_building]
    per_floor = 2 + (b.floors[hh_building] > 10).astype(np.int64) * 2
    unit_no = order_in_building % units + 1
    level = order_in_building // units
    floor = level // per_floor + 1
    door = level % per_floor + 1
    street_of_grid = [t.street_names[t.community_street[int(c)]] for c in t.grid_community]
    hh_address: list[str] = []
    for i in range(n_hh):
        bld = int(hh_building[i])
        room = f"{int(floor[i])}{int(door[i]):02d}"
        hh_address.append(
            addresses.prefix(street_of_grid[int(hh_grid[i])])
            + addresses.dwelling(
                b.road[bld],
                int(b.road_no[bld]),
                b.compound[bld],
                int(b.number[bld]),
                int(unit_no[i]),
                room,
            )
        )
    hh_lon = b.lon[hh_building]
    hh_lat = b.lat[hh_building]
    grid_ids = t.grid_ids[hh_grid]
    insert_columns(
        conn,
        table_of(Household),
        {
            "id": hh_ids.tolist(),
            "code": [f"demo-H{i:07d}" for i in range(1, n_hh + 1)],
            "node_id": grid_ids.tolist(),
            "building_id": b.ids[hh_building].tolist(),
            "address": hh_address,
            "lat": hh_lat.tolist(),
            "lon": hh_lon.tolist(),
            "created_at": [created] * n_hh,
            "updated_at": [created] * n_hh,
        },
        advance=lambda k: advance("households", k),
    )
    fix_sequence(conn, table_of(Household))

    # --- persons: members per household, vectorised -------------------------------------------
    n = int(sizes.sum())
    hh_of = np.repeat(np.arange(n_hh), sizes)
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    pos = np.arange(n) - starts
    k = kind[hh_of]
    size_of = sizes[hh_of]
    h_age = head_age[hh_of]
    role = np.full(n, CHILD, dtype=object)
    role[pos == 0] = HEAD
    role[(pos == 1) & np.isin(k, [COUPLE, FAMILY, GRANDPARENTS])] = SPOUSE
    role[(pos >= 2) & (k == GRANDPARENTS)] = GRANDCHILD
    last = (pos == size_of - 1) & (size_of >= 5)
    role[last & (h_age <= 58)] = PARENT
    role[last & (h_age > 58)] = GRANDCHILD

    age = h_age.copy()
    spouse = role == SPOUSE
    age[spouse] = np.clip(h_age[spouse] + rng.normal(-2, 3, int(spouse.sum())).astype(int), 20, 99)
    child = role == CHILD
    gap = rng.integers(22, 38, n)
    age[child] = np.maximum(h_age[child] - gap[child], rng.integers(0, 4, n)[child])
    parent = role == PARENT
    age[parent] = np.minimum(h_age[parent] + rng.integers(24, 33, int(parent.sum())), 99)
    grandchild = role == GRANDCHILD
    age[grandchild] = rng.integers(1, 16, int(grandchild.sum()))

    head_male = rng.random(n_hh) < np.where(
        head_age >= 70, 0.4, np.where(kind == SINGLE, 0.5, 0.72)
    )
    gender = np.where(rng.random(n) < 0.515, "M", "F")
    gender[role == HEAD] = np.where(head_male, "M", "F")
    gender[spouse] = np.where(head_male[hh_of[spouse]], "F", "M")

    days = rng.integers(0, 365, n)
    ref = np.datetime64(reference, "D")
    birth = ref - (age * 365.25).astype("timedelta64[D]") - days.astype("timedelta64[D]")

    # Surnames: one per household line; children and grandchildren take the head's (or the
    # husband's) surname, spouses and parents-in-law their own.
    head_surname = names.surnames(rng, n_hh)
    spouse_surname = names.surnames(rng, n_hh)
    family = np.where(head_male, head_surname, spouse_surname)
    fam = names.surnames(rng, n)
    fam[role == HEAD] = head_surname
    fam[spouse] = spouse_surname[hh_of[spouse]]
    descend = (role == CHILD) | (role == GRANDCHILD)
    fam[descend] = family[hh_of[descend]]
    fam[parent & (gender == "M")] = head_surname[hh_of[parent & (gender == "M")]]
    birth_years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    person_names = names.full_names(rng, gender, birth_years, fam)

    regions = idcodes.birth_regions(rng, n)
    local_born = (age < 18) & (rng.random(n) < 0.7)
    regions[local_born] = "430104"
    seq = idcodes.gender_sequences(rng, gender)
    id_numbers = idcodes.id_numbers(regions, birth, seq)
    seen: dict[str, int] = {}
    for i, value in enumerate(id_numbers):  # redraw the rare clashes
        while value in seen:
            seq[i] = (seq[i] + 2) % 1000
            value = idcodes.id_numbers(regions[i : i + 1], birth[i : i + 1], seq[i : i + 1])[0]
        seen[value] = i
        id_numbers[i] = value

    phone_p = np.where(age < 14, 0.0, np.where(age < 70, 0.97, np.where(age < 80, 0.75, 0.45)))
    has_phone = rng.random(n) < phone_p
    phones = idcodes.mobile_numbers(rng, n)

    # --- special groups -----------------------------------------------------------------------
    tags: list[list[str]] = [[] for _ in range(n)]
    elderly_alone = (size_of == 1) & (age >= 60)
    disabled = rng.random(n) < 0.012 + 0.035 * (age >= 60) + 0.05 * (age >= 80)
    poor_hh = rng.random(n_hh) < np.where(
        (kind == SINGLE) & (head_age >= 60), 0.06, np.where(kind == SINGLE_PARENT, 0.08, 0.015)
    )
    low_income = poor_hh[hh_of]
    left_behind = grandchild & (age < 16) & (k == GRANDPARENTS)
    party = (age >= 18) & (rng.random(n) < 0.055 + 0.06 * (age >= 60))
    veteran = (gender == "M") & (age >= 30) & (rng.random(n) < 0.035)
    groups = (
        (elderly_alone, PersonTag.ELDERLY_ALONE),
        (disabled, PersonTag.DISABLED),
        (low_income, PersonTag.LOW_INCOME),
        (left_behind, PersonTag.LEFT_BEHIND_CHILD),
        (party, PersonTag.PARTY_MEMBER),
        (veteran, PersonTag.VETERAN),
    )
    counts: dict[str, int] = {}
    for mask, tag in groups:
        counts[str(tag)] = int(mask.sum())
        for i in np.nonzero(mask)[0].tolist():
            tags[i].append(str(tag))

    # --- encryption (AES-GCM) and blind indexes --------------------------------------------
    id_enc: list[str] = []
    id_index: list[str] = []
    phone_enc: list[str | None] = []
    phone_index: list[str | None] = []
    for i in range(n):
        id_enc.append(cipher.encrypt(id_numbers[i]))
        id_index.append(cipher.blind_index(id_numbers[i]))
        if has_phone[i]:
            phone_enc.append(cipher.encrypt(phones[i]))
            phone_index.append(cipher.blind_index(phones[i]))
        else:
            phone_enc.append(None)
            phone_index.append(None)
        if i % 5000 == 4999:
            advance("encrypt", 5000)
    advance("encrypt", n % 5000)

    first = next_id(conn, table_of(Person))
    ids = first + np.arange(n, dtype=np.int64)
    dialect = conn.dialect.name
    created_text = datetime_texts(np.array([int(created.timestamp())]), dialect)[0]
    verified = datetime_texts(int(created.timestamp()) + rng.integers(0, 300, n) * 86400, dialect)
    birth_dates = birth.astype(object).tolist()
    insert_columns(
        conn,
        table_of(Person),
        {
            "id": ids.tolist(),
            "household_id": hh_ids[hh_of].tolist(),
            "node_id": grid_ids[hh_of].tolist(),
            "name": person_names,
            "gender": gender.tolist(),
            "birth_date": birth_dates,
            "id_number_enc": id_enc,
            "id_number_index": id_index,
            "phone_enc": phone_enc,
            "phone_index": phone_index,
            "address": [hh_address[h] for h in hh_of.tolist()],
            "lat": hh_lat[hh_of].tolist(),
            "lon": hh_lon[hh_of].tolist(),
            "relation": role.tolist(),
            "tags": tags,
            "source": ["demo"] * n,
            "verified_at": verified,
            "created_at": [created_text] * n,
            "updated_at": [created_text] * n,
        },
        advance=lambda m: advance("persons", m),
    )
    fix_sequence(conn, table_of(Person))
    people = People(
        ids=ids,
        grid=hh_grid[hh_of],
        names=person_names,
        phone_enc=phone_enc,
        adult_with_phone=(age >= 18) & has_phone,
    )
    counts["elderly_60_plus"] = int((age >= 60).sum())
    counts["children_under_18"] = int((age < 18).sum())
    return people, counts
