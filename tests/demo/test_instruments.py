"""The demo's policy instruments (demo/instruments*.py, issue #11) on the tests' demo city, both backends, read
back through the services: subsidy applications in every state with their amounts and traces, budget pools,
PV with mounting compliance (and a metered system when the demo has meters), storage, data centres across the
GB 40879 grades with a Shanghai closure candidate, designations, and targets with progress and warning levels."""

from __future__ import annotations

import math
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_world (importlib import mode)
from demo_world import DemoWorld

from dualcarbon.assets import service_datacentres, service_green, service_pv, service_storage
from dualcarbon.core.access import SYSTEM
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import session_scope
from dualcarbon.subsidies import service_applications, service_pools
from dualcarbon.targets import service as targets
from dualcarbon.targets import service_progress

STATES = ("submitted", "in_review", "approved", "paid", "rejected")


def test_applications_in_every_state_with_amounts_and_traces(demo: DemoWorld) -> None:
    with session_scope(demo.engine, write=False) as session:
        by_state = {state: service_applications.list_applications(session, SYSTEM, state=state)[0] for state in STATES}
        pools = service_pools.list_pools(session, SYSTEM, year=2023)
    assert all(by_state[state] for state in STATES), {s: len(a) for s, a in by_state.items()}
    granted = by_state["approved"] + by_state["paid"]
    # PV: 0.1 元/kWh × the generation of the claimed months (reported months of 2023, inside the pack's validity)
    pv = next(a for a in granted if a.rule == "pv")
    kwh = math.fsum(month["kwh"] for month in pv.evidence["months"])
    assert {month["source"] for month in pv.evidence["months"]} == {"reported"}
    assert pv.facts["generation_kwh"] == pytest.approx(kwh)
    assert pv.amount_yuan == pytest.approx(0.1 * kwh)
    assert pv.eligible and pv.facts["mode"] == "自发自用、余量上网" and pv.facts["connected_to_platform"] is True
    validity = pv.trace[0]
    assert validity["passed"] is True and validity["value"].startswith("2023-")  # evidence date ≤ 2023-12-31
    assert pv.clause.startswith("4、保障措施 （二）2")
    # the 全额上网 system: computed as not eligible (amount 0) and rejected with the reason
    (rejected,) = by_state["rejected"]
    assert rejected.rule == "pv" and rejected.facts["mode"] == "全额上网"
    assert rejected.eligible is False and rejected.amount_yuan == 0.0
    assert rejected.decision_note and "全额上网" in rejected.decision_note
    # a national green factory listed in 2022: 100 万元; the agency's three accepted diagnoses: 3 × 5,000 元
    paid_green = next(a for a in by_state["paid"] if a.rule == "green")
    assert (paid_green.facts["level"], paid_green.facts["kind"]) == ("national", "green_factory")
    assert paid_green.amount_yuan == 1_000_000.0 and paid_green.payment is not None
    diagnosis = next(a for a in by_state["paid"] if a.rule == "diagnosis")
    assert diagnosis.facts["accepted_reports"] == 3 and diagnosis.amount_yuan == 15_000.0
    assert diagnosis.applicant_name == "示范节能服务有限公司（演示）"
    # storage: 0.8 元/kWh of the discharge
    storage = next(a for s in ("submitted", "in_review") for a in by_state[s] if a.rule == "storage")
    assert storage.amount_yuan == pytest.approx(0.8 * storage.facts["discharge_kwh"])
    # budget pools: demo amounts labelled as such; what is committed is what was granted under the rule
    assert {p.rule for p in pools} >= {"pv", "storage", "green", "diagnosis"}
    for pool in pools:
        assert pool.note and "演示金额" in pool.note
        committed = math.fsum(a.amount_yuan for a in granted if a.rule == pool.rule)
        assert pool.committed_yuan == pytest.approx(committed)
        assert pool.remaining_yuan == pytest.approx(pool.total_yuan - committed)


def test_retrofit_and_emc_applications_rest_on_verified_projects_of_2023(demo: DemoWorld) -> None:
    # Longgang's pack ends 2023-12-31: the demo's retrofit and EMC applications rest on projects completed and
    # verified in 2023, applied for in December 2023 (4、保障措施（二）4 and （二）8).
    from dualcarbon.demo.retrofit import AGENCY_NAME
    from dualcarbon.projects import service_projects

    with session_scope(demo.engine, write=False) as session:
        found = service_applications.list_applications(session, SYSTEM)[0]
        retrofit = next(a for a in found if a.rule == "retrofit" and a.state == "paid")
        emc = next(a for a in found if a.rule == "emc")
        projects = {
            a.rule: service_projects.get_project(session, SYSTEM, a.evidence["project_id"]) for a in (retrofit, emc)
        }
    for application in (retrofit, emc):
        project = projects[application.rule]
        assert project.state == "verified" and project.completed_on is not None
        assert date(2023, 1, 1) <= project.completed_on <= date(2023, 12, 31)
        assert application.submitted_at.startswith("2023-12-")
        # the facts are the project's: its investment and its M&V-verified saving, not the planned one
        assert application.facts["investment_yuan"] == project.investment_yuan
        assert application.facts["annual_saving_tce"] == pytest.approx(project.verified_tce_per_year)
        assert application.eligible is True
        investment = application.facts["investment_yuan"]
        rate = 0.14 if investment < 2_000_000 else 0.17 if investment < 5_000_000 else 0.22
        assert application.amount_yuan == pytest.approx(min(rate * investment, 5_000_000.0))
        assert application.trace[0]["passed"] is True and application.trace[0]["value"] == str(project.completed_on)
    assert retrofit.facts["annual_saving_tce"] >= 30 and retrofit.facts["productivity_rise_pct"] >= 20
    assert retrofit.fact_sources["productivity_rise_pct"] == "declared by the applicant"
    assert retrofit.payment is not None and retrofit.clause.startswith("4、保障措施 （二）4")
    assert emc.state == "in_review" and emc.facts["annual_saving_tce"] >= 50
    assert emc.payee == AGENCY_NAME and emc.clause.startswith("4、保障措施 （二）8")
    assert emc.applicant_credit_code != retrofit.applicant_credit_code


def test_pv_storage_data_centres_and_designations(demo: DemoWorld) -> None:
    reference = shipped_reference()
    latest = demo.plan.spec.years[-1]
    with session_scope(demo.engine, write=False) as session:
        systems = service_pv.list_pv(session, SYSTEM)
        storage = service_storage.list_storage(session, SYSTEM)
        centres = service_datacentres.list_datacentres(session, SYSTEM)
        pues = [
            service_datacentres.pue(session, SYSTEM, c.id, f"{latest}-01", f"{latest}-12", reference) for c in centres
        ]
        designations = service_green.list_designations(session, SYSTEM)
        metered = [s for s in systems if s.meter_id is not None]
        performance = None
        if metered:
            today = date.today()
            first = today - timedelta(days=13)
            performance = service_pv.pv_performance(
                session, SYSTEM, metered[0].id, f"{first:%Y-%m}", f"{today:%Y-%m}", reference
            )
    assert len(systems) == 4 and {s.roof_type for s in systems} == {"sloped", "flat"}
    by_height = {s.module_height_m: s for s in systems}
    # Longgang: ≤ 30 cm above a sloped roof, ≤ 2.6 m above a flat one
    assert by_height[0.45].roof_type == "sloped" and by_height[0.45].height_limit_m == pytest.approx(0.30)
    assert by_height[0.45].height_compliant is False
    assert by_height[0.25].height_compliant is True
    assert by_height[2.4].height_limit_m == pytest.approx(2.6) and by_height[2.4].height_compliant is True
    assert {s.connection_mode for s in systems} == {"自发自用、余量上网", "全额上网"}
    if demo.plan.spec.meter_enterprises or demo.backend == "sqlite":  # the CLI demo has meters
        assert len(metered) == 1 and performance is not None
        assert {m.source for m in performance.generation.months} == {"meter"}
        assert performance.generation.total_kwh and performance.generation.total_kwh > 0
        assert performance.co2_avoided_t and performance.co2_avoided_t > 0
    else:
        assert metered == []
    assert len(storage) == 2 and all(s.duration_h == pytest.approx(2.0) for s in storage)  # 2000 kWh / 1000 kW
    # PUE from the reported total and IT energy: one per GB 40879 grade, and one beyond grade 3
    grades = sorted((p.checks or {}).get("gb40879_grade") or 0 for p in pues)
    assert grades == [0, 1, 2, 3]
    worst = max(pues, key=lambda p: p.pue or 0.0)
    assert worst.pue is not None and worst.pue > 1.7 and worst.checks is not None
    assert worst.checks["close_candidate"] is True  # Shanghai: PUE > 1.7, ≤ 800 racks, ≥ 10 years
    assert worst.checks["retrofit_required"] is True  # Yunnan: PUE above 1.5
    for result in pues:
        assert result.total.total_kwh and result.it.total_kwh
        assert result.pue == pytest.approx(result.total.total_kwh / result.it.total_kwh)
    assert {d.kind for d in designations} == set(service_green.DESIGNATION_KINDS)
    assert {d.level for d in designations} == {"national", "provincial", "city"}


def test_targets_show_progress_and_warning_levels(demo: DemoWorld) -> None:
    region = demo.plan.city[0]
    _, middle, latest = demo.plan.spec.years
    with session_scope(demo.engine, write=False) as session:
        seeded = {t.rule_id: t for t in targets.list_targets(session, SYSTEM, region_code=region)}
        progress = {rule: service_progress.progress(session, SYSTEM, t.id) for rule, t in seeded.items()}
    assert {t.pack_id for t in seeded.values()} == {"longgang-2022", "putian-2024", "liaocheng-2023", "yunnan-2022"}
    # intensity: the two later years' declines compound, A = 1 − (1 − d₁)(1 − d₂); the period ended in 2023
    intensity = progress["longgang-2022.target.value-added-intensity"]
    declines = intensity.target.years
    assert sorted(declines) == [middle, latest]
    compound = (1 - (1 - declines[middle] / 100) * (1 - declines[latest] / 100)) * 100
    assert intensity.achieved == pytest.approx(compound, abs=1e-6)
    assert intensity.completion_pct == pytest.approx(compound / 9 * 100, abs=1e-4)
    assert "目标期已于 2023 年结束" in intensity.notes
    # diagnoses per year: the three accepted in the weather sample's first year against 40 → 7.5 %, red
    diagnoses = progress["longgang-2022.target.diagnoses-per-year"]
    assert diagnoses.target.years == {2023: 3.0}
    assert diagnoses.completion_pct == pytest.approx(7.5)
    assert diagnoses.warning is not None and diagnoses.warning.level == "red"
    # Putian: provincial-level and above green factories, cumulative: national 2022 and 2025, provincial 2024 ×2
    # and 2025 → 5 of 15 = 33.3 %
    factories = progress["putian-2024.target.green-factories"]
    assert factories.achieved == 5 and factories.completion_pct == pytest.approx(100 / 3)
    # Yunnan's capacity share at benchmark is computed from the published catalog, not recorded
    share = progress["yunnan.target.benchmark_capacity_share_2025"]
    assert share.catalog_id is not None and share.target.years == {}
    levels = {p.warning.level for p in progress.values() if p.warning}
    assert len(levels) >= 2  # the page shows more than one warning level


def test_the_enterprises_with_demo_logins_have_instruments_of_their_own(demo: DemoWorld) -> None:
    # An enterprise user logging into the demo (qiye1 …) sees applications and assets, not empty lists.
    from dualcarbon.demo.people import choose_enterprise_users

    login_codes = {e.credit_code for e in choose_enterprise_users(demo.plan) if e.latest.total_tce > 0}
    with session_scope(demo.engine, write=False) as session:
        applicants = {a.applicant_credit_code for a in service_applications.list_applications(session, SYSTEM)[0]}
        owners = {s.credit_code for s in service_pv.list_pv(session, SYSTEM)}
        owners |= {c.credit_code for c in service_datacentres.list_datacentres(session, SYSTEM)}
    assert login_codes and login_codes <= owners | applicants
    assert login_codes & applicants
