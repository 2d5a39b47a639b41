"""Time helpers: timezone-aware UTC everywhere, rendered in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC (that is how they are stored); aware ones are converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: datetime, tz: ZoneInfo = LOCAL_TZ) -> datetime:
    return ensure_utc(value).astimezone(tz)


def parse_local(text: str, tz: ZoneInfo = LOCAL_TZ) -> datetime:
    """Parse an ISO-ish timestamp; naive means local time (as offices write it). Returns UTC."""
    value = datetime.fromisoformat(text.strip().replace("/", "-"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)
