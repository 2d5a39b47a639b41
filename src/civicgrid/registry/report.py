"""导入报告 — the per-row report of an import: row number, column, masked value, reason.

Personal values are masked before they enter the report (it is stored in the database and
handed around as a file), so the report never spreads an ID number or phone in clear.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from civicgrid.kit.i18n import _
from civicgrid.kit.masking import mask_address, mask_id_number, mask_name, mask_phone
from civicgrid.kit.tabular import write_table

MAX_KEPT = 100_000  # issues kept in memory and in the exported file
MAX_STORED = 10_000  # issues stored on the ImportBatch row


class Level(StrEnum):
    ERROR = "error"  # the row was rejected
    WARNING = "warning"  # the row was imported; something was corrected or ignored


def level_label(level: str) -> str:
    """What happened to the row, as the report says it."""
    return _("拒绝") if Level(level) == Level.ERROR else _("提醒")


def _mask_coordinate(value: str | None) -> str | None:
    """Keep about 1 km of precision: enough to find the mistake, not the door."""
    if not value:
        return value
    out = []
    for part in value.replace("，", ",").split(","):
        head, dot, tail = part.strip().partition(".")
        out.append(head + dot + tail[:2] + ("*" * min(4, len(tail[2:])) if dot else ""))
    return ",".join(out)


def _mask_date(value: str | None) -> str | None:
    if not value:
        return value
    return value[:4] + "*" * max(0, len(value) - 4)


_MASKERS: dict[str, Callable[[str | None], str | None]] = {
    "name": mask_name,
    "legal_rep": mask_name,
    "id_number": mask_id_number,
    "phone": mask_phone,
    "address": mask_address,
    "lon": _mask_coordinate,
    "lat": _mask_coordinate,
    "coordinates": _mask_coordinate,
    "birth_date": _mask_date,
}
# Which fields are personal, per import kind (an entity's address is public, a person's is not).
PERSONAL: dict[str, frozenset[str]] = {
    "people": frozenset(
        {"name", "id_number", "phone", "address", "lon", "lat", "coordinates", "birth_date"}
    ),
    "entities": frozenset({"phone", "legal_rep"}),
    "places": frozenset(),
}


def shown_value(kind: str, field: str, text: str) -> str:
    """The value as the report may show it: masked when the field is personal."""
    text = text[:80]
    if field in PERSONAL.get(kind, frozenset()):
        masker = _MASKERS.get(field, mask_name)
        return masker(text) or ""
    return text


@dataclass(frozen=True, slots=True)
class Issue:
    row: int
    column: str
    value: str
    reason: str
    level: str = Level.ERROR

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class IssueLog:
    """Issues of one import, kept up to ``MAX_KEPT`` (the counts stay exact beyond that)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.items: list[Issue] = []
        self.dropped = 0
        self.warnings = 0

    def add(
        self, row: int, column: str, field: str, text: str, reason: str, level: str = Level.ERROR
    ) -> None:
        if level == Level.WARNING:
            self.warnings += 1
        if len(self.items) >= MAX_KEPT:
            self.dropped += 1
            return
        self.items.append(Issue(row, column, shown_value(self.kind, field, text), reason, level))

    def sorted(self) -> list[Issue]:
        return sorted(self.items, key=lambda i: (i.row, i.level != Level.ERROR))


REPORT_HEADER = ("行号", "列", "值（已脱敏）", "问题", "处理")


def report_rows(issues: Iterable[Issue | dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for item in issues:
        d = item.as_dict() if isinstance(item, Issue) else item
        label = level_label(d.get("level", Level.ERROR))
        rows.append([d["row"], d["column"], d["value"], d["reason"], label])
    return rows


def export_report(path: str | Path, issues: Iterable[Issue | dict[str, Any]]) -> Path:
    """Write the report as .csv (UTF-8 with BOM) or .xlsx, by the file's suffix."""
    return write_table(path, REPORT_HEADER, report_rows(issues))
