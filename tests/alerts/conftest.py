"""Fixtures of the alerts tests: principals, the shipped reference, and a small hourly plant with readings."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select

from dualcarbon.core.access import Grant, Principal
from dualcarbon.reference import ReferenceSet, shipped_reference
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

HEADER = [
    "credit_code",
    "meter_code",
    "carrier",
    "unit",
    "kind",
    "multiplier",
    "interval_minutes",
    "parent_meter_code",
    "counted",
]


@pytest.fixture
def admin() -> Principal:
    return Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


@pytest.fixture(scope="session")
def reference() -> ReferenceSet:
    return shipped_reference()


def enterprise_id(world: Any, key: str) -> int:
    with session_scope(world.engine) as session:
        found = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == world.codes[key]))
    assert found is not None
    return found


def import_meters(world: Any, tmp_path: Path, admin: Principal, reference: ReferenceSet, rows: list[list[Any]]) -> None:
    from dualcarbon.monitoring import service_meters

    path = tmp_path / "meters.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, path, reference)


def ingest(world: Any, admin: Principal, rows: list[tuple[str, str, datetime, float]]) -> None:
    """Readings (credit code, meter code, local time, value) through the monitoring ingest path."""
    from dualcarbon.monitoring import service_ingest

    table = pa.table(
        {
            "credit_code": pa.array([r[0] for r in rows], pa.string()),
            "meter_code": pa.array([r[1] for r in rows], pa.string()),
            "ts": pa.array([r[2].strftime("%Y-%m-%dT%H:%M:%S+08:00") for r in rows], pa.string()),
            "value": pa.array([str(r[3]) for r in rows], pa.string()),
        }
    )
    with session_scope(world.engine) as session:
        receipt = service_ingest.ingest_table(session, admin, table, source="file")
    assert receipt.accepted == len(rows), receipt


def hourly(
    code: str, meter: str, start: datetime, hours: int, value: Callable[[datetime], float]
) -> list[tuple[str, str, datetime, float]]:
    return [(code, meter, start + timedelta(hours=h), value(start + timedelta(hours=h))) for h in range(hours)]
