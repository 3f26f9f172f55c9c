"""Asset register tables: PV systems, storage, data centres, energy reported per month, green designations.

* ``pv_asset`` — a rooftop PV system (分布式光伏): roof type and module height (checked against the governing
  pack's mounting limits), the roof it covers (for coverage ratios), capacity, 并网模式, grid connection, the
  city PV platform flag, and the generation meter when metered.
* ``storage_asset`` — user-side storage (用户侧储能): capacity, power, commissioning, discharge meter.
* ``datacentre`` — racks, operation start, new build and size, total and IT energy meters.
* ``asset_reported_month`` — energy an owner reports for a month (generation, discharge, total, IT) when it is
  not metered; one row per asset, quantity and month.
* ``green_designation`` — a green-manufacturing listing (绿色工厂/供应链/产品/园区) by level and year, with the
  dynamic re-assessment date (动态复核).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from dualcarbon.assets.schemas import (
    ASSET_KINDS,
    DATACENTRE_SIZES,
    DESIGNATION_KINDS,
    DESIGNATION_LEVELS,
    QUANTITIES,
    ROOF_CATEGORIES,
    ROOF_TYPES,
)
from dualcarbon.store.base import Base, one_of_sql, utcnow


class PvAsset(Base):
    __tablename__ = "pv_asset"
    __table_args__ = (
        CheckConstraint(one_of_sql("roof_type", ROOF_TYPES), name="roof_type_known"),
        CheckConstraint(one_of_sql("roof_category", ROOF_CATEGORIES), name="roof_category_known"),
        CheckConstraint("capacity_kwp > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    pack_id: Mapped[str] = mapped_column(String(80))
    roof_type: Mapped[str] = mapped_column(String(16))
    roof_category: Mapped[str] = mapped_column(String(16))
    module_height_m: Mapped[float]
    usable_roof_m2: Mapped[float | None]
    covered_roof_m2: Mapped[float | None]
    capacity_kwp: Mapped[float]
    connection_mode: Mapped[str] = mapped_column(String(40))
    grid_connected_on: Mapped[date | None] = mapped_column(Date)
    connected_to_platform: Mapped[bool] = mapped_column(Boolean, default=False)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class StorageAsset(Base):
    __tablename__ = "storage_asset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    capacity_kwh: Mapped[float]
    power_kw: Mapped[float]
    commissioned_on: Mapped[date | None] = mapped_column(Date)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Datacentre(Base):
    __tablename__ = "datacentre"
    __table_args__ = (CheckConstraint(f"size IS NULL OR {one_of_sql('size', DATACENTRE_SIZES)}", name="size_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    racks: Mapped[int | None] = mapped_column(Integer)
    in_operation_since: Mapped[date | None] = mapped_column(Date)
    new_build: Mapped[bool | None] = mapped_column(Boolean)
    size: Mapped[str | None] = mapped_column(String(16))
    total_meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"))
    it_meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class AssetReportedMonth(Base):
    """One month's reported energy of one asset (kWh); the asset is ``asset_kind`` + ``asset_id``."""

    __tablename__ = "asset_reported_month"
    __table_args__ = (
        CheckConstraint(one_of_sql("asset_kind", ASSET_KINDS), name="asset_kind_known"),
        CheckConstraint(one_of_sql("quantity", QUANTITIES), name="quantity_known"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint("kwh >= 0", name="kwh_not_negative"),
        UniqueConstraint("asset_kind", "asset_id", "quantity", "year", "month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_kind: Mapped[str] = mapped_column(String(16))
    asset_id: Mapped[int] = mapped_column(Integer, index=True)
    quantity: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    kwh: Mapped[float]
    reported_by: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)


class GreenDesignation(Base):
    __tablename__ = "green_designation"
    __table_args__ = (
        CheckConstraint(one_of_sql("kind", DESIGNATION_KINDS), name="kind_known"),
        CheckConstraint(one_of_sql("level", DESIGNATION_LEVELS), name="level_known"),
        UniqueConstraint("kind", "level", "year", "name", "region_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    level: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    reassessment_due: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
