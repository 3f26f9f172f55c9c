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
"""

from __future__ import annotations

import csv
import math
import random
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, select, update

from dualcarbon.core.access import Principal
from dualcarbon.demo.plan import CityPlan, EnterprisePlan
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.monitoring.models import Meter, ReadingArrival
from dualcarbon.monitoring.service_arrivals import LOCAL_OFFSET
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

_SHANGHAI = ZoneInfo("Asia/Shanghai")
STEP = timedelta(minutes=15)
STEPS_PER_DAY = 96
#: What a report quantity is in a meter's unit (reports state 万kWh and 万m³).
_TO_METER_UNIT = {"万kWh": ("kWh", 10_000.0), "万m³": ("m3", 10_000.0), "GJ": ("GJ", 1.0), "t": ("t", 1.0)}
_COUNTERS = (("natural_gas", "G-MAIN"), ("heat", "H-MAIN"))
MANUAL_PREFIX = "M-"  # code prefix of the manual monthly items
MISCALIBRATED_SCALE = 1.15  # the out-of-calibration 分表 reads this much high
PRODUCTION_ENTERPRISES = 2  # the first monitored enterprises get a daily production (产量) meter
PRODUCTION_CODE = "P-OUT"
JUMP_DAY_AGO = 1  # the day (before the last reading's day) whose production falls while energy does not
JUMP_PRODUCTION_SHARE = 0.6  # … to this share of what the load shape implies: energy per unit × 1 / 0.6
METER_COLUMNS = [
    "credit_code",
    "meter_code",
    "carrier",
    "unit",
    "kind",
    "multiplier",
    "parent_meter_code",
    "counted",
    "calibrated_until",
    "interval_minutes",
    "process_stage",
    "statistic_type",
    "input_type",
    "measures",
    "product",
]


@dataclass
class DemoMeter:
    """One demo meter and how its readings are made."""

    credit_code: str
    code: str
    carrier: str
    unit: str
    kind: str  # cumulative | interval
    multiplier: float
    annual: float  # consumption per 365 days in ``unit``
    parent: str | None = None
    counted: bool = True
    share: float = 1.0  # of the parent's consumption (分表)
    calibrated_until: date | None = None
    scale: float = 1.0  # a mis-calibrated meter reads value × scale
    reset_at: float | None = None  # fraction of the year at which the counter is reset to 0
    manual_monthly: bool = False
    stage: str = "end_use"
    product: str | None = None  # a production (产量) meter of this product: one value a day, no carrier

    def csv_row(self) -> list[Any]:
        if self.product is not None:
            return [
                self.credit_code, self.code, "", self.unit, "interval", 1, "", "true", "", 1440, "",
                "day", "automatic", "production", self.product,
            ]  # fmt: skip
        return [
            self.credit_code,
            self.code,
            self.carrier,
            self.unit,
            self.kind,
            self.multiplier,
            self.parent or "",
            "true" if self.counted else "false",
            self.calibrated_until.isoformat() if self.calibrated_until else "",
            1440 if self.manual_monthly else 15,
            self.stage,
            "month" if self.manual_monthly else "realtime",
            "manual" if self.manual_monthly else "automatic",
            "energy",
            "",
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


def _multiplier(per_step: float) -> float:
    """A CT/PT-like ratio that keeps the counter's step around tens of units (1, 10, 100 …)."""
    return float(10 ** max(0, round(math.log10(max(per_step, 1.0) / 20.0))))


def _annual_by_carrier(enterprise: EnterprisePlan) -> dict[str, tuple[str, float]]:
    """carrier → (meter unit, annual quantity) from the latest report's energy lines (repeated carriers summed)."""
    out: dict[str, tuple[str, float]] = {}
    for line in enterprise.latest.content["energy_lines"]:
        unit, factor = _TO_METER_UNIT.get(line["unit"], (line["unit"], 1.0))
        previous = out.get(line["carrier"], (unit, 0.0))[1]
        out[line["carrier"]] = (unit, previous + float(line["quantity"]) * factor)
    return out


def plan_meters(plan: CityPlan, today: date) -> list[DemoMeter]:
    """The meter trees of the monitored enterprises (deterministic in the plan's seed)."""
    rng = random.Random(plan.spec.seed * 7919 + 8)
    chosen = sorted(plan.enterprises, key=lambda e: (not e.key_energy_user, e.index))[: plan.spec.meter_enterprises]
    meters: list[DemoMeter] = []
    for enterprise in chosen:
        code = enterprise.credit_code
        annual = _annual_by_carrier(enterprise)
        if "electricity" not in annual:
            continue
        unit, power = annual.pop("electricity")
        main = DemoMeter(code, "E-MAIN", "electricity", unit, "cumulative", 1.0, power, counted=False)
        main.multiplier = _multiplier(power / (365 * STEPS_PER_DAY))
        main.stage = "purchase_storage"
        meters.append(main)
        count = rng.choice((2, 3))
        weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
        delivered = rng.uniform(0.980, 0.995)  # the rest is line loss between 总表 and 分表
        for i, weight in enumerate(weights, start=1):
            share = delivered * weight / sum(weights)
            meters.append(
                DemoMeter(
                    code, f"E-{i:02d}", "electricity", unit, "cumulative",
                    _multiplier(power * share / (365 * STEPS_PER_DAY)), power * share, parent="E-MAIN", share=share,
                )
            )  # fmt: skip
        for carrier, meter_code in _COUNTERS:
            if carrier in annual:
                unit, quantity = annual.pop(carrier)
                meters.append(
                    DemoMeter(
                        code, meter_code, carrier, unit, "cumulative",
                        _multiplier(quantity / (365 * STEPS_PER_DAY)), quantity, stage="purchase_storage",
                    )
                )  # fmt: skip
        if annual:
            carrier, (unit, quantity) = next(iter(annual.items()))
            meters.append(
                DemoMeter(
                    code, f"{MANUAL_PREFIX}{carrier}", carrier, unit, "interval", 1.0, quantity,
                    manual_monthly=True, stage="purchase_storage",
                )
            )  # fmt: skip
        if len({m.credit_code for m in meters}) <= PRODUCTION_ENTERPRISES:
            output = enterprise.latest.content["outputs"][0]
            meters.append(
                DemoMeter(
                    code, PRODUCTION_CODE, "", str(output["unit"]), "interval", 1.0, float(output["quantity"]),
                    product=str(output["product"]),
                )
            )  # fmt: skip
    subs = [m for m in meters if m.parent]
    if len(subs) >= 2:
        reset, wrong = rng.sample(subs, 2)
        reset.reset_at = rng.uniform(0.3, 0.8)
        wrong.scale = MISCALIBRATED_SCALE
        wrong.calibrated_until = today - timedelta(days=rng.randint(120, 300))
    return meters


# ---- readings ----------------------------------------------------------------------------------------
def _shape(n: int, start: datetime, rng: np.random.Generator) -> np.ndarray:
    """A load shape over ``n`` 15-min steps from ``start``, mean 1: day/night, weekday, season, noise, stops."""
    k = np.arange(n)
    hours = (start.hour + start.minute / 60.0 + k / 4.0) % 24.0
    days = (k + start.hour * 4 + start.minute // 15) // STEPS_PER_DAY
    weekday = (start.weekday() + days) % 7
    doy = (start.timetuple().tm_yday + days) % 365
    shape = (
        1.0
        + rng.uniform(0.04, 0.15) * np.cos(2 * np.pi * (hours - 14.0) / 24.0)
        - rng.uniform(0.0, 0.12) * (weekday == 6)
        + rng.uniform(0.02, 0.10) * np.cos(2 * np.pi * (doy - 200) / 365.0)
    ) * rng.lognormal(0.0, 0.05, n)
    for _ in range(rng.integers(1, 3)):  # maintenance stops of 2–4 days at a quarter of the load
        first = int(rng.integers(0, max(1, n - 4 * STEPS_PER_DAY)))
        shape[first : first + int(rng.integers(2, 5)) * STEPS_PER_DAY] *= 0.25
    return np.asarray(shape / shape.mean())


def _gaps(n: int, rng: np.random.Generator, *, long_outage: bool) -> np.ndarray:
    """Which of ``n`` readings arrive: a few outages of 1–16 readings, and optionally one of 1–3 days."""
    keep = np.ones(n, dtype=bool)
    for _ in range(rng.integers(3, 9)):
        first = int(rng.integers(1, n))
        keep[first : first + int(rng.integers(1, 17))] = False
    if long_outage:
        first = int(rng.integers(1, n))
        keep[first : first + int(rng.integers(1, 4)) * STEPS_PER_DAY] = False
    return keep


def _counter(meter: DemoMeter, consumption: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Counter readings (before the multiplier) at each step; the first is the counter at the start."""
    start = float(rng.uniform(1e4, 9e5))
    counts = start + np.concatenate(([0.0], np.cumsum(consumption[1:] * meter.scale))) / meter.multiplier
    if meter.reset_at is not None:
        at = int(len(counts) * meter.reset_at)
        counts[at:] -= counts[at] - rng.uniform(0.0, 5.0)  # exchanged meter: starts again near 0
    return np.round(counts, 2)


def _monthly(
    meter: DemoMeter, start: datetime, end: datetime, rng: np.random.Generator
) -> list[tuple[datetime, float]]:
    """The manual item: one value per whole month inside [start, end], stamped on the 1st at 00:00."""
    rows = []
    month = (datetime(start.year, start.month, 1) + timedelta(days=32)).replace(day=1)
    while True:
        following = (month + timedelta(days=32)).replace(day=1)
        if following > end:
            break
        days = (following - month).days
        rows.append((month, round(meter.annual * days / 365.0 * rng.uniform(0.9, 1.1), 1)))
        month = following
    return rows


def _daily_production(
    meter: DemoMeter, start: datetime, steps: int, shape: np.ndarray, jump: date, rng: np.random.Generator
) -> list[tuple[datetime, float]]:
    """One value per whole Asia/Shanghai day in the readings' span, stamped at its 00:00: the annual output spread
    by the day's mean electricity load shape, 2 % noise; the ``jump`` day at :data:`JUMP_PRODUCTION_SHARE`."""
    rows = []
    day = datetime.combine(start.date() + timedelta(days=1), datetime.min.time())
    while day + timedelta(days=1) <= start + steps * STEP:
        first = (day - start) // STEP
        load = float(shape[first : first + STEPS_PER_DAY].mean())
        made = meter.annual / 365.0 * load * float(rng.lognormal(0.0, 0.02))
        if day.date() == jump:
            made *= JUMP_PRODUCTION_SHARE
        rows.append((day, round(made, 3)))
        day += timedelta(days=1)
    return rows


def readings_of(
    meters: list[DemoMeter], credit_code: str, start: datetime, steps: int, rng: np.random.Generator
) -> pa.Table:
    """The year of readings of one enterprise's meters as a typed batch (ts naive = Asia/Shanghai)."""
    ts_all = np.datetime64(start, "us") + np.arange(steps + 1) * np.timedelta64(15, "m")
    shape = _shape(steps + 1, start, rng)
    codes: list[np.ndarray] = []
    stamps: list[np.ndarray] = []
    values: list[np.ndarray] = []
    names: list[str] = []
    own = [m for m in meters if m.credit_code == credit_code]
    produces = any(m.product is not None for m in own)
    jump = (start + steps * STEP).date() - timedelta(days=JUMP_DAY_AGO)
    jump_slots = slice(
        max(0, (datetime.combine(jump, datetime.min.time()) - start) // STEP - 1),
        max(0, (datetime.combine(jump + timedelta(days=1), datetime.min.time()) - start) // STEP + 2),
    )
    for meter in own:
        names.append(meter.code)
        if meter.product is not None:
            pairs = _daily_production(meter, start, steps, shape, jump, rng)
            stamps.append(np.array([p[0] for p in pairs], dtype="datetime64[us]"))
            values.append(np.array([p[1] for p in pairs], dtype=np.float64))
        elif meter.manual_monthly:
            end = start + steps * STEP
            pairs = _monthly(meter, start, end, rng)
            stamps.append(np.array([p[0] for p in pairs], dtype="datetime64[us]"))
            values.append(np.array([p[1] for p in pairs], dtype=np.float64))
        else:
            own_shape = shape if meter.carrier == "electricity" else _shape(steps + 1, start, rng)
            noise = rng.lognormal(0.0, 0.03, steps + 1) if meter.parent else 1.0
            consumption = meter.annual / (365 * STEPS_PER_DAY) * own_shape * noise
            keep = _gaps(steps + 1, rng, long_outage=rng.random() < 0.3)
            if produces:
                keep[jump_slots] = True  # the jump day is complete, so the production model can judge it
            stamps.append(ts_all[keep])
            values.append(_counter(meter, consumption, rng)[keep])
        codes.append(np.full(len(stamps[-1]), len(names) - 1, dtype=np.int32))
    indices = pa.array(np.concatenate(codes))
    size = len(indices)
    return pa.table(
        {
            "credit_code": pa.DictionaryArray.from_arrays(pa.array(np.zeros(size, np.int32)), pa.array([credit_code])),
            "meter_code": pa.DictionaryArray.from_arrays(indices, pa.array(names)),
            "ts": pa.array(np.concatenate(stamps), pa.timestamp("us")),
            "value": pa.array(np.concatenate(values), pa.float64()),
        }
    )


def _retry_batch(table: pa.Table, rng: np.random.Generator) -> pa.Table:
    """A collector retry: the first day of the table's first meter again, one value altered (a conflict)."""
    day = table.slice(0, STEPS_PER_DAY)
    values = day.column("value").to_numpy().copy()
    values[int(rng.integers(0, len(values)))] += 1.5
    return day.set_column(3, "value", pa.array(values, pa.float64()))


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
            uploaded = datetime.combine(day + timedelta(days=1), datetime.min.time()) + UPLOAD_DELAY
            if late_meter is not None and meter_id == late_meter.id and day == late_date:
                uploaded += LATE_UPLOAD_DELAY
                late = (late_meter.code, day)
            if uploaded > now:
                continue
            at = (uploaded - LOCAL_OFFSET).replace(tzinfo=UTC)
            updates.append({"meter_id": meter_id, "day": day, "first_arrival_at": at, "last_arrival_at": at})
        if updates:
            session.execute(update(ReadingArrival), updates)
    return late


def _add(result: MonitoringResult, receipt: Any) -> None:
    result.accepted += receipt.accepted
    result.duplicate += receipt.duplicate
    result.conflict += receipt.conflict
    result.rejected += receipt.rejected
    result.problems += [f"row {p.row}: {p.reason}" for p in receipt.problems][:20]
