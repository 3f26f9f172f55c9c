"""The monitoring pages in a browser: 计量器具 list, a meter page with its hourly line and quality, the
regulators' 数据质量 table with one enterprise's items, and one manual entry (a bad value first).

Enterprise E (龙湾钢铁戊, no reports) gets two meters: R1, real-time 15-min kWh, 96 values on 1 March 2024 and
88 on 2 March (02:00–03:59 missing: 88 / 96 = 0.9167, still passes); H1, a daily coal item entered by hand.
On 2 March R1 counts 88 of 96 and H1 0 of 1: completeness 88 / 97 = 0.907.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.core.access import Grant, Principal
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.monitoring.models import Meter
from dualcarbon.reference import load_reference
from dualcarbon.store.base import simulated_clock
from dualcarbon.store.db import init_store, session_scope

from .conftest import Server, shot

pytestmark = pytest.mark.browser
ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


def _seed_meters(server: Server, tmp_path: Path) -> int:
    """Meters and readings of enterprise E in the served store; returns R1's id."""
    code = server.world.codes["E"]
    register = tmp_path / "meters.csv"
    register.write_text(
        "credit_code,meter_code,carrier,unit,kind,multiplier,statistic_type,input_type,calibrated_until\n"
        f"{code},R1,electricity,kWh,interval,1,realtime,automatic,2030-12-31\n"
        f"{code},H1,raw_coal,t,interval,1,day,manual,2030-12-31\n",
        encoding="utf-8",
    )
    start = datetime(2024, 3, 1)
    readings = []
    for n in range(2 * 96):
        moment = start + timedelta(minutes=15 * n)
        if moment.day == 2 and moment.hour in (2, 3):
            continue  # a two-hour gap on 2 March
        readings.append({"meter": "R1", "ts": moment.isoformat() + "+08:00", "value": 20 + (n % 96) // 4})
    engine = init_store(server.data_dir)
    try:
        with session_scope(engine) as session:
            service_meters.import_meters(session, ADMIN, register, load_reference(server.data_dir))
            with simulated_clock(datetime(2024, 3, 3, 0, 30, tzinfo=UTC)):  # uploaded on time (08:30 on 3 March)
                receipt = service_ingest.ingest_json(session, ADMIN, readings, enterprise=code)
            assert receipt.accepted == 96 + 88
            meter_id = session.scalar(select(Meter.id).where(Meter.code == "R1"))
    finally:
        engine.dispose()
    assert meter_id is not None
    return meter_id


def test_meters_meter_page_quality_table_and_manual_entry(
    page: Any, server: Server, login: Any, artifacts: Path, tmp_path: Path
) -> None:
    meter_id = _seed_meters(server, tmp_path)
    code = server.world.codes["E"]
    login(page, "admin")

    page.goto(f"/monitoring/meters?enterprise={code}")
    grid = page.get_by_test_id("meters")
    grid.locator(".ag-row", has_text="R1").wait_for()
    assert "共 2 条" in page.locator("body").inner_text()
    shot(page, artifacts, "monitoring-meters")
    grid.locator(".ag-row", has_text="R1").locator(".ag-cell").first.click()
    page.wait_for_url(f"**/monitoring/meters/{meter_id}")

    page.goto(f"/monitoring/meters/{meter_id}?to=2024-03-02")
    page.get_by_test_id("meter-hourly").locator("canvas").first.wait_for()
    quality = page.get_by_test_id("meter-quality")
    quality.locator(".ag-row", has_text="2024-03-02").wait_for()
    assert "88" in quality.locator(".ag-row", has_text="2024-03-02").inner_text()  # 88 of 96 received
    shot(page, artifacts, "monitoring-meter")

    page.goto("/monitoring/quality?date=2024-03-02")
    page.get_by_test_id("quality-compute").click()
    table = page.get_by_test_id("quality-enterprises")
    row = table.locator(".ag-row", has_text=code)
    row.wait_for()
    assert "0.977" in row.inner_text()  # (88 / 97 + 1 + 1 + 1) / 4 = 0.9768: R1 88 of 96, H1 0 of 1
    row.locator(".ag-cell").first.click()
    items = page.get_by_test_id("quality-items")
    items.locator(".ag-row", has_text="H1").wait_for()
    assert "无数据" in items.locator(".ag-row", has_text="H1").inner_text()  # H1: nothing entered yet
    shot(page, artifacts, "monitoring-quality")

    page.goto(f"/monitoring/manual?enterprise={code}")
    page.get_by_test_id("manual-meter-0").click()
    page.get_by_role("option", name="H1（t，日统计）").click()
    page.get_by_test_id("manual-ts-0").fill("2024-03-02 00:00")
    page.get_by_test_id("manual-value-0").fill("abc")
    page.get_by_test_id("manual-submit").click()
    error = page.get_by_test_id("manual-error")
    error.get_by_text("第 1 行 数值：不是有效的数字").wait_for()  # shown once the check has run
    assert error.inner_text() == "第 1 行 数值：不是有效的数字"
    page.get_by_test_id("manual-value-0").fill("35.5")
    page.get_by_test_id("manual-submit").click()
    receipt = page.get_by_test_id("manual-receipt")
    page.wait_for_function("el => el.innerText.length > 0", arg=receipt.element_handle())
    assert receipt.inner_text() == "回执：接收 1 条，重复 0 条，冲突 0 条，拒收 0 条"
    page.goto("/monitoring/quality?date=2024-03-02")  # the entry reopened the day: measured again when read
    page.get_by_test_id("quality-enterprises").locator(".ag-row", has_text=code).locator(".ag-cell").first.click()
    items.locator(".ag-row", has_text="H1").wait_for()
    assert "无数据" not in items.locator(".ag-row", has_text="H1").inner_text()
    shot(page, artifacts, "monitoring-manual")


def test_monitoring_pages_show_no_raw_keys_in_english(page: Any, server: Server, login: Any) -> None:
    login(page, "wz_city")
    page.goto("/web/lang/en?next=/monitoring/meters")
    page.get_by_text("Meters").first.wait_for()
    for path in ("/monitoring/meters", "/monitoring/quality?date=2024-03-02", "/monitoring/manual"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        text = page.locator("body").inner_text()
        assert "monitoring." not in text, (path, text[:500])
