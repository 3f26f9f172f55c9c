"""Shapes that cross the monitoring subject's boundary: meters, receipts, rollups (JSON contracts)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class MeterOut(BaseModel):
    """One meter of the register, as listed by ``dualcarbon meters list`` and the API."""

    id: int
    credit_code: str
    code: str
    carrier: str
    unit: str
    kind: str
    multiplier: float
    interval_minutes: int
    counter_max: float | None
    max_rate: float | None
    parent_code: str | None
    counted: bool
    data_item_code: str | None
    process_stage: str | None
    statistic_type: str
    input_type: str
    calibrated_until: date | None
    site_id: int | None
    production_unit_id: int | None
    #: ``energy``, or ``production`` (产量: ``carrier`` is "" and ``product`` names what is measured in ``unit``).
    measures: str = "energy"
    product: str | None = None


class MeterImportReceipt(BaseModel):
    """Result of ``dualcarbon meters import``: counts of meters created, updated and unchanged."""

    file: str
    rows: int
    created: int
    updated: int
    unchanged: int


class Problem(BaseModel):
    """A rejected reading: its row (1-based position in the batch or file, header not counted) and why —
    ``reason`` for programs and logs (``field: …``, English), ``reason_zh`` the same for a person."""

    row: int
    reason: str
    reason_zh: str | None = None


class IngestReceipt(BaseModel):
    """The receipt of every ingestion path (HTTP JSON or CSV, files, MQTT): the same keys everywhere.

    ``problems`` lists at most :data:`~dualcarbon.monitoring.service_ingest.MAX_PROBLEMS` rejected rows;
    ``rejected`` is always the full count.
    """

    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    problems: list[Problem] = Field(default_factory=list)


class RollupPeriod(BaseModel):
    """One period of a meter's rollup, labelled by its start in Asia/Shanghai time.

    ``energy`` in ``unit`` (after the multiplier) over the intervals that could be counted; ``tce`` by
    当量值, ``tce_equal`` by 等价值 (null when the period's year has no rate; see ``factors``), ``tco2``;
    ``completeness`` = counted intervals / expected intervals (0–1).
    """

    start: datetime
    energy: float | None
    unit: str
    tce: float | None
    tce_equal: float | None
    tco2: float | None
    completeness: float
    flags: list[str]
    #: Energy cost in yuan from the stored cost rows (:mod:`.service_cost`); null with ``cost_reason`` when no
    #: tariff applies or a price is missing.
    cost_yuan: float | None = None
    cost_reason: str | None = None


class FactorsUsed(BaseModel):
    """The conversion and emission factors of one year, per unit of the meter, with their reference rows."""

    year: int
    tce_per_unit: float | None
    tce_source_row: str | None
    tce_reason: str | None = None
    tce_equal_per_unit: float | None
    tce_equal_source_row: str | None
    tce_equal_reason: str | None = None
    tco2_per_unit: float | None
    tco2_source_rows: list[str] = Field(default_factory=list)
    tco2_note: str | None = None
    tco2_reason: str | None = None


class RollupResult(BaseModel):
    """``dualcarbon rollups show`` / ``GET /api/v1/meters/{id}/rollups``."""

    meter_id: int
    meter: str
    credit_code: str
    carrier: str
    interval: str
    start: date = Field(serialization_alias="from")
    to: date
    timezone: str = "Asia/Shanghai"
    periods: list[RollupPeriod]
    factors: list[FactorsUsed]
    reference_versions: dict[str, str]
    #: Tariff rows the costs come from (``electricity_tariffs_tou`` row ids); ``tariff_demo`` when they are the
    #: DEMO tariff (never official).
    tariff_rows: list[str] = Field(default_factory=list)
    tariff_demo: bool = False


class PrefillReport(BaseModel):
    """The enterprise's report of the period, when there is one."""

    id: int
    state: str
    version: int
    period: int  # the period number within the year (see reports.models.PeriodReport.period)


class PrefillLine(BaseModel):
    """One carrier: the monitoring total beside the report's energy line and the deviation (null + reason)."""

    carrier: str
    monitoring: float | None
    monitoring_unit: str | None
    monitoring_tce: float | None
    completeness: float | None
    flags: list[str]
    meters: int
    reported: float | None
    reported_unit: str | None
    monitoring_in_reported_unit: float | None
    deviation: float | None
    deviation_pct: float | None
    deviation_reason: str | None
    #: The same reason in Chinese.
    deviation_reason_zh: str | None = None


class PrefillResult(BaseModel):
    """``GET /api/v1/enterprises/{credit_code}/monitoring/prefill``: monitoring totals to prefill a report."""

    credit_code: str
    year: int
    month: int | None
    period_kind: str
    timezone: str
    report: PrefillReport | None
    #: The quality rule's completeness minimum (%, ``quality_completeness_min_pct``): below it a line has no
    #: deviation, only the reason.
    completeness_min_pct: float | None = None
    lines: list[PrefillLine]
