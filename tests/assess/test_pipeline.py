"""The vectorised classification gives, row by row, what the domain function gives (assess/classify.py)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualcarbon.assess.columns import NUMBER_KEYS, TEXT_KEYS
from dualcarbon.assess.example import example_path
from dualcarbon.assess.pipeline import Assessment, assess_frame, assess_survey
from dualcarbon.assess.reader import ROW, Survey
from dualcarbon.domain.efficiency import classify_row
from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.reference import ReferenceSet, shipped_reference

REF = shipped_reference()
ELECTRICITY = REF.conversion_coefficient(REF.carrier("electricity"))


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=1e-12, abs=1e-9)


def check_against_domain(result: Assessment) -> int:
    checked = 0
    for record in result.classified.iter_rows(named=True):
        row = REF.benchmark_row(record["row_id"])
        reported = record["value"] is not None
        expected = classify_row(
            record["value"] if reported else record["value_r"],
            record["value_unit"] if reported else row.unit,
            row,
            result.basis,
            record["output"],
            record["output_unit"],
            ELECTRICITY,
        )
        assert record["tier"] == expected.tier, record
        assert record["tier_zh"] == expected.tier_zh
        assert record["value_r"] == expected.value  # exactly: same rounding of converted values
        for column, attribute in [
            ("gap_upper", "gap_to_benchmark"),
            ("gap_upper_pct", "gap_to_benchmark_pct"),
            ("gap_lower", "gap_to_baseline"),
            ("gap_lower_pct", "gap_to_baseline_pct"),
            ("saving_upper_tce", "saving_to_benchmark_tce"),
            ("saving_lower_tce", "saving_to_baseline_tce"),
        ]:
            assert same(record[column], getattr(expected, attribute)), (column, record)
        checked += 1
    return checked


@pytest.mark.parametrize("basis", ["gb", "policy"])
def test_example_survey_matches_domain(basis: str, reference: ReferenceSet) -> None:
    result = assess_survey(example_path(), reference, basis=basis)  # type: ignore[arg-type]
    assert result.issues == []
    assert result.classified.height + result.undetermined.height == result.rows_total
    assert check_against_domain(result) == result.classified.height
    if basis == "gb":
        assert result.undetermined.is_empty()
        assert set(result.classified["tier"]) == {"grade_1", "grade_2", "grade_3", "fails_limit"}
    else:  # only 捣固焦炉, 高炉工序 and 转炉工序 have policy values in the shipped 2023 table
        assert set(result.classified["row_id"]) == {"BM2023-006", "BM2023-078", "BM2023-079"}
        reasons = result.undetermined["undetermined"].to_list()
        assert all("dualcarbon reference import" in r for r in reasons)


def survey(records: list[dict[str, Any]]) -> Survey:
    data = {key: [r.get(key) for r in records] for key in (*TEXT_KEYS, *NUMBER_KEYS)}
    schema = {**{k: pl.String for k in TEXT_KEYS}, **{k: pl.Float64 for k in NUMBER_KEYS}}
    frame = pl.DataFrame(data, schema=schema).with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    return Survey(frame, "generated")


ROWS = ["BM2023-061", "BM2023-040", "BM2023-079", "BM2023-080", "BM2023-059", "BM2023-002", "BM2023-109", "BM2023-067"]
UNITS = {
    "kgce/t": ["kgce/t", "kgce/kg"],
    "kWh/t": ["kWh/t"],
    "kgoe/t": ["kgoe/t", "kgce/t"],
    "kgce/kg": ["kgce/kg", "kgce/t"],
    "kgce/重量箱": ["kgce/重量箱"],
}
OUTPUT_UNITS = {"t": ["吨", "万吨", "t"], "kg": ["吨", "kg"], "重量箱": ["重量箱"]}


@st.composite
def survey_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    records = []
    for index in range(draw(st.integers(min_value=1, max_value=25))):
        row = REF.benchmark_row(draw(st.sampled_from(ROWS)))
        grades = [g for g in (row.grade_1, row.grade_2, row.grade_3) if g is not None]
        near = draw(st.sampled_from(grades))
        value = draw(
            st.one_of(st.just(near), st.floats(near - abs(near) * 0.2 - 1, near + abs(near) * 0.2 + 1, allow_nan=False))
        )
        denominator = row.unit.split("/")[1]
        records.append(
            {
                "credit_code": make_credit_code(f"91329901{index:09d}"),
                "name": f"示例{index}",
                "region": "329901",
                "field": row.field,
                "product": row.product,
                "indicator": row.indicator,
                "value": value,
                "value_unit": draw(st.sampled_from(UNITS[row.unit])),
                "output": draw(st.floats(0, 1e7, allow_nan=False)),
                "output_unit": draw(st.sampled_from(OUTPUT_UNITS[denominator])),
            }
        )
    return records


@settings(max_examples=60, deadline=None)
@given(survey_rows(), st.sampled_from(["gb", "policy"]))
def test_generated_surveys_match_domain(records: list[dict[str, Any]], basis: str) -> None:
    result = assess_frame(survey(records), REF, basis=basis)  # type: ignore[arg-type]
    assert result.issues == []
    assert result.classified.height + result.undetermined.height == len(records)
    check_against_domain(result)
