"""A regulator follows an alert from the region dashboard to the meter (issue #10: "a regulator can follow one from
the region dashboard to the meter").

Enterprise B (龙湾, 330303) gets three hourly interval electricity meters: AL-MAIN (not counted) with the counted
AL-01 and AL-02. For the eight weeks before 2024-04-26 (PR-A02) AL-01 reads 10 + (week % 2) kWh every hour (median
10.5, MAD 0.5), AL-02 5 kWh, AL-MAIN their sum. On 2024-04-26 AL-01 reads 10 or 11 except 30 kWh at 14:00:
|30 − 10.5| = 19.5 > 3 × 1.4826 × 0.5 = 2.224 and ≥ 20 % of 10.5 → an anomaly (yellow) on AL-01, and on AL-MAIN
(35 against 15.5). The alerts are opened by the evaluation service, as the nightly job or the live loop would.

温州市's regulator (wz_city) opens the region dashboard: B counts as yellow; in the open-alerts table the row of AL-01
opens B's enterprise dashboard at that day with its alerts, whose meter link opens AL-01's meter page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.alerts import service_alerts
from dualcarbon.core.access import Grant, Principal
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.reference import load_reference
from dualcarbon.store.db import init_store, session_scope

from .conftest import Server, shot

pytestmark = pytest.mark.browser
ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))
DAY = date(2024, 4, 26)
LEVELS = ("green", "yellow", "orange", "red")


@pytest.fixture(scope="module")
def alerted(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    code = server.world.codes["B"]
    register = tmp_path_factory.mktemp("alert_follow") / "meters.csv"
    register.write_text(
        "credit_code,meter_code,carrier,unit,kind,multiplier,interval_minutes,parent_meter_code,counted\n"
        f"{code},AL-MAIN,electricity,kWh,interval,1,60,,false\n"
        f"{code},AL-01,electricity,kWh,interval,1,60,AL-MAIN,true\n"
        f"{code},AL-02,electricity,kWh,interval,1,60,AL-MAIN,true\n",
        encoding="utf-8",
    )
    readings = []
    first = datetime.combine(DAY, datetime.min.time()) - timedelta(weeks=8)
    for h in range(57 * 24):  # eight weeks of history, then DAY
        moment = first + timedelta(hours=h)
        if moment.date() < DAY:
            s1 = 10.0 + (h // (7 * 24)) % 2
        else:
            s1 = 30.0 if moment.hour == 14 else 10.0 + moment.hour % 2
        stamp = moment.isoformat() + "+08:00"
        readings += [
            {"meter": "AL-01", "ts": stamp, "value": s1},
            {"meter": "AL-02", "ts": stamp, "value": 5.0},
            {"meter": "AL-MAIN", "ts": stamp, "value": s1 + 5.0},
        ]
    engine = init_store(server.data_dir)
    reference = load_reference(server.data_dir)
    try:
        with session_scope(engine) as session:
            service_meters.import_meters(session, ADMIN, register, reference)
            assert service_ingest.ingest_json(session, ADMIN, readings, enterprise=code).accepted == len(readings)
        with session_scope(engine) as session:
            service_alerts.evaluate(session, ADMIN, DAY, reference, code)
            alerts, _ = service_alerts.list_alerts(session, ADMIN, credit_code=code, source="anomaly")
    finally:
        engine.dispose()
    found = next(a for a in alerts if a.detail["meter"] == "AL-01")
    yield {"code": code, "alert": found}


def test_a_regulator_follows_an_alert_from_the_region_to_the_meter(
    page: Any, server: Server, login: Any, artifacts: Path, alerted: dict[str, Any]
) -> None:
    code, alert = alerted["code"], alerted["alert"]
    login(page, "wz_city")
    page.goto("/monitoring/region/330300")
    levels = page.get_by_test_id("region-levels")
    levels.wait_for()
    assert "绿色" in levels.inner_text() and "红色" in levels.inner_text()  # the scheme's four levels
    yellow = page.get_by_test_id("region-level-yellow").inner_text()
    assert yellow.startswith("黄色：") and int(yellow.split("：")[1]) >= 1
    # the counts are of the watched enterprises (meters or a budget), and the note says how many
    counted = sum(int(page.get_by_test_id(f"region-level-{lv}").inner_text().split("：")[1]) for lv in LEVELS)
    assert f"统计受监测企业 {counted} 家" in page.get_by_test_id("region-levels-note").inner_text()
    grid = page.get_by_test_id("region-alerts")
    row = grid.locator(".ag-row", has_text="AL-01 用能异常")
    row.wait_for()
    assert "龙湾建材乙有限公司" in row.inner_text() and "黄色" in row.inner_text()
    assert "alerts." not in page.locator("body").inner_text()
    shot(page, artifacts, "alert-follow-1-region")
    row.locator(".ag-cell").first.click()
    page.wait_for_url(f"**/monitoring/enterprise/{code}?at={DAY.isoformat()}#alerts")
    section = page.get_by_test_id("dash-alerts")
    section.wait_for()
    assert "计量器具 AL-01 用能异常（1 个小时）" in section.inner_text()
    shot(page, artifacts, "alert-follow-2-enterprise")
    page.get_by_test_id(f"dash-alert-meter-{alert.id}").click()
    page.wait_for_url(f"**/monitoring/meters/{alert.meter_id}?to={DAY.isoformat()}")
    page.get_by_text("AL-01").first.wait_for()
    page.locator("canvas").first.wait_for()
    body = page.locator("body").inner_text()
    assert "AL-01" in body and "monitoring." not in body
    shot(page, artifacts, "alert-follow-3-meter")
