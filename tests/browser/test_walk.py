"""Every HTML page reachable from the start pages, for each role, in Chinese and English:
none may show a raw server error (500 page, traceback, template error)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DESKTOP, LiveServer, context_for

pytestmark = pytest.mark.browser

ROLES = ("resident", "dh-worker", "dh-dispatcher", "dh-dept", "dh-evaluator", "admin")
STARTS = ("/", "/workbench", "/m/report", "/m/mine", "/m/worker", "/m/worker/people")
SKIP_PREFIXES = ("/api/", "/static/", "/logout", "/login")
SKIP_SUFFIXES = (".xlsx", ".csv", ".geojson", ".json", ".png", ".jpg", ".pdf", ".zip")
RAW_ERRORS = (
    "Internal Server Error",
    "Traceback (most recent call last)",
    "jinja2.exceptions",
    "UndefinedError",
    "TemplateSyntaxError",
)
CATALOG = Path(__file__).resolve().parents[2] / "src/civicgrid/locale/en/LC_MESSAGES/messages.po"
MAX_PAGES = 10
# Every visible text node, trimmed: an untranslated label is a whole text node equal to its id.
TEXT_NODES = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!parent || ["SCRIPT", "STYLE"].includes(parent.tagName)) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  return out;
}"""  # page kinds per role and language (ids collapsed): bounded in time


def chinese_msgids() -> list[str]:
    """Message ids of the catalog that are plain Chinese phrases (no placeholders), longest first.

    Seed data (place names, titles) is not in the catalog, so one of these on an English page
    is a message shown untranslated.
    """
    from babel.messages.pofile import read_po

    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    ids = [
        m.id
        for m in catalog
        if isinstance(m.id, str)
        and len(m.id) >= 4
        and "{" not in m.id
        and "%" not in m.id
        and all("\u4e00" <= c <= "\u9fff" for c in m.id)
    ]
    return sorted(ids, key=len, reverse=True)


def links(page: Any, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES):
            continue
        found.append(path)
    return found


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_reachable_page_renders(browser: Any, live_server: LiveServer, lang: str) -> None:
    base = live_server.url
    visited_total = 0
    untranslated: dict[str, set[str]] = {}
    msgids = set(chinese_msgids()) if lang == "en" else set()
    for username in ROLES:
        context = context_for(browser, live_server, username, DESKTOP, lang=lang)
        page = context.new_page()
        queue = list(STARTS)
        seen: set[str] = set()
        while queue and len(seen) < MAX_PAGES:
            path = queue.pop(0)
            kind = re.sub(r"\d+", "N", path.split("?", 1)[0])
            if kind in seen:
                continue
            seen.add(kind)
            response = page.goto(f"{base}{path}", wait_until="domcontentloaded")
            assert response is not None
            status = response.status
            assert status < 500, f"{username} {lang} {path}: HTTP {status}"
            text = page.content()
            for marker in RAW_ERRORS:
                assert marker not in text, f"{username} {lang} {path} shows {marker!r}"
            if "html" in (response.headers.get("content-type") or ""):
                queue.extend(links(page, base))
                shown = set(page.evaluate(TEXT_NODES))
                for msgid in msgids & shown:
                    untranslated.setdefault(path, set()).add(msgid)
        visited_total += len(seen)
        context.close()
    assert visited_total >= len(ROLES) * 3
    assert not untranslated, f"untranslated on English pages: {untranslated}"
