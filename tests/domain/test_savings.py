"""GB/T 13234-2018 saving forms against published / hand-worked numbers (research notes §8 W1, W2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualcarbon.core.errors import InvalidInput, UnitMismatch
from dualcarbon.domain.savings import (
    PeriodIntensity,
    StructureShare,
    UnitConsumptionPair,
    accumulate_savings,
    output_value_saving,
    product_saving,
    product_structure_saving,
    saving_rate_pct,
    technical_measure_saving,
)


def test_w1_output_value_saving() -> None:
    # W1: base 22,400 tce for 56,000 万元 → e_j = 0.40 tce/万元; report 29,640 tce for 78,000 → e_b = 0.38.
    # ΔE_g = (0.38 − 0.40) × 78,000 = −1,560 tce (signed), 1,560 tce saved; ξ = (0.38 − 0.40)/0.40 = −5 %.
    result = output_value_saving(22_400, 56_000, 29_640, 78_000)
    assert result.signed_tce == pytest.approx(-1_560)
    assert result.saving_tce == pytest.approx(1_560)
    assert result.rate_pct == pytest.approx(-5.0)
    assert result.saving_rate_pct == pytest.approx(5.0)
    assert result.lines[0].base_unit_consumption == pytest.approx(0.40)
    assert result.lines[0].report_unit_consumption == pytest.approx(0.38)


def test_w2_multi_product_saving() -> None:
    # W2: A 0.52 → 0.50 tce/t at 10,000 t: −0.02 × 10,000 = −200; B 1.80 → 1.70 at 2,000 t: −0.10 × 2,000 = −200.
    # ΔE_c = −400 tce. ξ_A = (0.50 − 0.52)/0.52 = −3.846 % (published −3.85 %); ξ_B = −0.10/1.80 = −5.556 %.
    # Unit rate: −400 / (0.52 × 10,000 + 1.80 × 2,000 = 8,800) = −4.545 %.
    result = product_saving(
        [
            UnitConsumptionPair("A", 0.52, 0.50, "tce/t", 10_000, "t"),
            UnitConsumptionPair("B", 1.80, 1.70, "tce/t", 2_000, "t"),
        ]
    )
    assert result.signed_tce == pytest.approx(-400)
    assert result.saving_tce == pytest.approx(400)
    assert [line.signed_tce for line in result.lines] == pytest.approx([-200, -200])
    assert round(result.lines[0].rate_pct or 0, 2) == -3.85
    assert result.lines[1].rate_pct == pytest.approx(-100 / 18)
    assert result.rate_pct == pytest.approx(-400 / 8_800 * 100)


def test_units_are_converted_to_tce() -> None:
    # 520 → 500 kgce/t over 1 万吨 (= 10,000 t): −20 kgce/t × 10,000 t = −200,000 kgce = −200 tce.
    result = product_saving([UnitConsumptionPair("A", 520, 500, "kgce/t", 1, "万吨")])
    assert result.signed_tce == pytest.approx(-200)


def test_physical_energy_unit_consumption_is_refused() -> None:
    # kWh/t needs the electricity 折标系数 (当量值 or 等价值), never a physical kWh → tce conversion.
    with pytest.raises(UnitMismatch) as error:
        product_saving([UnitConsumptionPair("A", 400, 380, "kWh/t", 100, "t")])
    assert error.value.field == "lines[0].unit_consumption_unit"


def test_activity_unit_must_match_the_denominator() -> None:
    with pytest.raises(UnitMismatch) as error:
        product_saving([UnitConsumptionPair("A", 0.5, 0.4, "tce/t", 100, "kWh")])
    assert error.value.field == "lines[0].activity_unit"


def test_negative_output_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        product_saving([UnitConsumptionPair("A", 0.5, 0.4, "tce/t", -1, "t")])
    assert error.value.field == "lines[0].report_activity"


def test_technical_measure_saving() -> None:
    # Measure 1: 0.30 → 0.25 tce/t after, P_th 4,000 t: −0.05 × 4,000 = −200 tce.
    # Measure 2: 12 → 11 kgce/t, P_th 50,000 t: −1 kgce/t × 50,000 t = −50,000 kgce = −50 tce. Σ = −250 tce.
    result = technical_measure_saving(
        [
            UnitConsumptionPair("kiln heat recovery", 0.30, 0.25, "tce/t", 4_000, "t"),
            UnitConsumptionPair("VSD fans", 12, 11, "kgce/t", 50_000, "t"),
        ]
    )
    assert result.signed_tce == pytest.approx(-250)
    assert result.method == "technical_measure"


def test_product_structure_saving() -> None:
    # G_z = 10,000 万元. Base shares A 0.6 / B 0.4, report A 0.4 / B 0.6; e_jc A 0.5, B 0.2 tce/万元.
    # ΔE_cj = 10,000 × ((0.4 − 0.6) × 0.5 + (0.6 − 0.4) × 0.2) = 10,000 × (−0.10 + 0.04) = −600 tce.
    result = product_structure_saving(
        10_000,
        [StructureShare("A", 0.6, 0.4, 0.5, "tce/万元"), StructureShare("B", 0.4, 0.6, 0.2, "tce/万元")],
    )
    assert result.signed_tce == pytest.approx(-600)
    assert result.rate_pct is None
    assert [line.signed_tce for line in result.lines] == pytest.approx([-1_000, 400])


def test_product_structure_shares_must_sum_to_one() -> None:
    with pytest.raises(InvalidInput) as error:
        product_structure_saving(
            1_000, [StructureShare("A", 0.6, 0.5, 0.5, "tce/万元"), StructureShare("B", 0.3, 0.5, 0.2, "tce/万元")]
        )
    assert error.value.field == "base_share"
    assert "sum to 0.9" in error.value.message


def test_rate_undefined_for_non_positive_base() -> None:
    # 转炉工序 can be negative (net recovery, e.g. −30 kgce/t): ξ would flip meaning, so it is None.
    assert saving_rate_pct(-30, -32) is None
    assert saving_rate_pct(0, 1) is None


def test_chain_versus_fixed_base_accumulation() -> None:
    # e: 1.00 → 0.95 → 0.90 tce/t; M: 100, 110, 120 t.
    # chain (环比): (0.95 − 1.00) × 110 = −5.5; (0.90 − 0.95) × 120 = −6.0; total −11.5 tce.
    # fixed base (定比): (0.95 − 1.00) × 110 = −5.5; (0.90 − 1.00) × 120 = −12.0; total = last = −12.0 tce.
    periods = [
        PeriodIntensity("2021", 1.00, 100),
        PeriodIntensity("2022", 0.95, 110),
        PeriodIntensity("2023", 0.90, 120),
    ]
    chain = accumulate_savings(periods, "tce/t", "t", "chain")
    fixed = accumulate_savings(periods, "tce/t", "t", "fixed_base")
    assert [line.signed_tce for line in chain.lines] == pytest.approx([-5.5, -6.0])
    assert chain.signed_tce == pytest.approx(-11.5)
    assert [line.signed_tce for line in fixed.lines] == pytest.approx([-5.5, -12.0])
    assert fixed.signed_tce == pytest.approx(-12.0)
    assert chain.saving_tce == pytest.approx(11.5)


def test_accumulation_needs_two_periods() -> None:
    with pytest.raises(InvalidInput):
        accumulate_savings([PeriodIntensity("2021", 1.0, 1.0)], "tce/t", "t")


consumption = st.floats(min_value=0.01, max_value=1e4, allow_nan=False)
output = st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=1e7))


@given(consumption, consumption, output)
def test_saving_is_minus_signed_and_sign_follows_unit_consumption(e_j: float, e_b: float, m_b: float) -> None:
    result = product_saving([UnitConsumptionPair("P", e_j, e_b, "tce/t", m_b, "t")])
    assert result.saving_tce == -result.signed_tce
    if e_b < e_j and m_b > 0:
        assert result.signed_tce < 0 < result.saving_tce
    assert result.rate_pct is not None and result.saving_rate_pct == -result.rate_pct


@given(st.lists(st.tuples(consumption, consumption, output), min_size=1, max_size=5))
def test_multi_product_total_is_sum_of_lines(rows: list[tuple[float, float, float]]) -> None:
    pairs = [UnitConsumptionPair(f"P{i}", e_j, e_b, "tce/t", m, "t") for i, (e_j, e_b, m) in enumerate(rows)]
    total = product_saving(pairs).signed_tce
    singles = sum(product_saving([pair]).signed_tce for pair in pairs)
    assert total == pytest.approx(singles, rel=1e-9, abs=1e-6)


@given(consumption, consumption, st.floats(min_value=1, max_value=1e6), st.floats(min_value=1, max_value=1e6))
def test_chain_equals_fixed_base_when_output_constant(e0: float, e2: float, m: float, e1_frac: float) -> None:
    # With constant output M, Σ (e_k − e_{k−1}) × M telescopes to (e_n − e_0) × M.
    e1 = e0 + (e2 - e0) * (e1_frac % 1)
    periods = [PeriodIntensity("0", e0, m), PeriodIntensity("1", e1, m), PeriodIntensity("2", e2, m)]
    chain = accumulate_savings(periods, "tce/t", "t", "chain").signed_tce
    fixed = accumulate_savings(periods, "tce/t", "t", "fixed_base").signed_tce
    assert chain == pytest.approx(fixed, rel=1e-9, abs=1e-6)
