"""Typed inputs and results of the audits services: agencies, audit/diagnosis reports, acceptance, goals.

JSON keys are the API's contract. Inputs forbid unknown keys; numbers must be finite (no NaN/Infinity).
Times are ISO 8601 strings, dates ``YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.core.vocab import AuditKind, AuditState, BalanceStage, ProjectType


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- agencies ------------------------------------------------------------------------------------------
class AgencyIn(_In):
    name: str = Field(min_length=1, max_length=200, description="机构名称")
    credit_code: str = Field(min_length=18, max_length=18, description="统一社会信用代码")
    region_code: str = Field(min_length=6, max_length=6, description="region of registration, in your scope")
    qualifications: list[str] = Field(default_factory=list, description="资质, one text per item")
    contact: str | None = Field(default=None, max_length=200)
    members: list[str] = Field(default_factory=list, description="usernames (role agency) acting for it")


class AgencyOut(Schema):
    id: int
    name: str
    credit_code: str
    region_code: str
    qualifications: list[str]
    contact: str | None
    members: list[str]
    enterprises: list[str] = Field(description="credit codes of the enterprises it is assigned to")


class AgencyEvaluation(Schema):
    """An agency's evaluation (服务机构评价) over the reports it filed, optionally for one year."""

    agency_id: int
    name: str
    year: int | None
    filed: int = Field(description="reports submitted at least once")
    accepted: int
    returned: int
    quality_pct: float | None = Field(description="accepted ÷ decided (accepted + returned) × 100")
    timely: int = Field(description="reports first submitted on or before their due date")
    with_due_date: int
    timeliness_pct: float | None = Field(description="timely ÷ reports with a due date × 100")
    feedback_count: int
    feedback_mean: float | None = Field(description="enterprises' mean score, 1-5")


# ---- reports -------------------------------------------------------------------------------------------
class BalanceLine(_In):
    """One line of the GB/T 17166 energy balance table: carrier, stage, tce."""

    carrier: str = Field(min_length=1, max_length=64)
    stage: BalanceStage
    tce: float = Field(ge=0)
    note: str | None = Field(default=None, max_length=500)


class MeasureIn(_In):
    description: str = Field(min_length=1, max_length=5000)
    project_type: ProjectType = "other"
    investment_yuan: float = Field(ge=0, description="投资, 元")
    saving_tce_per_year: float = Field(gt=0, description="预计节能量, tce/a")
    saving_tco2_per_year: float | None = Field(default=None, ge=0, description="预计减排量, tCO₂/a")
    energy_price_yuan_per_tce: float | None = Field(
        default=None, gt=0, description="energy price; payback = investment ÷ (tce/a × price) when given"
    )
    payback_years: float | None = Field(default=None, ge=0, description="静态投资回收期 entered (years)")
    implementable: bool = Field(default=True, description="可实施 (counted for the diagnosis minimum)")
    technology_code: str | None = Field(
        default=None, min_length=1, max_length=64, description="code of the catalogue technology applied (技术目录)"
    )


class AuditReportIn(_In):
    kind: AuditKind
    credit_code: str = Field(min_length=1, max_length=18)
    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=200)
    baseline_energy_tce: float | None = Field(default=None, gt=0, description="审计期综合能耗, tce")
    balance: list[BalanceLine] = Field(default_factory=list)
    measures: list[MeasureIn] = Field(default_factory=list)
    due_date: date | None = None


class ChecklistItemIn(_In):
    item: str = Field(min_length=1, max_length=200)
    passed: bool
    note: str | None = Field(default=None, max_length=2000)


class AcceptanceIn(_In):
    checklist: list[ChecklistItemIn] = Field(min_length=1)
    lock_version: int | None = Field(default=None, description="the version you loaded (409 when it moved)")


class ReturnIn(_In):
    reason: str = Field(min_length=1, max_length=5000)
    lock_version: int | None = None


class FeedbackIn(_In):
    score: int = Field(ge=1, le=5)


class MeasureOut(Schema):
    id: int
    position: int
    description: str
    project_type: str
    project_type_zh: str
    investment_yuan: float
    saving_tce_per_year: float
    saving_tco2_per_year: float | None
    energy_price_yuan_per_tce: float | None
    payback_years: float | None
    implementable: bool
    technology_code: str | None = None
    technology_name: str | None = None


class ChecklistItemOut(Schema):
    item: str
    passed: bool
    note: str | None
    checked_by: str
    checked_at: str


class ObligationNote(Schema):
    """A report of an enterprise outside the pack's obligation for its kind (e.g. an audit below 5,000 tce/a):
    accepted as a voluntary filing, with this note."""

    pack_id: str
    rule_id: str
    document: str
    clause: str
    condition: str = Field(description="the rule's condition as stated, e.g. 5000 tce/a ≤ annual_energy_tce")
    baseline_energy_tce: float
    text_zh: str
    text_en: str


class AuditReportOut(Schema):
    id: int
    kind: AuditKind
    kind_zh: str
    credit_code: str
    enterprise_name: str
    agency_id: int | None
    agency_name: str | None
    year: int
    title: str
    state: AuditState
    state_zh: str
    baseline_energy_tce: float | None
    potential_pct: float | None
    balance: list[BalanceLine]
    measures: list[MeasureOut]
    checklist: list[ChecklistItemOut]
    due_date: date | None
    submitted_at: str | None
    decided_at: str | None
    return_reason: str | None
    feedback_score: int | None
    lock_version: int
    obligation_note: ObligationNote | None = Field(
        default=None, description="set when the enterprise is outside the obligation (voluntary report)"
    )


# ---- obligations and goals -----------------------------------------------------------------------------
class ObligationStatus(Schema):
    credit_code: str
    name: str
    region_code: str
    obligation: str = Field(description="energy_audit or energy_saving_diagnosis")
    obligation_zh: str
    rule_id: str
    pack_id: str
    finding: str = Field(description="applies or undetermined (the pack's finding)")
    status: str = Field(description="not_started, filed or accepted")
    status_zh: str
    report_id: int | None


class ObligationsStatus(Schema):
    region_code: str
    year: int
    pack: str
    items: list[ObligationStatus]
    total: int
    pack_title_zh: str = ""
    #: how the pack was chosen: ``requested`` (named by the caller), ``region`` (the pack of the region or one of
    #: its parents, by jurisdiction), ``fallback`` (no pack of the region carries such rules: the first that does)
    pack_basis: str = "requested"
    #: the shipped packs with audit/diagnosis obligation rules, for a reader who wants another
    pack_choices: list[str] = []


class GoalProgress(Schema):
    """Accepted reports of a year against a pack's yearly target (e.g. Longgang's 40 diagnoses a year)."""

    pack: str
    target_id: str
    title_zh: str
    year: int
    target: float
    unit: str
    accepted: int
    share_pct: float
    met: bool
    pack_title_zh: str = ""
    pack_valid_to: date | None = None
