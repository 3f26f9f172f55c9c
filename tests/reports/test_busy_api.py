"""A lock not had within the lock budget answers 503 with Retry-After — never 500 (issue #7 §2).

Another connection holds the lock an approval needs (SQLite: the database write lock, taken by
``BEGIN IMMEDIATE``; PostgreSQL: the report's row, ``SELECT … FOR UPDATE``) for longer than the budget,
here shortened to 300 ms. The approval answers 503 ``StoreBusy`` with ``Retry-After`` and changes nothing;
sent again once the lock is gone, it succeeds.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.reports import service as reports
from dualcarbon.reports.models import PeriodReport, ReportReview
from dualcarbon.store import db as store_db
from dualcarbon.store.db import make_engine, session_scope, sqlite_path

BUDGET_MS = 300


def _submitted(world: Any) -> int:
    def who(session: Session, username: str) -> Any:
        return principal_for(session, session.scalars(select(User).where(User.username == username)).one())

    with session_scope(world.engine) as session:
        content = {"energy_lines": [{"carrier": "电力", "quantity": 10000, "unit": "MWh"}]}
        report = reports.create_report(session, who(session, "ent_a"), world.codes["a"], "year", 2023, 0, content)
        reports.submit(session, who(session, "ent_a"), report.id)
        return report.id


@contextmanager
def _lock_held(world: Any, report_id: int) -> Iterator[None]:
    """Hold the lock an approval of ``report_id`` needs until the block ends."""
    path = sqlite_path(world.url)
    if path is not None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = make_engine(world.url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT id FROM period_report WHERE id = :id FOR UPDATE"), {"id": report_id})
            yield
            connection.rollback()
    finally:
        engine.dispose()


def test_a_lock_held_past_the_budget_answers_503_with_retry_after(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from dualcarbon.app.api import create_app

    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_MS", BUDGET_MS)
    monkeypatch.setattr(store_db, "LOCK_WAIT_BUDGET_MS", BUDGET_MS)
    report_id = _submitted(world)
    app = create_app(world.url)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            path = f"/api/v1/reports/{report_id}/approve"
            client.get("/api/v1/auth/me", headers=world.auth("city"))  # connections made before the lock
            with _lock_held(world, report_id):
                started = time.monotonic()
                busy = client.post(path, headers=world.auth("city"))
                waited = time.monotonic() - started
            assert busy.status_code == 503, busy.text
            assert busy.headers["retry-after"] == "1"
            assert busy.json() == {  # Chinese unless the caller asks for English (Accept-Language)
                "error": "StoreBusy",
                "message": "数据库正忙于其他修改，本次未作任何更改，请稍后重试",
                "field": None,
            }
            assert waited >= BUDGET_MS / 1000  # it waited the budget out before giving up
            with session_scope(world.engine, write=False) as session:
                assert session.get(PeriodReport, report_id).state == "submitted"  # type: ignore[union-attr]
                assert session.scalars(
                    select(ReportReview.action).where(ReportReview.report_id == report_id)
                ).all() == ["submit"]
            again = client.post(path, headers=world.auth("city"))
            assert again.status_code == 200 and again.json()["state"] == "approved"
    finally:
        app.state.engine.dispose()
