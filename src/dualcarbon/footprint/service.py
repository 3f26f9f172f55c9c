"""Footprint studies: compute a product's cradle-to-gate footprint from the enterprise's approved annual report,
create the study, recompute a draft, publish it.

Inputs: the latest approved version of the enterprise's annual report of the year (the current version when
the report is approved or locked, else the version of its latest ``approve`` review — as the catalog reads
reports), its computed CO₂ (GB/T 32150, term by carrier) and output lines; the process emissions the study
enters with their source; the bill of materials and ``material_emission_factors``. The arithmetic is in
:mod:`dualcarbon.domain.footprint`.

Access: whoever may write the enterprise's data (the enterprise itself, its agency, a regulator of its
region) creates, recomputes and publishes; readers of the enterprise read. Every change is audited; a
change to a study claims its ``lock_version`` (two simultaneous publishes: one wins, the other gets 409).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, DualcarbonError, InvalidInput, NotFound, PermissionDenied
from dualcarbon.domain import footprint as fp
from dualcarbon.footprint.models import FootprintStudy
from dualcarbon.footprint.schemas import FootprintResult, MaterialLine, StudyIn, StudyOut, VersionIn
from dualcarbon.footprint.service_register import study_out
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import (
    can_access_enterprise,
    can_write_enterprise_data,
    require_enterprise,
)
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion, ReportReview
from dualcarbon.reports.schemas import CarbonFigures, computed_of
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row

APPROVED_STATES = ("approved", "locked")
#: GB/T 32150 emission sources as the trace names them.
SOURCE_ZH = {"combustion": "燃料燃烧", "process": "过程排放", "electricity": "购入/输出电力", "heat": "购入/输出热力"}


def approved_annual_version(session: Session, enterprise: Enterprise, year: int) -> PeriodReportVersion:
    """The latest approved version of the enterprise's annual report of ``year``; InvalidInput when none."""
    report = session.scalar(
        select(PeriodReport).where(
            PeriodReport.enterprise_id == enterprise.id, PeriodReport.period_kind == "year", PeriodReport.year == year
        )
    )
    if report is None:
        raise InvalidInput(
            f"{enterprise.name} has no annual report of {year}", field="year", zh=f"该企业没有 {year} 年度报告"
        )
    if report.state in APPROVED_STATES and report.current_version is not None:
        return report.current_version
    number = session.scalar(
        select(ReportReview.version)
        .where(ReportReview.report_id == report.id, ReportReview.action == "approve")
        .order_by(ReportReview.id.desc())
        .limit(1)
    )
    if number is None:
        raise InvalidInput(
            f"the annual report of {year} is not approved (state {report.state}); a footprint uses approved figures",
            field="year",
            zh=f"{year} 年度报告尚未审核通过，产品碳足迹只采用审核通过的数据",
        )
    return next(version for version in report.versions if version.version == number)


def _carbon(version: PeriodReportVersion) -> CarbonFigures:
    figures = computed_of(version.computed)
    if not isinstance(figures.carbon, CarbonFigures):
        reason = figures.carbon.reason
        raise InvalidInput(
            f"the report's CO₂ could not be computed: {reason}",
            field="year",
            zh=f"该报告的二氧化碳排放无法计算：{reason}",
        )
    return figures.carbon


def enterprise_emissions(
    version: PeriodReportVersion, reference: ReferenceSet, spec: StudyIn
) -> tuple[list[fp.EnterpriseEmission], list[str], bool]:
    """The enterprise's accounted emissions by carrier (and process), notes on their gaps, and completeness."""
    carbon = _carbon(version)
    where = f"report #{version.report_id} v{version.version}"
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    amounts: dict[tuple[str, str], float] = defaultdict(float)
    for position, line in enumerate(carbon.lines):
        carrier_id = version.energy_lines[line.index].carrier_id
        groups[(line.source, carrier_id)].append(position)
        amounts[(line.source, carrier_id)] += line.tco2
    terms: list[fp.EnterpriseEmission] = []
    notes: list[str] = []
    complete = carbon.complete
    for (source, carrier_id), positions in groups.items():
        try:
            name = reference.carrier(carrier_id).name_zh
        except DualcarbonError:
            name = carrier_id
        refs = f"{where} carbon.lines{positions}"
        if source == "electricity":
            refs += f"; grid factor {carbon.grid.row_id} ({carbon.grid.note})"
            notes.append(
                f"{name}：采用 GB/T 32150 电网排放因子 {carbon.grid.row_id}；GB/T 24067 要求电力全生命周期因子"
                "（含上游与输配电损耗），尚未采用"
            )
        kind: Literal["energy", "process"] = "process" if source == "process" else "energy"
        terms.append(
            fp.EnterpriseEmission(
                kind, f"{name}（{SOURCE_ZH.get(source, source)}）", amounts[(source, carrier_id)], refs
            )
        )
    for omitted in carbon.omitted:
        notes.append(f"报告 energy_lines[{omitted.index}]（{omitted.carrier_id}）未计入排放：{omitted.reason}")
    if carbon.biomass_tco2:
        notes.append(f"生物质燃烧 CO₂ {carbon.biomass_tco2:g} t 单独报告，不计入合计（GB/T 32150）")
    if spec.process_tco2 > 0:
        if not spec.process_source:
            raise InvalidInput(
                "process_tco2 needs process_source (the accounting report or method it comes from)",
                field="process_source",
                zh="填写过程排放时须注明其来源（核算报告或方法）",
            )
        terms.append(fp.EnterpriseEmission("process", "过程排放（研究填报）", spec.process_tco2, spec.process_source))
    return terms, notes, complete


def _outputs(version: PeriodReportVersion, spec: StudyIn) -> tuple[list[fp.ProductOutput], int]:
    names = [line.product for line in version.output_lines]
    values = spec.values_10k_yuan or {}
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise InvalidInput(
            f"values_10k_yuan names products not in the report: {', '.join(unknown)}",
            field="values_10k_yuan",
            zh=f"产值中的产品不在年度报告中：{'、'.join(unknown)}",
        )
    matches = [index for index, name in enumerate(names) if name == spec.product]
    if len(matches) != 1:
        listed = "、".join(names) or "（无）"
        problem = "is not an output" if not matches else "appears on several output lines"
        problem_zh = "不存在" if not matches else "出现多次"
        raise InvalidInput(
            f"'{spec.product}' {problem} of the {spec.year} report (outputs: {listed})",
            field="product",
            zh=f"产品“{spec.product}”在 {spec.year} 年度报告的产品产量中{problem_zh}（{listed}）",
        )
    outputs = [
        fp.ProductOutput(line.product, line.quantity, line.unit, values.get(line.product))
        for line in version.output_lines
    ]
    return outputs, matches[0]


def compute(
    session: Session, enterprise: Enterprise, spec: StudyIn, reference: ReferenceSet
) -> tuple[PeriodReportVersion, FootprintResult]:
    """The footprint of ``spec`` (no write): the report version used and the result with its trace."""
    version = approved_annual_version(session, enterprise, spec.year)
    terms, notes, complete = enterprise_emissions(version, reference, spec)
    outputs, index = _outputs(version, spec)
    materials = [fp.MaterialInput(m.material, m.quantity, m.unit, m.row_id) for m in spec.materials]
    result = fp.product_footprint(
        terms, outputs, index, spec.allocation, materials, reference, notes=notes, complete=complete
    )
    versions = dict(computed_of(version.computed).reference_versions)
    table = reference.tables.get(fp.MATERIAL_TABLE)
    versions[fp.MATERIAL_TABLE] = table.active_version if table else "absent"
    data = asdict(result)
    out = FootprintResult.model_validate(
        {
            **data,
            "allocation_method_zh": fp.ALLOCATION_ZH[spec.allocation],
            "report_id": version.report_id,
            "report_version": version.version,
            "reference_versions": versions,
        }
    )
    return version, out


def _apply(study: FootprintStudy, version: PeriodReportVersion, result: FootprintResult) -> None:
    study.report_version_id = version.id
    study.result = result.model_dump(mode="json")
    study.total_tco2e = result.total_tco2e
    study.per_unit_tco2e = result.per_unit_tco2e
    study.complete = result.complete
    study.updated_at = utcnow()


def create_study(
    session: Session, actor: Principal, spec: StudyIn, *, reference: ReferenceSet | None = None
) -> StudyOut:
    """A draft study computed now from the approved report and the reference tables; audited."""
    enterprise = require_enterprise(session, actor, spec.credit_code, write=True)
    version, result = compute(session, enterprise, spec, reference or load_reference())
    study = FootprintStudy(
        enterprise_id=enterprise.id,
        region_code=enterprise.region_code,
        year=spec.year,
        product=spec.product,
        allocation_method=spec.allocation,
        values_10k_yuan=spec.values_10k_yuan,
        process_tco2=spec.process_tco2,
        process_source=spec.process_source,
        materials=[m.model_dump(mode="json") for m in spec.materials],
        state="draft",
        created_by=actor.username,
    )
    _apply(study, version, result)
    session.add(study)
    session.flush()
    out = study_out(session, study)
    append_audit(
        session, actor.username, "footprint.create", "footprint_study", study.id, None, out.model_dump(mode="json")
    )
    return out


def _writable(session: Session, actor: Principal, study_id: int, seen: int) -> FootprintStudy:
    study = session.get(FootprintStudy, study_id)
    enterprise = session.get(Enterprise, study.enterprise_id) if study else None
    if study is None or enterprise is None or not can_access_enterprise(session, actor, enterprise):
        raise NotFound(f"footprint study {study_id} not found", zh="未找到该碳足迹研究")
    if not can_write_enterprise_data(session, actor, enterprise):
        raise PermissionDenied("your role may not change this footprint study", zh="您的角色不能修改该碳足迹研究")
    if study.state != "draft":
        raise Conflict(f"footprint study {study_id} is {study.state}", zh="该碳足迹研究已发布，不能再修改")
    if study.lock_version != seen:
        raise Conflict(
            f"footprint study {study_id} was changed meanwhile (version {study.lock_version}, you saw {seen}); "
            "reload it and try again",
            zh="该碳足迹研究已被他人修改，请刷新后重试",
        )
    return study


def recompute(
    session: Session, actor: Principal, study_id: int, body: VersionIn, *, reference: ReferenceSet | None = None
) -> StudyOut:
    """Compute a draft again (after a factor import or a report correction); audited."""
    study = _writable(session, actor, study_id, body.lock_version)
    before = study_out(session, study).model_dump(mode="json")
    enterprise = session.get(Enterprise, study.enterprise_id)
    assert enterprise is not None  # checked by _writable
    spec = StudyIn(
        credit_code=enterprise.credit_code,
        year=study.year,
        product=study.product,
        allocation=study.allocation_method,  # type: ignore[arg-type]
        values_10k_yuan=study.values_10k_yuan,
        process_tco2=study.process_tco2,
        process_source=study.process_source,
        materials=[MaterialLine.model_validate(m) for m in study.materials],
    )
    version, result = compute(session, enterprise, spec, reference or load_reference())
    claim_row(session, study, what=f"footprint study {study.id}")
    _apply(study, version, result)
    session.flush()
    out = study_out(session, study)
    append_audit(
        session, actor.username, "footprint.recompute", "footprint_study", study.id, before, out.model_dump(mode="json")
    )
    return out


def publish(session: Session, actor: Principal, study_id: int, body: VersionIn) -> StudyOut:
    """draft → published, onto the region's register; refused while the footprint is incomplete; audited."""
    study = _writable(session, actor, study_id, body.lock_version)
    if study.total_tco2e is None:
        names = "、".join(m["material"] for m in study.result.get("missing", []))
        raise InvalidInput(
            f"cannot publish: no factor for {names}; import material_emission_factors and recompute",
            field="materials",
            zh=f"缺少排放因子（{names}），请导入因子表并重新计算后再发布",
        )
    if not study.complete:  # a report line left out of the CO₂, or a factor narrower than cradle-to-gate
        notes = "; ".join(str(note) for note in study.result.get("notes", []))
        raise InvalidInput(
            f"cannot publish an incomplete footprint: {notes}",
            field="result",
            zh="该碳足迹不完整（报告中有未计入排放的能源品种，或因子边界不是“从摇篮到大门”），不能发布",
        )
    other = session.scalar(
        select(FootprintStudy.id).where(
            FootprintStudy.enterprise_id == study.enterprise_id,
            FootprintStudy.product == study.product,
            FootprintStudy.year == study.year,
            FootprintStudy.state == "published",
        )
    )
    if other is not None:
        raise Conflict(
            f"study {other} of {study.product} {study.year} is already published",
            zh=f"{study.product} {study.year} 年已有已发布的碳足迹（#{other}）",
        )
    before = study_out(session, study).model_dump(mode="json")
    claim_row(session, study, what=f"footprint study {study.id}")
    study.state, study.published_by, study.published_at = "published", actor.username, utcnow()
    study.updated_at = study.published_at
    session.flush()
    out = study_out(session, study)
    append_audit(
        session, actor.username, "footprint.publish", "footprint_study", study.id, before, out.model_dump(mode="json")
    )
    return out
