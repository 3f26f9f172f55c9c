"""Who owes an energy audit or a diagnosis this year, with the filing status; accepted reports against goals.

The obligations themselves come from :func:`dualcarbon.catalog.service_obligations.list_obligations` (the
policy pack's rules over the enterprises' approved annual reports); this module adds, per enterprise and
obligation, where its report of that year stands:

* ``not_started`` (未开展) — no report of that kind and year, or only a draft;
* ``filed`` (已报送) — submitted or returned;
* ``accepted`` (已验收) — accepted.

Which pack: the one the caller names; else a shipped pack whose jurisdiction is the name of the region or of
one of its parents (``region``); else — no rules of that kind for the region — the first shipped pack that has
them (``fallback``, said in ``pack_basis`` so that a page can tell the reader and offer ``pack_choices``).

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
from dualcarbon.core.errors import InvalidInput, zh_en
from dualcarbon.reference.policy import PolicyPack, Target, list_packs, load_pack
from dualcarbon.registry.models import Enterprise, Region, in_region_subtree
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
        zh = "请选择地区（您的角色没有所属地区）"
        raise InvalidInput(
            zh_en(zh, "give region_code (your role has no region of its own)"), field="region_code", zh=zh
        )
    return roots[0]


def obligation_packs() -> list[str]:
    """Shipped packs with an audit or diagnosis obligation rule."""
    return [p for p in list_packs() if any(r.obligation in KIND_OF_OBLIGATION for r in load_pack(p).obligations)]


def goal_packs() -> list[str]:
    """Shipped packs with a yearly audit/diagnosis count target."""
    return [p for p in list_packs() if any(t.kind in GOAL_KINDS for t in load_pack(p).targets)]


def _region_names(session: Session, region_code: str) -> list[str]:
    names: list[str] = []
    code: str | None = region_code
    while code and len(names) < 8:
        region = session.get(Region, code)
        if region is None:
            break
        names.append(region.name)
        code = region.parent_code
    return names


def choose_pack(session: Session, region_code: str, candidates: list[str], pack: str | None) -> tuple[str, str]:
    """(pack id, basis): the named pack (``requested``), the region's own (``region``), or the first candidate."""
    if pack:
        return pack, "requested"
    names = set(_region_names(session, region_code))
    for candidate in candidates:
        if load_pack(candidate).jurisdiction in names:
            return candidate, "region"
    if not candidates:
        zh = "没有含此类规则的政策包，请指定政策包"
        raise InvalidInput(zh_en(zh, "no shipped policy pack has such rules; give pack"), field="pack", zh=zh)
    return candidates[0], "fallback"


def _status(report: AuditReport | None) -> str:
    if report is None or report.state == "draft":
        return "not_started"
    return "accepted" if report.state == "accepted" else "filed"


def obligations_status(
    session: Session, actor: Principal, year: int, *, region_code: str | None = None, pack: str | None = None
) -> ObligationsStatus:
    """Enterprises of the region that owe an audit or a diagnosis in ``year`` (applies or undetermined)."""
    region = default_region(actor, region_code)
    choices = obligation_packs()
    pack_id, basis = choose_pack(session, region, choices, pack)
    found = list_obligations(session, actor, region, year, pack_id)
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
    return ObligationsStatus(
        region_code=region,
        year=year,
        pack=found.pack.id,
        items=items,
        total=len(items),
        pack_title_zh=found.pack.title_zh,
        pack_basis=basis,
        pack_choices=choices,
    )


def goal_progress(
    session: Session, actor: Principal, year: int, *, region_code: str | None = None, pack: str | None = None
) -> list[GoalProgress]:
    """Each yearly report-count target of ``pack`` (by default the region's pack with such targets, else the
    first shipped one) against the accepted reports of the region in ``year``."""
    region = default_region(actor, region_code)
    require_region(session, actor, region, roles=("regulator", "reviewer"))
    policy = load_pack(choose_pack(session, region, goal_packs(), pack)[0])
    out: list[GoalProgress] = []
    for target in policy.targets:
        kind = GOAL_KINDS.get(target.kind)
        if kind is None:
            continue
        accepted = _accepted_count(session, region, year, kind)
        out.append(_progress(policy, target, year, accepted))
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


def _progress(policy: PolicyPack, target: Target, year: int, accepted: int) -> GoalProgress:
    share = accepted / target.value * 100.0 if target.value else 0.0
    return GoalProgress(
        pack=policy.id,
        pack_title_zh=policy.title_zh,
        pack_valid_to=policy.valid.valid_to,
        target_id=target.id,
        title_zh=target.title_zh,
        year=year,
        target=target.value,
        unit=target.unit,
        accepted=accepted,
        share_pct=round(share, 4),
        met=accepted >= target.value,
    )
