"""Monitoring tables: the meter register, readings (PostgreSQL store) and reading conflicts kept aside.

* ``meter`` — one meter (计量器具) of an enterprise, optionally at a site or production unit; ``code`` is
  unique within the enterprise. ``kind`` says what a reading is: ``cumulative`` (a counter, energy is the
  difference of two readings × ``multiplier``), ``interval`` (the quantity of the interval that starts at
  the reading's time), ``instant`` (a power value; no energy is derived from it yet), ``virtual`` (no
  readings: its values are ``formula`` over other meters' rollups, see :mod:`.service_virtual`).
  ``counter_max`` is the counter's modulus (the value at which it wraps to 0); ``max_rate`` the highest
  plausible consumption in the meter's unit per hour (after the multiplier). ``parent_id`` builds the
  总表/分表 tree; ``counted`` says whether the meter counts in the enterprise total. ``measures`` says what
  the meter measures: ``energy`` (the default: ``carrier`` is a reference carrier, with coefficients) or
  ``production`` (产量: the output of the enterprise or its production unit, ``product`` names it and ``unit`` is
  its unit; ``carrier`` is the empty string — a product is not an energy carrier). A production meter is never
  summed into energy, tce or CO₂ (its rollups carry the quantity with tce/CO₂ null); the alerts and forecasts
  use it to normalise energy (docs/monitoring.md, docs/alerts.md).
* ``meter_reading`` — the readings when the store is PostgreSQL (range-partitioned by month on ``ts``;
  the monthly partitions are created by the readings store on first use). With the embedded SQLite store
  the readings live in a Parquet dataset instead and this table stays empty.
* ``reading_conflict`` — a reading whose (meter, ts) was already stored with another value: the first
  value stays, the offered one is kept here for review. Used by both stores.
* ``reading_arrival`` — when the data of a meter for an Asia/Shanghai day arrived (first and last batch that added
  values, and how many values), recorded at ingest; the quality check judges timeliness from it. Both stores.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dualcarbon.store.base import Base, one_of_sql, utcnow

MeterKind = Literal["cumulative", "interval", "instant", "virtual"]
METER_KINDS: tuple[str, ...] = ("cumulative", "interval", "instant", "virtual")
#: process stage of a data item: 购入贮存, 加工转换, 输送分配, 终端使用.
PROCESS_STAGES: tuple[str, ...] = ("purchase_storage", "conversion", "distribution", "end_use")
PROCESS_STAGE_ZH: dict[str, str] = {
    "purchase_storage": "购入贮存",
    "conversion": "加工转换",
    "distribution": "输送分配",
    "end_use": "终端使用",
}
#: statistic type of a data item (统计类型): real-time values, daily or monthly statistics.
STATISTIC_TYPES: tuple[str, ...] = ("realtime", "day", "month")
#: how a data item arrives (采集方式): collected automatically or entered by hand.
INPUT_TYPES: tuple[str, ...] = ("automatic", "manual")
#: what a meter measures: energy of a carrier, or production output (产量) of a product.
METER_MEASURES: tuple[str, ...] = ("energy", "production")
READING_SOURCES: tuple[str, ...] = ("http", "file", "mqtt", "manual")  # manual: the web form (0009)


class Meter(Base):
    """A meter (计量器具) of an enterprise and the data item it reports."""

    __tablename__ = "meter"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "code"),
        CheckConstraint(one_of_sql("kind", METER_KINDS), name="kind_known"),
        CheckConstraint("multiplier > 0", name="multiplier_positive"),
        CheckConstraint("interval_minutes > 0 AND 1440 % interval_minutes = 0", name="interval_divides_day"),
        CheckConstraint("counter_max IS NULL OR counter_max > 0", name="counter_max_positive"),
        CheckConstraint("max_rate IS NULL OR max_rate > 0", name="max_rate_positive"),
        CheckConstraint(
            "process_stage IS NULL OR " + one_of_sql("process_stage", PROCESS_STAGES), name="process_stage_known"
        ),
        CheckConstraint(one_of_sql("statistic_type", STATISTIC_TYPES), name="statistic_type_known"),
        CheckConstraint(one_of_sql("input_type", INPUT_TYPES), name="input_type_known"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint("(kind = 'virtual') = (formula IS NOT NULL)", name="formula_iff_virtual"),
        CheckConstraint(one_of_sql("measures", METER_MEASURES), name="measures_known"),
        CheckConstraint(
            "(measures = 'production') = (product IS NOT NULL AND carrier = '')", name="product_iff_production"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    production_unit_id: Mapped[int | None] = mapped_column(ForeignKey("production_unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    carrier: Mapped[str] = mapped_column(String(64))  # reference carrier id, e.g. "electricity"; "" for production
    unit: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    multiplier: Mapped[float] = mapped_column(Double)
    interval_minutes: Mapped[int] = mapped_column(Integer)
    counter_max: Mapped[float | None] = mapped_column(Double)
    max_rate: Mapped[float | None] = mapped_column(Double)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"), index=True)
    counted: Mapped[bool] = mapped_column(Boolean)
    data_item_code: Mapped[str | None] = mapped_column(String(64))
    process_stage: Mapped[str | None] = mapped_column(String(20))
    statistic_type: Mapped[str] = mapped_column(String(16))
    input_type: Mapped[str] = mapped_column(String(16))
    calibrated_until: Mapped[date | None] = mapped_column(Date)
    #: ``virtual`` meters only: a formula over other meters of the enterprise ("M1 - M2 + 0.5*M3").
    formula: Mapped[str | None] = mapped_column(String(400))
    measures: Mapped[str] = mapped_column(String(16), default="energy", server_default="energy")
    #: ``production`` meters only: the product (产品) whose output they measure, e.g. "水泥熟料".
    product: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MeterReading(Base):
    """One reading in the PostgreSQL readings store: (meter, UTC instant) → value, first value wins."""

    __tablename__ = "meter_reading"
    __table_args__ = {"postgresql_partition_by": "RANGE (ts)"}  # noqa: RUF012 - SQLAlchemy reads this

    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(primary_key=True)
    value: Mapped[float] = mapped_column(Double)


class ReadingConflict(Base):
    """A reading offered for a (meter, ts) already stored with a different value, kept aside for review."""

    __tablename__ = "reading_conflict"
    __table_args__ = (CheckConstraint(one_of_sql("source", READING_SOURCES), name="source_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), index=True)
    ts: Mapped[datetime]
    stored_value: Mapped[float] = mapped_column(Double)
    offered_value: Mapped[float] = mapped_column(Double)
    source: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReadingArrival(Base):
    """When a meter's values for one Asia/Shanghai ``day`` (the day their time labels fall on) arrived.

    ``first_arrival_at`` / ``last_arrival_at`` are the UTC instants of the first and the last ingest batch that
    added values of that day (a batch of only duplicates adds nothing); ``arrivals`` counts the values added.
    """

    __tablename__ = "reading_arrival"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    first_arrival_at: Mapped[datetime]
    last_arrival_at: Mapped[datetime]
    arrivals: Mapped[int] = mapped_column(Integer, default=0)


class MeterQualityDay(Base):
    """Data quality of one data item (meter) on one Asia/Shanghai day, persisted by ``service_quality``.

    ``expected`` values (real-time: a day ÷ interval; day statistics: 1; month statistics: 1 on the month's
    1st, no row on other days), ``received`` values counted towards them, ``value_count`` values seen,
    ``timely`` of them within the statistic-time tolerance, ``flagged`` of them flagged (rollover, reset,
    implausible rate, conflict). ``problems`` is a list of ``{"code", "detail"}``. ``final`` is false when
    the row was computed before its period ended (it is recomputed when read).
    """

    __tablename__ = "meter_quality_day"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    expected: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer)
    value_count: Mapped[int] = mapped_column(Integer)
    timely: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    calibrated: Mapped[bool] = mapped_column(Boolean)
    completeness: Mapped[float] = mapped_column(Double)
    passed: Mapped[bool] = mapped_column(Boolean)
    problems: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    final: Mapped[bool] = mapped_column(Boolean)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnterpriseQualityDay(Base):
    """The quality index of an enterprise on one day and its sub-indices (null when nothing to measure),
    with the counts they come from, so that months and regulators' tables are sums, not recomputes."""

    __tablename__ = "enterprise_quality_day"
    __table_args__ = (Index("ix_enterprise_quality_day_day_index", "day", "quality_index"),)

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    meters: Mapped[int] = mapped_column(Integer)
    calibrated_meters: Mapped[int] = mapped_column(Integer)
    expected: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer)
    value_count: Mapped[int] = mapped_column(Integer)
    timely: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    completeness: Mapped[float | None] = mapped_column(Double)
    accuracy: Mapped[float | None] = mapped_column(Double)
    timeliness: Mapped[float | None] = mapped_column(Double)
    validity: Mapped[float | None] = mapped_column(Double)
    quality_index: Mapped[float | None] = mapped_column(Double)
    final: Mapped[bool] = mapped_column(Boolean)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
