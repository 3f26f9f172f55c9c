"""Alerts while the platform runs: the quality job and the evaluation over a range of days, and a background loop.

* :func:`evaluate_range` — what the nightly job does (``quality compute`` then ``alerts evaluate``) for the days
  [first, last]: the data quality of every monitored enterprise the caller may read is measured and stored, then
  every alert source is evaluated day by day (one transaction per day), so a condition seen on several days adds
  occurrences to one alert. The demo calls it after its year of meters (:mod:`dualcarbon.demo.alerts`).
* :class:`AlertLoop` — a daemon thread in the serving process that evaluates again every ``interval_s`` seconds
  the days from the last day it evaluated up to the day ``clock()`` names (by default today in Asia/Shanghai; the
  live demo passes the simulator's clock, which runs ahead of the wall clock). An error is logged and the loop
  carries on at the next tick; :meth:`AlertLoop.request_stop` ends it after the enterprise in progress and
  :meth:`AlertLoop.join` waits for that (the server stops every loop so before the interpreter exits).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import Engine, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dualcarbon.alerts.models import EnergyBudget
from dualcarbon.alerts.schemas import EvaluationSummary
from dualcarbon.alerts.service_alerts import Detected, detect_day, record_detected
from dualcarbon.alerts.service_forecast import local_today
from dualcarbon.core.access import Principal
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_cost import CostPlan, plan_costs, write_costs
from dualcarbon.monitoring.service_quality import QualityMeasured, measure_quality, store_quality
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise
from dualcarbon.store.db import compute_then_write, is_transient_lock_error, session_scope

log = logging.getLogger(__name__)

#: Seconds between two evaluations of the live loop when none is configured (a serving default, not a rule).
DEFAULT_INTERVAL_S = 60.0


def evaluate_range(
    engine: Engine,
    principal: Principal,
    first: date,
    last: date,
    reference: ReferenceSet,
    *,
    audit: bool = True,
    stopping: threading.Event | None = None,
) -> list[EvaluationSummary]:
    """Measure the data quality of [first, last], then evaluate every alert source on each day (see above).
    ``audit`` false (the live loop, every minute): quality re-measurements are not audited and an evaluation only
    when it opened an alert — otherwise 30 enterprises would add ~43,000 audit rows a day that record no change.
    ``stopping`` set (the server is shutting down): returns after the enterprise in progress, with the days done.

    Two short steps per enterprise (and day): on SQLite the live subscriber writes readings meanwhile, and a
    transaction over every enterprise would keep it waiting for the write lock. Each is
    :func:`~dualcarbon.store.db.compute_then_write`: the Parquet reads and the computation run in a read-only
    transaction with no write lock (:func:`measure_quality`, :func:`detect_day`), and a second transaction takes
    the lock for the rows written alone (:func:`store_quality`, :func:`record_detected`). The stored rollups and
    costs those steps read are refreshed just before, on their own (:func:`_refresh_first`)."""
    if last < first:
        return []
    with session_scope(engine, write=False) as session:
        watched = or_(
            Enterprise.id.in_(select(Meter.enterprise_id)),
            Enterprise.id.in_(select(EnergyBudget.enterprise_id).where(EnergyBudget.year.in_({first.year, last.year}))),
        )
        rows = session.execute(
            select(Enterprise.credit_code, Enterprise.id.in_(select(Meter.enterprise_id)))
            .where(watched, enterprise_filter(principal))
            .order_by(Enterprise.id)
        ).all()
    stopped = stopping.is_set if stopping is not None else lambda: False
    metered_codes = dict(rows)
    for code, metered in rows:
        if stopped():
            return []
        if metered:
            _refresh_first(engine, principal, code, reference)

            def measure(session: Session, code: str = code) -> QualityMeasured | None:
                enterprise = require_enterprise(session, principal, code)
                return measure_quality(session, principal, enterprise, first, last, reference)

            def store(session: Session, measured: QualityMeasured | None) -> None:
                if measured is not None:
                    store_quality(session, principal, measured, audit=audit)

            compute_then_write(engine, measure, store)
    summaries: list[EvaluationSummary] = []
    day = first
    while day <= last:
        parts = []
        for code, _ in rows:
            if stopped():
                return summaries
            if metered_codes.get(code):
                _refresh_first(engine, principal, code, reference)

            def detect(session: Session, day: date = day, code: str = code) -> Detected:
                return detect_day(session, principal, day, reference, code)

            def record(session: Session, detected: Detected) -> EvaluationSummary:
                return record_detected(session, principal, detected, quiet=not audit)

            parts.append(compute_then_write(engine, detect, record))
        summaries.append(_merged(day, parts))
        day += timedelta(days=1)
    return summaries


def _refresh_first(engine: Engine, principal: Principal, code: str, reference: ReferenceSet) -> None:
    """Bring the stored rollups and costs of ``code`` up to date on their own: the costs computed with no write lock
    (:func:`plan_costs`), then written in a short transaction that checks them against the stored rows
    (:func:`write_costs`), so that the compute step after it mostly finds nothing to re-cost (what arrived meanwhile
    it costs itself, its write deferred to its own write step). Busy past the lock budget: left to that step."""

    def plan(session: Session) -> CostPlan:
        return plan_costs(session, require_enterprise(session, principal, code), reference)

    try:
        compute_then_write(engine, plan, write_costs, attempts=1)
    except DBAPIError as exc:
        if not is_transient_lock_error(exc):
            raise
        log.debug("alerts: rollups of %s not refreshed first (store busy)", code)


def _merged(day: date, parts: list[EvaluationSummary]) -> EvaluationSummary:
    by_source: Counter[str] = Counter()
    for part in parts:
        by_source.update(part.by_source)
    return EvaluationSummary(
        date=day,
        enterprises=sum(p.enterprises for p in parts),
        opened=sum(p.opened for p in parts),
        seen_again=sum(p.seen_again for p in parts),
        by_source=dict(by_source),
        deliveries_queued=sum(p.deliveries_queued for p in parts),
    )


class AlertLoop:
    """Evaluates the alerts every ``interval_s`` seconds in a daemon thread until :meth:`stop`."""

    def __init__(
        self,
        engine: Engine,
        principal: Principal,
        reference: ReferenceSet,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], date] = local_today,
    ) -> None:
        if not interval_s > 0:
            raise ValueError("the alert evaluation interval is a positive number of seconds")
        self.engine, self.principal, self.reference = engine, principal, reference
        self.interval_s, self.clock = interval_s, clock
        self.last_day: date | None = None
        self.runs = 0
        self.failures = 0
        self.opened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dualcarbon-alerts", daemon=True)

    def tick(self) -> list[EvaluationSummary]:
        """One evaluation: the days from the last evaluated day (it may have grown since) up to ``clock()``."""
        today = self.clock()
        first = min(self.last_day or today, today)
        summaries = evaluate_range(
            self.engine, self.principal, first, today, self.reference, audit=False, stopping=self._stop
        )
        if self._stop.is_set():  # cut short by the shutdown: the days from last_day on were not all evaluated
            return summaries
        self.last_day = today
        self.runs += 1
        opened = sum(s.opened for s in summaries)
        self.opened += opened
        if opened:
            log.info("alerts: %d opened evaluating %s – %s", opened, first, today)
        return summaries

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception:  # a failed evaluation must not end the loop: log it, try again at the next tick
                self.failures += 1
                log.warning(
                    "alerts: the periodic evaluation failed; trying again in %g s", self.interval_s, exc_info=True
                )

    def start(self) -> AlertLoop:
        self._thread.start()
        log.info("alerts: evaluating every %g s in the background", self.interval_s)
        return self

    def request_stop(self) -> None:
        """Ask the loop to end: it returns after the enterprise in progress (see :meth:`join`)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the loop to end; True when it has (or never started)."""
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        return not self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> bool:
        """:meth:`request_stop` then :meth:`join`; True when the loop has ended."""
        self.request_stop()
        return self.join(timeout)
