"""Translation: Chinese source strings (zh_CN is the default), gettext catalogs for other locales.

Catalogs live in ``civicgrid/locale/<locale>/LC_MESSAGES/messages.po`` and are compiled to ``.mo``
by ``make i18n`` (Babel). The current locale is a context variable set per request by the web layer.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DEFAULT_LOCALE = "zh_CN"
SUPPORTED_LOCALES = ("zh_CN", "en")

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@lru_cache(maxsize=8)
def translations(locale: str) -> _gettext.NullTranslations:
    if locale == DEFAULT_LOCALE:
        return _gettext.NullTranslations()
    return _gettext.translation("messages", LOCALE_DIR, languages=[locale], fallback=True)


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction only; it is translated with ``_`` where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def negotiate(accept_language: str | None, cookie: str | None = None) -> str:
    """Pick a supported locale from a cookie or an Accept-Language header (zh_CN by default)."""
    if cookie in SUPPORTED_LOCALES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower().replace("-", "_")
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


_ = gettext
