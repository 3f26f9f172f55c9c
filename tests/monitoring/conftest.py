"""Fixtures of the monitoring tests: principals, a CSV writer, the shipped reference, a meter register."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.core.access import Grant, Principal
from dualcarbon.reference import ReferenceSet, shipped_reference
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

METER_HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier"]


@pytest.fixture
def admin() -> Principal:
    return Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


@pytest.fixture
def enterprise_principal(world: Any) -> Callable[[str], Principal]:
    """Principal of the enterprise user of world enterprise ``key`` ("a", "b", "c")."""

    def make(key: str) -> Principal:
        with session_scope(world.engine) as session:
            enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == world.codes[key]))
        return Principal(
            user_id=None, username=f"ent-{key}", grants=(Grant("enterprise", enterprise_id=enterprise_id),)
        )

    return make


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def write_csv() -> Callable[[Path, list[str], list[list[object]]], Path]:
    return _write_csv


@pytest.fixture(scope="session")
def reference() -> ReferenceSet:
    return shipped_reference()


@pytest.fixture
def meters(world: Any, tmp_path: Path, admin: Principal, reference: ReferenceSet) -> dict[str, int]:
    """A small register imported into the world: meter ids by "<key>/<code>".

    a/E1 cumulative electricity kWh ×2; a/E2 cumulative with counter_max 1000 (rollover), a/E3 cumulative
    without counter_max (reset), a/E4 cumulative with max_rate 100 kWh/h, a/G1 interval natural gas m3,
    b/E1 of the other enterprise (same code as a/E1).
    """
    from dualcarbon.monitoring import service_meters
    from dualcarbon.monitoring.models import Meter

    a, b = world.codes["a"], world.codes["b"]
    header = [*METER_HEADER, "parent_meter_code", "counter_max", "max_rate"]
    path = _write_csv(
        tmp_path / "meters.csv",
        header,
        [
            [a, "E1", "electricity", "kWh", "cumulative", 2, "", "", ""],
            [a, "E2", "电力", "kWh", "cumulative", 1, "E1", 1000, ""],
            [a, "E3", "electricity", "kWh", "cumulative", 1, "E1", "", ""],
            [a, "E4", "electricity", "kWh", "cumulative", 1, "", "", 100],
            [a, "G1", "natural_gas", "m3", "interval", 1, "", "", ""],
            [b, "E1", "electricity", "kWh", "cumulative", 1, "", "", ""],
        ],
    )
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, path, reference)
        rows = session.execute(select(Meter.id, Enterprise.credit_code, Meter.code).join(Enterprise)).all()
    key_of = {a: "a", b: "b"}
    return {f"{key_of[code]}/{meter}": meter_id for meter_id, code, meter in rows}


@pytest.fixture
def ingest_values(world: Any, admin: Principal) -> Callable[..., None]:
    """Ingest ``(ts, value)`` readings of world enterprise "a"'s meter ``code`` as the administrator, without the
    refresh after the batch unless ``refresh`` (tests count the refresh's own work); every reading must be
    accepted."""
    import pyarrow as pa

    from dualcarbon.monitoring import service_ingest

    def ingest(code: str, values: list[tuple[Any, float]], *, refresh: bool = False) -> None:
        rows = [(world.codes["a"], code, ts.isoformat(), str(v)) for ts, v in values]
        names = ["credit_code", "meter_code", "ts", "value"]
        table = pa.table({n: pa.array([r[i] for r in rows], pa.string()) for i, n in enumerate(names)})
        with session_scope(world.engine) as session:
            receipt = service_ingest.ingest_table(session, admin, table, source="file", refresh=refresh)
        assert receipt.accepted == len(values), receipt

    return ingest
