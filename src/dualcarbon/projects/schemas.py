"""Typed inputs and results of the project library services: projects, plans, shares, totals, verification.

JSON keys are the API's contract. Inputs forbid unknown keys and non-finite numbers.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.core.vocab import ProjectOrigin, ProjectState, ProjectType


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MilestoneIn(_In):
    name: str = Field(min_length=1, max_length=200)
    due: date | None = None
    done: bool = False


class ProjectIn(_In):
    """A project entered directly, or from an accepted measure (``measure_id``) or a catalog entry."""

    credit_code: str | None = Field(default=None, description="required when neither measure nor entry is given")
    measure_id: int | None = Field(default=None, ge=1, description="an accepted report's measure")
    catalog_entry_id: int | None = Field(default=None, ge=1, description="the 基准以下 catalog entry to lift")
    name: str | None = Field(default=None, max_length=200, description="defaults to the measure's description")
    project_type: ProjectType | None = None
    investment_yuan: float | None = Field(default=None, ge=0)
    saving_tce_per_year: float | None = Field(default=None, ge=0)
    saving_tco2_per_year: float | None = Field(default=None, ge=0)
    start_date: date | None = None
    deadline: date | None = Field(
        default=None, description="for a 基准以下 entry: defaults to listing + the policy pack's maximum years"
    )
    demonstration: bool = Field(default=False, description="示范项目")
    milestones: list[MilestoneIn] = Field(default_factory=list)


class TransitionIn(_In):
    action: Literal["approve", "start", "complete", "exit"]
    completed_on: date | None = Field(default=None, description="for complete; defaults to today (Asia/Shanghai)")
    reason: str | None = Field(default=None, max_length=2000)
    lock_version: int | None = None


class MilestoneOut(Schema):
    id: int
    name: str
    due: date | None
    done: bool
    done_on: date | None


class DocumentOut(Schema):
    id: int
    filename: str
    sha256: str
    size_bytes: int
    uploaded_by: str
    uploaded_at: str


class ProjectOut(Schema):
    id: int
    credit_code: str
    enterprise_name: str
    region_code: str
    plan_id: int | None
    name: str
    project_type: str
    project_type_zh: str
    origin: ProjectOrigin
    origin_zh: str
    measure_id: int | None
    technology_code: str | None = Field(default=None, description="the catalogue technology its measure cites")
    technology_name: str | None = None
    catalog_entry_id: int | None
    listed_on: date | None
    investment_yuan: float | None
    saving_tce_per_year: float | None
    saving_tco2_per_year: float | None
    start_date: date | None
    deadline: date | None
    deadline_beyond_policy: bool
    completed_on: date | None
    state: ProjectState
    state_zh: str
    demonstration: bool
    verified_tce_per_year: float | None
    milestones: list[MilestoneOut]
    documents: list[DocumentOut]
    warnings: list[str] = Field(default_factory=list, description="notes for review, in Chinese (the deadline note)")
    warnings_en: list[str] = Field(default_factory=list, description="the same notes in English, in the same order")
    lock_version: int


class PlanIn(_In):
    credit_code: str = Field(min_length=1, max_length=18)
    title: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)


class PlanOut(Schema):
    id: int
    credit_code: str
    enterprise_name: str
    title: str
    note: str | None
    projects: list[ProjectOut]
    expected_tce_per_year: float
    verified_tce_per_year: float


class ShareYear(Schema):
    year: int
    required_pct: float = Field(description="the schedule's share for the year")
    required_cumulative_pct: float
    done: int = Field(description="projects completed in the year")
    done_pct: float | None
    done_cumulative_pct: float | None
    planned: int = Field(description="projects whose deadline falls in the year")
    status: Literal["met", "behind", "open"]
    status_zh: str


class ShareOutside(Schema):
    """A project left out of the shares: its deadline is after the schedule's last year (and it was not
    completed by then)."""

    id: int
    name: str
    credit_code: str
    deadline: date
    state: str


class Shares(Schema):
    region_code: str
    pack: str
    schedule_id: str
    projects: int = Field(description="projects counted: the region's library, exited ones and those outside excluded")
    as_of: date
    years: list[ShareYear]
    first_year: int | None = Field(default=None, description="the schedule's window: its first year")
    last_year: int | None = Field(default=None, description="the schedule's window: its last year")
    outside: list[ShareOutside] = Field(
        default_factory=list, description="projects whose deadline is after the window, listed apart (not counted)"
    )
    source: str = Field(default="", description="the schedule's document and clause")


class LibraryTotals(Schema):
    region_code: str | None
    projects: int
    by_state: dict[str, int]
    demonstration: int
    expected_tce_per_year: float = Field(description="Σ expected saving of the projects not exited")
    completed_expected_tce_per_year: float = Field(description="Σ expected saving of completed/verified projects")
    verified_tce_per_year: float = Field(description="Σ verified saving (tce freed, GB/T 13234 sign)")
    investment_yuan: float


class ExitCandidate(Schema):
    project_id: int
    credit_code: str
    enterprise_name: str
    catalog_entry_id: int
    product: str
    listed_on: date | None
    deadline: date
    state: str
    reason: str


class PeriodIn(_In):
    period_start: date
    energy: float = Field(ge=0)
    production: float | None = Field(default=None, ge=0)
    temperature: float | None = None


class AdjustmentIn(_In):
    reason: str = Field(min_length=1, max_length=2000)
    energy: float = Field(description="added to the adjusted baseline, in the periods' energy unit")


class VerificationIn(_In):
    """M&V data: uploaded periods, or the rollups of the project's meters between the dates given."""

    interval: Literal["day", "month"] = "day"
    energy_unit: Literal["tce"] = Field(default="tce", description="energy of the periods, tce")
    baseline: list[PeriodIn] = Field(default_factory=list)
    reporting: list[PeriodIn] = Field(default_factory=list)
    meter_ids: list[int] = Field(default_factory=list, description="meters whose rollups (tce) give the energy")
    weather_station: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="with meter_ids: an imported weather station (dualcarbon weather import) whose daily mean "
        "temperatures join the metered periods (a month: the mean of its days, all present)",
    )
    baseline_from: date | None = None
    baseline_to: date | None = None
    reporting_from: date | None = None
    reporting_to: date | None = None
    adjustments: list[AdjustmentIn] = Field(default_factory=list)
    lock_version: int | None = None


VerificationSourceKind = Literal["meters", "periods"]
#: How the periods' energy was obtained: ``tce_calorific`` — the meter rollups' ``tce`` column, converted by
#: 当量值 (calorific value, GB/T 2589; not the 等价值 ``tce_equal``); ``entered`` — tce as typed or uploaded.
EnergyBasis = Literal["tce_calorific", "entered"]
#: Why a metered period was left out: ``no_tce`` (a meter has no tce for it), ``incomplete`` (completeness below
#: the mv_criteria coverage rule, or energy carried over a gap), ``no_weather`` (the station has no temperature).
LeftOutReason = Literal["no_tce", "incomplete", "no_weather"]


class VerificationPeriodSource(Schema):
    """One period of a verification's data (基期 or 报告期): the dates it covers and how much of it was used."""

    date_from: date | None = Field(description="metered: the first day asked for; periods: the first period's start")
    date_to: date | None = Field(description="metered: the last day asked for; periods: the last period's last day")
    periods_used: int = Field(description="periods the model was fitted on (baseline) or applied to (reporting)")
    days_used: int = Field(description="days of the periods used (a month counts its calendar days)")
    periods_left_out: int | None = Field(description="metered periods left out; null when not known (periods)")
    days_left_out: int | None = Field(description="days of the periods left out (gaps); null when not known")
    left_out: dict[LeftOutReason, int] = Field(default_factory=dict, description="periods left out, by reason")


class MeterUsed(Schema):
    meter_id: int
    meter: str = Field(description="the meter's code (表号)")
    carrier: str
    unit: str | None = None


class VerificationSource(Schema):
    """What a stored verification was computed from (数据来源): a reviewer or an auditor can repeat it."""

    kind: VerificationSourceKind
    interval: Literal["day", "month"]
    energy_basis: EnergyBasis
    meters: list[MeterUsed] = Field(default_factory=list, description="metered: the meters summed per period")
    weather_station: str | None = Field(default=None, description="metered: the station whose temperatures joined")
    factor_rows: list[str] = Field(
        default_factory=list, description="metered: the reference rows of the tce factors (当量值) used"
    )
    reference_versions: dict[str, str] = Field(
        default_factory=dict, description="versions of the reference tables used (mv_criteria; the rollups' tables)"
    )
    baseline: VerificationPeriodSource
    reporting: VerificationPeriodSource


class VerificationOut(Schema):
    project_id: int
    state: ProjectState
    valid: bool = Field(description="the model meets the mv_criteria thresholds; only then is the saving claimable")
    invalid_reasons: list[dict[str, Any]] = Field(description="the failing warnings ({code, message, data})")
    result: dict[str, Any] = Field(description="the calc mv contract: model, r2, cvrmse_pct, … warnings")
    adjustments_energy: float
    reporting_days: int
    verified_energy: float = Field(description="avoided energy + adjustments over the reporting period, tce")
    verified_tce_per_year: float = Field(description="verified energy per year as computed (valid or not)")
    claimable_tce_per_year: float | None = Field(description="the project's verified saving: None when not valid")
    computed_from: VerificationSource = Field(description="the meters, dates, weather station and basis used")
