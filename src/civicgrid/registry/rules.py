"""校验规则 — field rules for registry data: phones, dates, coordinates, genders, tags, kinds.

Pure functions, no DB and no I/O. Each ``parse_*`` returns the clean value, or raises
``RuleError`` whose message is the Chinese reason shown to the user in the import report.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from civicgrid.kit.i18n import _
from civicgrid.models.registry import EntityKind, FacilityType, PersonTag, PlaceKind


class RuleError(ValueError):
    """A value breaks a rule; ``str(exc)`` is the user-facing reason."""


# --- cells -----------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """The text of a cell as a person reads it (Excel numbers without '.0', dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def number_lost_digits(value: object) -> bool:
    """An Excel number cell too long to hold an ID number exactly (Excel keeps 15 digits)."""
    return isinstance(value, float) and abs(value) >= 1e15


def check_length(text: str, limit: int, label: str) -> str:
    if len(text) > limit:
        raise RuleError(_("{label}过长（最多 {n} 个字）").format(label=label, n=limit))
    return text


# --- phone -----------------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")
_PHONE_JUNK = str.maketrans("", "", " \u3000()（）")


_MOBILE_COLUMN = re.compile(r"(?:(?:1[3-9]\d{9})?\n)*(?:1[3-9]\d{9})?")


def plain_mobiles(texts: list[str]) -> list[str | None] | None:
    """A column of clean mobile numbers (or blanks) in one regex pass; None if any needs work."""
    if _MOBILE_COLUMN.fullmatch("\n".join(texts)):
        return [t or None for t in texts]
    return None


def parse_phone(text: str) -> str:
    """A mainland mobile number (11 digits) or a landline with area code, normalised."""
    s = text.translate(_PHONE_JUNK)
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("0086"):
        s = s[4:]
    digits = s.replace("-", "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if _MOBILE.fullmatch(digits):
        return digits
    if _LANDLINE.fullmatch(s):
        return s
    raise RuleError(_("联系电话格式不正确（应为11位手机号，或带区号的固定电话）"))


# --- dates -----------------------------------------------------------------------------------

_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
EXCEL_EPOCH = dt.date(1899, 12, 30)
MIN_YEAR, MAX_YEAR = 1890, 2100


def _bad_date(text: str) -> RuleError:
    return RuleError(
        _("日期无法识别：「{v}」（可用 2024-01-05、2024/1/5、2024年1月5日 或 Excel 日期）").format(
            v=text[:30]
        )
    )


@lru_cache(maxsize=65536)
def parse_date_text(text: str) -> dt.date:
    """Parse the date formats Chinese offices type, plus Excel serial numbers."""
    s = text.strip()
    m = _DATE.fullmatch(s)
    if m:
        year, month, day = (int(g) for g in m.groups())
    elif s.isdigit() and len(s) == 8:
        year, month, day = int(s[:4]), int(s[4:6]), int(s[6:])
    elif (s.isdigit() and 1 <= len(s) <= 5) or re.fullmatch(r"\d{1,5}\.0+", s):
        return parse_excel_serial(float(s))
    else:
        raise _bad_date(text)
    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise _bad_date(text) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise _bad_date(text)
    return value


def parse_excel_serial(serial: float) -> dt.date:
    """Excel's 1900 date system (serial 1 = 1900-01-01; its fictitious 1900-02-29 is ignored)."""
    if not 1 <= serial < 73051:  # 2100-01-01
        raise _bad_date(str(serial))
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_date(value: object) -> dt.date:
    """A date from any cell: date/datetime objects, Excel serial numbers, or text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, int) and 10_000_000 <= value <= 99_999_999:
            return parse_date_text(str(value))
        return parse_excel_serial(float(value))
    return parse_date_text(cell_text(value))


# --- coordinates -----------------------------------------------------------------------------


def parse_float(text: str, label: str) -> float:
    try:
        value = float(text.replace("°", "").strip())
    except ValueError:
        raise RuleError(_("{label}不是数字：「{v}」").format(label=label, v=text[:30])) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise RuleError(_("{label}不是数字：「{v}」").format(label=label, v=text[:30]))
    return value


def check_lon_lat(lon: float, lat: float) -> None:
    """Raise when a (lon, lat) pair is out of range or looks swapped (China: lon 73–136)."""
    if 3 <= lon <= 54 and 73 <= lat <= 136:
        raise RuleError(_("经度和纬度疑似填反（经度在前约 73–136，纬度约 3–54）"))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise RuleError(_("经纬度超出范围（经度 -180~180，纬度 -90~90）"))


def split_pair(text: str) -> tuple[str, str]:
    """'112.93,28.20' (a single 经纬度 column) → ('112.93', '28.20')."""
    parts = [p for p in re.split(r"[,，;；\s]+", text.strip()) if p]
    if len(parts) != 2:
        raise RuleError(_("经纬度应写成“经度,纬度”：「{v}」").format(v=text[:40]))
    return parts[0], parts[1]


# --- people ----------------------------------------------------------------------------------

GENDERS = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F", "1": "M", "2": "F"}
GENDER_LABEL = {"M": "男", "F": "女"}


def parse_gender(text: str) -> str:
    code = GENDERS.get(text.strip().lower())
    if code is None:
        raise RuleError(_("性别应为“男”或“女”：「{v}」").format(v=text[:10]))
    return code


TAG_LABELS: dict[str, PersonTag] = {
    "独居老人": PersonTag.ELDERLY_ALONE,
    "独居": PersonTag.ELDERLY_ALONE,
    "空巢独居老人": PersonTag.ELDERLY_ALONE,
    "残疾人": PersonTag.DISABLED,
    "残疾": PersonTag.DISABLED,
    "残障人士": PersonTag.DISABLED,
    "低保": PersonTag.LOW_INCOME,
    "低保户": PersonTag.LOW_INCOME,
    "低保对象": PersonTag.LOW_INCOME,
    "留守儿童": PersonTag.LEFT_BEHIND_CHILD,
    "党员": PersonTag.PARTY_MEMBER,
    "中共党员": PersonTag.PARTY_MEMBER,
    "退役军人": PersonTag.VETERAN,
    "复员军人": PersonTag.VETERAN,
    "转业军人": PersonTag.VETERAN,
    **{t.value: t for t in PersonTag},
}
TAG_DISPLAY = {
    PersonTag.ELDERLY_ALONE: "独居老人",
    PersonTag.DISABLED: "残疾人",
    PersonTag.LOW_INCOME: "低保",
    PersonTag.LEFT_BEHIND_CHILD: "留守儿童",
    PersonTag.PARTY_MEMBER: "党员",
    PersonTag.VETERAN: "退役军人",
}
CLEAR_WORDS = frozenset({"无", "没有", "none", "-"})
_TAG_SPLIT = re.compile(r"[,，、;；/|\s]+")


@lru_cache(maxsize=4096)
def parse_tags(text: str) -> tuple[str, ...]:
    """Special-group labels → sorted PersonTag values; '无' means none. Unknown labels raise."""
    words = [w for w in _TAG_SPLIT.split(text.strip()) if w]
    if len(words) == 1 and words[0].lower() in CLEAR_WORDS:
        return ()
    tags: set[str] = set()
    unknown = []
    for word in words:
        tag = TAG_LABELS.get(word) or TAG_LABELS.get(word.lower())
        if tag is None:
            unknown.append(word)
        else:
            tags.add(tag.value)
    if unknown:
        raise RuleError(
            _("未知的人员类别：{u}（可选：{all}）").format(
                u="、".join(unknown), all="、".join(TAG_DISPLAY.values())
            )
        )
    return tuple(sorted(tags))


# --- entities and places ---------------------------------------------------------------------

ENTITY_KINDS: dict[str, EntityKind] = {
    "企业": EntityKind.ENTERPRISE,
    "公司": EntityKind.ENTERPRISE,
    "有限公司": EntityKind.ENTERPRISE,
    "商户": EntityKind.SHOP,
    "个体工商户": EntityKind.SHOP,
    "个体户": EntityKind.SHOP,
    "店铺": EntityKind.SHOP,
    "门店": EntityKind.SHOP,
    "社会组织": EntityKind.SOCIAL_ORG,
    "社团": EntityKind.SOCIAL_ORG,
    "协会": EntityKind.SOCIAL_ORG,
    "民办非企业单位": EntityKind.SOCIAL_ORG,
    "物业公司": EntityKind.PROPERTY_COMPANY,
    "物业": EntityKind.PROPERTY_COMPANY,
    "物业服务企业": EntityKind.PROPERTY_COMPANY,
    **{k.value: k for k in EntityKind},
}

PLACE_KINDS: dict[str, PlaceKind] = {
    "房屋": PlaceKind.HOUSE,
    "住房": PlaceKind.HOUSE,
    "住宅": PlaceKind.HOUSE,
    "设施": PlaceKind.FACILITY,
    "公共设施": PlaceKind.FACILITY,
    "兴趣点": PlaceKind.POI,
    "地标": PlaceKind.POI,
    "隐患点": PlaceKind.HAZARD,
    "风险点": PlaceKind.HAZARD,
    "风险隐患点": PlaceKind.HAZARD,
    "隐患": PlaceKind.HAZARD,
    **{k.value: k for k in PlaceKind},
}

# Keyword → facility type, first match wins (so 应急避难场所 is a shelter, not a generic 场所).
FACILITY_KEYWORDS: tuple[tuple[str, FacilityType], ...] = (
    ("避难", FacilityType.SHELTER),
    ("幼儿园", FacilityType.KINDERGARTEN),
    ("托育", FacilityType.KINDERGARTEN),
    ("托儿所", FacilityType.KINDERGARTEN),
    ("卫生", FacilityType.HEALTH_STATION),
    ("诊所", FacilityType.HEALTH_STATION),
    ("医务室", FacilityType.HEALTH_STATION),
    ("养老", FacilityType.ELDERLY_CARE),
    ("敬老院", FacilityType.ELDERLY_CARE),
    ("日间照料", FacilityType.ELDERLY_CARE),
    ("老年", FacilityType.ELDERLY_CARE),
    ("学校", FacilityType.SCHOOL),
    ("小学", FacilityType.SCHOOL),
    ("中学", FacilityType.SCHOOL),
    ("市场", FacilityType.MARKET),
    ("菜场", FacilityType.MARKET),
    ("公园", FacilityType.PARK),
    ("绿地", FacilityType.PARK),
)
FACILITY_DISPLAY = {
    FacilityType.HEALTH_STATION: "社区卫生服务站",
    FacilityType.ELDERLY_CARE: "养老服务中心",
    FacilityType.KINDERGARTEN: "幼儿园",
    FacilityType.MARKET: "农贸市场",
    FacilityType.SHELTER: "应急避难场所",
    FacilityType.SCHOOL: "学校",
    FacilityType.PARK: "公园",
}


def parse_entity_kind(text: str) -> str:
    kind = ENTITY_KINDS.get(text.strip()) or ENTITY_KINDS.get(text.strip().lower())
    if kind is None:
        raise RuleError(
            _("未知的单位类型：「{v}」（可选：企业、商户、社会组织、物业公司）").format(v=text[:20])
        )
    return kind.value


def parse_place_kind(text: str) -> str:
    kind = PLACE_KINDS.get(text.strip()) or PLACE_KINDS.get(text.strip().lower())
    if kind is None:
        raise RuleError(
            _("未知的场所类别：「{v}」（可选：房屋、设施、兴趣点、隐患点）").format(v=text[:20])
        )
    return kind.value


def parse_facility_type(text: str) -> str:
    s = text.strip()
    if s.lower() in {t.value for t in FacilityType}:
        return s.lower()
    for keyword, facility in FACILITY_KEYWORDS:
        if keyword in s:
            return facility.value
    raise RuleError(
        _("未知的设施类型：「{v}」（可选：{all}）").format(
            v=s[:20], all="、".join(FACILITY_DISPLAY.values())
        )
    )


_COUNT = re.compile(r"(\d+)\s*(?:人|张|个|名|座|位|床)?")


def parse_count(text: str, label: str) -> int:
    """A non-negative whole number, allowing a trailing unit (200人, 50 张)."""
    m = _COUNT.fullmatch(text.strip().replace(",", ""))
    if m is None:
        if re.fullmatch(r"\d+\.0+", text.strip()):
            return int(float(text))
        raise RuleError(_("{label}应为非负整数：「{v}」").format(label=label, v=text[:20]))
    return int(m.group(1))


def parse_free_tags(text: str) -> list[str]:
    """Free-form labels (entities, places): split, de-duplicated, each at most 30 characters."""
    words = [w for w in _TAG_SPLIT.split(text.strip()) if w]
    if len(words) == 1 and words[0].lower() in CLEAR_WORDS:
        return []
    too_long = [w for w in words if len(w) > 30]
    if too_long:
        raise RuleError(_("标签过长（每个最多 30 个字）：{w}").format(w=too_long[0][:40]))
    return sorted(set(words))
