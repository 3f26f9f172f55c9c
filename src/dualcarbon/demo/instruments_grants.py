"""The demo's retrofit and EMC subsidy applications under Longgang's pack, on projects of 2023.

The retrofit stage's verified project (:mod:`dualcarbon.demo.retrofit`) is completed in 2024 or later, after
``longgang-2022`` expired (2023-12-31), so its application is refused — rightly. For the demo to show the two
rules working (4、保障措施（二）4 产线节能改造 and （二）8 合同能源管理), two more projects are carried out
inside the pack's validity, through the services:

* a 产线节能改造 project of one enterprise: registered in November 2022, approved, started in January 2023,
  completed on 30 April 2023; verified (M&V, GB/T 28750) in December 2023 on the enterprise's reported monthly
  energy and output (baseline 2022-01 … 2022-12, reporting 2023-05 … 2023-11); the enterprise applies on
  15 December 2023 declaring its labour-productivity rise and its unit value-added energy drop (the measure's
  share of its yearly energy, at constant output and value added); the city approves and pays it in 2024.
* a 合同能源管理 (EMC) project of another enterprise, run by the demo's service agency (the payee): completed
  on 30 June 2023, verified the same way (reporting 2023-07 … 2023-11), applied for on 18 December 2023, and in
  review.

Size and saving come from the enterprise's own latest report like the retrofit stage's measures (a share of its
yearly energy, its own 元/tce, a payback in years); enterprises too small for the rules' lowest figures (read
from the pack: 100万元; 30 tce/a for the retrofit, 50 tce/a for EMC), with a margin, are not used. The months
are synthetic: energy follows output (15 % fixed, 85 % with output, σ 0.3 % noise), lower after completion by the
measure's share. No weather sample covers 2022, so the model's only factor is output. Every figure is synthetic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from dualcarbon.core.errors import InvalidInput
from dualcarbon.demo.people import Actors
from dualcarbon.demo.plan import CityPlan, EnterprisePlan
from dualcarbon.demo.retrofit import AGENCY_NAME, MEASURES, RetrofitResult
from dualcarbon.demo.workflow import dated, moment
from dualcarbon.projects import service_lifecycle as lifecycle
from dualcarbon.projects import service_projects as projects
from dualcarbon.projects import service_verification as verification
from dualcarbon.projects.schemas import PeriodIn, ProjectIn, TransitionIn, VerificationIn
from dualcarbon.reference import ReferenceSet
from dualcarbon.reference.policy import load_pack
from dualcarbon.subsidies.schemas import ApplicationIn, EvidenceIn

PACK = "longgang-2022"
NOISE = 0.003  # σ of the log noise of the reported monthly energy
MARGIN = 1.2  # a project is sized this far above a rule's lowest figure, so the M&V noise cannot drop it below


@dataclass(frozen=True)
class Grant:
    """One 2023 project to apply for: rule, wanted state, measure (index into MEASURES) and the months."""

    rule: str  # retrofit | emc
    state: str  # the application's wanted state
    measure: int
    completed: date
    reporting_months: tuple[int, ...]  # months of 2023 after the completion, reported before verification
    verified: date
    filed: date


GRANTS = (
    Grant("retrofit", "paid", 1, date(2023, 4, 30), tuple(range(5, 12)), date(2023, 12, 10), date(2023, 12, 15)),
    Grant("emc", "in_review", 3, date(2023, 6, 30), tuple(range(7, 12)), date(2023, 12, 12), date(2023, 12, 18)),
)
#: labour-productivity rise the retrofit applicant declares (condition ② of 4、保障措施（二）4; demo figure)
DECLARED_PRODUCTIVITY_RISE_PCT = 22.5


def _price(enterprise: EnterprisePlan) -> float:
    report = enterprise.latest
    return float(report.content["economics"]["energy_cost_10k_yuan"]) * 10_000.0 / report.total_tce


def _sized(enterprise: EnterprisePlan, measure: int) -> tuple[float, float]:
    """(planned saving tce/a, investment 元) of ``MEASURES[measure]`` at the enterprise."""
    _, _, share, payback = MEASURES[measure]
    saving = round(enterprise.latest.total_tce * share, 1)
    return saving, round(saving * _price(enterprise) * payback, -3)


def _lowest(rule: str, fact: str) -> float:
    """The lowest figure of ``fact`` the pack's rule accepts (its eligibility leaf's ``min``), from the pack."""
    found: list[float] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("fact") == fact and node.get("min") is not None:
                found.append(float(node["min"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)

    walk(load_pack(PACK).incentive(rule).eligible.model_dump(by_alias=True))
    return max(found)


def _pick(plan: CityPlan, taken: set[str]) -> list[EnterprisePlan]:
    """One enterprise per grant: the smallest user big enough for its rule's lowest figures (a project of a few
    百万元)."""
    chosen: list[EnterprisePlan] = []
    candidates = sorted(
        (e for e in plan.enterprises if e.credit_code not in taken and e.latest.total_tce > 0),
        key=lambda e: (e.latest.total_tce, e.index),
    )
    for grant in GRANTS:
        for enterprise in candidates:
            saving, investment = _sized(enterprise, grant.measure)
            big_enough = investment >= MARGIN * _lowest(grant.rule, "investment_yuan")
            big_enough = big_enough and saving >= MARGIN * _lowest(grant.rule, "annual_saving_tce")
            if big_enough and enterprise not in chosen:
                chosen.append(enterprise)
                break
    return chosen if len(chosen) == len(GRANTS) else []


def _months(enterprise: EnterprisePlan, share: float, grant: Grant, rng: random.Random) -> VerificationIn:
    total = enterprise.latest.total_tce
    output = float(enterprise.latest.content["outputs"][0]["quantity"])

    def period(year: int, month: int, factor: float) -> PeriodIn:
        made = output / 12.0 * rng.uniform(0.9, 1.1)
        energy = total * (0.15 / 12.0 + 0.85 * made / output) * factor * rng.lognormvariate(0.0, NOISE)
        return PeriodIn(period_start=date(year, month, 1), energy=round(energy, 2), production=round(made, 1))

    return VerificationIn(
        interval="month",
        baseline=[period(2022, m, 1.0) for m in range(1, 13)],
        reporting=[period(2023, m, 1.0 - share) for m in grant.reporting_months],
    )


def _on(day: date) -> datetime:
    return moment(day.year, day.month, day.day)


def build_grants(
    session: Session,
    actors: Actors,
    plan: CityPlan,
    retrofit: RetrofitResult,
    reference: ReferenceSet,
    refused: list[str],
) -> list[tuple[str, ApplicationIn, EnterprisePlan, date, str]]:
    """Carry out the 2023 projects and return what to apply for: (state, spec, applicant, filed on, what).
    A project the services refuse (e.g. its months fit no model) is left out and named in ``refused``."""
    rng = random.Random(plan.spec.seed * 6151 + 23)
    city = actors["city"]
    taken = {projects.get_project(session, city, pid).credit_code for pid in retrofit.project_ids}
    out: list[tuple[str, ApplicationIn, EnterprisePlan, date, str]] = []
    chosen = _pick(plan, taken)
    if not chosen:
        refused.append("retrofit/emc projects of 2023: no enterprise large enough for the rules' lowest figures")
    for grant, enterprise in zip(GRANTS, chosen, strict=False):
        try:
            with session.begin_nested():
                project_id = _carry_out(session, actors, grant, enterprise, reference, rng)
        except InvalidInput as exc:
            refused.append(f"{grant.rule} project of 2023 of {enterprise.name}: {exc}")
            continue
        declared: dict[str, float] = {}
        if grant.rule == "retrofit":  # condition ② and the other half of ①, declared by the applicant
            share = MEASURES[grant.measure][2]
            declared = {
                "productivity_rise_pct": DECLARED_PRODUCTIVITY_RISE_PCT,
                "intensity_drop_pct": round(share * 100, 1),
            }
        spec = ApplicationIn(
            credit_code=enterprise.credit_code,
            pack=PACK,
            rule=grant.rule,
            year=2023,
            evidence=EvidenceIn(kind="project", project_id=project_id),
            declared_facts=declared,
            payee=AGENCY_NAME if grant.rule == "emc" else None,
        )
        out.append((grant.state, spec, enterprise, grant.filed, f"{grant.rule} project {project_id} of 2023"))
    return out


def _carry_out(
    session: Session,
    actors: Actors,
    grant: Grant,
    enterprise: EnterprisePlan,
    reference: ReferenceSet,
    rng: random.Random,
) -> int:
    """Register, approve, start, complete and verify the grant's project; its id."""
    city = actors["city"]
    text, kind, share, _ = MEASURES[grant.measure]
    saving, investment = _sized(enterprise, grant.measure)
    name = f"{text}（合同能源管理，{AGENCY_NAME}投资实施）" if grant.rule == "emc" else text
    with dated(session, moment(2022, 11, 15)):
        project = projects.create_project(
            session,
            city,
            ProjectIn(
                credit_code=enterprise.credit_code,
                name=name,
                project_type=kind,  # type: ignore[arg-type]
                investment_yuan=investment,
                saving_tce_per_year=saving,
                start_date=date(2023, 1, 5),
                deadline=date(2023, 12, 31),
            ),
        )
    steps = (("approve", date(2022, 12, 1), None), ("start", date(2023, 1, 5), None))
    for action, day, done in (*steps, ("complete", grant.completed, grant.completed)):
        with dated(session, _on(day)):
            change = TransitionIn(action=action, completed_on=done)  # type: ignore[arg-type]
            lifecycle.transition(session, city, project.id, change)
    with dated(session, _on(grant.verified)):
        verification.verify_project(session, city, project.id, _months(enterprise, share, grant, rng), reference)
    return project.id
