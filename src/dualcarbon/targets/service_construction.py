"""在建/拟建 projects (projects under construction or planned): their register and their check against the
benchmark row — design unit consumption against 标杆 (benchmark) and 准入值 (the limit standard's entry value).

A reference value that is blank (or, for 准入值, not a column of the shipped tables) is reported as blank and
never assumed; the design value is converted to the row's unit first. Registering is a regulator's act in
the region, audited.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, UnitMismatch, UnknownReferenceRow
from dualcarbon.core.units import convert
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.registry.models import in_region_subtree
from dualcarbon.registry.service_access import require_enterprise, require_region
from dualcarbon.store.audit import append_audit
from dualcarbon.targets.models import ConstructionProject
from dualcarbon.targets.schemas import ConstructionProjectIn


def check_project(
    project: ConstructionProject, reference: ReferenceSet
) -> tuple[dict[str, str | float | int | bool | None], list[str]]:
    values: dict[str, str | float | int | bool | None] = {
        "status": "在建" if project.status == "under_construction" else "拟建",
        "design_unit_consumption": project.design_unit_consumption,
        "unit": project.unit,
        "annual_energy_tce": project.annual_energy_tce,
        "benchmark_row_id": project.benchmark_row_id,
    }
    reasons: list[str] = []
    try:
        row = reference.benchmark_row(project.benchmark_row_id)
    except UnknownReferenceRow as exc:
        return values, [f"对标行 {project.benchmark_row_id} 不可用：{exc}"]
    values["product"] = row.product
    try:
        design = (
            project.design_unit_consumption
            if project.unit == row.unit
            else convert(project.design_unit_consumption, project.unit, row.unit)
        )
    except UnitMismatch:
        return values, [f"设计单耗单位 {project.unit} 无法换算为对标行单位 {row.unit}"]
    values["design_in_row_unit"] = round(design, 6)
    entry_value = getattr(row, "entry_value", None)  # 准入值: no column in the shipped tables yet
    for key, label, ref in (("benchmark", "标杆水平", row.benchmark), ("entry_value", "准入值", entry_value)):
        values[key] = ref
        if ref is None:
            values[f"meets_{key}"] = None
            reasons.append(f"{label}：参考表中为空（未导入），无法判断")
        else:
            met = design <= ref
            values[f"meets_{key}"] = met
            reasons.append(f"{label} {ref:g} {row.unit}：{'达到' if met else '未达到'}（设计 {design:g}）")
    return values, reasons


def projects_in(session: Session, region: str) -> list[ConstructionProject]:
    return list(
        session.scalars(
            select(ConstructionProject)
            .where(in_region_subtree(ConstructionProject.region_code.expression, region))
            .order_by(ConstructionProject.region_code, ConstructionProject.id)
        )
    )


def add_construction_project(session: Session, actor: Principal, spec: ConstructionProjectIn) -> int:
    require_region(session, actor, spec.region_code)
    enterprise = require_enterprise(session, actor, spec.credit_code) if spec.credit_code else None
    try:
        row = load_reference().benchmark_row(spec.benchmark_row_id)
    except UnknownReferenceRow:
        raise InvalidInput(
            f"no benchmark row '{spec.benchmark_row_id}'", field="benchmark_row_id", zh="对标行编号不存在"
        ) from None
    if spec.unit != row.unit:
        try:
            convert(1.0, spec.unit, row.unit)
        except UnitMismatch:
            raise InvalidInput(
                f"unit {spec.unit} does not convert to {row.unit}", field="unit", zh=f"单位须可换算为 {row.unit}"
            ) from None
    project = ConstructionProject(
        region_code=spec.region_code,
        enterprise_id=enterprise.id if enterprise else None,
        name=spec.name,
        status=spec.status,
        benchmark_row_id=spec.benchmark_row_id,
        design_unit_consumption=spec.design_unit_consumption,
        unit=spec.unit,
        annual_energy_tce=spec.annual_energy_tce,
        created_by=actor.username,
    )
    session.add(project)
    session.flush()
    append_audit(
        session,
        actor.username,
        "construction_project.create",
        "construction_project",
        project.id,
        None,
        spec.model_dump(mode="json"),
    )
    return project.id
