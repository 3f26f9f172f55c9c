"""Two regulators recording the same target's year at once: exactly one wins, the other gets Conflict (409)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import Principal
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog
from dualcarbon.targets import service
from dualcarbon.targets.models import PolicyTarget, PolicyTargetYear
from dualcarbon.targets.schemas import SeedIn, YearIn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers (importlib mode)
from race_helpers import race

N = 3


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def test_simultaneous_records_one_wins(world: Any) -> None:
    with session_scope(world.engine) as session:
        seeded = service.seed_from_pack(session, who(session, "city"), SeedIn(pack="putian-2024", region_code="330300"))
        target_id = seeded[0].id

    def prepare(session: Session) -> object:
        return session.get(PolicyTarget, target_id)

    def act(session: Session) -> None:
        service.record_year(session, who(session, "city"), target_id, YearIn(year=2024, achieved=5, lock_version=0))

    assert race(world.engine, N, act, prepare) == {"ok": 1, "Conflict": N - 1}
    with session_scope(world.engine, write=False) as session:
        rows = session.scalars(select(PolicyTargetYear).where(PolicyTargetYear.target_id == target_id)).all()
        assert [(row.year, row.achieved) for row in rows] == [(2024, 5.0)]
        audited = session.scalars(
            select(AuditLog).where(AuditLog.action == "target.record_year", AuditLog.entity_id == str(target_id))
        ).all()
        assert len(audited) == 1
