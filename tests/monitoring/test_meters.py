"""The meter register import on SQLite and PostgreSQL: validation, all or nothing, idempotence, scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from dualcarbon.monitoring import service_meters
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_meters import MeterFileInvalid
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier"]


def _count(world: Any, model: Any) -> int:
    with session_scope(world.engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _import(world: Any, principal: Any, path: Path, reference: Any) -> Any:
    with session_scope(world.engine) as session:
        return service_meters.import_meters(session, principal, path, reference)


def test_import_is_idempotent_and_updates_only_changes(world, tmp_path, admin, reference, write_csv) -> None:
    a = world.codes["a"]
    rows = [
        [a, "M0", "electricity", "kWh", "cumulative", 80, "", "true", "2026-06-30"],
        [a, "M1", "电力", "MWh", "cumulative", 1, "M0", "否", ""],
        [a, "M2", "natural gas", "m3", "interval", 1, "M0", "", ""],
    ]
    header = [*HEADER, "parent_meter_code", "counted", "calibrated_until"]
    path = write_csv(tmp_path / "m.csv", header, rows)
    first = _import(world, admin, path, reference)
    assert (first.rows, first.created, first.updated, first.unchanged) == (3, 3, 0, 0)
    audits = _count(world, AuditLog)

    again = _import(world, admin, path, reference)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert _count(world, AuditLog) == audits  # nothing changed, nothing audited
    assert _count(world, Meter) == 3

    with session_scope(world.engine) as session:
        listed = {m.code: m for m in service_meters.list_meters(session, admin, a)}
    assert listed["M0"].multiplier == 80 and listed["M0"].interval_minutes == 15
    assert listed["M1"].parent_code == "M0" and listed["M1"].counted is False and listed["M1"].unit == "MWh"
    assert listed["M2"].carrier == "natural_gas" and listed["M0"].calibrated_until.isoformat() == "2026-06-30"

    rows[0][5] = 120  # the CT ratio changed
    changed = _import(world, admin, write_csv(tmp_path / "m2.csv", header, rows), reference)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    assert _count(world, AuditLog) == audits + 1


def test_problems_name_row_column_reason_and_nothing_is_written(world, tmp_path, admin, reference, write_csv) -> None:
    a = world.codes["a"]
    header = [*HEADER, "parent_meter_code", "counter_max"]
    rows = [
        [a, "OK", "electricity", "kWh", "cumulative", 1, "", ""],  # row 2: fine
        [a, "X1", "unobtainium", "kWh", "cumulative", 1, "", ""],  # row 3: carrier
        [a, "X2", "electricity", "t", "cumulative", 1, "", ""],  # row 4: unit of the wrong kind
        [a, "X3", "electricity", "kWh", "counter", 0, "", "-5"],  # row 5: kind, multiplier, counter_max
        [a, "X4", "electricity", "kWh", "interval", 1, "NOPE", ""],  # row 6: unknown parent
        [a, "OK", "electricity", "kWh", "cumulative", 1, "", ""],  # row 7: repeated code
        ["91330000000000000X", "X5", "electricity", "kWh", "cumulative", 1, "", ""],  # row 8: enterprise
    ]
    with pytest.raises(MeterFileInvalid) as caught:
        _import(world, admin, write_csv(tmp_path / "bad.csv", header, rows), reference)
    where = {(row, column) for row, column, _ in caught.value.problems}
    assert where == {
        (3, "carrier"),
        (4, "unit"),
        (5, "kind"),
        (5, "multiplier"),
        (5, "counter_max"),
        (6, "parent_meter_code"),
        (7, "meter_code"),
        (8, "credit_code"),
    }
    assert _count(world, Meter) == 0  # all or nothing: row 2 was not written either


def test_unknown_and_missing_columns_are_refused(world, tmp_path, admin, reference, write_csv) -> None:
    path = write_csv(tmp_path / "c.csv", ["credit_code", "meter_code", "carrier", "unit", "kind", "colour"], [])
    with pytest.raises(MeterFileInvalid) as caught:
        _import(world, admin, path, reference)
    assert {(c, r) for _, c, r in caught.value.problems} == {
        ("multiplier", "缺少必填的列 / required column missing"),
        ("colour", "不认识的列 / unknown column"),
    }
    assert (
        caught.value.zh
        == "表计文件有 2 处问题，未导入任何内容：第 1 行 multiplier：缺少必填的列；第 1 行 colour：不认识的列"
    )


def test_parent_cycle_is_refused(world, tmp_path, admin, reference, write_csv) -> None:
    a = world.codes["a"]
    header = [*HEADER, "parent_meter_code"]
    rows = [
        [a, "P", "electricity", "kWh", "cumulative", 1, "Q"],
        [a, "Q", "electricity", "kWh", "cumulative", 1, "P"],
    ]
    with pytest.raises(MeterFileInvalid) as caught:
        _import(world, admin, write_csv(tmp_path / "cycle.csv", header, rows), reference)
    assert all("cycle" in reason for _, _, reason in caught.value.problems)


def test_an_enterprise_imports_only_its_own_meters(world, tmp_path, reference, write_csv, enterprise_principal) -> None:
    rows = [[world.codes["b"], "B1", "electricity", "kWh", "cumulative", 1]]
    with pytest.raises(MeterFileInvalid) as caught:
        _import(world, enterprise_principal("a"), write_csv(tmp_path / "b.csv", HEADER, rows), reference)
    assert [(r, c) for r, c, _ in caught.value.problems] == [(2, "credit_code")]
    own = [[world.codes["a"], "A1", "electricity", "kWh", "cumulative", 1]]
    receipt = _import(world, enterprise_principal("a"), write_csv(tmp_path / "a.csv", HEADER, own), reference)
    assert receipt.created == 1
    with session_scope(world.engine) as session:
        assert [m.code for m in service_meters.list_meters(session, enterprise_principal("b"))] == []
