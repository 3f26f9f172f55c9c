"""The footprint arithmetic (domain/footprint.py) on hand-worked numbers, the material factor table as
shipped (blank rows → missing, the cited IPCC row → incomplete) and as imported."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain import footprint as fp
from dualcarbon.reference.catalogue import blank_rows, template_columns
from dualcarbon.reference.tables import TABLES, shipped_reference

sys.path.insert(0, str(Path(__file__).resolve().parent))  # footprint_helpers (importlib mode)
from footprint_helpers import STEEL_KG_PER_T, import_steel_factor

EMISSIONS = [
    fp.EnterpriseEmission("energy", "电力", 1000.0, "report line 0"),
    fp.EnterpriseEmission("process", "碳酸盐分解", 200.0, "study entry"),
]
OUTPUTS = [
    fp.ProductOutput("产品甲", 600.0, "t", 300.0),
    fp.ProductOutput("产品乙", 400.0, "t", 700.0),
]


def test_mass_allocation_and_steel(tmp_path: Path) -> None:
    reference = import_steel_factor(tmp_path / "data")
    steel = [fp.MaterialInput("钢材", 500.0, "t")]
    first = fp.product_footprint(EMISSIONS, OUTPUTS, 0, "mass", steel, reference)
    second = fp.product_footprint(EMISSIONS, OUTPUTS, 1, "mass", [], reference)
    # shares by mass: 600 / (600 + 400) = 0.6 and 0.4; enterprise 1,000 + 200 = 1,200 tCO₂
    assert first.allocation_share == pytest.approx(0.6) and first.allocation_basis == "600 t / 1000 t"
    assert first.allocated_tco2 == pytest.approx(720.0)  # 0.6 × 1,200
    assert second.allocated_tco2 == pytest.approx(480.0)  # 0.4 × 1,200
    # steel: 500 t × 2,000 kgCO₂e/t ÷ 1,000 = 1,000 tCO₂e; footprint 720 + 1,000 = 1,720 tCO₂e
    assert STEEL_KG_PER_T == 2000.0
    assert first.materials_tco2e == pytest.approx(1000.0)
    assert first.total_tco2e == pytest.approx(1720.0) and first.complete
    assert first.per_unit_tco2e == pytest.approx(1720.0 / 600.0)  # 2.866667 tCO₂e per t of 产品甲
    assert (first.enterprise_energy_tco2, first.enterprise_process_tco2) == (1000.0, 200.0)
    steps = [term.step for term in first.trace]
    assert steps == ["enterprise_energy", "enterprise_process", "allocation", "material"]
    material = first.trace[-1]
    assert material.reference.startswith("material_emission_factors MEF-101 (") and material.source == "test fixture"
    assert material.reference != "material_emission_factors MEF-101 (shipped)"  # the imported version is cited


def test_economic_allocation_and_units(tmp_path: Path) -> None:
    reference = import_steel_factor(tmp_path / "data")
    # by value: 300 / (300 + 700) = 0.3 → 0.3 × 1,200 = 360 tCO₂; steel given in kg: 500,000 kg = 500 t → 1,000
    result = fp.product_footprint(
        EMISSIONS, OUTPUTS, 0, "economic", [fp.MaterialInput("steel", 500000.0, "kg")], reference
    )
    assert result.allocation_share == pytest.approx(0.3) and result.allocation_basis == "300 万元 / 1000 万元"
    assert result.allocated_tco2 == pytest.approx(360.0)
    assert result.total_tco2e == pytest.approx(1360.0)  # 360 + 1,000
    with pytest.raises(InvalidInput) as wrong_kind:
        fp.product_footprint(EMISSIONS, OUTPUTS, 0, "mass", [fp.MaterialInput("钢材", 5.0, "m³")], reference)
    assert wrong_kind.value.field == "materials[0].unit"
    with pytest.raises(InvalidInput) as huge:  # 1e308 t × 2,000 kg/t overflows a float: refused, never Infinity
        fp.product_footprint(EMISSIONS, OUTPUTS, 0, "mass", [fp.MaterialInput("钢材", 1e308, "t")], reference)
    assert huge.value.field == "materials[0].quantity"


def test_missing_factor_withholds_the_total() -> None:
    reference = shipped_reference()  # 钢材 (MEF-101) ships blank; 铜 has no row at all
    bill = [fp.MaterialInput("钢材", 500.0, "t"), fp.MaterialInput("铜", 1.0, "t")]
    result = fp.product_footprint(EMISSIONS, OUTPUTS, 0, "mass", bill, reference)
    assert result.total_tco2e is None and result.per_unit_tco2e is None and not result.complete
    assert result.known_tco2e == pytest.approx(720.0)  # the allocated part only, shown as such
    assert [(m.index, m.material) for m in result.missing] == [(0, "钢材"), (1, "铜")]
    assert "MEF-101" in result.missing[0].reason and "reference import" in result.missing[0].fix
    assert "缺少钢材、铜的排放因子：导入因子表并重新计算之前不给出合计" in result.notes
    assert "MEF-101" in result.missing[0].reason_zh and "导入" in result.missing[0].reason_zh


def test_a_factor_narrower_than_cradle_to_gate_marks_it_incomplete() -> None:
    # MEF-001: IPCC 2006 Vol.3 Ch.4 Table 4.1 global average 1.06 tCO₂/t steel (a process factor):
    # 10 t × 1,060 kg/t ÷ 1,000 = 10.6 tCO₂e; total 720 + 10.6 = 730.6, but not complete
    bill = [fp.MaterialInput("x", 10.0, "t", row_id="MEF-001")]
    result = fp.product_footprint(EMISSIONS, OUTPUTS, 0, "mass", bill, shipped_reference())
    assert result.total_tco2e == pytest.approx(730.6) and not result.complete
    assert "窄于从摇篮到大门" in result.trace[-1].note


def test_allocation_needs_mass_units_or_values() -> None:
    glass = [fp.ProductOutput("玻璃", 10.0, "t"), fp.ProductOutput("镀膜玻璃", 5.0, "m²")]
    with pytest.raises(InvalidInput) as not_mass:
        fp.allocation_shares(glass, "mass")
    assert not_mass.value.field == "outputs[1].unit"
    with pytest.raises(InvalidInput) as no_value:
        fp.allocation_shares(glass, "economic")
    assert no_value.value.field == "values_10k_yuan.玻璃"
    shares, _ = fp.allocation_shares([fp.ProductOutput("A", 2.0, "t"), fp.ProductOutput("B", 500.0, "kg")], "mass")
    assert shares == pytest.approx([0.8, 0.2])  # 2 t and 0.5 t of 2.5 t


def test_the_table_is_registered_and_templated() -> None:
    reference = shipped_reference()
    assert "material_emission_factors" in TABLES
    assert [row["row_id"] for row in blank_rows(reference, "material_emission_factors")] == [
        "MEF-101",
        "MEF-102",
        "MEF-103",
        "MEF-104",
        "MEF-105",
    ]
    assert template_columns("material_emission_factors", reference) == (
        "row_id",
        "material",
        "unit",
        "boundary",
        "kgco2e_per_unit",
        "source",
        "confidence",
    )
    factor = fp.material_factor(reference, "", row_id="MEF-001")
    assert factor.kgco2e_per_unit == 1060.0 and not factor.cradle_to_gate
