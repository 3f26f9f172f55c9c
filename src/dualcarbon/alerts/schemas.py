"""Shapes that cross the alerts subject's boundary: service results and route answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class ForecastSeries(BaseModel):
    months: list[float | None]
    actual: list[bool]
    last_year: list[float | None]
    year_end: float | None
    ratio: float
    method: str


class ForecastResult(BaseModel):
    scope: str
    id: str
    name: str
    year: int
    as_of: date
    complete_months: int
    tce: ForecastSeries
    tco2: ForecastSeries


class BudgetStatus(BaseModel):
    credit_code: str
    year: int
    as_of: date
    budget_tce: float
    monthly_budget_tce: list[float]
    profile: str
    budget_to_date_tce: float
    actual_to_date_tce: float | None
    projected_year_end_tce: float | None
    measure: float | None  # budget ÷ projected year-end × 100 (%)
    level: str | None
    rule: str | None
    scheme: str
    clause: str | None
    lock_version: int


class AlertEventOut(BaseModel):
    at: datetime
    actor: str
    action: str
    comment: str | None


class AlertOut(BaseModel):
    id: int
    source: str
    source_key: str
    credit_code: str
    enterprise: str
    region_code: str
    meter_id: int | None
    level: str
    state: str
    title_zh: str
    detail: dict[str, Any]
    occurrences: int
    first_seen: datetime
    last_seen: datetime
    closed_at: datetime | None
    lock_version: int
    events: list[AlertEventOut] = []


class EvaluationSummary(BaseModel):
    date: date
    enterprises: int
    opened: int
    seen_again: int
    by_source: dict[str, int]
    deliveries_queued: int


class SubscriptionOut(BaseModel):
    id: int
    channel: str
    target: str | None
    min_level: str
    sources: list[str]
    created_at: datetime
    secret: str | None = None  # shown once, when a webhook subscription is created


class DeliveryRun(BaseModel):
    sent: int
    retried: int
    failed: int


class UploadStatus(BaseModel):
    endpoint: str
    pending: int
    acknowledged: int
    oldest_pending: datetime | None
    last_error: str | None


class UploadRun(BaseModel):
    built: int
    sent: int
    acknowledged: int
    retried: int
    pruned: int


class RegionLevels(BaseModel):
    """Watched enterprises of a region per warning level (the level scheme of the packs for the region)."""

    region_code: str
    scheme: str
    scheme_title_zh: str
    clause: str
    clause_en: str | None = None  # the pack's English rendering of ``clause`` (the Chinese governs)
    document: str
    levels: list[str]  # mildest first
    levels_zh: dict[str, str]
    counts: dict[str, int]
    enterprises: int
