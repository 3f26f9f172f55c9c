"""Stored energy cost (能源费用) per meter and hour / day / month, written beside the rollups by the cost step.

``monitoring_cost`` holds, for each meter a tariff applies to (``reference/data/electricity_tariffs_tou.csv``),
one row per period: the energy the cost was computed from (in the meter's unit), ``cost_yuan`` (null with a
``reason`` when a price is missing), the energy in each time-of-use band (尖峰 sharp, 峰 peak, 平 flat, 谷 valley;
null for single-price carriers), ``cost_peak_yuan`` (the cost of the sharp + peak energy, for the load-shift
saving) and ``sig`` — a hash of the rollup day row and the tariff it was costed with (day rows only; the cost
step recomputes a day when it differs). ``start`` is the period's start as a UTC instant (the period itself is
an Asia/Shanghai hour, day or month). Used by both stores (SQLite and PostgreSQL): the rows are few next to
the readings (one per meter-hour).

This module only reads and writes rows; :mod:`.service_cost` decides what they hold. Rows a computation has
costed but whose write waits for a later transaction (:func:`dualcarbon.store.db.defer_write`) are kept in the
session (:func:`pending_rows`) and :func:`read_rows` answers them in place of the stored ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Double, ForeignKey, Index, String, delete, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dualcarbon.monitoring.store_readings import LOCAL_OFFSET_HOURS
from dualcarbon.store.base import Base

_OFFSET = timedelta(hours=LOCAL_OFFSET_HOURS)
#: The columns of a cost row besides its key (meter_id, interval, start).
VALUE_COLUMNS: tuple[str, ...] = (
    "energy",
    "cost_yuan",
    "energy_sharp",
    "energy_peak",
    "energy_flat",
    "energy_valley",
    "cost_peak_yuan",
    "reason",
    "sig",
)


class MonitoringCost(Base):
    """The energy cost of one meter in one hour, day or month (see the module docstring)."""

    __tablename__ = "monitoring_cost"
    __table_args__ = (Index("ix_monitoring_cost_interval_start", "interval", "start"),)

    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    start: Mapped[datetime] = mapped_column(primary_key=True)
    energy: Mapped[float | None] = mapped_column(Double)
    cost_yuan: Mapped[float | None] = mapped_column(Double)
    energy_sharp: Mapped[float | None] = mapped_column(Double)
    energy_peak: Mapped[float | None] = mapped_column(Double)
    energy_flat: Mapped[float | None] = mapped_column(Double)
    energy_valley: Mapped[float | None] = mapped_column(Double)
    cost_peak_yuan: Mapped[float | None] = mapped_column(Double)
    reason: Mapped[str | None] = mapped_column(String(200))
    sig: Mapped[str | None] = mapped_column(String(32))


#: ``Session.info`` key of the rows costed in this session but not written yet (see :func:`pending_rows`).
_PENDING = "dualcarbon_pending_costs"


def pending_rows(session: Session) -> dict[tuple[int, str, datetime], dict[str, Any]]:
    """The rows costed in ``session`` whose write was deferred, by (meter, interval, local start): read as if
    stored. The dict is the session's own; the cost step fills it."""
    pending: dict[tuple[int, str, datetime], dict[str, Any]] = session.info.setdefault(_PENDING, {})
    return pending


def to_utc(local: datetime) -> datetime:
    """A naive Asia/Shanghai time as an aware UTC instant."""
    return (local - _OFFSET).replace(tzinfo=UTC)


def to_local(instant: datetime) -> datetime:
    """An instant (aware, or naive UTC as SQLite may return it) as naive Asia/Shanghai time."""
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    return instant + _OFFSET


def day_sigs(session: Session, meter_ids: Sequence[int]) -> dict[tuple[int, datetime], str | None]:
    """(meter, local day start) → sig of every stored day row of ``meter_ids``."""
    if not meter_ids:
        return {}
    rows = session.execute(
        select(MonitoringCost.meter_id, MonitoringCost.start, MonitoringCost.sig).where(
            MonitoringCost.meter_id.in_(list(meter_ids)), MonitoringCost.interval == "day"
        )
    )
    return {(meter_id, to_local(start)): sig for meter_id, start, sig in rows}


def replace_rows(session: Session, interval: str, rows: Iterable[dict[str, Any]]) -> int:
    """Replace the rows of ``interval`` with the same (meter, start) by ``rows`` (local naive ``start``): one
    ``DELETE … WHERE meter_id = m AND start IN (…)`` per meter and chunk (the primary key serves it), then one
    multi-row insert per chunk."""
    batch = [{**row, "interval": interval, "start": to_utc(row["start"])} for row in rows]
    by_meter: dict[int, list[datetime]] = {}
    for row in batch:
        by_meter.setdefault(row["meter_id"], []).append(row["start"])
    for meter_id, starts in by_meter.items():
        for index in range(0, len(starts), 500):
            session.execute(
                delete(MonitoringCost).where(
                    MonitoringCost.meter_id == meter_id,
                    MonitoringCost.interval == interval,
                    MonitoringCost.start.in_(starts[index : index + 500]),
                )
            )
    for index in range(0, len(batch), 1000):
        session.execute(insert(MonitoringCost), batch[index : index + 1000])
    return len(batch)


def read_rows(
    session: Session, meter_ids: Sequence[int], interval: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The stored rows of ``meter_ids`` for periods starting in [start, end) (local naive), ``start`` local."""
    if not meter_ids:
        return []
    query = (
        select(MonitoringCost)
        .where(
            MonitoringCost.meter_id.in_(list(meter_ids)),
            MonitoringCost.interval == interval,
            MonitoringCost.start >= to_utc(start),
            MonitoringCost.start < to_utc(end),
        )
        .order_by(MonitoringCost.meter_id, MonitoringCost.start)
    )
    out = []
    for row in session.scalars(query):
        item = {c: getattr(row, c) for c in VALUE_COLUMNS}
        item.update(meter_id=row.meter_id, start=to_local(row.start))
        out.append(item)
    pending = session.info.get(_PENDING)
    if not pending:
        return out
    wanted = set(meter_ids)
    extra = {(m, s): row for (m, i, s), row in pending.items() if i == interval and m in wanted and start <= s < end}
    if not extra:
        return out
    merged = {(r["meter_id"], r["start"]): r for r in out}
    merged.update(
        {
            key: {c: row.get(c) for c in VALUE_COLUMNS} | {"meter_id": key[0], "start": key[1]}
            for key, row in extra.items()
        }
    )
    return [merged[key] for key in sorted(merged)]
