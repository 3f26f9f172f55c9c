"""Completion shares on a hand-worked example, below-baseline deadlines from the Yunnan pack, the exit list,
overdue marking and a race on a project transition (both stores)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import dualcarbon.app.models  # noqa: F401  (every table on the metadata, for the ORM's relationships)
from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.projects import service_lifecycle as lifecycle
from dualcarbon.projects import service_projects as projects
from dualcarbon.projects import service_shares as shares
from dualcarbon.projects.models import RetrofitProject
from dualcarbon.projects.schemas import ProjectIn, TransitionIn
from dualcarbon.reference.policy import load_pack
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers (importlib mode)
from race_helpers import race


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def new_project(session: Session, code: str, name: str) -> int:
    return projects.create_project(
        session, who(session, "city"), ProjectIn(credit_code=code, name=name, project_type="equipment")
    ).id


def completed(session: Session, project_id: int, on: date) -> None:
    city = who(session, "city")
    for action in ("approve", "start"):
        lifecycle.transition(session, city, project_id, TransitionIn(action=action))
    lifecycle.transition(session, city, project_id, TransitionIn(action="complete", completed_on=on))


def test_shares_hand_worked(world: Any) -> None:
    """10 projects in 温州 (330300); completed 2 in 2022, 2 in 2023, 3 in 2024; an 11th is exited.

    Shanghai schedule 20/30/30/20 % → cumulative 20/50/80/100 %. As of 2024-06-01:
    2022: 2/10 = 20 % ≥ 20 % → met; 2023: (2+2)/10 = 40 % < 50 %, year over → behind;
    2024: 7/10 = 70 % < 80 %, year not over → open; 2025: 70 % < 100 % → open.
    """
    with session_scope(world.engine) as session:
        ids = [new_project(session, world.codes["a" if i % 2 else "b"], f"项目{i}") for i in range(11)]
        for pid, on in zip(ids, [date(2022, 5, 1)] * 2 + [date(2023, 7, 1)] * 2 + [date(2024, 3, 1)] * 3, strict=False):
            completed(session, pid, on)
        lifecycle.transition(session, who(session, "city"), ids[10], TransitionIn(action="exit", reason="关停"))
    with session_scope(world.engine, write=False) as session:
        result = shares.completion_shares(session, who(session, "city"), "330300", as_of=date(2024, 6, 1))
        with pytest.raises(Exception) as denied:
            shares.completion_shares(session, who(session, "ent_a"), "330300")
        assert type(denied.value).__name__ == "NotFound"
    assert result.projects == 10 and result.schedule_id == "sh-baiyi-2022.schedule.retrofit-completion"
    rows = [
        (y.year, y.required_pct, y.required_cumulative_pct, y.done, y.done_cumulative_pct, y.status)
        for y in result.years
    ]
    assert rows == [
        (2022, 20, 20, 2, 20.0, "met"),
        (2023, 30, 50, 2, 40.0, "behind"),
        (2024, 30, 80, 3, 70.0, "open"),
        (2025, 20, 100, 0, 70.0, "open"),
    ]
    with session_scope(world.engine, write=False) as session:
        totals = shares.library_totals(session, who(session, "city"), "330300")
    assert (totals.projects, totals.by_state["completed"], totals.by_state["exited"]) == (11, 7, 1)


def below_baseline_entry(session: Session, code: str, published: datetime, tier: str = "below_baseline") -> int:
    enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == code)).one()
    catalog = Catalog(
        region_code="330300",
        edition="2023",
        half=f"{published.year}-H{1 if published.month <= 6 else 2}",
        basis="policy",
        state="published",
        published_at=published,
    )
    catalog.entries.append(
        CatalogEntry(
            enterprise_id=enterprise.id,
            product="水泥熟料",
            benchmark_row_id="BM2023-061",
            value=120.0,
            unit="kgce/t",
            tier=tier,
        )
    )
    session.add(catalog)
    session.flush()
    return catalog.entries[0].id


def test_below_baseline_deadline_and_exit_list(world: Any) -> None:
    years = load_pack("yunnan-2022").parameter("yunnan.retrofit.deadline_years_max")
    assert years == 3
    code = world.codes["b"]
    with session_scope(world.engine) as session:
        # published 2024-03-01 02:00 UTC = 10:00 in Shanghai → listed on 2024-03-01
        entry_id = below_baseline_entry(session, code, datetime(2024, 3, 1, 2, tzinfo=UTC))
        city = who(session, "city")
        default = projects.create_project(session, city, ProjectIn(catalog_entry_id=entry_id, project_type="process"))
        # deadline = listing + 3 years = 2027-03-01
        assert (default.origin, default.listed_on, default.deadline) == (
            "catalog_entry",
            date(2024, 3, 1),
            date(2027, 3, 1),
        )
        assert default.deadline_beyond_policy is False and default.name == "水泥熟料 能效提升改造"
        late = projects.create_project(session, city, ProjectIn(catalog_entry_id=entry_id, deadline=date(2028, 1, 1)))
        assert late.deadline_beyond_policy is True and "超过" in late.warnings[0]  # flagged, not refused
        with pytest.raises(InvalidInput):  # an entry that is not below the baseline cannot be lifted
            other = below_baseline_entry(session, world.codes["a"], datetime(2024, 9, 1, tzinfo=UTC), tier="between")
            projects.create_project(session, city, ProjectIn(catalog_entry_id=other))
    with session_scope(world.engine) as session:
        city = who(session, "city")
        listed = lifecycle.exit_candidates(session, city, date(2027, 3, 2))
        assert [c.project_id for c in listed] == [default.id]  # the late one is not past its deadline yet
        assert lifecycle.exit_candidates(session, city, date(2027, 3, 1)) == []  # the deadline day itself
        assert lifecycle.mark_overdue(session, city, date(2027, 3, 2)) == [default.id]
        assert session.get(RetrofitProject, default.id).state == "overdue"  # type: ignore[union-attr]
        # a later catalog places the product between benchmark and baseline: lifted, no longer listed
        below_baseline_entry(session, code, datetime(2026, 9, 1, tzinfo=UTC), tier="between")
        assert lifecycle.exit_candidates(session, city, date(2027, 3, 2)) == []


def test_simultaneous_approvals_one_wins(world: Any) -> None:
    with session_scope(world.engine) as session:
        project_id = new_project(session, world.codes["a"], "并发审批")

    def prepare(session: Session) -> object:
        return session.get(RetrofitProject, project_id)

    def act(session: Session) -> None:
        lifecycle.transition(session, who(session, "city"), project_id, TransitionIn(action="approve"))

    assert race(world.engine, 4, act, prepare) == {"ok": 1, "Conflict": 3}
