"""预填 in a browser: the report edit page's 用监测数据预填 button, the plan per line, 写入草稿, and the filled form.

Enterprise D (鹿城新材料丁, 330302) gets one counted electricity meter PF-E with 1.25 kWh every quarter hour of June
2023 (30 × 96 = 2880 values → 3600 kWh = 0.36 万kWh, completeness 100 %) and a June 2023 month draft saying
电力 0.5 万kWh and 原煤 12 t. The 鹿城 regulator prefills it: 电力 becomes 0.36 万kWh (from PF-E), 原煤 stays 12 t
(no meter). June 2023 keeps the data away from the windows the dashboard tests look at (2024).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.core.access import Grant, Principal
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.reference import load_reference
from dualcarbon.reports import service_workflow
from dualcarbon.store.db import init_store, session_scope

from .conftest import Server, shot

pytestmark = pytest.mark.browser
ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


def _seed(server: Server, tmp_path: Path) -> int:
    code = server.world.codes["D"]
    register = tmp_path / "meters.csv"
    register.write_text(
        f"credit_code,meter_code,carrier,unit,kind,multiplier,counted\n{code},PF-E,electricity,kWh,interval,1,true\n",
        encoding="utf-8",
    )
    readings = [
        {
            "meter": "PF-E",
            "ts": (datetime(2023, 6, 1) + timedelta(minutes=15 * n)).isoformat() + "+08:00",
            "value": 1.25,
        }
        for n in range(30 * 96)
    ]
    content = {
        "energy_lines": [
            {"carrier": "电力", "quantity": 0.5, "unit": "万kWh"},
            {"carrier": "原煤", "quantity": 12, "unit": "t"},
        ]
    }
    engine = init_store(server.data_dir)
    try:
        with session_scope(engine) as session:
            reference = load_reference(server.data_dir)
            service_meters.import_meters(session, ADMIN, register, reference)
            assert service_ingest.ingest_json(session, ADMIN, readings, enterprise=code).accepted == 2880
            report = service_workflow.create_report(
                session, ADMIN, code, "month", 2023, 6, content, reference=reference
            )
            return report.id
    finally:
        engine.dispose()


def test_prefill_from_the_edit_page(page: Any, server: Server, login: Any, artifacts: Path, tmp_path: Path) -> None:
    report_id = _seed(server, tmp_path)
    login(page, "lc_reg")
    page.goto(f"/reports/{report_id}/edit")
    assert page.get_by_test_id("energy-0-quantity").input_value() == "0.5"
    page.get_by_test_id("prefill-report").click()
    page.wait_for_url(f"**/reports/{report_id}/prefill")
    plan = page.get_by_test_id("prefill-plan")
    electricity = plan.locator(".ag-row", has_text="电力")
    electricity.wait_for()
    text = electricity.inner_text()
    assert "PF-E" in text and "0.36" in text and "已按监测数据填写" in text
    coal = plan.locator(".ag-row", has_text="原煤").inner_text()
    assert "保留人工填报" in coal and "没有计入总量的该品种计量器具" in coal
    assert "2023-06-01 至 2023-06-30" in page.locator("body").inner_text()
    shot(page, artifacts, "report-prefill")

    page.get_by_test_id("prefill-write").click()
    page.wait_for_url(f"**/reports/{report_id}/edit")
    page.get_by_test_id("energy-0-quantity").wait_for()
    assert page.get_by_test_id("energy-0-quantity").input_value() == "0.36"
    assert page.get_by_test_id("energy-1-quantity").input_value() == "12"
    shot(page, artifacts, "report-prefill-filled")

    # A submitted report is refused with the reason in Chinese.
    engine = init_store(server.data_dir)
    try:
        with session_scope(engine) as session:
            service_workflow.submit(session, ADMIN, report_id)
    finally:
        engine.dispose()
    page.goto(f"/reports/{report_id}/prefill")
    refused = page.get_by_test_id("prefill-refused")
    refused.wait_for()
    assert "已提交" in refused.inner_text() and "预填" in refused.inner_text()
