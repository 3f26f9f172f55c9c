"""The project steps in a browser (acceptance walk of #9, row 42), Chinese first: an enterprise turns an
accepted diagnosis measure into a project, uploads a document and ticks a milestone; the regulator marks it
a demonstration project, moves it through approve → start → complete and verifies the saving from typed
periods (E = 5 + 0.2·P tce a day, 10 % less in the reporting period)."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.audits.schemas import AcceptanceIn, AuditReportIn
from dualcarbon.audits.service_reports import accept_report, create_report, submit_report
from dualcarbon.equipment import models as _equipment_models  # noqa: F401  (audit_measure → technology FK)
from dualcarbon.store.db import init_store, session_scope

from .conftest import Server, shot

pytestmark = [pytest.mark.browser]


def _accepted_diagnosis(server: Server) -> tuple[int, int]:
    """A diagnosis of enterprise A with two measures, filed and accepted by the city regulator."""
    engine = init_store(server.data_dir)
    try:
        with session_scope(engine) as session:
            city = principal_for(session, session.scalars(select(User).where(User.username == "wz_city")).one())
            spec = AuditReportIn.model_validate(
                {
                    "kind": "diagnosis",
                    "credit_code": server.world.codes["A"],
                    "year": 2026,
                    "title": "浏览器测试 节能诊断",
                    "baseline_energy_tce": 20_000,
                    "measures": [
                        {
                            "description": "空压机变频改造",
                            "project_type": "motor_system",
                            "investment_yuan": 3e5,
                            "saving_tce_per_year": 100,
                        },
                        {
                            "description": "窑炉余热回收",
                            "project_type": "waste_heat",
                            "investment_yuan": 9e5,
                            "saving_tce_per_year": 200,
                        },
                    ],
                }
            )
            report = create_report(session, city, spec)
            submit_report(session, city, report.id)
            accepted = AcceptanceIn.model_validate({"checklist": [{"item": "措施可实施", "passed": True}]})
            accept_report(session, city, report.id, accepted)
            return report.id, report.measures[0].id
    finally:
        engine.dispose()


def _periods(start: date, days: int, reduction: float) -> str:
    lines = []
    for i in range(days):
        production = 20.0 + (i % 7) * 2.0 + (i % 3)
        wobble = 0.05 * (((i * 37) % 11) - 5) / 5.0
        energy = (5.0 + 0.2 * production) * (1.0 - reduction) + wobble
        lines.append(f"{(start + timedelta(days=i)).isoformat()}, {energy:.4f}, {production}")
    return "\n".join(lines)


def _as(page: Any, login: Any, username: str) -> None:
    page.context.clear_cookies()
    login(page, username)


def test_measure_to_verified_project(page: Any, server: Server, login: Any, tmp_path: Path, artifacts: Path) -> None:
    report_id, measure_id = _accepted_diagnosis(server)
    _as(page, login, "ent_a")
    page.goto(f"/audits/{report_id}")
    page.get_by_test_id(f"make-project-{measure_id}").click()
    page.wait_for_url(re.compile(r"/projects/new\?"))
    page.get_by_test_id("new-project-milestone").fill("设备采购")
    page.get_by_test_id("new-project-save").click()
    page.wait_for_url(re.compile(r"/projects/\d+$"))
    project_path = "/projects/" + page.url.rsplit("/", 1)[1]
    assert page.get_by_text("空压机变频改造").first.is_visible()
    assert page.get_by_test_id("project-demonstration").count() == 0  # the regulator's switch only

    document = tmp_path / "可研报告.txt"
    document.write_text("可行性研究报告\n" * 40, encoding="utf-8")
    page.locator('[data-testid="project-upload"] input[type=file]').set_input_files(str(document))
    line = page.get_by_test_id("project-document")
    line.wait_for()
    assert hashlib.sha256(document.read_bytes()).hexdigest() in line.inner_text()
    page.locator('[data-testid^="milestone-"]').first.click()
    page.get_by_text("撤销完成").wait_for()  # done: the button now undoes it
    assert page.get_by_test_id("verify-run").count() == 0
    shot(page, artifacts, "project_steps_enterprise")

    _as(page, login, "wz_city")
    page.goto(project_path)
    page.get_by_test_id("project-demonstration").click()
    page.locator('[data-testid="project-demonstration"][aria-checked="true"]').wait_for()  # kept after the reload
    for action in ("approve", "start", "complete"):
        page.get_by_test_id(f"project-{action}").click()
        page.get_by_test_id(f"project-{action}").wait_for(state="detached")
    page.get_by_test_id("verify-baseline").fill("2025-01-01, abc")
    page.get_by_test_id("verify-reporting").fill("2026-01-01, 3")
    page.get_by_test_id("verify-run").click()
    page.get_by_text("字段：基期数据 第1行 能耗").wait_for()  # the bad value named in Chinese, no 500
    page.get_by_test_id("verify-baseline").fill(_periods(date(2025, 1, 1), 365, 0.0))
    page.get_by_test_id("verify-reporting").fill(_periods(date(2026, 1, 1), 120, 0.10))
    page.get_by_test_id("verify-run").click()
    page.get_by_test_id("projects-mv-r2").wait_for(timeout=60_000)
    assert page.get_by_test_id("verify-run").count() == 0  # verified: no second run from the page
    savings = float(page.get_by_test_id("projects-mv-savings_pct").inner_text())
    assert 9.0 < savings < 11.0
    assert page.get_by_test_id("project-demonstration").get_attribute("aria-checked") == "true"
    shot(page, artifacts, "project_steps_verified")
