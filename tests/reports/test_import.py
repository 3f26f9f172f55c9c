"""Importing reports from the annual-report workbook and from the survey form (both backends): all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.assess.columns import DATA_SHEET
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, NotFound
from dualcarbon.reports import service as reports
from dualcarbon.reports.io import AnnualReport, WorkbookInvalid, write_annual_report
from dualcarbon.reports.io.layout import BASIC_SHEET, ENERGY_SHEET
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion
from dualcarbon.reports.service_content import parse_content
from dualcarbon.reports.service_import import import_report
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

W10 = parse_content(
    {
        "energy_lines": [
            {"carrier": "electricity", "quantity": 10000, "unit": "MWh", "reported_tce": 1229.0},
            {"carrier": "natural_gas", "quantity": 500000, "unit": "m³", "reported_tce": 607.15},
            {"carrier": "diesel", "quantity": 200, "unit": "t", "reported_tce": 305.991},  # 5 % above 291.42
        ],
        "outputs": [{"product": "电石", "quantity": 1000, "unit": "t"}],
        "economics": {"value_added_10k_yuan": 5000},
    }
)


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def _counts(world: Any) -> tuple[int, int, int]:
    with session_scope(world.engine) as session:
        return (
            session.scalar(select(func.count()).select_from(PeriodReport)) or 0,
            session.scalar(select(func.count()).select_from(PeriodReportVersion)) or 0,
            session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "period_report")) or 0,
        )


def _import(world: Any, path: Path, username: str = "ent_a", key: str = "a", **kw: Any) -> Any:
    with session_scope(world.engine) as session:
        return import_report(session, who(session, username), world.codes[key], path, **kw)


def _annual(world: Any, tmp_path: Path, content: Any = W10, key: str = "a", year: int = 2023) -> Path:
    return write_annual_report(tmp_path / "annual.xlsx", AnnualReport(world.codes[key], None, year, content))


def test_annual_workbook_import_and_reimport(world: Any, tmp_path: Path) -> None:
    path = _annual(world, tmp_path)
    result = _import(world, path)
    assert (result.kind, result.created, result.new_version, result.report.year) == ("annual", True, True, 2023)
    with session_scope(world.engine) as session:
        view = reports.get_report(session, who(session, "ent_a"), result.report.id)
    assert view.computed.energy.equivalent.total_tce == pytest.approx(2127.57)
    flagged = [d.field for d in view.deviations if d.flagged]
    # only diesel (5 % over) and therefore the total ((2,142.141 − 2,127.57) / 2,127.57 = 0.68 %, not flagged)
    assert flagged == ["energy_lines[2].reported_tce"]
    again = _import(world, path)  # same file: nothing changes
    assert (again.created, again.new_version, again.report.version) == (False, False, 1)
    assert _counts(world)[:2] == (1, 1)


def test_annual_import_adds_a_version_then_refuses_after_submit(world: Any, tmp_path: Path) -> None:
    first = _import(world, _annual(world, tmp_path))
    changed = W10.model_copy(update={"economics": W10.economics.model_copy(update={"employees": 99})})  # type: ignore[union-attr]
    second = _import(world, _annual(world, tmp_path, changed))
    assert (second.created, second.new_version, second.report.version) == (False, True, 2)
    with session_scope(world.engine) as session:
        reports.submit(session, who(session, "ent_a"), first.report.id)
    with pytest.raises(Conflict, match="已提交"):
        _import(world, _annual(world, tmp_path))


def test_one_bad_cell_imports_nothing(world: Any, tmp_path: Path) -> None:
    path = _annual(world, tmp_path)
    book = openpyxl.load_workbook(path)
    book[ENERGY_SHEET]["C5"] = "两百"  # 柴油 消费量 (row 5: 电力, 天然气, 柴油 from row 3)
    book.save(path)
    before = _counts(world)
    with pytest.raises(WorkbookInvalid) as caught:
        _import(world, path)
    assert [p.as_dict() for p in caught.value.problems] == [
        {"sheet": ENERGY_SHEET, "row": 5, "column": "消费量", "reason": "不是数字：'两百'"}
    ]
    assert _counts(world) == before == (0, 0, 0)


def test_problem_found_after_reading_names_the_cell(world: Any, tmp_path: Path) -> None:
    path = _annual(world, tmp_path)
    book = openpyxl.load_workbook(path)
    book[ENERGY_SHEET]["B5"] = "kWh"  # a known unit, but not one for diesel
    book.save(path)
    with pytest.raises(WorkbookInvalid) as caught:
        _import(world, path)
    [problem] = caught.value.problems
    assert (problem.sheet, problem.row, problem.column) == (ENERGY_SHEET, 5, "计量单位")
    assert "柴油" in problem.reason
    assert _counts(world) == (0, 0, 0)


def test_workbook_of_another_enterprise_or_year(world: Any, tmp_path: Path) -> None:
    path = _annual(world, tmp_path, key="b")
    with pytest.raises(WorkbookInvalid) as caught:
        _import(world, path, year=2023)
    [problem] = caught.value.problems
    assert (problem.sheet, problem.row, problem.column) == (BASIC_SHEET, 3, "本期值")
    with pytest.raises(WorkbookInvalid) as caught:
        _import(world, _annual(world, tmp_path), year=2022)
    assert caught.value.problems[0].row == 5
    with pytest.raises(NotFound):  # out of scope before the file is even read
        _import(world, path, username="ent_a", key="b")


SURVEY_HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "行政区划代码",
    "重点领域",
    "产品或工序",
    "能效指标",
    "产量",
    "产量单位",
    "单位产品能耗",
    "能耗单位",
    "原煤(吨)",
    "电力(万千瓦时)",
]


def _survey(world: Any, tmp_path: Path, b_output: Any = 600000) -> Path:
    path = tmp_path / "survey.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet(DATA_SHEET)
    rows = [
        SURVEY_HEADERS,
        [
            world.codes["a"],
            "鹿城甲阀门有限公司",
            "330302",
            "电石",
            "电石",
            "单位产品综合能耗",
            1000,
            "吨",
            3000,
            "kgce/t",
        ],
        [
            world.codes["b"],
            "龙湾乙水泥有限公司",
            "330303",
            "水泥熟料",
            "水泥熟料",
            "熟料单位产品综合能耗",
            b_output,
            "吨",
            105,
            "kgce/t",
            90000,
            1500,
        ],
    ]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


def test_survey_rows_of_the_enterprise_become_its_report(world: Any, tmp_path: Path) -> None:
    result = _import(world, _survey(world, tmp_path), username="ent_b", key="b", year=2023)
    assert (result.kind, result.created, result.ignored_rows) == ("survey", True, 1)
    with session_scope(world.engine) as session:
        view = reports.get_report(session, who(session, "ent_b"), result.report.id)
    output = view.content.outputs[0]
    assert (output.benchmark_row_id, output.quantity, output.reported_unit_consumption) == (
        "BM2023-061",
        600000.0,
        105.0,
    )
    assert [(e.carrier, e.quantity, e.unit) for e in view.content.energy_lines] == [
        ("electricity", 1500.0, "万千瓦时"),
        ("raw_coal", 90000.0, "t"),
    ]
    # 1,500 万kWh × 1.229 tce/万kWh = 1,843.5; 90,000 t × 0.7143 = 64,287; Σ 66,130.5 tce / 600,000 t
    # = 110.2175 kgce/t; reported 105 → (105 − 110.2175) / 110.2175 = −4.73 % → flagged
    computed = view.computed.outputs[0]
    assert computed.unit_consumption == pytest.approx(110.2175)
    [dev] = view.deviations
    assert dev.deviation_pct == pytest.approx(-4.7338, abs=1e-4) and dev.flagged


def test_survey_bad_cell_is_named_and_nothing_stored(world: Any, tmp_path: Path) -> None:
    with pytest.raises(WorkbookInvalid) as caught:
        _import(world, _survey(world, tmp_path, b_output="六十万"), username="ent_b", key="b", year=2023)
    assert [(p.sheet, p.row, p.column) for p in caught.value.problems] == [(DATA_SHEET, 3, "产量")]
    assert _counts(world) == (0, 0, 0)


def test_survey_needs_a_year_and_a_row_of_the_enterprise(world: Any, tmp_path: Path) -> None:
    from dualcarbon.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        _import(world, _survey(world, tmp_path), username="ent_b", key="b")
    assert caught.value.field == "year"
    with pytest.raises(WorkbookInvalid, match="没有统一社会信用代码"):
        _import(world, _survey(world, tmp_path), username="province", key="c", year=2023)
