"""Field rules: dates, phones, coordinates, tags, kinds and counts (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from civicgrid.registry import rules
from civicgrid.registry.rules import RuleError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-05", dt.date(2024, 1, 5)),
        ("2024/1/5", dt.date(2024, 1, 5)),
        ("2024.1.5", dt.date(2024, 1, 5)),
        ("2024年1月5日", dt.date(2024, 1, 5)),
        ("2024 年 1 月 5 日", dt.date(2024, 1, 5)),
        ("2024-01-05 08:30:00", dt.date(2024, 1, 5)),
        ("20240105", dt.date(2024, 1, 5)),
        ("45296", dt.date(2024, 1, 5)),  # Excel serial date
        ("45296.0", dt.date(2024, 1, 5)),
        (45296, dt.date(2024, 1, 5)),
        (45296.0, dt.date(2024, 1, 5)),
        (20240105, dt.date(2024, 1, 5)),
        (dt.datetime(2024, 1, 5, 12, 0), dt.date(2024, 1, 5)),
        (dt.date(2024, 1, 5), dt.date(2024, 1, 5)),
    ],
)
def test_dates(value: object, expected: dt.date) -> None:
    assert rules.parse_date(value) == expected


@pytest.mark.parametrize(
    "value", ["2024-13-01", "2024-02-30", "05/01/2024", "明天", "1800-01-01", "0", "202401", ""]
)
def test_bad_dates(value: str) -> None:
    with pytest.raises(RuleError, match="日期无法识别"):
        rules.parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("0731-88886666", "0731-88886666"),
        ("01088886666", "01088886666"),
    ],
)
def test_phones(value: str, expected: str) -> None:
    assert rules.parse_phone(value) == expected


@pytest.mark.parametrize("value", ["1380013800", "12800138000", "138001380001", "电话", "110"])
def test_bad_phones(value: str) -> None:
    with pytest.raises(RuleError, match="联系电话格式不正确"):
        rules.parse_phone(value)


def test_plain_mobile_column_fast_path() -> None:
    assert rules.plain_mobiles(["13800138000", "", "19912345678"]) == [
        "13800138000",
        None,
        "19912345678",
    ]
    assert rules.plain_mobiles(["13800138000", "138-0013-8000"]) is None


def test_coordinates() -> None:
    rules.check_lon_lat(112.9, 28.2)
    with pytest.raises(RuleError, match="疑似填反"):
        rules.check_lon_lat(28.2, 112.9)
    with pytest.raises(RuleError, match="超出范围"):
        rules.check_lon_lat(200.0, 28.2)
    assert rules.split_pair("112.9, 28.2") == ("112.9", "28.2")
    assert rules.split_pair("112.9，28.2") == ("112.9", "28.2")
    with pytest.raises(RuleError, match="经度,纬度"):
        rules.split_pair("112.9")
    with pytest.raises(RuleError, match="经度不是数字"):
        rules.parse_float("东经112", "经度")
    assert rules.parse_float("112.5°", "经度") == 112.5


def test_tags() -> None:
    assert rules.parse_tags("独居老人、低保") == ("elderly_alone", "low_income")
    assert rules.parse_tags("党员,退役军人;党员") == ("party_member", "veteran")
    assert rules.parse_tags("disabled") == ("disabled",)
    assert rules.parse_tags("无") == ()
    with pytest.raises(RuleError, match="未知的人员类别：贫困户、孤儿"):
        rules.parse_tags("低保 贫困户 孤儿")


def test_gender() -> None:
    assert [rules.parse_gender(v) for v in ("男", "女", "M", "female", "1", "2")] == [
        "M",
        "F",
        "M",
        "F",
        "M",
        "F",
    ]
    with pytest.raises(RuleError):
        rules.parse_gender("未知")


def test_kinds_and_facilities() -> None:
    assert rules.parse_entity_kind("个体工商户") == "shop"
    assert rules.parse_entity_kind("物业") == "property_company"
    assert rules.parse_place_kind("风险隐患点") == "hazard"
    assert rules.parse_facility_type("应急避难场所") == "shelter"
    assert rules.parse_facility_type("社区卫生服务站") == "health_station"
    assert rules.parse_facility_type("日间照料中心") == "elderly_care"
    assert rules.parse_facility_type("农贸市场") == "market"
    assert rules.parse_facility_type("kindergarten") == "kindergarten"
    with pytest.raises(RuleError, match="未知的设施类型"):
        rules.parse_facility_type("加油站")
    with pytest.raises(RuleError, match="未知的单位类型"):
        rules.parse_entity_kind("政府")


def test_counts_and_cells() -> None:
    assert rules.parse_count("200人", "容纳人数") == 200
    assert rules.parse_count("1,200", "容纳人数") == 1200
    assert rules.parse_count("50.0", "容纳人数") == 50
    with pytest.raises(RuleError, match="容纳人数应为非负整数"):
        rules.parse_count("-3", "容纳人数")
    assert rules.cell_text(13800138000.0) == "13800138000"
    assert rules.cell_text(dt.datetime(2024, 1, 5)) == "2024-01-05"
    assert rules.number_lost_digits(4.30102198001011e17)
    assert not rules.number_lost_digits(430102198001011234)
