"""Year-on-year change of a report's computed figures against the same period of the previous year.

Owns the list of headline figures (``YOY_FIGURES``: 综合能耗 当量值/等价值, CO₂, 万元增加值能耗) read from a
version's ``computed`` JSON, and :func:`year_on_year`. The caller picks the previous year's latest
approved version; a figure missing on either side gives no change, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.core.units import convert
from dualcarbon.reports.schemas import PreviousReport, YearOnYear, YearOnYearUnavailable, YoyItem

Json = dict[str, Any]


def _pick(path: tuple[str, ...]) -> Callable[[Json], float | None]:
    def get(figures: Json) -> float | None:
        node: Any = figures
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node if isinstance(node, int | float) and not isinstance(node, bool) else None

    return get


YOY_FIGURES: tuple[tuple[str, str, str, Callable[[Json], float | None]], ...] = (
    ("total_tce_equivalent", "综合能耗（当量值）", "tce", _pick(("energy", "equivalent", "total_tce"))),
    ("total_tce_equal", "综合能耗（等价值）", "tce", _pick(("energy", "equal", "total_tce"))),
    ("total_tco2", "二氧化碳排放量", "tCO2", _pick(("carbon", "total_tco2"))),
    (
        "tce_per_10k_yuan_value_added",
        "万元工业增加值能耗",
        "tce/万元",
        _pick(("intensity", "tce_per_10k_yuan_value_added")),
    ),
)


def _change(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100.0


def year_on_year(
    current: Json, previous: Json | None, previous_ref: PreviousReport | None = None
) -> YearOnYear | YearOnYearUnavailable:
    """Change against the same period of the previous year in % ((current − previous) / previous × 100).

    ``previous`` is the ``computed`` of that year's latest approved report (None when there is none);
    unit consumption is matched by benchmark row, else by product name.
    """
    if previous is None:
        return YearOnYearUnavailable(reason="no approved report for the same period of the previous year")
    items: list[YoyItem] = []
    for key, label, unit, get in YOY_FIGURES:
        now, before = get(current), get(previous)
        items.append(
            YoyItem(key=key, label=label, unit=unit, current=now, previous=before, change_pct=_change(now, before))
        )
    for output in current.get("outputs", []):
        match = next(
            (
                p
                for p in previous.get("outputs", [])
                if (output["benchmark_row_id"] and p.get("benchmark_row_id") == output["benchmark_row_id"])
                or (not output["benchmark_row_id"] and p.get("product") == output["product"])
            ),
            None,
        )
        before = None
        if match and match.get("unit_consumption") is not None and output["unit_consumption"] is not None:
            try:
                before = convert(
                    match["unit_consumption"], match["unit_consumption_unit"], output["unit_consumption_unit"]
                )
            except DualcarbonError:
                before = None
        items.append(
            YoyItem(
                key=f"outputs[{output['index']}].unit_consumption",
                label=f"{output['product']}单位产品综合能耗",
                unit=output["unit_consumption_unit"],
                current=output["unit_consumption"],
                previous=before,
                change_pct=_change(output["unit_consumption"], before),
            )
        )
    return YearOnYear(previous_report=previous_ref, items=items)
