"""The demo city's online monitoring (能耗在线监测): meters for about 30 enterprises and a year of 15-min data.

Which enterprises: the key energy users (重点用能单位) first, then the others, in plan order, up to
``spec.meter_enterprises``. Each gets a small meter tree, imported through ``dualcarbon meters import``'s service:

* ``E-MAIN`` 总表 — an electricity counter (cumulative, kWh, a CT ratio as multiplier), not counted in the
  enterprise total because its 2–3 counted 分表 ``E-01`` … carry it (no double counting); the 分表 sum to
  98–99.5 % of it (line losses, for the master/sub-meter balance);
* ``G-MAIN`` / ``H-MAIN`` — a natural-gas (m3) or heat (GJ) counter when the enterprise's reports have them;
* ``M-<carrier>`` — one manual monthly item (the first other carrier of the report, e.g. coal in t): one value
  per month, entered by hand (``input_type`` manual, ``statistic_type`` month);
* ``P-OUT`` — for the first :data:`PRODUCTION_ENTERPRISES` enterprises, a production (产量) meter of the report's
  product in its unit: one value a day (``statistic_type`` day, stamped at the day's 00:00), following the
  electricity load shape of the day (so energy and production move together) with 2 % noise, except
  :data:`JUMP_DAY_AGO` day(s) before the last reading's day, when production falls to :data:`JUMP_PRODUCTION_SHARE`
  of it while energy does not: the energy per unit jumps, and the production-normalised anomaly fires for it.

The readings: every 15 min from one year before "now" up to now (Asia/Shanghai), shaped by the latest annual
report's quantities (a day/night, weekday and seasonal swing, noise and a few maintenance stops, scaled so
that a year of readings matches the reported annual consumption), so monitoring and reports roughly agree.
They are not clean: every counter misses a few readings (outages of 15 min to 4 h, and for some a day or
three), one 分表 is reset to 0 once (a meter exchange, no counter maximum: the rollups flag it), one 分表 is
out of calibration (``calibrated_until`` in the past) and reads 15 % high, and a collector retry re-sends a
day (duplicates) with one altered value (a conflict, kept aside). Everything goes through the ingest service.

Generation is vectorised with NumPy and handed to the ingest service as typed Arrow tables, one per enterprise.
The meter trees are planned in :mod:`dualcarbon.demo.monitoring_meters`, the readings made in
:mod:`dualcarbon.demo.monitoring_readings`; this module imports and ingests them.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, select, update

from dualcarbon.core.access import Principal
from dualcarbon.demo.monitoring_meters import (
    _SHANGHAI,
    JUMP_DAY_AGO,
    JUMP_PRODUCTION_SHARE,
    MANUAL_PREFIX,
    METER_COLUMNS,
    MISCALIBRATED_SCALE,
    PRODUCTION_CODE,
    PRODUCTION_ENTERPRISES,
    STEP,
    STEPS_PER_DAY,
    DemoMeter,
    plan_meters,
)
from dualcarbon.demo.monitoring_readings import _retry_batch, readings_of
from dualcarbon.demo.plan import CityPlan
from dualcarbon.monitoring import service_cost, service_ingest, service_meters, service_refresh
from dualcarbon.monitoring.models import Meter, ReadingArrival
from dualcarbon.monitoring.service_arrivals import LOCAL_OFFSET
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

__all__ = [
    "JUMP_DAY_AGO",
    "JUMP_PRODUCTION_SHARE",
    "MANUAL_PREFIX",
    "METER_COLUMNS",
    "MISCALIBRATED_SCALE",
    "PRODUCTION_CODE",
    "PRODUCTION_ENTERPRISES",
    "DemoMeter",
    "MonitoringResult",
    "build_monitoring",
    "plan_meters",
    "readings_of",
]


@dataclass
class MonitoringResult:
    """What the build stored: meters, and the summed receipts of the year and of the retry."""

    enterprises: int = 0
    meters: int = 0
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    late_day: tuple[str, date] | None = None  # the (meter code, day) whose upload the story makes a week late
    start: datetime | None = None  # first reading (Asia/Shanghai, naive)
    end: datetime | None = None  # last reading
    problems: list[str] = field(default_factory=list)


def build_monitoring(
    engine: Engine, plan: CityPlan, principal: Principal, reference: ReferenceSet, *, now: datetime | None = None
) -> MonitoringResult:
    """Import the demo meters and ingest their readings up to ``now`` (Asia/Shanghai, naive; default: now)."""
    spec = plan.spec
    result = MonitoringResult()
    if spec.meter_enterprises == 0 or spec.meter_days == 0:
        return result
    now = now or datetime.now(tz=_SHANGHAI).replace(tzinfo=None)
    end = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    steps = spec.meter_days * STEPS_PER_DAY
    start = end - steps * STEP
    meters = plan_meters(plan, end.date())
    result.start, result.end = start, end
    result.meters = len(meters)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo-meters.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(METER_COLUMNS)
            writer.writerows(m.csv_row() for m in meters)
        with session_scope(engine) as session:
            service_meters.import_meters(session, principal, path, reference)
    rng = np.random.default_rng(spec.seed)
    codes = list(dict.fromkeys(m.credit_code for m in meters))
    result.enterprises = len(codes)
    retry: pa.Table | None = None
    for credit_code in codes:
        table = readings_of(meters, credit_code, start, steps, rng)
        by_hand = pc.starts_with(table.column("meter_code").cast(pa.string()), MANUAL_PREFIX)
        automatic = table.filter(pc.invert(by_hand))
        retry = retry if retry is not None else _retry_batch(automatic, rng)
        with session_scope(engine) as session:  # the collector's upload, then the values entered by hand
            _add(result, service_ingest.ingest_table(session, principal, automatic, source="file"))
            _add(result, service_ingest.ingest_table(session, principal, table.filter(by_hand), source="manual"))
    if retry is not None:
        with session_scope(engine) as session:
            _add(result, service_ingest.ingest_table(session, principal, retry, source="http"))
    result.late_day = _as_if_uploaded_daily(engine, codes, now)
    with session_scope(engine) as session:  # the energy costs, as the nightly `rollups refresh` leaves them
        for enterprise in service_refresh.enterprises_with_meters(session):
            service_cost.refresh_costs(session, enterprise, reference)
    return result


# The story's collector uploads each day shortly after it ends; one day of one meter comes a week late.
UPLOAD_DELAY = timedelta(minutes=10)
LATE_UPLOAD_DELAY = timedelta(days=7)
LATE_DAY_AGO = 20  # days before "now"


def _as_if_uploaded_daily(engine: Engine, codes: list[str], now: datetime) -> tuple[str, date] | None:
    """The year is generated at build time, but in the story it was collected online day by day: date each
    (meter, day)'s arrival (the timeliness check reads it) ``UPLOAD_DELAY`` after the day ended (Asia/Shanghai);
    days not yet over keep the real time. One day of the first enterprise's first 分表 arrives a week late, so the
    check has a late day to show. Returns that (meter code, day)."""
    late: tuple[str, date] | None = None
    with session_scope(engine) as session:
        meters = session.execute(
            select(Meter.id, Meter.code, Enterprise.credit_code)
            .join(Enterprise, Enterprise.id == Meter.enterprise_id)
            .where(Enterprise.credit_code.in_(codes))
            .order_by(Meter.id)
        ).all()
        first = codes[0] if codes else None
        late_meter = next((m for m in meters if m.credit_code == first and m.code.startswith("E-0")), None)
        late_date = now.date() - timedelta(days=LATE_DAY_AGO)
        updates: list[dict[str, Any]] = []
        rows = session.execute(
            select(ReadingArrival.meter_id, ReadingArrival.day).where(
                ReadingArrival.meter_id.in_([m.id for m in meters])
            )
        )
        for meter_id, day in rows:
            delay = timedelta(0)
            if late_meter is not None and meter_id == late_meter.id and day == late_date:
                late, delay = (late_meter.code, day), LATE_UPLOAD_DELAY
            _stamp(updates, meter_id, day, now, delay)
        if updates:
            session.execute(update(ReadingArrival), updates)
    return late


def stamp_daily_uploads(engine: Engine, meter_ids: list[int], now: datetime) -> None:
    """Date the arrivals of ``meter_ids``' days as if each was uploaded ``UPLOAD_DELAY`` after it ended (days not
    yet over keep the real time): a meter added after this stage (the retrofit's verification meter) reads as
    collected online like the others."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(ReadingArrival.meter_id, ReadingArrival.day).where(ReadingArrival.meter_id.in_(meter_ids))
        )
        updates: list[dict[str, Any]] = []
        for meter_id, day in rows:
            _stamp(updates, meter_id, day, now)
        if updates:
            session.execute(update(ReadingArrival), updates)


def _stamp(
    updates: list[dict[str, Any]], meter_id: int, day: date, now: datetime, delay: timedelta = timedelta(0)
) -> None:
    """Add the arrival of ``meter_id``'s ``day`` as uploaded ``UPLOAD_DELAY`` (+ ``delay``) after the day ended,
    unless that moment is after ``now`` (the day keeps its real arrival time)."""
    uploaded = datetime.combine(day + timedelta(days=1), datetime.min.time()) + UPLOAD_DELAY + delay
    if uploaded <= now:
        at = (uploaded - LOCAL_OFFSET).replace(tzinfo=UTC)
        updates.append({"meter_id": meter_id, "day": day, "first_arrival_at": at, "last_arrival_at": at})


def _add(result: MonitoringResult, receipt: Any) -> None:
    result.accepted += receipt.accepted
    result.duplicate += receipt.duplicate
    result.conflict += receipt.conflict
    result.rejected += receipt.rejected
    result.problems += [f"row {p.row}: {p.reason}" for p in receipt.problems][:20]
