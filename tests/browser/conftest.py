"""A live civicgrid on 127.0.0.1 (uvicorn in a thread, temp SQLite) and Debian's Chromium.

The database is migrated and seeded with the test world, the seed accounts and a published
responsibility list whose category goes to the seed department handler's department.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.fixtures.accounts import ADMIN_TOTP_SECRET, DEPARTMENT, PASSWORD, build_accounts
from tests.fixtures.world import build_world

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1920, "height": 1080}
RESPONSIBILITY = [
    (
        2,
        {
            "分类编码": "HJ01",
            "分类名称": "垃圾清运",
            "责任部门": DEPARTMENT,
            "分流类型": "小事",
            "签收时限": "2",
            "办理时限": "24",
        },
    ),
    (3, {"分类编码": "ZS01", "分类名称": "噪音扰民", "责任部门": "派出所", "办理时限": "72"}),
]


@dataclass
class LiveServer:
    url: str
    states: dict[str, Any] = field(default_factory=dict)  # username → storage state (cookies)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import uvicorn

    from civicgrid.app import create_app
    from civicgrid.config import Settings
    from civicgrid.kit import migrate
    from civicgrid.kit.db import make_engine
    from civicgrid.workorders import responsibility as rl

    root = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{root / 'live.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        build_world(session)
        build_accounts(session)
        rl.import_rows(session, rows=RESPONSIBILITY)
        session.commit()
    app = create_app(Settings(database_url=url, data_dir=root), engine=engine)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium missing: run ./scripts/install-system-deps.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


_totp_step = [0]


def login_page(page: Any, base: str, username: str) -> None:
    """Log in through the HTML form (the admin's TOTP code computed from its seed secret)."""
    from civicgrid.auth.totp import code_at
    from civicgrid.kit.timeutil import utcnow

    page.goto(f"{base}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    if username == "admin":
        _totp_step[0] += 1
        code = code_at(ADMIN_TOTP_SECRET, utcnow() + timedelta(seconds=30 * (_totp_step[0] - 1)))
        page.fill('input[name="totp"]', code)
    page.click('form[action="/login"] button[type="submit"]')
    page.wait_for_load_state("domcontentloaded")
    assert "/login" not in page.url, f"{username} could not log in: {page.content()[:500]}"


def context_for(
    browser: Any, live: LiveServer, username: str | None, viewport: dict[str, int], lang: str = ""
) -> Any:
    """A browser context of ``username`` (logged in once, the cookies reused) at ``viewport``."""
    kwargs: dict[str, Any] = {"viewport": viewport, "locale": "zh-CN"}
    if viewport == PHONE:
        kwargs.update(is_mobile=True, has_touch=True, device_scale_factor=1)
    if username is not None and username in live.states:
        kwargs["storage_state"] = live.states[username]
    context = browser.new_context(**kwargs)
    if lang:
        host = live.url.split("//", 1)[1].split(":")[0]
        context.add_cookies([{"name": "lang", "value": lang, "domain": host, "path": "/"}])
    if username is not None and username not in live.states:
        page = context.new_page()
        login_page(page, live.url, username)
        live.states[username] = context.storage_state()
        page.close()
    return context
