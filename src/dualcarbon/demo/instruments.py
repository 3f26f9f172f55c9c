"""The demo's policy instruments (issue #11), through the services: PV, storage, data centres, green
designations, budget pools, subsidy applications in every state, and targets with their progress.

The money rules are Longgang's (pack ``longgang-2022``, a Zhejiang plan like the demo's province): it is in force
only up to 2023-12-31, and an application is checked against the pack on its *evidence's* date (the last month
of generation or discharge, the acceptance of the diagnoses, 31 December of a designation's year, a project's
completion). So the applications rest on evidence of 2023 — PV generation and storage discharge reported for
months of 2023, the agency's diagnoses accepted in November 2023, designations of 2022 and 2023 — for the
budget year 2023, filed and decided in early 2024. Evidence dated after the pack expired (the metered PV
system's readings, which lie in the monitoring window up to today; the retrofit project verified by M&V, which
was completed in 2024 or later; designations of 2024–2025) is put to the same service and its refusal is kept
in ``InstrumentsResult.not_applicable`` — the demo does not bend dates to fit an expired pack.

* PV (光伏): four systems on sloped and flat roofs, one above the pack's mounting-height limit, with the
  pack's connection modes; one is metered by a generation meter (monitoring) when the demo has meters.
* Storage (储能): two systems with discharge reported by month.
* Data centres (数据中心): four, their PUE (from reported total and IT energy of the latest year) spread over the
  GB 40879 grades, one a Shanghai closure candidate (PUE > 1.7, ≤ 800 racks, ≥ 10 years).
* Green designations (绿色制造名单): factories, a supply chain, a product and parks at national, provincial and
  city level, 2022–2025.
* Budget pools per rule for 2023, with demo amounts (their note says so: no official budget is known).

The registers are written by :mod:`dualcarbon.demo.instruments_assets`, targets and their progress by
:mod:`dualcarbon.demo.instruments_targets`. Every figure is synthetic.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dualcarbon.audits import service_agencies as agencies
from dualcarbon.core.access import SYSTEM, Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.demo.instruments_assets import (
    DATACENTRES,
    PACK,
    PV_SYSTEMS,
    InstrumentsResult,
    build_datacentre,
    build_designations,
    build_pv,
    build_storage,
    pick_enterprises,
)
from dualcarbon.demo.instruments_grants import build_grants
from dualcarbon.demo.instruments_targets import build_targets
from dualcarbon.demo.people import Actors
from dualcarbon.demo.plan import CityPlan, EnterprisePlan
from dualcarbon.demo.retrofit import RetrofitResult
from dualcarbon.demo.workflow import dated, moment
from dualcarbon.monitoring import service_meters
from dualcarbon.projects import service_projects as projects
from dualcarbon.reference import ReferenceSet
from dualcarbon.store.db import session_scope
from dualcarbon.subsidies import service_applications as applications
from dualcarbon.subsidies import service_pools as pools
from dualcarbon.subsidies import service_review as review
from dualcarbon.subsidies.schemas import ApplicationIn, DecisionIn, EvidenceIn, PaymentIn, PoolIn

__all__ = ["InstrumentsResult", "build_instruments"]

BUDGET_YEAR = 2023  # the last year Longgang's pack is in force
POOL_NOTE = "演示金额（虚构，非官方预算）demo amount — invented, not an official budget"
#: rule → demo pool total, 元 (invented; see POOL_NOTE)
POOLS = {
    "pv": 2_000_000.0,
    "storage": 1_000_000.0,
    "green": 3_000_000.0,
    "diagnosis": 100_000.0,
    "retrofit": 10_000_000.0,
    "emc": 5_000_000.0,
}
PV_STATES = ("paid", "approved", "rejected", "submitted")  # the last one's evidence is after the pack: refused
STORAGE_STATES = ("in_review", "submitted")
REJECTION_NOTE = "并网模式为“全额上网”，不属于“自发自用、余量上网”项目，不予补贴（4、保障措施（二）2）"
Claim = tuple[str, EnterprisePlan, EvidenceIn]  # wanted state, applicant, evidence


def _apply(session: Session, actor: Principal, spec: ApplicationIn, reference: ReferenceSet, when: datetime) -> int:
    with dated(session, when):
        return applications.apply(session, actor, spec, reference).id


def _take_to(session: Session, city: Principal, application_id: int, state: str, when: datetime) -> None:
    """Decide an application up to ``state`` (in_review, approved, paid, rejected) at ``when`` and after."""
    steps = {
        "submitted": [],
        "in_review": ["review"],
        "approved": ["review", "approve"],
        "paid": ["review", "approve", "pay"],
        "rejected": ["review", "reject"],
    }[state]
    for number, step in enumerate(steps):
        with dated(session, when + timedelta(days=7 * number)):
            if step == "pay":
                review.pay(
                    session,
                    city,
                    application_id,
                    PaymentIn(
                        paid_on=(when + timedelta(days=7 * number)).date(), voucher=f"演示拨付-{application_id:04d}"
                    ),
                )
            else:
                note = REJECTION_NOTE if step == "reject" else None
                review.decide(session, city, application_id, DecisionIn(action=step, note=note))  # type: ignore[arg-type]


def _try_apply(
    session: Session,
    actor: Principal,
    spec: ApplicationIn,
    reference: ReferenceSet,
    when: datetime,
    result: InstrumentsResult,
    what: str,
) -> int | None:
    """Apply in a savepoint; a refusal (e.g. the pack expired on the evidence's date) is recorded, not raised."""
    try:
        with session.begin_nested():
            return _apply(session, actor, spec, reference, when)
    except InvalidInput as exc:
        result.not_applicable.append(f"{what}: {exc}")
        return None


def build_instruments(
    engine: Engine,
    plan: CityPlan,
    actors: Actors,
    reference: ReferenceSet,
    retrofit: RetrofitResult,
    *,
    monitoring_window: tuple[datetime, datetime] | None = None,
) -> InstrumentsResult:
    """The instruments stage of the demo (see the module docstring). ``monitoring_window``: the demo meters'
    first and last reading (Asia/Shanghai), when the demo has meters; the metered PV system reads inside it."""
    rng = random.Random(plan.spec.seed * 7919 + 11)
    city, region = actors["city"], plan.city[0]
    result = InstrumentsResult()
    with session_scope(engine) as session:
        monitored = list(dict.fromkeys(m.credit_code for m in service_meters.list_meters(session, SYSTEM)))
        # After the monitored one, the enterprises with a demo login (qiye1 …), so their users see instruments too.
        logins = [e.credit_code for e in plan.enterprises if e.index in actors.enterprise_users]
        chosen = pick_enterprises(plan, len(PV_SYSTEMS) + 1 + len(DATACENTRES) + 6, [*monitored[:1], *logins])
        pv_owners = [*chosen[1 : len(PV_SYSTEMS)], chosen[0]]  # the last system goes to a monitored enterprise
        window = monitoring_window if chosen[0].credit_code in monitored else None
        periods = build_pv(session, actors, plan, pv_owners, window, rng, reference, result)
        storage_owners = chosen[len(PV_SYSTEMS) - 1 : len(PV_SYSTEMS) + 1]  # the third PV owner also stores
        build_storage(session, actors, storage_owners, rng, result)
        dc_owners = chosen[len(PV_SYSTEMS) + 1 : len(PV_SYSTEMS) + 1 + len(DATACENTRES)]
        for spec, owner in zip(DATACENTRES, dc_owners, strict=True):
            build_datacentre(session, actors.filer(owner), owner, spec, plan.spec.years[-1], rng, reference, result)
        green_owners = chosen[len(PV_SYSTEMS) + 1 + len(DATACENTRES) :] + chosen
        designations = build_designations(session, city, plan, green_owners, result)
        for rule, total in POOLS.items():
            with dated(session, moment(BUDGET_YEAR, 3, 1)):
                pool = pools.create_pool(
                    session,
                    city,
                    PoolIn(
                        pack=PACK, rule=rule, year=BUDGET_YEAR, region_code=region, total_yuan=total, note=POOL_NOTE
                    ),
                )
            result.pool_ids.append(pool.id)
        claims = [
            *(
                (state, owner, EvidenceIn(kind="pv_generation", asset_id=pv_id, period_from=a, period_to=b))
                for state, owner, pv_id, (a, b) in zip(PV_STATES, pv_owners, result.pv_ids, periods, strict=True)
            ),
            *(
                (state, owner, EvidenceIn(kind="storage_discharge", asset_id=sid, period_from=a, period_to="2023-12"))
                for state, owner, sid, a in zip(
                    STORAGE_STATES, storage_owners, result.storage_ids, ("2023-01", "2023-07"), strict=True
                )
            ),
            *(
                (state, owner, EvidenceIn(kind="designation", designation_id=did))
                for did, state, owner in designations
                if state is not None
            ),
        ]
        _applications(session, actors, plan, claims, retrofit, reference, result)
    result.target_ids, result.warnings = build_targets(engine, plan, actors)
    return result


def _applications(
    session: Session,
    actors: Actors,
    plan: CityPlan,
    claims: list[Claim],
    retrofit: RetrofitResult,
    reference: ReferenceSet,
    result: InstrumentsResult,
) -> None:
    """Applications for the budget year 2023, filed from 15 January 2024 (one an hour) and decided from
    1 February 2024, a week per step; those the service refuses are listed in ``result.not_applicable``.
    The retrofit and EMC applications on projects of 2023 (:mod:`dualcarbon.demo.instruments_grants`) are
    filed in December 2023 and decided with the others."""
    city = actors["city"]
    rule_of = {"pv_generation": "pv", "storage_discharge": "storage", "designation": "green"}
    specs: list[tuple[str, Principal, ApplicationIn, str]] = []
    for state, owner, evidence in claims:
        spec = ApplicationIn(
            credit_code=owner.credit_code, pack=PACK, rule=rule_of[evidence.kind], year=BUDGET_YEAR, evidence=evidence
        )
        what = f"{evidence.kind} {evidence.asset_id or evidence.designation_id} of {owner.name}"
        specs.append((state, actors.filer(owner), spec, what))
    agency = agencies.list_agencies(session, city)
    accepted = retrofit.diagnoses.get("accepted", [])
    if agency and accepted:
        evidence = EvidenceIn(kind="diagnosis_reports", report_ids=accepted)
        spec = ApplicationIn(
            credit_code=agency[0].credit_code, pack=PACK, rule="diagnosis", year=BUDGET_YEAR, evidence=evidence
        )
        specs.append(("paid", actors["agency"], spec, f"{len(accepted)} accepted diagnoses of {agency[0].name}"))
    if retrofit.verified_id is not None:
        project = projects.get_project(session, city, retrofit.verified_id)
        declared = {"productivity_rise_pct": 21.0, "intensity_drop_pct": 4.5}  # declared by the applicant (demo)
        spec = ApplicationIn(
            credit_code=project.credit_code,
            pack=PACK,
            rule="retrofit",
            year=BUDGET_YEAR,
            evidence=EvidenceIn(kind="project", project_id=project.id),
            declared_facts=declared,
        )
        owner = next(e for e in plan.enterprises if e.credit_code == project.credit_code)
        what = f"verified project {project.id} (completed {project.completed_on})"
        specs.append(("approved", actors.filer(owner), spec, what))
    filed, decided = moment(2024, 1, 15), moment(2024, 2, 1)
    dates = [filed + timedelta(hours=number) for number in range(len(specs))]
    for state, spec, owner, on, what in build_grants(session, actors, plan, retrofit, reference, result.not_applicable):
        specs.append((state, actors.filer(owner), spec, what))
        dates.append(moment(on.year, on.month, on.day))
    for number, (state, applicant, spec, what) in enumerate(specs):
        made = _try_apply(session, applicant, spec, reference, dates[number], result, what)
        if made is None:
            continue
        _take_to(session, city, made, state, decided + timedelta(hours=number))
        result.applications.setdefault(state, []).append(made)
