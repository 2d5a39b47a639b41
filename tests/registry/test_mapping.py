"""Column mapping: default Chinese aliases, decorated headers, mapping files, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicgrid.errors import Invalid
from civicgrid.registry.mapping import load_mapping_file, normalise_header, resolve_mapping


def test_office_headers_map_without_a_file() -> None:
    header = ["序号", "姓名*", "公民身份号码（必填）", "手机号", "现住址", "所属网格", "人员类别"]
    mapping = resolve_mapping("people", header)
    assert mapping.columns == {
        "name": 1,
        "id_number": 2,
        "phone": 3,
        "address": 4,
        "grid": 5,
        "tags": 6,
    }
    assert mapping.unused == ["序号"]
    assert mapping.header_of("id_number") == "公民身份号码（必填）"


def test_each_column_is_used_once() -> None:
    # 电话 and 联系电话 both alias phone: the first matching alias in priority order wins.
    mapping = resolve_mapping("people", ["姓名", "身份证号", "电话", "联系电话"])
    assert mapping.columns["phone"] == 3
    assert mapping.unused == ["电话"]


def test_overrides_and_errors() -> None:
    header = ["居民", "证件", "备注"]
    mapping = resolve_mapping("people", header, {"name": "居民", "id_number": " 证件 "})
    assert (mapping.columns["name"], mapping.columns["id_number"]) == (0, 1)
    with pytest.raises(Invalid, match="缺少必需的列：姓名"):
        resolve_mapping("people", ["身份证号"])
    with pytest.raises(Invalid, match="字段「nickname」不存在"):
        resolve_mapping("people", header, {"nickname": "居民"})
    with pytest.raises(Invalid, match="列「户籍」（address）在文件表头中找不到"):
        resolve_mapping("people", header, {"name": "居民", "id_number": "证件", "address": "户籍"})
    with pytest.raises(Invalid, match="经度和纬度两列须同时提供"):
        resolve_mapping("people", ["姓名", "身份证号", "经度"])
    with pytest.raises(Invalid, match="未知的导入类型"):
        resolve_mapping("cars", header)


def test_coordinates_column() -> None:
    mapping = resolve_mapping("places", ["名称", "经纬度", "设施类型"])
    assert mapping.columns == {"name": 0, "coordinates": 1, "facility_type": 2}


def test_mapping_files(tmp_path: Path) -> None:
    yaml_file = tmp_path / "m.yaml"
    yaml_file.write_text("# 花名册\nname: 居民姓名\nid_number: 证件号\nsheet: 花名册\n", "utf-8")
    loaded = load_mapping_file(yaml_file)
    assert loaded.columns == {"name": "居民姓名", "id_number": "证件号"}
    assert loaded.sheet == "花名册"
    json_file = tmp_path / "m.json"
    json_file.write_text('{"columns": {"name": "居民姓名"}}', "utf-8")
    assert load_mapping_file(json_file).columns == {"name": "居民姓名"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a\n- b\n", "utf-8")
    with pytest.raises(Invalid, match="对照表"):
        load_mapping_file(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{", "utf-8")
    with pytest.raises(Invalid, match="映射文件格式错误"):
        load_mapping_file(broken)
    with pytest.raises(Invalid, match="映射文件不存在"):
        load_mapping_file(tmp_path / "none.yaml")


def test_normalise_header() -> None:
    assert normalise_header(" 姓 名 * ") == "姓名"
    assert normalise_header("身份证号(必填)") == "身份证号"
    assert normalise_header("Longitude：") == "longitude"
