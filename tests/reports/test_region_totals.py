"""The dashboard's region totals (``reports.service_totals.region_totals``): one SQL aggregate over the stored
figures that equals the sum of the listed reports, in the caller's scope, on both backends."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from catalog_fixtures import World, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"
from dualcarbon.reports.service import ReportFilter, list_reports
from dualcarbon.reports.service_totals import region_totals
from dualcarbon.store.db import session_scope


def test_totals_of_the_city_are_the_approved_reports_of_2024(yunnan: World) -> None:
    with session_scope(yunnan.engine, write=False) as session:
        totals = region_totals(session, yunnan["city"], "530100")
        listed, _ = list_reports(
            session, yunnan["city"], ReportFilter(region_code="530100", state="approved", year=2024), limit=100
        )
    # A–E are approved in 昆明 (P is only submitted, Q is in 曲靖): 当量值 10,714.5 + 5,000 + 2,857.2
    # + 714.3 + 1,428.6 tce (原煤 at 0.7143 kgce/kg; B reports 标准煤)
    assert (totals.year, totals.reports) == (2024, 5)
    assert totals.tce == pytest.approx(10_714.5 + 5_000 + 2_857.2 + 714.3 + 1_428.6, abs=0.5)
    assert totals.tce == pytest.approx(sum(r.total_tce_equivalent or 0.0 for r in listed))
    assert totals.tco2 == pytest.approx(sum(r.total_tco2 or 0.0 for r in listed))  # (no CO₂ figures here)


def test_totals_follow_the_region_and_the_scope(yunnan: World) -> None:
    with session_scope(yunnan.engine, write=False) as session:
        wuhua = region_totals(session, yunnan["wuhua"], "530102")
        own = region_totals(session, yunnan["ent_a"], "530100")
        outside = region_totals(session, yunnan["qujing"], "530100")
        other_year = region_totals(session, yunnan["city"], "530100", year=2023)
    assert (wuhua.reports, wuhua.tce) == (2, pytest.approx(10_714.5 + 5_000, abs=0.5))  # A and B
    assert (own.reports, own.tce) == (1, pytest.approx(10_714.5, abs=0.5))  # the enterprise user sees A only
    assert (outside.year, outside.reports, outside.tce) == (None, 0, 0.0)  # 曲靖's regulator sees none of 昆明
    assert (other_year.year, other_year.reports, other_year.tce) == (2023, 0, 0.0)
