"""Reference rows an independent audit doubted (issue #7 §7): the values kept or changed and the sources recorded.

Each row checked says what was seen, where, and what was not seen; these tests pin the values and that record,
so a later edit cannot silently drop the provenance.
"""

from __future__ import annotations

import pytest

from dualcarbon.core.errors import MissingCoefficient
from dualcarbon.reference import ReferenceSet, shipped_reference
from dualcarbon.reference.catalogue import find_row
from dualcarbon.reference.tables import parse_number

REF = shipped_reference()


def row(table: str, row_id: str, reference: ReferenceSet = REF) -> dict[str, str]:
    name, found = find_row(reference, row_id)
    assert name == table
    return found


# ---- nitrogen: the GB/T 2589 value is the default, the group standard an alternative -------------------


def test_nitrogen_defaults_to_the_gbt_2589_by_product_value() -> None:
    coefficient = REF.conversion_coefficient(REF.carrier("氮气"))
    assert (coefficient.row_id, coefficient.row_name) == ("CC-050", "氮气（做副产品时）")
    assert (coefficient.value, coefficient.unit) == (0.4, "kgce/m³")
    assert coefficient.provenance.verified
    assert "DB43/T 612" in coefficient.provenance.source and "wanglu.net" in coefficient.provenance.source
    assert "GB/T 2589" in row("conversion_coefficients_gbt2589", "CC-050")["version_basis"]
    # The English id and the explicit by-product name reach the same row.
    assert REF.carrier("nitrogen") == REF.carrier("氮气（做副产品时）") == REF.carrier("氮气(做副产品时)")


@pytest.mark.parametrize(
    ("carrier", "row_id", "value"),
    [
        ("氮气（做主产品时）", "CC-046", 0.6714),
        ("nitrogen_main_product", "CC-046", 0.6714),
        ("氮气（T/CISA 416-2024）", "CC-047", 0.0169),
        ("nitrogen_cisa_416", "CC-047", 0.0169),
        ("氮气（钢铁团体标准）", "CC-047", 0.0169),
    ],
)
def test_nitrogen_alternatives_are_chosen_by_carrier(carrier: str, row_id: str, value: float) -> None:
    coefficient = REF.conversion_coefficient(REF.carrier(carrier))
    assert (coefficient.row_id, coefficient.value, coefficient.unit) == (row_id, value, "kgce/m³")
    # Both alternatives come from a single weak source each: they stay uncertain.
    assert not coefficient.provenance.verified


def test_group_standard_row_is_labelled_as_such() -> None:
    cisa = row("conversion_coefficients_gbt2589", "CC-047")
    assert cisa["energy_type"] == "氮气（T/CISA 416-2024）"
    assert "T/CISA 416-2024" in cisa["version_basis"] and "not GB/T 2589" in cisa["version_basis"]
    assert "CC-050" in cisa["notes"]


# ---- the 耗能工质 rows are GB/T 2589-2008 附录B values -------------------------------------------------


@pytest.mark.parametrize(
    ("row_id", "value", "unit", "verified"),
    [
        ("CC-041", 0.0857, "kgce/t", True),  # 新水 (2008 value)
        ("CC-042", 0.4857, "kgce/t", True),  # 软化水
        ("CC-043", 0.9714, "kgce/t", True),  # 除氧水
        ("CC-044", 0.04, "kgce/m³", True),  # 压缩空气
        ("CC-045", 0.4, "kgce/m³", True),  # 氧气
        ("CC-046", 0.6714, "kgce/m³", False),  # 氮气 做主产品时
        ("CC-048", 8.3143, "kgce/m³", False),  # 乙炔, per m³
        ("CC-049", 2.0786, "kgce/kg", False),  # 电石
    ],
)
def test_working_media_say_gbt_2589_2008_annex_b(row_id: str, value: float, unit: str, verified: bool) -> None:
    found = row("conversion_coefficients_gbt2589", row_id)
    assert parse_number(found["coefficient"]) == value
    assert found["coefficient_unit"] == unit
    assert "GB/T 2589-2008 附录B" in found["version_basis"]
    assert found["confidence"].startswith("verified") is verified
    assert "issue #7" in found["confidence"] or "audit" in found["version_basis"]


def test_acetylene_is_per_cubic_metre() -> None:
    acetylene = row("conversion_coefficients_gbt2589", "CC-048")
    assert (acetylene["lcv_per_unit"], acetylene["coefficient_unit"]) == ("m³", "kgce/m³")


# ---- grid reporting defaults: attributions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("row_id", "value", "data_year", "publication", "label"),
    [
        ("GRID-051", 0.5703, "2022 data", "环办气候函〔2023〕43号", "2022年度"),
        ("GRID-052", 0.5810, "2021 data", "环办气候函〔2022〕111号", "2021年度"),
        ("GRID-053", 0.6101, "2015 data", "2019 碳排放补充数据表", "2015年"),
    ],
)
def test_reporting_defaults_are_attributed(
    row_id: str, value: float, data_year: str, publication: str, label: str
) -> None:
    found = row("grid_emission_factors", row_id)
    assert parse_number(found["value"]) == value
    assert data_year in found["data_year"] and publication in found["publication"] and label in found["factor_type"]
    assert found["confidence"].startswith("uncertain")
    # Still reporting defaults (no numeric data year): never confused with the 公告 series of the same year.
    factor = next(f for f in REF.grid_factors() if f.row_id == row_id)
    assert (factor.year, factor.basis, factor.value_tco2_per_mwh) == (None, "reporting_default", value)
    assert REF.grid_factor(2022, "全国").value_tco2_per_mwh == 0.5366


def test_the_2015_factor_cites_the_page_it_was_seen_on() -> None:
    found = row("grid_emission_factors", "GRID-053")
    assert "tanjiaoyi.com/article-25827-1.html" in found["source"]
    assert "2021 power-generation guideline" in found["confidence"]  # the audit's claim, recorded as not seen


# ---- 供电煤耗 2015 and the two motor rows: kept, with the check recorded ----------------------------------


def test_supply_coal_rate_2015_is_kept_and_marked_uncertain() -> None:
    rate = REF.supply_coal_rate(2015)
    assert (rate.row_id, rate.value_gce_per_kwh) == ("PSCR-03", 315.4)
    assert not rate.provenance.verified
    assert "305.5 + 9.9 = 315.4" in rate.provenance.confidence and "315 gce/kWh" in rate.provenance.confidence


@pytest.mark.parametrize(("row_id", "kw", "grade2"), [("EQ-115", "200 kW", 96.3), ("EQ-119", "250 kW", 96.5)])
def test_six_pole_grade_2_rows_match_their_source(row_id: str, kw: str, grade2: float) -> None:
    found = row("motor_efficiency_gb18613", row_id)
    assert (found["spec"], found["poles"], parse_number(found["grade2_2级"])) == (kw, "6", grade2)
    assert found["confidence"].startswith("verified") and "re-checked" in found["confidence"]


def test_six_pole_grade_2_column_rises_monotonically() -> None:
    # The audit expected 96.6 at 200 and 250 kW; the column rises 96.2 (160 kW) → 96.3 → 96.5 → 96.6 (280 kW).
    _, rows = "motor_efficiency_gb18613", REF.tables["motor_efficiency_gb18613"].rows
    six = [
        (parse_number(r["spec"]), parse_number(r["grade2_2级"]))
        for r in rows
        if r["poles"] == "6" and r["standard"].startswith("GB 18613")
    ]
    grades = [grade for _, grade in sorted(six, key=lambda pair: pair[0] or 0.0)]
    assert grades == sorted(grades)
    by_kw = dict(six)
    assert [by_kw[160.0], by_kw[200.0], by_kw[250.0], by_kw[280.0]] == [96.2, 96.3, 96.5, 96.6]


# ---- carbonates: reference rows, not molar masses in code ----------------------------------------------


def test_carbonate_rows() -> None:
    calcium = REF.carbonate_factor("CaCO3")
    magnesium = REF.carbonate_factor("碳酸镁")
    assert (calcium.row_id, calcium.mineral, calcium.formula, calcium.value, calcium.unit) == (
        "EF-029",
        "碳酸钙",
        "CaCO3",
        0.44,
        "tCO₂/t",
    )
    assert (magnesium.row_id, magnesium.formula, magnesium.value) == ("EF-030", "MgCO3", 0.522)
    for factor in (calcium, magnesium):
        assert not factor.provenance.verified  # the guideline table itself was not seen
        assert factor.provenance.table == "emission_factors"
        assert "GitHub" in factor.provenance.source
    assert REF.carbonate_factor("caco₃") == calcium


def test_unknown_carbonate_is_a_missing_coefficient() -> None:
    with pytest.raises(MissingCoefficient, match=r"no carbonate factor for 'BaCO3'.*have: 碳酸钙 CaCO3, 碳酸镁 MgCO3"):
        REF.carbonate_factor("BaCO3")


def test_carbonate_rows_stay_out_of_fuel_defaults() -> None:
    # The carbonate rows share the table with the fuel defaults but match no carrier.
    assert all(carrier.emission_row not in ("碳酸钙（CaCO3）", "碳酸镁（MgCO3）") for carrier in REF.carriers())
    assert REF.heat_emission_factor()[0] == 0.11


# ---- found on the way: the same local-standard table confirms three single-source rows --------------------


@pytest.mark.parametrize(("row_id", "value"), [("CC-014", 1.1429), ("CC-015", 1.4286), ("CC-020", 1.33)])
def test_rows_confirmed_by_db43_table_a1(row_id: str, value: float) -> None:
    found = row("conversion_coefficients_gbt2589", row_id)
    assert parse_number(found["coefficient"]) == value
    assert found["confidence"].startswith("verified (secondary): DB43/T 612-2015 表A.1")
    assert "wanglu.net" in found["source"]
