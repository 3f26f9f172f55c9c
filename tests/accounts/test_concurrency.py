"""Disabling a user and revoking a token are atomic on both stores (issue #7 §2).

20 threads, each in its own transaction, disable one user (revoke one token) at the same time: exactly one
state change is recorded (one ``user.disable`` / ``token.revoke`` audit row) and every other thread gets a
Conflict — as does doing it again later, since the user is already disabled (the token already revoked).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts import service as accounts
from dualcarbon.accounts import service_auth as auth
from dualcarbon.accounts.models import ApiToken, User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict
from dualcarbon.store.audit import verify_audit_chain
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers (importlib mode)
from race_helpers import parallel_requests, race

N = 20


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def _audit(world: Any, action: str, entity_id: int) -> int:
    with session_scope(world.engine, write=False) as session:
        assert verify_audit_chain(session) == []
        rows = session.scalars(
            select(AuditLog.id).where(AuditLog.action == action, AuditLog.entity_id == str(entity_id))
        )
        return len(list(rows))


def _user_id(world: Any, username: str) -> int:
    with session_scope(world.engine, write=False) as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def test_disabling_one_user_twenty_times_at_once_disables_once(world: Any) -> None:
    user_id = _user_id(world, "ent_b")

    def act(session: Session) -> None:
        auth.set_disabled(session, who(session, "admin"), "ent_b", True)

    outcomes = race(world.engine, N, act, prepare=lambda session: session.get(User, user_id))
    assert outcomes == {"ok": 1, "Conflict": N - 1}
    assert _audit(world, "user.disable", user_id) == 1
    with session_scope(world.engine) as session, pytest.raises(Conflict, match="already disabled"):
        auth.set_disabled(session, who(session, "admin"), "ent_b", True)
    with session_scope(world.engine) as session:
        auth.set_disabled(session, who(session, "admin"), "ent_b", False)  # enabling again is one more change
    assert _audit(world, "user.enable", user_id) == 1


def test_revoking_one_token_twenty_times_at_once_revokes_once(world: Any) -> None:
    with session_scope(world.engine) as session:
        _, token = accounts.create_token(session, who(session, "ent_a"), name="erp")
        token_id = token.id

    def act(session: Session) -> None:
        accounts.revoke(session, who(session, "admin"), token_id)

    outcomes = race(world.engine, N, act, prepare=lambda session: session.get(ApiToken, token_id))
    assert outcomes == {"ok": 1, "Conflict": N - 1}
    assert _audit(world, "token.revoke", token_id) == 1
    with session_scope(world.engine) as session, pytest.raises(Conflict, match="already revoked"):
        accounts.revoke(session, who(session, "ent_a"), token_id)


def test_concurrent_http_disables_give_one_200_and_409s(world: Any) -> None:
    from dualcarbon.app.api import create_app

    user_id = _user_id(world, "ent_b")
    app = create_app(world.url)
    with TestClient(app, raise_server_exceptions=False) as client:
        responses = parallel_requests(
            N, lambda _i: client.post("/api/v1/users/ent_b/disable", headers=world.auth("admin"))
        )
    app.state.engine.dispose()
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, [(r.status_code, r.text[:200]) for r in responses]
    busy = [r for r in responses if r.status_code == 503]
    assert all(r.headers.get("retry-after") for r in busy)
    if world.engine.dialect.name == "postgresql":
        assert statuses == [200] + [409] * (N - 1)
    else:
        assert statuses.count(409) + len(busy) == N - 1
    assert _audit(world, "user.disable", user_id) == 1
