"""Verified saving from the monitoring rollups of the project's meter (both stores).

Meter G1 of enterprise a: natural gas, an ``interval`` meter of one reading a day (each reading is the quantity
of its day).
Baseline 2024-03-01 … 03-28: 1 000 m³ a day, ±10 m³ alternating; reporting 2024-05-01 … 05-28: 900 m³ a day,
±10 m³ alternating. The model chosen without production or weather data is the mean (intercept only), so

    avoided energy = Σ reporting (mean baseline − reporting) = 28 × (1000 − 900) m³ × k
    reporting energy = 28 × 900 m³ × k          (k: the natural gas factor, tce per m³)

and avoided ÷ reporting = 100 ÷ 900, whatever k is; savings % = 100 ÷ 1000 × 100 = 10 %.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import Grant, Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.monitoring.models import Meter
from dualcarbon.projects import service_lifecycle as lifecycle
from dualcarbon.projects import service_projects as projects
from dualcarbon.projects.schemas import ProjectIn, TransitionIn, VerificationIn
from dualcarbon.projects.service_verification import verify_project
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import session_scope

ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def gas_meter(world: Any, tmp_path: Path, code: str = "G1", interval_minutes: int = 1440) -> int:
    path = tmp_path / f"meters-{code}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "interval_minutes"])
        writer.writerow([world.codes["a"], code, "natural_gas", "m3", "interval", 1, interval_minutes])
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, ADMIN, path, shipped_reference())
        return int(session.scalars(select(Meter.id).where(Meter.code == code)).one())


def readings(
    world: Any, start: date, level: float, *, code: str = "G1", per_day: int = 1, halves: tuple[int, ...] = ()
) -> None:
    """28 days from ``start``: ``per_day`` readings a day summing to level ± 10; on the days ``halves`` (indexes)
    only the first reading arrives."""
    rows = [
        (
            world.codes["a"],
            code,
            (
                datetime.combine(start + timedelta(days=i), datetime.min.time()) + timedelta(days=k / per_day)
            ).isoformat(),
            (level + (10.0 if i % 2 else -10.0)) / per_day,
        )
        for i in range(28)
        for k in range(per_day)
        if not (k > 0 and i in halves)
    ]
    names = ["credit_code", "meter_code", "ts", "value"]
    table = pa.table({n: pa.array([str(r[i]) for r in rows], pa.string()) for i, n in enumerate(names)})
    with session_scope(world.engine) as session:
        receipt = service_ingest.ingest_table(session, ADMIN, table, source="file")
    assert receipt.accepted == len(rows)


def completed_project(session: Session, city: Principal, credit_code: str, name: str) -> int:
    """A project of ``credit_code`` taken through approve, start and complete (completed 2024-04-30): its id."""
    project = projects.create_project(session, city, ProjectIn(credit_code=credit_code, name=name))
    for action in ("approve", "start", "complete"):
        lifecycle.transition(session, city, project.id, TransitionIn(action=action, completed_on=date(2024, 4, 30)))
    return int(project.id)


def daily_spec(meter_id: int) -> VerificationIn:
    """Daily verification of ``meter_id``: baseline 2024-03-01 … 03-28, reporting 2024-05-01 … 05-28."""
    return VerificationIn(
        interval="day",
        meter_ids=[meter_id],
        baseline_from=date(2024, 3, 1),
        baseline_to=date(2024, 3, 28),
        reporting_from=date(2024, 5, 1),
        reporting_to=date(2024, 5, 28),
    )


def test_verified_saving_from_metered_rollups(world: Any, tmp_path: Path) -> None:
    meter_id = gas_meter(world, tmp_path)
    readings(world, date(2024, 3, 1), 1000.0)
    readings(world, date(2024, 5, 1), 900.0)
    with session_scope(world.engine) as session:
        city = who(session, "city")
        project_id = completed_project(session, city, world.codes["a"], "燃气锅炉改造")
        spec = daily_spec(meter_id)
        other = completed_project(session, city, world.codes["b"], "x")
        # a meter of another enterprise's project is refused
        with pytest.raises(InvalidInput, match="not a meter of the project's enterprise"):
            verify_project(session, city, other, spec, shipped_reference())
    with session_scope(world.engine) as session:
        out = verify_project(session, who(session, "city"), project_id, spec, shipped_reference())
    result = out.result
    assert result["source"] == "meters" and result["model"]["kind"] == "intercept"
    assert result["reporting_periods"] == 28 and out.reporting_days == 28
    assert result["avoided_energy"] / result["reporting_energy"] == pytest.approx(100 / 900, rel=1e-6)
    assert result["savings_pct"] == pytest.approx(10.0, rel=1e-6)
    # verified tce/a = avoided (tce over 28 days) × 365 ÷ 28
    assert out.verified_tce_per_year == pytest.approx(result["avoided_energy"] * 365 / 28, rel=1e-6)


def test_metered_periods_not_complete_are_left_out(world: Any, tmp_path: Path) -> None:
    """Meter G2 reads twice a day (720-minute intervals). On reporting days 3 and 10 only the first half-day
    arrives (completeness 50 % < the 90 % of mv_criteria MV-012): those days would show half their energy and a
    false saving, so they are left out with a warning and the result is that of the 26 complete days."""
    meter_id = gas_meter(world, tmp_path, "G2", 720)
    readings(world, date(2024, 3, 1), 1000.0, code="G2", per_day=2)
    readings(world, date(2024, 5, 1), 900.0, code="G2", per_day=2, halves=(3, 10))
    with session_scope(world.engine) as session:
        city = who(session, "city")
        project_id = completed_project(session, city, world.codes["a"], "燃气锅炉改造2")
        out = verify_project(session, city, project_id, daily_spec(meter_id), shipped_reference())
    result = out.result
    assert result["reporting_periods"] == 26 and out.reporting_days == 26
    (partial,) = [w for w in result["warnings"] if w["code"] == "metered_period_partial"]
    assert partial["data"]["periods"] == ["2024-05-04", "2024-05-11"] and partial["data"]["row_id"] == "MV-012"
    # left out: day 3 (odd, 900 + 10) and day 10 (even, 900 − 10) → Σ reporting = 28 × 900 − 910 − 890
    # = 26 × 900 m³; baseline mean 1 000 m³ (14 × 990 + 14 × 1 010) → avoided ÷ reporting = 100 ÷ 900, 10 %
    assert result["avoided_energy"] / result["reporting_energy"] == pytest.approx(100 / 900, rel=1e-6)
    assert result["savings_pct"] == pytest.approx(10.0, rel=1e-6)
