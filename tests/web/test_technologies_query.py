"""/technologies honours ``?q=`` in the address (acceptance walk #9 row 27: the page ignored it): the box is
filled and the table filtered at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dualcarbon.core.access import Grant, Principal
from dualcarbon.equipment import service_catalogues
from dualcarbon.store.db import init_store, session_scope

from .conftest import Server

pytestmark = [pytest.mark.browser]
ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


def test_the_query_in_the_address_fills_the_box_and_filters(
    page: Any, server: Server, login: Any, tmp_path: Path
) -> None:
    techs = tmp_path / "TEST_DATA_tech_q.csv"
    techs.write_text(
        "code,name,field,source_batch\nTEST-Q1,TEST DATA 蒸汽冷凝水回收,余热余压,TEST DATA\n"
        "TEST-Q2,TEST DATA 永磁电机替换,电机系统,TEST DATA\n",
        encoding="utf-8",
    )
    engine = init_store(server.data_dir)
    try:
        with session_scope(engine) as session:
            service_catalogues.import_technologies(session, ADMIN, techs)
    finally:
        engine.dispose()
    login(page, "admin")
    page.goto("/technologies?q=冷凝水")
    table = page.get_by_test_id("technologies")
    table.locator(".ag-row", has_text="TEST-Q1").wait_for()
    assert page.get_by_test_id("tech-q").input_value() == "冷凝水"
    assert table.locator(".ag-row", has_text="TEST-Q2").count() == 0
    page.goto("/technologies?field=电机系统")
    table.locator(".ag-row", has_text="TEST-Q2").wait_for()
    assert table.locator(".ag-row", has_text="TEST-Q1").count() == 0
