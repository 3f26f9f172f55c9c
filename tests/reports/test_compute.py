"""Computed figures of a report checked by hand (no database): tce, CO₂, unit consumption, deviations, yoy.

Coefficients from the shipped tables: electricity 0.1229 kgce/kWh (当量值), natural gas 1.2143 kgce/m³,
diesel 1.4571 kgce/kg (GB/T 2589); 供电煤耗 2020 = 305.5 gce/kWh, 2021 blank; grid 浙江 2023 0.4974,
全国 2023 0.5306, 全国 2022 0.5366 tCO₂/MWh; natural gas 389.31 GJ/万Nm³, 15.3 tC/TJ, 99 %; diesel
42.652 GJ/t, 20.2 tC/TJ, 98 % (GB/T 32151 附录C).
"""

from __future__ import annotations

from typing import Any

import pytest

from dualcarbon.reference import shipped_reference
from dualcarbon.reports.schemas import PreviousReport, YearOnYear, computed_of
from dualcarbon.reports.service_compute import choose_grid_factor, compute_figures, deviations
from dualcarbon.reports.service_content import parse_content
from dualcarbon.reports.service_yoy import year_on_year

REF = shipped_reference()


def content(**overrides: Any) -> Any:
    raw: dict[str, Any] = {
        "energy_lines": [
            {"carrier": "electricity", "quantity": 10000, "unit": "MWh"},
            {"carrier": "natural_gas", "quantity": 500000, "unit": "m³"},
            {"carrier": "diesel", "quantity": 200, "unit": "t"},
        ],
        "outputs": [{"product": "电石", "benchmark_row_id": "BM2023-039", "quantity": 1000, "unit": "t"}],
        "economics": {"value_added_10k_yuan": 5000, "gross_output_10k_yuan": 20000},
    }
    raw.update(overrides)
    return parse_content(raw)


def figures(c: Any, year: int = 2023, province: str | None = "浙江省", tolerance: float = 2.0) -> dict[str, Any]:
    return compute_figures(c, REF, year=year, province_name=province, tolerance_pct=tolerance)


def test_w10_comprehensive_energy_equivalent() -> None:
    eq = figures(content())["energy"]["equivalent"]
    # 10,000 MWh × 0.1229 = 1,229.00; 500,000 m³ × 1.2143 kgce/m³ = 607.15; 200 t × 1.4571 = 291.42 tce
    assert [line["tce"] for line in eq["lines"]] == pytest.approx([1229.0, 607.15, 291.42])
    assert eq["total_tce"] == pytest.approx(2127.57)  # cn-requirements §8 W10


def test_equal_value_uses_the_years_supply_coal_rate() -> None:
    only_power = content(energy_lines=[{"carrier": "电力", "quantity": 10000, "unit": "MWh"}])
    equal = figures(only_power, year=2020)["energy"]["equal"]
    # 10,000 MWh = 10⁷ kWh × 305.5 gce/kWh = 3.055 × 10⁹ gce = 3,055 tce
    assert equal["available"] and equal["total_tce"] == pytest.approx(3055.0)
    assert equal["lines"][0]["source_row"] == "PSCR-04"


def test_equal_value_unavailable_when_the_year_has_no_rate() -> None:
    result = figures(content(), year=2021)
    equal = result["energy"]["equal"]
    assert equal["available"] is False and equal["error"] == "MissingCoefficient"
    assert "2021" in equal["reason"] and "PSCR-05" in equal["reason"]
    assert result["energy"]["equivalent"]["total_tce"] == pytest.approx(2127.57)  # the rest still computed


def test_carbon_with_the_provinces_grid_factor() -> None:
    carbon = figures(content())["carbon"]
    # electricity 10,000 MWh × 0.4974 (浙江 2023) = 4,974 tCO₂
    # gas 50 万Nm³ × 389.31 GJ/万Nm³ = 19,465.5 GJ × 0.0153 tC/GJ × 0.99 × 44/12 = 1,081.0944 tCO₂
    # diesel 200 t × 42.652 GJ/t = 8,530.4 GJ × 0.0202 × 0.98 × 44/12 = 619.1819 tCO₂
    assert carbon["grid"]["region"] == "浙江" and carbon["grid"]["scope"] == "provincial"
    assert carbon["by_source"]["electricity"] == pytest.approx(4974.0)
    assert carbon["by_source"]["combustion"] == pytest.approx(1081.0944 + 619.1819, abs=1e-3)
    assert carbon["total_tco2"] == pytest.approx(6674.2763, abs=1e-3)
    assert carbon["complete"]


def test_carbon_falls_back_to_national_and_says_so() -> None:
    power = content(energy_lines=[{"carrier": "电力", "quantity": 10000, "unit": "MWh"}])
    national_2022 = figures(power, year=2022)["carbon"]
    # no 浙江 factor for 2022 → 全国 2022: 10,000 MWh × 0.5366 = 5,366 tCO₂
    assert national_2022["grid"]["region"] == "全国" and national_2022["grid"]["year"] == 2022
    assert "浙江省" in national_2022["grid"]["note"]
    assert national_2022["total_tco2"] == pytest.approx(5366.0)
    unknown_province = figures(power, year=2023, province="不存在省")["carbon"]
    assert unknown_province["grid"]["row_id"] == "GRID-001"  # 全国 2023 0.5306 → 5,306 tCO₂
    assert unknown_province["total_tco2"] == pytest.approx(5306.0)
    factor, note = choose_grid_factor(REF, 2024, "浙江省")
    assert (factor.region, factor.year) == ("浙江", 2023) and "2024" in note


def test_feedstock_and_sold_lines() -> None:
    c = content(
        energy_lines=[
            {"carrier": "电力", "quantity": 1000, "unit": "MWh"},
            {"carrier": "电力", "quantity": 100, "unit": "MWh", "use": "sold"},
            {"carrier": "天然气", "quantity": 100000, "unit": "m³", "use": "feedstock"},
        ]
    )
    result = figures(c)
    eq = result["energy"]["equivalent"]
    # 1,000 MWh × 0.1229 = 122.9; sold 100 MWh = 12.29; feedstock 100,000 m³ × 1.2143 = 121.43 tce
    assert eq["total_tce"] == pytest.approx(122.9 - 12.29 + 121.43)
    assert eq["excluding_feedstock_tce"] == pytest.approx(122.9 - 12.29)
    carbon = result["carbon"]
    # electricity (1,000 − 100) MWh × 0.4974 = 447.66 tCO₂; feedstock gas not burnt → omitted, named
    assert carbon["by_source"]["electricity"] == pytest.approx(447.66)
    assert [o["index"] for o in carbon["omitted"]] == [2] and not carbon["complete"]


def test_unit_consumption_and_intensity() -> None:
    result = figures(content())
    output = result["outputs"][0]
    # 2,127.57 tce / 1,000 t = 2.12757 tce/t = 2,127.57 kgce/t (unit of BM2023-039)
    assert output["unit_consumption"] == pytest.approx(2127.57)
    assert output["unit_consumption_unit"] == "kgce/t"
    # 2,127.57 tce / 5,000 万元 = 0.425514 tce/万元; / 20,000 万元 gross output = 0.1063785
    assert result["intensity"]["tce_per_10k_yuan_value_added"] == pytest.approx(0.425514)
    assert result["intensity"]["tce_per_10k_yuan_gross_output"] == pytest.approx(0.1063785)
    two = figures(
        content(outputs=[{"product": "a", "quantity": 1, "unit": "t"}, {"product": "b", "quantity": 1, "unit": "t"}])
    )
    assert all(o["unit_consumption"] is None and "several" in o["reason"] for o in two["outputs"])


def _diesel_reported(tce: float) -> Any:
    lines = [
        {"carrier": "电力", "quantity": 10000, "unit": "MWh"},
        {"carrier": "天然气", "quantity": 500000, "unit": "m³"},
        {"carrier": "柴油", "quantity": 200, "unit": "t", "reported_tce": tce},
    ]
    return content(energy_lines=lines)


def test_deviation_flagged_beyond_tolerance() -> None:
    # diesel computed 291.42 tce; reported 5 % more = 305.991 → +5 % > 2 % → flagged
    high = figures(_diesel_reported(291.42 * 1.05))
    [dev] = high["deviations"]
    assert dev["field"] == "energy_lines[2].reported_tce" and dev["flagged"]
    assert dev["deviation_pct"] == pytest.approx(5.0)
    assert high["has_flagged_deviation"]
    # reported 1 % more → within 2 %
    assert not figures(_diesel_reported(291.42 * 1.01))["deviations"][0]["flagged"]
    # the same 5 % within a 6 % tolerance
    assert not figures(_diesel_reported(291.42 * 1.05), tolerance=6.0)["has_flagged_deviation"]


def test_total_and_unit_consumption_deviations() -> None:
    lines = [
        {"carrier": "电力", "quantity": 10000, "unit": "MWh", "reported_tce": 1229.0},
        {"carrier": "天然气", "quantity": 500000, "unit": "m³", "reported_tce": 607.15},
        {"carrier": "柴油", "quantity": 200, "unit": "t", "reported_tce": 291.42},
    ]
    outputs = [
        {
            "product": "电石",
            "benchmark_row_id": "BM2023-039",
            "quantity": 1000,
            "unit": "t",
            "reported_unit_consumption": 2.0,
            "unit_consumption_unit": "tce/t",
        }
    ]
    c = content(energy_lines=lines, outputs=outputs)
    result = figures(c)
    by_field = {d["field"]: d for d in result["deviations"]}
    assert not by_field["total_tce"]["flagged"] and by_field["total_tce"]["reported"] == pytest.approx(2127.57)
    # reported 2.0 tce/t = 2,000 kgce/t vs 2,127.57: (2,000 − 2,127.57) / 2,127.57 = −5.996 %
    unit_dev = by_field["outputs[0].reported_unit_consumption"]
    assert unit_dev["reported"] == pytest.approx(2000.0)
    assert unit_dev["deviation_pct"] == pytest.approx(-5.99604, abs=1e-4) and unit_dev["flagged"]
    # recomputed at view time with another tolerance, from the stored figures
    again = deviations(c, result["energy"], result["outputs"], 10.0)
    assert not any(d["flagged"] for d in again)


def test_year_on_year() -> None:
    previous = figures(content(energy_lines=[{"carrier": "电力", "quantity": 10000, "unit": "MWh"}]), year=2022)
    current = figures(content())
    yoy = year_on_year(current, previous, PreviousReport(report_id=1, version=1, year=2022))
    assert isinstance(yoy, YearOnYear) and yoy.previous_report == PreviousReport(report_id=1, version=1, year=2022)
    items = {item.key: item for item in yoy.items}
    # (2,127.57 − 1,229) / 1,229 × 100 = 73.1139 %
    assert items["total_tce_equivalent"].change_pct == pytest.approx(73.1139, abs=1e-4)
    # unit consumption 2,127.57 vs 1,229 kgce/t (same benchmark row)
    assert items["outputs[0].unit_consumption"].previous == pytest.approx(1229.0)
    assert year_on_year(current, None).available is False


@pytest.mark.parametrize(
    "c, year",
    [
        (None, 2023),  # everything available, one output with a benchmark row
        (None, 2021),  # 等价值 unavailable: no 供电煤耗 for 2021
        # several outputs (no unit consumption, a reason each), a feedstock line omitted from CO₂, heat by mass
        (
            {
                "energy_lines": [
                    {"carrier": "原煤", "quantity": 30, "unit": "t", "use": "feedstock", "reported_tce": 20},
                    {"carrier": "柴油", "quantity": 10, "unit": "t", "use": "sold"},
                ],
                "outputs": [
                    {"product": "电石", "quantity": 10, "unit": "t"},
                    {"product": "水泥熟料", "quantity": 5, "unit": "t"},
                ],
            },
            2023,
        ),
    ],
)
def test_stored_figures_match_their_schema_exactly(c: Any, year: int) -> None:
    """The typed ComputedFigures reads a stored document and writes back the same JSON, key for key."""
    stored = figures(content() if c is None else parse_content(c), year=year)
    typed = computed_of(stored)
    assert typed.model_dump(mode="json", by_alias=True) == stored
    assert list(typed.model_dump(by_alias=True)) == list(stored)  # same keys, same order
