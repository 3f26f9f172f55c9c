"""Which report versions feed a catalog (and the obligations list), and loading them in bulk.

The input rule: per enterprise of the region subtree, the **latest approved version** of its annual report
(period_kind ``year``) of the data year — the current version when the report is approved or locked, else
(the report was reopened for correction) the version of its latest ``approve`` review. Reports never
approved are not inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion, ReportReview

APPROVED_STATES = ("approved", "locked")
_IN_CHUNK = 500


def chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    """``items`` in slices short enough for an ``IN (…)`` list."""
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def approved_version_ids(session: Session, region_code: str, data_year: int) -> list[int]:
    """Ids of the latest approved annual-report versions of ``data_year`` of every enterprise in the subtree."""
    in_region = select(Enterprise.id).where(in_region_subtree(Enterprise.region_code.expression, region_code))
    annual = (
        PeriodReport.period_kind == "year",
        PeriodReport.year == data_year,
        PeriodReport.enterprise_id.in_(in_region),
    )
    current = session.scalars(
        select(PeriodReport.current_version_id).where(
            *annual, PeriodReport.state.in_(APPROVED_STATES), PeriodReport.current_version_id.is_not(None)
        )
    )
    ids = {version_id for version_id in current if version_id is not None}
    last_approval = (
        select(ReportReview.report_id, func.max(ReportReview.version).label("version"))
        .join(PeriodReport, PeriodReport.id == ReportReview.report_id)
        .where(*annual, PeriodReport.state.not_in(APPROVED_STATES), ReportReview.action == "approve")
        .group_by(ReportReview.report_id)
        .subquery()
    )
    reopened = session.scalars(
        select(PeriodReportVersion.id).join(
            last_approval,
            (PeriodReportVersion.report_id == last_approval.c.report_id)
            & (PeriodReportVersion.version == last_approval.c.version),
        )
    )
    ids.update(reopened)
    return sorted(ids)


def load_versions(session: Session, version_ids: Sequence[int]) -> list[PeriodReportVersion]:
    """The versions with their report and output lines, in id order (a few queries per 500 versions)."""
    out: list[PeriodReportVersion] = []
    for chunk in chunks(version_ids):
        out.extend(
            session.scalars(
                select(PeriodReportVersion)
                .where(PeriodReportVersion.id.in_(chunk))
                .options(selectinload(PeriodReportVersion.output_lines), selectinload(PeriodReportVersion.report))
                .order_by(PeriodReportVersion.id)
            )
        )
    return out
