"""The demo's retrofit work (demo/retrofit.py, issue #9) on the tests' demo city, both backends: the agency's
diagnoses accepted (one returned) with a checklist, the energy audit, projects with deadlines through their
states, one project verified by M&V, and the agency login limited to its enterprises."""

from __future__ import annotations

import math
import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_world (importlib import mode)
from demo_world import DemoWorld

from dualcarbon.accounts.service_auth import authenticate, principal_for
from dualcarbon.audits import service_agencies, service_reports
from dualcarbon.core.access import SYSTEM
from dualcarbon.demo.plan import diagnosis_band
from dualcarbon.projects import service_projects, service_shares, service_verification
from dualcarbon.registry import service as registry
from dualcarbon.store.db import session_scope

JULY_TO_DECEMBER_DAYS = 31 + 31 + 30 + 31 + 30 + 31  # = 184, the reporting months after a 30 June completion


def test_diagnoses_are_accepted_with_a_checklist_and_one_is_returned(demo: DemoWorld) -> None:
    with session_scope(demo.engine, write=False) as session:
        diagnoses, _ = service_reports.list_reports(session, SYSTEM, kind="diagnosis", limit=100)
        audits, _ = service_reports.list_reports(session, SYSTEM, kind="audit", limit=100)
        agencies = service_agencies.list_agencies(session, SYSTEM)
    accepted = [r for r in diagnoses if r.state == "accepted"]
    returned = [r for r in diagnoses if r.state == "returned"]
    assert len(accepted) == 3 and len(returned) == 1
    for report in accepted:
        assert len([m for m in report.measures if m.implementable]) >= 2  # Shanghai's minimum of 2 proposals
        assert report.checklist and all(item.passed for item in report.checklist)
        assert report.checklist[0].checked_by == "city"
        assert report.agency_name == "示范节能服务有限公司（演示）"
    # every diagnosis is of an enterprise inside the filing pack's diagnosis band (no out-of-obligation note)
    band = diagnosis_band()
    assert band is not None
    for report in diagnoses:
        assert report.obligation_note is None and report.baseline_energy_tce is not None
        assert band[0] <= report.baseline_energy_tce < band[1], (report.credit_code, report.baseline_energy_tce)
    failed = [item for item in returned[0].checklist if not item.passed]
    assert [item.item for item in failed] == ["节能量测算方法"]
    assert returned[0].return_reason == "节能量测算方法：节能量测算未说明基期产量修正"
    # the energy audit of the largest user, of the latest report year: accepted, inside the audit obligation,
    # its potential = Σ measures ÷ baseline × 100 ≥ 5 %
    (audit,) = audits
    assert audit.state == "accepted" and audit.baseline_energy_tce is not None and audit.obligation_note is None
    assert audit.year == demo.plan.spec.latest_year
    assert audit.baseline_energy_tce == max(round(e.latest.total_tce, 1) for e in demo.plan.enterprises)
    saved = math.fsum(m.saving_tce_per_year for m in audit.measures)
    assert audit.potential_pct == pytest.approx(saved / audit.baseline_energy_tce * 100.0, rel=1e-9)
    assert audit.potential_pct >= 5.0  # measures of 3.4, 2.8, 2.1 and 1.2 % of the yearly energy → about 9.5 %
    (agency,) = agencies
    assert agency.members == ["agency"]
    # the enterprises the agency login serves (demo/people.py): the diagnosed ones first
    assert 4 <= len(agency.enterprises) <= 6
    assert {r.credit_code for r in diagnoses} <= set(agency.enterprises)
    assert audit.agency_name == (agency.name if audit.credit_code in agency.enterprises else None)


def test_projects_have_deadlines_and_move_through_their_states(demo: DemoWorld) -> None:
    with session_scope(demo.engine, write=False) as session:
        projects, total = service_projects.list_projects(session, SYSTEM, limit=100)
        totals = service_shares.library_totals(session, SYSTEM)
    # 3 accepted diagnoses with 2 measures each and the audit with 4 → 10 projects from measures
    from_measures = sorted((p for p in projects if p.origin == "measure"), key=lambda p: p.id)
    assert len(from_measures) == 10
    assert all(p.deadline is not None for p in projects)
    # every deadline within the pack's limit (a measure's: its report's acceptance + the Yunnan years)
    assert not any(p.deadline_beyond_policy for p in projects)
    # the diagnoses' projects are history: verified, completed, the third overdue (due 2024-12-31, the end of the
    # year after its report, and left in progress), the rest completed; the audit's are the open work. The states
    # are the same whatever day the demo is built or the test runs.
    planned = ["verified", "completed", "overdue", "completed", "completed", "completed"]
    planned += ["in_progress", "in_progress", "approved", "proposed"]
    assert [p.state for p in from_measures] == planned
    third = from_measures[2]
    assert third.deadline is not None and (third.deadline.month, third.deadline.day) == (12, 31)
    # the open projects come from the audit of the latest report year, accepted in the first quarter after it:
    # their deadlines (acceptance + 3 years) fall after 31 March two years after that year, when the next
    # year's reports are due and the demo would move on to a newer latest year
    latest = demo.plan.spec.latest_year
    for project in from_measures[6:]:
        assert project.deadline is not None and project.deadline > date(latest + 2, 3, 31)
    assert [p.state for p in projects if p.demonstration] == ["verified"]
    for project in (p for p in projects if p.origin == "catalog_entry"):
        # Yunnan: deadline = listing + 3 years (the pack's parameter)
        assert project.listed_on is not None
        assert project.deadline == service_projects.add_years(project.listed_on, service_projects.deadline_years_max())
    overdue = [p for p in projects if p.state == "overdue"]
    assert [p.id for p in overdue] == [third.id]  # the one the demo means to show, whatever the day
    assert totals.projects == total and totals.by_state.get("overdue") == 1
    # the library's verified total: this stage's verified project and the two projects of 2023 that the
    # retrofit and EMC subsidy applications rest on (demo/instruments_grants.py)
    verified = [p for p in projects if p.state == "verified"]
    assert sorted(p.origin for p in verified) == ["direct", "direct", "measure"]
    assert totals.verified_tce_per_year == pytest.approx(math.fsum(p.verified_tce_per_year or 0.0 for p in verified))


def test_the_verified_project_has_its_saving_and_model_statistics(demo: DemoWorld) -> None:
    with session_scope(demo.engine, write=False) as session:
        projects, _ = service_projects.list_projects(session, SYSTEM, state="verified", limit=10)
        (project,) = [p for p in projects if p.origin == "measure"]  # the others are the 2023 grant projects
        record = service_verification.stored_verification(session, SYSTEM, project.id)
    assert record is not None
    result = record["result"]
    if demo.directory is not None:  # the CLI's demo has a workspace: metered M&V (test below)
        assert result["source"] == "meters"
        return
    # without a workspace (PostgreSQL build_demo) no weather is imported: monthly data reported with the sample
    assert result["source"] == "periods" and result["interval"] == "month"
    assert result["reporting_periods"] == 6 and record["reporting_days"] == JULY_TO_DECEMBER_DAYS
    assert result["r2"] is not None and result["cvrmse_pct"] is not None and result["nmbe_pct"] is not None
    # the months follow a fixed part, output and degree days above 20 °C with 0.3 % noise: the chosen model
    # has those terms (the noise may let a small heating term in too) and fits closely
    terms = [(t["kind"], t.get("balance_point_c")) for t in result["model"]["terms"]]
    assert ("production", None) in terms and ("cdd", 20.0) in terms
    assert result["r2"] > 0.99 and result["cvrmse_pct"] < 1.0
    # verified tce/a = verified energy × 365 ÷ 184 days (no adjustments); both stored to 6 decimals (DIGITS)
    assert record["adjustments_energy"] == 0.0
    assert record["verified_tce_per_year"] == pytest.approx(
        record["verified_energy"] * 365 / JULY_TO_DECEMBER_DAYS, rel=1e-9, abs=2e-6
    )
    assert project.verified_tce_per_year == record["verified_tce_per_year"]
    # the reporting months were planned lower by the measure's share of the year's energy, so the verified
    # saving per year lands near the measure's expected tce/a (within 20 %: noise, and the six reporting months
    # carry more cooling than half a year, so × 365 ÷ 184 overstates a little)
    assert project.saving_tce_per_year is not None and project.verified_tce_per_year is not None
    assert project.verified_tce_per_year > 0
    assert abs(project.verified_tce_per_year / project.saving_tce_per_year - 1.0) < 0.20


def test_the_agency_login_sees_only_its_enterprises(demo: DemoWorld) -> None:
    with session_scope(demo.engine) as session:
        user = authenticate(session, "agency", demo.logins["agency"].password)
        agency = principal_for(session, user)
        (registered,) = service_agencies.list_agencies(session, agency)
        enterprises, count = registry.list_enterprises(session, agency, limit=500)
        own_projects, _ = service_projects.list_projects(session, agency, limit=100)
        all_projects, _ = service_projects.list_projects(session, SYSTEM, limit=100)
        reports, _ = service_reports.list_reports(session, agency, limit=100)
        every_report, _ = service_reports.list_reports(session, SYSTEM, limit=100)
    codes = {e.credit_code for e in enterprises}
    assert codes == set(registered.enterprises) and count == len(codes) < len(demo.plan.enterprises)
    assert {p.credit_code for p in own_projects} <= codes
    assert [p.id for p in own_projects] == [p.id for p in all_projects if p.credit_code in codes]
    assert [r.id for r in reports] == [r.id for r in every_report if r.credit_code in codes]
    assert len(reports) >= 4  # its four diagnoses (and the audit when it serves the largest user)


def test_metered_verification_with_the_weather_station(demo: DemoWorld) -> None:
    """The CLI's demo imports the weather sample (``weather stations`` lists it) and verifies its first project from
    the verification meter's daily rollups with the station's temperatures: a valid, claimable daily model."""
    if demo.directory is None:
        pytest.skip("build_demo without a workspace imports no weather (PostgreSQL world)")
    from dualcarbon.demo.retrofit_mv import MV_METER_CODE, MV_SYSTEM_SAVING
    from dualcarbon.monitoring import service_meters
    from dualcarbon.projects.service_weather import stations

    (station,) = stations(demo.directory)
    assert (station.station, station.first_date.isoformat(), station.last_date.isoformat()) == (
        "SYNTHETIC-01",
        "2023-01-01",
        "2024-12-31",
    )
    with session_scope(demo.engine, write=False) as session:
        projects, _ = service_projects.list_projects(session, SYSTEM, state="verified", limit=10)
        (project,) = [p for p in projects if p.origin == "measure"]
        record = service_verification.stored_verification(session, SYSTEM, project.id)
        meters = service_meters.list_meters(session, SYSTEM, project.credit_code)
    assert record is not None and record["valid"] is True and record["invalid_reasons"] == []
    result = record["result"]
    (meter,) = [m for m in meters if m.code == MV_METER_CODE]
    assert result["source"] == "meters" and result["interval"] == "day"
    assert meter.counted is False  # the 总表 carries the system's energy in the enterprise's totals
    # baseline 2023-01-01 … 2024-06-20 (537 days ≥ the 329 a valid daily baseline needs), reporting from 2024-07-10
    assert result["model"]["n"] >= 329 and record["reporting_days"] == 175
    # the system's load grows above 18 °C: a cooling-degree model at that balance point (temperatures that only
    # the station gives: meter rollups carry none)
    assert [(t["kind"], t["balance_point_c"]) for t in result["model"]["terms"]] == [("cdd", 18.0)]
    assert result["r2"] > 0.9
    # the readings fall by the system's share after the completion: the savings land near it, and the verified
    # tce/a near the measure's planned one (which the meter is sized for), and it is claimable
    assert abs(result["savings_pct"] - MV_SYSTEM_SAVING * 100.0) < 2.0
    assert record["claimable_tce_per_year"] == record["verified_tce_per_year"] == project.verified_tce_per_year
    assert project.saving_tce_per_year is not None and project.verified_tce_per_year is not None
    assert abs(project.verified_tce_per_year / project.saving_tce_per_year - 1.0) < 0.15
