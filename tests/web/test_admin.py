"""Admin pages: only for administrators; uploads show their per-row / per-feature reports."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import login
from tests.fixtures.world import World
from tests.registry.factory import PEOPLE_HEADER
from tests.registry.test_import_people import EXPECTED, broken_rows

from civicgrid.models.auth import User
from civicgrid.workorders import responsibility as rl

PAGES = ["/admin/org", "/admin/users", "/admin/responsibility", "/admin/registry"]
GOOD_LIST = "分类编码,分类名称,责任部门,分流类型,签收时限,办理时限\nHJ01,垃圾清运,城管,小事,2,24\n"


def csrf(client: TestClient) -> str:
    page = client.get("/admin/users")
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found
    return found.group(1)


def csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def table_rows(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = [
        [unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows
    ]
    return [c for c in cells if c]


@pytest.mark.parametrize("username", ["dh-leader", "xs-dispatcher", "dh-evaluator", "resident"])
def test_admin_pages_refuse_other_roles(client: TestClient, world: World, username: str) -> None:
    login(client, username)
    for path in PAGES:
        assert client.get(path).status_code == 403, path


def test_admin_pages_render_for_admin(client: TestClient, world: World) -> None:
    login(client, "admin")
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        assert "Traceback" not in page.text
    tree = client.get("/admin/org").text
    assert "东湖街道" in tree and "西山街道" in tree and "D1-1网格" in tree


def test_create_and_disable_a_user(client: TestClient, db: Session, world: World) -> None:
    login(client, "admin")
    token = csrf(client)
    form = {
        "csrf_token": token,
        "username": "xs-leader2",
        "display_name": "西山副书记",
        "password": "Very-Long-Passphrase-8271",
        "role": "leader",
        "node_code": world.streets["西山街道"].code,
    }
    done = client.post("/admin/users", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    listing = client.get("/admin/users").text
    assert "xs-leader2" in listing and "西山街道" in listing
    bad = client.post("/admin/users", data={**form, "username": "x", "password": "short"})
    assert bad.status_code == 422
    assert 'value="西山副书记"' in bad.text  # the form keeps its input
    user = db.scalars(select(User).where(User.username == "xs-leader2")).one()
    off = client.post("/admin/users/disable", data={"csrf_token": token, "user_id": str(user.id)})
    assert off.status_code == 200
    db.refresh(user)
    assert user.is_active is False


def test_registry_upload_shows_row_level_report(client: TestClient, world: World) -> None:
    login(client, "admin")
    data = csv_bytes(PEOPLE_HEADER, broken_rows())
    page = client.post(
        "/admin/registry",
        data={"csrf_token": csrf(client), "kind": "people", "dry_run": "1"},
        files={"file": ("人口.csv", io.BytesIO(data), "text/csv")},
    )
    assert page.status_code == 200, page.text[:500]
    rows = table_rows(page.text, "row-errors")
    assert [(int(r[0]), r[1]) for r in rows] == [(n, col) for n, col, _r, _l in EXPECTED]


def test_responsibility_upload_errors_then_publish_and_download(
    client: TestClient, db: Session, world: World
) -> None:
    login(client, "admin")
    token = csrf(client)
    bad = "分类编码,分类名称,责任部门,分流类型,签收时限,办理时限\nHJ01,垃圾清运,,小事,2,abc\n"
    page = client.post(
        "/admin/responsibility",
        data={"csrf_token": token, "note": "第一版"},
        files={"file": ("清单.csv", io.BytesIO(bad.encode()), "text/csv")},
    )
    assert page.status_code == 422
    rows = table_rows(page.text, "row-errors")
    assert rows and all(r[0] == "2" for r in rows)
    assert 'value="第一版"' in page.text
    assert rl.version_in_force(db) is None
    ok = client.post(
        "/admin/responsibility",
        data={"csrf_token": token},
        files={"file": ("清单.csv", io.BytesIO(GOOD_LIST.encode()), "text/csv")},
    )
    assert ok.status_code == 200 and "垃圾清运" in ok.text
    sheet = client.get("/admin/responsibility.xlsx")
    assert sheet.status_code == 200
    ws = load_workbook(io.BytesIO(sheet.content)).active
    assert ws is not None
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "分类编码" and values[1][1] == "垃圾清运"


def test_grid_upload_with_a_bad_file_shows_the_report(client: TestClient, world: World) -> None:
    login(client, "admin")
    geojson = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"坏网格",'
        '"code":"BAD1"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,1]]]}}]}'
    )
    page = client.post(
        "/admin/org/import",
        data={"csrf_token": csrf(client), "dry_run": "1"},
        files={"file": ("grids.geojson", io.BytesIO(geojson.encode()), "application/geo+json")},
    )
    assert page.status_code == 200, page.text[:300]
    rows = table_rows(page.text, "import-report")
    assert rows and rows[0][0] == "拒绝" and "坏网格" in rows[0][1]
