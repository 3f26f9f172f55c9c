"""The PySpark rollup job gives the single-machine numbers on the same lake (issue #8 §6).

A small lake is built through the platform's ingest (the ``meters`` fixture's register, SQLite + Parquet):
a gap on a1/E1, a rollover on E2 (counter_max 1000), a counter reset on E3, an implausible rate on E4
(max_rate 100 kWh/h), an interval gas meter G1 with a missing day, and a reading before the range that the
look-back must find. ``dualcarbon scale rollups`` runs the job on Spark ``local[2]``; every hour, day and month
of every meter must equal ``service_rollups.meter_rollups`` to 1e-9 relative, the daily completeness check must
equal ``service_quality.compute_quality``'s, and a few values are checked against hand-worked numbers.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.monitoring import service_ingest, service_quality, service_rollups
from dualcarbon.monitoring.models import MeterQualityDay
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

pytest.importorskip("pyspark", reason="pyspark (the optional extra `scale`) is not installed")
if shutil.which("java") is None:
    pytest.skip("no Java runtime for Spark (bootstrap.sh test installs default-jre-headless)", allow_module_level=True)

DAY1 = datetime(2024, 3, 1)
STEPS = 192  # two days of 15-min readings after 2024-03-01 00:00 (i = 0 … 192)


def _at(i: int) -> str:
    return (DAY1 + timedelta(minutes=15 * i)).isoformat()


def _readings() -> dict[str, list[tuple[str, float]]]:
    e1 = [("2024-02-29T23:45:00", 995.0)]  # before the range: the look-back finds it
    e1 += [(_at(i), 1000.0 + 5 * i) for i in range(STEPS + 1) if not 39 <= i <= 50]  # no 09:45 … 12:30
    e2 = [(_at(i), float((900 + 3 * i) % 1000)) for i in range(STEPS + 1)]  # wraps at i = 34
    e3 = [(_at(i), 50.0 + 2 * i if i < 50 else 2.0 * (i - 50)) for i in range(STEPS + 1)]  # reset at i = 50
    e4 = [(_at(i), 10.0 * i + (40 if i >= 21 else 0)) for i in range(STEPS + 1)]  # +50 in 05:00–05:15
    g1 = [(_at(i), 7.5) for i in range(96)]  # day 1 only
    return {"E1": e1, "E2": e2, "E3": e3, "E4": e4, "G1": g1}


def _ingest(world: Any, admin: Any, enterprise: str, code: str, values: list[tuple[str, float]]) -> None:
    names = ["credit_code", "meter_code", "ts", "value"]
    rows = [(world.codes[enterprise], code, ts, str(v)) for ts, v in values]
    batch = pa.table({n: pa.array([r[i] for r in rows], pa.string()) for i, n in enumerate(names)})
    with session_scope(world.engine) as session:
        receipt = service_ingest.ingest_table(session, admin, batch, source="file")
    assert receipt.accepted == len(values), receipt


def _same(spark_value: float | None, single_value: float | None) -> bool:
    if spark_value is None or single_value is None:
        return spark_value is None and single_value is None
    return spark_value == pytest.approx(single_value, rel=1e-9, abs=0)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_spark_rollups_equal_the_single_machine_ones(world, meters, admin, reference, tmp_path: Path) -> None:
    for code, values in _readings().items():
        _ingest(world, admin, "a", code, values)
    _ingest(world, admin, "b", "E1", [(_at(i), 100.0 + i) for i in range(0, 9)])  # 8 intervals on day 1
    data_dir = Path(world.url.split("///", 1)[1]).parent
    out = tmp_path / "spark-out"

    result = CliRunner().invoke(
        app,
        [
            "scale",
            "rollups",
            "--from",
            "2024-03-01",
            "--to",
            "2024-03-02",
            "--out",
            str(out),
            "--data-dir",
            str(data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["meters"] == 6 and summary["quality"]["completeness_min_pct"] == 90  # platform rule PR-004
    # 6 meters × 48 hours, × 2 days, × 1 month (March, widened); 6 × 2 quality rows.
    assert summary["rows"] == {"hour": 288, "day": 12, "month": 6, "intervals": summary["rows"]["intervals"]}

    by_id = {meter_id: key for key, meter_id in meters.items()}
    for interval, (first, last) in {
        "hour": (date(2024, 3, 1), date(2024, 3, 2)),
        "day": (date(2024, 3, 1), date(2024, 3, 2)),
        "month": (date(2024, 3, 1), date(2024, 3, 2)),
    }.items():
        spark_rows = pq.read_table(out / interval).to_pylist()
        got = {(r["meter_id"], r["start"]): r for r in spark_rows}
        assert len(got) == len(spark_rows)
        compared = 0
        for meter_id in by_id:
            with session_scope(world.engine) as session:
                single = service_rollups.meter_rollups(
                    session, admin, interval, first, last, reference, meter_id=meter_id
                )
            for period in single.periods:
                row = got[(meter_id, period.start.replace(tzinfo=None))]
                where = f"{by_id[meter_id]} {interval} {period.start}"
                for name in ("energy", "tce", "tce_equal", "tco2", "completeness"):
                    assert _same(row[name], getattr(period, name)), (where, name, row[name], getattr(period, name))
                assert row["flags"] == period.flags, where
                compared += 1
        assert compared == len(spark_rows)

    days = {(by_id[r["meter_id"]], r["start"].day): r for r in pq.read_table(out / "day").to_pylist()}
    # E1 ×2: day 1 = (v(24:00) − v(00:00)) × 2 = (1480 − 1000) × 2 = 960 kWh; the 12:45 reading closes
    # 12:30–12:45 with the 13 steps since 09:30: 13 × 5 × 2 = 130 (spans_gap); the 12 intervals 09:30–12:15
    # have no reading to close them → 84 / 96.
    assert days[("a/E1", 1)]["energy"] == pytest.approx(960.0)
    assert days[("a/E1", 1)]["completeness"] == pytest.approx(84 / 96)
    assert days[("a/E1", 1)]["flags"] == ["incomplete", "spans_gap"]
    # E2 wraps 999 → 2 at i = 34: still 96 × 3 = 288 kWh, flagged.
    assert days[("a/E2", 1)]["energy"] == pytest.approx(288.0) and days[("a/E2", 1)]["flags"] == ["rollover"]
    # E3 drops 148 → 0 at i = 50: that interval is unknown → 95 × 2 = 190 kWh, 95/96.
    assert days[("a/E3", 1)]["energy"] == pytest.approx(190.0)
    assert days[("a/E3", 1)]["flags"] == ["incomplete", "counter_reset"]
    # E4: 50 kWh in 15 min = 200 kWh/h > 100 → held out: 95 × 10 = 950 kWh.
    assert days[("a/E4", 1)]["energy"] == pytest.approx(950.0)
    assert "rate_above_max" in days[("a/E4", 1)]["flags"]
    # G1: 96 × 7.5 m³ = 720 on day 1; nothing on day 2.
    assert days[("a/G1", 1)]["energy"] == pytest.approx(720.0) and days[("a/G1", 2)]["flags"] == ["no_data"]

    quality = {(by_id[r["meter_id"]], r["day"].day): r for r in pq.read_table(out / "quality").to_pylist()}
    assert len(quality) == 12
    # Values labelled with the day, of 96 expected; passing needs ≥ 90 %: a/E1 day 1 has 96 − 12 = 84 (0.875,
    # fails); a reset or an implausible rate still counts as received (E3, E4: 96); G1 day 2 has 0, b/E1 day 1
    # has 9 (0.094) and day 2 none.
    failed = sorted(key for key, row in quality.items() if not row["passed"])
    assert failed == [("a/E1", 1), ("a/G1", 2), ("b/E1", 1), ("b/E1", 2)]
    assert (quality[("a/E1", 1)]["received"], quality[("a/E1", 1)]["expected"]) == (84, 96)
    assert quality[("b/E1", 1)]["received"] == 9 and quality[("a/E3", 1)]["received"] == 96
    assert summary["quality"]["passed"] == 8 and summary["quality"]["failed"] == 4

    # The single-machine quality service counts the same.
    with session_scope(world.engine) as session:
        for key in ("a", "b"):
            enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == world.codes[key])).one()
            service_quality.compute_quality(session, admin, enterprise, date(2024, 3, 1), date(2024, 3, 2), reference)
        single = {(by_id[q.meter_id], q.day.day): q for q in session.scalars(select(MeterQualityDay))}
    assert set(single) == set(quality)
    for key, row in quality.items():
        q = single[key]
        assert (row["expected"], row["received"], row["passed"]) == (q.expected, q.received, q.passed), key
        assert row["completeness"] == pytest.approx(q.completeness, rel=1e-12), key


def test_scale_rollups_refuses_a_bad_threshold_before_starting_spark(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "scale",
            "rollups",
            "--from",
            "2024-03-02",
            "--to",
            "2024-03-01",
            "--out",
            str(tmp_path / "o"),
            "--data-dir",
            ".",
        ],
    )
    assert result.exit_code == 2 and "--to: 结束日期不能早于开始日期 / must not be before --from" in result.output


def test_without_pyspark_the_message_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from dualcarbon.core.errors import InvalidInput
    from dualcarbon.monitoring import service_spark

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # makes `from pyspark.sql import …` fail
    with pytest.raises(InvalidInput, match="extra 'scale'"):
        service_spark.spark_session()
