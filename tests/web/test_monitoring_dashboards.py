"""The monitoring dashboards in a browser: the enterprise dashboard (live 24 h, calendar, Sankey, CO₂, cost with
peak/valley shares) and the region dashboard (districts, sectors, data status, enterprises paged on the server).

Enterprise A (鹿城, 330302) gets a meter tree: E-MAIN 总表 (购入贮存, not counted) with two counted 分表,
E-01 (终端使用) 10 kWh every hour and E-02 (加工转换) 20 kWh every hour, from 2024-02-25 to 2024-03-02 (7 days);
E-MAIN reads 30.4 kWh per hour (1.3 % line loss). A test tariff for 温州 (3303) is imported into the served data
directory for the test and removed after it: 谷 00–08, 22–24 at 0.30; 平 11–17 at 0.60; 峰 08–11, 17–22 at 0.90.

* cost per day: E-01 10 × (10 × 0.30 + 6 × 0.60 + 8 × 0.90) = 10 × 13.8 = 138.00; E-02 276.00 → 414.00; the 30
  days up to 2024-03-02 hold 7 days with data → 7 × 414 = 2,898.00 元;
* peak share 8 / 24 = 33.3 %; shifting 10 % of the peak energy (7 × 8 h × 30 kWh = 1,680 kWh, cost 1,512.00) to
  the valley saves 0.1 × (1,512.00 − 1,680 × 0.30) = 0.1 × 1,008 = 100.80 元;
* region: A's tce over the 7 days 7 × 24 × 30 kWh = 5,040 kWh × 0.1229 kgce/kWh = 0.619 tce.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from dualcarbon.core.access import Grant, Principal
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.reference import load_reference
from dualcarbon.store.db import init_store, session_scope

from .conftest import Server, shot

pytestmark = pytest.mark.browser
ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))
TARIFF = [
    "row_id,region_code,region_name,year_from,year_to,carrier,months,hours,band,band_zh,price,unit,source,confidence",
    "WT-V,3303,温州市,2024,2024,electricity,1-12,0-8|22-24,valley,谷,0.30,元/kWh,browser test,test",
    "WT-F,3303,温州市,2024,2024,electricity,1-12,11-17,flat,平,0.60,元/kWh,browser test,test",
    "WT-P,3303,温州市,2024,2024,electricity,1-12,8-11|17-22,peak,峰,0.90,元/kWh,browser test,test",
]


def _seed(server: Server, tmp_path: Path) -> str:
    code = server.world.codes["A"]
    register = tmp_path / "meters.csv"
    register.write_text(
        "credit_code,meter_code,carrier,unit,kind,multiplier,parent_meter_code,counted,process_stage\n"
        f"{code},E-MAIN,electricity,kWh,interval,1,,false,购入贮存\n"
        f"{code},E-01,electricity,kWh,interval,1,E-MAIN,true,终端使用\n"
        f"{code},E-02,electricity,kWh,interval,1,E-MAIN,true,加工转换\n",
        encoding="utf-8",
    )
    readings = []
    for n in range(7 * 96):
        moment = (datetime(2024, 2, 25) + timedelta(minutes=15 * n)).isoformat() + "+08:00"
        for meter, value in (("E-MAIN", 7.6), ("E-01", 2.5), ("E-02", 5.0)):
            readings.append({"meter": meter, "ts": moment, "value": value})
    engine = init_store(server.data_dir)
    try:
        with session_scope(engine) as session:
            service_meters.import_meters(session, ADMIN, register, load_reference(server.data_dir))
            receipt = service_ingest.ingest_json(session, ADMIN, readings, enterprise=code)
            assert receipt.accepted == 3 * 7 * 96
    finally:
        engine.dispose()
    return code


def _import_tariff(data_dir: Path) -> dict[str, Any] | None:
    """Add the test tariff to the served data directory's import manifest; returns the manifest before."""
    folder = data_dir / "reference"
    manifest_file = folder / "manifest.json"
    before = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.exists() else None
    (folder / "electricity_tariffs_tou").mkdir(parents=True, exist_ok=True)
    (folder / "electricity_tariffs_tou" / "browser-test.csv").write_text("\n".join(TARIFF) + "\n", encoding="utf-8")
    manifest = json.loads(json.dumps(before)) if before else {"tables": {}}
    entry = {"version": "browser-test", "file": "electricity_tariffs_tou/browser-test.csv"}
    manifest.setdefault("tables", {}).setdefault("electricity_tariffs_tou", []).append(entry)
    manifest_file.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return before


def _restore(data_dir: Path, before: dict[str, Any] | None) -> None:
    manifest_file = data_dir / "reference" / "manifest.json"
    if before is None:
        manifest_file.unlink(missing_ok=True)
    else:
        manifest_file.write_text(json.dumps(before, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def seeded(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Enterprise A's meters and readings, and the test tariff (removed from the manifest afterwards)."""
    before = _import_tariff(server.data_dir)
    try:
        yield _seed(server, tmp_path_factory.mktemp("dashboards"))
    finally:
        _restore(server.data_dir, before)


def test_enterprise_dashboard(page: Any, server: Server, login: Any, artifacts: Path, seeded: str) -> None:
    code = seeded
    login(page, "admin")
    page.goto(f"/monitoring/enterprise/{code}?at=2024-03-02")
    page.get_by_test_id("dash-live").locator("canvas").first.wait_for()
    assert "温州鹿城水泥熟料甲有限公司" in page.get_by_test_id("dash-name").inner_text()
    assert page.get_by_test_id("dash-latest").inner_text() == "最新有数据的小时：03-02 23:00"
    page.get_by_test_id("dash-calendar").locator("canvas").first.wait_for()
    page.get_by_test_id("dash-sankey").locator("canvas").first.wait_for()
    assert page.get_by_test_id("dash-cost-total").inner_text() == "近 30 天能源费用：2,898.00 元"
    assert page.get_by_test_id("dash-shift").inner_text() == (
        "若将 10% 的峰段（含尖峰）用电转移至谷段，可节省约 100.80 元"
    )
    page.get_by_test_id("dash-bands").locator("canvas").first.wait_for()
    intensity = page.get_by_test_id("dash-intensity").inner_text()
    # 2024: 5,040 kWh × 0.4974 kgCO₂/kWh = 2.51 tCO₂ over a value added of 1,000,000 t × 0.008 = 8,000 万元.
    assert intensity.startswith("2024 年单位工业增加值二氧化碳排放：0.0003 tCO₂/万元（2.51 tCO₂ ÷ 8,000.0 万元）")
    body = page.locator("body").inner_text()
    # Coverage: the 2 counted meters' month completeness, Feb 5 / 29 days and Mar 2 / 31, over 2 × 12 months:
    # 2 × (0.1724 + 0.0645) / 24 = 0.0197 → 2 %.
    assert "仅覆盖 2024 年的 2%" in body and "dash." not in body
    shot(page, artifacts, "monitoring-enterprise-dashboard")


def test_region_dashboard(page: Any, server: Server, login: Any, artifacts: Path, seeded: str) -> None:
    code = seeded
    login(page, "wz_city")
    page.goto("/monitoring/region/330300?start=2024-02-25&end=2024-03-02")
    page.get_by_test_id("region-districts").locator("canvas").first.wait_for()
    page.get_by_test_id("region-sectors").locator("canvas").first.wait_for()
    grid = page.get_by_test_id("region-enterprises")
    row = grid.locator(".ag-row", has_text=code)
    row.wait_for()
    assert "0.619" in row.inner_text() and "鹿城区" in row.inner_text()
    assert "非金属矿物制品业" in row.inner_text()  # C3011's 大类 C30 by name (reference table), beside the code
    assert "正常" in page.get_by_test_id("region-status").inner_text()
    assert "dash." not in page.locator("body").inner_text()
    shot(page, artifacts, "monitoring-region-dashboard")
    with page.expect_download() as download_info:  # every row of the region, not refused for its size
        page.get_by_test_id("region-enterprises-export").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert any(code in [str(c) for c in r] for r in book.active.iter_rows(min_row=2, values_only=True))
    row.locator(".ag-cell").first.click()
    page.wait_for_url(f"**/monitoring/enterprise/{code}?at=2024-03-02")


def test_the_region_dashboard_is_refused_to_an_enterprise_user(page: Any, server: Server, login: Any) -> None:
    login(page, "ent_a")
    page.goto("/monitoring/region/330300")
    page.get_by_text("无权访问").first.wait_for()
