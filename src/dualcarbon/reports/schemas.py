"""Typed results of the reports services: what the API returns and the pages and other subjects read.

A report as a list row (:class:`ReportSummary`) and in full (:class:`ReportDetail`: content, computed
figures, deviations, the reported-vs-computed table, year on year, versions and reviews), the version diff,
deadlines, overdue enterprises and the receipt of a workbook import. :class:`ComputedFigures` is the JSON
kept in ``PeriodReportVersion.computed`` (written by :mod:`dualcarbon.reports.service_compute`); read a
stored one with :func:`computed_of`.

JSON keys are the API's contract: do not rename fields. Times are ISO 8601 strings, dates ``YYYY-MM-DD``,
as the API has always written them. Where a part may be unavailable (an energy basis, the carbon inventory,
year on year) it is a union of the figures (``available: true``) and the reason (``available: false``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.reports.service_content import ReportContent

__all__ = ["ReportContent"]  # the content, as part of the detail below

#: A value compared by the version diff: content fields are text, numbers, flags or empty.
DiffValue = str | float | int | bool | None


class Schema(BaseModel):
    """A result handed out by a reports service."""

    model_config = ConfigDict(extra="forbid")


# ---- the computed figures (stored JSON) ---------------------------------------------------------------
class Unavailable(Schema):
    """A figure that could not be computed, and why (e.g. a year without 供电煤耗)."""

    available: Literal[False] = False
    reason: str
    error: str = Field(description="the error's class, e.g. MissingCoefficient")


class EnergyLineFigure(Schema):
    """One energy line converted to tce, with the coefficient used and where it comes from."""

    index: int
    carrier_id: str
    carrier_name: str
    use: str
    tce: float
    coefficient: float
    coefficient_unit: str
    coefficient_basis: str
    source: str
    source_row: str | None


class EnergyFigures(Schema):
    """综合能耗 on one basis (当量值 or 等价值), in tce."""

    available: Literal[True] = True
    total_tce: float
    fuel_tce: float
    feedstock_tce: float
    conversion_tce: float
    sold_tce: float
    excluding_feedstock_tce: float
    lines: list[EnergyLineFigure]
    warnings: list[str]
    unverified_rows: list[str]


EnergyBasis = EnergyFigures | Unavailable


class EnergyByBasis(Schema):
    equivalent: EnergyBasis = Field(description="当量值")
    equal: EnergyBasis = Field(description="等价值 (with the year's 供电煤耗)")


class GridFactorUsed(Schema):
    region: str
    scope: str
    year: int | None
    value_tco2_per_mwh: float
    row_id: str
    note: str


class CarbonLine(Schema):
    index: int
    source: str
    direction: str
    label: str
    tco2: float


class OmittedLine(Schema):
    """An energy line the carbon method cannot cover, and why."""

    index: int
    carrier_id: str
    reason: str


class CarbonFigures(Schema):
    """CO₂ of the period in tCO₂ (GB/T 32150): by source, the grid factor used, lines and omissions."""

    available: Literal[True] = True
    total_tco2: float
    by_source: dict[str, float]
    biomass_tco2: float
    grid: GridFactorUsed
    lines: list[CarbonLine]
    omitted: list[OmittedLine]
    complete: bool
    warnings: list[str]


class OutputFigure(Schema):
    """单位产品综合能耗 of one output line; ``reason`` says why it is missing."""

    index: int
    product: str | None
    benchmark_row_id: str | None
    quantity: float
    unit: str
    unit_consumption: float | None
    unit_consumption_unit: str
    basis: str
    reason: str | None


class IntensityFigures(Schema):
    basis: str
    tce_per_10k_yuan_value_added: float | None
    tce_per_10k_yuan_gross_output: float | None


class Deviation(Schema):
    """A reported figure against the computed one; flagged beyond the tolerance (or when not comparable)."""

    field: str = Field(description="the content field reported, e.g. energy_lines[2].reported_tce")
    label: str
    reported: float
    computed: float
    unit: str
    deviation_pct: float | None
    flagged: bool


class ComputedFigures(Schema):
    """Everything computed for one version (kept as ``PeriodReportVersion.computed``)."""

    schema_: int = Field(alias="schema", description="version of this document's layout")
    year: int
    reference_versions: dict[str, str]
    energy: EnergyByBasis
    carbon: CarbonFigures | Unavailable
    outputs: list[OutputFigure]
    intensity: IntensityFigures
    tolerance_pct: float
    deviations: list[Deviation]
    has_flagged_deviation: bool

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


def computed_of(stored: Mapping[str, Any]) -> ComputedFigures:
    """The typed figures of a version's stored ``computed`` JSON."""
    return ComputedFigures.model_validate(stored)


# ---- a report -----------------------------------------------------------------------------------------
class ReportSummary(Schema):
    """One list row: identity, period, state, and the headline computed figures of the current version."""

    id: int
    credit_code: str
    enterprise_name: str
    region_code: str
    period_kind: str
    year: int
    period: int
    period_label: str
    state: str
    state_label: str
    state_label_en: str
    version: int
    created_at: str | None
    submitted_at: str | None
    approved_at: str | None
    total_tce_equivalent: float | None
    total_tce_equal: float | None
    total_tco2: float | None
    tce_per_10k_yuan_value_added: float | None
    has_flagged_deviation: bool


class FigureRow(Schema):
    """A row of the reported | computed table of the review screen."""

    key: str
    label: str
    unit: str
    reported: float | None
    computed: float | None
    deviation_pct: float | None
    flagged: bool


class OutputFigureRow(FigureRow):
    """A unit-consumption row, with why the computed figure is missing."""

    note: str | None


class YoyItem(Schema):
    key: str
    label: str
    unit: str
    current: float | None
    previous: float | None
    change_pct: float | None = Field(description="(current − previous) / |previous| × 100")


class PreviousReport(Schema):
    """The approved version year on year compares with."""

    report_id: int
    version: int
    year: int


class YearOnYear(Schema):
    available: Literal[True] = True
    previous_report: PreviousReport | None
    items: list[YoyItem]


class YearOnYearUnavailable(Schema):
    available: Literal[False] = False
    reason: str


class VersionItem(Schema):
    version: int
    created_at: str | None
    created_by: str | None = Field(description="username")
    content_hash: str


class ReviewItem(Schema):
    """One step of the review history."""

    action: str
    action_label: str
    version: int
    comment: str | None
    actor: str | None = Field(description="username")
    at: str | None


class ReportDetail(ReportSummary):
    """The report as a reviewer sees it: content, computed figures beside it, deviations (at the tolerance
    of the reference data now), year on year, versions and review history."""

    deadline: str | None = Field(description="the deadline that applies to the enterprise's region")
    content: ReportContent
    computed: ComputedFigures
    tolerance_pct: float
    deviations: list[Deviation]
    figures: list[OutputFigureRow | FigureRow]
    year_on_year: YearOnYear | YearOnYearUnavailable
    versions: list[VersionItem]
    reviews: list[ReviewItem]


class SavedReport(ReportDetail):
    """The report after a save: ``new_version`` False when the content was unchanged."""

    new_version: bool


class ReportImportReceipt(Schema):
    """What a workbook import did, and the report as it is now."""

    kind: Literal["annual", "survey"]
    created: bool
    new_version: bool
    ignored_rows: int
    report: ReportDetail


# ---- versions compared ----------------------------------------------------------------------------------
class VersionRef(Schema):
    version: int
    content_hash: str
    created_at: str | None


class FieldChange(Schema):
    field: str = Field(description="content path or computed.<figure>")
    a: DiffValue
    b: DiffValue


class VersionDiff(Schema):
    """Field-by-field differences between two versions of a report (content and key figures)."""

    report_id: int
    a: VersionRef
    b: VersionRef
    identical: bool
    changes: list[FieldChange]


# ---- periods --------------------------------------------------------------------------------------------
class DeadlineOut(Schema):
    """The deadline of a reporting period set for a region."""

    region_code: str
    period_kind: str
    year: int
    period: int
    period_label: str
    deadline: str


class DeadlineList(Schema):
    items: list[DeadlineOut]
    total: int


class OverdueOut(Schema):
    """An enterprise missing the report of a period after its deadline (``report_id``: its unfiled draft)."""

    credit_code: str
    name: str
    region_code: str
    period_kind: str
    year: int
    period: int
    period_label: str
    deadline: str
    days_overdue: int
    report_id: int | None
    state: str | None
