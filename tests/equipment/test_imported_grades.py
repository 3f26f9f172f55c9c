"""Grade tables of other equipment: shipped empty, imported by an administrator through ``reference import``,
then used by the benchmark (a pump graded against the imported row, never against invented values)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualcarbon.equipment import grading
from dualcarbon.reference.imports import import_file
from dualcarbon.reference.tables import load_reference, shipped_reference


def test_shipped_grade_table_is_empty_and_an_import_fills_it(tmp_path: Path) -> None:
    assert shipped_reference().tables[grading.GRADES_TABLE].rows == ()
    # TEST DATA: invented grade values for a 15 kW pump, not from any standard.
    official = tmp_path / "TEST_DATA_pump_grades.csv"
    official.write_text(
        "row_id,standard,equipment_type,rated_power_kw,poles,metric,unit,grade1_1级,grade2_2级,grade3_3级,"
        "better_direction,source,confidence,notes\n"
        "EG-T1,TEST DATA,pump,15,,效率,%,80,75,70,higher is better,TEST DATA,uncertain: test data,TEST DATA\n",
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    import_file(official, data_dir, table=grading.GRADES_TABLE, note="test data")
    reference = load_reference(data_dir)
    tables = {name: reference.tables[name].rows for name in (grading.MOTOR_TABLE, grading.GRADES_TABLE)}
    lookup = grading.find_grade_row(tables, "pump", 15.0, None)
    assert lookup.row is not None and lookup.row.row_id == "EG-T1"
    assert grading.grade_of(72.0, lookup.row) == 3  # 70 ≤ 72 < 75
    # 15 kW × 0.8 × 5000 h × (1/0.72 − 1/0.80) = 60 000 × (1.388889 − 1.25) = 8 333.33 kWh/yr
    assert grading.energy_at_stake_kwh(15.0, 0.8, 5000.0, 72.0, 80.0) == pytest.approx(8333.33, abs=0.01)
