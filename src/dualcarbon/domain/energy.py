"""Comprehensive energy consumption (综合能耗), GB/T 2589-2020: converting an energy account to tce.

Owns the conversion of an energy account — carrier lines with physical quantities — to tonnes of standard
coal equivalent (tce), line by line and in total.

GB/T 2589-2020 (综合能耗计算通则; clause numbers not yet checked against the text): E = Σ eᵢ × pᵢ,
with eᵢ the physical quantity of carrier i actually consumed and pᵢ its conversion coefficient
(折标准煤系数). Which pᵢ a line gets (given, measured NCV, 等价值 of electricity, reference row) and its
provenance: :mod:`dualcarbon.domain.energy_coefficients`. Line and result types and the meaning of the line
``use`` (sold energy is subtracted): :mod:`dualcarbon.domain.energy_lines`. Intensities built on the total
(单位产品综合能耗, 万元工业增加值能耗): :mod:`dualcarbon.domain.energy_intensity`.

Heat (热力, 蒸汽) on basis ``equal``: there is no national 等价值 table for heat; without an explicit
``coefficient`` the line stays at 当量值 and the result says so in ``warnings``
(docs/contracts-energy-carbon.md, "Heat on 等价值").
"""

from __future__ import annotations

from collections.abc import Sequence

from dualcarbon.core.errors import DualcarbonError, InvalidInput, UnitMismatch
from dualcarbon.core.units import conversion_factor, same_dimension
from dualcarbon.domain.energy_coefficients import ElectricityEqualValue, electricity_equal_value, line_coefficient
from dualcarbon.domain.energy_lines import (
    BASES,
    USES,
    ComprehensiveEnergy,
    ConvertedLine,
    EnergyLine,
    check_amount,
    checked_unit,
)
from dualcarbon.reference.tables import ReferenceSet


def convert_line(
    line: EnergyLine,
    reference: ReferenceSet,
    *,
    basis: str = "equivalent",
    electricity_equal: ElectricityEqualValue | None = None,
) -> tuple[ConvertedLine, tuple[str, ...]]:
    """Convert one energy line to tce (GB/T 2589-2020: eᵢ × pᵢ); returns the line and its warnings.

    Errors carry a field relative to the line (``quantity``, ``unit``, ``ncv_unit`` …).
    ``electricity_equal`` is required for electricity on basis ``equal`` without its own coefficient.
    """
    try:
        carrier = reference.carrier(line.carrier)
    except DualcarbonError as exc:
        raise exc.at("carrier") from None
    check_amount(line.quantity, "quantity")
    if line.use not in USES:
        raise InvalidInput(f"must be one of {', '.join(USES)}, got '{line.use}'", field="use")
    checked_unit(line.unit, "unit")
    warnings: list[str] = []
    coef = line_coefficient(line, carrier, reference, basis=basis, electricity_equal=electricity_equal)
    if carrier.kind == "heat" and basis == "equal" and coef.basis != "given":
        warnings.append(
            f"{carrier.name_zh}: no 等价值 table for heat; converted at 当量值 {coef.value} "
            f"{coef.unit} — give 'coefficient' to use the supplier's 等价值"
        )
    if coef.verified is False:
        warnings.append(
            f"{carrier.name_zh}: {coef.basis} coefficient from row {coef.source_row} is not "
            f"verified ({coef.confidence})"
        )
    numerator, per = coef.unit.split("/")
    if not same_dimension(line.unit, per):
        raise UnitMismatch(
            f"'{line.unit}' does not fit {carrier.name_zh}: the {coef.basis} coefficient is in {coef.unit}, "
            f"so the quantity must be in a unit of the kind of '{per}'",
            field="unit",
        )
    magnitude_tce = line.quantity * conversion_factor(line.unit, per) * coef.value * conversion_factor(numerator, "tce")
    signed_tce = -magnitude_tce if line.use == "sold" else magnitude_tce
    converted = ConvertedLine(
        line,
        carrier.id,
        carrier.name_zh,
        signed_tce,
        coef.value,
        coef.unit,
        coef.basis,
        coef.source,
        coef.source_row,
        coef.verified,
        coef.confidence,
    )
    return converted, tuple(warnings)


def comprehensive_energy(
    lines: Sequence[EnergyLine],
    reference: ReferenceSet,
    *,
    basis: str = "equivalent",
    year: int | None = None,
    equal_rate: float | None = None,
    equal_rate_unit: str | None = None,
) -> ComprehensiveEnergy:
    """综合能耗 of an energy account in tce, GB/T 2589-2020 (E = Σ eᵢ × pᵢ, sold energy subtracted).

    ``basis``: ``equivalent`` (当量值, default) or ``equal`` (等价值: electricity at the year's 供电标准煤耗
    or ``equal_rate``; ``year``/``equal_rate`` required). Errors name ``items[i].<field>``.
    """
    if basis not in BASES:
        raise InvalidInput(f"must be one of {', '.join(BASES)}, got '{basis}'", field="basis")
    electricity_equal = None
    if basis == "equal":
        electricity_equal = electricity_equal_value(
            reference, year=year, equal_rate=equal_rate, equal_rate_unit=equal_rate_unit
        )
    converted: list[ConvertedLine] = []
    warnings: list[str] = []
    by_use = dict.fromkeys(USES, 0.0)
    for index, line in enumerate(lines):
        try:
            result, line_warnings = convert_line(line, reference, basis=basis, electricity_equal=electricity_equal)
        except DualcarbonError as exc:
            raise exc.at(f"items[{index}]") from None
        converted.append(result)
        warnings.extend(f"items[{index}] {text}" for text in line_warnings)
        by_use[line.use] += abs(result.tce)
    return ComprehensiveEnergy(
        basis,
        tuple(converted),
        by_use["fuel"],
        by_use["feedstock"],
        by_use["conversion"],
        by_use["sold"],
        tuple(warnings),
    )
