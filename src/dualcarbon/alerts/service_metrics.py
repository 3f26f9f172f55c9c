"""``/metrics`` in the Prometheus text format: ingest, readings by outcome, data quality, open alerts, HTTP latency.

Figures read from the database at scrape time (so every worker answers the same):

* ``dualcarbon_ingest_rows_last_hour{outcome}`` — rows of the ingest batches of the last hour by outcome
  (accepted, duplicate, conflict, rejected), from the ``readings.ingest`` audit rows; ``dualcarbon_ingest_rate``
  — accepted rows per second over the last 5 minutes; ``dualcarbon_ingest_lag_seconds`` — seconds since the
  last ingest batch (absent when there never was one).
* ``dualcarbon_quality_index`` — mean enterprise quality index of the latest day measured, and
  ``dualcarbon_quality_failed_meters`` — meters that did not pass that day.
* ``dualcarbon_alerts_open{state,level,source}`` — alerts not closed.

``dualcarbon_http_request_duration_seconds`` (histogram by method and status class) is observed in-process by
the app's middleware (:func:`observe_request`), and ``dualcarbon_http_client_disconnects_total{stage}`` counts the
requests whose client went away before the answer (``queued``: while waiting for admission; ``in_flight``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dualcarbon.alerts.service_alerts import open_counts
from dualcarbon.monitoring.models import EnterpriseQualityDay, MeterQualityDay
from dualcarbon.store.base import utcnow
from dualcarbon.store.models import AuditLog

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OUTCOMES = ("accepted", "duplicate", "conflict")
RATE_WINDOW = timedelta(minutes=5)
COUNT_WINDOW = timedelta(hours=1)


class _StoreCollector(Collector):
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.factory() as session:
            yield from _ingest(session)
            yield from _quality(session)
            alerts = GaugeMetricFamily(
                "dualcarbon_alerts_open", "Alerts not closed", labels=["state", "level", "source"]
            )
            for state, level, source, count in open_counts(session):
                alerts.add_metric([state, level, source], count)
            yield alerts


def _ingest(session: Session) -> Iterator[GaugeMetricFamily]:
    now = utcnow()
    batches = session.execute(
        select(AuditLog.at, AuditLog.after).where(
            AuditLog.action == "readings.ingest", AuditLog.at >= now - COUNT_WINDOW
        )
    ).all()
    totals = dict.fromkeys((*OUTCOMES, "rejected"), 0)
    recent = 0
    for at, after in batches:
        after = after or {}
        counts = {k: int(after.get(k) or 0) for k in OUTCOMES}
        for key, value in counts.items():
            totals[key] += value
        totals["rejected"] += max(int(after.get("rows") or 0) - sum(counts.values()), 0)
        if at >= now - RATE_WINDOW:
            recent += counts["accepted"]
    rows = GaugeMetricFamily(
        "dualcarbon_ingest_rows_last_hour", "Ingested rows in the last hour by outcome", labels=["outcome"]
    )
    for outcome, value in totals.items():
        rows.add_metric([outcome], value)
    yield rows
    yield GaugeMetricFamily(
        "dualcarbon_ingest_rate", "Accepted rows per second over the last 5 minutes", value=recent / 300.0
    )
    last = session.scalar(select(func.max(AuditLog.at)).where(AuditLog.action == "readings.ingest"))
    if last is not None:
        yield GaugeMetricFamily(
            "dualcarbon_ingest_lag_seconds", "Seconds since the last ingest batch", value=(now - last).total_seconds()
        )


def _quality(session: Session) -> Iterator[GaugeMetricFamily]:
    day = session.scalar(select(func.max(EnterpriseQualityDay.day)))
    if day is None:
        return
    mean = session.scalar(select(func.avg(EnterpriseQualityDay.quality_index)).where(EnterpriseQualityDay.day == day))
    failed = session.scalar(select(func.count()).where(MeterQualityDay.day == day, MeterQualityDay.passed.is_(False)))
    if mean is not None:
        yield GaugeMetricFamily("dualcarbon_quality_index", "Mean enterprise quality index, latest day", value=mean)
    yield GaugeMetricFamily(
        "dualcarbon_quality_failed_meters", "Meters that did not pass, latest day", value=int(failed or 0)
    )


class Metrics:
    """One app's metrics registry: the store collector and the HTTP latency histogram."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_StoreCollector(factory))
        self.http = Histogram(
            "dualcarbon_http_request_duration_seconds",
            "HTTP request duration",
            labelnames=["method", "status"],
            registry=self.registry,
        )

        self.disconnects = Counter(
            "dualcarbon_http_client_disconnects",
            "HTTP requests whose client went away before the answer (queued: while waiting for admission)",
            labelnames=["stage"],
            registry=self.registry,
        )

    def client_disconnected(self, stage: str) -> None:
        """Count a request whose client went away (``stage``: "queued" or "in_flight")."""
        self.disconnects.labels(stage).inc()

    def observe_request(self, method: str, status: int, seconds: float) -> None:
        self.http.labels(method, f"{status // 100}xx").observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
