"""Equipment tables: the register, the obsolete-equipment list, the technology catalogue, waste-heat points.

* ``equipment_item`` — one line of an enterprise's equipment register (设备台账): type, model, nameplate rated
  power (kW), efficiency (%), poles/speed, year of manufacture, declared grade, quantity, operating hours,
  an optional load factor. Unique per (enterprise, asset code): the import key.
* ``obsolete_rule`` — one entry of an imported obsolete-equipment catalogue (淘汰目录): catalogue name/batch,
  the entry's own code, equipment type, a model pattern (glob) and/or a "made before" year, source document.
* ``technology`` — one entry of the technology catalogue (节能技术推荐目录), keyed by ``code`` (the handle other
  subjects reference it by, docs/equipment.md).
* ``waste_heat_point`` — a waste-heat source (余热源) or sink (用热需求) of an enterprise: temperature, medium,
  quantity with its unit, daily schedule window and hours a year, location (lon/lat).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from dualcarbon.store.base import Base, one_of_sql, utcnow

EquipmentType = Literal[
    "motor", "transformer", "pump", "fan", "air_compressor", "boiler", "industrial_furnace", "other"
]
EQUIPMENT_TYPES: tuple[EquipmentType, ...] = get_args(EquipmentType)
EQUIPMENT_TYPE_ZH: dict[str, str] = {
    "motor": "电动机",
    "transformer": "变压器",
    "pump": "水泵",
    "fan": "风机",
    "air_compressor": "空压机",
    "boiler": "锅炉",
    "industrial_furnace": "工业炉窑",
    "other": "其他",
}
WasteHeatKind = Literal["source", "sink"]
WASTE_HEAT_KINDS: tuple[WasteHeatKind, ...] = get_args(WasteHeatKind)
QuantityUnit = Literal["GJ/h", "t/h"]
QUANTITY_UNITS: tuple[QuantityUnit, ...] = get_args(QuantityUnit)


class EquipmentItem(Base):
    """One line of the equipment register (设备台账)."""

    __tablename__ = "equipment_item"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "asset_code"),
        CheckConstraint(one_of_sql("equipment_type", EQUIPMENT_TYPES), name="type_known"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("production_unit.id"))
    asset_code: Mapped[str] = mapped_column(String(64))
    equipment_type: Mapped[str] = mapped_column(String(24))
    model: Mapped[str | None] = mapped_column(String(120))
    rated_power_kw: Mapped[float | None]
    efficiency_pct: Mapped[float | None]
    poles: Mapped[int | None] = mapped_column(Integer)
    speed_rpm: Mapped[int | None] = mapped_column(Integer)
    year_made: Mapped[int | None] = mapped_column(Integer)
    declared_grade: Mapped[str | None] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    operating_hours: Mapped[float | None]  # h per year
    load_factor: Mapped[float | None]  # 负载率 0-1, when the enterprise knows it
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class ObsoleteRule(Base):
    """One entry of an imported obsolete-equipment catalogue (淘汰目录)."""

    __tablename__ = "obsolete_rule"
    __table_args__ = (
        UniqueConstraint("catalogue", "entry_code"),
        CheckConstraint(one_of_sql("equipment_type", EQUIPMENT_TYPES), name="type_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalogue: Mapped[str] = mapped_column(String(200))  # 目录名称/批次
    entry_code: Mapped[str] = mapped_column(String(64))  # the entry's number in the catalogue
    equipment_type: Mapped[str] = mapped_column(String(24))
    model_pattern: Mapped[str | None] = mapped_column(String(200))  # glob: Y*, JO2-*
    made_before_year: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    source_document: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Technology(Base):
    """One entry of the technology catalogue (节能技术推荐目录)."""

    __tablename__ = "technology"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(100), index=True)  # 领域/行业
    saving_rate_pct: Mapped[float | None]
    payback_years: Mapped[float | None]
    description: Mapped[str | None] = mapped_column(Text)
    typical_cases: Mapped[str | None] = mapped_column(Text)
    source_batch: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WasteHeatPoint(Base):
    """A waste-heat source (余热源) or a heat sink (用热需求) of one enterprise."""

    __tablename__ = "waste_heat_point"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "kind", "name"),
        CheckConstraint(one_of_sql("kind", WASTE_HEAT_KINDS), name="kind_known"),
        CheckConstraint(one_of_sql("quantity_unit", QUANTITY_UNITS), name="unit_known"),
        CheckConstraint("start_hour >= 0 AND end_hour <= 24 AND start_hour < end_hour", name="window_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    temperature_c: Mapped[float]  # source: supply temperature; sink: required temperature
    medium: Mapped[str] = mapped_column(String(64))  # 烟气, 蒸汽, 热水 …
    quantity: Mapped[float]
    quantity_unit: Mapped[str] = mapped_column(String(8))
    start_hour: Mapped[float]  # daily window, local time
    end_hour: Mapped[float]
    hours_per_year: Mapped[float | None]
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
