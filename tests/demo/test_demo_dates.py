"""The demo's timestamps fit their periods: an annual report of year Y is filed and approved in the first half
of Y+1 (never in Y, never in the future); a half-year's catalog is published in its half; appeals follow it."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from dualcarbon.catalog.models import Appeal, Catalog, CatalogEntry
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_world (importlib import mode)
from demo_world import DemoWorld


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_report_times_fall_in_the_half_year_after_their_year(demo: DemoWorld) -> None:
    now = datetime.now(UTC)
    with session_scope(demo.engine) as session:
        reports = session.scalars(select(PeriodReport)).all()
        versions = session.execute(
            select(PeriodReportVersion.created_at, PeriodReport.year).join(
                PeriodReport, PeriodReport.id == PeriodReportVersion.report_id
            )
        ).all()
        assert reports
        for report in reports:
            # e.g. a 2024 annual report: drafted, submitted and approved between 2025-01-01 and 2025-06-30
            after_year = datetime(report.year + 1, 1, 1, tzinfo=UTC)
            end_of_june = datetime(report.year + 1, 7, 1, tzinfo=UTC)
            for moment in (report.created_at, report.submitted_at, report.approved_at):
                if moment is None:
                    continue
                assert after_year <= _utc(moment) <= min(end_of_june, now), (report.id, report.year, moment)
            if report.submitted_at and report.approved_at:
                assert _utc(report.submitted_at) <= _utc(report.approved_at)
        for created_at, year in versions:
            assert datetime(year + 1, 1, 1, tzinfo=UTC) <= _utc(created_at) <= now


def test_catalogs_are_published_in_their_half_and_appeals_follow(demo: DemoWorld) -> None:
    now = datetime.now(UTC)
    with session_scope(demo.engine) as session:
        catalogs = {c.id: c for c in session.scalars(select(Catalog)).all()}
        for catalog in catalogs.values():
            if catalog.published_at is None:
                continue
            year, part = int(catalog.half[:4]), catalog.half[-2:]
            start = date(year, 1, 1) if part == "H1" else date(year, 7, 1)
            end = date(year, 6, 30) if part == "H1" else date(year, 12, 31)
            published = _utc(catalog.published_at)
            assert start <= published.date() <= end and published <= now, (catalog.half, published)
        appealed = session.execute(select(Appeal, CatalogEntry.catalog_id).join(CatalogEntry)).all()
        assert appealed
        for appeal, catalog_id in appealed:
            catalog = catalogs[catalog_id]
            assert catalog.published_at is not None and _utc(catalog.published_at) < _utc(appeal.filed_at) <= now
            if appeal.decided_at is not None:
                assert _utc(appeal.filed_at) < _utc(appeal.decided_at) <= now
