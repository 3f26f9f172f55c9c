"""Two regulators deciding the same submitted report at once: exactly one wins, the other gets Conflict (409)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.audits import service_reports as reports
from dualcarbon.audits.models import AcceptanceItem, AuditReport
from dualcarbon.audits.schemas import AcceptanceIn, AuditReportIn
from dualcarbon.core.access import Principal
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers (importlib mode)
from race_helpers import race

N = 4
MEASURES = [
    {"description": "电机系统节能改造", "investment_yuan": 100_000, "saving_tce_per_year": 50},
    {"description": "照明改造", "investment_yuan": 20_000, "saving_tce_per_year": 5},
]


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def test_simultaneous_acceptances_one_wins(world: Any) -> None:
    with session_scope(world.engine) as session:
        spec = AuditReportIn.model_validate(
            {"kind": "diagnosis", "credit_code": world.codes["a"], "year": 2024, "title": "诊断", "measures": MEASURES}
        )
        report = reports.create_report(session, who(session, "ent_a"), spec)
        reports.submit_report(session, who(session, "ent_a"), report.id)
        report_id = report.id
    checklist = AcceptanceIn.model_validate({"checklist": [{"item": "资料齐全", "passed": True}]})

    def prepare(session: Session) -> object:
        return session.get(AuditReport, report_id)

    def act(session: Session) -> None:
        reports.accept_report(session, who(session, "city"), report_id, checklist)

    outcomes = race(world.engine, N, act, prepare)
    assert outcomes == {"ok": 1, "Conflict": N - 1}
    with session_scope(world.engine, write=False) as session:
        items = session.scalars(select(AcceptanceItem).where(AcceptanceItem.report_id == report_id)).all()
        assert len(items) == 1  # the losers wrote nothing
        accepted = session.scalars(
            select(AuditLog).where(AuditLog.action == "audit_report.acceptance", AuditLog.entity_id == str(report_id))
        ).all()
        assert len(accepted) == 1
