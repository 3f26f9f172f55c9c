"""Who owes an energy audit or a diagnosis this year, with the filing status; accepted reports against goals.

The obligations themselves come from :func:`dualcarbon.catalog.service_obligations.list_obligations` (the
policy pack's rules over the enterprises' approved annual reports); this module adds, per enterprise and
obligation, where its report of that year stands:

* ``not_started`` (未开展) — no report of that kind and year, or only a draft;
* ``filed`` (已报送) — submitted or returned;
* ``accepted`` (已验收) — accepted.

Goals: a pack's yearly target (Longgang: 40 diagnoses a year, ``longgang-2022.target.diagnoses-per-year``)
compared with the accepted reports of that kind in the region and year.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.audits.models import AuditReport
from dualcarbon.audits.schemas import GoalProgress, ObligationsStatus, ObligationStatus
from dualcarbon.catalog.service_obligations import list_obligations
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.policy import Target, load_pack
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import require_region

KIND_OF_OBLIGATION = {"energy_audit": "audit", "energy_saving_diagnosis": "diagnosis"}
STATUS_ZH = {"not_started": "未开展", "filed": "已报送", "accepted": "已验收"}
#: target kinds counted by accepted reports, and the report kind each counts
GOAL_KINDS = {"energy_saving_diagnoses_per_year": "diagnosis", "energy_audits_per_year": "audit"}


def default_region(actor: Principal, region_code: str | None) -> str:
    if region_code:
        return region_code
    roots = actor.region_roots("regulator", "reviewer")
    if not roots:
        raise InvalidInput("give region_code (your role has no region of its own)", field="region_code")
    return roots[0]


def _status(report: AuditReport | None) -> str:
    if report is None or report.state == "draft":
        return "not_started"
    return "accepted" if report.state == "accepted" else "filed"


def obligations_status(
    session: Session, actor: Principal, year: int, *, region_code: str | None = None, pack: str = "national"
) -> ObligationsStatus:
    """Enterprises of the region that owe an audit or a diagnosis in ``year`` (applies or undetermined)."""
    region = default_region(actor, region_code)
    found = list_obligations(session, actor, region, year, pack)
    codes = [item.credit_code for item in found.items]
    reports: dict[tuple[str, str], AuditReport] = {}
    if codes:
        rows = session.execute(
            select(AuditReport, Enterprise.credit_code)
            .join(Enterprise, Enterprise.id == AuditReport.enterprise_id)
            .where(AuditReport.year == year, Enterprise.credit_code.in_(codes))
            .order_by(AuditReport.id)
        )
        rank = {"draft": 0, "returned": 1, "submitted": 2, "accepted": 3}
        for report, code in rows:
            key = (code, report.kind)
            if key not in reports or rank[report.state] >= rank[reports[key].state]:
                reports[key] = report
    items: list[ObligationStatus] = []
    for item in found.items:
        for finding in item.obligations:
            kind = KIND_OF_OBLIGATION.get(finding.obligation)
            if kind is None or finding.status == "does_not_apply":
                continue
            filed = reports.get((item.credit_code, kind))
            status = _status(filed)
            items.append(
                ObligationStatus(
                    credit_code=item.credit_code,
                    name=item.name,
                    region_code=item.region_code,
                    obligation=finding.obligation,
                    obligation_zh=finding.obligation_zh,
                    rule_id=finding.rule_id,
                    pack_id=finding.pack_id,
                    finding=finding.status,
                    status=status,
                    status_zh=STATUS_ZH[status],
                    report_id=filed.id if filed is not None and status != "not_started" else None,
                )
            )
    return ObligationsStatus(region_code=region, year=year, pack=found.pack.id, items=items, total=len(items))


def goal_progress(
    session: Session, actor: Principal, year: int, *, region_code: str | None = None, pack: str = "longgang-2022"
) -> list[GoalProgress]:
    """Each yearly report-count target of ``pack`` against the accepted reports of the region in ``year``."""
    region = default_region(actor, region_code)
    require_region(session, actor, region, roles=("regulator", "reviewer"))
    policy = load_pack(pack)
    out: list[GoalProgress] = []
    for target in policy.targets:
        kind = GOAL_KINDS.get(target.kind)
        if kind is None:
            continue
        accepted = _accepted_count(session, region, year, kind)
        out.append(_progress(policy.id, target, year, accepted))
    return out


def _accepted_count(session: Session, region: str, year: int, kind: str) -> int:
    query = (
        select(func.count(AuditReport.id))
        .join(Enterprise, Enterprise.id == AuditReport.enterprise_id)
        .where(
            AuditReport.year == year,
            AuditReport.kind == kind,
            AuditReport.state == "accepted",
            in_region_subtree(Enterprise.region_code.expression, region),
        )
    )
    return int(session.scalar(query) or 0)


def _progress(pack_id: str, target: Target, year: int, accepted: int) -> GoalProgress:
    share = accepted / target.value * 100.0 if target.value else 0.0
    return GoalProgress(
        pack=pack_id,
        target_id=target.id,
        title_zh=target.title_zh,
        year=year,
        target=target.value,
        unit=target.unit,
        accepted=accepted,
        share_pct=round(share, 4),
        met=accepted >= target.value,
    )
