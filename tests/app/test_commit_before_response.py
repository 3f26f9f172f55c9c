"""The request's transaction commits before its response is sent (brief 8 item 4, issue #7 §2).

A COMMIT that fails must be the request's answer — an error, not a 200 for a write that is then lost —
and a PostgreSQL deadlock or serialization failure (SQLSTATE 40P01 / 40001) is retried: the request's
transaction runs again (at most twice more), else 503 with Retry-After. The failing COMMITs are simulated
by a session class whose ``commit`` raises the driver error first; the store itself is real (both stores).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dualcarbon.accounts.models import User
from dualcarbon.store.db import session_scope, writing
from dualcarbon.store.models import AuditLog


class _DriverError(Exception):
    """Stands for the driver's exception; ``sqlstate`` as psycopg gives it."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _failing_sessions(app: Any, failures: list[str | None]) -> list[int]:
    """Make the app's write sessions fail their next COMMITs, one per item of ``failures`` (the SQLSTATE,
    None for a plain error); returns a list that grows by one per COMMIT attempted."""
    attempts: list[int] = []

    class FailingCommit(Session):
        def commit(self) -> None:
            attempts.append(1)
            if failures:
                sqlstate = failures.pop(0)
                self.rollback()
                raise OperationalError("COMMIT", {}, _DriverError("commit failed", sqlstate))
            super().commit()

    app.state.write_session_factory = sessionmaker(
        writing(app.state.engine), expire_on_commit=False, class_=FailingCommit
    )
    return attempts


@pytest.fixture
def app_client(world: Any) -> Iterator[tuple[Any, TestClient]]:
    from dualcarbon.app.api import create_app

    app = create_app(world.url)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client
    app.state.engine.dispose()


def _disabled(world: Any, username: str) -> tuple[bool, int]:
    with session_scope(world.engine, write=False) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        audits = session.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "user.disable", AuditLog.entity_id == str(user.id))
        )
        return user.disabled, int(audits or 0)


def test_a_failing_commit_answers_an_error_not_200(world: Any, app_client: tuple[Any, TestClient]) -> None:
    app, client = app_client
    attempts = _failing_sessions(app, [None])  # not a transient error: no retry
    response = client.post("/api/v1/users/ent_b/disable", headers=world.auth("admin"))
    assert response.status_code == 500, response.text
    assert len(attempts) == 1
    assert _disabled(world, "ent_b") == (False, 0)  # nothing was written


def test_a_deadlock_at_commit_is_retried(world: Any, app_client: tuple[Any, TestClient]) -> None:
    app, client = app_client
    attempts = _failing_sessions(app, ["40P01"])  # deadlock_detected once, then the retry commits
    response = client.post("/api/v1/users/ent_b/disable", headers=world.auth("admin"))
    assert response.status_code == 200, response.text
    assert len(attempts) == 2
    assert _disabled(world, "ent_b") == (True, 1)  # disabled once, audited once


def test_serialization_failures_past_the_retries_answer_503(world: Any, app_client: tuple[Any, TestClient]) -> None:
    app, client = app_client
    attempts = _failing_sessions(app, ["40001", "40001", "40001"])  # the first try and both retries fail
    response = client.post("/api/v1/users/ent_b/disable", headers=world.auth("admin"))
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] and "x-dualcarbon-retry" not in response.headers
    assert response.json()["error"] == "StoreBusy"
    assert len(attempts) == 3
    assert _disabled(world, "ent_b") == (False, 0)
