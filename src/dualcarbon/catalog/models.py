"""The efficiency catalog (能效清单目录): published catalogs, their entries, and appeals (申辩) against them.

A ``Catalog`` is one region's list for one half-year, built under one benchmark edition and basis. It
records a ``snapshot_hash`` of its inputs and the reference versions used, so a published catalog can be
reproduced. A correction is a new catalog with ``supersedes_id`` pointing at the old one and the next
``issue_no``; the old one becomes ``superseded``. One catalog is in force (``published``) per region ×
half-year × basis: a partial unique index (``uq_catalog_in_force``) refuses a second one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dualcarbon.core.vocab import APPEAL_STATES, CATALOG_BASES, CATALOG_STATES, AppealState, CatalogBasis, CatalogState
from dualcarbon.store.base import Base, one_of_sql, utcnow


class Catalog(Base):
    """One issue of a region's efficiency catalog for a half-year (``half`` like "2024-H2")."""

    __tablename__ = "catalog"
    __table_args__ = (
        UniqueConstraint("region_code", "edition", "half", "basis", "issue_no"),
        CheckConstraint("length(half) = 7 AND substr(half, 5, 3) IN ('-H1', '-H2')", name="half_format"),
        CheckConstraint(one_of_sql("basis", CATALOG_BASES), name="basis_known"),
        CheckConstraint(one_of_sql("state", CATALOG_STATES), name="state_known"),
        Index(
            "uq_catalog_in_force",
            "region_code",
            "half",
            "basis",
            unique=True,
            sqlite_where=text("state = 'published'"),
            postgresql_where=text("state = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    edition: Mapped[str] = mapped_column(String(8))  # benchmark edition, e.g. "2023"
    half: Mapped[str] = mapped_column(String(7))
    basis: Mapped[CatalogBasis] = mapped_column(String(8))  # policy 标杆/基准 values or GB limit grades
    state: Mapped[CatalogState] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    snapshot_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 of inputs + reference versions
    reference_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("catalog.id"))
    issue_no: Mapped[int] = mapped_column(Integer, default=1)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # store.versioning

    entries: Mapped[list[CatalogEntry]] = relationship(
        back_populates="catalog", cascade="all, delete-orphan", order_by="CatalogEntry.id"
    )
    supersedes: Mapped[Catalog | None] = relationship(remote_side=[id])


class CatalogEntry(Base):
    """One product line of one enterprise in a catalog: its unit consumption, tier and gaps.

    ``value`` is in ``unit`` (e.g. kgce/t); gaps are ``value`` minus the benchmark (标杆) or baseline
    (基准) value in the same unit; ``evidence`` holds the inputs and rule trace behind the figure.
    """

    __tablename__ = "catalog_entry"
    __table_args__ = (Index("ix_catalog_entry_catalog_id_tier", "catalog_id", "tier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("catalog.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    production_unit_id: Mapped[int | None] = mapped_column(ForeignKey("production_unit.id"))
    report_version_id: Mapped[int | None] = mapped_column(ForeignKey("period_report_version.id"))
    product: Mapped[str] = mapped_column(String(200))
    benchmark_row_id: Mapped[str] = mapped_column(String(32))
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(32))
    gap_to_benchmark: Mapped[float | None]
    gap_to_baseline: Mapped[float | None]
    saving_to_benchmark_tce: Mapped[float | None]
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)

    catalog: Mapped[Catalog] = relationship(back_populates="entries")
    appeals: Mapped[list[Appeal]] = relationship(back_populates="catalog_entry", order_by="Appeal.id")


class Appeal(Base):
    """An enterprise's appeal (申辩) against a catalog entry, reviewed by an expert and then decided.

    An upheld appeal leads to a corrected re-issue of the catalog, linked by ``corrected_catalog_id``.
    """

    __tablename__ = "appeal"
    __table_args__ = (CheckConstraint(one_of_sql("state", APPEAL_STATES), name="state_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    state: Mapped[AppealState] = mapped_column(String(16), default="filed")
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expert_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    expert_opinion: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    corrected_catalog_id: Mapped[int | None] = mapped_column(ForeignKey("catalog.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # store.versioning

    catalog_entry: Mapped[CatalogEntry] = relationship(back_populates="appeals")
