"""JSON routes of the ledger: signed tree heads, the public key, entries with proofs.

Everything here is public by design (leaves carry no personal data). Event records, which may,
are shown only by the owning domain's API after its access checks (``service.event_receipt``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request

from civicgrid.kit.web import DB
from civicgrid.ledger import service
from civicgrid.ledger.schemas import (
    ConsistencyOut,
    EntryBundleOut,
    PublicKeyOut,
    SignedTreeHeadOut,
)
from civicgrid.ledger.signing import Signer, signer_for

router = APIRouter(prefix="/api/ledger", tags=["ledger"])


def _signer(request: Request) -> Signer:
    return signer_for(request.app.state.settings)


@router.get("/sth", response_model=SignedTreeHeadOut)
def get_sth(request: Request, db: DB) -> dict[str, Any]:
    """The log's newest signed tree head (size, root hash, time, Ed25519 signature)."""
    return service.current_sth(db, signer=_signer(request)).to_json()


@router.get("/public-key", response_model=PublicKeyOut)
def get_public_key(request: Request) -> dict[str, str]:
    """The Ed25519 public key that signs the tree heads, and the log id derived from it."""
    return _signer(request).public_key_json()


@router.get("/entries/{index}", response_model=EntryBundleOut)
def get_entry(
    request: Request,
    db: DB,
    index: int = Path(ge=0, description="leaf index, from 0"),
    tree_size: int | None = Query(None, ge=1, description="prove against this size"),
) -> dict[str, Any]:
    """An entry with its inclusion proof and the signed tree head the proof leads to."""
    return service.entry_bundle(db, index=index, tree_size=tree_size, signer=_signer(request))


@router.get("/consistency", response_model=ConsistencyOut)
def get_consistency(
    request: Request,
    db: DB,
    first: int = Query(ge=1, description="the older tree size"),
    second: int | None = Query(None, ge=1, description="the newer size (default: newest)"),
) -> dict[str, Any]:
    """A proof that the log at size ``first`` is a prefix of the log at size ``second``."""
    return service.consistency_bundle(db, old_size=first, new_size=second, signer=_signer(request))
