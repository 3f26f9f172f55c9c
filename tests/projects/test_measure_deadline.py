"""A project from an accepted measure gets a deadline: the report's acceptance + the pack's maximum years
(yunnan-2022 ``yunnan.retrofit.deadline_years_max``); a later one is kept but flagged (both stores)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dualcarbon.projects.service_projects import add_years, deadline_years_max

from ..conftest import Api
from .test_projects_api import accepted_measures


def test_measure_project_deadline_defaults_to_acceptance_plus_pack_years(api: Api) -> None:
    first, second = accepted_measures(api)
    reports = api("GET", "/api/v1/audits", "city").json()["items"]
    decided = datetime.fromisoformat(reports[0]["decided_at"]).astimezone(ZoneInfo("Asia/Shanghai")).date()
    years = deadline_years_max()
    assert years == 3
    latest = add_years(decided, years)

    default = api("POST", "/api/v1/projects", "agency", json={"measure_id": first})
    assert default.status_code == 201, default.text
    body = default.json()
    assert (body["deadline"], body["deadline_beyond_policy"], body["warnings"]) == (latest.isoformat(), False, [])

    late_day = date(latest.year + 1, 1, 1)
    late = api("POST", "/api/v1/projects", "agency", json={"measure_id": second, "deadline": late_day.isoformat()})
    assert late.status_code == 201, late.text
    assert late.json()["deadline"] == late_day.isoformat()  # kept …
    assert late.json()["deadline_beyond_policy"] is True  # … but flagged
    assert "诊断/审计报告验收" in late.json()["warnings"][0]


def test_direct_project_keeps_no_default_deadline(api: Api) -> None:
    created = api("POST", "/api/v1/projects", "city", json={"credit_code": api.world.codes["a"], "name": "直接录入"})
    assert created.status_code == 201, created.text
    assert (created.json()["deadline"], created.json()["deadline_beyond_policy"]) == (None, False)
