"""A period report's content in the store: the immutable rows of a ``PeriodReportVersion`` made from
:class:`~dualcarbon.reports.service_content.ReportContent` and back, its content hash, and the flat
field → value form that version diffs compare.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from dualcarbon.reports.models import Economics, EnergyLine, OutputLine, content_hash_of
from dualcarbon.reports.service_content import EconomicsIn, EnergyLineIn, OutputLineIn, ReportContent


def to_rows(content: ReportContent) -> tuple[list[EnergyLine], list[OutputLine], Economics | None]:
    """New (unsaved) store rows for normalised ``content``."""
    energy = [
        EnergyLine(
            carrier_id=line.carrier,
            quantity=float(line.quantity),
            unit=line.unit,
            use=line.use,
            ncv=line.ncv,
            ncv_unit=line.ncv_unit,
            reported_tce=line.reported_tce,
        )
        for line in content.energy_lines
    ]
    outputs = [
        OutputLine(
            production_unit_id=line.production_unit_id,
            product=line.product or "",
            benchmark_row_id=line.benchmark_row_id,
            quantity=float(line.quantity),
            unit=line.unit,
            reported_unit_consumption=line.reported_unit_consumption,
            unit_consumption_unit=line.unit_consumption_unit,
        )
        for line in content.outputs
    ]
    economics = None
    if content.economics is not None:
        e = content.economics
        economics = Economics(
            gross_output_10k_yuan=e.gross_output_10k_yuan,
            value_added_10k_yuan=e.value_added_10k_yuan,
            sales_revenue_10k_yuan=e.sales_revenue_10k_yuan,
            employees=e.employees,
            energy_cost_10k_yuan=e.energy_cost_10k_yuan,
        )
    return energy, outputs, economics


def content_hash(content: ReportContent) -> str:
    """The store's content hash (``content_hash_of``) of normalised ``content``."""
    return content_hash_of(*to_rows(content))


def from_rows(
    energy_lines: Sequence[EnergyLine], output_lines: Sequence[OutputLine], economics: Economics | None
) -> ReportContent:
    """The content of a stored version."""
    return ReportContent(
        energy_lines=[
            EnergyLineIn(
                carrier=line.carrier_id,
                quantity=line.quantity,
                unit=line.unit,
                use=line.use,
                ncv=line.ncv,
                ncv_unit=line.ncv_unit,
                reported_tce=line.reported_tce,
            )
            for line in energy_lines
        ],
        outputs=[
            OutputLineIn(
                production_unit_id=line.production_unit_id,
                product=line.product,
                benchmark_row_id=line.benchmark_row_id,
                quantity=line.quantity,
                unit=line.unit,
                reported_unit_consumption=line.reported_unit_consumption,
                unit_consumption_unit=line.unit_consumption_unit,
            )
            for line in output_lines
        ],
        economics=None
        if economics is None
        else EconomicsIn(
            gross_output_10k_yuan=economics.gross_output_10k_yuan,
            value_added_10k_yuan=economics.value_added_10k_yuan,
            sales_revenue_10k_yuan=economics.sales_revenue_10k_yuan,
            employees=economics.employees,
            energy_cost_10k_yuan=economics.energy_cost_10k_yuan,
        ),
    )


def flatten(content: ReportContent) -> dict[str, Any]:
    """Field path → value of every leaf (``energy_lines[0].quantity`` → 100.0), for version diffs."""
    flat: dict[str, Any] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")
        else:
            if isinstance(value, float) and math.isfinite(value) and value.is_integer():
                value = float(value)
            flat[path] = value

    walk(content.model_dump(), "")
    return flat
