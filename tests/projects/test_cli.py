"""``dualcarbon audits list|obligations`` and ``dualcarbon projects list|shares|export`` on the world store."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.app.cli import app
from dualcarbon.audits import service_reports as reports
from dualcarbon.audits.schemas import AcceptanceIn, AuditReportIn
from dualcarbon.projects import service_lifecycle as lifecycle
from dualcarbon.projects import service_projects as projects
from dualcarbon.projects.schemas import ProjectIn, TransitionIn
from dualcarbon.store.db import DATA_DIR_ENV, DATABASE_URL_ENV, session_scope

runner = CliRunner()


@pytest.fixture
def store(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(DATABASE_URL_ENV, world.url)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    with session_scope(world.engine) as session:
        city = principal_for(session, session.scalars(select(User).where(User.username == "city")).one())
        spec = AuditReportIn.model_validate(
            {
                "kind": "diagnosis",
                "credit_code": world.codes["a"],
                "year": 2024,
                "title": "诊断",
                "measures": [
                    {"description": "变频", "investment_yuan": 1, "saving_tce_per_year": 2},
                    {"description": "照明", "investment_yuan": 1, "saving_tce_per_year": 1},
                ],
            }
        )
        report = reports.create_report(session, city, spec)
        reports.submit_report(session, city, report.id)
        reports.accept_report(session, city, report.id, AcceptanceIn(checklist=[{"item": "齐全", "passed": True}]))
        demo = projects.create_project(
            session,
            city,
            ProjectIn(credit_code=world.codes["a"], name="示范光伏", project_type="photovoltaic", demonstration=True),
        )
        for action in ("approve", "start"):
            lifecycle.transition(session, city, demo.id, TransitionIn(action=action))
        lifecycle.transition(session, city, demo.id, TransitionIn(action="complete", completed_on=date(2023, 5, 1)))
        projects.create_project(
            session, city, ProjectIn(credit_code=world.codes["b"], name="电机", project_type="equipment")
        )
    return world


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_audits_commands(store: Any) -> None:
    code, out, err = cli("audits", "list", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["total"] == 1 and body["items"][0]["state"] == "accepted"
    code, out, err = cli(
        "audits", "obligations", "--region", "330300", "--year", "2024", "--pack", "shanghai-baiyi-2022"
    )
    assert code == 0, err
    lines = [line for line in out.splitlines() if store.codes["a"] in line and "节能诊断" in line]
    assert len(lines) == 1 and "已验收" in lines[0]
    code, _, err = cli("audits", "obligations", "--region", "999999", "--year", "2024")
    assert code == 2 and "999999" in err


def test_projects_commands(store: Any, tmp_path: Path) -> None:
    code, out, err = cli("projects", "list", "--region", "330300")
    assert code == 0, err
    assert "示范光伏" in out and "电机" in out and "2 project(s)" in err
    code, out, err = cli("projects", "shares", "--region", "330300", "--as-of", "2024-01-15", "--json")
    assert code == 0, err
    years = {y["year"]: y for y in json.loads(out)["years"]}
    # 2 projects; 1 completed in 2023: cumulative 50 % ≥ the required 20 + 30 = 50 % → met
    assert years[2023]["done"] == 1 and years[2023]["done_cumulative_pct"] == 50.0 and years[2023]["status"] == "met"
    assert years[2022]["status"] == "behind"  # 0 % < 20 % and 2022 is over
    target = tmp_path / "cases.xlsx"
    code, out, err = cli("projects", "export", "--out", str(target))
    assert code == 0, err
    sheet = load_workbook(target)["示范项目"]
    assert [row[3] for row in sheet.iter_rows(min_row=4, values_only=True) if row[3]] == ["示范光伏"]
    code, _, err = cli("projects", "export", "--out", str(target))
    assert code == 2 and "--force" in err
    code, _, err = cli("projects", "shares", "--region", "330300", "--as-of", "2024-13-01")
    assert code == 2 and "--as-of" in err
