"""The region totals read each report version's figures out of its JSON once per process
(``reports.service_totals.version_figures``): a view after an approval reads only the new version, the totals
stay equal to the plain aggregate over the stored JSON, and a kept figure is used only for the very version it
was read from. World: the 云南 fixture (tests/catalog_fixtures.py), on both backends."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from catalog_fixtures import World, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"
from dualcarbon.registry.models import Enterprise
from dualcarbon.reports import service_totals
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion
from dualcarbon.reports.service_totals import TCE_PATH, TCO2_PATH, region_totals
from dualcarbon.reports.service_workflow import approve
from dualcarbon.store.db import session_scope


@pytest.fixture(autouse=True)
def _forgotten() -> Iterator[None]:
    service_totals.forget_version_figures()
    yield
    service_totals.forget_version_figures()


def _json_reads(world: World) -> list[Any]:
    """The parameters of every statement that reads figures out of the versions' JSON."""
    seen: list[Any] = []

    @event.listens_for(world.engine, "before_cursor_execute")
    def _record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "computed" in statement:
            seen.append(parameters)

    return seen


def _values(parameters: Any) -> list[Any]:
    return list(parameters.values()) if isinstance(parameters, dict) else list(parameters)


def _plain_aggregate(session: Session) -> tuple[int, float, float]:
    """The totals as one SQL aggregate over the stored JSON of 昆明's (5301…) counted 2024 annual reports."""
    computed = PeriodReportVersion.computed
    count, tce, tco2 = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(computed[TCE_PATH].as_float()), 0.0),
            func.coalesce(func.sum(computed[TCO2_PATH].as_float()), 0.0),
        )
        .select_from(PeriodReport)
        .join(PeriodReportVersion, PeriodReportVersion.id == PeriodReport.current_version_id)
        .join(Enterprise, Enterprise.id == PeriodReport.enterprise_id)
        .where(
            Enterprise.region_code.like("5301%"),
            PeriodReport.period_kind == "year",
            PeriodReport.year == 2024,
            PeriodReport.state.in_(("approved", "locked")),
        )
    ).one()
    return int(count), float(tce), float(tco2)


def test_a_version_is_read_once_and_an_approved_one_at_the_next_view(yunnan: World) -> None:
    reads = _json_reads(yunnan)
    with session_scope(yunnan.engine, write=False) as session:
        first = region_totals(session, yunnan["city"], "530100")
        assert len(reads) == 1  # A–E: one statement for their five versions
        again = region_totals(session, yunnan["city"], "530100")
        assert again == first and len(reads) == 1  # nothing read out of JSON again
        plain = _plain_aggregate(session)
    assert (first.reports, first.tce, first.tco2) == (plain[0], pytest.approx(plain[1]), pytest.approx(plain[2]))
    with session_scope(yunnan.engine) as session:
        approve(session, yunnan["wuhua"], yunnan.report_ids["P"])
    reads.clear()
    with session_scope(yunnan.engine, write=False) as session:
        after = region_totals(session, yunnan["city"], "530100")
        read_after = list(reads)
        plain = _plain_aggregate(session)
        p_version = session.scalar(
            select(PeriodReport.current_version_id).where(PeriodReport.id == yunnan.report_ids["P"])
        )
    assert len(read_after) == 1 and [value for value in _values(read_after[0]) if isinstance(value, int)] == [p_version]
    assert after.reports == 6 == plain[0] and after.tce == pytest.approx(plain[1]) and after.tce > first.tce
    assert after.tco2 == pytest.approx(plain[2])


def test_a_kept_figure_serves_only_the_version_it_was_read_from(yunnan: World) -> None:
    with session_scope(yunnan.engine, write=False) as session:
        right = region_totals(session, yunnan["city"], "530100")
    kept = dict(service_totals._figures)
    assert len(kept) == 5
    # The same ids in a store re-created under the same URL (other content, other creation time): never used
    service_totals.forget_version_figures()
    service_totals._figures.update({(url, id_, "another time", "another hash"): (1e9, 1e9) for url, id_, *_ in kept})
    with session_scope(yunnan.engine, write=False) as session:
        assert region_totals(session, yunnan["city"], "530100") == right
    # …while the very versions are taken from memory (a wrong kept value shows: this test can fail)
    service_totals._figures.update({key: (1.0, 2.0) for key in kept})
    with session_scope(yunnan.engine, write=False) as session:
        assert region_totals(session, yunnan["city"], "530100").tce == pytest.approx(5.0)


def test_many_unseen_versions_are_read_in_one_pass(yunnan: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a start (nothing kept) the figures are read by one pass over the counted reports, not by ids."""
    monkeypatch.setattr(service_totals, "READ_BATCH", 2)  # 5 unseen versions: more than a batch
    reads = _json_reads(yunnan)
    with session_scope(yunnan.engine, write=False) as session:
        totals = region_totals(session, yunnan["city"], "530100")
        assert len(reads) == 1 and "approved" in _values(reads[0])  # over the counted reports; no batch by id
        assert region_totals(session, yunnan["city"], "530100") == totals and len(reads) == 1
        plain = _plain_aggregate(session)
    assert (totals.reports, totals.tce, totals.tco2) == (plain[0], pytest.approx(plain[1]), pytest.approx(plain[2]))
