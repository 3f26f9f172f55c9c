"""The ``classify`` JSON contract (docs/contracts-classify.md): shape, numbers, error paths."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dualcarbon.calc.classify import run
from dualcarbon.core.errors import InvalidInput, MissingCoefficient, UnitMismatch, UnknownReferenceRow
from dualcarbon.reference import shipped_reference

REF = shipped_reference()
KEYS = {
    "basis",
    "tier",
    "tier_zh",
    "value",
    "unit",
    "input",
    "gap_to_benchmark",
    "gap_to_benchmark_pct",
    "gap_to_baseline",
    "gap_to_baseline_pct",
    "reference",
    "warnings",
    "unverified_rows",
}


def classify(payload: dict[str, Any]) -> dict[str, Any]:
    result = run(payload, REF)
    json.dumps(result)  # JSON-serialisable
    return result


@pytest.mark.parametrize(
    ("value", "tier"),
    [(98, "benchmark"), (100, "benchmark"), (110, "between"), (117, "between"), (120, "below_baseline")],
)
def test_w18_explicit_values(value: float, tier: str) -> None:
    result = classify({"value": value, "unit": "kgce/t", "benchmark": 100, "baseline": 117})
    assert set(result) == KEYS
    assert result["tier"] == tier and result["basis"] == "policy"
    assert result["reference"]["source"] == "input"


def test_w18_gaps_and_savings() -> None:
    # 120 kgce/t at 50,000 t: to benchmark (120 − 100) × 50,000 = 1,000,000 kgce = 1,000 tce (20 %);
    # to baseline (120 − 117) × 50,000 = 150,000 kgce = 150 tce (3/117 = 2.564103 %)
    result = classify(
        {"value": 120, "unit": "kgce/t", "benchmark": 100, "baseline": 117, "output": 50000, "output_unit": "t"}
    )
    assert result["tier_zh"] == "能效基准水平以下"
    assert result["gap_to_benchmark"] == 20 and result["gap_to_benchmark_pct"] == 20
    assert result["gap_to_baseline"] == 3 and result["gap_to_baseline_pct"] == pytest.approx(2.564103)
    assert result["saving_to_benchmark_tce"] == 1000 and result["saving_to_baseline_tce"] == 150


def test_row_gb_basis_with_electricity_saving() -> None:
    # 电石 电炉电耗 BM2023-040, grades 3000/3080/3200 kWh/t; 3,100 kWh/t at 10,000 t → 3级;
    # to 1级: 100 kWh/t × 10,000 t = 1,000,000 kWh × 0.1229 kgce/kWh (CC-036) = 122.9 tce
    result = classify(
        {"value": 3100, "unit": "kWh/t", "row": "BM2023-040", "basis": "gb", "output": 10000, "output_unit": "吨"}
    )
    assert result["tier"] == "grade_3" and result["tier_zh"] == "3级" and result["row"] == "BM2023-040"
    assert result["saving_to_benchmark_tce"] == pytest.approx(122.9)
    assert result["saving_to_baseline_tce"] == 0
    reference = result["reference"]
    assert reference["compared_with"]["benchmark"] == {"name": "1级", "value": 3000}
    assert reference["compared_with"]["baseline"] == {"name": "3级限定值", "value": 3200}
    assert reference["electricity"]["row_id"] == "CC-036" and reference["electricity"]["value"] == 0.1229
    assert reference["grades_verified"] is True


def test_row_policy_negative_values_flag_unverified() -> None:
    # 转炉工序 BM2023-079: 标杆 −30, 基准 −10 kgce/t (uncertain source); −20 → between,
    # gap to benchmark −20 − (−30) = 10 = 33.333333 % of |−30|
    result = classify({"value": -20, "unit": "kgce/t", "row": "BM2023-079"})
    assert result["tier"] == "between"
    assert result["gap_to_benchmark"] == 10 and result["gap_to_benchmark_pct"] == pytest.approx(33.333333)
    assert result["unverified_rows"] == ["BM2023-079"] and result["warnings"]
    assert "saving_to_benchmark_tce" not in result  # no output given


def test_value_in_another_unit_is_converted() -> None:
    # 0.103 kgce/kg = 103 kgce/t against 水泥熟料 grades 100/107/117 → 2级
    result = classify({"value": 0.103, "unit": "kgce/kg", "row": "BM2023-061", "basis": "gb"})
    assert (result["tier"], result["value"], result["unit"]) == ("grade_2", 103, "kgce/t")
    assert result["input"] == {"value": 0.103, "unit": "kgce/kg"}


def test_explicit_grades() -> None:
    result = classify({"value": 110, "unit": "kgce/t", "grade_1": 100, "grade_2": 107, "grade_3": 117})
    assert (result["basis"], result["tier"]) == ("gb", "grade_3")


def test_errors_name_the_field() -> None:
    with pytest.raises(UnitMismatch) as info:
        run({"value": 3100, "unit": "kgce/t", "row": "BM2023-040", "basis": "gb"}, REF)
    assert info.value.field == "unit"
    with pytest.raises(MissingCoefficient) as missing:
        run({"value": 105, "unit": "kgce/t", "row": "BM2023-061"}, REF)  # 2023 policy cells are blank
    assert missing.value.field == "row" and "dualcarbon reference import" in str(missing.value)
    with pytest.raises(UnknownReferenceRow) as unknown:
        run({"value": 1, "unit": "kgce/t", "row": "BM9999-001"}, REF)
    assert unknown.value.field == "row"
    with pytest.raises(InvalidInput, match="not both"):
        run({"value": 1, "unit": "kgce/t", "row": "BM2023-061", "benchmark": 1}, REF)
    with pytest.raises(InvalidInput) as no_reference:
        run({"value": 1, "unit": "kgce/t"}, REF)
    assert no_reference.value.field == "row"
    with pytest.raises(InvalidInput) as half:
        run({"value": 1, "unit": "kgce/t", "benchmark": 100}, REF)
    assert half.value.field == "baseline"
    with pytest.raises(InvalidInput) as typo:
        run({"value": 1, "unit": "kgce/t", "benchmrk": 100}, REF)
    assert typo.value.field == "benchmrk"
    with pytest.raises(InvalidInput) as order:
        run({"value": 1, "unit": "kgce/t", "benchmark": 117, "baseline": 100}, REF)
    assert order.value.field == "benchmark"
    with pytest.raises(UnitMismatch) as output_unit:
        run(
            {"value": 120, "unit": "kgce/t", "row": "BM2023-061", "basis": "gb", "output": 5, "output_unit": "重量箱"},
            REF,
        )
    assert output_unit.value.field == "output_unit"
