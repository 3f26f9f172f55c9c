"""Footprint tables: ``footprint_study`` — one product carbon footprint study (产品碳足迹核算) of an enterprise.

A study names the enterprise, the product (an output line of its approved annual report of ``year``), the
allocation method, the bill of purchased materials (JSON, :class:`dualcarbon.footprint.schemas.MaterialLine`)
and the process emissions entered with their source; ``result`` keeps the computed footprint with its trace
(:class:`dualcarbon.footprint.schemas.FootprintResult`). ``state`` goes draft → published; publishing claims
``lock_version`` (store.versioning: of two simultaneous publishes one wins, the other gets 409). The region
code is the enterprise's, kept for the region's register of published footprints.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from dualcarbon.store.base import Base, one_of_sql, utcnow

STUDY_STATES = ("draft", "published")
ALLOCATION_METHODS = ("mass", "economic")


class FootprintStudy(Base):
    """A cradle-to-gate footprint study of one product of one enterprise for one year."""

    __tablename__ = "footprint_study"
    __table_args__ = (
        CheckConstraint(one_of_sql("state", STUDY_STATES), name="state_known"),
        CheckConstraint(one_of_sql("allocation_method", ALLOCATION_METHODS), name="allocation_known"),
        Index("ix_footprint_study_enterprise_year", "enterprise_id", "year"),
        Index("ix_footprint_study_region_state", "region_code", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    year: Mapped[int] = mapped_column(Integer)
    product: Mapped[str] = mapped_column(String(200))
    report_version_id: Mapped[int] = mapped_column(ForeignKey("period_report_version.id"))
    allocation_method: Mapped[str] = mapped_column(String(16))
    values_10k_yuan: Mapped[dict[str, float] | None] = mapped_column(JSON)
    process_tco2: Mapped[float] = mapped_column(default=0.0)
    process_source: Mapped[str | None] = mapped_column(Text)
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total_tco2e: Mapped[float | None]
    per_unit_tco2e: Mapped[float | None]
    complete: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None]
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # store.versioning
