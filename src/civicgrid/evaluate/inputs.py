"""调查结果与人工评分导入 — parse a CSV/XLSX of (entity code, indicator, value) rows. Pure.

Third-party satisfaction surveys and manual score sheets arrive as office files. Columns are
recognised by their Chinese or English header; every bad row is reported with its row number
(as Excel shows it) and the reason, and never stops the good rows.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

from charset_normalizer import from_bytes

from civicgrid.errors import Invalid, TooLarge, UnsupportedMedia
from civicgrid.kit.i18n import _

MAX_BYTES = 20 * 1024 * 1024
HEADERS = {
    "entity_code": ("对象编码", "编码", "单位编码", "网格编码", "code", "entity_code", "entity"),
    "indicator": ("指标", "指标名称", "indicator"),
    "value": ("值", "得分", "分值", "数值", "value", "score"),
    "sample_size": ("样本量", "样本数", "sample_size", "samples"),
    "level": ("层级", "level"),
    "survey": ("调查名称", "评分表", "survey"),
}


@dataclass(frozen=True)
class InputRow:
    row: int
    entity_code: str
    indicator: str
    value: float
    sample_size: int | None = None
    level: str | None = None
    survey: str | None = None


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8"), "utf-8-sig"
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    best = from_bytes(content[:262144]).best()
    if best is not None:
        try:
            return content.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise UnsupportedMedia(_("无法识别文件编码，请另存为“CSV UTF-8”后重试"))


def _rows(content: bytes, filename: str) -> tuple[list[list[Any]], str | None]:
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix in ("csv", "txt"):
        text, encoding = _decode(content)
        return [list(r) for r in csv.reader(io.StringIO(text))], encoding
    if suffix in ("xlsx", "xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a non-workbook
            raise UnsupportedMedia(_("无法打开 Excel 文件：{e}").format(e=exc)) from exc
        rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
        return rows, None
    raise UnsupportedMedia(_("不支持的文件类型：{f}（请使用 .csv 或 .xlsx）").format(f=filename))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    # "92.5%" is read as 92.5: survey reports give percentages as points on a 0–100 scale.
    text = str(value).strip().replace(",", "").removesuffix("%").removesuffix("％")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_inputs(
    content: bytes, filename: str
) -> tuple[list[InputRow], list[dict[str, Any]], str | None]:
    """Rows, rejected rows ({row, reason}) and the detected text encoding."""
    if len(content) > MAX_BYTES:
        raise TooLarge(_("文件超过 {n} MB").format(n=MAX_BYTES // (1024 * 1024)))
    table, encoding = _rows(content, filename)
    header_at = next(
        (i for i, row in enumerate(table) if any(c is not None and str(c).strip() for c in row)),
        None,
    )
    if header_at is None:
        raise Invalid(_("文件是空的"))
    names = [str(c).strip().lower() if c is not None else "" for c in table[header_at]]
    columns: dict[str, int] = {}
    for field, aliases in HEADERS.items():
        for alias in aliases:
            if alias.lower() in names:
                columns[field] = names.index(alias.lower())
                break
    missing = [HEADERS[f][0] for f in ("entity_code", "indicator", "value") if f not in columns]
    if missing:
        raise Invalid(
            _("缺少必需的列：{m}（表头应包含 对象编码、指标、值，可选 样本量）").format(
                m="、".join(missing)
            )
        )
    good: list[InputRow] = []
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str | None, str | None], int] = {}
    for offset, row in enumerate(table[header_at + 1 :], start=header_at + 2):

        def cell(field: str, row: list[Any] = row) -> Any:
            index = columns.get(field)
            return row[index] if index is not None and index < len(row) else None

        if all(c is None or not str(c).strip() for c in row):
            continue
        code = str(cell("entity_code") or "").strip()
        indicator = str(cell("indicator") or "").strip()
        raw_value = cell("value")
        value = _number(raw_value)
        if not code:
            errors.append({"row": offset, "reason": _("缺少对象编码")})
            continue
        if not indicator:
            errors.append({"row": offset, "reason": _("缺少指标名称")})
            continue
        if value is None:
            errors.append({"row": offset, "reason": _("值「{v}」不是数字").format(v=raw_value)})
            continue
        sample = cell("sample_size")
        sample_size = None
        if sample is not None and str(sample).strip():
            number = _number(sample)
            if number is None or number < 0 or not float(number).is_integer():
                errors.append(
                    {"row": offset, "reason": _("样本量「{v}」应为非负整数").format(v=sample)}
                )
                continue
            sample_size = int(number)
        level = str(cell("level")).strip() if cell("level") else None
        survey = str(cell("survey")).strip() if cell("survey") else None
        identity = (code, indicator, level, survey)
        if identity in seen:
            errors.append(
                {
                    "row": offset,
                    "reason": _("与第 {r} 行重复（同一对象、同一指标）").format(r=seen[identity]),
                }
            )
            continue
        seen[identity] = offset
        good.append(InputRow(offset, code, indicator, value, sample_size, level, survey))
    return good, errors, encoding
