"""Domain errors. Services raise these; the web layer maps each to an HTTP status with a message."""

from __future__ import annotations

from typing import Any


class CivicgridError(Exception):
    """Base class: a clear, user-facing message and an HTTP status."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(CivicgridError):
    status_code = 404
    code = "not_found"


class Unauthenticated(CivicgridError):
    status_code = 401
    code = "unauthenticated"


class PermissionDenied(CivicgridError):
    status_code = 403
    code = "forbidden"


class Conflict(CivicgridError):
    status_code = 409
    code = "conflict"


class Invalid(CivicgridError):
    status_code = 422
    code = "invalid"


class TooLarge(CivicgridError):
    status_code = 413
    code = "too_large"


class UnsupportedMedia(CivicgridError):
    status_code = 415
    code = "unsupported_media_type"


class RateLimited(CivicgridError):
    status_code = 429
    code = "rate_limited"
