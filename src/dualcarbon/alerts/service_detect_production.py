"""The production-normalised anomaly (单位产量能耗异常) of a day, where production (产量) is metered.

For every production meter of the enterprise (``Meter.measures = "production"``, cumulative or interval):

* **covered energy meters** — the meters whose energy the production explains: the counted energy meters of the
  production meter's production unit when it has one, else of the whole enterprise (the rule of the totals,
  :func:`dualcarbon.monitoring.service_tree.counted_meters_query`), with daily values (statistic type real-time
  or day: a monthly item, e.g. coal entered by hand once a month, has no day to judge and is left out — so the
  day's energy is that of the daily meters only);
* **daily series** over the day and the PR-A02 weeks before it (Asia/Shanghai days, stored day rollups):
  energy = Σ tce (当量值) of the covered meters, known only when every covered meter's day is complete and has a
  tce (tce, not the meters' own units, because carriers cannot be added otherwise); production = the production
  meter's day quantity, known only when its day is complete;
* **judgement** — :func:`.anomaly_production.judge_period` on energy ÷ production with k = PR-A01, the window
  PR-A02 × 7 days, at least PR-A03 known days, and at least PR-A09 % from the median.

The answer holds the alert candidates (one per production meter whose day is anomalous, yellow) and the ids of the
covered meters of every production meter that **judged the day within its band**: the day's energy moved with
production, so :func:`.service_detect.anomaly_candidates` raises no hour-of-week anomaly for those meters that day
(the precedence is stated in docs/alerts.md). A day that cannot be judged overrides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.alerts.anomaly_production import MAD_NORMAL_CONSISTENCY, intensities, judge_period
from dualcarbon.alerts.service_detect_types import Candidate
from dualcarbon.alerts.service_rules import AlertRules
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_rollups import rollups_of
from dualcarbon.monitoring.service_tree import counted_meters_query
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise

#: Statistic types with a value for every day: a monthly item (月统计) has no day energy to normalise.
DAILY_STATISTICS = ("realtime", "day")


@dataclass
class ProductionJudgement:
    """Candidates of the production model for one day, and the energy meters whose day it explained."""

    candidates: list[Candidate] = field(default_factory=list)
    explained_meter_ids: set[int] = field(default_factory=set)


def production_meters(session: Session, enterprise_id: int) -> list[Meter]:
    """The enterprise's production (产量) meters that give quantities (cumulative or interval), by id."""
    query = select(Meter).where(
        Meter.enterprise_id == enterprise_id,
        Meter.measures == "production",
        Meter.kind.in_(("cumulative", "interval")),
    )
    return list(session.scalars(query.order_by(Meter.id)))


def covered_meters(session: Session, production: Meter) -> list[Meter]:
    """The counted energy meters with daily values whose energy ``production`` normalises (its unit's, else the
    enterprise's)."""
    query = counted_meters_query([production.enterprise_id]).where(Meter.statistic_type.in_(DAILY_STATISTICS))
    if production.production_unit_id is not None:
        query = query.where(Meter.production_unit_id == production.production_unit_id)
    return list(session.scalars(query))


def daily_series(
    session: Session,
    enterprise: Enterprise,
    production: Meter,
    covered: list[Meter],
    first: date,
    last: date,
    reference: ReferenceSet,
) -> tuple[list[date], list[float | None], list[float | None]]:
    """Days ``first``…``last``, the covered meters' day tce and the production of each (None: unknown)."""
    table, _ = rollups_of(session, enterprise, [production, *covered], "day", first, last, reference)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    rows: dict[tuple[int, date], dict[str, Any]] = {}
    for row in table.to_pylist():
        rows[(row["meter_id"], row["start"].date())] = row

    def complete(row: dict[str, Any] | None, column: str) -> float | None:
        if row is None or (row["completeness"] or 0.0) < 1.0 or row[column] is None:
            return None
        return float(row[column])

    energy: list[float | None] = []
    made: list[float | None] = []
    for day in days:
        made.append(complete(rows.get((production.id, day)), "energy"))
        tce = [complete(rows.get((m.id, day)), "tce") for m in covered]
        energy.append(None if any(t is None for t in tce) else sum(t for t in tce if t is not None))
    return days, energy, made


def _output_rose(made: list[float | None], min_rise_pct: float) -> bool:
    """Whether the last day's production is above the median of the days before by at least ``min_rise_pct`` %
    (PR-A09): only then does production explain a rise of its energy meters' hours. A night-time spike on a day of
    ordinary output is not explained by production, even when the day's total per unit stays in its band."""
    history = [p for p in made[:-1] if p is not None]
    last = made[-1] if made else None
    if not history or last is None:
        return False
    typical = float(np.median(history))
    return typical > 0 and (last - typical) / typical * 100 >= min_rise_pct


def production_judgement(
    session: Session, enterprise: Enterprise, day: date, reference: ReferenceSet, rules: AlertRules
) -> ProductionJudgement:
    """Judge ``day`` for every production meter of ``enterprise`` (module docstring)."""
    out = ProductionJudgement()
    window = 7 * rules.anomaly_history_weeks
    for production in production_meters(session, enterprise.id):
        covered = covered_meters(session, production)
        if not covered:
            continue
        days, energy, made = daily_series(
            session, enterprise, production, covered, day - timedelta(days=window), day, reference
        )
        judged = judge_period(
            intensities(energy, made),
            len(days) - 1,
            k=rules.anomaly_k_mad,
            window=window,
            min_samples=rules.anomaly_min_samples,
            min_deviation_pct=rules.anomaly_min_deviation_pct,
        )
        if judged is None:
            continue
        if not judged.anomalous:
            if _output_rose(made, rules.anomaly_min_deviation_pct):  # the day's energy moved with production
                out.explained_meter_ids |= {m.id for m in covered}
            continue
        change_pct = (judged.intensity - judged.median) / judged.median * 100 if judged.median else None
        out.candidates.append(
            Candidate(
                "anomaly",
                f"anomaly:production:{production.id}",
                enterprise.id,
                "yellow",
                f"单位产量能耗异常（{production.product}，计量器具 {production.code}）",
                {
                    "meter": production.code,
                    "model": "production",
                    "date": day.isoformat(),
                    "product": production.product,
                    "intensity_unit": f"tce/{production.unit}",
                    "energy_tce": round(float(energy[-1] or 0.0), 6),
                    "production": round(float(made[-1] or 0.0), 6),
                    "intensity": float(f"{judged.intensity:.9g}"),
                    "median": float(f"{judged.median:.9g}"),
                    "mad": float(f"{judged.mad:.9g}"),
                    "change_pct": None if change_pct is None else round(change_pct, 3),
                    "k": rules.anomaly_k_mad,
                    "mad_scale": MAD_NORMAL_CONSISTENCY,
                    "min_deviation_pct": rules.anomaly_min_deviation_pct,
                    "window_days": window,
                    "covered_meters": [m.code for m in covered],
                },
                production.id,
            )
        )
    return out
