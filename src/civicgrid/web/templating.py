"""Jinja2 environment with the translation function installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from civicgrid.kit.i18n import current_locale, gettext, ngettext

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"]),
    extensions=["jinja2.ext.i18n"],
)
env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    html = env.get_template(name).render(request=request, locale=current_locale.get(), **context)
    return HTMLResponse(html, status_code=status_code)
