"""Project library tables: plans (一企一策), projects, milestones, documents, M&V adjustments.

* ``retrofit_plan`` — one plan per enterprise (一企一策) grouping its projects.
* ``retrofit_project`` — a retrofit project (节能改造项目): from an accepted measure, from a below-baseline
  catalog entry (基准以下, the entry it must lift), or entered directly. State
  proposed → approved → in_progress → completed → verified, or overdue / exited. ``verification`` holds the
  M&V result (model JSON, statistics, warnings) and ``verified_tce_per_year`` the verified saving
  (GB/T 13234 sign: saving positive).
* ``project_milestone`` — name, due date, done.
* ``project_document`` — an upload kept in the data directory with its sha256.
* ``mv_adjustment`` — a non-routine adjustment (非常规调整) of a verification, with reason and approval.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dualcarbon.core.vocab import PROJECT_ORIGINS, PROJECT_STATES, PROJECT_TYPES, ProjectState
from dualcarbon.store.base import Base, one_of_sql, utcnow


class RetrofitPlan(Base):
    """一企一策: the enterprise's retrofit plan."""

    __tablename__ = "retrofit_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetrofitProject(Base):
    """A retrofit project of the library (节能改造项目库)."""

    __tablename__ = "retrofit_project"
    __table_args__ = (
        CheckConstraint(one_of_sql("project_type", PROJECT_TYPES), name="type_known"),
        CheckConstraint(one_of_sql("state", PROJECT_STATES), name="state_known"),
        CheckConstraint(one_of_sql("origin", PROJECT_ORIGINS), name="origin_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("retrofit_plan.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    project_type: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("audit_measure.id"), unique=True)
    catalog_entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    listed_on: Mapped[date | None] = mapped_column(Date)  # when the catalog entry was published
    investment_yuan: Mapped[float | None]
    saving_tce_per_year: Mapped[float | None]
    saving_tco2_per_year: Mapped[float | None]
    start_date: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    deadline_beyond_policy: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[ProjectState] = mapped_column(String(16), default="proposed")
    demonstration: Mapped[bool] = mapped_column(Boolean, default=False)  # 示范项目
    verified_tce_per_year: Mapped[float | None]
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # store.versioning

    milestones: Mapped[list[ProjectMilestone]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectMilestone.id"
    )
    documents: Mapped[list[ProjectDocument]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectDocument.id"
    )
    adjustments: Mapped[list[MvAdjustment]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="MvAdjustment.id"
    )


class ProjectMilestone(Base):
    __tablename__ = "project_milestone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("retrofit_project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    due: Mapped[date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_on: Mapped[date | None] = mapped_column(Date)

    project: Mapped[RetrofitProject] = relationship(back_populates="milestones")


class ProjectDocument(Base):
    __tablename__ = "project_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("retrofit_project.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    stored_as: Mapped[str] = mapped_column(String(300))  # path relative to the data directory
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[RetrofitProject] = relationship(back_populates="documents")


class MvAdjustment(Base):
    """A non-routine adjustment (非常规调整) of the adjusted baseline, in tce over the reporting period."""

    __tablename__ = "mv_adjustment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("retrofit_project.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    energy: Mapped[float]  # added to the adjusted baseline, in the verification's energy unit
    approved_by: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[RetrofitProject] = relationship(back_populates="adjustments")
