"""The demo's online monitoring (demo/monitoring.py) and the live simulator (monitoring/service_simulator.py).

A reduced build (the tests' 30-enterprise city, 4 of them with meters, 40 days of readings) on SQLite (Parquet) and
PostgreSQL; the full size (30 enterprises × 365 days) is what ``dualcarbon demo`` builds (time: docs/monitoring.md).
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_world (importlib import mode)
from demo_world import pg_admin_url

from dualcarbon.core.access import SYSTEM
from dualcarbon.demo import DemoSpec, build_demo, latest_complete_year, plan_city
from dualcarbon.demo.build import DemoResult
from dualcarbon.demo.monitoring import (
    JUMP_DAY_AGO,
    JUMP_PRODUCTION_SHARE,
    MISCALIBRATED_SCALE,
    PRODUCTION_CODE,
    PRODUCTION_ENTERPRISES,
    plan_meters,
)
from dualcarbon.monitoring import service_meters, service_quality_read, service_rollups, service_simulator
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import init_store, session_scope

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
SPEC = DemoSpec(
    enterprises=30, districts=5, seed=7, latest_year=latest_complete_year(date.today()), meter_enterprises=4
)
SMALL = DemoSpec(**{**SPEC.__dict__, "meter_days": 40})


@dataclass
class Monitored:
    engine: Engine
    result: DemoResult


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def monitored(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitored]:
    reference = shipped_reference()
    if request.param == "sqlite":
        engine = init_store(f"sqlite+pysqlite:///{tmp_path_factory.mktemp('demo_mon') / 'dualcarbon.sqlite3'}")
        yield Monitored(engine, build_demo(engine, SMALL, reference))
        engine.dispose()
        return
    admin_url = pg_admin_url()
    if admin_url is None:
        if os.environ.get("CI") or os.environ.get("DUALCARBON_REQUIRE_PG") == "1":
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"dc_test_demo_mon_{secrets.token_hex(5)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = init_store(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        yield Monitored(engine, build_demo(engine, SMALL, reference))
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_meter_trees_follow_the_reports() -> None:
    spec = DemoSpec(**{**SPEC.__dict__, "enterprises": 60, "meter_enterprises": 30})
    plan = plan_city(spec, shipped_reference())
    today = date(2026, 12, 4)
    meters = plan_meters(plan, today)
    by_enterprise: dict[str, list[Any]] = {}
    for meter in meters:
        by_enterprise.setdefault(meter.credit_code, []).append(meter)
    assert len(by_enterprise) == 30
    chosen = [e for e in plan.enterprises if e.credit_code in by_enterprise]
    # key energy users first: no unmonitored key energy user while a non-key one has meters
    if any(not e.key_energy_user for e in chosen):
        assert all(e.credit_code in by_enterprise for e in plan.enterprises if e.key_energy_user)
    for enterprise in chosen:
        tree = {m.code: m for m in by_enterprise[enterprise.credit_code]}
        main = tree["E-MAIN"]
        subs = [m for m in tree.values() if m.parent == "E-MAIN"]
        assert not main.counted and all(m.counted for m in subs) and len(subs) in (2, 3)
        # 总表 annual = the latest report's electricity (万kWh) × 10,000 kWh
        reported = sum(
            line["quantity"] for line in enterprise.latest.content["energy_lines"] if line["carrier"] == "electricity"
        )
        assert main.annual == pytest.approx(reported * 10_000.0)
        assert 0.98 <= sum(m.share for m in subs) <= 0.995  # the rest is line loss
        carriers = {line["carrier"] for line in enterprise.latest.content["energy_lines"]}
        assert ("G-MAIN" in tree) == ("natural_gas" in carriers)
        assert ("H-MAIN" in tree) == ("heat" in carriers)
        manual = [m for m in tree.values() if m.manual_monthly]
        assert len(manual) == (1 if carriers - {"electricity", "natural_gas", "heat"} else 0)
    resets = [m for m in meters if m.reset_at is not None]
    wrong = [m for m in meters if m.scale != 1.0]
    assert len(resets) == 1 and resets[0].parent == "E-MAIN"
    assert len(wrong) == 1 and wrong[0].scale == MISCALIBRATED_SCALE
    assert wrong[0].calibrated_until is not None and wrong[0].calibrated_until < today
    # every other meter is within its calibration, so the accuracy index points at the one wrong 分表 only
    others = [m for m in meters if m is not wrong[0]]
    assert all(m.calibrated_until is not None and m.calibrated_until > today for m in others)


def _periods(engine: Engine, code: str, meter: str, interval: str, first: date, last: date) -> list[Any]:
    with session_scope(engine, write=False) as session:
        result = service_rollups.meter_rollups(
            session, SYSTEM, interval, first, last, shipped_reference(), credit_code=code, meter_code=meter
        )
    return list(result.periods)


def test_the_year_is_ingested_with_its_faults_and_agrees_with_the_reports(monitored: Monitored) -> None:
    mon = monitored.result.monitoring
    assert mon.start is not None and mon.end is not None
    assert mon.end - mon.start == timedelta(days=40)
    # the retry batch re-sends 96 stored readings, one of them altered: 95 duplicates and 1 conflict
    assert (mon.rejected, mon.duplicate, mon.conflict) == (0, 95, 1)
    with session_scope(monitored.engine, write=False) as session:
        listed = service_meters.list_meters(session, SYSTEM)
    planned = plan_meters(monitored.result.plan, mon.end.date())
    # every planned meter is in the register (later stages may add their own, e.g. a PV generation meter)
    assert len(planned) == mon.meters
    assert {(m.credit_code, m.code) for m in planned} <= {(m.credit_code, m.code) for m in listed}
    # 40 days of 15-min readings would be 40 × 96 + 1 = 3,841 per automatic meter; outages remove some
    automatic = [m for m in listed if m.input_type == "automatic"]
    assert 0 < mon.accepted < len(automatic) * 3841
    meters = plan_meters(monitored.result.plan, mon.end.date())
    first, last = mon.start.date(), mon.end.date()
    for meter in (m for m in meters if m.code == "E-MAIN"):
        days = _periods(monitored.engine, meter.credit_code, "E-MAIN", "day", first, last)
        energy = sum(p.energy or 0.0 for p in days)
        # a counter keeps counting through outages: the window holds annual × 40/365, less what an outage at
        # the very end hides (at most 3 days + 4 h of 40 days) — "monitoring and reports roughly agree"
        expected = meter.annual * 40 / 365
        assert 0.90 * expected <= energy <= 1.01 * expected, (meter.credit_code, energy, expected)
        assert any(p.completeness < 1.0 for p in days)  # real-looking gaps
    reset = next(m for m in meters if m.reset_at is not None)
    periods = _periods(monitored.engine, reset.credit_code, reset.code, "day", first, last)
    assert any("counter_reset" in p.flags for p in periods)
    assert all(p.energy is None or p.energy >= 0 for p in periods)  # never a negative consumption


def test_two_enterprises_meter_production_and_one_day_per_unit_jumps(monitored: Monitored) -> None:
    """P-OUT of the first two monitored enterprises: one value a day of the report's product, never tce or CO₂; the
    day JUMP_DAY_AGO before the end, production fell to 60 % while energy did not: the build's evaluation of the
    last days opened a production-normalised anomaly for each of the two (energy per unit ≈ 1 / 0.6 of its median)."""
    from dualcarbon.alerts import service_alerts

    mon = monitored.result.monitoring
    assert mon.start is not None and mon.end is not None
    meters = plan_meters(monitored.result.plan, mon.end.date())
    producing = [m for m in meters if m.product is not None]
    assert [m.code for m in producing] == [PRODUCTION_CODE] * PRODUCTION_ENTERPRISES
    assert len({m.credit_code for m in producing}) == PRODUCTION_ENTERPRISES
    jump = mon.end.date() - timedelta(days=JUMP_DAY_AGO)
    for meter in producing:
        days = _periods(monitored.engine, meter.credit_code, PRODUCTION_CODE, "day", mon.start.date(), jump)
        assert all(p.tce is None and p.tco2 is None for p in days)
        assert sum(p.energy is not None for p in days) == 39  # every whole day (the first one starts mid-day)
    with session_scope(monitored.engine, write=False) as session:
        alerts, _ = service_alerts.list_alerts(session, SYSTEM, source="anomaly")
    found = {a.credit_code: a for a in alerts if a.detail.get("model") == "production"}
    assert set(found) == {m.credit_code for m in producing}
    for alert in found.values():
        assert alert.detail["date"] == jump.isoformat()
        assert alert.detail["change_pct"] == pytest.approx(100 / JUMP_PRODUCTION_SHARE - 100, abs=15)


def test_the_history_counts_as_uploaded_daily_except_one_late_day(monitored: Monitored) -> None:
    """The year is generated at build time but dated as the story's collector uploaded it (10 min after each day);
    one day of one 分表 arrives a week late, and the timeliness check shows exactly that."""
    mon = monitored.result.monitoring
    assert mon.late_day is not None
    meter_code, late = mon.late_day
    credit_code = plan_meters(monitored.result.plan, mon.end.date())[0].credit_code
    reference = shipped_reference()
    with session_scope(monitored.engine) as session:
        bad = service_quality_read.quality_show(session, SYSTEM, credit_code, reference, day=late)
        good = service_quality_read.quality_show(session, SYSTEM, credit_code, reference, day=late - timedelta(days=1))
    assert [(i.meter, i.late_days) for i in bad.items if i.late_days] == [(meter_code, 1)]
    assert bad.late_items == 1 and good.late_items == 0


def test_simulator_continues_each_meter_and_the_live_demo_stores_it(
    monitored: Monitored, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mon = monitored.result.monitoring
    assert mon.end is not None
    with session_scope(monitored.engine, write=False) as session:
        simulated = service_simulator.simulated_meters(session, SYSTEM)
    planned = [  # the daily production meters are day statistics, not live real-time values
        m for m in plan_meters(monitored.result.plan, mon.end.date()) if not m.manual_monthly and m.product is None
    ]
    # every planned real-time meter is simulated (later stages may add their own, e.g. a PV generation meter)
    assert {(m.credit_code, m.code) for m in planned} <= {(m.credit_code, m.code) for m in simulated}
    main = next(m for m in simulated if m.code == "E-MAIN")
    assert main.ts <= mon.end and main.step > 0
    before = (main.ts, main.value)
    payload = service_simulator.next_reading(main, random.Random(3))
    assert payload["ts"] == (before[0] + timedelta(minutes=15)).isoformat()
    assert payload["value"] > before[1]
    # No broker: one warning, no live demo.
    caplog.set_level(logging.WARNING)
    assert service_simulator.start_live_demo(monitored.engine, SYSTEM, port=_free_port()) is None
    assert sum("live monitoring is off" in r.getMessage() for r in caplog.records) == 1
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\n", encoding="utf-8")
    broker = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait(lambda: service_simulator.broker_reachable("127.0.0.1", port, 0.2))
        live = service_simulator.start_live_demo(
            monitored.engine, SYSTEM, port=port, step_seconds=0.5, flush_seconds=0.5, realtime=False
        )
        assert live is not None
        count = len(live.simulator.meters)
        try:
            assert _wait(lambda: live.ingester.stats.receipt.accepted >= 2 * count, 60)
        finally:
            live.stop()
    finally:
        broker.terminate()
        broker.wait(timeout=10)
    receipt = live.ingester.stats.receipt
    assert (receipt.rejected, receipt.conflict, live.ingester.stats.malformed) == (0, 0, 0)
    # every published step is a new (meter, ts): stored once, none a duplicate (the last step may still have been
    # in flight when the subscriber stopped)
    assert 2 * count <= receipt.accepted <= live.simulator.steps * count
    assert receipt.duplicate == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(condition: Any, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())
