"""Period reports: versions with lines and economics, reviews, deadlines, immutability, content hash."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from dualcarbon.accounts.models import User
from dualcarbon.registry.models import Enterprise
from dualcarbon.reports.models import (
    Economics,
    EnergyLine,
    ImmutableVersionError,
    OutputLine,
    PeriodReport,
    PeriodReportVersion,
    ReportingPeriod,
    ReportReview,
    content_hash_of,
)
from dualcarbon.store.db import session_scope


def _content() -> tuple[list[EnergyLine], list[OutputLine], Economics]:
    energy = [
        EnergyLine(carrier_id="raw_coal", quantity=12000.0, unit="t", use="fuel", ncv=20908.0, ncv_unit="kJ/kg"),
        EnergyLine(carrier_id="electricity", quantity=3.6e7, unit="kWh", use="fuel", reported_tce=4424.4),
    ]
    outputs = [
        OutputLine(
            product="水泥熟料",
            benchmark_row_id="BM2023-061",
            quantity=1.2e6,
            unit="t",
            reported_unit_consumption=101.5,
            unit_consumption_unit="kgce/t",
        )
    ]
    economics = Economics(gross_output_10k_yuan=52000.0, value_added_10k_yuan=13000.0, employees=420)
    return energy, outputs, economics


def _new_version(report: PeriodReport, number: int, user_id: int | None) -> PeriodReportVersion:
    energy, outputs, economics = _content()
    return PeriodReportVersion(
        report=report,
        version=number,
        created_by=user_id,
        content_hash=content_hash_of(energy, outputs, economics),
        computed={"tce": 15000.0, "co2_t": 38000.0},
        energy_lines=energy,
        output_lines=outputs,
        economics=economics,
    )


def test_report_with_versions_round_trip(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        enterprise = session.scalars(select(Enterprise)).one()
        user = User(username="mgr", display_name="能源管理员")
        session.add(user)
        session.flush()
        report = PeriodReport(enterprise=enterprise, period_kind="year", year=2024, deadline=date(2025, 3, 31))
        first = _new_version(report, 1, user.id)
        report.current_version = first
        session.add(report)
        session.flush()
        session.add(ReportReview(report=report, version=1, action="submit", actor_user_id=user.id))
        report.state = "submitted"
        second = _new_version(report, 2, user.id)
        report.current_version, report.version = second, 2
    with session_scope(zhejiang) as session:
        report = session.scalars(select(PeriodReport)).one()
        assert (report.state, report.period, report.version) == ("submitted", 0, 2)
        assert report.current_version is not None and report.current_version.version == 2
        assert [v.version for v in report.versions] == [1, 2]
        assert report.deadline == date(2025, 3, 31)
        version = report.versions[0]
        assert [line.carrier_id for line in version.energy_lines] == ["raw_coal", "electricity"]
        assert version.energy_lines[0].ncv == 20908.0 and version.energy_lines[1].reported_tce == 4424.4
        assert version.output_lines[0].reported_unit_consumption == 101.5
        assert version.economics is not None and version.economics.employees == 420
        assert version.computed == {"tce": 15000.0, "co2_t": 38000.0}
        assert version.content_hash == report.versions[1].content_hash
        assert [(r.action, r.version) for r in report.reviews] == [("submit", 1)]
        assert list(
            session.scalars(select(PeriodReport).where(PeriodReport.enterprise_id == report.enterprise.id))
        ) == [report]


def test_one_report_per_enterprise_and_period(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        enterprise_id = session.scalars(select(Enterprise.id)).one()
        session.add(PeriodReport(enterprise_id=enterprise_id, period_kind="quarter", year=2024, period=1))
        session.add(PeriodReport(enterprise_id=enterprise_id, period_kind="quarter", year=2024, period=2))
    with pytest.raises(IntegrityError), session_scope(zhejiang) as session:
        session.add(PeriodReport(enterprise_id=enterprise_id, period_kind="quarter", year=2024, period=1))


@pytest.mark.parametrize(("kind", "period"), [("quarter", 5), ("month", 0), ("year", 1), ("week", 1)])
def test_period_must_fit_its_kind(zhejiang: Engine, kind: str, period: int) -> None:
    with pytest.raises(IntegrityError), session_scope(zhejiang) as session:
        enterprise_id = session.scalars(select(Enterprise.id)).one()
        session.add(PeriodReport(enterprise_id=enterprise_id, period_kind=kind, year=2024, period=period))


def test_versions_are_immutable(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        enterprise = session.scalars(select(Enterprise)).one()
        report = PeriodReport(enterprise=enterprise, period_kind="month", year=2024, period=6)
        session.add(_new_version(report, 1, None))
    for change in ("version", "line", "economics"):
        with pytest.raises(ImmutableVersionError), session_scope(zhejiang) as session:
            version = session.scalars(select(PeriodReportVersion)).one()
            if change == "version":
                version.content_hash = "0" * 64
            elif change == "line":
                version.energy_lines[0].quantity = 1.0
            else:
                assert version.economics is not None
                version.economics.employees = 1
    with session_scope(zhejiang) as session:
        assert session.scalars(select(EnergyLine.quantity)).first() == 12000.0


def test_content_hash_ignores_int_float_spelling_and_sees_changes() -> None:
    energy, outputs, economics = _content()
    reference = content_hash_of(energy, outputs, economics)
    energy[0].quantity = 12000  # same number written as an int
    assert content_hash_of(energy, outputs, economics) == reference
    energy[0].quantity = 12000.5
    assert content_hash_of(energy, outputs, economics) != reference
    assert content_hash_of(energy, outputs, None) != content_hash_of(energy, outputs, Economics())


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=5))
def test_content_hash_depends_only_on_content(quantities: list[float]) -> None:
    lines = [EnergyLine(carrier_id="diesel", quantity=q, unit="t", use="fuel") for q in quantities]
    copies = [EnergyLine(carrier_id="diesel", quantity=q, unit="t", use="fuel") for q in quantities]
    assert content_hash_of(lines, [], None) == content_hash_of(copies, [], None)


def test_reporting_period_deadlines(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        session.add(ReportingPeriod(region_code="330300", period_kind="year", year=2024, deadline=date(2025, 3, 31)))
        session.add(
            ReportingPeriod(region_code="330300", period_kind="month", year=2024, period=12, deadline=date(2025, 1, 15))
        )
    with session_scope(zhejiang) as session:
        deadlines = session.scalars(select(ReportingPeriod.deadline).order_by(ReportingPeriod.deadline)).all()
        assert deadlines == [date(2025, 1, 15), date(2025, 3, 31)]
    with pytest.raises(IntegrityError), session_scope(zhejiang) as session:
        session.add(ReportingPeriod(region_code="330300", period_kind="year", year=2024, deadline=date(2025, 4, 30)))
