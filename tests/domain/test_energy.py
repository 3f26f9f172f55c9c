"""Tests of dualcarbon.domain.energy (综合能耗, GB/T 2589-2020) against worked and hand-worked numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualcarbon.core.errors import InvalidInput, MissingCoefficient, UnitMismatch, UnknownCarrier
from dualcarbon.domain.energy import comprehensive_energy
from dualcarbon.domain.energy_coefficients import electricity_equal_value
from dualcarbon.domain.energy_intensity import energy_per_value_added, unit_product_energy, year_on_year_change_pct
from dualcarbon.domain.energy_lines import EnergyLine
from dualcarbon.reference import shipped_reference

REF = shipped_reference()


def total(*lines: EnergyLine, **kwargs: object) -> float:
    return comprehensive_energy(lines, REF, **kwargs).total_tce  # type: ignore[arg-type]


# ---- worked example W10 and the reference path --------------------------------------------------------


def test_w10_comprehensive_energy_equivalent_basis() -> None:
    # W10: 10,000 MWh × 0.1229 kgce/kWh = 1,229.00 tce; 500,000 m³ × 1.2143 kgce/m³ (shipped 天然气 row,
    # 气田) = 607.15 tce; 200 t × 1.4571 kgce/kg = 291.42 tce. Σ = 2,127.57 tce.
    result = comprehensive_energy(
        [EnergyLine("电力", 10_000, "MWh"), EnergyLine("天然气", 500_000, "m³"), EnergyLine("柴油", 200, "t")],
        REF,
    )
    assert result.total_tce == pytest.approx(2127.57, abs=1e-9)
    assert [line.tce for line in result.lines] == pytest.approx([1229.00, 607.15, 291.42])
    assert [line.source_row for line in result.lines] == ["CC-036", "CC-019", "CC-013"]
    assert {line.coefficient_basis for line in result.lines} == {"reference"}
    assert result.basis == "equivalent"
    assert result.fuel_tce == pytest.approx(2127.57)
    assert result.warnings == ()
    assert all(line.verified for line in result.lines)


def test_line_reports_carrier_coefficient_and_source() -> None:
    line = comprehensive_energy([EnergyLine("柴油", 200, "t")], REF).lines[0]
    assert (line.carrier_id, line.carrier_name) == ("diesel", "柴油")
    assert (line.coefficient, line.coefficient_unit) == (1.4571, "kgce/kg")
    assert "huatuo6" in line.source
    assert line.confidence.startswith("verified")


def test_ten_thousand_kwh_input() -> None:
    # 100 万千瓦时 = 1,000,000 kWh × 0.1229 kgce/kWh = 122,900 kgce = 122.9 tce.
    assert total(EnergyLine("电力", 100, "万千瓦时")) == pytest.approx(122.9)
    # Same energy written three ways gives the same tce.
    assert total(EnergyLine("电力", 1000, "MWh")) == pytest.approx(122.9)
    assert total(EnergyLine("电", 1_000_000, "kWh")) == pytest.approx(122.9)


def test_ten_thousand_tonnes_and_ten_thousand_nm3() -> None:
    # 1 万吨 原煤 = 10⁷ kg × 0.7143 kgce/kg = 7,143,000 kgce = 7,143 tce.
    assert total(EnergyLine("原煤", 1, "万吨")) == pytest.approx(7143.0)
    # 50 万Nm³ 天然气 = 500,000 m³ × 1.2143 = 607.15 tce (as W10).
    assert total(EnergyLine("天然气", 50, "万Nm³")) == pytest.approx(607.15)


def test_heat_in_gigajoules() -> None:
    # 1,000 GJ = 10⁶ MJ × 0.03412 kgce/MJ = 34,120 kgce = 34.12 tce.
    assert total(EnergyLine("热力", 1000, "GJ")) == pytest.approx(34.12)


# ---- measured NCV, explicit coefficients, ranges -------------------------------------------------------


def test_measured_ncv_wins_over_the_reference() -> None:
    # 1,000 t 原煤 at a measured 23.0 MJ/kg: 23.0 / 29.3076 = 0.784779 kgce/kg → 784.779 tce
    # (the reference 0.7143 kgce/kg would give 714.3 tce).
    line = comprehensive_energy([EnergyLine("原煤", 1000, "t", ncv=23.0, ncv_unit="MJ/kg")], REF).lines[0]
    assert line.tce == pytest.approx(1000 * 23.0 / 29.3076)
    assert line.coefficient_basis == "measured_ncv"
    assert line.coefficient_unit == "kgce/kg"  # shown in the reference table's unit
    assert line.source_row is None and line.verified is None


@pytest.mark.parametrize(
    ("ncv", "ncv_unit"),
    # 5000 kcal/kg = 20.934 MJ/kg = 20,934 kJ/kg = 20.934 GJ/t: all give 5000/7000 kgce/kg.
    [(5000, "kcal/kg"), (20.934, "MJ/kg"), (20934, "kJ/kg"), (20.934, "GJ/t"), (5000, "大卡/kg")],
)
def test_ncv_units(ncv: float, ncv_unit: str) -> None:
    # 1,000 t × 5000/7000 kgce/kg = 714.2857 tce.
    assert total(EnergyLine("原煤", 1000, "t", ncv=ncv, ncv_unit=ncv_unit)) == pytest.approx(714.2857, rel=1e-6)


def test_range_row_requires_ncv_or_coefficient() -> None:
    with pytest.raises(MissingCoefficient, match=r"CC-024.*0\.5714–0\.6143") as caught:
        comprehensive_energy([EnergyLine("焦炉煤气", 10_000, "m³")], REF)
    assert caught.value.field == "items[0]"


def test_range_row_with_measured_ncv() -> None:
    # 1 万Nm³ at 179.81 GJ/万Nm³ = 179.81 GJ / 29.3076 GJ/tce = 6.13527 tce (coefficient 0.6135 kgce/m³).
    line = comprehensive_energy([EnergyLine("焦炉煤气", 1, "万Nm³", ncv=179.81, ncv_unit="GJ/万Nm³")], REF).lines[0]
    assert line.tce == pytest.approx(179.81 / 29.3076)
    # 179.81 GJ/万Nm³ = 17.981 MJ/m³; / 29.3076 MJ/kgce = 0.61353 kgce/m³.
    assert (line.coefficient_unit, line.coefficient) == ("kgce/m³", pytest.approx(17.981 / 29.3076))


def test_range_row_with_explicit_coefficient() -> None:
    # 10,000 m³ × 0.6 kgce/m³ = 6,000 kgce = 6 tce; unit defaults to the reference row's kgce/m³.
    line = comprehensive_energy([EnergyLine("焦炉煤气", 10_000, "m³", coefficient=0.6)], REF).lines[0]
    assert line.tce == pytest.approx(6.0)
    assert (line.coefficient_basis, line.coefficient_unit) == ("given", "kgce/m³")


def test_explicit_coefficient_wins_over_ncv_and_reference() -> None:
    # 100 t × 0.8 kgce/kg = 80 tce, whatever the ncv says.
    line = EnergyLine("原煤", 100, "t", ncv=20, ncv_unit="GJ/t", coefficient=0.8, coefficient_unit="kgce/kg")
    assert total(line) == pytest.approx(80.0)


def test_coefficient_in_tce_per_ten_thousand_m3() -> None:
    # 12.143 tce/万m³ × 50 万m³ = 607.15 tce.
    line = EnergyLine("天然气", 500_000, "m³", coefficient=12.143, coefficient_unit="tce/万m³")
    assert total(line) == pytest.approx(607.15)


def test_blank_reference_row() -> None:
    with pytest.raises(MissingCoefficient, match="CC-026"):
        comprehensive_energy([EnergyLine("转炉煤气", 1, "m³")], REF)


def test_unverified_reference_row_is_reported() -> None:
    # 型煤 CC-006 is 'uncertain: single source'; 10 t × 0.6 kgce/kg = 6 tce.
    result = comprehensive_energy([EnergyLine("型煤", 10, "t")], REF)
    assert result.total_tce == pytest.approx(6.0)
    assert result.lines[0].verified is False
    assert result.unverified_rows == ("CC-006",)
    assert any("CC-006" in w and w.startswith("items[0]") for w in result.warnings)


# ---- nitrogen (issue #7 §7): GB/T 2589 by default, the alternatives by carrier or a given coefficient ----------


def test_nitrogen_uses_the_gbt_2589_by_product_coefficient() -> None:
    # 1,000 m³ × 0.4000 kgce/m³ (CC-050, GB/T 2589 氮气 做副产品时) = 400 kgce = 0.4 tce (was 16.9 kgce at the
    # T/CISA 416-2024 value 0.0169 before the audit).
    result = comprehensive_energy([EnergyLine("氮气", 1000, "m³")], REF)
    line = result.lines[0]
    assert result.total_tce == pytest.approx(0.4, abs=1e-12)
    assert (line.carrier_id, line.coefficient, line.coefficient_unit) == ("nitrogen", 0.4, "kgce/m³")
    assert (line.coefficient_basis, line.source_row, line.verified) == ("reference", "CC-050", True)
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("carrier", "row_id", "tce"),
    [
        # 1,000 m³ × 0.6714 kgce/m³ = 671.4 kgce = 0.6714 tce (nitrogen as the main product).
        ("氮气（做主产品时）", "CC-046", 0.6714),
        # 1,000 m³ × 0.0169 kgce/m³ = 16.9 kgce = 0.0169 tce (steel-sector group standard).
        ("氮气（T/CISA 416-2024）", "CC-047", 0.0169),
    ],
)
def test_nitrogen_alternatives_by_carrier(carrier: str, row_id: str, tce: float) -> None:
    result = comprehensive_energy([EnergyLine(carrier, 1000, "m³")], REF)
    assert result.total_tce == pytest.approx(tce, abs=1e-12)
    assert result.lines[0].source_row == row_id
    # Both alternatives are single-source rows: the result says so.
    assert result.unverified_rows == (row_id,)
    assert any(row_id in warning for warning in result.warnings)


def test_given_coefficient_overrides_the_nitrogen_default() -> None:
    # A coefficient on the line wins over the reference row: 1,000 m³ × 0.0169 kgce/m³ = 0.0169 tce.
    line = comprehensive_energy([EnergyLine("氮气", 1000, "m³", coefficient=0.0169)], REF).lines[0]
    assert (line.tce, line.coefficient_basis, line.source_row) == (pytest.approx(0.0169), "given", None)
    assert line.coefficient_unit == "kgce/m³"  # the unit of the carrier's reference row


# ---- 等价值 -----------------------------------------------------------------------------------------------


def test_equal_value_2020() -> None:
    # 10,000 MWh = 10⁷ kWh × 305.5 gce/kWh (2020 供电煤耗) = 3.055 × 10⁹ gce = 3,055 tce.
    result = comprehensive_energy([EnergyLine("电力", 10_000, "MWh")], REF, basis="equal", year=2020)
    assert result.total_tce == pytest.approx(3055.0)
    line = result.lines[0]
    assert (line.coefficient, line.coefficient_unit) == (pytest.approx(0.3055), "kgce/kWh")
    assert (line.coefficient_basis, line.source_row) == ("equal_value", "PSCR-04")


@pytest.mark.parametrize(("rate", "unit"), [(300, "gce/kWh"), (0.3, "kgce/kWh")])
def test_explicit_equal_rate(rate: float, unit: str) -> None:
    # 1,000 MWh × 0.300 kgce/kWh = 300,000 kgce = 300 tce; the explicit rate wins over the year.
    result = comprehensive_energy(
        [EnergyLine("电力", 1000, "MWh")], REF, basis="equal", year=2020, equal_rate=rate, equal_rate_unit=unit
    )
    assert result.total_tce == pytest.approx(300.0)
    assert result.lines[0].source_row is None


def test_equal_basis_leaves_fuels_alone() -> None:
    # 200 t 柴油 stays 291.42 tce on either basis; only electricity changes.
    assert total(EnergyLine("柴油", 200, "t"), basis="equal", year=2024) == pytest.approx(291.42)


def test_equal_basis_needs_year_or_rate() -> None:
    with pytest.raises(InvalidInput) as caught:
        comprehensive_energy([EnergyLine("电力", 1, "kWh")], REF, basis="equal")
    assert caught.value.field == "year"


def test_equal_basis_blank_year() -> None:
    # 2021 供电煤耗 is blank in the shipped table (PSCR-05).
    with pytest.raises(MissingCoefficient, match="PSCR-05") as caught:
        electricity_equal_value(REF, year=2021)
    assert caught.value.field == "year"


def test_equal_rate_needs_its_unit() -> None:
    with pytest.raises(InvalidInput) as caught:
        electricity_equal_value(REF, equal_rate=305.5)
    assert caught.value.field == "equal_rate_unit"
    with pytest.raises(UnitMismatch):
        electricity_equal_value(REF, equal_rate=305.5, equal_rate_unit="gce/kg")


def test_heat_on_equal_basis_stays_at_equivalent_value_with_a_warning() -> None:
    result = comprehensive_energy([EnergyLine("热力", 1000, "GJ")], REF, basis="equal", year=2020)
    assert result.total_tce == pytest.approx(34.12)  # 当量值 as above
    assert any("等价值" in w for w in result.warnings)
    given_rate = EnergyLine("热力", 1000, "GJ", coefficient=0.04, coefficient_unit="kgce/MJ")
    # 10⁶ MJ × 0.04 kgce/MJ = 40 tce, no warning.
    explicit = comprehensive_energy([given_rate], REF, basis="equal", year=2020)
    assert explicit.total_tce == pytest.approx(40.0)
    assert explicit.warnings == ()


# ---- uses: sold, feedstock, conversion ---------------------------------------------------------------------


def test_sold_energy_is_subtracted() -> None:
    # Bought 1,000 MWh (122.9 tce), sold 200 MWh (24.58 tce): 综合能耗 = 98.32 tce.
    result = comprehensive_energy([EnergyLine("电力", 1000, "MWh"), EnergyLine("电力", 200, "MWh", use="sold")], REF)
    assert result.total_tce == pytest.approx(98.32)
    assert result.sold_tce == pytest.approx(24.58)
    assert result.lines[1].tce == pytest.approx(-24.58)


def test_feedstock_is_counted_and_reported_apart() -> None:
    # 天然气 fuel 100,000 m³ = 121.43 tce; feedstock 200,000 m³ = 242.86 tce. Total 364.29 tce,
    # excluding 原料用能 121.43 tce.
    result = comprehensive_energy(
        [EnergyLine("天然气", 100_000, "m³"), EnergyLine("天然气", 200_000, "m³", use="feedstock")], REF
    )
    assert result.total_tce == pytest.approx(364.29)
    assert result.feedstock_tce == pytest.approx(242.86)
    assert result.total_excluding_feedstock_tce == pytest.approx(121.43)


def test_conversion_input_is_counted() -> None:
    # 1,000 t 原煤 into the own boiler (加工转换) = 714.3 tce, plus 100 MWh bought = 12.29 tce.
    result = comprehensive_energy(
        [EnergyLine("原煤", 1000, "t", use="conversion"), EnergyLine("电力", 100, "MWh")], REF
    )
    assert result.conversion_tce == pytest.approx(714.3)
    assert result.total_tce == pytest.approx(726.59)


# ---- errors -------------------------------------------------------------------------------------------


def test_unknown_carrier() -> None:
    with pytest.raises(UnknownCarrier) as caught:
        comprehensive_energy([EnergyLine("柴油", 1, "t"), EnergyLine("木炭X", 1, "t")], REF)
    assert caught.value.field == "items[1].carrier"


def test_wrong_unit_names_the_field() -> None:
    with pytest.raises(UnitMismatch, match="kgce/kg") as caught:
        comprehensive_energy([EnergyLine("原煤", 1, "kWh")], REF)
    assert caught.value.field == "items[0].unit"


def test_unknown_unit() -> None:
    with pytest.raises(UnitMismatch) as caught:
        comprehensive_energy([EnergyLine("原煤", 1, "bushels")], REF)
    assert caught.value.field == "items[0].unit"


def test_negative_quantity() -> None:
    with pytest.raises(InvalidInput) as caught:
        comprehensive_energy([EnergyLine("原煤", -5, "t")], REF)
    assert caught.value.field == "items[0].quantity"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (EnergyLine("原煤", 1, "t", ncv=20), "items[0].ncv_unit"),
        (EnergyLine("原煤", 1, "t", ncv=20, ncv_unit="GJ"), "items[0].ncv_unit"),
        (EnergyLine("原煤", 1, "t", ncv=20, ncv_unit="t/t"), "items[0].ncv_unit"),
        (EnergyLine("原煤", 1, "t", ncv=20, ncv_unit="GJ/m³"), "items[0].unit"),
        (EnergyLine("原煤", 1, "t", ncv=-20, ncv_unit="GJ/t"), "items[0].ncv"),
        (EnergyLine("电力", 1, "kWh", ncv=3.6, ncv_unit="MJ/kWh"), "items[0].ncv"),
        (EnergyLine("热水", 1, "t", coefficient=0.1), "items[0].coefficient_unit"),
        (EnergyLine("原煤", 1, "t", coefficient=0.7, coefficient_unit="t/t"), "items[0].coefficient_unit"),
        (EnergyLine("原煤", 1, "t", use="burnt"), "items[0].use"),
        (EnergyLine("原煤", float("nan"), "t"), "items[0].quantity"),
    ],
)
def test_bad_lines_name_their_field(line: EnergyLine, field: str) -> None:
    with pytest.raises((InvalidInput, UnitMismatch)) as caught:
        comprehensive_energy([line], REF)
    assert caught.value.field == field


def test_unknown_basis() -> None:
    with pytest.raises(InvalidInput) as caught:
        comprehensive_energy([], REF, basis="market")
    assert caught.value.field == "basis"


# ---- laws -----------------------------------------------------------------------------------------------

_carriers = st.sampled_from([("电力", "kWh"), ("天然气", "m³"), ("柴油", "kg"), ("原煤", "t"), ("热力", "GJ")])
_quantities = st.floats(min_value=0, max_value=1e8, allow_nan=False, allow_infinity=False)
_uses = st.sampled_from(["fuel", "feedstock", "conversion", "sold"])


@st.composite
def _lines(draw: st.DrawFn) -> list[EnergyLine]:
    size = draw(st.integers(min_value=0, max_value=6))
    out = []
    for _ in range(size):
        carrier, unit = draw(_carriers)
        out.append(EnergyLine(carrier, draw(_quantities), unit, use=draw(_uses)))
    return out


@settings(max_examples=60)
@given(_lines())
def test_lines_sum_to_the_total_and_uses_add_up(lines: list[EnergyLine]) -> None:
    result = comprehensive_energy(lines, REF)
    assert sum(line.tce for line in result.lines) == pytest.approx(result.total_tce, abs=1e-6)
    assert result.total_tce == pytest.approx(
        result.fuel_tce + result.feedstock_tce + result.conversion_tce - result.sold_tce, abs=1e-6
    )
    reversed_total = comprehensive_energy(list(reversed(lines)), REF).total_tce
    assert reversed_total == pytest.approx(result.total_tce, abs=1e-6)


@given(_carriers, _quantities, st.floats(min_value=0, max_value=1000, allow_nan=False))
def test_tce_is_linear_in_quantity(carrier_unit: tuple[str, str], quantity: float, scale: float) -> None:
    carrier, unit = carrier_unit
    once = total(EnergyLine(carrier, quantity, unit))
    assert total(EnergyLine(carrier, quantity * scale, unit)) == pytest.approx(once * scale, rel=1e-9, abs=1e-9)


@given(st.floats(min_value=1, max_value=60, allow_nan=False))
def test_measured_ncv_equal_to_the_reference_ncv_changes_nothing(quantity_t: float) -> None:
    # p = NCV / 29.3076: giving the NCV the coefficient 1.4571 stands for (1.4571 × 29.3076 MJ/kg) gives 1.4571.
    ncv = 1.4571 * 29.3076
    measured = total(EnergyLine("柴油", quantity_t, "t", ncv=ncv, ncv_unit="MJ/kg"))
    assert measured == pytest.approx(total(EnergyLine("柴油", quantity_t, "t")), rel=1e-9)


# ---- intensities ----------------------------------------------------------------------------------------


def test_unit_product_energy() -> None:
    # W1 base year: 22,400 tce / 56,000 t = 0.40 tce/t = 400 kgce/t.
    assert unit_product_energy(22_400, "tce", 56_000, "t").value == pytest.approx(0.40)
    assert unit_product_energy(22_400, "tce", 56_000, "t").unit == "tce/t"
    in_kgce = unit_product_energy(22_400, "tce", 56_000, "t", result_unit="kgce/t")
    assert (in_kgce.value, in_kgce.unit) == (pytest.approx(400.0), "kgce/t")
    # 2,127.57 tce over 1 万吨 = 0.212757 tce/t = 212.757 kgce/t.
    assert unit_product_energy(2127.57, "tce", 1, "万吨", result_unit="kgce/t").value == pytest.approx(212.757)


def test_unit_product_energy_errors() -> None:
    with pytest.raises(InvalidInput) as caught:
        unit_product_energy(1, "tce", 0, "t")
    assert caught.value.field == "output"
    with pytest.raises(UnitMismatch) as caught_unit:
        unit_product_energy(1, "t", 1, "t")
    assert caught_unit.value.field == "energy_unit"
    with pytest.raises(UnitMismatch) as caught_result:
        unit_product_energy(1, "tce", 1, "t", result_unit="kgce/m³")
    assert caught_result.value.field == "result_unit"


def test_energy_per_value_added_and_year_on_year() -> None:
    # W1: 22,400 tce / 56,000 万元 = 0.40; 29,640 / 78,000 = 0.38 tce/万元; change (0.38 − 0.40)/0.40 = −5 %.
    previous = energy_per_value_added(22_400, 56_000)
    current = energy_per_value_added(29_640, 78_000)
    assert (previous, current) == (pytest.approx(0.40), pytest.approx(0.38))
    assert year_on_year_change_pct(current, previous) == pytest.approx(-5.0)
    with pytest.raises(InvalidInput):
        energy_per_value_added(1, 0)
    with pytest.raises(InvalidInput):
        year_on_year_change_pct(1, 0)
