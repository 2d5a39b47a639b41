"""界面偏好 — language (zh_CN | en) and large-text mode, kept in cookies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse

from civicgrid.kit.i18n import SUPPORTED_LOCALES

router = APIRouter(include_in_schema=False)

YEAR = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.post("/prefs")
def set_prefs(
    lang: Annotated[str | None, Form()] = None,
    large_text: Annotated[str | None, Form()] = None,
    next: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in SUPPORTED_LOCALES:
        response.set_cookie("lang", lang, max_age=YEAR, samesite="lax", httponly=True)
    if large_text in ("0", "1"):
        response.set_cookie("large_text", large_text, max_age=YEAR, samesite="lax", httponly=True)
    return response
