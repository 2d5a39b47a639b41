"""居民注册 — residents register with a phone number and a verification code.

Codes are six digits, valid ten minutes, five tries, kept as a keyed hash. Delivery is pluggable:
``CIVICGRID_SMS_SENDER="package.module:callable"`` names a ``(phone, code) -> None`` callable;
by default the code is written to the log (the demo reads it there). At most one code per phone
per minute and ten per day; the per-IP limit is the route's (``CIVICGRID_RATE_REGISTER``).
"""

from __future__ import annotations

import hmac
import importlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.auth import fields
from civicgrid.auth.roles import Role
from civicgrid.auth.service import assign_role, create_user
from civicgrid.config import Settings, get_settings
from civicgrid.errors import Conflict, RateLimited
from civicgrid.kit.i18n import _
from civicgrid.kit.masking import mask_phone
from civicgrid.kit.timeutil import utcnow
from civicgrid.models.auth import PhoneCode, User, UserKind
from civicgrid.models.registry import Person

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
PER_MINUTE = 1
PER_DAY = 10

Sender = Callable[[str, str], None]


def log_sender(phone: str, code: str) -> None:
    """The default sender: the code goes to the log (development and demo)."""
    log.warning("verification code for %s: %s", mask_phone(phone), code)


def sender_from_settings(settings: Settings | None = None) -> Sender:
    spec = (settings or get_settings()).sms_sender.strip()
    if not spec:
        return log_sender
    module, _sep, attr = spec.partition(":")
    target = getattr(importlib.import_module(module), attr or "send")
    if not callable(target):
        raise TypeError(f"CIVICGRID_SMS_SENDER {spec!r} is not callable")
    return target  # type: ignore[no-any-return]


def _code_hash(index: str, code: str) -> str:
    return fields.keyed_hash("phone-code", f"{index}:{code}")


def request_code(
    session: Session,
    *,
    phone: str,
    purpose: str = "register",
    now: datetime | None = None,
    settings: Settings | None = None,
) -> None:
    """Create and send a code. Raises ``RateLimited`` when this phone asked too often."""
    number = fields.normalize_phone(phone)
    index = fields.phone_index(number, settings)
    when = now or utcnow()
    recent = session.scalar(
        select(func.count()).where(
            PhoneCode.phone_index == index, PhoneCode.created_at > when - timedelta(minutes=1)
        )
    )
    if (recent or 0) >= PER_MINUTE:
        raise RateLimited(_("验证码发送过于频繁，请 1 分钟后再试"), retry_after=60)
    today = session.scalar(
        select(func.count()).where(
            PhoneCode.phone_index == index, PhoneCode.created_at > when - timedelta(days=1)
        )
    )
    if (today or 0) >= PER_DAY:
        raise RateLimited(_("今日验证码发送次数已达上限"), retry_after=3600)
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        PhoneCode(
            phone_index=index,
            purpose=purpose,
            code_hash=_code_hash(index, code),
            created_at=when,
            expires_at=when + CODE_TTL,
        )
    )
    session.flush()
    sender_from_settings(settings)(number, code)


def check_code(
    session: Session,
    *,
    phone: str,
    code: str,
    purpose: str = "register",
    now: datetime | None = None,
) -> bool:
    """Whether ``code`` is the live code of ``phone``; consumes it on success, counts a try
    otherwise (the caller commits either way)."""
    number = fields.normalize_phone(phone)
    index = fields.phone_index(number)
    when = now or utcnow()
    row = session.scalars(
        select(PhoneCode)
        .where(
            PhoneCode.phone_index == index,
            PhoneCode.purpose == purpose,
            PhoneCode.consumed_at.is_(None),
        )
        .order_by(PhoneCode.created_at.desc(), PhoneCode.id.desc())
    ).first()
    if row is None or row.expires_at <= when or row.attempts >= MAX_TRIES:
        return False
    if not hmac.compare_digest(row.code_hash, _code_hash(index, (code or "").strip())):
        row.attempts += 1
        session.flush()
        return False
    row.consumed_at = when
    session.flush()
    return True


def register_resident(
    session: Session,
    *,
    phone: str,
    password: str,
    display_name: str = "",
    settings: Settings | None = None,
) -> User:
    """The resident account for a verified phone (call ``check_code`` first). A person of the
    population registry with the same phone is linked, so the resident sees their own record."""
    number = fields.normalize_phone(phone)
    index = fields.phone_index(number, settings)
    if session.scalars(select(User.id).where(User.phone_index == index)).first() is not None:
        raise Conflict(_("该手机号已注册，请直接登录"), field="phone")
    people = list(session.scalars(select(Person.id).where(Person.phone_index == index).limit(2)))
    user = create_user(
        session,
        username=f"r{secrets.token_hex(6)}",
        password=password,
        display_name=display_name or _("居民"),
        kind=UserKind.RESIDENT,
        phone=number,
        person_id=people[0] if len(people) == 1 else None,
        settings=settings,
    )
    assign_role(session, user=user, role=Role.RESIDENT)
    return user
