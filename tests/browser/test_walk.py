"""Every HTML page reachable from the start pages, for each role, in Chinese and English:
none may show a raw server error (500 page, traceback, template error)."""

from __future__ import annotations

import re
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
MAX_PAGES = 10  # page kinds per role and language (ids collapsed): bounded in time


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
        visited_total += len(seen)
        context.close()
    assert visited_total >= len(ROLES) * 3
