"""The catalog reads a report's computed figures through the typed schema (brief 8 item 6).

``line_value`` takes the unit consumption of an output line from the report's ``computed`` document as
``reports.schemas.computed_of`` types it (not by string keys), and when the report computed none it says
why — that reason reaches the generation's skipped lines.
"""

from __future__ import annotations

from typing import Any

import pytest

from dualcarbon.catalog.service_evidence import line_value
from dualcarbon.reference import ReferenceSet, load_reference
from dualcarbon.reports.models import OutputLine, PeriodReportVersion
from dualcarbon.reports.service_compute import compute_figures
from dualcarbon.reports.service_content import parse_content

COAL = {"carrier": "原煤", "quantity": 1000, "unit": "t"}
CLINKER = {"product": "水泥熟料", "benchmark_row_id": "BM2023-061", "quantity": 500_000, "unit": "t"}


@pytest.fixture(scope="module")
def reference() -> ReferenceSet:
    return load_reference()


def _version(content: dict[str, Any], reference: ReferenceSet) -> tuple[PeriodReportVersion, list[OutputLine]]:
    computed = compute_figures(parse_content(content), reference, year=2024, province_name=None, tolerance_pct=5)
    lines = [
        OutputLine(product=o["product"], benchmark_row_id=o.get("benchmark_row_id"), quantity=o["quantity"], unit="t")
        for o in content["outputs"]
    ]
    return PeriodReportVersion(computed=computed), lines


def test_the_computed_unit_consumption_is_used_when_none_is_reported(reference: ReferenceSet) -> None:
    version, lines = _version({"energy_lines": [COAL], "outputs": [CLINKER]}, reference)
    found = line_value(lines[0], version, 0)
    # 1,000 t 原煤 × 0.7143 kgce/kg (CC-002) = 714.3 tce; 714.3 tce ÷ 500,000 t = 1.4286 kgce/t
    assert found.source == "computed" and found.unit == "kgce/t"
    assert found.value == pytest.approx(1.4286, abs=1e-4)
    assert found.reason is None


def test_no_computed_figure_carries_the_reports_reason(reference: ReferenceSet) -> None:
    cement = {"product": "水泥", "quantity": 10, "unit": "t"}
    version, lines = _version({"energy_lines": [COAL], "outputs": [CLINKER, cement]}, reference)
    found = line_value(lines[0], version, 0)
    assert (found.value, found.source) == (None, None)
    assert found.reason == "several products share one energy account; the report does not split it by product"


def test_a_reported_value_wins(reference: ReferenceSet) -> None:
    version, lines = _version({"energy_lines": [COAL], "outputs": [CLINKER]}, reference)
    lines[0].reported_unit_consumption, lines[0].unit_consumption_unit = 118.0, "kgce/t"
    assert line_value(lines[0], version, 0).value == 118.0
    empty = PeriodReportVersion(computed={})
    assert line_value(OutputLine(product="x", quantity=1, unit="t"), empty, 0).reason == (
        "the report version has no computed figures"
    )
