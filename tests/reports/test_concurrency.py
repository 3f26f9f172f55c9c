"""Review actions are atomic on both stores: of many simultaneous state changes of one report, one wins.

Issue #7 §2: 20 simultaneous approvals of one submitted report on PostgreSQL all succeeded (13 approvals
recorded, approves and returns interleaved); on SQLite contention answered 500 "database is locked". Here
20 threads approve or return one submitted report, first through the service (each thread its own
session) and then as 20 concurrent HTTP requests: exactly one review row and one audit row may be written,
every other attempt is a Conflict (HTTP 409) — on SQLite a request that cannot get the write lock within
the lock budget may instead answer 503 with Retry-After, never 500.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict
from dualcarbon.reports import service as reports
from dualcarbon.reports.models import PeriodReport, ReportReview
from dualcarbon.store.audit import verify_audit_chain
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers (importlib mode)
from race_helpers import parallel_requests, race

N = 20
CONTENT: dict[str, Any] = {"energy_lines": [{"carrier": "电力", "quantity": 10000, "unit": "MWh"}]}


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def _submitted(world: Any) -> int:
    with session_scope(world.engine) as session:
        report = reports.create_report(session, who(session, "ent_a"), world.codes["a"], "year", 2023, 0, CONTENT)
        reports.submit(session, who(session, "ent_a"), report.id)
        return report.id


def _decisions(world: Any, report_id: int) -> tuple[list[str], list[str], str]:
    """The review actions after submit, the audit actions after submit, and the report's state."""
    with session_scope(world.engine, write=False) as session:
        reviews = list(
            session.scalars(
                select(ReportReview.action)
                .where(ReportReview.report_id == report_id, ReportReview.action != "submit")
                .order_by(ReportReview.id)
            )
        )
        audits = list(
            session.scalars(
                select(AuditLog.action)
                .where(
                    AuditLog.entity == "period_report",
                    AuditLog.entity_id == str(report_id),
                    AuditLog.action.in_(["report.approve", "report.return"]),
                )
                .order_by(AuditLog.id)
            )
        )
        state = session.scalars(select(PeriodReport.state).where(PeriodReport.id == report_id)).one()
        assert verify_audit_chain(session) == []
        return reviews, audits, state


def test_simultaneous_approvals_and_returns_in_the_service_have_one_winner(world: Any) -> None:
    report_id = _submitted(world)
    attempts = iter(range(N))
    lock = threading.Lock()

    def act(session: Session) -> None:
        with lock:
            i = next(attempts)
        if i % 2 == 0:
            reports.approve(session, who(session, "city"), report_id)
        else:
            reports.return_report(session, who(session, "city"), report_id, f"第{i}号退回：请核实电力消费量")

    # prepare: every thread has read the submitted report before any thread changes it
    outcomes = race(world.engine, N, act, prepare=lambda session: session.get(PeriodReport, report_id))
    assert outcomes == {"ok": 1, "Conflict": N - 1}
    reviews, audits, state = _decisions(world, report_id)
    assert len(reviews) == 1 and len(audits) == 1
    assert state == {"approve": "approved", "return": "returned"}[reviews[0]]
    assert audits == [f"report.{reviews[0]}"]


def test_twenty_concurrent_http_approvals_give_one_200_and_409s(world: Any) -> None:
    from dualcarbon.app.api import create_app

    report_id = _submitted(world)
    app = create_app(world.url)
    headers = world.auth("city")
    with TestClient(app, raise_server_exceptions=False) as client:

        def request(i: int) -> Any:
            if i % 2 == 0:
                return client.post(f"/api/v1/reports/{report_id}/approve", headers=headers)
            body = {"comment": f"第{i}号退回：请核实电力消费量"}
            return client.post(f"/api/v1/reports/{report_id}/return", headers=headers, json=body)

        responses = parallel_requests(N, request)
    app.state.engine.dispose()
    statuses = sorted(r.status_code for r in responses)
    assert all(s < 500 or s == 503 for s in statuses), [(r.status_code, r.text[:200]) for r in responses]
    assert statuses.count(200) == 1, statuses
    busy = [r for r in responses if r.status_code == 503]
    assert all(r.headers.get("retry-after") for r in busy)
    if world.engine.dialect.name == "postgresql":
        assert statuses == [200] + [409] * (N - 1)  # PostgreSQL waits on the row lock: always a Conflict
    else:
        assert statuses.count(409) + len(busy) == N - 1
    for response in responses:
        if response.status_code == 409:
            # a loser sees the report approved (state) or loses the version claim (claim_row: lock_version)
            assert response.json()["error"] == "Conflict" and response.json()["field"] in ("state", "lock_version")
    reviews, audits, state = _decisions(world, report_id)
    assert len(reviews) == 1 and len(audits) == 1
    winner = next(r for r in responses if r.status_code == 200).json()
    assert winner["state"] == state == {"approve": "approved", "return": "returned"}[reviews[0]]


def test_a_stale_transition_is_refused_even_without_a_race(world: Any) -> None:
    """The version check itself: a transaction that read the report before another one approved it and
    committed must not approve it again (the second call sees the old state in its identity map)."""
    if world.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE; a stale reader cannot write at all")
    report_id = _submitted(world)
    with session_scope(world.engine) as stale:
        loaded = stale.get(PeriodReport, report_id)  # submitted, as it was (kept referenced: the map is weak)
        assert loaded is not None and loaded.state == "submitted"
        with session_scope(world.engine) as other:
            reports.approve(other, who(other, "city"), report_id)
        with pytest.raises(Conflict, match="changed"):
            reports.return_report(stale, who(stale, "city"), report_id, "请核实")
    reviews, _, state = _decisions(world, report_id)
    assert reviews == ["approve"] and state == "approved"


def test_lock_version_counts_the_state_changes(world: Any) -> None:
    report_id = _submitted(world)  # create (version 0), submit → 1
    with session_scope(world.engine) as session:
        reports.approve(session, who(session, "city"), report_id)  # → 2
        reports.lock(session, who(session, "city"), report_id)  # → 3
    with session_scope(world.engine, write=False) as session:
        stored = session.execute(text("SELECT lock_version FROM period_report WHERE id = :id"), {"id": report_id})
        assert stored.scalar_one() == 3
        assert (
            session.scalar(select(func.count()).select_from(ReportReview).where(ReportReview.report_id == report_id))
            == 3
        )
