"""Imported catalogues: the obsolete-equipment list (淘汰目录) and the technology catalogue (节能技术推荐目录).

Both are official lists the platform does not invent: an administrator imports them from .xlsx/.csv
(templates in ``equipment/templates/``, columns in docs/equipment.md). Imports are validated row by row,
all or nothing, idempotent on their key — (catalogue, entry code) for the obsolete list, ``code`` for a
technology — and audited per created or changed entry. Any signed-in user may read and search them.

Obsolete matching (``obsolete_matches``): a rule applies to a register line of the same equipment type when
every condition the rule gives holds — the model matches ``model_pattern`` (a glob, ``*`` and ``?``, case
ignored) and the year of manufacture is before ``made_before_year``. A rule must give at least one.

A technology is referenced from elsewhere (measures, projects) by its ``code`` as imported — the catalogue's
own number, e.g. ``2023-工业-015``. An audit measure cites it in ``audit_measure.technology_code``; a technology
read lists, as ``cited_by``, the measures citing it in the reports the reader may see (its "typical cases" on the
platform, next to the catalogue's own ``typical_cases`` text).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dualcarbon.audits.models import AuditMeasure, AuditReport
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import NotFound
from dualcarbon.equipment.io.records import FileInvalid, Problem, read_records
from dualcarbon.equipment.models import EQUIPMENT_TYPE_ZH, EQUIPMENT_TYPES, EquipmentItem, ObsoleteRule, Technology
from dualcarbon.equipment.schemas import (
    ImportReceipt,
    ObsoleteMatch,
    ObsoleteRuleOut,
    TechnologyCitation,
    TechnologyOut,
)
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter
from dualcarbon.store.audit import append_audit

OBSOLETE_COLUMNS: dict[str, tuple[str, ...]] = {
    "catalogue": ("目录名称", "目录批次", "目录名称/批次"),
    "entry_code": ("条目编号", "序号"),
    "equipment_type": ("设备类型",),
    "model_pattern": ("型号规则", "型号"),
    "made_before_year": ("出厂年份早于",),
    "description": ("说明", "淘汰内容"),
    "source_document": ("来源文件", "文件"),
}
OBSOLETE_REQUIRED = ("catalogue", "entry_code", "equipment_type", "source_document")
TECHNOLOGY_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("编号", "技术编号"),
    "name": ("技术名称", "名称"),
    "field": ("领域", "行业", "适用领域"),
    "saving_rate_pct": ("节能率(%)", "节能率"),
    "payback_years": ("投资回收期(年)", "投资回收期"),
    "description": ("技术简介", "简介"),
    "typical_cases": ("典型案例",),
    "source_batch": ("目录批次", "来源批次"),
}
TECHNOLOGY_REQUIRED = ("code", "name", "field", "source_batch")
_LIMITS = {"catalogue": 200, "entry_code": 64, "model_pattern": 200, "source_document": 300}
_TECH_LIMITS = {"code": 64, "name": 200, "field": 100, "source_batch": 200}
_TYPE_BY_LABEL = {label: code for code, label in EQUIPMENT_TYPE_ZH.items()}


def _number(number: int, column: str, text: str, problems: list[Problem], *, integer: bool = False) -> Any:
    if text == "":
        return None
    try:
        value = int(text) if integer else float(text.rstrip("%"))
    except ValueError:
        problems.append((number, column, f"不是{'整数' if integer else '数字'} / not a number: {text!r}"))
        return None
    if value < 0 or value != value or value in (float("inf"), float("-inf")):
        problems.append((number, column, f"必须为非负有限数 / must be a finite number ≥ 0: {text!r}"))
        return None
    return value


def _lengths(number: int, record: dict[str, str], limits: dict[str, int], problems: list[Problem]) -> None:
    for column, limit in limits.items():
        if len(record.get(column, "")) > limit:
            problems.append((number, column, f"最多 {limit} 个字符 / at most {limit} characters"))


def _required(number: int, record: dict[str, str], required: tuple[str, ...], problems: list[Problem]) -> bool:
    missing = [c for c in required if not record.get(c)]
    for column in missing:
        problems.append((number, column, "必填 / required"))
    return not missing


# ---- obsolete list --------------------------------------------------------------------------------------------
def rule_out(rule: ObsoleteRule) -> ObsoleteRuleOut:
    return ObsoleteRuleOut.model_validate(rule, from_attributes=True)


def _rule_values(number: int, record: dict[str, str], problems: list[Problem]) -> dict[str, Any] | None:
    if not _required(number, record, OBSOLETE_REQUIRED, problems):
        return None
    before = len(problems)
    _lengths(number, record, _LIMITS, problems)
    kind = _TYPE_BY_LABEL.get(record["equipment_type"], record["equipment_type"])
    if kind not in EQUIPMENT_TYPES:
        problems.append((number, "equipment_type", f"未知设备类型 / unknown type {record['equipment_type']!r}"))
    year = _number(number, "made_before_year", record.get("made_before_year", ""), problems, integer=True)
    pattern = record.get("model_pattern") or None
    if pattern is None and year is None and record.get("made_before_year", "") == "":
        problems.append((number, "model_pattern", "型号规则与出厂年份至少填一项 / give a model pattern or a year"))
    if len(problems) > before:
        return None
    return {
        "equipment_type": kind,
        "model_pattern": pattern,
        "made_before_year": year,
        "description": record.get("description") or None,
        "source_document": record["source_document"],
    }


def import_obsolete(session: Session, actor: Principal, path: Path) -> ImportReceipt:
    """Import an obsolete-equipment catalogue (admin); all or nothing, idempotent on (catalogue, entry code)."""
    require_role(actor, "admin")
    records = read_records(path, OBSOLETE_COLUMNS, OBSOLETE_REQUIRED)
    problems: list[Problem] = []
    planned: dict[tuple[str, str], dict[str, Any]] = {}
    for number, record in records:
        values = _rule_values(number, record, problems)
        key = (record.get("catalogue", ""), record.get("entry_code", ""))
        if values is None:
            continue
        if key in planned:
            problems.append((number, "entry_code", f"条目重复 / duplicate entry {key[1]}"))
            continue
        planned[key] = values
    if problems:
        raise FileInvalid(problems)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for (catalogue, code), values in planned.items():
        rule = session.scalar(
            select(ObsoleteRule).where(ObsoleteRule.catalogue == catalogue, ObsoleteRule.entry_code == code)
        )
        if rule is None:
            rule = ObsoleteRule(catalogue=catalogue, entry_code=code, **values)
            session.add(rule)
            session.flush()
            after = rule_out(rule).model_dump()
            append_audit(session, actor.username, "obsolete_rule.create", "obsolete_rule", rule.id, None, after)
            counts["created"] += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(rule, k) != v}
        if not changed:
            counts["unchanged"] += 1
            continue
        before = rule_out(rule).model_dump()
        for name, value in changed.items():
            setattr(rule, name, value)
        session.flush()
        append_audit(
            session,
            actor.username,
            "obsolete_rule.update",
            "obsolete_rule",
            rule.id,
            before,
            rule_out(rule).model_dump(),
        )
        counts["updated"] += 1
    return ImportReceipt(file=path.name, rows=len(records), **counts)


def list_obsolete(session: Session, principal: Principal) -> list[ObsoleteRuleOut]:
    rules = session.scalars(select(ObsoleteRule).order_by(ObsoleteRule.catalogue, ObsoleteRule.entry_code))
    return [rule_out(rule) for rule in rules]


def matching_rules(item: EquipmentItem, rules: list[ObsoleteRule]) -> list[ObsoleteMatch]:
    """The rules of the obsolete list that the register line falls under (see the module docstring)."""
    out: list[ObsoleteMatch] = []
    for rule in rules:
        if rule.equipment_type != item.equipment_type:
            continue
        reasons: list[str] = []
        if rule.model_pattern:
            if not item.model or not fnmatch.fnmatchcase(item.model.casefold(), rule.model_pattern.casefold()):
                continue
            reasons.append(f"型号 {item.model} 符合 {rule.model_pattern}")
        if rule.made_before_year is not None:
            if item.year_made is None or item.year_made >= rule.made_before_year:
                continue
            reasons.append(f"出厂 {item.year_made} 年早于 {rule.made_before_year} 年")
        if reasons:
            out.append(
                ObsoleteMatch(
                    catalogue=rule.catalogue,
                    entry_code=rule.entry_code,
                    source_document=rule.source_document,
                    reason="；".join(reasons),
                )
            )
    return out


# ---- technologies ---------------------------------------------------------------------------------------------
def technology_out(tech: Technology) -> TechnologyOut:
    return TechnologyOut.model_validate(tech, from_attributes=True)


def import_technologies(session: Session, actor: Principal, path: Path) -> ImportReceipt:
    """Import technology catalogue entries (admin); all or nothing, idempotent on ``code``."""
    require_role(actor, "admin")
    records = read_records(path, TECHNOLOGY_COLUMNS, TECHNOLOGY_REQUIRED)
    problems: list[Problem] = []
    planned: dict[str, dict[str, Any]] = {}
    for number, record in records:
        known = len(problems)  # every problem of the row is reported, not only the missing cells
        _required(number, record, TECHNOLOGY_REQUIRED, problems)
        _lengths(number, record, _TECH_LIMITS, problems)
        rate = _number(number, "saving_rate_pct", record.get("saving_rate_pct", ""), problems)
        if rate is not None and rate > 100:
            problems.append((number, "saving_rate_pct", "节能率不能超过 100% / at most 100"))
        payback = _number(number, "payback_years", record.get("payback_years", ""), problems)
        if record.get("code") and record["code"] in planned:
            problems.append((number, "code", f"编号重复 / duplicate code {record['code']}"))
        if len(problems) > known:
            continue
        planned[record["code"]] = {
            "name": record["name"],
            "field": record["field"],
            "saving_rate_pct": rate,
            "payback_years": payback,
            "description": record.get("description") or None,
            "typical_cases": record.get("typical_cases") or None,
            "source_batch": record["source_batch"],
        }
    if problems:
        raise FileInvalid(problems)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for code, values in planned.items():
        tech = session.scalar(select(Technology).where(Technology.code == code))
        if tech is None:
            tech = Technology(code=code, **values)
            session.add(tech)
            session.flush()
            after = technology_out(tech).model_dump()
            append_audit(session, actor.username, "technology.create", "technology", code, None, after)
            counts["created"] += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(tech, k) != v}
        if not changed:
            counts["unchanged"] += 1
            continue
        before = technology_out(tech).model_dump()
        for name, value in changed.items():
            setattr(tech, name, value)
        session.flush()
        after = technology_out(tech).model_dump()
        append_audit(session, actor.username, "technology.update", "technology", code, before, after)
        counts["updated"] += 1
    return ImportReceipt(file=path.name, rows=len(records), **counts)


def search_technologies(
    session: Session, principal: Principal, q: str | None = None, field: str | None = None, limit: int = 200
) -> list[TechnologyOut]:
    """Technologies whose code, name, description or cases contain ``q`` and whose field contains ``field``."""
    query = select(Technology).order_by(Technology.code).limit(limit)
    if q and q.strip():
        like = f"%{_escape(q.strip())}%"
        query = query.where(
            or_(
                Technology.code.ilike(like, escape="\\"),
                Technology.name.ilike(like, escape="\\"),
                Technology.description.ilike(like, escape="\\"),
                Technology.typical_cases.ilike(like, escape="\\"),
            )
        )
    if field and field.strip():
        query = query.where(Technology.field.ilike(f"%{_escape(field.strip())}%", escape="\\"))
    found = [technology_out(t) for t in session.scalars(query)]
    return _with_citations(session, principal, found)


def get_technology(session: Session, principal: Principal, code: str) -> TechnologyOut:
    """The technology with ``code`` — how other subjects reference an entry of the catalogue."""
    tech = session.scalar(select(Technology).where(Technology.code == code.strip()))
    if tech is None:
        raise NotFound(f"technology {code} not found")
    return _with_citations(session, principal, [technology_out(tech)])[0]


def _with_citations(session: Session, principal: Principal, found: list[TechnologyOut]) -> list[TechnologyOut]:
    """``found`` with ``cited_by``: the audit measures citing each, in reports of enterprises the reader may see."""
    if not found:
        return found
    query = (
        select(AuditMeasure, AuditReport, Enterprise)
        .join(AuditReport, AuditReport.id == AuditMeasure.report_id)
        .join(Enterprise, Enterprise.id == AuditReport.enterprise_id)
        .where(AuditMeasure.technology_code.in_([t.code for t in found]), enterprise_filter(principal))
        .order_by(AuditReport.id.desc(), AuditMeasure.position)
    )
    cited: dict[str, list[TechnologyCitation]] = {}
    for measure, report, enterprise in session.execute(query):
        cited.setdefault(measure.technology_code or "", []).append(
            TechnologyCitation(
                report_id=report.id,
                report_title=report.title,
                report_state=report.state,
                year=report.year,
                enterprise_name=enterprise.name,
                measure_id=measure.id,
                position=measure.position,
                description=measure.description,
                saving_tce_per_year=measure.saving_tce_per_year,
            )
        )
    return [t.model_copy(update={"cited_by": cited.get(t.code, [])}) for t in found]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
