"""Efficiency tiers, gaps and needed savings (domain/efficiency.py).

Expected numbers are worked by hand in the comments; W18 is the worked example of
shared/research/cn-requirements.md §8 (cement clinker 标杆 100, 基准 117 kgce/t).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dualcarbon.core.errors import InvalidInput, MissingCoefficient, UnitMismatch
from dualcarbon.core.vocab import GRADE_TIERS, POLICY_TIERS
from dualcarbon.domain.efficiency import (
    Classification,
    classify_against_benchmark,
    classify_against_grades,
    classify_row,
    classify_value,
    energy_kind,
    gap,
    indicator_factor,
    output_factor,
)
from dualcarbon.reference import shipped_reference

REF = shipped_reference()
CLINKER = REF.benchmark_row("BM2023-061")  # 水泥熟料 熟料单位产品综合能耗, GB grades 100 / 107 / 117 kgce/t
CARBIDE_ELECTRICITY = REF.benchmark_row("BM2023-040")  # 电石 电炉电耗, grades 3000 / 3080 / 3200 kWh/t
CONVERTER = REF.benchmark_row("BM2023-079")  # 转炉工序, policy −30 / −10, grades −30 / −28 / −12 kgce/t
ELECTRICITY = REF.conversion_coefficient(REF.carrier("electricity"))  # CC-036, 0.1229 kgce/kWh


# ---- W18 and the boundaries --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "tier"),
    [
        (98, "benchmark"),  # 98 ≤ 100
        (100, "benchmark"),  # on the benchmark: reached
        (110, "between"),  # 100 < 110 ≤ 117
        (117, "between"),  # on the baseline: not below it
        (120, "below_baseline"),  # 120 > 117
    ],
)
def test_w18_cement_clinker(value: float, tier: str) -> None:
    assert classify_against_benchmark(value, 100, 117) == tier


@pytest.mark.parametrize(
    ("value", "tier"),
    [
        (-31, "benchmark"),  # −31 ≤ −30 (lower is better, also below zero)
        (-30, "benchmark"),
        (-20, "between"),  # −30 < −20 ≤ −10
        (-10, "between"),
        (-5, "below_baseline"),  # −5 > −10
    ],
)
def test_converter_negative_values(value: float, tier: str) -> None:
    assert classify_against_benchmark(value, -30, -10) == tier


@pytest.mark.parametrize(
    ("value", "tier"),
    [
        (95, "grade_1"),
        (100, "grade_1"),
        (103, "grade_2"),
        (107, "grade_2"),
        (110, "grade_3"),
        (117, "grade_3"),
        (117.1, "fails_limit"),
    ],
)
def test_clinker_gb_grades(value: float, tier: str) -> None:
    assert (CLINKER.grade_1, CLINKER.grade_2, CLINKER.grade_3) == (100, 107, 117)
    assert classify_row(value, "kgce/t", CLINKER, "gb").tier == tier


def test_missing_grade_2_falls_through_to_grade_3() -> None:
    # 电弧炉 <50 t: 1级 61, no 2级, 3级 86 kgce/t
    row = REF.benchmark_row("BM2023-080")
    assert (row.grade_1, row.grade_2, row.grade_3) == (61, None, 86)
    assert classify_row(61, "kgce/t", row, "gb").tier == "grade_1"
    result = classify_row(70, "kgce/t", row, "gb")
    assert result.tier == "grade_3"
    assert any("2级" in w for w in result.warnings)


def test_only_limit_value() -> None:
    # 斜交轮胎: only the 3级 限定值 515 kgce/t
    row = REF.benchmark_row("BM2023-059")
    assert classify_row(300, "kgce/t", row, "gb").tier == "grade_3"
    assert classify_row(515, "kgce/t", row, "gb").tier == "grade_3"
    result = classify_row(516, "kgce/t", row, "gb")
    assert result.tier == "fails_limit"
    assert result.gap_to_benchmark is None and result.gap_to_baseline == 1  # 516 − 515
    assert classify_against_grades(300, None, None, 515) == "grade_3"


# ---- gaps ------------------------------------------------------------------------------------------------
def against_100_117(value: float, **output: Any) -> Classification:
    """``value`` kgce/t on the policy basis against 标杆 100 / 基准 117 kgce/t (W18)."""
    return classify_value(
        value, "kgce/t", reference_unit="kgce/t", basis="policy", benchmark=100, baseline=117, **output
    )


def test_gaps_w18() -> None:
    result = against_100_117(120)
    assert result.gap_to_benchmark == 20  # 120 − 100
    assert result.gap_to_benchmark_pct == pytest.approx(20.0)  # 20 / 100 × 100
    assert result.gap_to_baseline == 3  # 120 − 117
    assert result.gap_to_baseline_pct == pytest.approx(300 / 117)  # 3 / 117 × 100 = 2.564 %


def test_gap_percentage_of_negative_reference() -> None:
    # 转炉 −20 vs benchmark −30: gap 10 kgce/t; 10 / |−30| = 33.3 % (positive: worse than the benchmark)
    assert gap(-20, -30) == (10, pytest.approx(100 / 3))
    # −35 vs −30: gap −5, −5 / 30 = −16.7 % (better than the benchmark)
    assert gap(-35, -30) == (-5, pytest.approx(-50 / 3))
    assert gap(5, 0) == (5, None)  # undefined against 0


# ---- savings ----------------------------------------------------------------------------------------------
def test_saving_tce_standard_coal() -> None:
    # (120 − 100) kgce/t × 50,000 t = 1,000,000 kgce = 1,000 tce; to baseline (120 − 117) × 50,000 = 150 tce
    result = against_100_117(120, output=50_000, output_unit="t")
    assert result.saving_to_benchmark_tce == pytest.approx(1_000)
    assert result.saving_to_baseline_tce == pytest.approx(150)
    # the same output in 万吨: 5 万吨 = 50,000 t
    same = against_100_117(120, output=5, output_unit="万吨")
    assert same.saving_to_benchmark_tce == pytest.approx(1_000)


def test_saving_is_zero_when_reached() -> None:
    result = against_100_117(98, output=50_000, output_unit="t")
    assert result.saving_to_benchmark_tce == 0 and result.saving_to_baseline_tce == 0


def test_saving_electricity_indicator_uses_reference_coefficient() -> None:
    # 电石 3,100 kWh/t vs 1级 3,000 at 10,000 t: 100 × 10,000 = 1,000,000 kWh × 0.1229 kgce/kWh
    # = 122,900 kgce = 122.9 tce; vs 3级 3,200: already below → 0
    assert ELECTRICITY.value == 0.1229
    result = classify_row(3100, "kWh/t", CARBIDE_ELECTRICITY, "gb", 10_000, "t", ELECTRICITY)
    assert result.tier == "grade_3"
    assert result.saving_to_benchmark_tce == pytest.approx(122.9)
    assert result.saving_to_baseline_tce == 0
    assert result.electricity_row_id == "CC-036"
    # a plain number works too
    assert classify_row(
        3100, "kWh/t", CARBIDE_ELECTRICITY, "gb", 10_000, "t", 0.1229
    ).saving_to_benchmark_tce == pytest.approx(122.9)


def test_saving_electricity_without_coefficient() -> None:
    with pytest.raises(MissingCoefficient, match="当量值"):
        classify_row(3100, "kWh/t", CARBIDE_ELECTRICITY, "gb", 10_000, "t")


def test_saving_oil_equivalent_indicator() -> None:
    # 乙烯 (kgoe/t) 1级 580: 600 kgoe/t at 1,000 t → 20 × 1,000 = 20,000 kgoe;
    # 1 kgoe = 41.868 MJ, 1 kgce = 29.3076 MJ → 20,000 × 41.868 / 29.3076 = 28,571.43 kgce = 28.571 tce
    row = REF.benchmark_row("BM2023-002")
    result = classify_row(600, "kgoe/t", row, "gb", 1_000, "t")
    assert result.saving_to_benchmark_tce == pytest.approx(20_000 * 41.868 / 29.3076 / 1000)


# ---- units ------------------------------------------------------------------------------------------------
def test_value_converted_to_row_unit_keeps_boundaries() -> None:
    # 0.1 kgce/kg = 100 kgce/t: on the 1级 limit → grade_1; 0.117 kgce/kg = 117 kgce/t → grade_3
    assert classify_row(0.1, "kgce/kg", CLINKER, "gb").tier == "grade_1"
    result = classify_row(0.117, "kgce/kg", CLINKER, "gb")
    assert (result.tier, result.value, result.unit, result.input_value) == ("grade_3", 117, "kgce/t", 0.117)


def test_oil_and_coal_equivalents_convert() -> None:
    # 乙烯 1级 580 kgoe/t = 580 × 41.868 / 29.3076 = 828.57 kgce/t
    row = REF.benchmark_row("BM2023-002")
    assert classify_row(828.5, "kgce/t", row, "gb").tier == "grade_1"
    assert classify_row(828.6, "kgce/t", row, "gb").tier == "grade_2"


def test_electricity_and_coal_indicators_do_not_convert() -> None:
    with pytest.raises(UnitMismatch) as info:
        classify_row(3100, "kgce/t", CARBIDE_ELECTRICITY, "gb")
    assert info.value.field == "unit"
    with pytest.raises(UnitMismatch):
        indicator_factor("kWh/t", "kgce/t")
    assert indicator_factor("kgce/kg", "kgce/t") == 1000
    assert energy_kind("万千瓦时") == "electricity" and energy_kind("tce") == "coal_equivalent"


def test_output_unit_must_fit_denominator() -> None:
    assert output_factor("万吨", "kgce/t") == 10_000
    with pytest.raises(UnitMismatch) as info:
        classify_row(120, "kgce/t", CLINKER, "gb", 10, "重量箱")
    assert info.value.field == "output_unit"


# ---- reference rows ---------------------------------------------------------------------------------------
def test_missing_policy_values_name_the_row_and_the_import() -> None:
    with pytest.raises(MissingCoefficient) as info:
        classify_row(105, "kgce/t", CLINKER, "policy")
    assert "BM2023-061" in str(info.value) and "dualcarbon reference import" in str(info.value)


def test_unverified_policy_values_are_flagged() -> None:
    result = classify_row(-20, "kgce/t", CONVERTER, "policy")
    assert result.tier == "between"
    assert result.unverified == ("BM2023-079 (policy 标杆/基准)",)
    assert classify_row(-20, "kgce/t", CONVERTER, "gb").unverified == ()  # grades are 'verified (secondary)'


def test_references_must_be_ordered() -> None:
    with pytest.raises(InvalidInput, match="benchmark"):
        classify_against_benchmark(100, 117, 100)
    with pytest.raises(InvalidInput, match="grade_2"):
        classify_against_grades(100, 90, 120, 110)
    with pytest.raises(InvalidInput):
        classify_against_benchmark(math.nan, 100, 117)


# ---- properties ---------------------------------------------------------------------------------------------
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(finite, finite, finite, finite)
def test_policy_tier_monotonic(a: float, b: float, r1: float, r2: float) -> None:
    low, high = sorted((a, b))
    benchmark, baseline = sorted((r1, r2))
    rank = POLICY_TIERS.index
    assert rank(classify_against_benchmark(low, benchmark, baseline)) <= rank(
        classify_against_benchmark(high, benchmark, baseline)
    )


@given(finite, finite, st.lists(finite, min_size=3, max_size=3), st.booleans(), st.booleans())
def test_grade_tier_monotonic(a: float, b: float, grades: list[float], has_1: bool, has_2: bool) -> None:
    low, high = sorted((a, b))
    g1, g2, g3 = sorted(grades)
    args = (g1 if has_1 else None, g2 if has_2 else None, g3)
    rank = GRADE_TIERS.index
    assert rank(classify_against_grades(low, *args)) <= rank(classify_against_grades(high, *args))


@given(finite, finite)
def test_equality_boundaries(r1: float, r2: float) -> None:
    benchmark, baseline = sorted((r1, r2))
    assert classify_against_benchmark(benchmark, benchmark, baseline) == "benchmark"
    assume(benchmark < baseline)
    assert classify_against_benchmark(baseline, benchmark, baseline) == "between"


@given(st.lists(finite, min_size=3, max_size=3, unique=True))
def test_grade_equality_meets_the_grade(grades: list[float]) -> None:
    g1, g2, g3 = sorted(grades)
    assert classify_against_grades(g1, g1, g2, g3) == "grade_1"
    assert classify_against_grades(g2, g1, g2, g3) == "grade_2"
    assert classify_against_grades(g3, g1, g2, g3) == "grade_3"


@given(finite, st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_saving_zero_exactly_when_benchmark_reached(value: float, output: float) -> None:
    assume(output > 0)
    result = classify_value(
        value,
        "kgce/t",
        reference_unit="kgce/t",
        basis="policy",
        benchmark=100,
        baseline=117,
        output=output,
        output_unit="t",
    )
    assert (result.saving_to_benchmark_tce == 0) == (result.tier == "benchmark")
    assert result.saving_to_benchmark_tce is not None and result.saving_to_benchmark_tce >= 0
