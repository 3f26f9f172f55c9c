"""预填: the monitored energy of a report's period written into its draft (both stores).

Enterprise a, counted ``interval`` meters: E1 and E2 electricity kWh, G natural gas m3; P electricity not counted.
March 2024 (31 days × 96 quarter hours = 2976 values per meter):
  E1 every value 0.5 kWh → 1488 kWh; E2 every value 0.25 kWh → 744 kWh; together 2232 kWh = 0.2232 万kWh,
  completeness 100 %.  G: only 4 values of 2.5 m3 → 10 m3, completeness 4 / 2976 (below the 90 % of PR-004).
  P (not counted) 100 kWh a value — never summed.
The March draft says: electricity 0.3 万kWh, natural gas 8 m3, raw coal 5 t.
After the prefill: electricity 0.2232 万kWh (filled from E1, E2), natural gas 8 m3 stays (incomplete), raw coal
5 t stays (no meter). With include_incomplete natural gas becomes 10 m3.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select

from dualcarbon.core.errors import Conflict, NotFound
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.monitoring.service_prefill_draft import prefill_report_draft
from dualcarbon.reports import service_workflow
from dualcarbon.store.audit import AuditLog
from dualcarbon.store.db import session_scope

HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "counted"]
CONTENT = {
    "energy_lines": [
        {"carrier": "电力", "quantity": 0.3, "unit": "万kWh"},
        {"carrier": "天然气", "quantity": 8, "unit": "m3"},
        {"carrier": "原煤", "quantity": 5, "unit": "t"},
    ]
}


def _plant(world: Any, tmp_path: Path, admin: Any, reference: Any, write_csv: Any) -> int:
    a = world.codes["a"]
    rows = [
        [a, "E1", "electricity", "kWh", "interval", 1, "true"],
        [a, "E2", "electricity", "kWh", "interval", 1, "true"],
        [a, "G", "natural_gas", "m3", "interval", 1, "true"],
        [a, "P", "electricity", "kWh", "interval", 1, "false"],
    ]
    batch: list[tuple[str, str, str, str]] = []
    start = datetime(2024, 3, 1)
    for step in range(31 * 96):
        ts = (start + timedelta(minutes=15 * step)).isoformat()
        batch += [(a, "E1", ts, "0.5"), (a, "E2", ts, "0.25"), (a, "P", ts, "100")]
    batch += [(a, "G", f"2024-03-01T00:{m:02d}:00", "2.5") for m in (0, 15, 30, 45)]
    names = ["credit_code", "meter_code", "ts", "value"]
    table = pa.table({n: pa.array([r[i] for r in batch], pa.string()) for i, n in enumerate(names)})
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, write_csv(tmp_path / "m.csv", HEADER, rows), reference)
        assert service_ingest.ingest_table(session, admin, table, source="file").accepted == len(batch)
        report = service_workflow.create_report(session, admin, a, "month", 2024, 3, CONTENT, reference=reference)
        return report.id


def _lines(world: Any, report_id: int, admin: Any) -> dict[str, tuple[float, str]]:
    with session_scope(world.engine) as session:
        report = service_workflow.load_report(session, admin, report_id)
        return {
            line.carrier: (line.quantity, line.unit) for line in service_workflow.current_content(report).energy_lines
        }


def test_prefill_writes_metered_lines_and_keeps_manual_ones(world, tmp_path, admin, reference, write_csv) -> None:
    report_id = _plant(world, tmp_path, admin, reference, write_csv)
    with session_scope(world.engine) as session:
        result = prefill_report_draft(session, admin, report_id, reference)
    assert result.new_version and result.version == 2 and result.first_day == "2024-03-01"
    plan = {line.carrier: line for line in result.lines}
    electricity = plan["electricity"]
    assert electricity.action == "filled" and electricity.meters == ["E1", "E2"]
    assert electricity.quantity == pytest.approx(0.2232) and electricity.unit == "万kWh"  # 2232 kWh
    assert electricity.previous == pytest.approx(0.3) and electricity.completeness == pytest.approx(1.0)
    gas = plan["natural_gas"]
    assert gas.action == "manual" and gas.quantity == 8 and "below 90" in (gas.reason or "")
    coal = plan["raw_coal"]
    assert coal.action == "manual" and coal.reason == "no counted meter of this carrier"
    stored = _lines(world, report_id, admin)
    assert stored["electricity"][0] == pytest.approx(0.2232) and stored["electricity"][1] == "万kWh"
    assert stored["natural_gas"] == (8.0, "m3") and stored["raw_coal"] == (5.0, "t")
    with session_scope(world.engine) as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "report.prefill")).one()
        assert audit.after["lines"][0]["meters"] == ["E1", "E2"]
        # the same prefill again changes nothing: no new version
        again = prefill_report_draft(session, admin, report_id, reference)
        assert not again.new_version and again.version == 2
        # include_incomplete: the gas meter's 4 values (10 m3) are written too
        forced = prefill_report_draft(session, admin, report_id, reference, include_incomplete=True)
        assert {line.carrier: line.action for line in forced.lines}["natural_gas"] == "filled"
    assert _lines(world, report_id, admin)["natural_gas"] == (10.0, "m3")


def test_dry_run_changes_nothing_and_adds_unreported_carriers(world, tmp_path, admin, reference, write_csv) -> None:
    report_id = _plant(world, tmp_path, admin, reference, write_csv)
    with session_scope(world.engine) as session:
        report = service_workflow.load_report(session, admin, report_id)
        service_workflow.update_draft(session, admin, report_id, {"energy_lines": CONTENT["energy_lines"][2:]})
        assert report.version == 2
    with session_scope(world.engine) as session:
        plan = prefill_report_draft(session, admin, report_id, reference, dry_run=True)
    assert plan.dry_run and not plan.new_version
    added = {line.carrier: line for line in plan.lines}["electricity"]
    assert added.action == "added" and added.quantity == pytest.approx(2232.0) and added.unit == "kWh"
    assert "electricity" not in _lines(world, report_id, admin)


def test_only_editable_drafts_in_scope(world, client, tmp_path, admin, reference, write_csv) -> None:
    report_id = _plant(world, tmp_path, admin, reference, write_csv)
    url = f"/api/v1/reports/{report_id}/prefill"
    assert client.post(url, headers=world.auth("ent_b")).status_code == 404  # another enterprise's report
    answer = client.post(url, headers=world.auth("ent_a"))
    assert answer.status_code == 200, answer.text
    assert {line["carrier"]: line["action"] for line in answer.json()["lines"]}["electricity"] == "filled"
    with session_scope(world.engine) as session:
        service_workflow.submit(session, admin, report_id)
    refused = client.post(url, headers=world.auth("ent_a"), params={"dry_run": True})
    assert refused.status_code == 409, refused.text
    assert "已提交" in refused.text and "预填" in refused.text
    with pytest.raises(Conflict):
        with session_scope(world.engine) as session:
            prefill_report_draft(session, admin, report_id, reference)
    with pytest.raises(NotFound):
        with session_scope(world.engine) as session:
            prefill_report_draft(session, admin, 999_999, reference)


def test_a_reviewer_may_read_but_not_fill(world, client, tmp_path, admin, reference, write_csv) -> None:
    report_id = _plant(world, tmp_path, admin, reference, write_csv)
    assert client.get(f"/api/v1/reports/{report_id}", headers=world.auth("expert")).status_code == 200
    refused = client.post(f"/api/v1/reports/{report_id}/prefill", headers=world.auth("expert"))
    assert refused.status_code == 403, refused.text
