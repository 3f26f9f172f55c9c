"""Vocabularies, inputs and results of subsidy applications, budget pools and electricity surcharges.

JSON keys are the API's contract. Inputs forbid unknown keys and non-finite numbers.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

ApplicationState = Literal["submitted", "in_review", "approved", "rejected", "paid"]
EvidenceKind = Literal["project", "pv_generation", "storage_discharge", "diagnosis_reports", "designation"]
ReviewAction = Literal["review", "approve", "reject"]
SurchargeBasis = Literal["tier", "unit_consumption"]

APPLICATION_STATES: tuple[str, ...] = get_args(ApplicationState)
EVIDENCE_KINDS: tuple[str, ...] = get_args(EvidenceKind)
SURCHARGE_BASES: tuple[str, ...] = get_args(SurchargeBasis)
STATE_ZH = {"submitted": "已申报", "in_review": "审核中", "approved": "已批准", "rejected": "未通过", "paid": "已拨付"}
EVIDENCE_ZH = {
    "project": "已核定节能量的改造项目",
    "pv_generation": "光伏计量发电量",
    "storage_discharge": "储能放电量",
    "diagnosis_reports": "验收达标的节能诊断报告",
    "designation": "绿色制造名单",
}


#: the largest row id (PostgreSQL integer)
MAX_ID = 2**31 - 1


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvidenceIn(_In):
    """What the application rests on; the facts of the rule are read from it."""

    kind: EvidenceKind
    project_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="project: a verified retrofit project")
    asset_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="pv_generation / storage_discharge: the asset"
    )
    period_from: str | None = Field(default=None, description="YYYY-MM, first month claimed")
    period_to: str | None = Field(default=None, description="YYYY-MM, last month claimed")
    report_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=500, description="diagnosis_reports"
    )
    designation_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="designation")


class ApplicationIn(_In):
    credit_code: str = Field(min_length=1, max_length=18, description="the applicant: enterprise or agency")
    pack: str = Field(min_length=1, max_length=80)
    rule: str = Field(min_length=1, max_length=120, description="the pack's money rule key (pv, storage …)")
    year: int = Field(ge=2000, le=2100, description="the budget year")
    evidence: EvidenceIn
    declared_facts: dict[str, Any] = Field(
        default_factory=dict, description="facts the evidence does not give (e.g. productivity_rise_pct)"
    )
    payee: str | None = Field(default=None, max_length=200)


class DecisionIn(_In):
    action: ReviewAction
    note: str | None = Field(default=None, max_length=2000, description="required to reject")
    lock_version: int | None = None


class PaymentIn(_In):
    paid_on: date
    voucher: str = Field(min_length=1, max_length=100, description="拨付凭证号")
    lock_version: int | None = None


class PaymentOut(Schema):
    amount_yuan: float
    paid_on: date
    voucher: str
    recorded_by: str
    recorded_at: str


class ApplicationOut(Schema):
    id: int
    applicant_credit_code: str
    applicant_name: str
    region_code: str
    pack: str
    rule: str
    rule_id: str
    rule_title_zh: str
    clause: str
    clause_en: str | None = None  # the pack's English rendering of ``clause`` (the Chinese governs)
    year: int
    evidence: dict[str, Any]
    evidence_kind_zh: str
    facts: dict[str, Any]
    fact_sources: dict[str, str]
    eligible: bool
    amount_yuan: float
    trace: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    claims: list[str]
    state: ApplicationState
    state_zh: str
    payee: str | None
    submitted_by: str
    submitted_at: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None
    pool_id: int | None
    payment: PaymentOut | None
    lock_version: int


class PoolIn(_In):
    pack: str = Field(min_length=1, max_length=80)
    rule: str = Field(min_length=1, max_length=120)
    year: int = Field(ge=2000, le=2100)
    region_code: str = Field(min_length=6, max_length=6)
    total_yuan: float = Field(gt=0, le=1e13)
    note: str | None = Field(default=None, max_length=500)


class PoolOut(Schema):
    id: int
    pack: str
    rule: str
    year: int
    region_code: str
    total_yuan: float
    committed_yuan: float
    remaining_yuan: float
    note: str | None


class SurchargeRowOut(Schema):
    table_id: str
    row: int
    jurisdiction: str
    basis: SurchargeBasis
    product: str
    tier: str | None
    range_text: str | None
    surcharge_yuan_per_kwh: float
    valid_from: date | None
    valid_to: date | None
    source: str
    clause: str
    confidence: str


class SurchargeImportReceipt(Schema):
    table_id: str
    rows: int
    replaced: int


class SurchargeIn(_In):
    table_id: str = Field(min_length=1, max_length=80)
    credit_code: str = Field(min_length=1, max_length=18)
    year: int = Field(ge=2000, le=2100)
    product: str = Field(default="", max_length=200)
    tier: str | None = Field(default=None, max_length=32, description="catalog tier; default: the published one")
    unit_consumption: float | None = Field(default=None, ge=0)
    electricity_kwh: float | None = Field(default=None, ge=0, description="reported; else the meters")
    meter_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=50, description="electricity meters"
    )


class SurchargeResult(Schema):
    table_id: str
    credit_code: str
    year: int
    matched: SurchargeRowOut | None
    electricity_kwh: float | None
    electricity_source: str
    surcharge_yuan: float | None
    trace: list[dict[str, Any]]


class SurchargeFileIn(_In):
    content: str = Field(min_length=1, max_length=2_000_000, description="the filled-in template, CSV text")
