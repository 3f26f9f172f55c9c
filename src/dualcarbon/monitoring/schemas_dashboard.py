"""Shapes of the monitoring dashboards' figures (:mod:`.service_dashboard`): JSON-ready, units in the names."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class SeriesPoint(BaseModel):
    """One period (labelled by its Asia/Shanghai start) of a summed series."""

    start: datetime
    value: float


class Intensity(BaseModel):
    """tCO₂ per 万元 of value added (工业增加值) of a report year. ``status``: ``ok``, ``partial`` (monitoring
    covers ``coverage`` of the year), ``no_value_added`` (no report states it), ``no_co2``; ``note`` says so."""

    status: str = "ok"
    coverage: float | None = None
    year: int | None = None
    value_added_10k_yuan: float | None = None
    tco2: float | None = None
    tco2_per_10k_yuan: float | None = None
    note: str | None = None


class FlowLink(BaseModel):
    """One link of the energy-flow Sankey, in tce (当量值)."""

    source: str
    target: str
    tce: float


class FlowNode(BaseModel):
    """One node of the Sankey: ``name`` (Chinese, as in :class:`FlowLink`) and what it is, so a page can show it
    in another language — ``purchase`` of a ``carrier`` (reference id), a ``meter`` (code, GB 17167 process
    ``stage`` or null), or the ``loss`` (损耗及未计量) of a parent."""

    name: str
    kind: str
    carrier: str | None = None
    meter: str | None = None
    stage: str | None = None


class CostSummary(BaseModel):
    """Energy cost of the last ``days`` days: total, the share of the time-of-use energy in each band, and the
    saving of shifting ``shift_pct`` % of the 峰 + 尖峰 energy to 谷; ``demo`` when a DEMO tariff was used."""

    days: int
    cost_yuan: float | None = None
    band_shares: dict[str, float] = Field(default_factory=dict)
    shift_pct: float | None = None
    shift_saving_yuan: float | None = None
    demo: bool = False
    reason: str | None = None
    #: The same reason in Chinese: carrier, region and year, and how an administrator fixes it.
    reason_zh: str | None = None


class EnterpriseDashboard(BaseModel):
    credit_code: str
    name: str
    as_of: datetime
    meters: int
    live_tce: list[SeriesPoint]
    live_tco2: list[SeriesPoint]
    latest_hour: datetime | None
    calendar_tce: list[SeriesPoint]
    co2_daily: list[SeriesPoint]
    intensity: Intensity
    flows: list[FlowLink]
    cost: CostSummary
    flow_nodes: list[FlowNode] = Field(default_factory=list)


class TotalRow(BaseModel):
    """Totals of a district or a sector (GB/T 4754 大类)."""

    key: str
    name: str  # a sector's GB/T 4754 name, or its code when the shipped table has no name for it (named False)
    named: bool = True
    enterprises: int = 0
    tce: float = 0.0
    tco2: float = 0.0


class EnterpriseRow(BaseModel):
    credit_code: str
    name: str
    district: str
    sector: str  # the enterprise's GB/T 4754 code
    sector_name: str | None = None  # the name of its 大类, None when the shipped table has none
    tce: float | None
    tco2: float | None
    cost_yuan: float | None
    status: str  # no_data | quality_failed | ok


class RegionDashboard(BaseModel):
    code: str
    name: str
    date_from: date
    date_to: date
    enterprises: int
    by_district: list[TotalRow]
    by_sector: list[TotalRow]
    unnamed_sectors: list[str] = []  # 大类 codes without a name in reference/data/industry_divisions_gbt4754.csv
    status_counts: dict[str, int]
    page: int
    size: int
    rows: list[EnterpriseRow]
