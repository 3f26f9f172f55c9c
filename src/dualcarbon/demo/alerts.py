"""The demo's alerts (告警): budgets for a few monitored enterprises, then the nightly evaluation of the last days.

After the meters and their year of readings exist (:mod:`dualcarbon.demo.monitoring`):

* **Budgets** (用能预算) for the first monitored enterprises, each set to a share of its projected year-end
  consumption (:data:`BUDGET_SHARES`) so that the region's warning scheme judges one yellow, one orange and one
  within budget (green, no alert) — the shares are demo scenarios, not rules;
* **Evaluation** of the last :data:`EVALUATED_DAYS` days up to the end of the readings (today so far), as the
  nightly job would (:func:`dualcarbon.alerts.service_live.evaluate_range`: data quality, then every alert
  source). The faults the
  readings carry — outages, the counter reset, the mis-calibrated 分表 that breaks the master/sub-meter balance,
  the collector retry's conflicting value, maintenance stops — open their alerts from the data themselves.

While the demo serves, the live loop (:class:`dualcarbon.alerts.service_live.AlertLoop`) evaluates again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from dualcarbon.alerts import service_budget, service_forecast, service_live
from dualcarbon.core.access import Principal
from dualcarbon.demo.monitoring import MonitoringResult, plan_meters
from dualcarbon.demo.plan import CityPlan
from dualcarbon.reference import ReferenceSet
from dualcarbon.store.db import session_scope

#: Budget as a share of the projected year-end consumption, for the first monitored enterprises in turn. With the
#: completion-rate scheme (budget ÷ projection × 100): 95 % is yellow, 80 % orange, 110 % green.
BUDGET_SHARES = (0.95, 0.80, 1.10)
#: Days evaluated after the build, up to today (the nightly job runs once a day; a few days show repeated alerts;
#: each enterprise-day costs about 0.3 s, so the 30 monitored enterprises of the default demo take about 25 s).
EVALUATED_DAYS = 3


@dataclass
class AlertsResult:
    """What the stage made: budgets (credit code → budget tce), the evaluated days and the alerts opened."""

    budgets: dict[str, float] = field(default_factory=dict)
    days: int = 0
    opened: int = 0
    by_source: dict[str, int] = field(default_factory=dict)


def build_alerts(
    engine: Engine, plan: CityPlan, principal: Principal, reference: ReferenceSet, monitoring: MonitoringResult
) -> AlertsResult:
    """Set the demo budgets and evaluate the alerts of the last days (see the module docstring)."""
    result = AlertsResult()
    if not monitoring.meters or monitoring.end is None:
        return result
    last = monitoring.end.date()
    codes = list(dict.fromkeys(m.credit_code for m in plan_meters(plan, monitoring.end.date())))
    for code, share in zip(codes, BUDGET_SHARES, strict=False):
        with session_scope(engine) as session:
            outlook = service_forecast.forecast(session, principal, "enterprise", code, last.year, last, reference)
            projected = outlook.tce.year_end
            if projected is None or projected <= 0:
                continue  # no projection, no budget scenario (never a made-up number)
            budget = round(projected * share, 1)
            service_budget.set_budget(session, principal, code, last.year, budget, reference)
            result.budgets[code] = budget
    first = max(last - timedelta(days=EVALUATED_DAYS - 1), monitoring.start.date() if monitoring.start else last)
    summaries = service_live.evaluate_range(engine, principal, first, last, reference)
    by_source: Counter[str] = Counter()
    for summary in summaries:
        result.opened += summary.opened
        by_source.update(summary.by_source)
    result.days = len(summaries)
    result.by_source = dict(by_source)
    return result
