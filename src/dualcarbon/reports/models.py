"""Period reports (能源利用状况报告): the report, its immutable versions with their lines, reviews, deadlines.

A ``PeriodReport`` is one enterprise's report for one year, quarter or month and carries the workflow
state (draft → submitted → returned | approved → locked). Its content lives in ``PeriodReportVersion``
rows: saving changed content adds a version, never an overwrite. Versions and their lines are
immutable once flushed; an ORM guard refuses UPDATEs of them (``ImmutableVersionError``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import InstanceState, Mapped, Session, UOWTransaction, mapped_column, relationship

from dualcarbon.core.vocab import (
    ENERGY_USES,
    PERIOD_KINDS,
    REPORT_STATES,
    REVIEW_ACTIONS,
    EnergyUse,
    PeriodKind,
    ReportState,
    ReviewAction,
)
from dualcarbon.store.base import PERIOD_RANGE_SQL, Base, one_of_sql, utcnow

if TYPE_CHECKING:
    from dualcarbon.registry.models import Enterprise


class ImmutableVersionError(Exception):
    """Raised on an attempt to change a stored report version or one of its lines."""


class PeriodReport(Base):
    """One enterprise's report for one period; ``version`` is the number of its current content version."""

    __tablename__ = "period_report"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "period_kind", "year", "period"),
        Index("ix_period_report_enterprise_year", "enterprise_id", "year"),
        CheckConstraint(one_of_sql("period_kind", PERIOD_KINDS), name="period_kind_known"),
        CheckConstraint(PERIOD_RANGE_SQL, name="period_in_range"),
        CheckConstraint(one_of_sql("state", REPORT_STATES), name="state_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    period_kind: Mapped[PeriodKind] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer, default=0)  # quarter 1-4, month 1-12, 0 for a year
    state: Mapped[ReportState] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "period_report_version.id",
            use_alter=True,
            name="fk_period_report_current_version_id_period_report_version",
        )
    )
    deadline: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # store.versioning

    enterprise: Mapped[Enterprise] = relationship()  # one-way: the registry knows nothing of reports
    versions: Mapped[list[PeriodReportVersion]] = relationship(
        back_populates="report",
        foreign_keys="PeriodReportVersion.report_id",
        order_by="PeriodReportVersion.version",
    )
    current_version: Mapped[PeriodReportVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    reviews: Mapped[list[ReportReview]] = relationship(back_populates="report", order_by="ReportReview.id")


class PeriodReportVersion(Base):
    """One immutable content version of a report: energy lines, output lines, economics, computed figures.

    ``content_hash`` (see ``content_hash_of``) lets a re-import of identical content be recognised and
    skipped; ``computed`` keeps the figures derived at creation (tce, CO₂ …) with their trace.
    """

    __tablename__ = "period_report_version"
    __table_args__ = (UniqueConstraint("report_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("period_report.id"))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    computed: Mapped[dict[str, Any]] = mapped_column(default=dict)

    report: Mapped[PeriodReport] = relationship(back_populates="versions", foreign_keys=[report_id])
    energy_lines: Mapped[list[EnergyLine]] = relationship(
        back_populates="report_version", cascade="all, delete-orphan", order_by="EnergyLine.id"
    )
    output_lines: Mapped[list[OutputLine]] = relationship(
        back_populates="report_version", cascade="all, delete-orphan", order_by="OutputLine.id"
    )
    economics: Mapped[Economics | None] = relationship(back_populates="report_version", cascade="all, delete-orphan")


class EnergyLine(Base):
    """One energy carrier consumed in the period: quantity in ``unit``, its use, optional measured NCV."""

    __tablename__ = "energy_line"
    __table_args__ = (CheckConstraint(one_of_sql("use", ENERGY_USES), name="use_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("period_report_version.id", ondelete="CASCADE"), index=True)
    carrier_id: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[float]
    unit: Mapped[str] = mapped_column(String(32))
    use: Mapped[EnergyUse] = mapped_column(String(16), default="fuel")
    ncv: Mapped[float | None]  # measured net calorific value (低位发热量), in ncv_unit
    ncv_unit: Mapped[str | None] = mapped_column(String(32))
    reported_tce: Mapped[float | None]  # what the enterprise itself reported, for cross-checking

    report_version: Mapped[PeriodReportVersion] = relationship(back_populates="energy_lines")


class OutputLine(Base):
    """One product output of the period, optionally tied to a production unit and a benchmark row."""

    __tablename__ = "output_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("period_report_version.id", ondelete="CASCADE"), index=True)
    production_unit_id: Mapped[int | None] = mapped_column(ForeignKey("production_unit.id"))
    product: Mapped[str] = mapped_column(String(200))
    benchmark_row_id: Mapped[str | None] = mapped_column(String(32))
    quantity: Mapped[float]
    unit: Mapped[str] = mapped_column(String(32))
    reported_unit_consumption: Mapped[float | None]
    unit_consumption_unit: Mapped[str | None] = mapped_column(String(64))

    report_version: Mapped[PeriodReportVersion] = relationship(back_populates="output_lines")


class Economics(Base):
    """Economic figures of a report version (one row per version); money in 万元 (10k yuan)."""

    __tablename__ = "economics"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("period_report_version.id", ondelete="CASCADE"), primary_key=True
    )
    gross_output_10k_yuan: Mapped[float | None]  # 工业总产值
    value_added_10k_yuan: Mapped[float | None]  # 工业增加值, comparable prices (可比价)
    sales_revenue_10k_yuan: Mapped[float | None]  # 营业收入
    employees: Mapped[int | None] = mapped_column(Integer)
    energy_cost_10k_yuan: Mapped[float | None]

    report_version: Mapped[PeriodReportVersion] = relationship(back_populates="economics")


class ReportReview(Base):
    """One workflow step on a report (submit, return, approve, lock, reopen) with its comment."""

    __tablename__ = "report_review"
    __table_args__ = (CheckConstraint(one_of_sql("action", REVIEW_ACTIONS), name="action_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("period_report.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[ReviewAction] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[PeriodReport] = relationship(back_populates="reviews")


class ReportingPeriod(Base):
    """A region's deadline for one reporting period; a report not submitted by then is overdue."""

    __tablename__ = "reporting_period"
    __table_args__ = (
        UniqueConstraint("region_code", "period_kind", "year", "period"),
        CheckConstraint(one_of_sql("period_kind", PERIOD_KINDS), name="period_kind_known"),
        CheckConstraint(PERIOD_RANGE_SQL, name="period_in_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    period_kind: Mapped[PeriodKind] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer, default=0)
    deadline: Mapped[date] = mapped_column(Date)


_LINE_FIELDS: dict[str, tuple[str, ...]] = {
    "energy": ("carrier_id", "quantity", "unit", "use", "ncv", "ncv_unit", "reported_tce"),
    "output": (
        "production_unit_id",
        "product",
        "benchmark_row_id",
        "quantity",
        "unit",
        "reported_unit_consumption",
        "unit_consumption_unit",
    ),
    "economics": (
        "gross_output_10k_yuan",
        "value_added_10k_yuan",
        "sales_revenue_10k_yuan",
        "employees",
        "energy_cost_10k_yuan",
    ),
}


def _number_or_value(value: Any) -> Any:
    # 5 and 5.0 are the same quantity; hash them the same.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def content_hash_of(energy_lines: list[EnergyLine], output_lines: list[OutputLine], economics: Economics | None) -> str:
    """sha256 hex of a version's content (lines in the given order, economics); ids are not content."""

    def row(obj: object, kind: str) -> list[Any]:
        return [_number_or_value(getattr(obj, name)) for name in _LINE_FIELDS[kind]]

    payload = {
        "energy": [row(line, "energy") for line in energy_lines],
        "output": [row(line, "output") for line in output_lines],
        "economics": None if economics is None else row(economics, "economics"),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_IMMUTABLE = (PeriodReportVersion, EnergyLine, OutputLine, Economics)


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_versions(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    for obj in session.dirty:
        if not isinstance(obj, _IMMUTABLE):
            continue
        state: InstanceState[Any] = inspect(obj)
        if any(state.attrs[attr.key].history.has_changes() for attr in state.mapper.column_attrs):
            raise ImmutableVersionError(
                f"{type(obj).__name__} {state.identity} is immutable; add a new report version instead"
            )
