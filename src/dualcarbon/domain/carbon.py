"""Enterprise CO₂ accounting: GB/T 32150 (工业企业温室气体排放核算和报告通则) and the GB/T 32151 sector parts.

Owns the emission line of each source and their sum. Every line keeps the factors it used, each marked
``measured`` / ``given`` (from the input), ``default`` (a reference row, with its id and verified flag) or
``derived``/``constant`` (arithmetic of the others, a formula constant).

* Fuel combustion (燃料燃烧):  E = FC × NCV × CC × OF × 44/12      [tCO₂]
  FC in any unit of the NCV's quantity (t, kg, 万Nm³ …), NCV in GJ per that unit, CC in tC/GJ, OF a fraction.
  Defaults: the GB/T 32151 附录C 表C.1 parameters of ``emission_factors``; each measured value wins alone.
* Carbonate process (碳酸盐分解): E = Q × purity × EF             [tCO₂]
  EF from the carbonate rows of ``emission_factors`` (CaCO₃, MgCO₃) or given.
* Purchased / exported electricity (购入/输出电力): E = ± AD × EF_grid, AD in MWh, EF in tCO₂/MWh by data
  year, region and 口径; green power with evidence (非化石能源电力证明) counts at zero.
* Purchased / exported heat (购入/输出热力): E = ± AD × EF_heat, AD in GJ (steam and hot water converted by
  :mod:`dualcarbon.domain.heat`), EF default 0.11 tCO₂/GJ from the table.

Total = combustion + process + electricity + heat, exports negative; biomass combustion is computed and
reported apart (``biomass_tco2``), never in the total (GB/T 32150 scope rule).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from dualcarbon.core.errors import DualcarbonError, InvalidInput, MissingCoefficient, UnitMismatch
from dualcarbon.core.units import conversion_factor, convert, parse_unit, same_dimension
from dualcarbon.reference.tables import ReferenceSet

#: Mass ratio CO₂ : C as the guidelines' formula writes it (44/12), GB/T 32150 / GB/T 32151 formula constant.
CO2_PER_CARBON: Final[float] = 44 / 12

# English names of the carbonates with a reference row; formulas (CaCO3, CaCO₃) and Chinese names (碳酸钙) are
# matched by the reference set itself (ReferenceSet.carbonate_factor).
_CARBONATE_NAMES: Final[dict[str, str]] = {
    "calcium carbonate": "CaCO3",
    "magnesium carbonate": "MgCO3",
}
SOURCES: Final[tuple[str, ...]] = ("combustion", "process", "electricity", "heat")
GRID_BASES: Final[tuple[str, ...]] = ("average", "excluding_market_nonfossil", "fossil", "reporting_default")


@dataclass(frozen=True)
class FactorUsed:
    """One parameter of an emission line, with where it came from.

    ``origin``: measured | given (input) · default (reference row ``source_row``) · derived · constant.
    ``verified`` is the reference row's flag, None for input values and arithmetic.
    """

    name: str
    value: float
    unit: str
    origin: str
    source: str = ""
    source_row: str | None = None
    verified: bool | None = None


@dataclass(frozen=True)
class EmissionLine:
    """One emission source line. ``tco2`` is signed (exports negative); ``biomass`` lines stay out of totals."""

    source: str  # combustion | process | electricity | heat
    direction: str  # consumed | purchased | exported
    label: str
    activity: float
    activity_unit: str
    tco2: float
    factors: tuple[FactorUsed, ...]
    biomass: bool = False
    notes: tuple[str, ...] = ()

    @property
    def unverified(self) -> tuple[FactorUsed, ...]:
        """Factors taken from reference rows that are not verified."""
        return tuple(f for f in self.factors if f.verified is False)


@dataclass(frozen=True)
class CarbonInventory:
    """Sum of emission lines (tCO₂). ``warnings`` name each line whose reference rows are unverified."""

    lines: tuple[EmissionLine, ...]
    warnings: tuple[str, ...]

    @property
    def by_source(self) -> dict[str, float]:
        totals = dict.fromkeys(SOURCES, 0.0)
        for line in self.lines:
            if not line.biomass:
                totals[line.source] += line.tco2
        return totals

    @property
    def total_tco2(self) -> float:
        return sum(self.by_source.values(), 0.0)

    @property
    def biomass_tco2(self) -> float:
        return sum((line.tco2 for line in self.lines if line.biomass), 0.0)

    @property
    def unverified_rows(self) -> tuple[str, ...]:
        rows = [f.source_row for line in self.lines for f in line.unverified if f.source_row]
        return tuple(dict.fromkeys(rows))


# ---- checks and units -------------------------------------------------------------------------------


def check_amount(value: float, field: str, *, positive: bool = False, at_most: float | None = None) -> None:
    """Raise ``InvalidInput`` on ``field`` unless ``value`` is finite, ≥ 0 (> 0 if positive), ≤ ``at_most``."""
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise InvalidInput(f"must be a finite number {'> 0' if positive else '≥ 0'}, got {value}", field=field)
    if at_most is not None and value > at_most:
        raise InvalidInput(f"must be a fraction between 0 and {at_most:g}, got {value}", field=field)


def _parsed(unit: str, field: str) -> str:
    try:
        parse_unit(unit)
    except UnitMismatch as exc:
        raise exc.at(field) from None
    return unit


def convert_at(value: float, unit: str, target: str, field: str) -> float:
    """``value`` from ``unit`` to ``target``; an unknown or wrong-kind unit is a ``UnitMismatch`` on ``field``."""
    _parsed(unit, field)
    try:
        return convert(value, unit, target)
    except UnitMismatch:
        raise UnitMismatch(f"'{unit}' cannot be converted to {target}", field=field) from None


_SPECIES = re.compile(r"^\s*(?P<mass>[A-Za-z吨千克公斤]*?)\s*(?P<species>CO2|CO₂|C)\s*/\s*(?P<per>\S.*)$")


def species_intensity(value: float, unit: str, species: str, target_per: str, field: str) -> float:
    """``value`` in ``unit`` (e.g. ``kgCO2/kWh``, ``tC/TJ``) as t``species`` per ``target_per``."""
    match = _SPECIES.match(unit)
    if match is None or match["species"].replace("₂", "2") != species or not match["mass"]:
        raise UnitMismatch(
            f"'{unit}' must be a mass of {species} per quantity, e.g. t{species}/{target_per}", field=field
        )
    return convert_at(value, f"{match['mass']}/({match['per']})", f"t/{target_per}", field)


def _required(value: str | None, field: str, example: str) -> str:
    if not value:
        raise InvalidInput(f"required with the value it qualifies (e.g. {example})", field=field)
    return value


# ---- fuel combustion ------------------------------------------------------------------------------


def fuel_combustion_co2(
    reference: ReferenceSet,
    carrier: str,
    quantity: float,
    unit: str,
    *,
    ncv: float | None = None,
    ncv_unit: str | None = None,
    carbon_content: float | None = None,
    carbon_content_unit: str | None = None,
    oxidation: float | None = None,
    biomass: bool = False,
) -> EmissionLine:
    """CO₂ of burning one fuel, GB/T 32150 / GB/T 32151: E = FC × NCV × CC × OF × 44/12 (tCO₂).

    ``ncv`` in energy per quantity (GJ/t, MJ/kg, GJ/万Nm³ …); ``carbon_content`` in tC/TJ or tC/GJ;
    ``oxidation`` a fraction 0–1. Each missing one takes the table default of the carrier. A biomass fuel
    may be named freely (no carrier row) when all three parameters are given.
    """
    check_amount(quantity, "quantity")
    _parsed(unit, "unit")
    # Check what the caller gave before looking anything up, so the message is about their input.
    for value, field in ((ncv, "ncv"), (carbon_content, "carbon_content")):
        if value is not None:
            check_amount(value, field, positive=True)
    if oxidation is not None:
        check_amount(oxidation, "oxidation", at_most=1.0)
    try:
        fuel = reference.carrier(carrier)
        label, is_biomass = fuel.name_zh, biomass or fuel.biomass
    except DualcarbonError as exc:
        if not biomass:
            raise exc.at("carrier") from None
        fuel, label, is_biomass = None, carrier, True
    defaults = None
    if ncv is None or carbon_content is None or oxidation is None:
        if fuel is None:
            raise InvalidInput(
                "a biomass fuel not in the carrier table needs ncv, carbon_content and oxidation", field="carrier"
            )
        defaults = reference.emission_defaults(fuel)

    def default(name: str, value: float, unit_text: str) -> FactorUsed:
        assert defaults is not None
        prov = defaults.provenance
        return FactorUsed(name, value, unit_text, "default", prov.source, defaults.row_id, prov.verified)

    if ncv is not None:
        ncv_unit = _required(ncv_unit, "ncv_unit", "GJ/t")
        ncv_f = FactorUsed("ncv", ncv, ncv_unit, "measured")
    else:
        assert defaults is not None
        ncv, ncv_unit = defaults.ncv, defaults.ncv_unit
        ncv_f = default("ncv", ncv, ncv_unit)
    parts = ncv_unit.split("/")
    if len(parts) != 2 or not same_dimension(_parsed(parts[0], "ncv_unit"), "GJ"):
        raise UnitMismatch(f"'{ncv_unit}' must be energy per quantity, e.g. GJ/t or GJ/万Nm³", field="ncv_unit")
    per = parts[1].strip()
    if not same_dimension(_parsed(per, "ncv_unit"), unit):
        raise UnitMismatch(
            f"'{unit}' does not fit the NCV unit '{ncv_unit}' (quantity must be like '{per}')", field="unit"
        )
    ncv_gj_per = convert(ncv, ncv_unit, f"GJ/{per}")
    activity_gj = quantity * conversion_factor(unit, per) * ncv_gj_per

    if carbon_content is not None:
        cc_unit = _required(carbon_content_unit, "carbon_content_unit", "tC/TJ or tC/GJ")
        cc_tc_per_gj = species_intensity(carbon_content, cc_unit, "C", "GJ", "carbon_content_unit")
        cc_f = FactorUsed("carbon_content", carbon_content, cc_unit, "measured")
    else:
        assert defaults is not None
        cc_tc_per_gj = convert(defaults.carbon_content_tc_per_tj, "t/TJ", "t/GJ")
        cc_f = default("carbon_content", defaults.carbon_content_tc_per_tj, "tC/TJ")

    if oxidation is not None:
        of_f = FactorUsed("oxidation", oxidation, "fraction", "measured")
    else:
        assert defaults is not None
        oxidation = defaults.oxidation_fraction
        of_f = default("oxidation", oxidation, "fraction")

    ef_tco2_per_gj = cc_tc_per_gj * oxidation * CO2_PER_CARBON
    factors = (
        ncv_f,
        cc_f,
        of_f,
        FactorUsed("co2_per_carbon", CO2_PER_CARBON, "tCO2/tC", "constant", "44/12, GB/T 32150 formula"),
        FactorUsed("emission_factor", ef_tco2_per_gj, "tCO2/GJ", "derived", "CC × OF × 44/12"),
        FactorUsed(
            "emission_factor_per_unit", ncv_gj_per * ef_tco2_per_gj, f"tCO2/{per}", "derived", "NCV × CC × OF × 44/12"
        ),
    )
    return EmissionLine(
        "combustion", "consumed", label, activity_gj, "GJ", activity_gj * ef_tco2_per_gj, factors, biomass=is_biomass
    )


# ---- process: carbonates ----------------------------------------------------------------------------


def carbonate_process_co2(
    reference: ReferenceSet,
    quantity: float,
    unit: str,
    *,
    mineral: str | None = None,
    factor_tco2_per_t: float | None = None,
    purity: float | None = None,
) -> EmissionLine:
    """CO₂ of carbonate decomposition: E = Q × purity × EF (tCO₂), GB/T 32150 过程排放.

    ``mineral`` (formula ``CaCO3``/``CaCO₃``, Chinese ``碳酸钙`` or English name) takes EF from the carbonate
    rows of ``emission_factors`` (EF-029 CaCO₃, EF-030 MgCO₃, in tCO₂/t, each with its source); any other
    carbonate needs ``factor_tco2_per_t``, which also wins when given. ``purity`` is the carbonate mass
    fraction of the material (default 1).
    """
    check_amount(quantity, "quantity")
    quantity_t = convert_at(quantity, unit, "t", "unit")
    if factor_tco2_per_t is not None:
        check_amount(factor_tco2_per_t, "factor", positive=True)
        factor = FactorUsed("carbonate_factor", factor_tco2_per_t, "tCO2/t", "given")
        label = mineral or "carbonate"
    else:
        if not mineral:
            raise InvalidInput("give 'mineral' (e.g. CaCO3, MgCO3) or an explicit 'factor' (tCO2/t)", field="mineral")
        name = mineral.strip()
        try:
            row = reference.carbonate_factor(_CARBONATE_NAMES.get(name.lower(), name))
        except MissingCoefficient:
            have = ", ".join(f.formula for f in reference.carbonate_factors()) or "none"
            raise InvalidInput(
                f"no reference factor for '{mineral}' (have: {have}); give 'factor' in tCO2/t", field="mineral"
            ) from None
        value = species_intensity(row.value, row.unit, "CO2", "t", "mineral")
        prov = row.provenance
        factor = FactorUsed("carbonate_factor", value, "tCO2/t", "default", prov.source, row.row_id, prov.verified)
        label = row.formula
    fraction = 1.0 if purity is None else purity
    check_amount(fraction, "purity", positive=True, at_most=1.0)
    factors = (factor, FactorUsed("purity", fraction, "fraction", "given" if purity is not None else "constant"))
    return EmissionLine("process", "consumed", label, quantity_t, "t", quantity_t * fraction * factor.value, factors)


# ---- purchased / exported electricity ---------------------------------------------------------------


def electricity_co2(
    reference: ReferenceSet,
    quantity: float,
    unit: str,
    *,
    year: int | None = None,
    region: str | None = None,
    basis: str | None = None,
    factor: float | None = None,
    factor_unit: str | None = None,
    green_quantity: float | None = None,
    green_evidence: str | None = None,
    exported: bool = False,
) -> EmissionLine:
    """CO₂ of purchased (or exported, negative) grid electricity: E = ± (AD − AD_green) × EF (tCO₂).

    AD in MWh from any energy unit (kWh, 万千瓦时 …). EF: ``factor`` in ``factor_unit`` (default tCO2/MWh)
    wins; else the grid factor of ``year``, ``region`` (default 全国) and ``basis`` (default average).
    ``green_quantity`` (same unit as ``quantity``) counts at zero only with ``green_evidence``.
    """
    check_amount(quantity, "quantity")
    mwh = convert_at(quantity, unit, "MWh", "unit")
    green_mwh = 0.0
    notes: list[str] = []
    if green_quantity is not None:
        check_amount(green_quantity, "green_quantity")
        if green_quantity > quantity:
            raise InvalidInput(f"cannot exceed quantity ({green_quantity} > {quantity})", field="green_quantity")
        if not (green_evidence or "").strip():
            raise InvalidInput(
                "green power counts at zero only with evidence (contract, GEC, settlement)", field="green_evidence"
            )
        green_mwh = mwh * green_quantity / quantity if quantity else 0.0
        notes.append(f"{green_mwh:g} MWh green power at 0 tCO2/MWh; evidence: {green_evidence}")
    if factor is not None:
        check_amount(factor, "factor")
        unit_text = factor_unit or "tCO2/MWh"
        value = species_intensity(factor, unit_text, "CO2", "MWh", "factor_unit")
        ef = FactorUsed("grid_factor", factor, unit_text, "given")
    else:
        if year is None:
            raise InvalidInput("give the data year of the grid emission factor, or 'factor'", field="year")
        grid_basis = basis or "average"
        if grid_basis not in GRID_BASES:
            raise InvalidInput(f"must be one of {', '.join(GRID_BASES)}, got '{grid_basis}'", field="basis")
        grid = reference.grid_factor(year, region or "全国", grid_basis)
        value = grid.value_tco2_per_mwh
        source = f"{grid.factor_type} {grid.label} {grid.region}: {grid.provenance.source}"
        ef = FactorUsed("grid_factor", value, "tCO2/MWh", "default", source, grid.row_id, grid.provenance.verified)
    sign = -1.0 if exported else 1.0
    factors: tuple[FactorUsed, ...] = (ef,)
    if green_quantity is not None:
        factors += (FactorUsed("green_quantity", green_mwh, "MWh", "given", green_evidence or ""),)
    return EmissionLine(
        "electricity",
        "exported" if exported else "purchased",
        "电力",
        mwh,
        "MWh",
        sign * (mwh - green_mwh) * value,
        factors,
        notes=tuple(notes),
    )


# ---- the inventory ----------------------------------------------------------------------------------------


def carbon_inventory(lines: Sequence[EmissionLine], *, names: Sequence[str] | None = None) -> CarbonInventory:
    """Sum emission lines into an inventory; ``names`` (e.g. ``fuels[0]``) prefix each line's warnings."""
    warnings: list[str] = []
    for index, line in enumerate(lines):
        name = names[index] if names is not None else line.label
        for factor in line.unverified:
            warnings.append(f"{name} ({line.label}): {factor.name} from row {factor.source_row} is not verified")
    return CarbonInventory(tuple(lines), tuple(warnings))
