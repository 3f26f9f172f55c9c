"""Two or more simultaneous changes of the same register line with the version they saw: one wins, the others
get Conflict (409), and only the winner is audited."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.equipment import service_register as register
from dualcarbon.equipment.models import EquipmentItem
from dualcarbon.equipment.schemas import EquipmentIn
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog
from dualcarbon.ui.commands import cli_principal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers (importlib mode)
from race_helpers import race

N = 4


def spec(code: str, load_factor: float) -> EquipmentIn:
    return EquipmentIn(
        credit_code=code,
        asset_code="M-01",
        equipment_type="motor",
        rated_power_kw=15,
        poles=4,
        efficiency_pct=90,
        load_factor=load_factor,
    )


def test_simultaneous_updates_one_wins(world: Any) -> None:
    code = world.codes["a"]
    with session_scope(world.engine) as session:
        register.save_item(session, cli_principal(), spec(code, 0.5))
        audited = session.scalar(select(func.count(AuditLog.id)))
    factors = itertools.count(1)

    def prepare(session: Session) -> Any:
        return session.scalars(select(EquipmentItem)).all()  # every thread reads version 0 first (PostgreSQL)

    def act(session: Session) -> None:
        register.save_item(session, cli_principal(), spec(code, 0.5 + next(factors) / 100), lock_version=0)

    outcomes = race(world.engine, N, act, prepare)
    assert outcomes == {"ok": 1, "Conflict": N - 1}, outcomes
    with session_scope(world.engine) as session:
        item = session.scalars(select(EquipmentItem)).one()
        assert item.lock_version == 1
        assert session.scalar(select(func.count(AuditLog.id))) == (audited or 0) + 1
