"""The obligations list of a region (谁须开展能源审计、节能诊断、建设能源管理中心 …) for one year.

Owns turning registry and report data into the facts a policy pack tests, and listing the result per
enterprise. The rules and thresholds are the pack's (``reference/policies/*.yaml``, evaluated by
:mod:`dualcarbon.domain.obligations`); nothing here knows a threshold.

Facts per enterprise:

* ``annual_energy_tce`` — 综合能耗 of its latest approved annual report of ``year`` (the same input rule as
  the catalog: the current version of an approved/locked report, else the version of its latest approval),
  taken from the figures computed when the version was stored (``computed.energy.<basis>.total_tce``,
  当量值 ``equivalent`` by default, 等价值 ``equal`` on request);
* ``above_designated_size`` — the registry's 规上 flag; ``land_area_mu`` — its land area when recorded;
* ``designated_by_province`` — the registry's 重点用能单位 flag (set by the regulator from the provincial list).

Enterprises of the region without an approved annual report for the year are listed too, with no figure
and the reason: rules on the consumption are ``undetermined`` for them (rules on other facts, e.g. 规上,
still apply), so the list shows its own gaps.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.catalog.schemas import (
    ConditionCheckOut,
    EnterpriseObligations,
    FindingOut,
    ObligationsList,
    PackSummary,
    RuleSource,
)
from dualcarbon.catalog.service_inputs import approved_version_ids, chunks
from dualcarbon.catalog.service_schedule import check_report_year
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.obligations import FactValue, ObligationFinding, evaluate_rules, obligations_for
from dualcarbon.reference.policy import PolicyPack, load_pack
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.registry.models import Enterprise, Region, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_region
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion
from dualcarbon.reports.schemas import Unavailable, computed_of

OBLIGATION_ZH = {
    "key_energy_using_unit": "重点用能单位",
    "energy_audit": "能源审计",
    "energy_saving_diagnosis": "节能诊断",
    "energy_management_centre": "能源管理中心建设",
    "high_consumption_screening": "高耗能企业排查",
    "data_centre_consolidation": "数据中心整合改造",
}
STATUS_ZH = {"applies": "适用", "undetermined": "待定（缺少事实）", "does_not_apply": "不适用"}
BASES = ("equivalent", "equal")
BASIS_ZH = {"equivalent": "当量值", "equal": "等价值"}


def finding_out(finding: ObligationFinding) -> FindingOut:
    """One obligation with its rule id, status, the conditions as tested and the source clause text."""
    return FindingOut(
        obligation=finding.obligation,
        obligation_zh=OBLIGATION_ZH.get(finding.obligation, finding.obligation),
        title_zh=finding.title_zh,
        status=finding.status,
        status_zh=STATUS_ZH.get(finding.status, finding.status),
        rule_id=finding.rule_id,
        pack_id=finding.pack_id,
        checks=[
            ConditionCheckOut(fact=c.fact, condition=c.condition, value=c.value, met=c.met) for c in finding.checks
        ],
        missing_facts=list(finding.missing_facts),
        source=RuleSource(
            document=finding.source.document,
            clause=finding.source.clause,
            text=finding.source.text,
            clause_en=finding.source.clause_en,
            text_en=finding.source.text_en,
        ),
    )


def _total_tce(computed: dict[str, Any] | None, basis: str) -> tuple[float | None, str | None]:
    if not computed:
        return None, f"综合能耗（{BASIS_ZH[basis]}）not computed for this report version"
    energy = getattr(computed_of(computed).energy, basis)
    if isinstance(energy, Unavailable):
        return None, energy.reason
    return energy.total_tce, None


def facts_of(enterprise: Enterprise, tce: float | None) -> dict[str, FactValue]:
    facts: dict[str, FactValue] = {
        "above_designated_size": bool(enterprise.above_scale),
        "designated_by_province": bool(enterprise.key_energy_user),
    }
    if enterprise.land_area_mu is not None:
        facts["land_area_mu"] = float(enterprise.land_area_mu)
    if tce is not None:
        facts["annual_energy_tce"] = tce
    return facts


def list_obligations(
    session: Session,
    actor: Principal,
    region_code: str,
    year: int,
    pack: str | PolicyPack = "national",
    *,
    basis: str = "equivalent",
    reference: ReferenceSet | None = None,
) -> ObligationsList:
    """The obligations of every enterprise in ``region_code``'s subtree for ``year`` under ``pack``.

    Needs a regulator (or reviewer) whose subtree contains the region, else NotFound. Returns the pack and
    its document, the basis, and ``items`` (one per enterprise, sorted by region then credit code).
    """
    require_region(session, actor, region_code, roles=("regulator", "reviewer"))
    if basis not in BASES:
        raise InvalidInput(f"basis must be one of {', '.join(BASES)}", field="basis", zh="未知的义务判定依据")
    check_report_year(year, reference or load_reference())
    policy = pack if isinstance(pack, PolicyPack) else load_pack(pack)
    enterprises = list(
        session.scalars(
            select(Enterprise)
            .where(in_region_subtree(Enterprise.region_code.expression, region_code), enterprise_filter(actor))
            .order_by(Enterprise.region_code, Enterprise.credit_code)
        )
    )
    version_ids = approved_version_ids(session, region_code, year)
    by_enterprise: dict[int, tuple[PeriodReportVersion, PeriodReport]] = {}
    for chunk in chunks(version_ids):
        rows = session.execute(
            select(PeriodReportVersion, PeriodReport)
            .join(PeriodReport, PeriodReport.id == PeriodReportVersion.report_id)
            .where(PeriodReportVersion.id.in_(chunk))
        )
        for version, report in rows:
            by_enterprise[report.enterprise_id] = (version, report)
    region_query = select(Region.code, Region.name).where(Region.code.in_({e.region_code for e in enterprises}))
    names = {code: name for code, name in session.execute(region_query)} if enterprises else {}
    items: list[EnterpriseObligations] = []
    for enterprise in enterprises:
        found = by_enterprise.get(enterprise.id)
        tce, reason = (
            (None, f"no approved annual report for {year}") if found is None else _total_tce(found[0].computed, basis)
        )
        if tce is not None:
            findings = obligations_for(tce, policy, facts_of(enterprise, None))
        else:  # rules on other facts still apply; those on the consumption are undetermined
            findings = [f for f in evaluate_rules(policy, facts_of(enterprise, None)) if f.status != "does_not_apply"]
        items.append(
            EnterpriseObligations(
                credit_code=enterprise.credit_code,
                name=enterprise.name,
                region_code=enterprise.region_code,
                region_name=names.get(enterprise.region_code),
                annual_energy_tce=tce,
                report_id=found[1].id if found else None,
                report_version=found[0].version if found else None,
                note=reason,
                obligations=[finding_out(f) for f in findings],
            )
        )
    return ObligationsList(
        region_code=region_code,
        year=year,
        basis=basis,
        basis_zh=BASIS_ZH[basis],
        pack=PackSummary(
            id=policy.id,
            title_zh=policy.title_zh,
            jurisdiction=policy.jurisdiction,
            document=policy.document.title,
            number=policy.document.number,
        ),
        items=items,
        total=len(items),
    )
