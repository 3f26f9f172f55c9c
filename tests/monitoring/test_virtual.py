"""Virtual meters: the formula parser (never eval), import checks (members, units, cycles), rollups from members."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select

from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_virtual import parse_formula
from dualcarbon.store.db import session_scope

HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "formula"]
ELECTRICITY_TCE = 0.1229 / 1000  # tce per kWh, 当量值 (CC-036)


def test_parse_formula_gives_linear_coefficients() -> None:
    assert parse_formula("M1 - M2 + 0.5*M3") == {"M1": 1.0, "M2": -1.0, "M3": 0.5}
    assert parse_formula("(A + B) / 2") == {"A": 0.5, "B": 0.5}
    # [E-1] − 2 × (B − C) = E-1 − 2B + 2C; A − A cancels out and is dropped.
    assert parse_formula("[E-1] - 2*(B - C) + A - A") == {"E-1": 1.0, "B": -2.0, "C": 2.0}
    assert parse_formula("-x") == {"x": -1.0}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("A*B", "product of two meters"),
        ("A/0", "divide only by a number"),
        ("A/B", "divide only by a number"),
        ("A + 1", "no constant term"),
        ("2", "no constant term"),
        ("__import__('os').system('x')", "unexpected"),
        ("A +", "ends too early"),
        ("(A", "not closed"),
        ("A B", "after the end"),
        ("", "empty"),
    ],
)
def test_parse_formula_refuses(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_formula(text)


def test_unbracketed_code_with_a_dash_names_the_fix_and_position() -> None:
    with pytest.raises(ValueError) as caught:
        parse_formula("2*[A] + E-01 + E-02")
    reason = str(caught.value)
    assert reason.startswith("第 9 位的「E-01」被当作算式读取：含 - 等运算符的表号须写在方括号里，如 [E-01]；")
    assert "'E-01' at position 9 reads as arithmetic" in reason and "no constant term" in reason
    assert parse_formula("2*[A] + [E-01] + [E-02]") == {"A": 2.0, "E-01": 1.0, "E-02": 1.0}
    assert parse_formula("M1-M2") == {"M1": 1.0, "M2": -1.0}  # a valid formula is never refused for the hint
    with pytest.raises(ValueError, match=r"^公式不能有常数项"):  # no dash code: no hint
        parse_formula("A + 1")


def _import(world: Any, tmp_path: Path, admin: Any, reference: Any, write_csv: Any, rows: list[list[Any]]) -> None:
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, write_csv(tmp_path / "v.csv", HEADER, rows), reference)


def test_import_checks_members_units_and_cycles(world, tmp_path, admin, reference, write_csv) -> None:
    a = world.codes["a"]
    rows = [
        [a, "A", "electricity", "kWh", "interval", 1, ""],
        [a, "V1", "electricity", "kWh", "virtual", 1, "A + V2"],
        [a, "V2", "electricity", "kWh", "virtual", 1, "V1 - A"],
        [a, "V3", "electricity", "kWh", "virtual", 1, "NOPE"],
        [a, "V4", "electricity", "MWh", "virtual", 1, "A"],
        [a, "V5", "electricity", "kWh", "virtual", 1, ""],
        [a, "B", "electricity", "kWh", "interval", 1, "A"],
    ]
    with pytest.raises(service_meters.MeterFileInvalid) as caught:
        _import(world, tmp_path, admin, reference, write_csv, rows)
    problems = {(row, column): reason for row, column, reason in caught.value.problems}
    assert "cycle" in problems[(3, "formula")] and "cycle" in problems[(4, "formula")]
    assert problems[(5, "formula")] == "本企业没有表号「NOPE」 / no meter 'NOPE' in this enterprise"
    assert "not electricity in MWh" in problems[(6, "formula")]
    assert problems[(7, "formula")] == "虚拟表须填写公式 / a virtual meter needs a formula"
    assert (
        problems[(8, "formula")]
        == "只有类型为 virtual（虚拟表）的表才填公式 / only a meter of kind virtual has a formula"
    )
    with session_scope(world.engine) as session:
        assert session.scalars(select(Meter)).first() is None  # all or nothing


def test_virtual_rollups_from_members(world, client, tmp_path, admin, reference, write_csv) -> None:
    a = world.codes["a"]
    rows = [
        [a, "P", "electricity", "kWh", "interval", 1, ""],
        [a, "C1", "electricity", "kWh", "interval", 1, ""],
        [a, "C2", "electricity", "kWh", "interval", 1, ""],
        [a, "V", "electricity", "kWh", "virtual", 1, "C1 + C2"],
        [a, "W", "electricity", "kWh", "virtual", 1, "P - 0.5*[C1]"],
        [a, "VV", "electricity", "kWh", "virtual", 1, "V - C2"],
    ]
    _import(world, tmp_path, admin, reference, write_csv, rows)
    again = write_csv(tmp_path / "v2.csv", HEADER, rows)
    with session_scope(world.engine) as session:
        assert service_meters.import_meters(session, admin, again, reference).unchanged == 6  # idempotent
    values = {"P": 10, "C1": 6, "C2": 3}
    batch = [(a, code, f"2024-03-01T00:{m:02d}:00", str(v)) for code, v in values.items() for m in (0, 15, 30, 45)]
    names = ["credit_code", "meter_code", "ts", "value"]
    table = pa.table({n: pa.array([r[i] for r in batch], pa.string()) for i, n in enumerate(names)})
    with session_scope(world.engine) as session:
        assert service_ingest.ingest_table(session, admin, table, source="file").accepted == 12
        ids = {m.code: m.id for m in session.scalars(select(Meter))}

    def hour(code: str) -> list[dict[str, Any]]:
        params = {"interval": "hour", "from": "2024-03-01", "to": "2024-03-01"}
        answer = client.get(f"/api/v1/meters/{ids[code]}/rollups", params=params, headers=world.auth("ent_a"))
        assert answer.status_code == 200, answer.text
        return answer.json()["periods"]

    # Hour 00:00: P 40, C1 24, C2 12 kWh (4 values each).
    v = hour("V")
    assert v[0]["energy"] == pytest.approx(36.0)  # 24 + 12
    assert v[0]["tce"] == pytest.approx(36 * ELECTRICITY_TCE)
    assert v[0]["completeness"] == 1.0 and v[0]["flags"] == []
    assert v[1]["energy"] is None and v[1]["flags"] == ["no_data"]  # gaps stay gaps
    assert hour("W")[0]["energy"] == pytest.approx(28.0)  # 40 − 0.5 × 24
    assert hour("VV")[0]["energy"] == pytest.approx(24.0)  # (24 + 12) − 12


def test_define_virtual_meter_through_the_api(world, client, tmp_path, admin, reference, write_csv) -> None:
    from dualcarbon.store.models import AuditLog

    a = world.codes["a"]
    rows = [[a, "C1", "electricity", "kWh", "interval", 1, ""], [a, "C2", "electricity", "kWh", "interval", 1, ""]]
    _import(world, tmp_path, admin, reference, write_csv, rows)
    body = {"enterprise": a, "code": "V", "carrier": "电力", "unit": "kWh", "formula": "C1 + C2"}
    created = client.post("/api/v1/meters/virtual", json=body, headers=world.auth("ent_a"))
    assert created.status_code == 200, created.text
    assert created.json() | {"id": 0} == {
        "id": 0,
        "credit_code": a,
        "code": "V",
        "carrier": "electricity",
        "unit": "kWh",
        "kind": "virtual",
        "formula": "C1 + C2",
        "counted": False,
        "created": True,
    }
    changed = client.post("/api/v1/meters/virtual", json=body | {"formula": "C1"}, headers=world.auth("ent_a"))
    assert changed.status_code == 200 and changed.json()["created"] is False
    with session_scope(world.engine) as session:
        query = select(AuditLog.action).where(
            AuditLog.entity == "meter", AuditLog.entity_id == str(created.json()["id"])
        )
        actions = list(session.scalars(query))
    assert "meter.create" in actions and "meter.update" in actions

    cycle = client.post(
        "/api/v1/meters/virtual", json=body | {"code": "W", "formula": "V + W"}, headers=world.auth("ent_a")
    )
    assert cycle.status_code == 422 and cycle.json()["message"] == "公式经「W」形成循环引用"
    dashed = client.post(
        "/api/v1/meters/virtual",
        json=body | {"code": "W2", "formula": "E-01 + E-02"},
        headers=world.auth("ent_a") | {"Accept-Language": "en"},
    )
    assert dashed.status_code == 422 and "write a meter code containing '-'" in dashed.json()["message"]
    not_virtual = client.post("/api/v1/meters/virtual", json=body | {"code": "C1"}, headers=world.auth("ent_a"))
    assert not_virtual.status_code == 409
    other = client.post("/api/v1/meters/virtual", json=body | {"code": "X"}, headers=world.auth("ent_b"))
    assert other.status_code == 404
    wrong_unit = client.post(
        "/api/v1/meters/virtual", json=body | {"code": "Y", "unit": "m3"}, headers=world.auth("ent_a")
    )
    assert wrong_unit.status_code == 422 and "unit" in wrong_unit.text
