"""The public ledger API: signed heads, the key, entries with proofs, consistency proofs."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.ledger import service
from civicgrid.ledger.signing import Signer
from civicgrid.ledger.verify import verify_bundle, verify_consistency_bundle, verify_sth


def test_an_outsider_checks_everything_with_the_published_key(
    client: TestClient, db: Session, signer: Signer
) -> None:
    service.append_many(db, [{"i": i} for i in range(9)])
    key = client.get("/api/ledger/public-key").json()
    assert key == signer.public_key_json()
    old = client.get("/api/ledger/sth").json()
    verify_sth(old, key)
    entry = service.record(
        db, event_type=404, subject_type="vote_round", subject_id=8, payload={"b": 1}, actor_id=None
    )
    new = client.get("/api/ledger/sth").json()
    assert new["tree_size"] == old["tree_size"] + 1
    bundle = client.get(f"/api/ledger/entries/{entry.leaf_index}").json()
    assert bundle["sth"] == new
    assert "record" not in bundle and "payload" not in str(bundle["entry"])
    assert verify_bundle(bundle, key).leaf_index == entry.leaf_index
    older = client.get("/api/ledger/entries/3", params={"tree_size": old["tree_size"]}).json()
    assert older["sth"] == old
    verify_bundle(older, key)
    proof = client.get("/api/ledger/consistency", params={"first": old["tree_size"]}).json()
    assert proof["second"] == new["tree_size"]
    verify_consistency_bundle(old, proof, key)


def test_bad_requests_get_clear_errors(client: TestClient, db: Session) -> None:
    service.append_many(db, [{"i": i} for i in range(3)])
    size = client.get("/api/ledger/sth").json()["tree_size"]
    missing = client.get(f"/api/ledger/entries/{size}")
    assert missing.status_code == 404
    assert "账本条目不存在" in missing.json()["error"]["message"]
    assert client.get("/api/ledger/entries/-1").status_code == 422
    assert client.get("/api/ledger/entries/abc").status_code == 422
    too_big = client.get("/api/ledger/entries/0", params={"tree_size": size + 10})
    assert too_big.status_code == 422
    assert client.get("/api/ledger/consistency", params={"first": 0}).status_code == 422
    assert client.get("/api/ledger/consistency").status_code == 422
    beyond = client.get("/api/ledger/consistency", params={"first": 1, "second": size + 1})
    assert beyond.status_code == 422


def test_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/ledger/sth", "/api/ledger/public-key", "/api/ledger/entries/{index}"):
        assert path in paths
    assert "/api/ledger/consistency" in paths
