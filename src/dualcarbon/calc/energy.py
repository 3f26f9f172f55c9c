"""The ``energy`` JSON contract: an energy account in, 综合能耗 (GB/T 2589-2020) out.

Input and output fields, with examples: docs/contracts-energy-carbon.md#energy.
The computation is :func:`dualcarbon.domain.energy.comprehensive_energy`; this module only validates the
payload and shapes the result as JSON (amounts rounded to 6 decimals, i.e. to 1 gce).
"""

from __future__ import annotations

from typing import Any, Literal

from dualcarbon.calc.contract import Strict, parse
from dualcarbon.domain.energy import comprehensive_energy
from dualcarbon.domain.energy_lines import ComprehensiveEnergy, ConvertedLine, EnergyLine
from dualcarbon.reference.tables import ReferenceSet

DECIMALS = 6


class EnergyItem(Strict):
    """One carrier line of the account."""

    carrier: str
    quantity: float
    unit: str
    ncv: float | None = None
    ncv_unit: str | None = None
    coefficient: float | None = None
    coefficient_unit: str | None = None
    use: Literal["fuel", "feedstock", "conversion", "sold"] = "fuel"


class EnergyInput(Strict):
    """The whole request: basis, the year or rate for 等价值, the lines."""

    basis: Literal["equivalent", "equal"] = "equivalent"
    year: int | None = None
    equal_rate: float | None = None
    equal_rate_unit: str | None = None
    items: list[EnergyItem]


def _item(line: ConvertedLine) -> dict[str, Any]:
    given = line.line
    return {
        "carrier": given.carrier,
        "quantity": given.quantity,
        "unit": given.unit,
        "use": given.use,
        "ncv": given.ncv,
        "ncv_unit": given.ncv_unit,
        "carrier_id": line.carrier_id,
        "carrier_name": line.carrier_name,
        "tce": round(line.tce, DECIMALS),
        "coefficient": line.coefficient,
        "coefficient_unit": line.coefficient_unit,
        "coefficient_basis": line.coefficient_basis,
        "source": line.source,
        "source_row": line.source_row,
        "verified": line.verified,
        "confidence": line.confidence,
    }


def to_json(result: ComprehensiveEnergy) -> dict[str, Any]:
    """The JSON shape of a :class:`ComprehensiveEnergy`."""
    return {
        "basis": result.basis,
        "total_tce": round(result.total_tce, DECIMALS),
        "fuel_tce": round(result.fuel_tce, DECIMALS),
        "feedstock_tce": round(result.feedstock_tce, DECIMALS),
        "conversion_tce": round(result.conversion_tce, DECIMALS),
        "sold_tce": round(result.sold_tce, DECIMALS),
        "total_excluding_feedstock_tce": round(result.total_excluding_feedstock_tce, DECIMALS),
        "items": [_item(line) for line in result.lines],
        "warnings": list(result.warnings),
        "unverified_rows": list(result.unverified_rows),
    }


def run(payload: object, reference: ReferenceSet) -> dict[str, Any]:
    """Validate ``payload`` (see docs), compute 综合能耗, return the JSON-serialisable result."""
    request = parse(EnergyInput, payload)
    lines = [
        EnergyLine(
            carrier=item.carrier,
            quantity=item.quantity,
            unit=item.unit,
            use=item.use,
            ncv=item.ncv,
            ncv_unit=item.ncv_unit,
            coefficient=item.coefficient,
            coefficient_unit=item.coefficient_unit,
        )
        for item in request.items
    ]
    result = comprehensive_energy(
        lines,
        reference,
        basis=request.basis,
        year=request.year,
        equal_rate=request.equal_rate,
        equal_rate_unit=request.equal_rate_unit,
    )
    return to_json(result)
