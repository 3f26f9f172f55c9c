"""Reading footprint studies: one study, the studies of an enterprise (or all the caller may read), and the
region's register of published footprints (企业碳排放和产品碳足迹数据库 of the Putian plan), paged on the server.

Scope: a study is read by whoever may read its enterprise (``registry.service_access``); out of scope is
"not found". The register is for regulators and reviewers of the region (its subtree) and lists published
studies only.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import NotFound
from dualcarbon.footprint.models import FootprintStudy
from dualcarbon.footprint.schemas import STATE_ZH, FootprintResult, MaterialLine, StudyOut, StudySummary
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise, require_region

REGISTER_ROLES = ("regulator", "reviewer")


def _iso(value: object) -> str | None:
    return None if value is None else value.isoformat()  # type: ignore[attr-defined]


def _summary_fields(study: FootprintStudy, enterprise: Enterprise) -> dict[str, object]:
    return {
        "id": study.id,
        "credit_code": enterprise.credit_code,
        "enterprise_name": enterprise.name,
        "region_code": study.region_code,
        "year": study.year,
        "product": study.product,
        "allocation_method": study.allocation_method,
        "total_tco2e": study.total_tco2e,
        "per_unit_tco2e": study.per_unit_tco2e,
        "declared_unit": str(study.result.get("declared_unit", "")),
        "complete": study.complete,
        "state": study.state,
        "state_zh": STATE_ZH[study.state],
        "published_at": _iso(study.published_at),
        "lock_version": study.lock_version,
    }


def study_summary(study: FootprintStudy, enterprise: Enterprise) -> StudySummary:
    return StudySummary.model_validate(_summary_fields(study, enterprise))


def study_out(session: Session, study: FootprintStudy) -> StudyOut:
    enterprise = session.get(Enterprise, study.enterprise_id)
    assert enterprise is not None  # a foreign key
    return StudyOut.model_validate(
        {
            **_summary_fields(study, enterprise),
            "values_10k_yuan": study.values_10k_yuan,
            "process_tco2": study.process_tco2,
            "process_source": study.process_source,
            "materials": [MaterialLine.model_validate(m) for m in study.materials],
            "result": FootprintResult.model_validate(study.result),
            "created_by": study.created_by,
            "created_at": _iso(study.created_at),
            "published_by": study.published_by,
        }
    )


def get_study(session: Session, actor: Principal, study_id: int) -> StudyOut:
    study = session.scalar(
        select(FootprintStudy)
        .join(Enterprise, Enterprise.id == FootprintStudy.enterprise_id)
        .where(FootprintStudy.id == study_id, enterprise_filter(actor))
    )
    if study is None:
        raise NotFound(f"footprint study {study_id} not found", zh="未找到该碳足迹研究")
    return study_out(session, study)


def list_studies(
    session: Session, actor: Principal, *, credit_code: str | None = None, year: int | None = None, limit: int = 500
) -> list[StudySummary]:
    """Studies of ``credit_code`` (or of every enterprise the caller may read), newest first."""
    query = (
        select(FootprintStudy, Enterprise)
        .join(Enterprise, Enterprise.id == FootprintStudy.enterprise_id)
        .where(enterprise_filter(actor))
    )
    if credit_code:
        enterprise = require_enterprise(session, actor, credit_code)
        query = query.where(FootprintStudy.enterprise_id == enterprise.id)
    if year is not None:
        query = query.where(FootprintStudy.year == year)
    rows = session.execute(query.order_by(FootprintStudy.id.desc()).limit(limit))
    return [study_summary(study, enterprise) for study, enterprise in rows]


def register_page(
    session: Session,
    actor: Principal,
    region_code: str,
    *,
    limit: int = 50,
    offset: int = 0,
    search: str = "",
    year: int | None = None,
) -> tuple[list[StudySummary], int]:
    """One page of the published footprints of the region's subtree and how many there are in all."""
    require_region(session, actor, region_code, roles=REGISTER_ROLES)
    conditions = [
        FootprintStudy.state == "published",
        in_region_subtree(FootprintStudy.region_code.expression, region_code),
    ]
    if year is not None:
        conditions.append(FootprintStudy.year == year)
    if search.strip():
        pattern = f"%{search.strip()}%"
        conditions.append(
            or_(FootprintStudy.product.like(pattern), Enterprise.name.like(pattern), Enterprise.credit_code == search)
        )
    base = select(FootprintStudy, Enterprise).join(Enterprise, Enterprise.id == FootprintStudy.enterprise_id)
    total = session.scalar(
        select(func.count())
        .select_from(FootprintStudy)
        .join(Enterprise, Enterprise.id == FootprintStudy.enterprise_id)
        .where(*conditions)
    )
    rows = session.execute(
        base.where(*conditions)
        .order_by(FootprintStudy.year.desc(), Enterprise.name, FootprintStudy.product, FootprintStudy.id)
        .limit(limit)
        .offset(offset)
    )
    return [study_summary(study, enterprise) for study, enterprise in rows], int(total or 0)
