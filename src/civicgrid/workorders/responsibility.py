"""权责清单 — the responsibility list: category → department, time limits, escalation chain.

Versioned: publishing creates a new version with an ``effective_from`` time; an order is judged
by the version in force when it was reported. A list is published whole or not at all (a half-valid
list would leave categories unrouted), so a file with any bad row is refused with a per-row report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from civicgrid.errors import Invalid, NotFound
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.workorder import ResponsibilityItem, ResponsibilityVersion
from civicgrid.workorders.sla import SlaMode

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("分类编码", "编码", "事项编码", "code"),
    "name": ("分类名称", "分类", "事项名称", "事项", "name"),
    "parent_code": ("上级编码", "上级分类编码", "parent_code"),
    "department": ("责任部门", "责任单位", "主责部门", "department"),
    "triage": ("分流类型", "事项类型", "分流", "triage"),
    "accept_hours": ("签收时限", "签收时限(小时)", "签收时限（小时）", "accept_hours"),
    "handle_hours": ("办理时限", "办理时限(小时)", "办理时限（小时）", "处置时限", "handle_hours"),
    "reply_hours": ("答复时限", "答复时限(小时)", "答复时限（小时）", "reply_hours"),
    "sla_mode": ("计时方式", "sla_mode"),
    "escalation": ("升级路径", "escalation"),
    "is_dispute": ("矛盾纠纷", "是否纠纷", "is_dispute"),
}
TRIAGE_VALUES = {
    "大事": "government",
    "政府": "government",
    "部门": "government",
    "government": "government",
    "小事": "community",
    "社区": "community",
    "community": "community",
    "私事": "self_help",
    "自治": "self_help",
    "self_help": "self_help",
}
MODE_VALUES = {
    "自然": SlaMode.CALENDAR,
    "自然小时": SlaMode.CALENDAR,
    "calendar": SlaMode.CALENDAR,
    "工作": SlaMode.WORKING,
    "工作小时": SlaMode.WORKING,
    "working": SlaMode.WORKING,
}
TRUE_VALUES = {"是", "y", "yes", "true", "1"}
FALSE_VALUES = {"", "否", "n", "no", "false", "0"}


@dataclass
class ItemSpec:
    code: str
    name: str
    department: str
    parent_code: str | None = None
    triage: str = "government"
    accept_hours: float = 2.0
    handle_hours: float = 72.0
    reply_hours: float = 120.0
    sla_mode: str = SlaMode.CALENDAR.value
    escalation: list[str] = field(default_factory=list)
    is_dispute: bool = False


@dataclass
class RowError:
    row: int
    column: str
    reason: str


def _pick(row: Mapping[str, Any], key: str) -> str:
    for alias in HEADER_ALIASES[key]:
        if alias in row and row[alias] is not None:
            return str(row[alias]).strip()
    return ""


def _hours(text: str, column: str, row: int, errors: list[RowError], default: float) -> float:
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        errors.append(RowError(row, column, _("时限必须是小时数") + f": {text!r}"))
        return default
    if not 0 < value <= 24 * 365:
        errors.append(RowError(row, column, _("时限必须大于0且不超过一年") + f": {text}"))
    return value


def parse_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]],
) -> tuple[list[ItemSpec], list[RowError]]:
    """Validate spreadsheet rows (row number, header → value). Pure: no database."""
    items: list[ItemSpec] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        row_errors: list[RowError] = []
        code, name, department = _pick(row, "code"), _pick(row, "name"), _pick(row, "department")
        if not code:
            row_errors.append(RowError(number, "分类编码", _("分类编码不能为空")))
        elif code in seen:
            row_errors.append(
                RowError(
                    number,
                    "分类编码",
                    _("分类编码重复，首次出现在第{row}行").format(row=seen[code]),
                )
            )
        if not name:
            row_errors.append(RowError(number, "分类名称", _("分类名称不能为空")))
        if not department:
            row_errors.append(RowError(number, "责任部门", _("责任部门不能为空")))
        triage_text = _pick(row, "triage") or "大事"
        triage = TRIAGE_VALUES.get(triage_text.lower())
        if triage is None:
            row_errors.append(
                RowError(
                    number, "分流类型", _("分流类型只能是大事、小事或私事") + f": {triage_text}"
                )
            )
        mode_text = _pick(row, "sla_mode") or "自然"
        mode = MODE_VALUES.get(mode_text.lower())
        if mode is None:
            row_errors.append(
                RowError(number, "计时方式", _("计时方式只能是自然或工作") + f": {mode_text}")
            )
        dispute_text = _pick(row, "is_dispute").lower()
        if dispute_text not in TRUE_VALUES | FALSE_VALUES:
            row_errors.append(RowError(number, "矛盾纠纷", _("只能填是或否") + f": {dispute_text}"))
        accept = _hours(_pick(row, "accept_hours"), "签收时限", number, row_errors, 2.0)
        handle = _hours(_pick(row, "handle_hours"), "办理时限", number, row_errors, 72.0)
        reply = _hours(
            _pick(row, "reply_hours"), "答复时限", number, row_errors, max(handle, 120.0)
        )
        if not row_errors and accept > handle:
            row_errors.append(RowError(number, "签收时限", _("签收时限不能长于办理时限")))
        escalation = [
            p.strip() for p in _pick(row, "escalation").replace("＞", ">").split(">") if p.strip()
        ]
        if row_errors:
            errors.extend(row_errors)
            continue
        seen[code] = number
        items.append(
            ItemSpec(
                code=code,
                name=name,
                department=department,
                parent_code=_pick(row, "parent_code") or None,
                triage=triage or "government",
                accept_hours=accept,
                handle_hours=handle,
                reply_hours=reply,
                sla_mode=(mode or SlaMode.CALENDAR).value,
                escalation=escalation,
                is_dispute=dispute_text in TRUE_VALUES - {""},
            )
        )
    codes = {i.code for i in items}
    for item in items:
        if item.parent_code and item.parent_code not in codes:
            errors.append(
                RowError(seen[item.code], "上级编码", _("上级编码不存在") + f": {item.parent_code}")
            )
    return items, errors


def publish(
    session: Session,
    *,
    items: list[ItemSpec],
    effective_from: datetime | None = None,
    note: str | None = None,
    by: int | None = None,
) -> ResponsibilityVersion:
    """Publish a new version of the whole list."""
    if not items:
        raise Invalid(_("权责清单不能为空"))
    number = (session.scalar(select(func.max(ResponsibilityVersion.number))) or 0) + 1
    version = ResponsibilityVersion(
        number=number, effective_from=effective_from or utcnow(), note=note, created_by=by
    )
    session.add(version)
    session.flush()
    session.add_all(ResponsibilityItem(version_id=version.id, **asdict(item)) for item in items)
    session.flush()
    return version


def import_rows(
    session: Session,
    *,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    effective_from: datetime | None = None,
    note: str | None = None,
    by: int | None = None,
) -> ResponsibilityVersion:
    """Validate and publish; any bad row refuses the whole list with the per-row report."""
    items, errors = parse_rows(rows)
    if errors:
        raise Invalid(_("权责清单有错误，未发布"), rows=[asdict(e) for e in errors])
    return publish(session, items=items, effective_from=effective_from, note=note, by=by)


def version_in_force(session: Session, at: datetime | None = None) -> ResponsibilityVersion | None:
    stmt = select(ResponsibilityVersion).where(
        ResponsibilityVersion.effective_from <= (at or utcnow())
    )
    return session.scalar(
        stmt.order_by(
            ResponsibilityVersion.effective_from.desc(), ResponsibilityVersion.number.desc()
        ).limit(1)
    )


@dataclass(frozen=True)
class InForce:
    """The version in force at a time and, when a category was asked for, its item's code and
    dispute flag (``code`` None: the version has no such category)."""

    version_id: int | None
    code: str | None = None
    is_dispute: bool = False


_V = ResponsibilityVersion
_I = ResponsibilityItem
_NEWEST = (_V.effective_from.desc(), _V.number.desc())
# Prepared once (built and cache-keyed once, not per order).
_VERSION_AT = select(_V.id).where(_V.effective_from <= bindparam("at")).order_by(*_NEWEST).limit(1)
_CATEGORY_AT = (
    select(_V.id, _I.code, _I.is_dispute)
    .outerjoin(
        _I,
        (_I.version_id == _V.id)
        & ((_I.code == bindparam("category")) | (_I.name == bindparam("category"))),
    )
    .where(_V.effective_from <= bindparam("at"))
    .order_by(*_NEWEST, _I.id)
    .limit(1)
)


def category_in_force(session: Session, category: str | None, at: datetime) -> InForce:
    """``version_in_force`` and ``lookup`` in one query, reading only the columns an order needs."""
    if not category:
        return InForce(session.scalar(_VERSION_AT, {"at": at}))
    row = session.execute(_CATEGORY_AT, {"at": at, "category": category}).first()
    if row is None:
        return InForce(None)
    return InForce(row[0], row[1], bool(row[2]))


def items_of(session: Session, version: ResponsibilityVersion) -> list[ResponsibilityItem]:
    return list(
        session.scalars(
            select(ResponsibilityItem)
            .where(ResponsibilityItem.version_id == version.id)
            .order_by(ResponsibilityItem.code)
        )
    )


def lookup(
    session: Session, *, category: str, version: ResponsibilityVersion
) -> ResponsibilityItem | None:
    """The row for a category given by code or by name."""
    return session.scalar(
        select(ResponsibilityItem)
        .where(
            ResponsibilityItem.version_id == version.id,
            (ResponsibilityItem.code == category) | (ResponsibilityItem.name == category),
        )
        .limit(1)
    )


def lookup_or_raise(
    session: Session, *, category: str, version: ResponsibilityVersion
) -> ResponsibilityItem:
    item = lookup(session, category=category, version=version)
    if item is None:
        raise Invalid(_("权责清单中没有该分类") + f": {category}")
    return item


def edit_item(
    session: Session,
    *,
    code: str,
    changes: Mapping[str, Any],
    by: int | None = None,
    note: str | None = None,
) -> ResponsibilityVersion:
    """Edit one row: publishes a new version (old orders keep the rules they were judged by)."""
    current = version_in_force(session)
    if current is None:
        raise NotFound(_("尚未发布权责清单"))
    specs = []
    found = False
    allowed = set(ItemSpec.__dataclass_fields__) - {"code"}
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(_("不能修改的字段") + f": {', '.join(sorted(unknown))}")
    for item in items_of(session, current):
        spec = ItemSpec(**{k: getattr(item, k) for k in ItemSpec.__dataclass_fields__})
        if item.code == code:
            found = True
            for key, value in changes.items():
                setattr(spec, key, value)
        specs.append(spec)
    if not found:
        raise NotFound(_("权责清单中没有该分类") + f": {code}")
    _items, errors = parse_rows((i + 1, _spec_row(s)) for i, s in enumerate(specs))
    if errors:
        raise Invalid(_("修改后的权责清单无效"), rows=[asdict(e) for e in errors])
    return publish(session, items=specs, note=note or f"edit {code}", by=by)


def _spec_row(spec: ItemSpec) -> dict[str, Any]:
    triage_label = {"government": "大事", "community": "小事", "self_help": "私事"}[spec.triage]
    return {
        "分类编码": spec.code,
        "分类名称": spec.name,
        "上级编码": spec.parent_code or "",
        "责任部门": spec.department,
        "分流类型": triage_label,
        "签收时限": spec.accept_hours,
        "办理时限": spec.handle_hours,
        "答复时限": spec.reply_hours,
        "计时方式": "工作" if spec.sla_mode == SlaMode.WORKING else "自然",
        "升级路径": ">".join(spec.escalation),
        "矛盾纠纷": "是" if spec.is_dispute else "否",
    }


def export_rows(session: Session, version: ResponsibilityVersion) -> list[dict[str, Any]]:
    """The list as spreadsheet rows with Chinese headers (the same shape the importer reads)."""
    return [
        _spec_row(ItemSpec(**{k: getattr(i, k) for k in ItemSpec.__dataclass_fields__}))
        for i in items_of(session, version)
    ]
