"""The readings of the demo meters (demo/monitoring.py): 15-min counters with a load shape, gaps, a reset and a
mis-calibrated 分表; a manual monthly item; a daily production meter with one low day; a collector's retry.

Generation is vectorised with NumPy and handed to the ingest service as typed Arrow tables, one per enterprise.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from dualcarbon.demo.monitoring_meters import (
    JUMP_DAY_AGO,
    JUMP_PRODUCTION_SHARE,
    STEP,
    STEPS_PER_DAY,
    DemoMeter,
)


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
