"""The demo's year of work: reports filed, reviewed and approved; catalogs generated and published;
appeals filed, reviewed and decided — each step a service call by the person whose job it is.

Reports are filed by the enterprise's login, its agency, or a synthetic filer ``demo:<credit code>``
holding only that enterprise's grant (see :class:`dualcarbon.demo.people.Actors`); the district regulator
reviews its district, the city regulator and the expert share the rest. Work is committed in chunks of
``CHUNK`` enterprises per transaction. The benchmarks time these same functions.

Every step is dated in the period it belongs to (:func:`dualcarbon.store.base.simulated_clock`): the annual
report of year Y is drafted and submitted in February–March of Y+1, returned and corrected in March, approved
in April–May and locked at the end of June; a half-year's catalog is published early in its half (the first
half's after the April approvals it rests on); appeals follow in the month after. Nothing is dated after the
real time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dualcarbon.catalog import service as catalog
from dualcarbon.catalog import service_appeals as appeals
from dualcarbon.catalog import service_generate as catalog_generate
from dualcarbon.catalog import service_publish as catalog_publish
from dualcarbon.catalog.schemas import CatalogEntryOut
from dualcarbon.core.access import Principal
from dualcarbon.demo.people import APPEAL_DOCUMENT, BASIS, EDITION, Actors, Progress, chunked
from dualcarbon.demo.plan import CityPlan, EnterprisePlan, ReportPlan
from dualcarbon.demo.profiles import RETURN_DEVIATION, RETURN_ECONOMICS
from dualcarbon.reference import ReferenceSet
from dualcarbon.reports import service as report_service
from dualcarbon.store.base import simulated_clock
from dualcarbon.store.db import session_scope

#: Beijing 09:00 as UTC: the working day the demo's steps are dated at.
_MORNING_UTC = 1


def moment(year: int, month: int, day: int, minutes: int = 0) -> datetime:
    """A working-day time of the demo, UTC (09:00 Beijing plus ``minutes``)."""
    return datetime(year, month, day, _MORNING_UTC, tzinfo=UTC) + timedelta(minutes=minutes)


@contextmanager
def dated(session: Session, when: datetime) -> Iterator[None]:
    """Run a step as at ``when``; flushed inside so that row defaults take the same time."""
    with simulated_clock(when):
        yield
        session.flush()


def half_published_at(half: str) -> datetime:
    """When the demo publishes the catalog of ``half``: H1 in mid-May (after the April approvals of the
    annual reports it rests on), H2 in early July."""
    year, part = int(half[:4]), half[-2:]
    return moment(year, 5, 15) if part == "H1" else moment(year, 7, 3)


# ---- reports ---------------------------------------------------------------------------------------------
def reviewer_for(enterprise: EnterprisePlan, plan: CityPlan, actors: Actors) -> Principal:
    """The district regulator reviews its district; elsewhere the city regulator and the expert share."""
    if enterprise.region_code == plan.districts[0][0]:
        return actors["dongcheng"]
    return actors["city"] if enterprise.index % 2 == 0 else actors["expert"]


def _file_one(
    session: Session,
    enterprise: EnterprisePlan,
    report: ReportPlan,
    plan: CityPlan,
    actors: Actors,
    reference: ReferenceSet,
) -> int | None:
    """Create the report and take it through the steps of its fate; returns its id (None when missing)."""
    if report.fate == "missing":
        return None
    filer = actors.filer(enterprise)
    spread = (enterprise.index * 37) % (24 * 60 * 20)  # minutes: the filings spread over about 20 days
    year = report.year + 1  # an annual report is filed, reviewed and approved in the following year
    with dated(session, moment(year, 2, 10, spread)):
        created = report_service.create_report(
            session,
            filer,
            enterprise.credit_code,
            "year",
            report.year,
            0,
            actors.content(enterprise, report.content),
            reference=reference,
        )
    report_id = created.id
    if report.fate == "draft":
        return report_id
    with dated(session, moment(year, 3, 1, spread)):
        report_service.submit(session, filer, report_id)
    reviewer = reviewer_for(enterprise, plan, actors)
    if report.fate == "corrected":
        with dated(session, moment(year, 3, 24, spread // 4)):
            report_service.return_report(session, reviewer, report_id, RETURN_DEVIATION)
        with dated(session, moment(year, 3, 28, spread // 4)):
            report_service.update_draft(
                session,
                filer,
                report_id,
                actors.content(enterprise, report.corrected_content or report.content),
                reference=reference,
            )
            report_service.submit(session, filer, report_id, "已按审核意见更正单位产品综合能耗。")
    if report.fate == "returned":
        with dated(session, moment(year, 3, 24, spread // 4)):
            report_service.return_report(
                session, reviewer, report_id, RETURN_DEVIATION if report.deviating else RETURN_ECONOMICS
            )
    if report.fate in ("locked", "approved", "corrected"):
        with dated(session, moment(year, 4, 8, spread)):
            report_service.approve(session, reviewer, report_id)
    if report.fate == "locked":
        with dated(session, moment(year, 6, 30, spread // 20)):
            report_service.lock(session, actors["city"], report_id)
    return report_id


def file_reports(
    engine: Engine,
    plan: CityPlan,
    actors: Actors,
    year: int,
    reference: ReferenceSet,
    progress: Progress,
    enterprises: Sequence[EnterprisePlan] | None = None,
) -> dict[int, int]:
    """Every enterprise's annual report of ``year`` as its plan says; returns plan index → report id."""
    ids: dict[int, int] = {}
    for chunk in chunked(enterprises if enterprises is not None else plan.enterprises):
        with session_scope(engine) as session:
            for enterprise in chunk:
                report = next(r for r in enterprise.reports if r.year == year)
                report_id = _file_one(session, enterprise, report, plan, actors, reference)
                if report_id is not None:
                    ids[enterprise.index] = report_id
                progress.advance()
    return ids


def approve_late(engine: Engine, plan: CityPlan, actors: Actors, report_ids: dict[int, int], progress: Progress) -> int:
    """Approve the latest year's reports planned as approved after the first catalog; returns how many."""
    late = [e for e in plan.enterprises if e.latest.fate == "approved_late"]
    with session_scope(engine) as session:
        for enterprise in late:
            year = next(r.year for r in enterprise.reports if r.fate == "approved_late") + 1
            with dated(session, moment(year, 6, 5, enterprise.index % (24 * 60 * 10))):  # after the H1 catalog
                report_service.approve(
                    session,
                    reviewer_for(enterprise, plan, actors),
                    report_ids[enterprise.index],
                    "补充材料齐全，审核通过。",
                )
            progress.advance()
    return len(late)


# ---- catalogs and appeals ----------------------------------------------------------------------------------
def generate_and_publish(
    engine: Engine, actor: Principal, region_code: str, half: str, reference: ReferenceSet
) -> tuple[int, dict[str, int], float, float]:
    """Generate the gb-basis catalog of ``half`` and publish it: (id, counts per tier, seconds, seconds)."""
    started = time.perf_counter()
    published_at = half_published_at(half)
    with session_scope(engine) as session, dated(session, published_at - timedelta(days=3)):
        result = catalog_generate.generate_catalog(
            session, actor, region_code, EDITION, half, BASIS, reference=reference
        )
        catalog_id, counts = result.catalog.id, dict(result.counts)
    generated = time.perf_counter()
    with session_scope(engine) as session, dated(session, published_at):
        # The demo publishes what it generated, 无法判定 entries included: it confirms the count it was given.
        catalog_publish.publish_catalog(
            session, actor, catalog_id, reference=reference, confirm_undetermined=counts.get("undetermined") or None
        )
    return catalog_id, counts, generated - started, time.perf_counter() - generated


def _own_entry(session: Session, actor: Principal, catalog_id: int, credit_code: str) -> CatalogEntryOut:
    items, _ = catalog.list_entries(session, actor, catalog_id, catalog.EntryFilter(credit_code=credit_code), limit=1)
    return items[0]


def stage_appeals(
    engine: Engine, plan: CityPlan, actors: Actors, catalog_id: int, reference: ReferenceSet, progress: Progress
) -> tuple[dict[str, int], int]:
    """One appeal in each state on the catalog in force; returns (state → appeal id, id of the catalog in
    force afterwards: the corrected re-issue of the upheld appeal)."""
    codes = {
        actors.enterprise_users[e.index]: e.credit_code for e in plan.enterprises if e.index in actors.enterprise_users
    }
    ids: dict[str, int] = {}
    city, expert = actors["city"], actors["expert"]
    # a week after the catalog in force; the later appeals are against its corrected re-issue (day 16)
    filed_at = half_published_at(plan.spec.halves[-1]) + timedelta(days=7)
    with session_scope(engine) as session:
        entry = _own_entry(session, actors["qiye1"], catalog_id, codes["qiye1"])
        corrected = round(entry.value * 0.93, 2)
        with dated(session, filed_at):
            appeal = appeals.file_appeal(
                session,
                actors["qiye1"],
                catalog_id,
                entry.id,
                f"产量统计漏计了外销部分，经第三方复核，单位产品综合能耗应为 {corrected} {entry.unit}。",
                {"corrected_value": corrected, "documents": [APPEAL_DOCUMENT]},
            )
        with dated(session, filed_at + timedelta(days=2)):
            appeals.assign_expert(session, city, appeal.id, "expert")
        with dated(session, filed_at + timedelta(days=9)):
            appeals.record_opinion(
                session, expert, appeal.id, "核对计量台账与销售凭证，外销产量属实，建议按更正值重新判定。"
            )
        with dated(session, filed_at + timedelta(days=16)):
            decided = appeals.decide_appeal(
                session, city, appeal.id, "upheld", "申辩成立，按更正值重新发布清单目录。", reference=reference
            )
        ids["upheld"] = appeal.id
        catalog_id = decided.corrected_catalog_id or catalog_id
        progress.advance()
    with session_scope(engine) as session:
        entry = _own_entry(session, actors["qiye3"], catalog_id, codes["qiye3"])
        with dated(session, filed_at + timedelta(days=18)):
            appeal = appeals.file_appeal(
                session,
                actors["qiye3"],
                catalog_id,
                entry.id,
                "认为综合能耗中重复计入了外供热力，申请复核。",
                {"corrected_value": round(entry.value * 0.9, 2), "documents": [APPEAL_DOCUMENT]},
            )
        with dated(session, filed_at + timedelta(days=19)):
            appeals.assign_expert(session, city, appeal.id, "expert")
        with dated(session, filed_at + timedelta(days=24)):
            appeals.record_opinion(session, expert, appeal.id, "外供热力已按规定扣除，未发现重复计算，原填报值准确。")
        with dated(session, filed_at + timedelta(days=30)):
            appeals.decide_appeal(session, city, appeal.id, "rejected", "申辩不成立，维持原判定。", reference=reference)
        ids["rejected"] = appeal.id
        progress.advance()
        entry = _own_entry(session, actors["qiye4"], catalog_id, codes["qiye4"])
        with dated(session, filed_at + timedelta(days=19)):
            appeal = appeals.file_appeal(
                session,
                actors["qiye4"],
                catalog_id,
                entry.id,
                "年内新增余热回收装置，申请按实测数据复核。",
                {"documents": [APPEAL_DOCUMENT]},
            )
        with dated(session, filed_at + timedelta(days=21)):
            appeals.assign_expert(session, city, appeal.id, "expert")
        ids["under_review"] = appeal.id
        progress.advance()
        entry = _own_entry(session, actors["qiye2"], catalog_id, codes["qiye2"])
        with dated(session, filed_at + timedelta(days=22)):
            appeal = appeals.file_appeal(
                session, actors["qiye2"], catalog_id, entry.id, "产品结构调整导致单耗偏高，申请说明情况。", None
            )
        ids["filed"] = appeal.id
        progress.advance()
    return ids, catalog_id
