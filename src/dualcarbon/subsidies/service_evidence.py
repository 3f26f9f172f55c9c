"""The facts an application's evidence gives, the claim keys it takes, and the date it speaks for.

Evidence kinds and the facts they give (the rule keeps those it declares; the applicant declares the rest):

* ``project`` — a *verified* retrofit project of the applicant: ``investment_yuan`` (the project's),
  ``annual_saving_tce`` (its M&V-verified saving, tce/a); claim ``project:<id>``; date: its completion.
* ``pv_generation`` / ``storage_discharge`` — an asset of the applicant and whole months: ``mode`` and
  ``connected_to_platform`` (the register), ``generation_kwh`` / ``discharge_kwh`` (Σ of the months, metered or
  reported; every month must have a figure); claims ``pv:<id>:<YYYY-MM>`` per month; date: the last month's end.
* ``diagnosis_reports`` — accepted diagnosis reports filed by the applying agency: ``accepted_reports``
  (their count); claims ``audit_report:<id>``; date: the latest acceptance.
* ``designation`` — a green designation of the applicant: ``level``, ``kind``; claim ``designation:<id>``;
  date: 31 December of its year.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.assets.models import GreenDesignation
from dualcarbon.assets.schemas import parse_month
from dualcarbon.assets.service_pv import generation
from dualcarbon.assets.service_storage import discharge
from dualcarbon.audits.models import Agency, AuditReport
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, NotFound
from dualcarbon.core.localtime import to_local
from dualcarbon.projects.service_projects import load_project
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.subsidies.schemas import EvidenceIn


@dataclass
class Applicant:
    """Who applies: an enterprise or a service agency, and the region its application belongs to."""

    credit_code: str
    name: str
    region_code: str
    enterprise: Enterprise | None = None
    agency: Agency | None = None


@dataclass
class EvidenceFacts:
    facts: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    claims: list[str] = field(default_factory=list)
    on: date | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def _need(value: Any, name: str) -> Any:
    if value is None:
        raise InvalidInput(f"evidence of this kind needs '{name}'", field=f"evidence.{name}")
    return value


def _own_enterprise(applicant: Applicant, enterprise_id: int, what: str) -> None:
    if applicant.enterprise is None or applicant.enterprise.id != enterprise_id:
        raise InvalidInput(
            f"{what} does not belong to the applicant {applicant.credit_code}",
            field="evidence",
            zh="证明材料不属于申报单位",
        )


def evidence_facts(
    session: Session, actor: Principal, applicant: Applicant, spec: EvidenceIn, reference: ReferenceSet
) -> EvidenceFacts:
    out = EvidenceFacts(summary=spec.model_dump(exclude_defaults=True))
    if spec.kind == "project":
        project = load_project(session, actor, _need(spec.project_id, "project_id"))
        _own_enterprise(applicant, project.enterprise_id, f"project {project.id}")
        if project.state != "verified" or project.verified_tce_per_year is None:
            raise InvalidInput(
                f"project {project.id} is {project.state}: only a project with a verified saving (M&V) is evidence",
                field="evidence.project_id",
                zh="项目尚未完成节能量核定，不能作为申报依据",
            )
        if project.investment_yuan is None:
            raise InvalidInput(f"project {project.id} has no investment recorded", field="evidence.project_id")
        out.facts = {"investment_yuan": project.investment_yuan, "annual_saving_tce": project.verified_tce_per_year}
        out.sources = {
            "investment_yuan": f"project {project.id} investment_yuan",
            "annual_saving_tce": f"project {project.id} verified_tce_per_year (M&V)",
        }
        out.claims = [f"project:{project.id}"]
        out.on = project.completed_on
    elif spec.kind in ("pv_generation", "storage_discharge"):
        asset_id = _need(spec.asset_id, "asset_id")
        first, last = _need(spec.period_from, "period_from"), _need(spec.period_to, "period_to")
        if spec.kind == "pv_generation":
            pv, enterprise, energy = generation(session, actor, asset_id, first, last, reference)
            prefix, fact = "pv", "generation_kwh"
            out.facts = {"mode": pv.connection_mode, "connected_to_platform": pv.connected_to_platform}
            out.sources = {  # English like the other sources; pages say them in Chinese (domain/rules_zh.where_zh)
                "mode": f"pv {pv.id} grid-connection mode",
                "connected_to_platform": f"pv {pv.id} connected to the city platform",
            }
        else:
            _, enterprise, energy = discharge(session, actor, asset_id, first, last, reference)
            prefix, fact = "storage", "discharge_kwh"
        _own_enterprise(applicant, enterprise.id, f"{prefix} asset {asset_id}")
        if energy.total_kwh is None:
            raise InvalidInput(
                f"no figure for month(s) {', '.join(energy.missing_months)} of {prefix} {asset_id}",
                field="evidence.period_from",
                zh=f"以下月份无计量或填报数据：{'、'.join(energy.missing_months)}",
            )
        how = sorted({m.source for m in energy.months})
        out.facts[fact] = energy.total_kwh
        out.sources[fact] = f"{prefix} {asset_id} {energy.period_from}…{energy.period_to} ({'/'.join(how)})"
        out.claims = [f"{prefix}:{asset_id}:{m.month}" for m in energy.months]
        year, month = parse_month(energy.period_to)
        out.on = date(year, month, calendar.monthrange(year, month)[1])
        out.summary["months"] = [m.model_dump() for m in energy.months]
    elif spec.kind == "diagnosis_reports":
        if applicant.agency is None:
            raise InvalidInput("diagnosis reports are applied for by the agency that filed them", field="credit_code")
        if not spec.report_ids or len(set(spec.report_ids)) != len(spec.report_ids):
            raise InvalidInput("give each report id once", field="evidence.report_ids")
        dates = []
        for index, report_id in enumerate(spec.report_ids):
            report = session.get(AuditReport, report_id)
            where = f"evidence.report_ids[{index}]"
            if report is None or report.agency_id != applicant.agency.id:
                raise NotFound(f"report {report_id} of agency {applicant.credit_code} not found").at(where)
            if report.kind != "diagnosis" or report.state != "accepted":
                raise InvalidInput(f"report {report_id} is a {report.state} {report.kind}", field=where)
            if report.decided_at is not None:
                dates.append(to_local(report.decided_at).date())
        out.facts = {"accepted_reports": len(spec.report_ids)}
        out.sources = {"accepted_reports": f"accepted diagnosis reports {sorted(spec.report_ids)}"}
        out.claims = [f"audit_report:{i}" for i in sorted(spec.report_ids)]
        out.on = max(dates) if dates else None
    else:
        row = session.get(GreenDesignation, _need(spec.designation_id, "designation_id"))
        if row is None or row.enterprise_id is None:
            raise InvalidInput("not a designation of an enterprise", field="evidence.designation_id")
        _own_enterprise(applicant, row.enterprise_id, f"designation {row.id}")
        out.facts = {"level": row.level, "kind": row.kind}
        out.sources = {"level": f"designation {row.id} level", "kind": f"designation {row.id} kind"}
        out.claims = [f"designation:{row.id}"]
        out.on = date(row.year, 12, 31)
    return out


def find_applicant(session: Session, credit_code: str) -> Applicant | None:
    code = credit_code.strip().upper()
    enterprise = session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    if enterprise is not None:
        return Applicant(code, enterprise.name, enterprise.region_code, enterprise=enterprise)
    agency = session.scalar(select(Agency).where(Agency.credit_code == code))
    if agency is not None:
        return Applicant(code, agency.name, agency.region_code, agency=agency)
    return None
