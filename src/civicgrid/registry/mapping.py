"""列映射 — which column of an office's spreadsheet holds which registry field.

The defaults know the headers Chinese offices actually use (姓名, 公民身份号码, 联系电话, 现住址…),
so the common file imports without a mapping file. A mapping file (YAML or JSON) maps our field
names to the file's headers and overrides the defaults::

    # people.yaml
    name: 居民姓名
    id_number: 证件号码
    sheet: 花名册        # optional: the Excel sheet to read
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from civicgrid.errors import Invalid
from civicgrid.kit.i18n import _


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False


GRID = FieldSpec("grid", "网格", ("网格", "所属网格", "网格名称", "网格编码", "网格编号"))
LON = FieldSpec("lon", "经度", ("经度", "lon", "lng", "longitude", "x坐标"))
LAT = FieldSpec("lat", "纬度", ("纬度", "lat", "latitude", "y坐标"))
COORDS = FieldSpec("coordinates", "经纬度", ("经纬度", "坐标", "位置坐标"))
TAGS = FieldSpec("tags", "标签", ("标签",))

PEOPLE: tuple[FieldSpec, ...] = (
    FieldSpec("name", "姓名", ("姓名", "名字", "人员姓名", "居民姓名"), required=True),
    FieldSpec(
        "id_number",
        "身份证号",
        (
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "公民身份证号码",
            "身份证",
            "证件号码",
            "证件号",
        ),
        required=True,
    ),
    FieldSpec("phone", "联系电话", ("联系电话", "手机号", "手机号码", "手机", "电话", "联系方式")),
    FieldSpec("gender", "性别", ("性别",)),
    FieldSpec("birth_date", "出生日期", ("出生日期", "出生年月日", "生日")),
    FieldSpec("household_code", "户号", ("户号", "户编号", "户籍编号", "家庭编号")),
    FieldSpec("relation", "与户主关系", ("与户主关系", "户主关系", "与户主的关系", "关系")),
    FieldSpec(
        "address",
        "现住址",
        ("现住址", "地址", "居住地址", "现居住地址", "家庭住址", "住址", "现居住地"),
    ),
    GRID,
    LON,
    LAT,
    COORDS,
    FieldSpec(
        "tags",
        "人员类别",
        ("人员类别", "标签", "人员类型", "重点人群", "特殊人群", "人群类别", "人员标签"),
    ),
)

ENTITIES: tuple[FieldSpec, ...] = (
    FieldSpec(
        "name",
        "单位名称",
        ("单位名称", "企业名称", "名称", "商户名称", "机构名称", "组织名称", "店名"),
        required=True,
    ),
    FieldSpec("kind", "单位类型", ("单位类型", "类型", "主体类型", "类别", "单位类别")),
    FieldSpec("credit_code", "统一社会信用代码", ("统一社会信用代码", "信用代码", "社会信用代码")),
    FieldSpec("legal_rep", "法定代表人", ("法定代表人", "法人", "负责人", "经营者", "法人代表")),
    FieldSpec("phone", "联系电话", ("联系电话", "电话", "手机号", "手机号码", "联系方式")),
    FieldSpec("address", "地址", ("地址", "经营地址", "注册地址", "住所", "经营场所")),
    FieldSpec("employees", "从业人数", ("从业人数", "员工人数", "职工人数", "人数")),
    GRID,
    LON,
    LAT,
    COORDS,
    TAGS,
)

PLACES: tuple[FieldSpec, ...] = (
    FieldSpec(
        "name", "名称", ("名称", "场所名称", "设施名称", "地点名称", "建筑名称"), required=True
    ),
    FieldSpec("kind", "场所类别", ("场所类别", "类别", "场所类型", "地点类别")),
    FieldSpec("facility_type", "设施类型", ("设施类型", "类型", "设施类别")),
    FieldSpec("code", "编码", ("编码", "场所编码", "设施编码", "编号")),
    FieldSpec(
        "capacity", "容纳人数", ("容纳人数", "容量", "可容纳人数", "床位数", "学位数", "规模")
    ),
    FieldSpec("address", "地址", ("地址", "位置", "详细地址")),
    GRID,
    LON,
    LAT,
    COORDS,
    TAGS,
)

KINDS: dict[str, tuple[FieldSpec, ...]] = {"people": PEOPLE, "entities": ENTITIES, "places": PLACES}
OPTION_KEYS = frozenset({"sheet"})

_DECORATION = re.compile(r"[\s*＊:：]|[（(]必填[)）]|[（(]选填[)）]")


def normalise_header(text: str) -> str:
    """Compare headers loosely: no spaces, no required-markers (姓名*, 姓名（必填）), any case."""
    return _DECORATION.sub("", text).lower()


@dataclass
class ColumnMapping:
    kind: str
    columns: dict[str, int]  # field name → column position
    headers: dict[str, str]  # field name → the file's header text
    unused: list[str] = field(default_factory=list)
    extra: dict[int, str] = field(default_factory=dict)  # unmapped column position → header

    def header_of(self, name: str) -> str:
        return self.headers.get(name, name)


@dataclass
class MappingFile:
    columns: dict[str, str]
    sheet: str | None = None


def specs_for(kind: str) -> tuple[FieldSpec, ...]:
    try:
        return KINDS[kind]
    except KeyError:
        raise Invalid(_("未知的导入类型：{k}").format(k=kind)) from None


def load_mapping_file(path: str | Path) -> MappingFile:
    """Read a YAML or JSON mapping: ``{field: header}``, optionally with ``sheet``."""
    path = Path(path)
    if not path.is_file():
        raise Invalid(_("映射文件不存在：{p}").format(p=path))
    text = path.read_text(encoding="utf-8-sig")
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise Invalid(_("映射文件格式错误：{e}").format(e=exc)) from exc
    if not isinstance(data, dict):
        raise Invalid(_("映射文件应是“字段: 列名”的对照表"))
    columns = data.get("columns", data)
    if not isinstance(columns, dict):
        raise Invalid(_("映射文件的 columns 应是“字段: 列名”的对照表"))
    sheet = data.get("sheet")
    clean = {str(k): str(v) for k, v in columns.items() if k not in OPTION_KEYS and v is not None}
    return MappingFile(columns=clean, sheet=str(sheet) if sheet is not None else None)


def resolve_mapping(
    kind: str, header: Sequence[str], overrides: Mapping[str, str] | None = None
) -> ColumnMapping:
    """Match fields to columns: explicit overrides first, then the default aliases."""
    specs = specs_for(kind)
    known = {s.name: s for s in specs}
    positions: dict[str, int] = {}
    for i, h in enumerate(header):
        positions.setdefault(normalise_header(h), i)
    columns: dict[str, int] = {}
    for name, wanted in (overrides or {}).items():
        if name not in known:
            raise Invalid(
                _("映射文件中的字段「{f}」不存在，可用字段：{all}").format(
                    f=name, all=", ".join(known)
                )
            )
        pos = positions.get(normalise_header(wanted))
        if pos is None:
            raise Invalid(
                _("映射文件指定的列「{h}」（{f}）在文件表头中找不到").format(h=wanted, f=name)
            )
        columns[name] = pos
    taken = set(columns.values())
    for spec in specs:
        if spec.name in columns:
            continue
        for alias in (spec.label, *spec.aliases):
            pos = positions.get(normalise_header(alias))
            if pos is not None and pos not in taken:
                columns[spec.name] = pos
                taken.add(pos)
                break
    missing = [s for s in specs if s.required and s.name not in columns]
    if missing:
        raise Invalid(
            _("缺少必需的列：{cols}。请检查表头，或用映射文件指定列名").format(
                cols="、".join(f"{s.label}（可用列名：{'/'.join(s.aliases)}）" for s in missing)
            )
        )
    if "coordinates" in columns and ("lon" in columns or "lat" in columns):
        del columns["coordinates"]
    if ("lon" in columns) != ("lat" in columns):
        raise Invalid(_("经度和纬度两列须同时提供"))
    extra = {i: h for i, h in enumerate(header) if i not in taken and h}
    return ColumnMapping(
        kind=kind,
        columns=columns,
        headers={name: header[pos] for name, pos in columns.items()},
        unused=list(extra.values()),
        extra=extra,
    )


def header_predicate(kind: str, extra: Sequence[str] = ()) -> Callable[[Sequence[str]], bool]:
    """Recognise the header row (title rows above it are common): two or more known columns."""
    aliases = {normalise_header(a) for s in specs_for(kind) for a in (s.label, *s.aliases)}
    aliases.update(normalise_header(a) for a in extra)

    def is_header(cells: Sequence[str]) -> bool:
        return sum(1 for c in cells if c and normalise_header(c) in aliases) >= 2

    return is_header
