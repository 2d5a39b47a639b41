"""证件代码 — resident ID numbers (GB 11643) and unified social credit codes (GB 32100).

Pure functions, no I/O. ``check_id_numbers`` is the vectorised form used by bulk imports; it
must agree with ``parse_id_number`` on every input (a property test holds them together).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from civicgrid.kit.i18n import _

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = "10X98765432"
# Province-level codes of GB/T 2260 (the first two digits of a resident ID number).
PROVINCES = frozenset(
    {
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
        50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
    }
)  # fmt: skip
EARLIEST_BIRTH = dt.date(1890, 1, 1)

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARS)}


def reason_empty_id() -> str:
    return _("身份证号为空")


def reason_id_shape() -> str:
    return _("身份证号应为18位：17位数字加1位数字或X")


def reason_id_15() -> str:
    return _("15位旧身份证号已停用，请填写18位公民身份号码")


def reason_id_province() -> str:
    return _("身份证号前两位不是有效的省级行政区划代码")


def reason_id_birth() -> str:
    return _("身份证号中的出生日期无效")


def reason_id_check() -> str:
    return _("身份证号校验位不符（GB 11643），请核对号码")


@dataclass(frozen=True, slots=True)
class IdInfo:
    number: str
    birth_date: dt.date
    gender: str  # "M" or "F"


def normalise_id_number(value: str) -> str:
    """Drop spaces, fold full-width characters (１２３Ｘ) and lower-case x."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return "".join(value.split()).upper()


_SPACE_NOT_NEWLINE = re.compile(r"[^\S\n]")


def normalise_id_numbers(values: Sequence[str]) -> list[str]:
    """``normalise_id_number`` over a column; plain ASCII columns take one C-level pass."""
    joined = "\n".join(values)
    if joined.isascii() and _SPACE_NOT_NEWLINE.search(joined) is None:
        out = joined.upper().split("\n")
        if len(out) == len(values):
            return out
    return [normalise_id_number(v) for v in values]


def _shape_reason(number: str) -> str | None:
    """The reason a normalised number is not 18 ASCII characters, if it is not."""
    if not number:
        return reason_empty_id()
    if len(number) == 18 and number.isascii():
        return None
    if len(number) == 15 and number.isascii() and number.isdigit():
        return reason_id_15()
    return reason_id_shape()


def id_check_char(first17: str) -> str:
    total = sum(int(c) * int(w) for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def parse_id_number(value: str, *, today: dt.date | None = None) -> IdInfo | str:
    """The birth date and gender in a valid 18-digit ID number, or the reason it is invalid."""
    number = normalise_id_number(value)
    shape = _shape_reason(number)
    if shape is not None:
        return shape
    if not number[:17].isdigit() or number[17] not in "0123456789X":
        return reason_id_shape()
    if int(number[:2]) not in PROVINCES:
        return reason_id_province()
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return reason_id_birth()
    if birth < EARLIEST_BIRTH or birth > (today or dt.date.today()):
        return reason_id_birth()
    if id_check_char(number[:17]) != number[17]:
        return reason_id_check()
    return IdInfo(number=number, birth_date=birth, gender="M" if int(number[16]) % 2 else "F")


@dataclass(frozen=True)
class IdCheck:
    """Column-wise result for a batch of ID numbers (already normalised)."""

    reasons: list[str | None]  # None when valid
    birth_dates: list[str | None]  # ISO "YYYY-MM-DD" when valid
    genders: list[str | None]


_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def check_id_numbers(numbers: Sequence[str], *, today: dt.date | None = None) -> IdCheck:
    """Vectorised ``parse_id_number`` over normalised numbers (numpy over an (n, 18) byte grid)."""
    n = len(numbers)
    reasons: list[str | None] = [None] * n
    births: list[str | None] = [None] * n
    genders: list[str | None] = [None] * n
    shaped = []
    for i, s in enumerate(numbers):
        if len(s) == 18 and s.isascii():
            shaped.append(i)
        else:
            reasons[i] = _shape_reason(s)
    if not shaped:
        return IdCheck(reasons, births, genders)
    grid = np.frombuffer("".join(numbers[i] for i in shaped).encode("ascii"), dtype=np.uint8)
    grid = grid.reshape(len(shaped), 18).astype(np.int64)
    digits = grid[:, :17] - 48
    last = grid[:, 17]
    shape_ok = np.all((digits >= 0) & (digits <= 9), axis=1) & (
        ((last >= 48) & (last <= 57)) | (last == ord("X"))
    )
    province = digits[:, 0] * 10 + digits[:, 1]
    province_ok = np.isin(province, np.fromiter(PROVINCES, dtype=np.int64))
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    month_ok = (month >= 1) & (month <= 12)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    max_day = _DAYS[np.where(month_ok, month, 0)] - ((month == 2) & ~leap)
    today = today or dt.date.today()
    ymd = year * 10000 + month * 100 + day
    lo = EARLIEST_BIRTH.year * 10000 + EARLIEST_BIRTH.month * 100 + EARLIEST_BIRTH.day
    hi = today.year * 10000 + today.month * 100 + today.day
    birth_ok = month_ok & (day >= 1) & (day <= max_day) & (ymd >= lo) & (ymd <= hi)
    total = (np.where(shape_ok[:, None], digits, 0) * ID_WEIGHTS).sum(axis=1) % 11
    expected = np.frombuffer(ID_CHECK.encode("ascii"), dtype=np.uint8)[total]
    check_ok = expected == last
    odd = digits[:, 16] % 2 == 1
    shape_l, prov_l, birth_l, check_l, odd_l = (
        shape_ok.tolist(),
        province_ok.tolist(),
        birth_ok.tolist(),
        check_ok.tolist(),
        odd.tolist(),
    )
    for k, i in enumerate(shaped):
        if not shape_l[k]:
            reasons[i] = reason_id_shape()
        elif not prov_l[k]:
            reasons[i] = reason_id_province()
        elif not birth_l[k]:
            reasons[i] = reason_id_birth()
        elif not check_l[k]:
            reasons[i] = reason_id_check()
        else:
            s = numbers[i]
            births[i] = f"{s[6:10]}-{s[10:12]}-{s[12:14]}"
            genders[i] = "M" if odd_l[k] else "F"
    return IdCheck(reasons, births, genders)


def make_id_number(region: str, birth: dt.date, sequence: int, *, male: bool) -> str:
    """A valid ID number (for generators and tests): 6-digit region, birth date, sequence."""
    seq = sequence % 500 * 2 + (1 if male else 0)
    body = f"{region[:6]:0>6}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_char(body)


# --- unified social credit code (统一社会信用代码, GB 32100-2015) ---------------------------------


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def check_credit_code(value: str) -> str | None:
    """None when ``value`` is a valid credit code, else the reason (Chinese)."""
    code = "".join(value.split()).upper()
    if len(code) != 18:
        return _("统一社会信用代码应为18位")
    bad = sorted({c for c in code if c not in _USCC_VALUE})
    if bad:
        return _("统一社会信用代码含有不允许的字符：{c}（不使用 I、O、Z、S、V）").format(
            c="".join(bad)
        )
    if uscc_check_char(code[:17]) != code[17]:
        return _("统一社会信用代码校验位不符（GB 32100），请核对代码")
    return None


def make_credit_code(body17: str) -> str:
    """Append the GB 32100 check character (for generators and tests)."""
    return body17 + uscc_check_char(body17)


def entity_kind_from_credit_code(code: str) -> str | None:
    """The entity kind implied by a credit code's registration authority and type, if any."""
    if len(code) < 2:
        return None
    authority, kind = code[0], code[1]
    if authority == "9":
        return {"1": "enterprise", "2": "shop", "3": "enterprise"}.get(kind)
    if authority == "5":
        return "social_org"
    return None
