"""Enterprise import from Excel/CSV on SQLite and PostgreSQL: mapping, validation report, all or nothing,
matching on the credit code, idempotent re-import, the template and the export round trip."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import SYSTEM, Principal
from dualcarbon.core.errors import PermissionDenied
from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.registry import service_import as registry_import
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_export import export_enterprises_xlsx
from dualcarbon.registry.service_import import ImportProblem, import_enterprises
from dualcarbon.registry.service_import_template import write_import_template
from dualcarbon.registry.service_sheet import COLUMNS
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "行政区划代码",
    "行业代码",
    "规模以上",
    "用地面积(亩)",
    "重点用能单位",
    "地址",
]
NEW_CODE = make_credit_code("91330302MA2DD0004")


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def xlsx(path: Path, rows: list[list[Any]], headers: list[str] = HEADERS, skip: int = 0) -> Path:
    """A workbook whose header sits on row ``skip + 1``; ``None`` rows stay blank."""
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("企业")
    sheet.write_row(skip, 0, headers)
    for number, row in enumerate(rows, start=skip + 1):
        if row is not None:
            sheet.write_row(number, 0, row)
    workbook.close()
    return path


def counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count(Enterprise.id))) or 0,
        session.scalar(select(func.count(AuditLog.id))) or 0,
    )


def run(world: Any, path: Path, username: str = "city", **kwargs: Any) -> registry_import.ImportReport:
    with session_scope(world.engine) as session:
        return import_enterprises(session, who(session, username), path, **kwargs)


def mixed_rows(world: Any) -> list[list[Any]]:
    return [
        [NEW_CODE, "鹿城丁机械有限公司", "330302", "C3411", "是", 8.5, "否", "鹿城路8号"],  # new
        [world.codes["a"], "鹿城甲阀门有限公司", 330302, "C3443", "是", None, "否", None],  # key_energy_user: 是 → 否
        [world.codes["b"], "龙湾乙水泥有限公司", "330303", "C3011", "是", None, "是", None],  # identical
    ]


def test_import_creates_updates_and_is_idempotent(world: Any, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "企业.xlsx", mixed_rows(world))
    report = run(world, path)
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 1, 1, 1)
    assert report.ok and report.committed and report.problems == []
    with session_scope(world.engine) as session:
        new = session.scalars(select(Enterprise).where(Enterprise.credit_code == NEW_CODE)).one()
        assert (new.name, new.land_area_mu, new.above_scale, new.address) == (
            "鹿城丁机械有限公司",
            8.5,
            True,
            "鹿城路8号",
        )
        update = session.scalars(select(AuditLog).where(AuditLog.action == "enterprise.update")).one()
        assert (update.before, update.after) == ({"key_energy_user": True}, {"key_energy_user": False})
        summary = session.scalars(select(AuditLog).where(AuditLog.action == "enterprise.import")).one()
        assert summary.after["created"] == 1 and summary.after["file"] == "企业.xlsx"
        before = counts(session)
    again = run(world, path)
    assert (again.created, again.updated, again.unchanged, again.committed) == (0, 0, 3, False)
    with session_scope(world.engine) as session:
        assert counts(session) == before  # no enterprise and no audit row added


def test_every_problem_is_reported_and_nothing_written(world: Any, tmp_path: Path) -> None:
    rows: list[Any] = [
        [NEW_CODE[:-1] + ("0" if NEW_CODE[-1] != "0" else "1"), "甲", "330302", "C3411"],  # row 2: check char
        None,  # row 3: blank, skipped
        [make_credit_code("91330302MA2EE0005"), "乙", "330399", "C3411"],  # row 4: unknown region
        [make_credit_code("91330302MA2FF0006"), None, "330302", "C3411"],  # row 5: new without a name
        [make_credit_code("91330302MA2GG0007"), "丁", "330302", "3411", "也许"],  # row 6: two bad cells
        [world.codes["c"], "西湖丙纺织有限公司", "330106", "C1711"],  # row 7: outside 温州
        [make_credit_code("91330302MA2HH0008"), "戊", "330106", "C3411"],  # row 8: region outside 温州
        [NEW_CODE, "己", "330302", "C3411"],  # row 9: fine on its own
        [NEW_CODE, "己", "330302", "C3411"],  # row 10: repeats row 9
    ]
    path = xlsx(tmp_path / "bad.xlsx", rows, HEADERS[:5])
    with session_scope(world.engine) as session:
        before = counts(session)
    report = run(world, path)
    found = {(p.row, p.column) for p in report.problems}
    assert found == {
        (2, "统一社会信用代码"),
        (4, "行政区划代码"),
        (5, "企业名称"),
        (6, "行业代码"),
        (6, "规模以上"),
        (7, "统一社会信用代码"),
        (8, "行政区划代码"),
        (10, "统一社会信用代码"),
    }
    reasons = {(p.row, p.column): p.reason for p in report.problems}
    assert "check character" in reasons[(2, "统一社会信用代码")]
    assert "repeats row 9" in reasons[(10, "统一社会信用代码")]
    assert "outside your scope" in reasons[(8, "行政区划代码")]
    assert report.rows == 8 and not report.committed
    with session_scope(world.engine) as session:
        assert counts(session) == before


def test_mapping_header_detection_and_dry_run(world: Any, tmp_path: Path) -> None:
    headers = ["信用代码", "单位名称", "区划", "行业", "备注"]
    path = xlsx(tmp_path / "mapped.xlsx", [[NEW_CODE, "鹿城丁机械有限公司", "330302", "C3411", "x"]], headers, skip=2)
    mapping = {"信用代码": "统一社会信用代码", "单位名称": "name", "区划": "行政区划代码", "行业": "行业代码"}
    dry = run(world, path, mapping=mapping, dry_run=True)
    assert (dry.created, dry.committed, dry.ignored_columns) == (1, False, ["备注"])
    with session_scope(world.engine) as session:
        assert session.scalar(select(Enterprise.id).where(Enterprise.credit_code == NEW_CODE)) is None
    assert run(world, path, mapping=mapping).created == 1
    bad = run(world, path, mapping={"信用代码": "统一社会信用代码", "不存在": "name", "行业": "颜色"})
    assert {(p.row, p.column) for p in bad.problems} == {(3, "不存在"), (3, "行业")}


def test_csv_in_gb18030_and_no_header(world: Any, tmp_path: Path) -> None:
    path = tmp_path / "企业.csv"
    lines = [
        "统一社会信用代码,企业名称,行政区划代码,行业代码,重点用能单位",
        f"{NEW_CODE},鹿城丁机械有限公司,330302,C3411,是",
    ]
    path.write_bytes("\r\n".join(lines).encode("gb18030"))
    report = run(world, path)
    assert report.created == 1 and report.ok
    headless = tmp_path / "x.csv"
    headless.write_text("a,b\n1,2\n", encoding="utf-8")
    assert [p.column for p in run(world, headless).problems] == ["统一社会信用代码"]


def test_only_regulators_import(world: Any, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "e.xlsx", mixed_rows(world))
    for username in ("ent_a", "expert", "agency"):
        with pytest.raises(PermissionDenied):
            run(world, path, username=username)
    report = run(world, path, username="lucheng")
    # 鹿城 may not touch b (龙湾): identical or not, the row is refused
    assert report.problems == [
        ImportProblem(
            4, "统一社会信用代码", "this enterprise is registered outside your scope", "该企业登记在您的管辖范围之外"
        )
    ]


def test_template_and_export_round_trip(world: Any, tmp_path: Path) -> None:
    template = tmp_path / "template.xlsx"
    write_import_template(template)
    sheet = openpyxl.load_workbook(template).worksheets[0]
    assert [c.value for c in sheet[1]] == [c.zh for c in COLUMNS]
    empty = run(world, template)
    assert (empty.rows, empty.ok) == (0, True)
    with session_scope(world.engine) as session:
        content = export_enterprises_xlsx(session, who(session, "city"))
    exported = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    values = [[c.value for c in row] for row in exported.iter_rows()]
    assert values[0][:4] == ["统一社会信用代码", "企业名称", "行政区划代码", "行政区划名称"]
    assert sorted(row[0] for row in values[1:]) == sorted([world.codes["a"], world.codes["b"]])  # not c
    path = tmp_path / "export.xlsx"
    path.write_bytes(content)
    report = run(world, path)
    assert (report.unchanged, report.created, report.updated, report.ignored_columns) == (2, 0, 0, [])


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key_energy=st.sampled_from(["是", "否", "Y", "N", True, False, None]),
    land=st.one_of(st.none(), st.floats(min_value=0, max_value=1e6, allow_nan=False)),
    name=st.text(alphabet="甲乙丙丁有限公司工厂", min_size=1, max_size=20),
)
def test_any_file_imported_twice_changes_nothing_the_second_time(
    world: Any, tmp_path: Path, key_energy: Any, land: float | None, name: str
) -> None:
    path = xlsx(
        tmp_path / "p.xlsx",
        [
            [world.codes["a"], name, "330302", "C3443", None, land, key_energy, None],
            [NEW_CODE, name, "330302", "C3411", "否", land, key_energy, "地址"],
        ],
    )
    first = run(world, path)
    assert first.ok
    second = run(world, path)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)


def test_system_principal_may_import_anywhere(world: Any, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "s.xlsx", [[world.codes["c"], "西湖丙纺织有限公司（新）", "330106", "C1711"]], HEADERS[:4])
    with session_scope(world.engine) as session:
        report = import_enterprises(session, SYSTEM, path)
    assert report.updated == 1
