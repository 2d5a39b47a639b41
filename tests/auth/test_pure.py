"""Pure modules: password rules, the common-password list, de-identification, rate parsing."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.auth import commonpw
from civicgrid.auth.deidentify import (
    PERSON_COLUMNS,
    PersonRow,
    age_band,
    age_on,
    deidentify_people,
    pseudonym,
    pseudonym_key,
)
from civicgrid.auth.passwords import password_problem
from civicgrid.web.pages.login import safe_next


def test_common_password_file_is_the_generators_output() -> None:
    words = commonpw.generate()
    assert commonpw.load() == frozenset(words)
    assert 5_000 < len(words) < 50_000  # small, but covers the usual suspects
    for word in ("123456", "password", "woaini1314", "qwertyuiop", "admin123", "5201314"):
        assert word in commonpw.load()


@pytest.mark.parametrize(
    "weak",
    [
        "password123", "Password2024!", "qwertyuiop", "1234567890", "abcdefghij123",
        "woaini1314520", "adminadmin12", "zhangwei19900101", "aaaaaaaaaaaa", "Civicgrid@2026",
        "13812345678", "1990010112", "P@ssw0rd2025",
    ],
)  # fmt: skip
def test_weak_passwords_are_refused_in_chinese(weak: str) -> None:
    problem = password_problem(weak, min_length=10)
    assert problem and any("\u4e00" <= ch <= "\u9fff" for ch in problem)


@pytest.mark.parametrize(
    "strong",
    [
        "correct horse battery",
        "Zh4ng-wei-Lake",
        "8372659103Kq",
        "Tr0ub4dor&3x!",
        "东湖边的小雨点2026",
    ],
)
def test_reasonable_passwords_pass(strong: str) -> None:
    assert password_problem(strong, min_length=10) == ""


def test_length_limits_and_user_name() -> None:
    assert "太短" in password_problem("Ab3$xyz", min_length=10)
    assert "太长" in password_problem("x" * 300, min_length=10)
    assert "用户名" in password_problem("wang.wei-Lantern-7", username="wang.wei", min_length=10)


@given(st.text(min_size=0, max_size=9))
def test_anything_shorter_than_the_minimum_is_refused(text: str) -> None:
    assert password_problem(text, min_length=10) != ""


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)))
def test_age_band_contains_the_age(birth: date) -> None:
    today = date(2026, 6, 1)
    band = age_band(birth, today)
    assert band is not None
    age = age_on(birth, today)
    if band.endswith("+"):
        assert age >= int(band[:-1])
    else:
        low, high = (int(x) for x in band.split("-"))
        assert low <= age <= high and high - low == 4


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_pseudonyms_are_stable_keyed_and_distinct(a: int, b: int) -> None:
    key, other = pseudonym_key("secret-one"), pseudonym_key("secret-two")
    assert pseudonym(key, "person", a) == pseudonym(key, "person", a)
    assert pseudonym(key, "person", a) != pseudonym(other, "person", a)
    assert (pseudonym(key, "person", a) == pseudonym(key, "person", b)) == (a == b)
    assert pseudonym(key, "person", a) != pseudonym(key, "household", a)


def test_deidentified_row_drops_identifiers() -> None:
    row = PersonRow(7, 3, "43010000100101", "D1-1网格", "F", date(1944, 2, 29), ("low_income",))
    (out,) = deidentify_people([row], key=b"k" * 32, today=date(2026, 3, 1))
    record = dict(zip(PERSON_COLUMNS, out, strict=True))
    assert record["age_band"] == "80-84" and record["grid"] == "D1-1网格"
    assert record["pid"] != 7 and str(record["pid"]).startswith("P-")
    assert "1944" not in "".join(str(v) for v in out)
    (by_year,) = deidentify_people([row], key=b"k" * 32, today=date(2026, 3, 1), birth_year=True)
    assert 1944 in by_year


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/workorders?x=1", "/workorders?x=1"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
    ],
)
def test_login_redirect_targets_stay_on_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected
