"""Data quality (issue #8 §5) on hand-built readings, on both readings stores (Parquet/DuckDB and PostgreSQL).

The day 2024-03-01 (Asia/Shanghai) of enterprise a, five data items:

| meter | type | readings | expected | received | timely | flagged | calibrated |
|---|---|---|---|---|---|---|---|
| R1 | real-time, interval, E-TOTAL | 96 × 10 kWh (960 kWh) | 96 | 96 | 96 | 0 | until 2030 |
| R2 | real-time, interval | 00:00 … 21:00 (85) | 96 | 85 | 85 | 0 | unknown |
| R3 | real-time, cumulative | 96 + one the day before; drops to 0 at 12:00 | 96 | 96 | 96 | 1 | expired 2024-01-31 |
| D1 | day statistic, E-TOTAL | 1020 kWh at 00:00:30 | 1 | 1 | 1 | 0 | until 2030 |
| D2 | day statistic | 5 at 00:03 (3 min off) | 1 | 1 | 0 | 0 | until 2030 |

R2: 85 / 96 = 0.8854 < 90 % fails; its last value (21:00) is 12 intervals before midnight > 4: stale.
D1 against R1: (1020 − 960) / 960 = +6.25 % > 5 %: inconsistent.
Enterprise: completeness 279 / 290 = 0.962069; accuracy 3 / 5 = 0.6; timeliness 278 / 279 = 0.996416;
validity 278 / 279 = 0.996416; index = (0.962069 + 0.6 + 0.996416 + 0.996416) / 4 = 0.888725.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from dualcarbon.core.access import Grant, Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring import service_ingest, service_meters, service_quality_read
from dualcarbon.monitoring.models import EnterpriseQualityDay, MeterQualityDay
from dualcarbon.reference import ReferenceSet
from dualcarbon.store.audit import AuditLog
from dualcarbon.store.base import simulated_clock
from dualcarbon.store.db import session_scope

HEADER = [
    "credit_code", "meter_code", "carrier", "unit", "kind", "multiplier",
    "statistic_type", "data_item_code", "calibrated_until",
]  # fmt: skip
DAY = date(2024, 3, 1)


def _times(start: datetime, count: int, minutes: int = 15) -> list[str]:
    return [(start + timedelta(minutes=minutes * n)).isoformat() + "+08:00" for n in range(count)]


def seed_quality_world(world: Any, tmp_path: Path, write_csv: Callable[..., Path], reference: ReferenceSet) -> None:
    """The register and readings of the module docstring (enterprise a) and of the timing test (enterprise b)."""
    admin = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))
    a, b = world.codes["a"], world.codes["b"]
    rows = [
        [a, "R1", "electricity", "kWh", "interval", 1, "realtime", "E-TOTAL", "2030-12-31"],
        [a, "R2", "electricity", "kWh", "interval", 1, "realtime", "", ""],
        [a, "R3", "electricity", "kWh", "cumulative", 1, "realtime", "", "2024-01-31"],
        [a, "D1", "electricity", "kWh", "interval", 1, "day", "E-TOTAL", "2030-12-31"],
        [a, "D2", "electricity", "kWh", "interval", 1, "day", "", "2030-12-31"],
        [b, "M1", "electricity", "kWh", "interval", 1, "month", "", "2030-12-31"],
        [b, "D3", "electricity", "kWh", "interval", 1, "day", "", "2030-12-31"],
    ]
    path = write_csv(tmp_path / "quality-meters.csv", HEADER, rows)
    midnight = datetime(2024, 3, 1)
    readings: list[dict[str, Any]] = []
    readings += [{"meter": "R1", "ts": t, "value": 10} for t in _times(midnight, 96)]
    readings += [{"meter": "R2", "ts": t, "value": 1} for t in _times(midnight, 85)]
    counter = [100 + 5 * n for n in range(48)] + [5 * n for n in range(48)]  # the 49th (12:00) drops to 0
    readings += [{"meter": "R3", "ts": "2024-02-29T23:45:00+08:00", "value": 95}]
    readings += [{"meter": "R3", "ts": t, "value": v} for t, v in zip(_times(midnight, 96), counter, strict=True)]
    readings += [{"meter": "D1", "ts": "2024-03-01T00:00:30+08:00", "value": 1020}]
    readings += [{"meter": "D2", "ts": "2024-03-01T00:03:00+08:00", "value": 5}]
    timing = [
        {"meter": "M1", "ts": "2024-02-29T12:00:00+08:00", "value": 30000},  # March's, 12 h early: on time
        {"meter": "M1", "ts": "2024-04-02T12:00:00+08:00", "value": 31000},  # April's, 1.5 days late
        {"meter": "D3", "ts": "2024-03-01T23:59:30+08:00", "value": 900},  # 2 March's, 30 s early: on time
        {"meter": "D3", "ts": "2024-03-03T00:02:00+08:00", "value": 950},  # 3 March's, 2 min late
    ]
    # Arrived 2 March 01:00 (Asia/Shanghai): in time for every day here (PR-014; late days: test_quality_arrival).
    with session_scope(world.engine) as session, simulated_clock(datetime(2024, 3, 1, 17, 0, tzinfo=UTC)):
        service_meters.import_meters(session, admin, path, reference)
        receipt = service_ingest.ingest_json(session, admin, readings, enterprise=a)
        assert (receipt.accepted, receipt.rejected) == (96 + 85 + 97 + 2, 0)
        receipt = service_ingest.ingest_json(session, admin, timing, enterprise=b)
        assert (receipt.accepted, receipt.rejected) == (4, 0)


@pytest.fixture
def quality_world(world: Any, tmp_path: Path, write_csv: Callable[..., Path], reference: ReferenceSet) -> Any:
    seed_quality_world(world, tmp_path, write_csv, reference)
    return world


def _show(world: Any, principal: Principal, reference: ReferenceSet, **period: Any) -> Any:
    with session_scope(world.engine) as session:
        return service_quality_read.quality_show(
            session, principal, world.codes[period.pop("key", "a")], reference, **period
        )


def test_one_day_of_five_items(quality_world: Any, admin: Principal, reference: ReferenceSet) -> None:
    result = _show(quality_world, admin, reference, day=DAY)
    items = {item.meter: item for item in result.items}
    assert [(i.expected, i.received, i.passed) for i in items.values()] == [
        (1, 1, True),
        (1, 1, True),
        (96, 96, True),
        (96, 85, False),
        (96, 96, True),
    ]  # fmt: skip  (D1, D2, R1, R2, R3)
    assert items["R2"].completeness == pytest.approx(0.8854)  # 85 / 96 = 0.88542 < 0.90: fails
    codes = {name: [p.code for p in item.problems] for name, item in items.items()}
    assert codes == {
        "D1": ["inconsistent"],
        "D2": ["off_schedule"],
        "R1": [],
        "R2": ["incomplete", "calibration_unknown", "stale"],
        "R3": ["flagged", "calibration_expired"],
    }
    assert items["D1"].problems[0].detail == "1020 kWh vs real-time R1 960 kWh: +6.2 % (tolerance ±5 %)"
    assert items["R2"].problems[2].detail == "last value 2024-03-01 21:00"
    assert (result.date, result.period, result.meters) == ("2024-03-01", "day", 5)
    assert result.completeness == pytest.approx(279 / 290, abs=1e-4)
    assert result.accuracy == 0.6
    assert result.timeliness == pytest.approx(278 / 279, abs=1e-4)
    assert result.validity == pytest.approx(278 / 279, abs=1e-4)
    assert result.index == pytest.approx(0.888725, abs=1e-4)


def test_results_are_stored_once_and_read_back(quality_world: Any, admin: Principal, reference: ReferenceSet) -> None:
    first = _show(quality_world, admin, reference, day=DAY)
    again = _show(quality_world, admin, reference, day=DAY)
    assert again == first
    with session_scope(quality_world.engine) as session:
        assert session.scalar(select(func.count()).select_from(MeterQualityDay)) == 5
        stored = session.scalars(select(EnterpriseQualityDay)).one()
        assert (stored.day, stored.final, stored.meters, stored.expected, stored.received) == (DAY, True, 5, 290, 279)
        computed = session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "quality.compute")
        )
        assert computed == 1  # final rows are read, not measured again


def test_a_month_sums_the_days(quality_world: Any, admin: Principal, reference: ReferenceSet) -> None:
    # March 2024 has 31 days; only 1 March has values. Real-time: 3 × 96 × 31 = 8928 expected; day items
    # 2 × 31 = 62: 8990 in all, 279 received → 0.031034. Accuracy over meter-days: (31 + 31 + 31) / (5 × 31) = 0.6.
    result = _show(quality_world, admin, reference, month="2024-03")
    assert (result.date, result.period) == ("2024-03", "month")
    assert result.completeness == pytest.approx(279 / 8990, abs=1e-4)
    assert result.accuracy == 0.6
    assert result.timeliness == pytest.approx(278 / 279, abs=1e-4)
    # index = (0.031034 + 0.6 + 0.996416 + 0.996416) / 4 = 0.655967
    assert result.index == pytest.approx(0.655967, abs=1e-4)
    r2 = next(i for i in result.items if i.meter == "R2")
    assert (r2.expected, r2.received) == (96 * 31, 85)
    assert {p.code: p.detail for p in r2.problems}["no_data"] == "30 day(s)"


def test_statistic_times(quality_world: Any, admin: Principal, reference: ReferenceSet) -> None:
    march = _show(quality_world, admin, reference, key="b", month="2024-03")
    items = {i.meter: i for i in march.items}
    assert (items["M1"].expected, items["M1"].received, items["M1"].problems) == (1, 1, [])  # 12 h early: March's
    assert (items["D3"].expected, items["D3"].received) == (31, 2)  # 23:59:30 on 1 March counts for 2 March
    assert [p.code for p in items["D3"].problems] == ["no_data", "off_schedule"]
    assert march.timeliness == pytest.approx(2 / 3, abs=1e-4)  # M1 on time, D3: one of two
    april = _show(quality_world, admin, reference, key="b", day=date(2024, 4, 1))
    m1 = next(i for i in april.items if i.meter == "M1")
    assert [(p.code, p.detail) for p in m1.problems] == [("off_schedule", "1 value(s) off the statistic time")]


def test_regulators_table_worst_first(
    quality_world: Any, admin: Principal, reference: ReferenceSet, enterprise_principal: Callable[[str], Principal]
) -> None:
    _show(quality_world, admin, reference, day=DAY)
    _show(quality_world, admin, reference, key="b", day=DAY)
    owner = enterprise_principal("a")
    with session_scope(quality_world.engine) as session:
        rows, total = service_quality_read.enterprise_quality_page(session, admin, DAY, None, 50, 0)
        # b on 1 March: M1 on time and D3 without a value: (0.5 + 1 + 1 + 1) / 4 = 0.875 < a's 0.888725
        assert total == 2 and [(r.enterprise, r.index) for r in rows] == [
            (quality_world.codes["b"], 0.875),
            (quality_world.codes["a"], pytest.approx(0.888725, abs=1e-4)),
        ]
        longwan, _ = service_quality_read.enterprise_quality_page(session, admin, DAY, "330303", 50, 0)
        assert [r.enterprise for r in longwan] == [quality_world.codes["b"]]
        own, total = service_quality_read.enterprise_quality_page(session, owner, DAY, None, 1, 0)
        assert (total, [r.enterprise for r in own]) == (1, [quality_world.codes["a"]])


def test_bad_periods(quality_world: Any, admin: Principal, reference: ReferenceSet) -> None:
    with pytest.raises(InvalidInput) as caught:
        _show(quality_world, admin, reference, month="2024-13")
    assert caught.value.field == "month"
    with pytest.raises(InvalidInput, match="has not begun"):
        _show(quality_world, admin, reference, day=date(2999, 1, 1))
    with pytest.raises(InvalidInput, match="either a date or a month"):
        _show(quality_world, admin, reference)


def test_month_statistic_against_the_real_time_month_and_an_implausible_rate(
    world: Any, tmp_path: Path, write_csv: Callable[..., Path], reference: ReferenceSet, admin: Principal
) -> None:
    # Enterprise c, February 2024 (29 days), hourly items: H60 real-time 1 kWh every hour → 29 × 24 = 696 kWh;
    # M2 the month statistic of the same data item says 740 kWh: (740 − 696) / 696 = +6.32 % > 5 %: inconsistent.
    # R5 has max_rate 5 kWh/h; on 1 February its 12:00 value is 9 kWh in one hour: flagged (and 23 other hours).
    c = world.codes["c"]
    header = [*HEADER, "interval_minutes", "max_rate"]
    path = write_csv(
        tmp_path / "c.csv",
        header,
        [
            [c, "H60", "electricity", "kWh", "interval", 1, "realtime", "E-C", "2030-12-31", 60, ""],
            [c, "M2", "electricity", "kWh", "interval", 1, "month", "E-C", "2030-12-31", 60, ""],
            [c, "R5", "electricity", "kWh", "interval", 1, "realtime", "", "2030-12-31", 60, 5],
        ],
    )
    february = datetime(2024, 2, 1)
    readings = [{"meter": "H60", "ts": t, "value": 1} for t in _times(february, 29 * 24, minutes=60)]
    readings += [{"meter": "M2", "ts": "2024-02-01T00:00:00+08:00", "value": 740}]
    readings += [
        {"meter": "R5", "ts": t, "value": 9 if n == 12 else 1} for n, t in enumerate(_times(february, 24, minutes=60))
    ]
    arrived = datetime(2024, 2, 1, 17, 0, tzinfo=UTC)  # dated early so that no day is late (PR-014)
    with session_scope(world.engine) as session, simulated_clock(arrived):
        service_meters.import_meters(session, admin, path, reference)
        assert service_ingest.ingest_json(session, admin, readings, enterprise=c).accepted == 696 + 1 + 24
    result = _show(world, admin, reference, key="c", month="2024-02")
    items = {i.meter: i for i in result.items}
    assert (items["H60"].expected, items["H60"].received, items["H60"].problems) == (696, 696, [])
    assert [(p.code, p.detail) for p in items["M2"].problems] == [
        ("inconsistent", "740 kWh vs real-time H60 696 kWh: +6.3 % (tolerance ±5 %)")
    ]
    assert {p.code: p.detail for p in items["R5"].problems} == {"flagged": "1 day(s)", "no_data": "28 day(s)"}
    # validity over the month: values 696 + 1 + 24 = 721, one flagged → 720 / 721 = 0.998613
    assert result.validity == pytest.approx(720 / 721, abs=1e-4)
