"""A technology catalogue file with a row missing its name also reports the row's other problems (the
acceptance walk got only "name: 必填" for a row whose rate and payback were wrong too)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from dualcarbon.equipment import service_catalogues as catalogues
from dualcarbon.equipment.io.records import FileInvalid
from dualcarbon.equipment.models import Technology
from dualcarbon.store.db import session_scope
from dualcarbon.ui.commands import cli_principal

from ..conftest import Api


def test_every_problem_of_a_row_is_reported_and_nothing_is_imported(api: Api, tmp_path: Path) -> None:
    # TEST DATA: invented entries, not from an official catalogue.
    path = tmp_path / "TEST_DATA_technologies.csv"
    path.write_text(
        "编号,技术名称,领域,节能率(%),投资回收期(年),技术简介,典型案例,目录批次\n"
        "TEST-001,测试永磁电机技术,电机系统,12,2.5,TEST DATA,,TEST DATA 批次\n"
        "TEST-002,,余热余压,abc,-1,TEST DATA,,TEST DATA 批次\n",
        encoding="utf-8",
    )
    with session_scope(api.world.engine) as session, pytest.raises(FileInvalid) as refused:
        catalogues.import_technologies(session, cli_principal(), path)
    columns = sorted(column for row, column, _ in refused.value.problems if row == 3)
    assert columns == ["name", "payback_years", "saving_rate_pct"]
    with session_scope(api.world.engine, write=False) as session:
        assert session.scalar(select(func.count()).select_from(Technology)) == 0
