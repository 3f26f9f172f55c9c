"""Applications resting on a verified project (retrofit, EMC) and on accepted diagnosis reports (both stores).

Project: investment 3 000 000 元, completed 2023-06-30 (inside 龙港's plan, valid to 2023-12-31), verified from
uploaded daily periods without production data (intercept model): baseline 364 days of 10 tce ± 0.1 alternating
(mean 10), reporting 30 days of 9 tce ± 0.1 alternating (Σ 270), so avoided = 30 × 10 − 270 = 30 tce over 30 days
and the verified saving = 30 × 365 ÷ 30 = 365 tce/a (≥ 30 tce/a). Retrofit: 3 000 000 元 is in the
200万元至500万元 band → 17 % = 510 000 元 (below the 500万元 cap).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.audits import service_agencies as agencies
from dualcarbon.audits import service_reports as reports
from dualcarbon.audits.schemas import AcceptanceIn, AgencyIn, AuditReportIn
from dualcarbon.core.errors import Conflict, InvalidInput
from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.projects import service_lifecycle as lifecycle
from dualcarbon.projects import service_projects as projects
from dualcarbon.projects.schemas import ProjectIn, TransitionIn, VerificationIn
from dualcarbon.projects.service_verification import verify_project
from dualcarbon.reference import shipped_reference
from dualcarbon.store.base import simulated_clock, utcnow
from dualcarbon.store.db import session_scope
from dualcarbon.subsidies import service_applications
from dualcarbon.subsidies.schemas import ApplicationIn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from subsidy_helpers import who

AGENCY_CODE = make_credit_code("91330300MA2AG0009")


def periods(first: date, days: int, level: float) -> list[dict[str, Any]]:
    return [
        {"period_start": (first + timedelta(days=i)).isoformat(), "energy": level + (0.1 if i % 2 else -0.1)}
        for i in range(days)
    ]


def application(world: Any, credit_code: str, rule: str, evidence: dict[str, Any], **facts: float) -> ApplicationIn:
    return ApplicationIn.model_validate(
        {
            "credit_code": credit_code,
            "pack": "longgang",
            "rule": rule,
            "year": 2023,
            "evidence": evidence,
            "declared_facts": facts,
        }
    )


def test_verified_project_funds_once(world: Any) -> None:
    with session_scope(world.engine) as session:
        city, ent_a = who(session, "city"), who(session, "ent_a")
        spec = ProjectIn(credit_code=world.codes["a"], name="窑炉余热回收", investment_yuan=3_000_000)
        project = projects.create_project(session, ent_a, spec)
        unverified = application(world, world.codes["a"], "retrofit", {"kind": "project", "project_id": project.id})
        with pytest.raises(InvalidInput):  # not verified yet
            service_applications.apply(session, ent_a, unverified, shipped_reference())
        for action in ("approve", "start", "complete"):
            lifecycle.transition(session, city, project.id, TransitionIn(action=action, completed_on=date(2023, 6, 30)))
        body = VerificationIn.model_validate(
            {
                "interval": "day",
                "baseline": periods(date(2022, 7, 2), 364, 10.0),
                "reporting": periods(date(2023, 7, 1), 30, 9.0),
            }
        )
        verified = verify_project(session, city, project.id, body, shipped_reference())
        assert verified.verified_tce_per_year == pytest.approx(365.0)
    with session_scope(world.engine) as session:
        ent_a = who(session, "ent_a")
        evidence = {"kind": "project", "project_id": project.id}
        spec_in = application(
            world, world.codes["a"], "retrofit", evidence, intensity_drop_pct=5.0, productivity_rise_pct=25.0
        )
        out = service_applications.apply(session, ent_a, spec_in, shipped_reference())
        assert out.facts["annual_saving_tce"] == pytest.approx(365.0)
        assert out.fact_sources["productivity_rise_pct"] == "declared by the applicant"
        assert out.eligible and out.amount_yuan == pytest.approx(510_000)  # 3 000 000 × 17 %
        with pytest.raises(Conflict):  # the same project under the EMC rule: funded once only
            emc = application(world, world.codes["a"], "emc", evidence)
            service_applications.apply(session, ent_a, emc, shipped_reference())


def test_accepted_diagnosis_reports_fund_the_agency(world: Any) -> None:
    with session_scope(world.engine) as session:
        city = who(session, "city")
        agency = agencies.register_agency(
            session,
            city,
            AgencyIn(name="温州节能诊断中心", credit_code=AGENCY_CODE, region_code="330300", members=["agency"]),
        )
        agencies.assign_enterprise(session, city, agency.id, world.codes["a"])
    ids = []
    for year, accepted_at in (
        (2022, datetime(2023, 3, 1, tzinfo=UTC)),
        (2023, datetime(2023, 9, 1, tzinfo=UTC)),
        (2024, None),
    ):
        with session_scope(world.engine) as session, simulated_clock(accepted_at or utcnow()):
            firm, city = who(session, "agency"), who(session, "city")
            spec = AuditReportIn.model_validate(
                {
                    "kind": "diagnosis",
                    "credit_code": world.codes["a"],
                    "year": year,
                    "title": f"{year} 诊断",
                    "measures": [
                        {"description": "空压机变频", "investment_yuan": 1, "saving_tce_per_year": 1},
                        {"description": "照明改造", "investment_yuan": 1, "saving_tce_per_year": 1},
                    ],
                }
            )
            report = reports.create_report(session, firm, spec)
            reports.submit_report(session, firm, report.id)
            reports.accept_report(session, city, report.id, AcceptanceIn(checklist=[{"item": "齐全", "passed": True}]))
            ids.append(report.id)
    with session_scope(world.engine) as session:
        firm = who(session, "agency")
        two = application(world, AGENCY_CODE, "diagnosis", {"kind": "diagnosis_reports", "report_ids": ids[:2]})
        out = service_applications.apply(session, firm, two, shipped_reference())
        assert out.amount_yuan == pytest.approx(10_000)  # 2 accepted reports × 5 000 元/份
        assert out.claims == [f"audit_report:{ids[0]}", f"audit_report:{ids[1]}"]
        late = application(world, AGENCY_CODE, "diagnosis", {"kind": "diagnosis_reports", "report_ids": ids[2:]})
        with pytest.raises(InvalidInput) as caught:  # accepted today, after 龙港's plan ended on 2023-12-31
            service_applications.apply(session, firm, late, shipped_reference())
        assert "expired" in caught.value.message
        with pytest.raises(InvalidInput):  # an enterprise does not apply with an agency's reports
            mine = application(world, world.codes["a"], "diagnosis", {"kind": "diagnosis_reports", "report_ids": ids})
            service_applications.apply(session, who(session, "ent_a"), mine, shipped_reference())
