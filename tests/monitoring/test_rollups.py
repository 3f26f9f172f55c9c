"""Rollups on both stores with hand-computed energy, tce, tCO₂, completeness and flags.

Factors used (shipped reference tables):
* electricity 当量值 0.1229 kgce/kWh (CC-036);
* electricity 等价值 of 2024: 供电标准煤耗 302.4 gce/kWh (PSCR-08) → 0.3024 kgce/kWh; 2022 is blank (PSCR-06);
* grid factor: the world's enterprises are in 浙江; 浙江 has only 2023 (GRID-019, 0.4974 tCO₂/MWh), which
  stands in for 2024 and 2022 (nearest published year, earlier first — as the report figures do).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
import pytest

from dualcarbon.core.errors import InvalidInput, NotFound
from dualcarbon.monitoring import service_ingest, service_rollups
from dualcarbon.store.db import session_scope


def _batch(rows: list[tuple[str, str, str, float]]) -> pa.Table:
    names = ["credit_code", "meter_code", "ts", "value"]
    return pa.table({n: pa.array([str(r[i]) for r in rows], pa.string()) for i, n in enumerate(names)})


def _ingest(world: Any, admin: Any, code: str, values: list[tuple[str, float]]) -> None:
    rows = [(world.codes["a"], code, ts, v) for ts, v in values]
    with session_scope(world.engine) as session:
        receipt = service_ingest.ingest_table(session, admin, _batch(rows), source="file")
    assert receipt.accepted == len(values), receipt


def _rollups(world: Any, principal: Any, reference: Any, code: str, interval: str, start: date, end: date) -> Any:
    with session_scope(world.engine) as session:
        return service_rollups.meter_rollups(
            session, principal, interval, start, end, reference, credit_code=world.codes["a"], meter_code=code
        )


def test_hourly_energy_tce_and_co2_of_a_cumulative_meter(world, meters, admin, reference) -> None:
    # E1: multiplier 2. Readings 100, 110, 125, 130, 150 at 00:00 … 01:00 (Shanghai) on 2024-03-01.
    # Intervals (start: energy): 00:00 (110−100)×2 = 20, 00:15 30, 00:30 10, 00:45 40 → hour 00:00 = 100 kWh.
    values = [("2024-03-01T00:00:00", 100), ("2024-03-01T00:15:00", 110), ("2024-03-01T00:30:00", 125)]
    values += [("2024-03-01T00:45:00", 130), ("2024-03-01T01:00:00", 150)]
    _ingest(world, admin, "E1", values)
    result = _rollups(world, admin, reference, "E1", "hour", date(2024, 3, 1), date(2024, 3, 1))
    assert len(result.periods) == 24
    first = result.periods[0]
    assert first.start.isoformat() == "2024-03-01T00:00:00+08:00"
    assert first.energy == pytest.approx(100.0) and first.unit == "kWh"
    assert first.tce == pytest.approx(100 * 0.1229 / 1000)  # 0.01229 tce
    assert first.tce_equal == pytest.approx(100 * 0.3024 / 1000)  # 0.03024 tce
    assert first.tco2 == pytest.approx(100 / 1000 * 0.4974)  # 0.04974 tCO₂
    assert first.completeness == 1.0 and first.flags == []
    # The 01:00 reading closes 00:45–01:00 only; nothing for 01:00–02:00 and later: gaps stay gaps.
    assert result.periods[1].energy is None and result.periods[1].completeness == 0.0
    assert result.periods[1].flags == ["no_data"]
    factors = result.factors[0]
    assert (factors.tce_source_row, factors.tce_equal_source_row) == ("CC-036", "PSCR-08")
    assert factors.tco2_source_rows == ["GRID-019"] and "2023" in (factors.tco2_note or "")

    day = _rollups(world, admin, reference, "E1", "day", date(2024, 3, 1), date(2024, 3, 2))
    assert [p.energy for p in day.periods] == [pytest.approx(100.0), None]
    assert day.periods[0].completeness == pytest.approx(4 / 96)
    assert day.periods[0].flags == ["incomplete"]
    month = _rollups(world, admin, reference, "E1", "month", date(2024, 3, 5), date(2024, 3, 5))
    assert [p.start.date() for p in month.periods] == [date(2024, 3, 1)]  # widened to the whole month
    assert month.periods[0].completeness == pytest.approx(4 / (31 * 96))


def test_equal_value_is_null_with_a_reason_when_the_year_has_no_rate(world, meters, admin, reference) -> None:
    _ingest(world, admin, "E1", [("2022-06-01T00:00:00", 0), ("2022-06-01T00:15:00", 5)])
    result = _rollups(world, admin, reference, "E1", "day", date(2022, 6, 1), date(2022, 6, 1))
    period = result.periods[0]
    assert period.energy == pytest.approx(10.0) and period.tce == pytest.approx(10 * 0.1229 / 1000)
    assert period.tce_equal is None and "tce_equal_unavailable" in period.flags
    assert "2022" in (result.factors[0].tce_equal_reason or "")


def test_rollover_and_reset_never_give_negative_energy(world, meters, admin, reference) -> None:
    # E2 counter_max 1000: 990 → 995 → 5 → 20: intervals 5, (5 + 1000 − 995) = 10, 15 → 30 kWh, flag rollover.
    _ingest(world, admin, "E2", [(f"2024-03-01T00:{m:02d}:00", v) for m, v in ((0, 990), (15, 995), (30, 5), (45, 20))])
    e2 = _rollups(world, admin, reference, "E2", "hour", date(2024, 3, 1), date(2024, 3, 1)).periods[0]
    assert e2.energy == pytest.approx(30.0) and "rollover" in e2.flags
    assert e2.completeness == pytest.approx(3 / 4)
    # E3 without counter_max: 500 → 510 → 3 → 8: intervals 10, reset (unknown, left out), 5 → 15 kWh.
    _ingest(world, admin, "E3", [(f"2024-03-01T00:{m:02d}:00", v) for m, v in ((0, 500), (15, 510), (30, 3), (45, 8))])
    e3 = _rollups(world, admin, reference, "E3", "hour", date(2024, 3, 1), date(2024, 3, 1)).periods[0]
    assert e3.energy == pytest.approx(15.0) and "counter_reset" in e3.flags
    assert e3.completeness == pytest.approx(2 / 4)


def test_a_rate_above_the_maximum_is_held_out_and_a_gap_is_not_interpolated(world, meters, admin, reference) -> None:
    # E4 max_rate 100 kWh/h: 0 → 10 (40 kWh/h, kept) → 60 (200 kWh/h, held out) → 70 (kept) → 80 an hour later.
    values = [("2024-03-01T00:00:00", 0), ("2024-03-01T00:15:00", 10), ("2024-03-01T00:30:00", 60)]
    values += [("2024-03-01T00:45:00", 70), ("2024-03-01T01:45:00", 80)]
    _ingest(world, admin, "E4", values)
    hours = _rollups(world, admin, reference, "E4", "hour", date(2024, 3, 1), date(2024, 3, 1)).periods
    assert hours[0].energy == pytest.approx(20.0) and "rate_above_max" in hours[0].flags
    assert hours[0].completeness == pytest.approx(2 / 4)
    # 00:45 → 01:45 spans four intervals; the 10 kWh land in the last one (01:30), flagged, nothing spread.
    assert hours[1].energy == pytest.approx(10.0) and "spans_gap" in hours[1].flags
    assert hours[1].completeness == pytest.approx(1 / 4)


def test_interval_meter_and_co2_of_natural_gas(world, meters, admin, reference) -> None:
    _ingest(world, admin, "G1", [("2024-03-01T00:00:00", 10), ("2024-03-01T00:15:00", 20)])
    period = _rollups(world, admin, reference, "G1", "hour", date(2024, 3, 1), date(2024, 3, 1)).periods[0]
    assert period.energy == pytest.approx(30.0) and period.unit == "m3"
    assert period.completeness == pytest.approx(2 / 4)
    assert period.tce is not None and period.tco2 is not None and period.tco2 > 0


def test_scope_and_arguments(world, meters, reference, enterprise_principal) -> None:
    ent_a, ent_b = enterprise_principal("a"), enterprise_principal("b")
    with session_scope(world.engine) as session:
        with pytest.raises(NotFound):
            service_rollups.meter_rollups(
                session,
                ent_b,
                "day",
                date(2024, 1, 1),
                date(2024, 1, 2),
                reference,
                meter_id=meters["a/E1"],
            )
        with pytest.raises(InvalidInput):
            service_rollups.meter_rollups(
                session,
                ent_a,
                "week",
                date(2024, 1, 1),
                date(2024, 1, 2),
                reference,
                meter_id=meters["a/E1"],
            )
