from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import login


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    doc = client.get("/api/openapi.json").json()
    assert doc["info"]["title"] == "civicgrid"


def test_home_page_shows_counts(client: TestClient) -> None:
    login(client, "admin")
    page = client.get("/")
    assert page.status_code == 200
    assert "网格" in page.text
    fc = client.get("/api/org/grids.geojson").json()
    assert len(fc["features"]) == 6
