"""Audit tables: service agencies, their members and enterprises, audit/diagnosis reports and acceptance.

* ``agency`` — a service agency (节能诊断/审计服务机构) registered by a regulator: name, 统一社会信用代码,
  qualifications (list of text), contact, home region.
* ``agency_member`` — a user (role ``agency``) acting for an agency; one agency per user.
* ``agency_enterprise`` — an enterprise the agency is assigned to. Assigning also writes the accounts'
  ``agency_assignment`` row of every member, which is what the access rules read.
* ``audit_report`` — an energy audit (GB/T 17166) or a diagnosis of one enterprise for one year, filed by an
  agency: energy balance lines (JSON), potential %, state draft → submitted → accepted | returned.
* ``audit_measure`` — one measure (改造措施) of a report: investment, expected tce/yr and tCO₂/yr, payback, and
  optionally the catalogue technology it applies (``technology_code`` → ``technology.code``, 节能技术推荐目录).
* ``acceptance_item`` — one checklist item of the regulator's acceptance (验收): passed or failed, with a note.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dualcarbon.core.vocab import AUDIT_KINDS, AUDIT_STATES, PROJECT_TYPES, AuditKind, AuditState
from dualcarbon.store.base import Base, one_of_sql, utcnow


class Agency(Base):
    """A service agency (节能诊断/审计服务机构)."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    qualifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgencyMember(Base):
    """A user account acting for the agency (one agency per user)."""

    __tablename__ = "agency_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)


class AgencyEnterprise(Base):
    """An enterprise the agency serves."""

    __tablename__ = "agency_enterprise"
    __table_args__ = (UniqueConstraint("agency_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditReport(Base):
    """An energy audit (能源审计报告) or diagnosis (节能诊断报告) of one enterprise for one year."""

    __tablename__ = "audit_report"
    __table_args__ = (
        CheckConstraint(one_of_sql("kind", AUDIT_KINDS), name="kind_known"),
        CheckConstraint(one_of_sql("state", AUDIT_STATES), name="state_known"),
        CheckConstraint("feedback_score IS NULL OR feedback_score BETWEEN 1 AND 5", name="feedback_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[AuditKind] = mapped_column(String(16))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[AuditState] = mapped_column(String(16), default="draft")
    baseline_energy_tce: Mapped[float | None]  # 审计期综合能耗, for the potential %
    potential_pct: Mapped[float | None]  # 节能潜力 = Σ measures' tce/yr ÷ baseline × 100
    balance: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # schemas.BalanceLine
    due_date: Mapped[date | None] = mapped_column(Date)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(Text)
    feedback_score: Mapped[int | None] = mapped_column(Integer)  # enterprise's 1-5 score of the service
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # store.versioning

    measures: Mapped[list[AuditMeasure]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="AuditMeasure.position"
    )
    checklist: Mapped[list[AcceptanceItem]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="AcceptanceItem.id"
    )


class AuditMeasure(Base):
    """One measure (节能改造措施/方案) of a report."""

    __tablename__ = "audit_measure"
    __table_args__ = (CheckConstraint(one_of_sql("project_type", PROJECT_TYPES), name="type_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("audit_report.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    project_type: Mapped[str] = mapped_column(String(16), default="other")
    investment_yuan: Mapped[float]
    saving_tce_per_year: Mapped[float]
    saving_tco2_per_year: Mapped[float | None]
    energy_price_yuan_per_tce: Mapped[float | None]
    payback_years: Mapped[float | None]
    implementable: Mapped[bool] = mapped_column(Boolean, default=True)
    technology_code: Mapped[str | None] = mapped_column(ForeignKey("technology.code"), index=True)

    report: Mapped[AuditReport] = relationship(back_populates="measures")


class AcceptanceItem(Base):
    """One item of the regulator's acceptance checklist (验收)."""

    __tablename__ = "acceptance_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("audit_report.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(200))
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[AuditReport] = relationship(back_populates="checklist")
