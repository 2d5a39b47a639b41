"""Translations: every message id in src has an English translation; English pages show no
Chinese message id; the shared layout carries the CSRF meta tag and no inline script."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from tests.conftest import login
from tests.fixtures.world import World

from civicgrid.auth.roles import ROLE_LABELS
from civicgrid.evaluate.dataset import LEVEL_LABELS as EVALUATION_LEVELS
from civicgrid.intel.risk import COLOUR_LABELS
from civicgrid.web import labels
from civicgrid.web.dashboard_service import LEVEL_LABELS as ORG_LEVELS
from civicgrid.workorders.states import ACTION_LABELS, STATE_LABELS

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PO = SRC / "civicgrid" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
TEMPLATES = SRC / "civicgrid" / "web" / "templates"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.I)
HAN = re.compile(r"[\u4e00-\u9fff]")


@cache
def extracted(subdir: str = "") -> dict[str, list[str]]:
    """msgid → where it occurs, extracted from src with babel.cfg (Babel's Python API)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)  # type: ignore[no-untyped-call]
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(SRC / subdir) if subdir else str(SRC), method_map, options_map
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


@cache
def english() -> dict[str, str]:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.fuzzy}


def test_every_msgid_in_src_has_an_english_translation() -> None:
    msgids = extracted()
    assert len(msgids) > 500  # the extraction really ran over src
    missing = {m: where[0] for m, where in msgids.items() if not english().get(m)}
    assert not missing, f"untranslated (run `make i18n` and translate): {missing}"


def test_translations_keep_their_placeholders() -> None:
    wrong = {
        m: t
        for m, t in english().items()
        if t and sorted(PLACEHOLDER.findall(m)) != sorted(PLACEHOLDER.findall(t))
    }
    assert not wrong


def test_label_tables_are_listed_for_extraction() -> None:
    listed = {name: set(getattr(labels, name)) for name in dir(labels) if name.endswith("_MSGIDS")}
    assert listed["STATE_MSGIDS"] == set(STATE_LABELS.values())
    assert listed["ACTION_MSGIDS"] == set(ACTION_LABELS.values())
    assert listed["ROLE_MSGIDS"] == set(ROLE_LABELS.values())
    assert listed["COLOUR_MSGIDS"] == set(COLOUR_LABELS.values())
    assert listed["EVALUATION_LEVEL_MSGIDS"] == set(EVALUATION_LEVELS.values())
    assert listed["ORG_LEVEL_MSGIDS"] == set(ORG_LEVELS.values())


def test_templates_have_no_inline_scripts_or_handlers() -> None:
    offenders = [
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*.html")
        if INLINE_SCRIPT.search(p.read_text(encoding="utf-8"))
    ]
    assert not offenders


def page_msgids() -> list[str]:
    """Message ids of the shared layout and this helper's pages, long enough not to be part of
    place names in the data ("网格" is, "网格地图" is not)."""
    ids = extracted("civicgrid/web/templates")
    return [m for m in ids if len(HAN.findall(m)) >= 3 and not PLACEHOLDER.search(m)]


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize(
    ("username", "path", "expected"),
    [
        ("dh-leader", "/", "City Operations Command Dashboard"),
        ("dh-leader", "/evaluation", "Evaluation period"),
        ("admin", "/admin/org", "Hierarchy tree"),
        ("admin", "/admin/users", "Roles and scopes"),
        ("admin", "/admin/responsibility", "Version in force"),
        ("admin", "/admin/registry", "Import type"),
    ],
)
def test_english_pages_are_translated(
    client: TestClient, world: World, username: str, path: str, expected: str
) -> None:
    login(client, username)
    client.cookies.set("lang", "en")
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="en"' in page.text
    assert expected in page.text
    text = visible_text(page.text)
    shown = [m for m in page_msgids() if m in text]
    assert not shown, f"{path} shows untranslated message ids: {shown[:5]}"
    client.cookies.set("lang", "zh_CN")
    assert '<html lang="zh-CN"' in client.get(path).text


def test_layout_has_csrf_meta_skip_link_and_switches(client: TestClient, world: World) -> None:
    login(client, "dh-dispatcher")
    page = client.get("/")
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert meta and len(meta.group(1)) > 20
    assert 'class="skip-link" href="#main"' in page.text and 'id="main"' in page.text
    assert not INLINE_SCRIPT.search(page.text)
    token = meta.group(1)
    switched = client.post(
        "/prefs",
        data={"csrf_token": token, "lang": "en", "large_text": "1", "next": "/?measure=risk"},
        follow_redirects=False,
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/?measure=risk"
    page = client.get("/")
    assert 'class="large-text"' in page.text and '<html lang="en"' in page.text
    outside = client.post(
        "/prefs", data={"csrf_token": token, "next": "//evil.example/"}, follow_redirects=False
    )
    assert outside.headers["location"] == "/"


def test_language_switch_works_before_login(client: TestClient) -> None:
    login_page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text)
    assert token
    client.post("/prefs", data={"csrf_token": token.group(1), "lang": "en", "next": "/login"})
    assert "Log in" in client.get("/login").text
