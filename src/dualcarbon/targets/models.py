"""Target tables: targets with their yearly achievements, the screening list kept by year, 在建/拟建 projects.

* ``policy_target`` — one target of a region, an enterprise group (集团) or an enterprise: the measure
  (``kind``), the value and unit, the years it runs over, and — when seeded from a policy pack — the pack,
  rule and clause it comes from. A regulator edits it (``lock_version``: two simultaneous edits, one wins).
* ``policy_target_year`` — what was achieved in one year (a decline in %, a count, tce …), as recorded.
* ``screening_entry`` — one enterprise on the high-consumption screening list (高耗企业排查清单) of a year,
  with the pack rules that put it there; the list of each year is kept as it was drawn up.
* ``construction_project`` — a project under construction (在建) or planned (拟建) with its design unit
  consumption, checked against 标杆 and the entry value (准入值); ≥ the 两高 threshold it is listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dualcarbon.store.base import Base, one_of_sql, utcnow

TARGET_SCOPES = ("region", "group", "enterprise")
PROJECT_STATUSES = ("under_construction", "planned")


class PolicyTarget(Base):
    """A target (目标) and where it comes from."""

    __tablename__ = "policy_target"
    __table_args__ = (
        CheckConstraint(one_of_sql("scope", TARGET_SCOPES), name="scope_known"),
        CheckConstraint(one_of_sql("comparison", ("at_least", "at_most")), name="comparison_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    group_name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    title_zh: Mapped[str] = mapped_column(String(200))
    comparison: Mapped[str] = mapped_column(String(16))
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(16))
    base_year: Mapped[int | None] = mapped_column(Integer)
    target_year: Mapped[int | None] = mapped_column(Integer)
    product: Mapped[str | None] = mapped_column(String(200))  # capacity shares: one product, else all
    pack_id: Mapped[str | None] = mapped_column(String(64))
    rule_id: Mapped[str | None] = mapped_column(String(128))
    clause: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # store.versioning

    years: Mapped[list[PolicyTargetYear]] = relationship(
        back_populates="target", cascade="all, delete-orphan", order_by="PolicyTargetYear.year"
    )


class PolicyTargetYear(Base):
    """What a target achieved in one year (in the target's unit; a decline target: that year's decline)."""

    __tablename__ = "policy_target_year"
    __table_args__ = (UniqueConstraint("target_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("policy_target.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    achieved: Mapped[float]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    target: Mapped[PolicyTarget] = relationship(back_populates="years")


class ScreeningEntry(Base):
    """An enterprise on the high-consumption screening list (高耗企业排查清单) of one year."""

    __tablename__ = "screening_entry"
    __table_args__ = (UniqueConstraint("year", "pack_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    pack_id: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    rule_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    listed_by: Mapped[str] = mapped_column(String(64))
    listed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConstructionProject(Base):
    """A project under construction (在建) or planned (拟建), with its design unit consumption (设计能效)."""

    __tablename__ = "construction_project"
    __table_args__ = (CheckConstraint(one_of_sql("status", PROJECT_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24))
    benchmark_row_id: Mapped[str] = mapped_column(String(32))
    design_unit_consumption: Mapped[float]
    unit: Mapped[str] = mapped_column(String(64))
    annual_energy_tce: Mapped[float | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
