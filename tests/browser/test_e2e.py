"""The closed loop in a real browser, then screenshots of the main pages at two sizes.

A resident reports on a phone → a dispatcher routes on the workbench → the department handler
accepts, handles and replies → the resident rates → the dashboard's figures change.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import DESKTOP, PHONE, LiveServer, context_for

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
RAW_ERRORS = ("Internal Server Error", "Traceback (most recent call last)", "jinja2.exceptions")


def no_raw_error(page: Any) -> None:
    text = page.content()
    for marker in RAW_ERRORS:
        assert marker not in text, f"{page.url} shows a raw server error"


def dashboard_figures(page: Any, base: str) -> dict[str, str]:
    """The key figures of the dashboard at "/" (cards ``[data-figure]`` filled by its script).

    Hook for the dashboard check: when the dashboard has no figure cards, the open/closed
    counts of ``GET /api/workorders`` stand in for them.
    """
    page.goto(f"{base}/")
    no_raw_error(page)
    cards = page.locator("[data-figure]")
    if cards.count():
        page.wait_for_selector("#dashboard[data-loaded='1']", state="attached", timeout=20_000)
        return {
            str(cards.nth(i).get_attribute("data-figure")): cards.nth(i).inner_text().strip()
            for i in range(cards.count())
        }
    figures = {}
    for name, params in (("total", {}), ("closed", {"status": "closed"})):
        r = page.request.get(f"{base}/api/workorders", params={**params, "page_size": 1})
        figures[name] = str(r.json()["total"])
    return figures


def act(page: Any, action: str, **fill: str) -> None:
    form = page.locator(f'form.action-form[data-action="{action}"]')
    for name, value in fill.items():
        field = form.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state("domcontentloaded")
    no_raw_error(page)


def test_report_route_handle_rate_dashboard(browser: Any, live_server: LiveServer) -> None:
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    leader = context_for(browser, live_server, "dh-dispatcher", DESKTOP)
    board = leader.new_page()
    before = dashboard_figures(board, base)

    # 1. The resident reports on a phone.
    resident = context_for(browser, live_server, "resident", PHONE)
    phone = resident.new_page()
    phone.goto(f"{base}/m/report")
    no_raw_error(phone)
    phone.fill("#title", "小区门口垃圾没人清运")
    phone.fill("#description", "垃圾桶满了三天，气味很大")
    phone.wait_for_selector("#report-map path.leaflet-interactive")
    phone.locator("#report-map path.leaflet-interactive").first.click()
    assert phone.input_value("#lat") and phone.input_value("#lon")
    phone.screenshot(path=str(SHOTS / "resident-report-phone.png"), full_page=True)
    phone.click('#report-form button[type="submit"]')
    phone.wait_for_url(re.compile(r"/m/orders/\d+"))
    no_raw_error(phone)
    order_id = int(re.findall(r"/m/orders/(\d+)", phone.url)[0])
    assert phone.locator("#order-status").get_attribute("data-status") == "reported"

    # 2. The dispatcher routes it on the desktop workbench.
    desk = leader.new_page()
    desk.goto(f"{base}/workbench?queue=to_triage")
    no_raw_error(desk)
    desk.click(f'a[href="/workbench/orders/{order_id}"] >> nth=0')
    desk.wait_for_url(re.compile(rf"/workbench/orders/{order_id}$"))
    act(desk, "dispatch", category="HJ01")
    assert desk.locator("#order-status").get_attribute("data-status") == "dispatched"

    # 3. The department handler accepts, handles and replies.
    dept = context_for(browser, live_server, "dh-dept", DESKTOP).new_page()
    dept.goto(f"{base}/workbench?queue=mine")
    dept.click(f'a[href="/workbench/orders/{order_id}"] >> nth=0')
    act(dept, "accept")
    act(dept, "start")
    act(dept, "reply", reply="已安排环卫车清运，现场已清理干净")
    assert dept.locator("#order-status").get_attribute("data-status") == "replied"
    assert dept.locator('a.tl-proof[href^="/api/ledger/entries/"]').count() >= 5
    dept.screenshot(path=str(SHOTS / "workbench-order-desktop.png"), full_page=True)

    # 4. The resident rates the result on the phone.
    phone.goto(f"{base}/m/mine")
    no_raw_error(phone)
    phone.click(f'a[href="/m/orders/{order_id}"]')
    phone.check('#rate input[value="满意"]')
    phone.fill("#comment", "处理很及时")
    phone.click('#rate button[type="submit"]')
    phone.wait_for_load_state("domcontentloaded")
    assert phone.locator("#order-status").get_attribute("data-status") == "closed"

    # 5. The dashboard's figures change.
    after = dashboard_figures(board, base)
    assert after != before, (before, after)
    resident.close()
    leader.close()


PAGES = (
    ("dashboard", "dh-dispatcher", "/"),
    ("workbench", "dh-dispatcher", "/workbench"),
    ("order", "dh-dispatcher", "/workbench/orders/1"),
    ("report", "resident", "/m/report"),
    ("mine", "resident", "/m/mine"),
    ("worker-tasks", "dh-worker", "/m/worker"),
    ("login", None, "/login"),
)


def test_screenshots(browser: Any, live_server: LiveServer) -> None:
    """Each main page at phone and desktop size, into docs/screenshots/ (named in README)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        for name, user, path in PAGES:
            context = context_for(browser, live_server, user, viewport)
            page = context.new_page()
            page.goto(f"{live_server.url}{path}")
            ready = {"dashboard": "#dashboard[data-loaded='1']", "report": ".leaflet-interactive"}
            if name in ready:
                # Prettier pictures once the data has arrived; the picture is taken regardless.
                with contextlib.suppress(PlaywrightTimeout):
                    page.wait_for_selector(ready[name], state="attached", timeout=8_000)
            no_raw_error(page)
            page.screenshot(path=str(SHOTS / f"{name}-{size_name}.png"))
            context.close()


def test_dashboard_tabs_hot_issues_and_warnings(browser: Any, live_server: LiveServer) -> None:
    """The side panel's tabs switch by click and by arrow key; hot issues and warnings load."""
    context = context_for(browser, live_server, "dh-dispatcher", DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("#dashboard[data-intel-loaded='1']", state="attached", timeout=30_000)
    assert page.locator("#pane-latest").is_visible() and not page.locator("#pane-hot").is_visible()
    page.click("#tab-hot")
    assert page.locator("#pane-hot").is_visible() and not page.locator("#pane-latest").is_visible()
    assert page.get_attribute("#tab-hot", "aria-selected") == "true"
    assert page.locator("#hot-issues li").count() >= 1  # an issue, or the "none" line
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-warnings", "aria-selected") == "true"
    assert page.locator("#pane-warnings").is_visible()
    assert page.locator("#warnings li").count() >= 1
    no_raw_error(page)
    context.close()
