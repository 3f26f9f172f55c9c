"""Energy cost with time-of-use tariffs, persisted by the cost step after the rollup refresh (both stores).

The tariff is a test import of ``electricity_tariffs_tou`` for 温州 (region prefix 3303; the world's enterprise
"a" is in 鹿城 330302), laid over the shipped table like an administrator's import, so the shipped DEMO rows
(demo city 3399 only) play no part. Three bands, every month of 2024:

* 谷 valley 00–08 and 22–24 (10 h) at 0.30 元/kWh;
* 平 flat 11–17 (6 h) at 0.60 元/kWh;
* 峰 peak 08–11 and 17–22 (8 h) at 0.90 元/kWh.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from dualcarbon.monitoring import service_cost, service_ingest, service_rollups
from dualcarbon.monitoring.service_tariff import TariffProblem, tariff_for
from dualcarbon.reference import ReferenceSet
from dualcarbon.reference.tables import TABLES
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

HEADER = [
    "row_id", "region_code", "region_name", "year_from", "year_to", "carrier", "months", "hours", "band",
    "band_zh", "price", "unit", "document", "clause", "source", "confidence", "notes",
]  # fmt: skip
THREE_BANDS = [
    ["T-V", "3303", "温州市", 2024, 2024, "electricity", "1-12", "0-8|22-24", "valley", "谷", 0.30, "元/kWh"],
    ["T-F", "3303", "温州市", 2024, 2024, "electricity", "1-12", "11-17", "flat", "平", 0.60, "元/kWh"],
    ["T-P", "3303", "温州市", 2024, 2024, "electricity", "1-12", "8-11|17-22", "peak", "峰", 0.90, "元/kWh"],
]


def _tariff_reference(tmp_path: Path, rows: list[list[Any]]) -> ReferenceSet:
    """A reference set whose ``electricity_tariffs_tou`` has ``rows`` imported (version ``test-1``)."""
    assert "electricity_tariffs_tou" in TABLES
    folder = tmp_path / "refdata" / "reference"
    (folder / "electricity_tariffs_tou").mkdir(parents=True)
    with open(folder / "electricity_tariffs_tou" / "test-1.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow([*row, "test tariff", "—", "test fixture", "test", ""])
    manifest = {
        "tables": {"electricity_tariffs_tou": [{"version": "test-1", "file": "electricity_tariffs_tou/test-1.csv"}]}
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return ReferenceSet(tmp_path / "refdata")


def _ingest(world: Any, admin: Any, code: str, values: list[tuple[str, float]]) -> None:
    names = ["credit_code", "meter_code", "ts", "value"]
    rows = [(world.codes["a"], code, ts, v) for ts, v in values]
    table = pa.table({n: pa.array([str(r[i]) for r in rows], pa.string()) for i, n in enumerate(names)})
    with session_scope(world.engine) as session:
        receipt = service_ingest.ingest_table(session, admin, table, source="file")
    assert receipt.accepted == len(values), receipt


def _ten_kwh_every_hour(day: str) -> list[tuple[str, float]]:
    # E1 is cumulative with multiplier 2: +1.25 per 15 min → 2.5 kWh per quarter → 10 kWh per hour. The
    # reading at 00:00 of the next day closes the last quarter (23:45–24:00).
    start = datetime.fromisoformat(f"{day}T00:00:00")
    return [
        ((start + i * (datetime(2000, 1, 1, 0, 15) - datetime(2000, 1, 1))).isoformat(), 1.25 * i) for i in range(97)
    ]


def _rollups(world: Any, admin: Any, reference: ReferenceSet, interval: str, day: date, code: str = "E1") -> Any:
    with session_scope(world.engine) as session:
        return service_rollups.meter_rollups(
            session, admin, interval, day, day, reference, credit_code=world.codes["a"], meter_code=code
        )


def test_a_day_of_ten_kwh_every_hour_under_three_bands(world, meters, admin, tmp_path) -> None:
    reference = _tariff_reference(tmp_path, THREE_BANDS)
    _ingest(world, admin, "E1", _ten_kwh_every_hour("2024-03-01"))

    hours = _rollups(world, admin, reference, "hour", date(2024, 3, 1))
    assert [p.energy for p in hours.periods] == [pytest.approx(10.0)] * 24
    # 00:00 valley 10 × 0.30 = 3.00; 09:00 peak 10 × 0.90 = 9.00; 12:00 flat 10 × 0.60 = 6.00; 22:00 valley 3.00.
    by_hour = {p.start.hour: p.cost_yuan for p in hours.periods}
    assert by_hour[0] == pytest.approx(3.0) and by_hour[9] == pytest.approx(9.0)
    assert by_hour[12] == pytest.approx(6.0) and by_hour[22] == pytest.approx(3.0)
    assert hours.tariff_rows == ["T-F", "T-P", "T-V"] and hours.tariff_demo is False

    day = _rollups(world, admin, reference, "day", date(2024, 3, 1))
    # valley 10 h × 10 kWh × 0.30 = 30.00; flat 6 × 10 × 0.60 = 36.00; peak 8 × 10 × 0.90 = 72.00 → 138.00 元.
    assert day.periods[0].energy == pytest.approx(240.0)
    assert day.periods[0].cost_yuan == pytest.approx(138.0) and day.periods[0].cost_reason is None
    month = _rollups(world, admin, reference, "month", date(2024, 3, 1))
    assert month.periods[0].cost_yuan == pytest.approx(138.0)  # the only day with energy in March

    with session_scope(world.engine) as session:
        meter_id = meters["a/E1"]
        rows = service_cost.read_rows(session, [meter_id], "day", datetime(2024, 3, 1), datetime(2024, 3, 2))
        (row,) = rows
        # bands: valley 100 kWh, flat 60, peak 80; cost of the peak energy 72.00.
        assert (row["energy_valley"], row["energy_flat"], row["energy_peak"]) == (
            pytest.approx(100.0),
            pytest.approx(60.0),
            pytest.approx(80.0),
        )
        assert row["energy_sharp"] is None and row["cost_peak_yuan"] == pytest.approx(72.0)
        enterprise = session.get(Enterprise, session.get(service_cost.Meter, meter_id).enterprise_id)
        tariff = tariff_for(reference, enterprise.region_code, "electricity", 2024)
        months = service_cost.read_rows(session, [meter_id], "month", datetime(2024, 3, 1), datetime(2024, 4, 1))
    # Shifting 50 % of the peak energy (80 kWh) to the valley: 0.5 × (72.00 − 80 × 0.30) = 0.5 × 48 = 24.00 元.
    saving = service_cost.load_shift_saving_yuan(months, {(meter_id, 2024): (tariff, 1.0)}, 50)
    assert saving == pytest.approx(24.0)


def test_cost_is_persisted_and_recomputed_only_for_changed_days(world, meters, admin, tmp_path) -> None:
    reference = _tariff_reference(tmp_path, THREE_BANDS)
    _ingest(world, admin, "E1", _ten_kwh_every_hour("2024-03-01"))
    with session_scope(world.engine) as session:
        enterprise = session.get(Enterprise, session.get(service_cost.Meter, meters["a/E1"]).enterprise_id)
        first = service_cost.refresh_costs(session, enterprise, reference)
        again = service_cost.refresh_costs(session, enterprise, reference)
    assert first.days >= 1 and again.days == 0  # nothing changed: no day re-costed
    # One more quarter on 2 March 00:00–00:15 (+1.25 × 2 = 2.5 kWh, a valley hour: 0.75 元).
    _ingest(world, admin, "E1", [("2024-03-02T00:15:00", 1.25 * 97)])
    with session_scope(world.engine) as session:
        third = service_cost.refresh_costs(session, enterprise, reference)
    assert third.days == 1
    day = _rollups(world, admin, reference, "day", date(2024, 3, 2))
    assert day.periods[0].cost_yuan == pytest.approx(0.75)


def test_no_tariff_gives_null_with_the_reason(world, meters, admin, tmp_path) -> None:
    reference = _tariff_reference(tmp_path, THREE_BANDS)
    # 2025: the test tariff covers 2024 only.
    _ingest(world, admin, "E1", [("2025-01-01T00:00:00", 0), ("2025-01-01T00:15:00", 1)])
    result = _rollups(world, admin, reference, "hour", date(2025, 1, 1))
    assert result.periods[0].energy == pytest.approx(2.0)
    assert result.periods[0].cost_yuan is None
    assert "no tariff for electricity in region 330302, 2025" in (result.periods[0].cost_reason or "")
    # natural gas has no tariff row at all in 温州.
    _ingest(world, admin, "G1", [("2024-03-01T00:00:00", 10)])
    gas = _rollups(world, admin, reference, "hour", date(2024, 3, 1), code="G1")
    assert gas.periods[0].cost_yuan is None and "no tariff for natural_gas" in (gas.periods[0].cost_reason or "")


def test_a_tariff_with_a_gap_or_an_overlap_is_refused_naming_rows(tmp_path) -> None:
    overlapping = [
        *THREE_BANDS,
        ["T-X", "3303", "温州市", 2024, 2024, "electricity", "6", "9-10", "sharp", "尖峰", 1.2, "元/kWh"],
    ]
    with pytest.raises(TariffProblem, match=r"rows T-P and T-X both cover month 6, hour 9"):
        tariff_for(_tariff_reference(tmp_path / "a", overlapping), "330302", "electricity", 2024)
    with pytest.raises(TariffProblem, match=r"leave 72 hours uncovered \(first: month 1, hour 11\)"):
        tariff_for(_tariff_reference(tmp_path / "b", THREE_BANDS[:1] + THREE_BANDS[2:]), "330302", "electricity", 2024)
    # The shipped DEMO tariff applies to the demo city only (3399xx), in the summer with a 尖峰 band.
    demo = tariff_for(ReferenceSet(None), "339901", "electricity", 2026)
    assert demo.demo and demo.grid[6][19][0] == "sharp" and demo.grid[6][19][1] == pytest.approx(1.08)
    with pytest.raises(TariffProblem, match="no tariff for electricity in region 330302"):
        tariff_for(ReferenceSet(None), "330302", "electricity", 2026)


def test_region_and_enterprise_dashboard_aggregates(world, meters, admin, tmp_path) -> None:
    """温州 (330300) holds a (鹿城, C3443) and b (龙湾, C3011); only a's E1 has energy: the hand-worked day."""
    from dualcarbon.core.access import Grant, Principal
    from dualcarbon.monitoring import service_dashboard

    reference = _tariff_reference(tmp_path, THREE_BANDS)
    _ingest(world, admin, "E1", _ten_kwh_every_hour("2024-03-01"))
    regulator = Principal(user_id=None, username="wz", grants=(Grant("regulator", region_code="330300"),))
    with session_scope(world.engine) as session:
        enterprise = session.get(Enterprise, session.get(service_cost.Meter, meters["a/E1"]).enterprise_id)
        service_cost.refresh_costs(session, enterprise, reference)
    with session_scope(world.engine) as session:
        first = service_dashboard.region_dashboard(
            session, regulator, "330300", date(2024, 3, 1), date(2024, 3, 1), page=1, size=1
        )
        second = service_dashboard.region_dashboard(
            session, regulator, "330300", date(2024, 3, 1), date(2024, 3, 1), page=2, size=1
        )
    assert first.enterprises == 2 and len(first.rows) == 1 and len(second.rows) == 1  # one row per page
    top = first.rows[0]
    # 240 kWh × 0.1229 kgce/kWh = 0.029496 tce; × 0.4974 kgCO₂/kWh = 0.119376 tCO₂; 138.00 元.
    assert top.credit_code == world.codes["a"] and top.district == "鹿城区" and top.status == "ok"
    assert (top.tce, top.tco2, top.cost_yuan) == (
        pytest.approx(0.029496),
        pytest.approx(0.119376),
        pytest.approx(138.0),
    )
    assert second.rows[0].credit_code == world.codes["b"] and second.rows[0].status == "no_data"
    assert {t.key: round(t.tce, 6) for t in first.by_district} == {"330302": 0.029496, "330303": 0.0}
    assert {t.key: t.enterprises for t in first.by_sector} == {"C34": 1, "C30": 1}
    assert first.status_counts == {"ok": 1, "no_data": 1}
    with session_scope(world.engine) as session:
        dashboard = service_dashboard.enterprise_dashboard(
            session, admin, world.codes["a"], reference, now=datetime(2024, 3, 1, 23, 30)
        )
    assert len(dashboard.live_tce) == 24 and dashboard.live_tce[0].value == pytest.approx(10 * 0.1229 / 1000)
    assert dashboard.cost.cost_yuan == pytest.approx(138.0) and dashboard.cost.demo is False
    # band shares of the 240 kWh: valley 100, flat 60, peak 80; shifting 10 %: 0.1 × (72 − 80 × 0.30) = 4.80 元.
    assert dashboard.cost.band_shares == {
        "sharp": 0.0,
        "peak": pytest.approx(80 / 240),
        "flat": pytest.approx(60 / 240),
        "valley": pytest.approx(100 / 240),
    }
    assert dashboard.cost.shift_saving_yuan == pytest.approx(4.8)
    assert dashboard.intensity.status == "no_value_added"  # the world's enterprises have no reports
    # Sankey: E1 is a root (no parent) with children E2, E3 that had no energy: purchase → E1 only.
    assert [(f.source, f.target, round(f.tce, 6)) for f in dashboard.flows] == [("购入：电力", "E1", 0.029496)]
    with pytest.raises(service_dashboard.InvalidInput):
        with session_scope(world.engine) as session:
            service_dashboard.region_dashboard(session, regulator, "330300", date(2024, 3, 2), date(2024, 3, 1))


def test_the_enterprise_dashboard_of_an_enterprise_without_meters_is_empty_not_an_error(world, meters, admin) -> None:
    from dualcarbon.monitoring import service_dashboard
    from dualcarbon.reference import shipped_reference

    with session_scope(world.engine) as session:
        dashboard = service_dashboard.enterprise_dashboard(
            session, admin, world.codes["c"], shipped_reference(), now=datetime(2024, 3, 1, 23, 30)
        )
    assert dashboard.meters == 0 and dashboard.co2_daily == []
