"""ID numbers (GB 11643), credit codes (GB 32100) and the bulk cipher: pure, no database."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.registry import codes
from civicgrid.registry.ciphers import BulkCipher
from tests.registry.factory import cipher, id_number, wrong_check

TODAY = dt.date(2026, 11, 23)


def test_known_valid_id_number() -> None:
    # The worked example of GB 11643-1999 (11010519491231002X).
    info = codes.parse_id_number("11010519491231002x", today=TODAY)
    assert info == codes.IdInfo("11010519491231002X", dt.date(1949, 12, 31), "F")


def test_id_number_reasons() -> None:
    good = id_number(dt.date(1980, 2, 29), 7)
    assert isinstance(codes.parse_id_number(good, today=TODAY), codes.IdInfo)
    cases = {
        "": codes.reason_empty_id(),
        "430102800101123": codes.reason_id_15(),
        "43010219800101123": codes.reason_id_shape(),
        "4301021980010112A4": codes.reason_id_shape(),
        "990102198001011234": codes.reason_id_province(),
        wrong_check(good): codes.reason_id_check(),
        id_number(dt.date(1981, 2, 28), 7)[:10] + "0229" + "0000": codes.reason_id_birth(),
        id_number(dt.date(2026, 11, 24), 1): codes.reason_id_birth(),
    }
    for value, reason in cases.items():
        assert codes.parse_id_number(value, today=TODAY) == reason, value


def test_full_width_and_spaces_are_folded() -> None:
    good = id_number(dt.date(1990, 10, 1), 3)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in good[:9]) + " " + good[9:]
    assert codes.normalise_id_number(wide) == good
    assert codes.normalise_id_numbers([wide, good.lower(), ""]) == [good, good.upper(), ""]


id_like = st.one_of(
    st.builds(
        lambda d, s, m: id_number(d, s, male=m),
        st.dates(dt.date(1890, 1, 1), TODAY),
        st.integers(0, 499),
        st.booleans(),
    ),
    st.builds(
        lambda d, s: wrong_check(id_number(d, s)), st.dates(dt.date(1900, 1, 1)), st.integers(0, 9)
    ),
    st.text(alphabet="0123456789X", min_size=0, max_size=20),
    st.text(max_size=19),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(id_like, max_size=30))
def test_vectorised_check_agrees_with_scalar(values: list[str]) -> None:
    numbers = codes.normalise_id_numbers(values)
    batch = codes.check_id_numbers(numbers, today=TODAY)
    for i, value in enumerate(values):
        one = codes.parse_id_number(value, today=TODAY)
        if isinstance(one, codes.IdInfo):
            assert batch.reasons[i] is None
            assert batch.birth_dates[i] == one.birth_date.isoformat()
            assert batch.genders[i] == one.gender
        else:
            assert batch.reasons[i] == one


def test_credit_codes() -> None:
    assert codes.check_credit_code("91350100M000100Y43") is None  # GB 32100 example
    made = codes.make_credit_code("91430100MA4L0000C")
    assert codes.check_credit_code(made) is None
    wrong = made[:-1] + ("0" if made[-1] != "0" else "1")
    assert codes.check_credit_code(wrong) == "统一社会信用代码校验位不符（GB 32100），请核对代码"
    assert codes.check_credit_code("9143010") == "统一社会信用代码应为18位"
    assert "I、O、Z、S、V" in (codes.check_credit_code("91430100MA4L0000IO") or "")
    assert codes.entity_kind_from_credit_code("92430100MA4L0000C1") == "shop"
    assert codes.entity_kind_from_credit_code("51430100MA4L0000C1") == "social_org"
    assert codes.entity_kind_from_credit_code("11430100MA4L0000C1") is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="0123456789Xx ", max_size=20), max_size=20))
def test_bulk_cipher_matches_field_cipher(values: list[str]) -> None:
    field = cipher()
    bulk = BulkCipher(field)
    assert bulk.index_many(values) == [field.blind_index(v) for v in values]
    sealed = bulk.encrypt_many(values)
    assert [field.decrypt(s) for s in sealed] == values
    assert all(field.key_id_of(s) == field.current_key_id for s in sealed)
    assert len(set(sealed)) == len(sealed)  # fresh nonce per value


def test_crypto_pool_matches_and_survives_its_worker() -> None:
    """The worker process computes what BulkCipher computes; a dead worker changes nothing."""
    import os
    import signal

    from civicgrid.registry.ciphers import CryptoPool

    field = cipher()
    ids = [id_number(dt.date(1980, 1, 1), i) for i in range(50)]
    phones = [f"139{i:08d}" for i in range(30)]
    pool = CryptoPool(field)
    try:
        id_index, id_enc, phone_index, phone_enc = pool.submit(ids, phones).result()
        assert id_index == [field.blind_index(v) for v in ids]
        assert [field.decrypt(v) for v in id_enc] == ids
        assert phone_index == [field.blind_index(v) for v in phones]
        assert [field.decrypt(v) for v in phone_enc] == phones
        assert pool.submit([], []).result() == ([], [], [], [])
        for pid in list(pool._pool._processes):  # kill the worker
            os.kill(pid, signal.SIGKILL)
        again = pool.submit(ids, phones).result()
        assert again[0] == id_index
        assert [field.decrypt(v) for v in again[1]] == ids
    finally:
        pool.close()
