"""Subsidy tables: budget pools, applications with their computed amount and trace, evidence claims, payments,
and the administrators' electricity surcharge tables (差别电价/阶梯电价).

* ``budget_pool`` — money set aside per pack rule, year and region; ``committed_yuan`` grows by each approval
  (an atomic conditional UPDATE, so two approvals can never overdraw it).
* ``subsidy_application`` — the applicant (an enterprise or an agency), the rule, the evidence, the facts read
  from it, the amount and trace computed, the state (submitted → in_review → approved → paid, or rejected).
* ``subsidy_claim`` — one row per thing funded (``project:12``, ``pv:3:2023-05``, ``audit_report:9``,
  ``designation:4``): a unique key, so the same project or the same kWh month is never funded twice; the
  claims of a rejected application are released.
* ``subsidy_payment`` — the payment record (拨付) of an approved application.
* ``electricity_surcharge`` — rows of an imported surcharge table: a catalog tier or a unit-consumption
  range → 元/kWh, each with its source.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from dualcarbon.store.base import Base, one_of_sql, utcnow
from dualcarbon.subsidies.schemas import APPLICATION_STATES, EVIDENCE_KINDS, SURCHARGE_BASES


class BudgetPool(Base):
    __tablename__ = "budget_pool"
    __table_args__ = (
        UniqueConstraint("pack_id", "rule_key", "year", "region_code"),
        CheckConstraint("total_yuan > 0", name="total_positive"),
        CheckConstraint("committed_yuan >= 0 AND committed_yuan <= total_yuan", name="within_total"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(80))
    rule_key: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    total_yuan: Mapped[float]
    committed_yuan: Mapped[float] = mapped_column(default=0.0)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubsidyApplication(Base):
    __tablename__ = "subsidy_application"
    __table_args__ = (
        CheckConstraint(one_of_sql("state", APPLICATION_STATES), name="state_known"),
        CheckConstraint(one_of_sql("evidence_kind", EVIDENCE_KINDS), name="evidence_kind_known"),
        CheckConstraint("(enterprise_id IS NULL) <> (agency_id IS NULL)", name="one_applicant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    pack_id: Mapped[str] = mapped_column(String(80))
    rule_key: Mapped[str] = mapped_column(String(120))
    rule_id: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer, index=True)
    evidence_kind: Mapped[str] = mapped_column(String(24))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    fact_sources: Mapped[dict[str, Any]] = mapped_column(JSON)
    eligible: Mapped[bool] = mapped_column(Boolean)
    amount_yuan: Mapped[float]
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # the contract's answer: trace, decisions, clause
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    payee: Mapped[str | None] = mapped_column(String(200))
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("budget_pool.id"), index=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class SubsidyClaim(Base):
    __tablename__ = "subsidy_claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("subsidy_application.id", ondelete="CASCADE"), index=True)
    claim_key: Mapped[str] = mapped_column(String(120), unique=True)


class SubsidyPayment(Base):
    __tablename__ = "subsidy_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("subsidy_application.id"), unique=True)
    amount_yuan: Mapped[float]
    paid_on: Mapped[date] = mapped_column(Date)
    voucher: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ElectricitySurcharge(Base):
    __tablename__ = "electricity_surcharge"
    __table_args__ = (
        CheckConstraint(one_of_sql("basis", SURCHARGE_BASES), name="basis_known"),
        CheckConstraint("surcharge_yuan_per_kwh >= 0", name="surcharge_not_negative"),
        UniqueConstraint("table_id", "row_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_id: Mapped[str] = mapped_column(String(80), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    jurisdiction: Mapped[str] = mapped_column(String(100))
    basis: Mapped[str] = mapped_column(String(20))
    product: Mapped[str] = mapped_column(String(200), default="")
    tier: Mapped[str | None] = mapped_column(String(32))
    min_value: Mapped[float | None]
    min_inclusive: Mapped[bool | None] = mapped_column(Boolean)
    max_value: Mapped[float | None]
    max_inclusive: Mapped[bool | None] = mapped_column(Boolean)
    consumption_unit: Mapped[str | None] = mapped_column(String(64))
    surcharge_yuan_per_kwh: Mapped[float]
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    clause: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(200))
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
