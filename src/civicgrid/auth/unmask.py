"""查看明文 — the only way to see a personal field in clear: permission + scope + reason, logged.

``unmask`` resolves the object through ``policy.access`` with the field's unmask permission (so an
object outside the subject's scope is a 404, as everywhere), requires a reason, writes an
``UnmaskLog`` row (who, whose, which field, why, when, from where) in the same transaction, and
only then returns the value.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from civicgrid.auth import policy
from civicgrid.auth.masking import field_spec
from civicgrid.auth.subject import Subject
from civicgrid.errors import Invalid, NotFound
from civicgrid.kit.i18n import _
from civicgrid.models.auth import UnmaskLog

MIN_REASON = 4


def unmask(
    session: Session,
    *,
    subject: Subject,
    resource: str,
    object_id: int,
    field: str,
    reason: str,
) -> str | None:
    spec = field_spec(resource, field)
    entry = policy.resource_named(resource)
    if spec is None or entry is None:
        raise NotFound(_("没有可查看的字段 {r}.{f}").format(r=resource, f=field))
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise Invalid(_("请填写查看原因（至少 {n} 个字）").format(n=MIN_REASON), field="reason")
    obj = policy.access(session, subject, entry.model, object_id, permission=spec.permission)
    session.add(
        UnmaskLog(
            user_id=subject.user_id,
            resource=resource,
            resource_id=object_id,
            node_id=getattr(obj, "node_id", None),
            field=field,
            reason=reason[:300],
            ip=subject.ip,
        )
    )
    session.flush()
    return spec.read(obj)


def log_entries(
    subject: Subject,
    *,
    user_id: int | None = None,
    resource: str | None = None,
    resource_id: int | None = None,
) -> Select[Any]:
    """The access log the subject may audit (``audit:read``, scoped by the record's node)."""
    stmt = policy.readable(select(UnmaskLog), subject, UnmaskLog)
    if user_id is not None:
        stmt = stmt.where(UnmaskLog.user_id == user_id)
    if resource is not None:
        stmt = stmt.where(UnmaskLog.resource == resource)
    if resource_id is not None:
        stmt = stmt.where(UnmaskLog.resource_id == resource_id)
    return stmt.order_by(UnmaskLog.at.desc(), UnmaskLog.id.desc())
