"""Per-unit factors of a meter for one year: tce by 当量值 and 等价值, and tCO₂, with their reference rows.

Conversion and emission are linear in the quantity, so the factor per unit of the meter is the domain
result for a quantity of 1 (GB/T 2589 via :func:`dualcarbon.domain.energy.convert_line`; CO₂ via
:mod:`dualcarbon.domain.carbon`; the grid factor chosen like the report figures do, by
:func:`dualcarbon.reports.service_compute.choose_grid_factor`: the province's of the year, else national,
else the nearest published year, with a note). A factor that cannot be found is None with the reason.
"""

from __future__ import annotations

from functools import lru_cache

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.domain import carbon
from dualcarbon.domain.energy import convert_line
from dualcarbon.domain.energy_coefficients import electricity_equal_value
from dualcarbon.domain.energy_lines import EnergyLine
from dualcarbon.monitoring.schemas import FactorsUsed
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.reports.service_compute import choose_grid_factor


def factors_for(
    reference: ReferenceSet, carrier_id: str, unit: str, year: int, province_name: str | None
) -> FactorsUsed:
    """tce (当量值, 等价值) and tCO₂ per one ``unit`` of ``carrier_id`` in ``year``."""
    return _cached(reference, carrier_id, unit, year, province_name).model_copy()


@lru_cache(maxsize=512)
def _cached(reference: ReferenceSet, carrier_id: str, unit: str, year: int, province_name: str | None) -> FactorsUsed:
    out = FactorsUsed(
        year=year,
        tce_per_unit=None,
        tce_source_row=None,
        tce_equal_per_unit=None,
        tce_equal_source_row=None,
        tco2_per_unit=None,
    )
    if not carrier_id:
        # A production (产量) meter has no carrier (monitoring/models.py Meter.measures): its rollups keep the
        # quantity produced and never get tce or CO₂, so it cannot leak into any energy or emission sum.
        out.tce_reason = out.tce_equal_reason = out.tco2_reason = "production meter (产量): not energy"
        return out
    line = EnergyLine(carrier_id, 1.0, unit)
    carrier = reference.carrier(carrier_id)
    try:
        converted, _ = convert_line(line, reference, basis="equivalent")
        out.tce_per_unit, out.tce_source_row = converted.tce, converted.source_row
    except DualcarbonError as exc:
        out.tce_reason = str(exc)
    try:
        equal = electricity_equal_value(reference, year=year) if carrier.kind == "electricity" else None
        converted, _ = convert_line(line, reference, basis="equal", electricity_equal=equal)
        out.tce_equal_per_unit, out.tce_equal_source_row = converted.tce, converted.source_row
    except DualcarbonError as exc:
        out.tce_equal_reason = str(exc)
    try:
        if carrier.kind == "electricity":
            grid, note = choose_grid_factor(reference, year, province_name)
            emission = carbon.electricity_co2(reference, 1.0, unit, year=grid.year, region=grid.region)
            out.tco2_note = note
        elif carrier.kind == "fuel":
            emission = carbon.fuel_combustion_co2(reference, carrier_id, 1.0, unit)
        else:
            out.tco2_reason = f"{carrier.name_zh} ({carrier.kind}): no CO₂ factor per unit in the monitoring rollups"
            return out
        out.tco2_per_unit = emission.tco2
        out.tco2_source_rows = sorted({f.source_row for f in emission.factors if f.source_row})
    except DualcarbonError as exc:
        out.tco2_reason = str(exc)
    return out
