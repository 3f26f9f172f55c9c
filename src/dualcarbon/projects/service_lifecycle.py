"""Project lifecycle: approve, start, complete, exit; overdue marking; the exit list; milestones and flags.

States (``RetrofitProject.state``)::

    proposed ──approve──▶ approved ──start──▶ in_progress ──complete──▶ completed ──verification──▶ verified
        │                    │                    │      ▲
        └────────────────────┴──(deadline passes)─┴─▶ overdue ──complete─┘
    any state before completed ──exit (regulator)──▶ exited

* approve and exit: a regulator over the enterprise's region (or admin);
* start and complete: whoever may write the enterprise's data (its users, agency, regulator);
* :func:`mark_overdue`: projects whose deadline has passed (Asia/Shanghai date) without completion become
  overdue — run by a regulator (or the CLI);
* :func:`exit_candidates`: projects lifting a 基准以下 entry whose deadline passed while no later published
  catalog places that enterprise's product at or above the baseline — listed for exit (Yunnan:
  逾期未完成改造的 … 淘汰退出). Nothing is exited automatically: the regulator decides.

Every change claims ``lock_version`` (of two simultaneous actions one wins, the other gets 409) and is audited.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, NotFound, PermissionDenied, zh_en
from dualcarbon.core.localtime import to_local
from dualcarbon.core.vocab import BACKWARD_TIERS, PROJECT_STATE_ZH
from dualcarbon.projects.models import RetrofitProject
from dualcarbon.projects.schemas import ExitCandidate, ProjectOut, TransitionIn
from dualcarbon.projects.service_projects import load_project, project_out
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter, region_in_scope
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row

#: action → (states it starts from, state it leads to, needs a regulator)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "approve": (("proposed",), "approved", True),
    "start": (("approved",), "in_progress", False),
    "complete": (("in_progress", "overdue"), "completed", False),
    "exit": (("proposed", "approved", "in_progress", "overdue"), "exited", True),
}
OPEN_STATES = ("proposed", "approved", "in_progress")


def today_local() -> date:
    return to_local(utcnow()).date()


def require_regulator(session: Session, actor: Principal, project: RetrofitProject) -> None:
    enterprise = session.get(Enterprise, project.enterprise_id)
    if actor.is_admin or (enterprise is not None and region_in_scope(session, actor, enterprise.region_code)):
        return
    zh = "该操作须由企业所在地区的主管部门（监管人员）执行"
    raise PermissionDenied(zh_en(zh, "this action needs the regulator of the enterprise's region"), zh=zh)


def check_seen(project: RetrofitProject, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != project.lock_version:
        zh = (
            f"项目 {project.id} 已被他人修改（当前版本 {project.lock_version}，您加载的是 {lock_version}），"
            "请刷新后重试"
        )
        raise Conflict(
            zh_en(
                zh,
                f"project {project.id} was changed by someone else meanwhile (version {project.lock_version}, "
                f"you loaded {lock_version}); reload it and try again",
            ),
            field="lock_version",
            zh=zh,
        )


def transition(session: Session, actor: Principal, project_id: int, spec: TransitionIn) -> ProjectOut:
    """Apply ``spec.action`` to the project (see the table in the module docstring)."""
    sources, target, regulator_only = TRANSITIONS[spec.action]
    project = load_project(session, actor, project_id, write=not regulator_only)
    if regulator_only:
        require_regulator(session, actor, project)
    if project.state not in sources:
        zh = f"项目当前状态为{PROJECT_STATE_ZH[project.state]}，不能执行该操作"
        en = f"project {project.id} is {project.state}; {spec.action} needs {'/'.join(sources)}"
        raise Conflict(zh_en(zh, en), field="state", zh=zh)
    check_seen(project, spec.lock_version)
    claim_row(session, project, what=f"project {project.id}")
    before = {"state": project.state}
    project.state = target  # type: ignore[assignment]
    after: dict[str, object] = {"state": target, "reason": spec.reason}
    if spec.action == "complete":
        project.completed_on = spec.completed_on or today_local()
        after["completed_on"] = project.completed_on
    if spec.action == "start" and project.start_date is None:
        project.start_date = today_local()
    session.flush()
    append_audit(session, actor.username, f"project.{spec.action}", "retrofit_project", project.id, before, after)
    return project_out(session, project)


def set_demonstration(
    session: Session, actor: Principal, project_id: int, demonstration: bool, *, lock_version: int | None = None
) -> ProjectOut:
    """示范项目: a regulator sets or clears the flag."""
    project = load_project(session, actor, project_id)
    require_regulator(session, actor, project)
    check_seen(project, lock_version)
    claim_row(session, project, what=f"project {project.id}")
    before = {"demonstration": project.demonstration}
    project.demonstration = demonstration
    append_audit(
        session,
        actor.username,
        "project.demonstration",
        "retrofit_project",
        project.id,
        before,
        {"demonstration": demonstration},
    )
    return project_out(session, project)


def set_milestone_done(
    session: Session, actor: Principal, project_id: int, milestone_id: int, done: bool, done_on: date | None = None
) -> ProjectOut:
    project = load_project(session, actor, project_id, write=True)
    milestone = next((m for m in project.milestones if m.id == milestone_id), None)
    if milestone is None:
        zh = "该项目没有此里程碑"
        raise NotFound(zh_en(zh, f"milestone {milestone_id} not found"), field="milestone_id", zh=zh)
    claim_row(session, project, what=f"project {project.id}")
    before = {"milestone": milestone.id, "done": milestone.done}
    milestone.done = done
    milestone.done_on = (done_on or today_local()) if done else None
    append_audit(
        session,
        actor.username,
        "project.milestone",
        "retrofit_project",
        project.id,
        before,
        {"milestone": milestone.id, "done": done},
    )
    return project_out(session, project)


def mark_overdue(session: Session, actor: Principal, today: date | None = None) -> list[int]:
    """Projects in the actor's write scope whose deadline is before ``today`` and not completed → overdue."""
    day = today or today_local()
    rows = session.scalars(
        select(RetrofitProject)
        .join(Enterprise, Enterprise.id == RetrofitProject.enterprise_id)
        .where(
            enterprise_filter(actor, write=True),
            RetrofitProject.state.in_(OPEN_STATES),
            RetrofitProject.deadline.is_not(None),
            RetrofitProject.deadline < day,
        )
        .order_by(RetrofitProject.id)
    )
    changed: list[int] = []
    for project in rows:
        claim_row(session, project, what=f"project {project.id}")
        before = {"state": project.state}
        project.state = "overdue"
        append_audit(
            session,
            actor.username,
            "project.overdue",
            "retrofit_project",
            project.id,
            before,
            {"state": "overdue", "as_of": day},
        )
        changed.append(project.id)
    session.flush()
    return changed


def _lifted(session: Session, entry: CatalogEntry, listed_on: date | None) -> bool:
    """True when a later published catalog places the same enterprise and product outside the backward tiers."""
    query = (
        select(CatalogEntry.tier, Catalog.published_at)
        .join(Catalog, Catalog.id == CatalogEntry.catalog_id)
        .where(
            CatalogEntry.enterprise_id == entry.enterprise_id,
            CatalogEntry.benchmark_row_id == entry.benchmark_row_id,
            Catalog.published_at.is_not(None),
            Catalog.id != entry.catalog_id,
        )
        .order_by(Catalog.published_at.desc())
    )
    for tier, published_at in session.execute(query):
        if published_at is None or (listed_on is not None and to_local(published_at).date() <= listed_on):
            continue
        return tier not in BACKWARD_TIERS and tier != "undetermined"
    return False


def exit_candidates(session: Session, actor: Principal, today: date | None = None) -> list[ExitCandidate]:
    """Below-baseline projects past their deadline whose unit has not reached the baseline: listed for exit."""
    day = today or today_local()
    rows = session.execute(
        select(RetrofitProject, Enterprise, CatalogEntry)
        .join(Enterprise, Enterprise.id == RetrofitProject.enterprise_id)
        .join(CatalogEntry, CatalogEntry.id == RetrofitProject.catalog_entry_id)
        .where(
            enterprise_filter(actor),
            RetrofitProject.state != "exited",
            RetrofitProject.deadline.is_not(None),
            RetrofitProject.deadline < day,
        )
        .order_by(RetrofitProject.id)
    )
    out: list[ExitCandidate] = []
    for project, enterprise, entry in rows:
        if _lifted(session, entry, project.listed_on):
            continue
        assert project.deadline is not None
        out.append(
            ExitCandidate(
                project_id=project.id,
                credit_code=enterprise.credit_code,
                enterprise_name=enterprise.name,
                catalog_entry_id=entry.id,
                product=entry.product,
                listed_on=project.listed_on,
                deadline=project.deadline,
                state=project.state,
                reason=f"期限 {project.deadline} 已过，尚无清单显示该产品达到基准水平",
            )
        )
    return out
