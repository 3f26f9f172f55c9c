"""Simultaneous decisions (both stores): of N regulators approving one application exactly one wins, the others
get Conflict (409) and draw nothing; of two approvals racing for the last money of a pool exactly one draws it."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.store.db import session_scope
from dualcarbon.subsidies import service_review
from dualcarbon.subsidies.models import BudgetPool, SubsidyApplication
from dualcarbon.subsidies.schemas import DecisionIn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers (importlib mode)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from subsidy_helpers import storage_applications, who

from race_helpers import race

N = 4


def test_simultaneous_approvals_one_wins(world: Any) -> None:
    (app_id,) = storage_applications(world, ["2023-03"], 10_000)

    def prepare(session: Session) -> object:
        return session.get(SubsidyApplication, app_id)

    def act(session: Session) -> None:
        service_review.decide(session, who(session, "city"), app_id, DecisionIn(action="approve"))

    assert race(world.engine, N, act, prepare) == {"ok": 1, "Conflict": N - 1}
    with session_scope(world.engine, write=False) as session:
        pool = session.scalars(select(BudgetPool)).one()
        assert pool.committed_yuan == 800.0  # drawn once, not N times


def test_two_approvals_race_for_the_last_money(world: Any) -> None:
    first, second = storage_applications(world, ["2023-04", "2023-05"], 1_200)  # room for one 800 元 grant
    targets = iter([first, second])
    picked: dict[int, int] = {}

    def prepare(session: Session) -> object:
        picked[threading.get_ident()] = next(targets)
        return session.get(BudgetPool, 1)

    def act(session: Session) -> None:
        app_id = picked[threading.get_ident()]
        service_review.decide(session, who(session, "city"), app_id, DecisionIn(action="approve"))

    assert race(world.engine, 2, act, prepare) == {"ok": 1, "Conflict": 1}
    with session_scope(world.engine, write=False) as session:
        pool = session.scalars(select(BudgetPool)).one()
        assert pool.committed_yuan == 800.0  # 1 200 − 800 = 400 left: the second 800 did not fit
        states = sorted(session.scalars(select(SubsidyApplication.state)).all())
        assert states == ["approved", "submitted"]
