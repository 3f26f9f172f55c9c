"""The ``carbon`` JSON contract: activity data in, a CO₂ inventory (GB/T 32150 structure) out.

Input and output fields, with examples: docs/contracts-energy-carbon.md#carbon.
The computations are in :mod:`dualcarbon.domain.carbon` and :mod:`dualcarbon.domain.heat`; this module
validates the payload, calls one domain function per line, and shapes the result (tCO₂ rounded to 6
decimals, i.e. to 1 gCO₂).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from dualcarbon.calc.contract import Strict, parse
from dualcarbon.core.errors import DualcarbonError, InvalidInput
from dualcarbon.domain.carbon import (
    CarbonInventory,
    EmissionLine,
    carbon_inventory,
    carbonate_process_co2,
    electricity_co2,
    fuel_combustion_co2,
)
from dualcarbon.domain.heat import heat_energy_co2, hot_water_co2, steam_co2
from dualcarbon.reference.tables import ReferenceSet

DECIMALS = 6


class Fuel(Strict):
    carrier: str
    quantity: float
    unit: str
    ncv: float | None = None
    ncv_unit: str | None = None
    carbon_content: float | None = None
    carbon_content_unit: str | None = None
    oxidation: float | None = None
    biomass: bool = False


class ExportedElectricity(Strict):
    quantity: float
    unit: str
    year: int | None = None
    region: str | None = None
    basis: str | None = None
    factor: float | None = None
    factor_unit: str | None = None


class Electricity(ExportedElectricity):
    green: bool = False
    green_quantity: float | None = None
    green_evidence: str | None = None


class Steam(Strict):
    mass: float
    mass_unit: str
    enthalpy_kj_per_kg: float


class HotWater(Strict):
    mass: float
    mass_unit: str
    temperature_c: float


class Heat(Strict):
    """Exactly one of: ``quantity`` + ``unit`` (an energy), ``steam``, ``hot_water``."""

    quantity: float | None = None
    unit: str | None = None
    steam: Steam | None = None
    hot_water: HotWater | None = None
    factor: float | None = None
    factor_unit: str | None = None


class Carbonate(Strict):
    mineral: str | None = None
    factor: float | None = None
    quantity: float
    unit: str
    purity: float | None = None


class Exports(Strict):
    electricity: ExportedElectricity | None = None
    heat: Heat | None = None


class CarbonInput(Strict):
    year: int | None = None
    region: str | None = None
    fuels: list[Fuel] = Field(default_factory=list)
    electricity: Electricity | None = None
    heat: Heat | None = None
    carbonates: list[Carbonate] = Field(default_factory=list)
    exports: Exports | None = None


def _heat_line(heat: Heat, reference: ReferenceSet, *, exported: bool) -> EmissionLine:
    forms = [
        name
        for name, present in (
            ("quantity", heat.quantity is not None),
            ("steam", heat.steam is not None),
            ("hot_water", heat.hot_water is not None),
        )
        if present
    ]
    if len(forms) != 1:
        raise InvalidInput(f"give exactly one of quantity+unit, steam, hot_water (got {', '.join(forms) or 'none'})")
    common: dict[str, Any] = {"factor": heat.factor, "factor_unit": heat.factor_unit, "exported": exported}
    if heat.steam is not None:
        try:
            return steam_co2(reference, heat.steam.mass, heat.steam.mass_unit, heat.steam.enthalpy_kj_per_kg, **common)
        except DualcarbonError as exc:
            raise _locate_heat_error(exc, "steam") from None
    if heat.hot_water is not None:
        water = heat.hot_water
        try:
            return hot_water_co2(reference, water.mass, water.mass_unit, water.temperature_c, **common)
        except DualcarbonError as exc:
            raise _locate_heat_error(exc, "hot_water") from None
    assert heat.quantity is not None
    if not heat.unit:
        raise InvalidInput("required with quantity (GJ, MJ, Gcal …)", field="unit")
    return heat_energy_co2(reference, heat.quantity, heat.unit, **common)


def _locate_heat_error(exc: DualcarbonError, form: str) -> DualcarbonError:
    """Mass/enthalpy/temperature errors belong to the steam/hot_water object; factor errors to heat."""
    if exc.field and exc.field.split(".")[0] in ("mass", "mass_unit", "enthalpy_kj_per_kg", "temperature_c"):
        return exc.at(form)
    return exc


def _electricity_line(
    item: ExportedElectricity, request: CarbonInput, reference: ReferenceSet, *, exported: bool
) -> EmissionLine:
    green_quantity = green_evidence = None
    if isinstance(item, Electricity):
        green_quantity, green_evidence = item.green_quantity, item.green_evidence
        if item.green:
            if item.green_quantity is not None:
                raise InvalidInput("give either green: true or green_quantity, not both", field="green_quantity")
            green_quantity = item.quantity
    return electricity_co2(
        reference,
        item.quantity,
        item.unit,
        year=item.year if item.year is not None else request.year,
        region=item.region or request.region,
        basis=item.basis,
        factor=item.factor,
        factor_unit=item.factor_unit,
        green_quantity=green_quantity,
        green_evidence=green_evidence,
        exported=exported,
    )


def _located(name: str, make: Callable[..., EmissionLine], *args: Any, **kwargs: Any) -> EmissionLine:
    try:
        return make(*args, **kwargs)
    except DualcarbonError as exc:
        raise exc.at(name) from None


def compute(request: CarbonInput, reference: ReferenceSet) -> tuple[CarbonInventory, list[str]]:
    """One emission line per input line; returns the inventory and the field path of each line."""
    calls: list[tuple[str, Callable[..., EmissionLine], tuple[Any, ...], dict[str, Any]]] = []
    for index, fuel in enumerate(request.fuels):
        extra = fuel.model_dump(
            include={"ncv", "ncv_unit", "carbon_content", "carbon_content_unit", "oxidation", "biomass"}
        )
        calls.append(
            (f"fuels[{index}]", fuel_combustion_co2, (reference, fuel.carrier, fuel.quantity, fuel.unit), extra)
        )
    for index, item in enumerate(request.carbonates):
        extra = {"mineral": item.mineral, "factor_tco2_per_t": item.factor, "purity": item.purity}
        calls.append((f"carbonates[{index}]", carbonate_process_co2, (reference, item.quantity, item.unit), extra))
    if request.electricity is not None:
        calls.append(("electricity", _electricity_line, (request.electricity, request, reference), {"exported": False}))
    if request.heat is not None:
        calls.append(("heat", _heat_line, (request.heat, reference), {"exported": False}))
    exports = request.exports or Exports()
    if exports.electricity is not None:
        calls.append(
            ("exports.electricity", _electricity_line, (exports.electricity, request, reference), {"exported": True})
        )
    if exports.heat is not None:
        calls.append(("exports.heat", _heat_line, (exports.heat, reference), {"exported": True}))
    lines = [_located(name, make, *args, **kwargs) for name, make, args, kwargs in calls]
    names = [name for name, *_ in calls]
    return carbon_inventory(lines, names=names), names


def _line(line: EmissionLine, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "field": name,
        "source": line.source,
        "direction": line.direction,
        "label": line.label,
        "activity": line.activity,
        "activity_unit": line.activity_unit,
        "tco2": round(line.tco2, DECIMALS),
        "biomass": line.biomass,
        "factors": [
            {
                "name": f.name,
                "value": f.value,
                "unit": f.unit,
                "origin": f.origin,
                "source": f.source,
                "source_row": f.source_row,
                "verified": f.verified,
            }
            for f in line.factors
        ],
        "notes": list(line.notes),
    }
    if line.source == "combustion":
        out["parameters"] = {f.name: f.origin for f in line.factors if f.name in ("ncv", "carbon_content", "oxidation")}
    return out


def to_json(inventory: CarbonInventory, names: list[str]) -> dict[str, Any]:
    """The JSON shape of a :class:`CarbonInventory`."""
    return {
        "total_tco2": round(inventory.total_tco2, DECIMALS),
        "by_source": {key: round(value, DECIMALS) for key, value in inventory.by_source.items()},
        "biomass_tco2": round(inventory.biomass_tco2, DECIMALS),
        "lines": [_line(line, name) for line, name in zip(inventory.lines, names, strict=True)],
        "warnings": list(inventory.warnings),
        "unverified_rows": list(inventory.unverified_rows),
    }


def run(payload: object, reference: ReferenceSet) -> dict[str, Any]:
    """Validate ``payload`` (see docs), compute the CO₂ inventory, return the JSON-serialisable result."""
    request = parse(CarbonInput, payload)
    inventory, names = compute(request, reference)
    return to_json(inventory, names)
