"""Report prefill: monitoring totals per carrier beside the report's energy lines, with the deviation (both stores).

Enterprise a, ``interval`` meters, counted: C1 electricity kWh, G natural gas m3; P electricity not counted.
2024-03-01 00:00 … 00:45 (4 values): C1 6, G 2.5, P 100 → March: C1 24 kWh, G 10 m3 (P is not summed).
The March report (month 3) says: electricity 0.003 万kWh (= 30 kWh), natural gas 8 m3, raw coal 5 t.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from dualcarbon.core.errors import NotFound
from dualcarbon.monitoring import service_ingest, service_meters, service_prefill
from dualcarbon.reference.imports import import_file
from dualcarbon.reference.tables import load_reference
from dualcarbon.reports import service_workflow
from dualcarbon.store.db import session_scope

HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "counted"]


def _plant(world: Any, tmp_path: Path, admin: Any, reference: Any, write_csv: Any) -> None:
    a = world.codes["a"]
    rows = [
        [a, "C1", "electricity", "kWh", "interval", 1, "true"],
        [a, "G", "natural_gas", "m3", "interval", 1, "true"],
        [a, "P", "electricity", "kWh", "interval", 1, "false"],
    ]
    values = {"C1": 6, "G": 2.5, "P": 100}
    batch = [(a, code, f"2024-03-01T00:{m:02d}:00", str(v)) for code, v in values.items() for m in (0, 15, 30, 45)]
    names = ["credit_code", "meter_code", "ts", "value"]
    table = pa.table({n: pa.array([r[i] for r in batch], pa.string()) for i, n in enumerate(names)})
    content = {
        "energy_lines": [
            {"carrier": "电力", "quantity": 0.003, "unit": "万kWh"},
            {"carrier": "天然气", "quantity": 8, "unit": "m3"},
            {"carrier": "原煤", "quantity": 5, "unit": "t"},
        ]
    }
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, write_csv(tmp_path / "m.csv", HEADER, rows), reference)
        assert service_ingest.ingest_table(session, admin, table, source="file").accepted == 12
        service_workflow.create_report(session, admin, a, "month", 2024, 3, content, reference=reference)


def _prefill(world: Any, principal: Any, reference: Any, month: int | None) -> dict[str, Any]:
    with session_scope(world.engine) as session:
        return service_prefill.monitoring_prefill(session, principal, world.codes["a"], 2024, month, reference)


def _min_completeness(tmp_path: Path, pct: float) -> Any:
    """The shipped reference with the completeness minimum (platform rule PR-004) imported as ``pct`` %."""
    rules = tmp_path / "platform_rules.csv"
    rules.write_text(f"row_id,value,source,confidence\nPR-004,{pct},test,uncertain: test\n", encoding="utf-8")
    import_file(rules, tmp_path / "data", "platform_rules")
    return load_reference(tmp_path / "data")


def test_month_prefill_beside_the_report(world, tmp_path, admin, reference, write_csv) -> None:
    _plant(world, tmp_path, admin, reference, write_csv)
    # 4 of 2976 values (0.13 %): compared only under a minimum below that (the shipped 90 %: test_prefill_coverage)
    result = _prefill(world, admin, _min_completeness(tmp_path, 0.1), 3)
    assert result["period_kind"] == "month" and result["report"]["state"] == "draft"
    lines = {line["carrier"]: line for line in result["lines"]}
    electricity = lines["electricity"]
    assert electricity["monitoring"] == pytest.approx(24.0) and electricity["monitoring_unit"] == "kWh"
    assert electricity["reported"] == pytest.approx(0.003) and electricity["reported_unit"] == "万kWh"
    assert electricity["monitoring_in_reported_unit"] == pytest.approx(0.0024)  # 24 kWh = 0.0024 万kWh
    assert electricity["deviation"] == pytest.approx(-0.0006)  # 0.0024 − 0.003
    assert electricity["deviation_pct"] == pytest.approx(-20.0)  # −0.0006 / 0.003 × 100
    assert electricity["meters"] == 1
    assert electricity["completeness"] == pytest.approx(4 / 2976)  # 4 of 31 × 96 values
    gas = lines["natural_gas"]
    assert gas["deviation"] == pytest.approx(2.0) and gas["deviation_pct"] == pytest.approx(25.0)  # (10 − 8) / 8
    coal = lines["raw_coal"]
    assert coal["monitoring"] is None and coal["reported"] == 5.0 and coal["deviation_reason"] == "no monitoring data"


def test_year_prefill_without_a_report_and_scope(world, client, tmp_path, admin, reference, write_csv) -> None:
    _plant(world, tmp_path, admin, reference, write_csv)
    result = _prefill(world, admin, reference, None)
    assert result["period_kind"] == "year" and result["report"] is None
    lines = {line["carrier"]: line for line in result["lines"]}
    assert lines["electricity"]["monitoring"] == pytest.approx(24.0)  # the 12 months summed
    assert lines["electricity"]["deviation_reason"] == "not in the report"
    url = f"/api/v1/enterprises/{world.codes['a']}/monitoring/prefill"
    answer = client.get(url, params={"year": 2024, "month": 3}, headers=world.auth("ent_a"))
    assert answer.status_code == 200, answer.text
    assert {line["carrier"] for line in answer.json()["lines"]} == {"electricity", "natural_gas", "raw_coal"}
    assert client.get(url, params={"year": 2024}, headers=world.auth("ent_b")).status_code == 404
    assert client.get(url, params={"year": 2024, "month": 13}, headers=world.auth("ent_a")).status_code == 422
    with pytest.raises(NotFound):
        with session_scope(world.engine) as session:
            service_prefill.monitoring_prefill(session, admin, "91330000000000000X", 2024, None, reference)
