"""负载率 from measurements (measured input power, or metered energy and hours) and the GB 18613-family rows of
other equipment (transformers, compressors, fans, pumps) named in the benchmark notes — hand-worked numbers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.equipment import grading
from dualcarbon.reference.tables import shipped_reference
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

from ..conftest import Api


def _tables() -> dict[str, tuple[dict[str, str], ...]]:
    reference = shipped_reference()
    return {name: reference.tables[name].rows for name in (grading.MOTOR_TABLE, grading.GRADES_TABLE)}


def test_load_factor_from_input_power_and_from_metered_energy() -> None:
    # 15 kW motor, rated efficiency 90 %, measured input 12.5 kW: output ≈ 12.5 × 0.90 = 11.25 kW → β = 0.75
    assert grading.load_factor_from_input(15.0, 90.0, 12.5) == pytest.approx(0.75)
    # 2 units metered 150 000 kWh over 6 000 h: P₁ = 150 000 / (6 000 × 2) = 12.5 kW → the same β = 0.75
    assert grading.load_factor_from_energy(15.0, 90.0, 150_000.0, 6000.0, 2) == pytest.approx(0.75)


def test_the_non_motor_rows_of_the_gb_family_are_named_in_the_note() -> None:
    tables = _tables()
    transformer = grading.find_grade_row(tables, "transformer", 100.0, None)
    assert transformer.row is None and transformer.note is not None
    assert "GB 20052-2024" in transformer.note and "空载损耗 (kW)" in transformer.note
    assert "EQ-145" in transformer.note and "import the official table" in transformer.note
    compressor = grading.family_rows(tables, "air_compressor")
    assert compressor is not None and compressor.standard.startswith("GB 19153-2019")
    assert compressor.metrics == ("机组比功率 (kW/(m³/min))",) and len(compressor.row_ids) == 6
    fan = grading.family_rows(tables, "fan")
    assert fan is not None and fan.standard.startswith("GB 19761-2020") and len(fan.row_ids) == 3
    pump = grading.family_rows(tables, "pump")
    assert pump is not None and pump.standard.startswith("GB 19762-2025") and pump.row_ids[0] == "EQ-160"
    # boilers have no rows in the shipped tables: the generic "import a grade table" note
    boiler = grading.find_grade_row(tables, "boiler", 100.0, None)
    assert boiler.note is not None and "no grade row for boiler" in boiler.note
    # an imported grade row still wins over the note
    imported = {**tables, grading.GRADES_TABLE: ({"row_id": "X-1", "equipment_type": "fan", "rated_power_kw": "15",
                                                  "metric": "效率", "unit": "%", "grade1_1级": "80",
                                                  "grade2_2级": "75", "grade3_3级": "70"},)}  # fmt: skip
    found = grading.find_grade_row(imported, "fan", 15.0, None)
    assert found.row is not None and found.row.row_id == "X-1"


def _line(code: str, asset: str, **extra: Any) -> dict[str, Any]:
    base = {"equipment_type": "motor", "rated_power_kw": 15, "poles": 4, "efficiency_pct": 90.0}
    return {"credit_code": code, "asset_code": asset, **base, **extra}


def test_register_derives_the_load_factor_and_the_benchmark_uses_it(api: Api) -> None:
    code = api.world.codes["a"]
    lines = [
        _line(code, "M-IN", operating_hours=6000, measured_input_kw=12.5),
        _line(code, "M-KWH", operating_hours=6000, quantity=2, metered_kwh=150_000, notes="2 台并联"),
        _line(code, "M-GIVEN", operating_hours=6000, load_factor=0.5, measured_input_kw=12.5),  # given wins
        _line(code, "M-NONE", operating_hours=6000),
    ]
    for body in lines:
        response = api("POST", "/api/v1/equipment", "ent_a", json=body)
        assert response.status_code == 200, response.text
    saved = {item["asset_code"]: item for item in api("GET", "/api/v1/equipment", "ent_a").json()}
    assert saved["M-IN"]["load_factor"] == 0.75
    assert "实测输入功率 12.5 kW" in saved["M-IN"]["notes"]
    assert saved["M-KWH"]["load_factor"] == 0.75
    assert saved["M-KWH"]["notes"].startswith("2 台并联\n负载率 0.75 = 年计量电量 150000 kWh")
    assert saved["M-GIVEN"]["load_factor"] == 0.5 and saved["M-GIVEN"]["notes"] is None
    assert saved["M-NONE"]["load_factor"] is None
    with session_scope(api.world.engine) as session:
        after = session.scalars(
            select(AuditLog.after).where(AuditLog.action == "equipment.create", AuditLog.entity == "equipment_item")
        ).all()
    assert any(a and a.get("load_factor") == 0.75 for a in after)  # the derived value is what was audited

    report = api("GET", f"/api/v1/enterprises/{code}/equipment/benchmark", "ent_a").json()
    items = {item["asset_code"]: item for item in report["items"]}
    # 15 × 0.75 × 6000 × (1/0.900 − 1/0.951) = 4 022.08 kWh per unit (EQ-066: 1级 95.1 %)
    assert items["M-IN"]["energy_at_stake_kwh"] == pytest.approx(4022.08, abs=0.01)
    assert items["M-IN"]["load_factor_source"] == "item"
    assert items["M-KWH"]["energy_at_stake_kwh"] == pytest.approx(2 * 4022.08, abs=0.02)
    blank = items["M-NONE"]
    assert blank["energy_at_stake_kwh"] is None and blank["load_factor"] is None
    assert any("measured input power or metered energy" in note for note in blank["notes"])


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"metered_kwh": 150_000}, "operating_hours"),  # energy without hours
        ({"measured_input_kw": 12.5, "efficiency_pct": None}, "efficiency_pct"),
        ({"measured_input_kw": 30.0, "operating_hours": 6000}, "measured_input_kw"),  # β = 30 × 0.9 / 15 = 1.8
        ({"measured_input_kw": -1.0}, "measured_input_kw"),
    ],
)
def test_bad_measurements_are_refused_naming_the_field(api: Api, extra: dict[str, Any], field: str) -> None:
    body = {**_line(api.world.codes["a"], "M-BAD"), **extra}
    response = api("POST", "/api/v1/equipment", "ent_a", json=body)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert api("GET", "/api/v1/equipment", "ent_a").json() == []  # nothing written
