"""Region totals of approved annual reports for the regional dashboard, without re-reading unchanged JSON.

The dashboard used to list every approved report of the year (one ORM row and one parsed ``computed``
document each) and add the figures up in Python: 5.8 s to the first byte at 5,000 enterprises; then one SQL
aggregate summed the two headline figures out of each current version's stored ``computed`` JSON — as costly
as the plain SQL aggregate, which is most of what that costs: ``json_extract`` parsing every document.

A report version never changes once stored (``reports.models``: an ORM guard refuses its UPDATEs, and no
service deletes one), so its two figures are read out of its JSON once per process and kept under (store,
version id, creation time, content hash). Each view reads, live, which reports count for the caller — their state, year,
enterprise and current version — from the narrow report rows, and extracts figures only of versions not
yet seen (a newly approved or edited report). The totals stay exact: what changed is always read again,
what is kept cannot change (docs/benchmarks.md, "Reads").
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, cast, func, select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal, require_role
from dualcarbon.registry.models import Enterprise, subtree_codes
from dualcarbon.registry.service_access import enterprise_filter
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion

#: Reports whose figures count: approved, and approved-then-locked.
COUNTED_STATES = ("approved", "locked")
#: Where the figures sit in ``PeriodReportVersion.computed`` (as ``report_summary`` reads them).
TCE_PATH = ("energy", "equivalent", "total_tce")
TCO2_PATH = ("carbon", "total_tco2")


@dataclass(frozen=True)
class RegionTotals:
    """Sum of 综合能耗 (当量值, tce) and CO₂ (t) over the counted annual reports of ``year`` (None: none yet)."""

    year: int | None
    tce: float
    tco2: float
    reports: int


#: A stored version as it is recognised: (store URL, version id, created at as text, content hash). The id
#: alone could name another version in a store re-created under the same URL (a test database, a restore).
VersionKey = tuple[str, int, str, str]
#: Versions whose figures a process keeps (two floats each, ~150 bytes with the key); past it, all are dropped.
KEPT_VERSIONS = 200_000
#: Versions whose figures are read out of their JSON by one statement (bound parameters per statement).
READ_BATCH = 500

_figures: dict[VersionKey, tuple[float | None, float | None]] = {}  # key → (tce, tCO₂) as stored, None: absent
_figures_lock = threading.Lock()


def _scope(actor: Principal, region_code: str) -> list[ColumnElement[bool]]:
    # The enterprises as a set the reports are checked against (not a join from them): SQLite then reads the
    # reports in table order, as the plain aggregate does, instead of one index probe per enterprise (~10 %
    # of the aggregate's CPU at 5,000 enterprises).
    enterprises = select(Enterprise.id).where(
        enterprise_filter(actor), Enterprise.region_code.in_(subtree_codes(region_code))
    )
    return [
        PeriodReport.enterprise_id.in_(enterprises),
        PeriodReport.period_kind == "year",
        PeriodReport.state.in_(COUNTED_STATES),
    ]


def region_totals(session: Session, actor: Principal, region_code: str, year: int | None = None) -> RegionTotals:
    """Totals of the approved (or locked) annual reports of ``region_code``'s subtree that ``actor`` may read,
    for ``year`` — by default the latest year with any such report (a report without a figure counts, adding 0).

    Two statements: the year, then the current version of each counted report (id, creation time, content
    hash: no JSON read); more only for versions this process has not seen, to read their two figures: by id
    for a few, or — after a start or a mass change — one pass over the same reports, as the aggregate did."""
    conditions = _scope(actor, region_code)
    if year is None:
        year = session.scalar(select(func.max(PeriodReport.year)).where(*conditions))
        if year is None:
            return RegionTotals(None, 0.0, 0.0, 0)
    version = PeriodReportVersion
    rows = session.execute(
        select(version.id, cast(version.created_at, String), version.content_hash)
        .select_from(PeriodReport)
        .join(version, version.id == PeriodReport.current_version_id)
        .where(*conditions, PeriodReport.year == year)
    ).all()
    store = str(session.get_bind().engine.url)
    keys = [(store, int(id_), str(created), str(content)) for id_, created, content in rows]
    with _figures_lock:
        unseen = sum(1 for key in keys if key not in _figures)
    if unseen > READ_BATCH:  # one pass over the reports' JSON instead of many batches of ids
        _read_counted(session, conditions, year, {key[1]: key for key in keys})
    figures = version_figures(session, keys)
    tce = math.fsum(figures[key][0] or 0.0 for key in keys)
    tco2 = math.fsum(figures[key][1] or 0.0 for key in keys)
    return RegionTotals(int(year), tce, tco2, len(keys))


def version_figures(
    session: Session, keys: Sequence[VersionKey]
) -> dict[VersionKey, tuple[float | None, float | None]]:
    """(tce, tCO₂) stored in each version's ``computed`` (None where absent): kept ones from memory, the others
    read out of their JSON by the database (as the aggregate did: the same JSON paths, the same casts)."""
    with _figures_lock:
        found = {key: kept for key in keys if (kept := _figures.get(key)) is not None}
    missing = {key[1]: key for key in keys if key not in found}
    computed = PeriodReportVersion.computed
    ids = sorted(missing)
    read: dict[VersionKey, tuple[float | None, float | None]] = {}
    for start in range(0, len(ids), READ_BATCH):
        batch = ids[start : start + READ_BATCH]
        for id_, tce, tco2 in session.execute(
            select(PeriodReportVersion.id, computed[TCE_PATH].as_float(), computed[TCO2_PATH].as_float()).where(
                PeriodReportVersion.id.in_(batch)
            )
        ):
            read[missing[int(id_)]] = (_number(tce), _number(tco2))
    if read:
        with _figures_lock:
            if len(_figures) + len(read) > KEPT_VERSIONS:
                _figures.clear()
            _figures.update(read)
        found.update(read)
    return found


def _read_counted(
    session: Session, conditions: list[ColumnElement[bool]], year: int, keys: dict[int, VersionKey]
) -> None:
    """Keep the figures of every counted report's current version, read in one statement."""
    computed = PeriodReportVersion.computed
    rows = session.execute(
        select(PeriodReportVersion.id, computed[TCE_PATH].as_float(), computed[TCO2_PATH].as_float())
        .select_from(PeriodReport)
        .join(PeriodReportVersion, PeriodReportVersion.id == PeriodReport.current_version_id)
        .where(*conditions, PeriodReport.year == year)
    )
    read = {keys[int(id_)]: (_number(tce), _number(tco2)) for id_, tce, tco2 in rows if int(id_) in keys}
    with _figures_lock:
        if len(_figures) + len(read) > KEPT_VERSIONS:
            _figures.clear()
        _figures.update(read)


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def forget_version_figures() -> None:
    """Drop the kept figures (tests; a store restored under a running process)."""
    with _figures_lock:
        _figures.clear()


def review_count(session: Session, actor: Principal, region_code: str | None = None) -> int:
    """How many reports wait for review (submitted) in ``region_code``'s subtree within ``actor``'s scope: the
    total of ``review_queue``, counted without fetching a row of the queue (the dashboard shows the count)."""
    require_role(actor, "regulator", "reviewer")
    conditions = [enterprise_filter(actor), PeriodReport.state == "submitted"]
    if region_code:
        conditions.append(Enterprise.region_code.in_(subtree_codes(region_code)))
    query = (
        select(func.count(PeriodReport.id))
        .select_from(PeriodReport)
        .join(Enterprise, Enterprise.id == PeriodReport.enterprise_id)
        .where(*conditions)
    )
    return int(session.scalar(query) or 0)
