"""Pure rules of benchmarking and waste-heat matching, on hand-worked numbers from the shipped tables."""

from __future__ import annotations

import math

import pytest

from dualcarbon.equipment import grading
from dualcarbon.reference.tables import shipped_reference


def _tables() -> dict[str, tuple[dict[str, str], ...]]:
    reference = shipped_reference()
    return {name: reference.tables[name].rows for name in (grading.MOTOR_TABLE, grading.GRADES_TABLE)}


def test_15kw_4pole_motor_at_90_pct_is_below_the_limit() -> None:
    lookup = grading.find_grade_row(_tables(), "motor", 15.0, 4)
    assert lookup.row is not None
    # GB 18613-2020 row EQ-066 (15 kW, 4 poles): 1级 95.1 %, 2级 93.9 %, 3级 92.1 %.
    assert (lookup.row.row_id, lookup.row.grade1, lookup.row.grade2, lookup.row.grade3) == ("EQ-066", 95.1, 93.9, 92.1)
    assert grading.grade_of(90.0, lookup.row) is None  # 90.0 < 92.1: below 3级 (能效限定值)
    assert grading.grade_of(93.9, lookup.row) == 2  # exactly the 2级 value counts as 2级
    assert grading.grade_of(92.5, lookup.row) == 3
    assert grading.grade_of(95.1, lookup.row) == 1
    # 15 kW × 0.75 × 6000 h = 67 500 kWh of output a year;
    # × (1/0.900 − 1/0.951) = 67 500 × (1.111111 − 1.051525) = 67 500 × 0.0595864 = 4 022.08 kWh/yr.
    at_stake = grading.energy_at_stake_kwh(15.0, 0.75, 6000.0, 90.0, 95.1)
    assert at_stake == pytest.approx(4022.08, abs=0.01)
    assert grading.energy_at_stake_kwh(15.0, 0.75, 6000.0, 95.5, 95.1) == 0.0


def test_a_power_not_in_the_table_is_not_interpolated() -> None:
    lookup = grading.find_grade_row(_tables(), "motor", 16.0, 4)  # between 15 and 18.5 kW
    assert lookup.row is None
    assert lookup.note is not None and "16 kW is not a rated power" in lookup.note and "no interpolation" in lookup.note


def test_a_motor_needs_its_poles_and_other_types_need_an_imported_table() -> None:
    assert "poles" in (grading.find_grade_row(_tables(), "motor", 15.0, None).note or "")
    pump = grading.find_grade_row(_tables(), "pump", 15.0, None)  # the grade table ships empty
    assert pump.row is None and "equipment_efficiency_grades" in (pump.note or "")
    imported = {
        grading.MOTOR_TABLE: (),
        grading.GRADES_TABLE: (
            {
                "row_id": "X-1",
                "equipment_type": "pump",
                "rated_power_kw": "15",
                "poles": "",
                "metric": "效率",
                "unit": "%",
                "grade1_1级": "80",
                "grade2_2级": "75",
                "grade3_3级": "70",
            },
        ),
    }
    found = grading.find_grade_row(imported, "pump", 15.0, None)
    assert found.row is not None and found.row.row_id == "X-1"
    assert grading.grade_of(76.0, found.row) == 2


def test_haversine_one_degree_of_latitude() -> None:
    # One degree along a meridian: 2π × 6371.0088 km / 360 = 111.195 km.
    assert grading.haversine_km(121.0, 31.0, 121.0, 32.0) == pytest.approx(2 * math.pi * 6371.0088 / 360, rel=1e-9)
    assert grading.haversine_km(121.4, 31.2, 121.4, 31.2) == 0.0


def test_temperature_quantity_and_schedule() -> None:
    # Sink needs 80 °C, ΔT_min 10 °C: a 90 °C source fits exactly, a 89 °C source cannot serve.
    assert grading.temperature_fit(90.0, 80.0, 10.0) == pytest.approx(1.0)
    assert grading.temperature_fit(89.0, 80.0, 10.0) is None
    # 180 °C source: (90 + 273.15) / (180 + 273.15) = 363.15 / 453.15 = 0.80139
    assert grading.temperature_fit(180.0, 80.0, 10.0) == pytest.approx(363.15 / 453.15)
    assert grading.quantity_overlap(5.0, 8.0) == pytest.approx(0.625)  # source covers 5 of 8 GJ/h
    assert grading.quantity_overlap(10.0, 8.0) == 1.0
    # source 0-24 h, sink 8-20 h: 12 shared hours of 12; source 8-16, sink 12-24: 4 of 12
    assert grading.schedule_overlap((0, 24), (8, 20)) == 1.0
    assert grading.schedule_overlap((8, 16), (12, 24)) == pytest.approx(4 / 12)
    assert grading.schedule_overlap((0, 6), (12, 24)) == 0.0
