"""The 设备台账, 技术目录 and 余热匹配 pages in a browser (the served app of tests/web), Chinese first.

A 15 kW 4-pole motor at 90.0 % (GB 18613 EQ-066: 3级 92.1 %) shows 未达3级; 2 units × 15 kW × 0.75 × 6000 h ×
(1/0.900 − 1/0.951) = 8 044 kWh/a at stake. A 180 °C flue-gas source and an 80 °C hot-water sink (ΔT_min 10 °C)
of the same enterprise make one pair.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dualcarbon.core.access import Grant, Principal
from dualcarbon.equipment import service_catalogues, service_register, service_waste_heat
from dualcarbon.equipment.schemas import WasteHeatIn
from dualcarbon.store.db import init_store, session_scope

from .conftest import Server

# The served app and the one chromium of tests/web (a second sync Playwright in one process cannot start).
pytestmark = [pytest.mark.browser]
ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


def _seed(server: Server, tmp_path: Path) -> str:
    code = server.world.codes["E"]
    register = tmp_path / "register.csv"
    register.write_text(
        "credit_code,asset_code,equipment_type,model,rated_power_kw,poles,efficiency_pct,quantity,operating_hours,"
        f"load_factor\n{code},EQ-M01,motor,Y-160M-4,15,4,90.0,2,6000,0.75\n",
        encoding="utf-8",
    )
    techs = tmp_path / "TEST_DATA_tech.csv"
    techs.write_text(
        "code,name,field,source_batch\nTEST-W1,TEST DATA 烟气余热回收,余热余压,TEST DATA\n", encoding="utf-8"
    )
    engine = init_store(server.data_dir)
    try:
        with session_scope(engine) as session:
            service_register.import_register(session, ADMIN, register)
            service_catalogues.import_technologies(session, ADMIN, techs)
            for kind, name, temperature in (("source", "烟气", 180.0), ("sink", "热水", 80.0)):
                spec = WasteHeatIn(
                    credit_code=code,
                    kind=kind,
                    name=name,
                    temperature_c=temperature,
                    medium=name,
                    quantity=5,
                    quantity_unit="GJ/h",
                )
                service_waste_heat.save_point(session, ADMIN, spec)
    finally:
        engine.dispose()
    return code


def test_equipment_technology_and_waste_heat_pages(page: Any, server: Server, login: Any, tmp_path: Path) -> None:
    _seed(server, tmp_path)
    login(page, "admin")
    page.goto("/equipment")
    row = page.get_by_test_id("equipment").locator(".ag-row", has_text="EQ-M01")
    row.wait_for()
    text = row.inner_text()
    assert "未达3级（低于限定值）" in text and "电动机" in text and "8,044" in text
    page.goto("/technologies")
    page.get_by_test_id("technologies").locator(".ag-row", has_text="TEST-W1").wait_for()
    page.goto("/waste-heat")
    pair = page.get_by_test_id("waste-heat").locator(".ag-row", has_text="180 → 80 °C")
    pair.wait_for()
    assert "规则：热源温度 ≥ 需求温度 + 10 °C" in page.locator("body").inner_text()
