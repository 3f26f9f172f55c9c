"""The project steps that were API-only get page controls (acceptance walk of #9, row 42): measure → project,
document upload, milestone done, the 示范项目 flag and the verification. Each form function of
``projects.pages_forms`` runs against the store as a given user (happy path, a refused role, bad input), and
the server-side HTML shows each control only to the roles the service allows."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualcarbon.projects.pages_forms import (
    flag_demonstration,
    mark_milestone,
    parse_periods,
    project_from_measure,
    run_verification,
    upload_document,
    verification_spec,
)
from dualcarbon.projects.schemas import TransitionIn
from dualcarbon.projects.service_lifecycle import transition
from dualcarbon.store.db import session_scope
from dualcarbon.ui.web.i18n import translate
from dualcarbon.ui.web.layout import error_message
from dualcarbon.ui.web.session import reference_for

from ..conftest import Api
from .test_projects_api import accepted_measures, daily


class AsUser:
    """What a page's context gives the forms: service calls in one transaction as ``username``."""

    def __init__(self, api: Api, username: str, data_dir: Path, language: str = "zh") -> None:
        self.engine, self.username, self.data_dir, self.language = api.world.engine, username, data_dir, language

    def call(self, service: Any, *args: Any, **kwargs: Any) -> Any:
        with session_scope(self.engine) as session:
            user = session.scalars(select(User).where(User.username == self.username)).one()
            return service(session, principal_for(session, user), *args, **kwargs)

    def reference(self) -> Any:
        return reference_for(None)

    def t(self, key: str, **values: Any) -> str:
        return translate(self.language, key, **values)


def _periods(rows: list[dict[str, Any]]) -> str:
    return "\n".join(f"{r['period_start']}, {r['energy']}, {r['production']}" for r in rows)


def test_periods_and_verification_form_refuse_bad_input_naming_the_field() -> None:
    assert parse_periods("# date, energy\n2025-01-01, 9.5, 20\n\n2025-01-02，9.7\t21\n", "baseline") == [
        {"period_start": "2025-01-01", "energy": "9.5", "production": "20"},
        {"period_start": "2025-01-02", "energy": "9.7", "production": "21"},
    ]
    with pytest.raises(InvalidInput) as wrong:
        parse_periods("2025-01-01, 9.5\n2025-01-02", "reporting")
    assert wrong.value.field == "reporting[1]" and "第 2 行" in (wrong.value.zh or "")
    with pytest.raises(InvalidInput) as letters:
        verification_spec({"baseline_text": "2025-01-01, abc", "reporting_text": "2026-01-01, 3"})
    assert letters.value.field == "baseline[0].energy"
    zh, en = AsUser.__new__(AsUser), AsUser.__new__(AsUser)
    zh.language, en.language = "zh", "en"
    assert error_message(zh, letters.value) == "输入有误：能耗须为数字（字段：基期数据 第1行 能耗）"  # type: ignore[arg-type]
    shown_en = error_message(en, letters.value)  # type: ignore[arg-type]
    assert "valid number" in shown_en and "baseline periods row 1 energy" in shown_en and "能耗" not in shown_en
    with pytest.raises(InvalidInput) as none:
        verification_spec({"source": "meters", "meter_ids": []})
    assert none.value.field == "meter_ids"
    with pytest.raises(InvalidInput) as empty:
        verification_spec({"baseline_text": "2025-01-01, 3", "reporting_text": " \n# nothing\n"})
    assert empty.value.field == "reporting"
    metered = verification_spec(
        {"source": "meters", "meter_ids": [4, 5], "baseline_from": "2025-01-01", "baseline_to": "2025-12-31"}
        | {"reporting_from": "2026-01-01", "reporting_to": "2026-03-31", "weather_station": "SYNTHETIC-01"}
    )
    assert (metered.meter_ids, metered.weather_station, metered.baseline_to) == (
        [4, 5],
        "SYNTHETIC-01",
        date(2025, 12, 31),
    )
    assert metered.baseline == [] and metered.adjustments == []


def test_project_forms_against_the_store(api: Api, tmp_path: Path) -> None:
    first, _ = accepted_measures(api)
    agency, city, expert, ent_b = (AsUser(api, name, tmp_path) for name in ("agency", "city", "expert", "ent_b"))

    # measure → project: the reviewer and another enterprise are refused, a bad date names its field
    with pytest.raises((PermissionDenied, NotFound)):
        project_from_measure(expert, first, {})
    with pytest.raises(NotFound):
        project_from_measure(ent_b, first, {})
    with pytest.raises(InvalidInput) as bad_date:
        project_from_measure(agency, first, {"deadline": "2026-13-40"})
    assert bad_date.value.field == "deadline"
    project = project_from_measure(agency, first, {"milestone_name": "设备采购", "milestone_due": "2027-03-01"})
    assert (project.origin, project.state, project.name) == ("measure", "proposed", "空压机变频改造")
    assert project.deadline is not None  # from the report's acceptance and the pack
    assert [(m.name, m.due, m.done) for m in project.milestones] == [("设备采购", date(2027, 3, 1), False)]
    with pytest.raises(Conflict):
        project_from_measure(agency, first, {})  # a measure becomes one project
    pid, milestone = project.id, project.milestones[0].id

    # document: kept under its sha256; the reviewer is refused; an empty file is refused
    content = "可行性研究报告\n".encode() * 100
    with_doc = upload_document(agency, pid, "可研报告.txt", content)
    assert [(d.filename, d.sha256) for d in with_doc.documents] == [
        ("可研报告.txt", hashlib.sha256(content).hexdigest())
    ]
    with pytest.raises(PermissionDenied):
        upload_document(expert, pid, "x.txt", b"x")
    with pytest.raises(InvalidInput) as empty:
        upload_document(agency, pid, "empty.txt", b"")
    assert empty.value.field == "file"

    # milestone: done and undone by a writer; the reviewer refused; an unknown milestone named
    assert mark_milestone(agency, pid, milestone, True).milestones[0].done is True
    assert mark_milestone(agency, pid, milestone, False).milestones[0].done is False
    assert mark_milestone(agency, pid, milestone, True).milestones[0].done_on is not None
    with pytest.raises(PermissionDenied):
        mark_milestone(expert, pid, milestone, False)
    with pytest.raises(NotFound) as unknown:
        mark_milestone(agency, pid, milestone + 999, True)
    assert unknown.value.field == "milestone_id"

    # 示范项目: the regulator only; a stale version is a conflict
    current = city.call(transition, pid, TransitionIn(action="approve"))
    with pytest.raises(PermissionDenied):
        flag_demonstration(agency, pid, True, current.lock_version)
    with pytest.raises(Conflict):
        flag_demonstration(city, pid, True, current.lock_version - 1)
    assert flag_demonstration(city, pid, True, current.lock_version).demonstration is True

    # verification: the regulator of a completed project, from typed periods
    agency.call(transition, pid, TransitionIn(action="start"))
    form = {
        "interval": "day",
        "baseline_text": _periods(daily(date(2025, 6, 1), 365, 0.0)),
        "reporting_text": _periods(daily(date(2026, 7, 1), 30, 0.10)),
        "adjustment_reason": "",
        "adjustment_energy": None,
    }
    with pytest.raises(Conflict):  # in progress: verification needs completed
        run_verification(city, pid, form)
    agency.call(transition, pid, TransitionIn(action="complete", completed_on=date(2026, 6, 30)))
    with pytest.raises(PermissionDenied):
        run_verification(agency, pid, form)
    with pytest.raises(InvalidInput) as no_reason:  # an adjustment needs its reason
        run_verification(city, pid, form | {"adjustment_energy": 3.0})
    assert no_reason.value.field == "adjustments[0].reason"
    out = run_verification(city, pid, form | {"adjustment_reason": "新增一台烘干机", "adjustment_energy": 3.0})
    assert out.state == "verified" and out.valid
    assert 9.0 < out.result["savings_pct"] < 11.0
    assert out.adjustments_energy == 3.0


def test_controls_are_shown_to_the_roles_the_services_allow(
    api: Api, fetch_pages: Callable[[list[str], list[str]], dict[str, list[Any]]], tmp_path: Path
) -> None:
    first, second = accepted_measures(api)
    agency, city = AsUser(api, "agency", tmp_path), AsUser(api, "city", tmp_path)
    pid = project_from_measure(agency, first, {"milestone_name": "设备采购"}).id
    for who, action in ((city, "approve"), (agency, "start"), (agency, "complete")):
        who.call(transition, pid, TransitionIn.model_validate({"action": action}))
    report = api("GET", f"/api/v1/projects/{pid}", "city").json()
    report_id = api("GET", "/api/v1/audits", "city").json()["items"][0]["id"]
    new = f"/projects/new?report_id={report_id}&measure_id={second}"
    pages = fetch_pages(["city", "agency", "expert"], [f"/projects/{pid}", f"/audits/{report_id}", new])
    assert report["state"] == "completed"

    def has(user: str, path: str, testid: str) -> bool:
        status, html = pages[user + path]
        assert status in (200, 403), (user, path, status)
        return f'data-testid="{testid}"' in html or f'"data-testid":"{testid}"' in html

    project = f"/projects/{pid}"
    assert has("city", project, "project-demonstration") and has("city", project, "verify-run")
    milestone = f"milestone-{report['milestones'][0]['id']}"
    assert has("agency", project, milestone) and has("city", project, milestone)
    assert not has("expert", project, milestone)
    assert not has("agency", project, "project-demonstration") and not has("agency", project, "verify-run")
    assert has("agency", project, "project-upload")
    for testid in ("project-upload", "project-demonstration", "verify-run"):
        assert not has("expert", project, testid)
    assert has("agency", f"/audits/{report_id}", f"make-project-{second}")
    assert not has("expert", f"/audits/{report_id}", f"make-project-{second}")
    assert has("agency", new, "new-project-save")
    assert pages["expert" + new][0] == 403
