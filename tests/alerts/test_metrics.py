"""``/metrics`` in the Prometheus text format after ingest and evaluation (both stores)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from dualcarbon.alerts import service_alerts
from dualcarbon.store.db import session_scope

from .test_evaluate import DAY, plant


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_after_ingest_and_evaluation(world, client, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    with session_scope(world.engine) as session:
        service_alerts.evaluate(session, admin, DAY, reference)
    samples = _samples(client.get("/metrics").text)
    # plant(): 3 meters × (56 days + 1 day) × 24 hours = 4 104 readings, all accepted, within the last hour
    assert samples[("dualcarbon_ingest_rows_last_hour", (("outcome", "accepted"),))] == 4104
    assert samples[("dualcarbon_ingest_rows_last_hour", (("outcome", "rejected"),))] == 0
    assert samples[("dualcarbon_ingest_lag_seconds", ())] >= 0
    assert samples[("dualcarbon_alerts_open", (("level", "yellow"), ("source", "anomaly"), ("state", "open")))] == 2
    # the first scrape itself was observed by the latency middleware: one GET answered 2xx
    again = _samples(client.get("/metrics").text)
    assert again[("dualcarbon_http_request_duration_seconds_count", (("method", "GET"), ("status", "2xx")))] == 1
