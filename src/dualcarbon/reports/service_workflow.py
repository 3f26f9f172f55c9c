"""Period-report workflow: create a draft, save new versions, submit, return, approve, lock, reopen.

States (``PeriodReport.state``)::

    draft ──submit──▶ submitted ──approve──▶ approved ──lock──▶ locked
      ▲                  │                     │                  │
      └──(edit)── returned ◀──return──┘        └──────reopen──────┘ (→ returned, with a comment)

Who may do what (scope from :mod:`dualcarbon.services.access`; a report outside the caller's read scope
is *not found*): create/edit/submit — the enterprise's own users, its assigned agencies, a regulator whose
region covers it (and admins); return/approve — a regulator or reviewer whose region covers it; lock and
reopen — a regulator whose region covers it. A transition from the wrong state is a ``Conflict``, and so is
one that lost a race: each transition and edit first claims the report's ``lock_version``
(:func:`dualcarbon.store.versioning.claim_row`), so of simultaneous reviewers exactly one wins. Every
transition writes a ``ReportReview`` row and an audit row; saving content writes a new immutable
``PeriodReportVersion`` only when the content hash changes, with its computed figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dualcarbon.core.access import ROLE_LABELS_ZH as ROLE_ZH
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualcarbon.core.vocab import ReportState, ReviewAction
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.registry.service_access import (
    can_access_enterprise,
    can_write_enterprise_data,
    region_in_scope,
    require_enterprise,
)
from dualcarbon.reports.models import (
    PeriodReport,
    PeriodReportVersion,
    ReportReview,
    content_hash_of,
)
from dualcarbon.reports.service_compute import compute_figures
from dualcarbon.reports.service_content import ReportContent, normalise_content, parse_content
from dualcarbon.reports.service_content_rows import flatten, from_rows, to_rows
from dualcarbon.reports.service_periods import check_period, period_label
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row

STATE_LABELS: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "draft"),
    "submitted": ("已提交", "submitted"),
    "returned": ("已退回", "returned"),
    "approved": ("已审核", "approved"),
    "locked": ("已锁定", "locked"),
}
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "create": ("创建", "created"),
    "update": ("修改", "edited"),
    "submit": ("提交", "submitted"),
    "return": ("退回", "returned"),
    "approve": ("审核通过", "approved"),
    "lock": ("锁定", "locked"),
    "reopen": ("重新打开", "reopened"),
}
EDITABLE_STATES: tuple[ReportState, ...] = ("draft", "returned")
#: The review actions as a person reads them in a refusal ("提交需要报告处于…").
ACTION_ZH: dict[str, str] = {key: zh for key, (zh, _) in ACTION_LABELS.items()} | {"editing": "修改"}


def state_label(state: str, language: str = "zh") -> str:
    zh, en = STATE_LABELS.get(state, (state, state))
    return en if language == "en" else zh


# ---- loading with scope --------------------------------------------------------------------------------


def load_report(session: Session, actor: Principal, report_id: int) -> PeriodReport:
    """The report if the actor may read its enterprise; ``NotFound`` otherwise (existence not revealed)."""
    report = session.get(PeriodReport, report_id)
    if report is None or not can_access_enterprise(session, actor, report.enterprise):
        raise NotFound(f"report {report_id} not found", zh="未找到该报告，或您无权查看")
    return report


def _require_writer(session: Session, actor: Principal, report: PeriodReport) -> None:
    if not can_write_enterprise_data(session, actor, report.enterprise):
        raise PermissionDenied(
            "only the enterprise, its agency or its regulator may change this report",
            zh="只有报告企业本身、其代理机构或主管部门可以修改此报告",
        )


def _require_reviewer(session: Session, actor: Principal, report: PeriodReport, roles: tuple[str, ...]) -> None:
    if actor.is_admin or region_in_scope(session, actor, report.enterprise.region_code, roles=roles):
        return
    if "reviewer" in roles and actor.is_unscoped_reviewer():
        return
    raise PermissionDenied(
        f"this action needs the role {'/'.join(roles)} for the enterprise's region",
        zh="此操作需要企业所在地区的" + "或".join(ROLE_ZH.get(r, r) for r in roles) + "权限",
    )


def _check_state(report: PeriodReport, action: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if report.state not in allowed:
        wanted = "/".join(f"{state_label(s)} ({s})" for s in allowed)
        raise Conflict(
            f"report {report.id} is {state_label(report.state)} ({report.state}); {action} needs {wanted}",
            field="state",
            zh=f"该报告当前为「{state_label(report.state)}」，{ACTION_ZH.get(action, action)}需要报告处于"
            + "或".join(f"「{state_label(s)}」" for s in allowed)
            + "状态，请刷新后查看",
        )


def province_name(session: Session, enterprise: Enterprise) -> str | None:
    """Name of the province (first code of the region path) the enterprise lies in."""
    region = session.get(Region, enterprise.region_code)
    if region is None:
        return None
    province = session.get(Region, region.path.split("/")[0])
    return province.name if province else None


# ---- versions ------------------------------------------------------------------------------------------


def _new_version(
    session: Session,
    actor: Principal,
    report: PeriodReport,
    content: ReportContent,
    number: int,
    reference: ReferenceSet,
) -> PeriodReportVersion:
    energy, outputs, economics = to_rows(content)
    computed = compute_figures(
        content,
        reference,
        year=report.year,
        province_name=province_name(session, report.enterprise),
        tolerance_pct=reference.report_deviation_tolerance_pct(),
    )
    version = PeriodReportVersion(
        report=report,
        version=number,
        created_by=actor.user_id,
        content_hash=content_hash_of(energy, outputs, economics),
        computed=computed,
        energy_lines=energy,
        output_lines=outputs,
        economics=economics,
    )
    session.add(version)
    session.flush()
    report.version = number
    report.current_version = version
    report.current_version_id = version.id
    return version


def current_content(report: PeriodReport) -> ReportContent:
    version = report.current_version
    if version is None:
        return ReportContent()
    return from_rows(version.energy_lines, version.output_lines, version.economics)


def create_report(
    session: Session,
    actor: Principal,
    credit_code: str,
    period_kind: str,
    year: int,
    period: int,
    content: ReportContent | dict[str, Any],
    *,
    reference: ReferenceSet | None = None,
) -> PeriodReport:
    """A new draft (version 1) of the enterprise's report for the period; ``Conflict`` if one exists."""
    enterprise = require_enterprise(session, actor, credit_code, write=True)
    reference = reference or load_reference()
    check_period(period_kind, year, period, reference=reference)
    normalised = normalise_content(session, enterprise, parse_content(content), reference)
    existing = session.scalar(
        select(PeriodReport.id).where(
            PeriodReport.enterprise_id == enterprise.id,
            PeriodReport.period_kind == period_kind,
            PeriodReport.year == year,
            PeriodReport.period == period,
        )
    )
    if existing is not None:
        raise Conflict(
            f"a {period_kind} report {year}/{period} already exists (id {existing}); edit that one",
            zh=f"{period_label(period_kind, year, period)}的报告已经存在，请打开并修改该报告",
        )
    report = PeriodReport(
        enterprise_id=enterprise.id,
        enterprise=enterprise,
        period_kind=period_kind,
        year=year,
        period=period,
        state="draft",
        version=1,
    )
    session.add(report)
    try:
        session.flush()
    except IntegrityError:  # another writer created the same period's report meanwhile
        raise Conflict(
            f"a {period_kind} report {year}/{period} already exists; edit that one",
            zh=f"{period_label(period_kind, year, period)}的报告已经存在，请打开并修改该报告",
        ) from None
    version = _new_version(session, actor, report, normalised, 1, reference)
    after = {
        "enterprise": enterprise.credit_code,
        "period_kind": period_kind,
        "year": year,
        "period": period,
        "state": "draft",
        "version": 1,
        "content_hash": version.content_hash,
    }
    append_audit(session, actor.username, "report.create", "period_report", report.id, None, after)
    return report


def update_draft(
    session: Session,
    actor: Principal,
    report_id: int,
    content: ReportContent | dict[str, Any],
    *,
    reference: ReferenceSet | None = None,
) -> tuple[PeriodReport, bool]:
    """Save content of a draft/returned report: a new version when it differs, else nothing.

    Returns the report and whether a version was added.
    """
    report = load_report(session, actor, report_id)
    _require_writer(session, actor, report)
    _check_state(report, "editing", EDITABLE_STATES)
    reference = reference or load_reference()
    normalised = normalise_content(session, report.enterprise, parse_content(content), reference)
    current = report.current_version
    if current is not None and current.content_hash == content_hash_of(*to_rows(normalised)):
        return report, False
    before_content = current_content(report)
    old = flatten(before_content)
    new = flatten(normalised)
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    before = {"version": report.version, "content_hash": current.content_hash if current else None}
    claim_row(session, report, what=f"report {report.id}")  # no edit slips in beside a submit or another edit
    version = _new_version(session, actor, report, normalised, report.version + 1, reference)
    after = {"version": version.version, "content_hash": version.content_hash, "changed": changed[:50]}
    append_audit(session, actor.username, "report.update", "period_report", report.id, before, after)
    return report, True


# ---- transitions -----------------------------------------------------------------------------------------


def _transition(
    session: Session,
    actor: Principal,
    report: PeriodReport,
    action: ReviewAction,
    new_state: ReportState,
    comment: str | None,
) -> PeriodReport:
    old_state = report.state
    claim_row(session, report, what=f"report {report.id}")  # one winner when two reviewers act at once
    report.state = new_state
    now = utcnow()
    if action == "submit":
        report.submitted_at = now
    elif action == "approve":
        report.approved_at = now
    session.add(
        ReportReview(
            report_id=report.id,
            version=report.version,
            action=action,
            comment=comment,
            actor_user_id=actor.user_id,
            at=now,
        )
    )
    session.flush()
    append_audit(
        session,
        actor.username,
        f"report.{action}",
        "period_report",
        report.id,
        {"state": old_state, "version": report.version},
        {"state": new_state, "version": report.version, "comment": comment},
    )
    return report


def _required_comment(comment: str | None, action: str) -> str:
    text = (comment or "").strip()
    if not text:
        raise InvalidInput(f"{action} needs a comment saying why", field="comment", zh="请填写意见，说明原因")
    return text


def _optional_comment(comment: str | None) -> str | None:
    return (comment or "").strip() or None


def submit(session: Session, actor: Principal, report_id: int, comment: str | None = None) -> PeriodReport:
    """draft | returned → submitted (the enterprise, its agency, or its regulator); needs an energy line."""
    report = load_report(session, actor, report_id)
    _require_writer(session, actor, report)
    _check_state(report, "submit", EDITABLE_STATES)
    if report.current_version is None or not report.current_version.energy_lines:
        raise InvalidInput(
            "a report needs at least one energy line before it is submitted",
            field="energy_lines",
            zh="报告至少需要一行能源消费数据才能提交",
        )
    return _transition(session, actor, report, "submit", "submitted", _optional_comment(comment))


def return_report(session: Session, actor: Principal, report_id: int, comment: str | None) -> PeriodReport:
    """submitted → returned with a required comment (regulator or reviewer in scope)."""
    report = load_report(session, actor, report_id)
    _require_reviewer(session, actor, report, ("regulator", "reviewer"))
    text = _required_comment(comment, "returning a report")
    _check_state(report, "return", ("submitted",))
    return _transition(session, actor, report, "return", "returned", text)


def approve(session: Session, actor: Principal, report_id: int, comment: str | None = None) -> PeriodReport:
    """submitted → approved (regulator or reviewer in scope)."""
    report = load_report(session, actor, report_id)
    _require_reviewer(session, actor, report, ("regulator", "reviewer"))
    _check_state(report, "approve", ("submitted",))
    return _transition(session, actor, report, "approve", "approved", _optional_comment(comment))


def lock(session: Session, actor: Principal, report_id: int, comment: str | None = None) -> PeriodReport:
    """approved → locked (regulator in scope): the figures are final for catalogs and statistics."""
    report = load_report(session, actor, report_id)
    _require_reviewer(session, actor, report, ("regulator",))
    _check_state(report, "lock", ("approved",))
    return _transition(session, actor, report, "lock", "locked", _optional_comment(comment))


def reopen(session: Session, actor: Principal, report_id: int, comment: str | None) -> PeriodReport:
    """approved | locked → returned with a required comment (regulator in scope), e.g. after an appeal,
    so the enterprise corrects the figures in a new version instead of anyone editing them in place.
    """
    report = load_report(session, actor, report_id)
    _require_reviewer(session, actor, report, ("regulator",))
    text = _required_comment(comment, "reopening a report")
    _check_state(report, "reopen", ("approved", "locked"))
    return _transition(session, actor, report, "reopen", "returned", text)
