"""Registry tables: regions (GB/T 2260 tree), enterprises, their sites and production units.

Also owns region-subtree queries: every region stores its ``path`` of codes from the province down
("330000/330300/330383"), so "everything under Wenzhou" is one prefix filter on ``path``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from dualcarbon.core.vocab import REGION_LEVELS, RegionLevel
from dualcarbon.store.base import Base, one_of_sql, utcnow

PATH_SEPARATOR = "/"


class Region(Base):
    """An administrative division (行政区划) identified by its 6-digit GB/T 2260 code."""

    __tablename__ = "region"
    __table_args__ = (
        CheckConstraint("length(code) = 6", name="code_six_digits"),
        CheckConstraint(one_of_sql("level", REGION_LEVELS), name="level_known"),
    )

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    path: Mapped[str] = mapped_column(String(64), unique=True)

    parent: Mapped[Region | None] = relationship(remote_side=[code], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent", order_by="Region.code")

    @classmethod
    def create(cls, code: str, name: str, level: RegionLevel, parent: Region | None = None) -> Region:
        """A new region under ``parent`` with its ``path`` filled in; the code must be 6 digits."""
        if len(code) != 6 or not code.isdigit():
            raise ValueError(f"region code {code!r} is not a 6-digit GB/T 2260 code")
        path = code if parent is None else f"{parent.path}{PATH_SEPARATOR}{code}"
        return cls(
            code=code,
            name=name,
            level=level,
            parent_code=None if parent is None else parent.code,
            parent=parent,
            path=path,
        )


def subtree_codes(root_code: str) -> Select[str]:
    """SELECT of the codes of ``root_code`` and every region below it (empty if the root is unknown)."""
    root_path = select(Region.path).where(Region.code == root_code).scalar_subquery()
    return select(Region.code).where(
        or_(Region.path == root_path, Region.path.like(root_path.concat(PATH_SEPARATOR + "%")))
    )


def in_region_subtree(region_code: ColumnElement[str], root_code: str) -> ColumnElement[bool]:
    """Filter condition: ``region_code`` lies in the subtree of ``root_code`` (the root included).

    Example: ``select(Enterprise).where(in_region_subtree(Enterprise.region_code, "330300"))``.
    """
    return region_code.in_(subtree_codes(root_code))


def descendant_codes(session: Session, root_code: str, *, include_self: bool = True) -> list[str]:
    """Codes of the regions below ``root_code`` (and the root itself unless ``include_self`` is False)."""
    codes = list(session.scalars(subtree_codes(root_code).order_by(Region.path)))
    return codes if include_self else [code for code in codes if code != root_code]


class Enterprise(Base):
    """An enterprise identified by its 统一社会信用代码 (unified social credit code, 18 characters).

    ``version`` is an optimistic lock: SQLAlchemy increments it on every UPDATE and raises
    ``StaleDataError`` when two writers change the same enterprise from the same version.
    """

    __tablename__ = "enterprise"
    __table_args__ = (
        CheckConstraint("length(credit_code) = 18", name="credit_code_len"),
        # The enterprise list's order (region, then name): an index scan instead of a sort (docs/benchmarks.md).
        Index("ix_enterprise_region_name_id", "region_code", "name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    industry_code: Mapped[str] = mapped_column(String(8), index=True)  # GB/T 4754, e.g. "C3011"
    above_scale: Mapped[bool] = mapped_column(Boolean, default=False)  # 规模以上工业企业
    land_area_mu: Mapped[float | None]  # 用地面积, 亩
    key_energy_user: Mapped[bool] = mapped_column(Boolean, default=False)  # 重点用能单位
    address: Mapped[str | None] = mapped_column(String(300))
    contact: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this class attribute

    region: Mapped[Region] = relationship()
    sites: Mapped[list[Site]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="Site.id"
    )
    production_units: Mapped[list[ProductionUnit]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="ProductionUnit.id"
    )


class Site(Base):
    """A physical site (厂区) of an enterprise."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))

    enterprise: Mapped[Enterprise] = relationship(back_populates="sites")
    production_units: Mapped[list[ProductionUnit]] = relationship(back_populates="site")


class ProductionUnit(Base):
    """A production unit (生产装置/工序) in a key field (重点领域) making one benchmarked product.

    ``benchmark_row_id`` points at a reference benchmark row (e.g. "BM2023-061"); the reference layer
    owns the values, the store only keeps the link.
    """

    __tablename__ = "production_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(100))
    product: Mapped[str] = mapped_column(String(200))
    benchmark_row_id: Mapped[str | None] = mapped_column(String(32))
    capacity: Mapped[float]
    capacity_unit: Mapped[str] = mapped_column(String(32))

    enterprise: Mapped[Enterprise] = relationship(back_populates="production_units")
    site: Mapped[Site | None] = relationship(back_populates="production_units")
