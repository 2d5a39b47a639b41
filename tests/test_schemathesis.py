"""Property-based API fuzzing: no request the OpenAPI document allows may produce a 5xx.

Bounded in time: a few examples per operation, as a dispatcher (so handlers run past the 401).
Operations are driven one by one from the schema (schemathesis strategies + hypothesis), so a
failure names the operation and the request.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import tokens
from civicgrid.auth.roles import ROLE_PERMISSIONS, Role
from civicgrid.models.auth import User

EXAMPLES_PER_OPERATION = 8


# Fuzzing runs once, on the embedded default: the handlers are the same on PostgreSQL, whose own
# behaviour the rest of the suite covers.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_no_server_errors(app: FastAPI, db: Session) -> None:
    user = db.scalars(select(User).where(User.username == "dh-dispatcher")).one()
    _token, raw = tokens.create_token(
        db, user=user, name="fuzz", permissions=ROLE_PERMISSIONS[Role.DISPATCHER]
    )
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            case.validate_response(response, checks=(not_a_server_error,))

        try:
            run()
        except Exception as exc:  # collect every failing operation, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:400]}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
