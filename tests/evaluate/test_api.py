"""The JSON API of the evaluation engine, on the March 2025 data set (both backends).

The router is guarded by the accounts layer (evaluation:read for GET, evaluation:write for the
rest): reads run as the seed evaluator, changes as the administrator.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.conftest import login
from tests.evaluate.data import build_march
from tests.fixtures.world import World

Q = {"system": "grid_worker", "level": "worker", "period": "2025-03"}


@pytest.fixture
def march(db: Session, world: World) -> World:
    build_march(db, world)
    return world


def test_the_router_is_guarded(client: TestClient) -> None:
    assert client.get("/api/evaluate/systems").status_code == 401
    login(client, "dh-evaluator")
    assert client.get("/api/evaluate/systems").status_code == 200
    copy = client.post("/api/evaluate/systems", json={"source": "grid_worker", "name": "mine"})
    assert copy.status_code == 403


def test_library_and_systems(client: TestClient) -> None:
    login(client, "dh-evaluator")
    metrics = client.get("/api/evaluate/metrics").json()
    assert {m["key"] for m in metrics} >= {"on_time_closure_rate", "patrol_coverage"}
    systems = {s["name"]: s for s in client.get("/api/evaluate/systems").json()}
    assert systems["comprehensive_22"]["first_level"] == 6
    assert systems["comprehensive_22"]["leaves"] == 22
    detail = client.get("/api/evaluate/systems/governance_index").json()
    assert detail["global_weights"]["D3"] == pytest.approx(0.3 * 0.2)
    assert client.get("/api/evaluate/systems/nope").status_code == 404


def test_run_explain_radar_trend(client: TestClient, march: World) -> None:
    login(client, "admin")  # saving a run is a change
    response = client.post("/api/evaluate/run", json={**Q, "save": True})
    assert response.status_code == 200, response.text
    result = response.json()
    assert [e["rank"] for e in result["entities"]] == [1, 2]
    zhang = next(e for e in result["entities"] if e["name"] == "张三")
    on_time = zhang["values"]["B2"]
    assert on_time["raw"] == pytest.approx(0.6)
    assert {c["key"]: c["value"] for c in on_time["counts"]} == {
        "on_time": 3,
        "due": 5,
        "overdue_open": 1,
    }
    key = zhang["key"]
    explained = client.get("/api/evaluate/explain", params={**Q, "entity": key}).json()
    assert [n["name"] for n in explained["tree"]] == ["基础工作", "事件处置", "群众满意"]
    total = sum(n["contribution"] for n in explained["tree"])
    assert total == pytest.approx(zhang["score"])
    saved = client.get(f"/api/evaluate/runs/{result['run_id']}").json()
    assert saved["entities"] == result["entities"]
    again = client.get(f"/api/evaluate/runs/{result['run_id']}/explain", params={"entity": key})
    assert again.json()["summary"] == explained["summary"]
    run_radar = client.get(f"/api/evaluate/runs/{result['run_id']}/radar", params={"keys": key})
    assert [s["name"] for s in run_radar.json()["series"]] == ["张三"]
    run_ranking = client.get(f"/api/evaluate/runs/{result['run_id']}/ranking").json()
    assert [r["rank"] for r in run_ranking] == [1, 2]
    radar = client.get("/api/evaluate/radar", params=Q).json()
    assert radar["axes"] == ["基础工作", "事件处置", "群众满意"]
    assert len(radar["series"]) == 2
    ranking = client.get("/api/evaluate/ranking", params=Q).json()
    assert ranking[0]["rank"] == 1
    trend = client.get("/api/evaluate/trend", params={**Q, "period": "2025Q1"}).json()
    assert len(trend["periods"]) == 3
    assert client.get("/api/evaluate/runs").json()[0]["id"] == result["run_id"]


def test_english_readers_see_built_in_texts_translated(client: TestClient, march: World) -> None:
    """Built-in templates are data in Chinese; an English reader sees them (and the metric
    sentences) from the catalog, while a stored run and a user's own system stay as written."""
    login(client, "admin")
    chinese = client.post("/api/evaluate/run", json={**Q, "save": True}).json()
    english = {"Accept-Language": "en"}
    systems = {s["name"]: s for s in client.get("/api/evaluate/systems", headers=english).json()}
    assert systems["grid_worker"]["title"].startswith("Grid worker assessment")
    radar = client.get("/api/evaluate/radar", params=Q, headers=english).json()
    assert radar["axes"] == ["Basic work", "Case handling", "Resident satisfaction"]
    run = client.get(f"/api/evaluate/runs/{chinese['run_id']}", headers=english).json()
    zhang = next(e for e in run["entities"] if e["name"] == "张三")
    on_time = zhang["values"]["B2"]
    assert [c["label"] for c in on_time["counts"]] == [
        "Closed on time",
        "Due",
        "Overdue and open",
    ]
    assert on_time["text"] == "3 closed on time / 5 due (1 overdue and open)"
    stored = client.get(f"/api/evaluate/runs/{chinese['run_id']}").json()
    assert stored["entities"] == chinese["entities"]  # the stored run itself is untouched
    assert all(e["values"]["B2"]["text"].startswith("按时办结") for e in stored["entities"])
    mine = client.post(
        "/api/evaluate/systems",
        json={"source": "grid_worker", "name": "mine", "title": "我们街道的考核"},
    )
    assert mine.status_code == 201, mine.text
    systems = {s["name"]: s for s in client.get("/api/evaluate/systems", headers=english).json()}
    assert systems["mine"]["title"] == "我们街道的考核"  # not in the catalog: shown as written


def test_exports(client: TestClient, march: World) -> None:
    login(client, "dh-evaluator")
    response = client.get("/api/evaluate/export.xlsx", params=Q)
    assert response.status_code == 200
    wb = load_workbook(BytesIO(response.content))
    assert wb.sheetnames == ["排名", "指标得分", "原始数据", "权重", "说明"]
    page = client.get("/api/evaluate/report.html", params=Q)
    assert page.status_code == 200
    assert "<script" not in page.text
    assert "张三" in page.text
    template = client.get("/api/evaluate/systems/grid_worker/template.xlsx")
    assert load_workbook(BytesIO(template.content)).sheetnames[0] == "体系"


def test_bad_requests_are_4xx_with_reasons(client: TestClient, march: World) -> None:
    login(client, "admin")
    bad_period = client.post("/api/evaluate/run", json={**Q, "period": "last year"})
    assert bad_period.status_code == 422
    assert "无法识别的考核周期" in bad_period.json()["error"]["message"]
    wrong_level = client.post("/api/evaluate/run", json={**Q, "level": "department"})
    assert wrong_level.status_code == 422
    assert client.post("/api/evaluate/run", json={**Q, "system": "x"}).status_code == 404
    assert client.get("/api/evaluate/trend", params={**Q, "step": "day"}).status_code == 422
    missing = client.get("/api/evaluate/explain", params={**Q, "entity": "nobody"})
    assert missing.status_code == 404


def test_copy_edit_delete(client: TestClient) -> None:
    login(client, "admin")
    created = client.post(
        "/api/evaluate/systems", json={"source": "grid_worker", "name": "mine", "title": "我的"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["based_on"] == "grid_worker"
    definition: dict[str, Any] = client.get("/api/evaluate/systems/mine").json()["definition"]
    definition["indicators"][0]["weight"] = 0.5
    rejected = client.put("/api/evaluate/systems/mine", json=definition)
    assert rejected.status_code == 422
    problems = rejected.json()["error"]["problems"]
    assert problems == [
        "一级指标下各指标权重之和为 1.2，应为 1（基础工作 0.5，事件处置 0.4，群众满意 0.3）"
    ]
    definition["indicators"][1]["weight"] = 0.2
    saved = client.put("/api/evaluate/systems/mine", json=definition)
    assert saved.json()["version"] == 2
    assert (
        client.post("/api/evaluate/systems", json={"source": "x", "name": "y"}).status_code == 404
    )
    assert client.delete("/api/evaluate/systems/mine").status_code == 204
    assert client.get("/api/evaluate/systems/mine").status_code == 404


def test_survey_upload(client: TestClient, march: World) -> None:
    login(client, "admin")
    code = march.grids["D1-1"].code
    content = f"对象编码,指标,值,样本量\n{code},居民满意度,91.5,80\n".encode()
    response = client.post(
        "/api/evaluate/surveys",
        data={"survey": "三方调查", "level": "grid", "period": "2025Q1"},
        files={"file": ("survey.csv", content, "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["rows_inserted"] == 1
    wrong = client.post(
        "/api/evaluate/surveys",
        data={"survey": "三方调查", "level": "grid", "period": "2025Q1"},
        files={"file": ("survey.pdf", b"%PDF", "application/pdf")},
    )
    assert wrong.status_code == 415
