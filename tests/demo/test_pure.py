"""Pure parts of the demo generator: identity codes, names, geometry, templates, hotspots."""

from __future__ import annotations

from datetime import date

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.demo import catalog, geography, hotspots, idcodes, names, texts
from civicgrid.demo.sizes import reference_date


def test_published_examples_are_valid() -> None:
    # GB 11643-1999's own example and two real unified social credit codes.
    assert idcodes.is_valid_id_number("11010519491231002X")
    assert idcodes.is_valid_credit_code("91350100M000100Y43")
    assert idcodes.is_valid_credit_code("91110000600037341L")
    assert not idcodes.is_valid_id_number("110105194912310021")
    assert not idcodes.is_valid_id_number("11010519491331002X")  # month 13
    assert not idcodes.is_valid_credit_code("91350100M000100Y44")


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40))
def test_generated_id_numbers_are_valid_and_carry_gender_and_birth(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    genders = np.where(rng.random(n) < 0.5, "M", "F")
    births = np.datetime64("1930-01-01") + rng.integers(0, 33_000, n).astype("timedelta64[D]")
    regions = idcodes.birth_regions(rng, n)
    numbers = idcodes.id_numbers(regions, births, idcodes.gender_sequences(rng, genders))
    for number, gender, birth in zip(numbers, genders, births.astype(str), strict=True):
        assert idcodes.is_valid_id_number(number)
        assert (int(number[16]) % 2 == 1) == (gender == "M")
        assert number[6:14] == birth.replace("-", "")
        # Changing any one digit breaks the check character.
        wrong = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
        assert not idcodes.is_valid_id_number(wrong)


@settings(max_examples=60, deadline=None)
@given(body=st.integers(0, 99_999_999), kind=st.sampled_from(["1", "2"]))
def test_generated_credit_codes_are_valid(body: int, kind: str) -> None:
    code = idcodes.credit_code(kind, "430199", f"{body:08d}")
    assert len(code) == 18
    assert idcodes.is_valid_credit_code(code)


def test_mobile_numbers_look_real() -> None:
    phones = idcodes.mobile_numbers(np.random.default_rng(1), 500)
    assert all(len(p) == 11 and p.isdigit() and p[:3] in idcodes.MOBILE_PREFIXES for p in phones)


def test_names_follow_surname_frequencies() -> None:
    rng = np.random.default_rng(3)
    sample = names.surnames(rng, 20_000)
    counts = {s: int((sample == s).sum()) for s in ("刘", "李", "欧阳", "诸葛")}
    assert counts["李"] > 800 and counts["刘"] > 800
    assert counts["欧阳"] < counts["李"] / 5
    full = names.full_names(rng, np.array(["M", "F"] * 50), np.array([1950, 2015] * 50))
    assert all(2 <= len(n) <= 4 for n in full)


def test_partition_tiles_its_parent() -> None:
    rng = np.random.default_rng(5)
    outline = geography.district_outline(rng, (113.0, 28.2), 0.05, 0.04)
    cells = geography.partition(rng, outline, 9)
    assert len(cells) == 9
    assert all(c.is_valid and c.geom_type == "Polygon" for c in cells)
    assert abs(geography.inside_ratio(cells, outline) - 1.0) < 1e-4
    overlap = sum(a.intersection(b).area for i, a in enumerate(cells) for b in cells[i + 1 :])
    assert overlap / outline.area < 1e-4
    x, y = geography.sample_in(rng, cells[0], 200)
    assert shapely.contains_xy(cells[0], x, y).all()


def test_every_category_has_texts_and_a_department_pace() -> None:
    tpl = texts.templates()
    assert {c.path for c in catalog.CATEGORIES} == set(tpl.problems)
    for c in catalog.CATEGORIES:
        assert len(tpl.problems[c.path]) >= 5
        assert all(len(variants) >= 1 for variants in tpl.titles[c.path])
        assert c.department in catalog.DEPARTMENT_PACE
        assert c.season in catalog.SEASONS and c.week in catalog.WEEKS
    assert set(tpl.sensors) <= {c.path for c in catalog.CATEGORIES}
    assert abs(sum(c.share for c in catalog.CATEGORIES) - 1.0) < 0.02


def test_descriptions_fill_every_placeholder() -> None:
    tpl = texts.templates()
    slots = {
        "compound": "阳光小区",
        "road": "枫林路",
        "bldg": "3",
        "days": "4",
        "shop": "惠民超市",
        "place": "阳光小区3栋",
        "floor": "9",
        "time": "最近",
    }
    for c in catalog.CATEGORIES:
        for k in range(len(tpl.problems[c.path])):
            for channel in ("resident", "hotline", "patrol", "sensor"):
                title, body = texts.describe(
                    tpl,
                    category=c.path,
                    channel=channel,
                    draws=(0, k, 1, 0, 2, 3, 4, 5),
                    slots=slots,
                    other_category="噪音扰民/生活噪音",
                )
                assert "{" not in title + body and title and body


def test_hotspot_windows_lie_in_the_generated_year() -> None:
    for seed in (0, 1, 77, 183, 2026):
        ref = reference_date(seed)
        assert date(2026, 6, 30) <= ref <= date(2026, 12, 31)
        for spec in hotspots.SPECS:
            start, end = hotspots.window(spec, ref)
            assert (ref - start).days < 365 and start <= end <= ref
