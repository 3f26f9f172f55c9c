"""The built demo city (``demo`` fixture: 30 enterprises, seed 7) on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dualcarbon.catalog import service as catalog
from dualcarbon.catalog import service_appeals as appeals
from dualcarbon.core.access import SYSTEM
from dualcarbon.demo import summarise
from dualcarbon.demo.plan import TIERS
from dualcarbon.domain.identifiers import validate_credit_code
from dualcarbon.registry import service as registry
from dualcarbon.registry.schemas import EnterpriseItem
from dualcarbon.reports import service as report_service
from dualcarbon.store.audit import verify_audit_chain
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_world (importlib import mode)
from demo_world import SPEC, DemoWorld


def test_counts(demo: DemoWorld) -> None:
    summary = summarise(demo.engine, demo.plan.city[0])
    fates = Counter(e.latest.fate for e in demo.plan.enterprises)
    assert summary["enterprises"] == SPEC.enterprises == 30
    # oldest year all locked; middle year all approved; latest year by fate (approved + approved late).
    assert summary["reports"] == {
        "draft": fates["draft"],
        "submitted": fates["submitted"],
        "returned": fates["returned"],
        "approved": 30 + fates["approved"] + fates["approved_late"],
        "locked": 30,
    }
    assert min(summary["reports"].values()) >= 1, "every report state occurs"
    # overdue = latest-year reports not filed: drafts, returned ones and the missing ones.
    assert summary["overdue"] == fates["draft"] + fates["returned"] + fates["missing"] >= 3
    assert summary["catalogs"] == {"draft": 0, "published": 3, "superseded": 1}
    assert summary["appeals"] == {"filed": 1, "under_review": 1, "upheld": 1, "rejected": 1}


def _all_enterprises(demo: DemoWorld) -> list[EnterpriseItem]:
    with session_scope(demo.engine, write=False) as session:
        return registry.list_enterprises(session, SYSTEM, limit=None)[0]


def test_every_credit_code_is_valid_and_registered_in_its_district(demo: DemoWorld) -> None:
    items = _all_enterprises(demo)
    districts = {code for code, _ in demo.plan.districts}
    assert len(items) == 30 and len({item.credit_code for item in items}) == 30
    for item in items:
        assert validate_credit_code(item.credit_code) == item.credit_code
        assert item.credit_code[:2] == "91"  # 工商 registered company
        assert item.credit_code[2:8] == item.region_code in districts


def test_latest_year_reports_in_every_state(demo: DemoWorld) -> None:
    with session_scope(demo.engine, write=False) as session:
        items, total = report_service.list_reports(
            session, SYSTEM, report_service.ReportFilter(year=SPEC.latest_year), limit=100
        )
    states = Counter(item.state for item in items)
    assert set(states) == {"draft", "submitted", "returned", "approved"}
    assert total == 30 - Counter(e.latest.fate for e in demo.plan.enterprises)["missing"]
    # A report planned to deviate states a unit consumption 6 % below the computed one: flagged.
    deviating = {e.credit_code for e in demo.plan.enterprises if e.latest.deviating}
    assert deviating, "the plan has deviating reports"
    for item in items:
        assert item.has_flagged_deviation == (item.credit_code in deviating)


def test_corrected_report_keeps_both_versions(demo: DemoWorld) -> None:
    corrected = next(e for e in demo.plan.enterprises if e.reports[1].fate == "corrected")
    with session_scope(demo.engine, write=False) as session:
        items, _ = report_service.list_reports(
            session, SYSTEM, report_service.ReportFilter(credit_code=corrected.credit_code, year=SPEC.years[1])
        )
        report = report_service.get_report(session, SYSTEM, items[0].id)
        diff = report_service.compare_versions(session, SYSTEM, items[0].id, 1, 2)
    assert report.state == "approved" and [v.version for v in report.versions] == [1, 2]
    assert [r.action for r in report.reviews] == ["submit", "return", "submit", "approve"]
    changed = {change.field for change in diff.changes}
    assert "outputs[0].reported_unit_consumption" in changed
    assert not any(field.startswith("energy_lines") for field in changed)


def test_published_catalog_matches_the_planned_tiers(demo: DemoWorld) -> None:
    half = SPEC.halves[1]  # first catalog of the latest year: approved reports only, no appeal yet
    expected = {e.credit_code: e.tier for e in demo.plan.enterprises if e.latest.fate == "approved"}
    with session_scope(demo.engine, write=False) as session:
        catalogs, _ = catalog.list_catalogs(session, SYSTEM, half=half)
        (published,) = catalogs
        entries, total = catalog.list_entries(session, SYSTEM, published.id, limit=100)
    assert published.state == "published" and published.basis == "gb"
    assert total == len(expected)
    assert {entry.credit_code: entry.tier for entry in entries} == expected
    assert len({entry.tier for entry in entries}) >= 3
    assert set(published.counts) <= set(TIERS)


def test_later_catalog_adds_the_late_approvals(demo: DemoWorld) -> None:
    late = {e.credit_code for e in demo.plan.enterprises if e.latest.fate == "approved_late"}
    with session_scope(demo.engine, write=False) as session:
        first = catalog.list_catalogs(session, SYSTEM, half=SPEC.halves[1])[0][0]
        second = catalog.list_catalogs(session, SYSTEM, half=SPEC.halves[2], state="superseded")[0][0]
        from dualcarbon.catalog.service_diff import diff_catalogs

        diff = diff_catalogs(session, SYSTEM, second.id, first.id)
    assert {item.credit_code for item in diff.added} == late
    assert not diff.removed and not diff.changed


def test_upheld_appeal_reissued_the_catalog(demo: DemoWorld) -> None:
    with session_scope(demo.engine, write=False) as session:
        items, _ = appeals.list_appeals(session, SYSTEM, state="upheld")
        (upheld,) = items
        assert upheld.corrected_catalog_id is not None
        corrected = catalog.get_catalog(session, SYSTEM, upheld.corrected_catalog_id)
        original = catalog.get_catalog(session, SYSTEM, upheld.catalog_id)
        fixed, _ = catalog.list_entries(
            session, SYSTEM, corrected.id, catalog.EntryFilter(credit_code=upheld.credit_code)
        )
    assert original.state == "superseded" and corrected.state == "published"
    assert corrected.supersedes_id == original.id and corrected.issue_no == (original.issue_no or 0) + 1
    assert fixed[0].value == upheld.evidence.corrected_value == round(upheld.value * 0.93, 2)
    assert upheld.credit_code == demo.logins["qiye1"].scope.split()[-1]


def test_audit_chain_intact(demo: DemoWorld) -> None:
    with session_scope(demo.engine, write=False) as session:
        assert verify_audit_chain(session) == []


def test_overdue_list_names_the_unfiled(demo: DemoWorld) -> None:
    unfiled = {e.credit_code for e in demo.plan.enterprises if e.latest.fate in ("draft", "returned", "missing")}
    with session_scope(demo.engine, write=False) as session:
        overdue = report_service.overdue(session, SYSTEM, demo.plan.city[0], date.today())
    assert {item.credit_code for item in overdue} == unfiled
    assert {item.year for item in overdue} == {SPEC.latest_year}


# ---- the printed logins against the API ------------------------------------------------------------------
@pytest.fixture(scope="module")
def api(demo: DemoWorld) -> Any:
    from dualcarbon.app.api import create_app

    app = create_app(demo.url)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def _token(api: TestClient, demo: DemoWorld, username: str) -> dict[str, str]:
    response = api.post("/api/v1/auth/token", json={"username": username, "password": demo.logins[username].password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_printed_logins_work(api: TestClient, demo: DemoWorld) -> None:
    assert set(demo.logins) == {"admin", "city", "dongcheng", "expert", "agency", "qiye1", "qiye2", "qiye3", "qiye4"}
    if demo.backend == "sqlite":  # the command printed every username and password in its table
        for login in demo.logins.values():
            assert login.username in demo.output and login.password in demo.output
    seen: dict[str, int] = {}
    for username in demo.logins:
        response = api.get("/api/v1/enterprises", params={"limit": 100}, headers=_token(api, demo, username))
        assert response.status_code == 200, response.text
        seen[username] = response.json()["total"]
    district = sum(1 for e in demo.plan.enterprises if e.region_code == demo.plan.districts[0][0])
    assert seen["admin"] == seen["city"] == seen["expert"] == 30
    assert seen["dongcheng"] == district
    assert seen["qiye1"] == seen["qiye2"] == seen["qiye3"] == seen["qiye4"] == 1
    assert 1 <= seen["agency"] <= 6


def test_enterprise_user_sees_only_its_own_enterprise(api: TestClient, demo: DemoWorld) -> None:
    own = demo.logins["qiye2"].scope.split()[-1]
    items = api.get("/api/v1/enterprises", headers=_token(api, demo, "qiye2")).json()["items"]
    assert [item["credit_code"] for item in items] == [own]
    other = demo.logins["qiye1"].scope.split()[-1]
    assert api.get(f"/api/v1/enterprises/{other}", headers=_token(api, demo, "qiye2")).status_code == 404


def test_district_regulator_lists_only_its_district(api: TestClient, demo: DemoWorld) -> None:
    district = demo.plan.districts[0][0]
    headers = _token(api, demo, "dongcheng")
    items = api.get("/api/v1/enterprises", params={"limit": 100}, headers=headers).json()["items"]
    expected = sorted(e.credit_code for e in demo.plan.enterprises if e.region_code == district)
    assert items and {item["region_code"] for item in items} == {district}
    assert sorted(item["credit_code"] for item in items) == expected
    outside = next(e.credit_code for e in demo.plan.enterprises if e.region_code != district)
    assert api.get(f"/api/v1/enterprises/{outside}", headers=headers).status_code == 404
