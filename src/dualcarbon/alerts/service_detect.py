"""What raises an alert: one function per source, each returning candidates for one enterprise and day.

* ``stale`` / ``quality`` — the stored data quality of the day (``meter_quality_day``, computed by the nightly
  ``dualcarbon quality compute``): a ``stale`` problem → a stale-meter alert (orange); a meter-day that did not
  pass for other reasons → a quality alert (yellow) listing its problems.
* ``stale`` also — a meter gone **silent while its enterprise still reports**: an automatic real-time meter whose
  last reading up to the end of the day lies more than PR-009 intervals (``quality_stale_intervals``, the stale
  rule of the quality job) behind the newest reading of the enterprise's meters of the same reading interval, that
  newest reading being on the day. It needs no clock: it also finds a meter the live simulator silenced in its
  compressed time, ahead of the wall clock the quality job measures against. Same key as the quality job's stale
  alert (one alert).
* ``conflict`` — readings offered with another value for a stored (meter, ts), kept aside for review
  (``reading_conflict``) and received up to the end of the day: one alert per enterprise (yellow).
* ``imbalance`` — a parent meter whose day |loss %| (:func:`monitoring.service_balance.meter_balance`)
  exceeds the tolerance PR-A04 (orange).
* ``anomaly`` — an hour of the day whose energy lies further than k·MAD (k = PR-A01) from the median of the
  same hour-of-week over the previous PR-A02 weeks (at least PR-A03 known values). MAD as Leys et al. (2013)
  define it: b × median |x − median| with b = 1.4826 (the constant that makes it estimate the standard
  deviation of normal data), and by at least PR-A09 % of the median (k·MAD alone, tested 24 times a day,
  flags most meters for a few % of noise); an hour-of-week with MAD 0 is not judged (nothing to measure a
  deviation against); an hour not complete (a gap, or still running) is unknown. One alert per meter (yellow),
  listing the anomalous hours with the unscaled median |x − median|. Production (产量) meters are not judged so.
* ``anomaly`` also — where production is metered, the day's tce per unit of production against the PR-A02 weeks
  of days before it (:mod:`.service_detect_production`, one alert per production meter, yellow). **Precedence:**
  when that model judges the day *within* its band **and** the day's production is above the median of the days
  before by at least PR-A09 %, the day's energy moved with production, and the hour-of-week anomalies of the
  energy meters it covers are not raised that day (on a day of ordinary output a spike stays an anomaly); when
  it finds the day anomalous, both its alert and the hour-of-week alerts are raised (the latter say which
  hours); when it cannot judge the day (no complete production or energy, too little history, MAD 0) the
  hour-of-week rule applies alone.
* ``budget`` — the budget status of the day's year (:mod:`.service_budget`) at yellow or worse.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.alerts.anomaly_production import MAD_NORMAL_CONSISTENCY, outside_band
from dualcarbon.alerts.service_budget import budget_of, budget_status
from dualcarbon.alerts.service_detect_production import production_judgement
from dualcarbon.alerts.service_detect_types import Candidate as Candidate  # re-exported: detect.Candidate
from dualcarbon.alerts.service_rules import LEVEL_ZH, AlertRules
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import DualcarbonError
from dualcarbon.monitoring.models import Meter, MeterQualityDay, ReadingConflict
from dualcarbon.monitoring.service_balance import meter_balance
from dualcarbon.monitoring.service_rollups import LOCAL_ZONE, rollups_of
from dualcarbon.monitoring.service_simulator import last_reading_times
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise


def quality_candidates(session: Session, enterprise: Enterprise, day: date) -> list[Candidate]:
    rows = session.execute(
        select(MeterQualityDay, Meter.code)
        .join(Meter, Meter.id == MeterQualityDay.meter_id)
        .where(MeterQualityDay.enterprise_id == enterprise.id, MeterQualityDay.day == day)
        .order_by(Meter.code)
    ).all()
    out = []
    collecting: bool | None = None  # whether the day is still being collected, looked up once when needed
    for row, code in rows:
        codes = [p.get("code", "") for p in row.problems or []]
        if "stale" in codes:
            stale = next(p for p in row.problems if p.get("code") == "stale")
            out.append(
                Candidate(
                    "stale",
                    f"stale:meter:{row.meter_id}",
                    enterprise.id,
                    "orange",
                    f"计量器具 {code} 数据中断",
                    {"meter": code, "date": day.isoformat(), "problem": stale},
                    row.meter_id,
                )
            )
        if not row.passed and [c for c in codes if c != "stale"]:
            if collecting is None:
                collecting = _still_collecting(session, enterprise, day)
            if collecting:  # a meter-day fails on its count of values only: too few *so far* is not a failure
                continue
            out.append(
                Candidate(
                    "quality",
                    f"quality:meter:{row.meter_id}",
                    enterprise.id,
                    "yellow",
                    f"计量器具 {code} 数据质量不合格",
                    {
                        "meter": code,
                        "date": day.isoformat(),
                        "completeness": row.completeness,
                        "problems": [p for p in row.problems if p.get("code") != "stale"],
                    },
                    row.meter_id,
                )
            )
    return out


def _still_collecting(session: Session, enterprise: Enterprise, day: date) -> bool:
    """True while the newest reading of any of the enterprise's meters lies before the end of ``day``
    (Asia/Shanghai): the day is in progress — by the data's clock, which in the live demo runs ahead of the
    wall clock — so a count of values below the day's quota is not yet a quality failure. A meter that stopped
    while its peers went on is the stale rule's (:func:`silent_candidates`)."""
    meter_ids = list(session.scalars(select(Meter.id).where(Meter.enterprise_id == enterprise.id)))
    end_utc = datetime.combine(day + timedelta(days=1), datetime.min.time(), LOCAL_ZONE).astimezone(UTC)
    last = last_reading_times(
        session, enterprise.credit_code, meter_ids, end_utc - timedelta(days=1), end_utc + timedelta(days=2)
    )
    return bool(last) and max(last.values()) < end_utc.replace(tzinfo=None)


def silent_candidates(session: Session, enterprise: Enterprise, day: date, reference: ReferenceSet) -> list[Candidate]:
    meters = list(
        session.scalars(
            select(Meter)
            .where(
                Meter.enterprise_id == enterprise.id,
                Meter.kind.in_(("cumulative", "interval")),
                Meter.input_type == "automatic",
                Meter.statistic_type == "realtime",
            )
            .order_by(Meter.id)
        )
    )
    if len(meters) < 2:
        return []  # nothing reports beside it: silence of the only meter is the quality job's stale rule
    stale_intervals = reference.platform_rule("quality_stale_intervals").value
    end_utc = datetime.combine(day + timedelta(days=1), datetime.min.time(), LOCAL_ZONE).astimezone(UTC)
    start_utc = end_utc - timedelta(days=2)
    last = last_reading_times(session, enterprise.credit_code, [m.id for m in meters], start_utc, end_utc)
    newest: dict[int, datetime] = {}  # reading interval → newest reading of the meters with that interval
    for meter in meters:
        if meter.id in last:
            newest[meter.interval_minutes] = max(last[meter.id], newest.get(meter.interval_minutes, last[meter.id]))
    day_start = datetime.combine(day, datetime.min.time(), LOCAL_ZONE).astimezone(UTC).replace(tzinfo=None)
    out = []
    for meter in meters:
        peers = newest.get(meter.interval_minutes)
        if peers is None or peers < day_start:
            continue  # no peer of its interval reported that day: the collector, not this meter, is down
        seen = last.get(meter.id)
        allowed = timedelta(minutes=meter.interval_minutes * stale_intervals)
        if seen is not None and peers - seen <= allowed:
            continue
        shown = "—" if seen is None else f"{seen.replace(tzinfo=UTC).astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M}"
        out.append(
            Candidate(
                "stale",
                f"stale:meter:{meter.id}",
                enterprise.id,
                "orange",
                f"计量器具 {meter.code} 数据中断（其他计量器具仍在上报）",
                {
                    "meter": meter.code,
                    "date": day.isoformat(),
                    "problem": {"code": "silent", "last_value": shown, "stale_intervals": stale_intervals},
                },
                meter.id,
            )
        )
    return out


def conflict_candidates(session: Session, enterprise: Enterprise, day: date) -> list[Candidate]:
    end_utc = datetime.combine(day + timedelta(days=1), datetime.min.time(), LOCAL_ZONE)
    count = session.scalar(
        select(func.count(ReadingConflict.id))
        .join(Meter, Meter.id == ReadingConflict.meter_id)
        .where(Meter.enterprise_id == enterprise.id, ReadingConflict.received_at < end_utc)
    )
    if not count:
        return []
    return [
        Candidate(
            "conflict",
            f"conflict:enterprise:{enterprise.id}",
            enterprise.id,
            "yellow",
            f"{count} 条冲突数据待复核",
            {"conflicts": int(count), "date": day.isoformat()},
        )
    ]


def imbalance_candidates(
    session: Session,
    principal: Principal,
    enterprise: Enterprise,
    day: date,
    reference: ReferenceSet,
    rules: AlertRules,
) -> list[Candidate]:
    parents = session.scalars(
        select(Meter)
        .where(Meter.enterprise_id == enterprise.id, Meter.kind != "virtual", Meter.measures == "energy")
        .where(Meter.id.in_(select(Meter.parent_id).where(Meter.counted.is_(True), Meter.parent_id.is_not(None))))
        .order_by(Meter.code)
    ).all()
    out = []
    for parent in parents:
        try:
            balance = meter_balance(session, principal, day, day, reference, meter_id=parent.id)
        except DualcarbonError:
            continue  # e.g. no counted sub-meter of the same carrier: nothing to balance
        for row in balance["days"]:
            loss_pct = row["loss_pct"]
            if loss_pct is not None and abs(loss_pct) > rules.imbalance_tolerance_pct:
                out.append(
                    Candidate(
                        "imbalance",
                        f"imbalance:meter:{parent.id}",
                        enterprise.id,
                        "orange",
                        f"总表 {parent.code} 与分表不平衡 {loss_pct:.1f}%",
                        {
                            "meter": parent.code,
                            "date": row["date"],
                            "parent": row["parent"],
                            "children": row["children"],
                            "loss_pct": round(loss_pct, 6),
                            "tolerance_pct": rules.imbalance_tolerance_pct,
                        },
                        parent.id,
                    )
                )
    return out


def anomalous_hours(
    history: np.ndarray, today: np.ndarray, k: float, min_samples: int, min_deviation_pct: float = 0.0
) -> list[tuple[int, float, float, float]]:
    """Hours h (0–23) of ``today`` (24 values, NaN unknown) outside median ± k·MAD of ``history[:, h]``
    (weeks × 24, NaN unknown), MAD scaled by :data:`MAD_NORMAL_CONSISTENCY`: (hour, value, median, unscaled mad)."""
    found = []
    for hour in range(24):
        value = today[hour]
        column = history[:, hour]
        known = column[~np.isnan(column)]
        if np.isnan(value) or known.size < min_samples:
            continue
        band = outside_band(float(value), known, k, min_deviation_pct)
        if band is not None:
            found.append((hour, float(value), *band))
    return found


def anomaly_candidates(
    session: Session, enterprise: Enterprise, day: date, reference: ReferenceSet, rules: AlertRules
) -> list[Candidate]:
    production = production_judgement(session, enterprise, day, reference, rules)
    meters = list(
        session.scalars(
            select(Meter)
            .where(
                Meter.enterprise_id == enterprise.id,
                Meter.kind.in_(("cumulative", "interval")),
                Meter.measures == "energy",
            )
            .where(Meter.id.not_in(production.explained_meter_ids))
            .order_by(Meter.id)
        )
    )
    if not meters:
        return production.candidates
    weeks = rules.anomaly_history_weeks
    first = day - timedelta(days=7 * weeks)
    table, _ = rollups_of(session, enterprise, meters, "hour", first, day, reference)
    by_meter: dict[int, dict[datetime, float]] = {}
    for meter_id, start, energy, completeness in zip(
        table.column("meter_id").to_pylist(),
        table.column("start").to_pylist(),
        table.column("energy").to_pylist(),
        table.column("completeness").to_pylist(),
        strict=True,
    ):
        if energy is not None and (completeness or 0.0) >= 1.0:  # a part hour (gap, or live and not over) is unknown
            by_meter.setdefault(meter_id, {})[start] = energy
    out = list(production.candidates)
    midnight = datetime.combine(day, datetime.min.time())
    for meter in meters:
        values = by_meter.get(meter.id, {})
        today = np.array([values.get(midnight + timedelta(hours=h), np.nan) for h in range(24)])
        history = np.array(
            [
                [values.get(midnight - timedelta(days=7 * w) + timedelta(hours=h), np.nan) for h in range(24)]
                for w in range(1, weeks + 1)
            ]
        )
        hours = anomalous_hours(
            history, today, rules.anomaly_k_mad, rules.anomaly_min_samples, rules.anomaly_min_deviation_pct
        )
        if hours:
            out.append(
                Candidate(
                    "anomaly",
                    f"anomaly:meter:{meter.id}",
                    enterprise.id,
                    "yellow",
                    f"计量器具 {meter.code} 用能异常（{len(hours)} 个小时）",
                    {
                        "meter": meter.code,
                        "date": day.isoformat(),
                        "unit": meter.unit,
                        "k": rules.anomaly_k_mad,
                        "mad_scale": MAD_NORMAL_CONSISTENCY,
                        "min_deviation_pct": rules.anomaly_min_deviation_pct,
                        "hours": [
                            {"hour": h, "energy": round(v, 6), "median": round(m, 6), "mad": round(d, 6)}
                            for h, v, m, d in hours
                        ],
                    },
                    meter.id,
                )
            )
    return out


def budget_candidates(
    session: Session, principal: Principal, enterprise: Enterprise, day: date, reference: ReferenceSet
) -> list[Candidate]:
    if budget_of(session, enterprise, day.year) is None:
        return []
    status = budget_status(session, principal, enterprise.credit_code, day.year, day, reference)
    if status.level in (None, "green"):
        return []
    level = str(status.level)
    return [
        Candidate(
            "budget",
            f"budget:enterprise:{enterprise.id}:{day.year}",
            enterprise.id,
            level,
            f"{day.year} 年用能预算{LEVEL_ZH[level]}预警",
            status.model_dump(mode="json"),
        )
    ]
