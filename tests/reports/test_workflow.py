"""Period-report workflow on SQLite and PostgreSQL: states, versions, scope, review rows and audit rows.

The ``world`` fixture (tests/conftest.py): enterprise a in 鹿城区 330302, b in 龙湾区 330303 (both under
温州 330300), c in 西湖区 330106 (杭州); regulators province/city/lucheng/longwan, reviewer ``expert``
(温州), enterprise users ent_a/ent_b, ``agency`` assigned to a.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.app.api import status_for
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, DualcarbonError, InvalidInput, NotFound, PermissionDenied
from dualcarbon.reference.imports import import_file
from dualcarbon.reference.tables import load_reference
from dualcarbon.registry.models import ProductionUnit
from dualcarbon.reports import service as reports
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion, ReportReview
from dualcarbon.store.audit import verify_audit_chain
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

W10: dict[str, Any] = {
    "energy_lines": [
        {"carrier": "电力", "quantity": 10000, "unit": "MWh"},
        {"carrier": "天然气", "quantity": 500000, "unit": "m³"},
        {"carrier": "柴油", "quantity": 200, "unit": "t"},
    ],
    "outputs": [{"product": "电石", "quantity": 1000, "unit": "t"}],
    "economics": {"value_added_10k_yuan": 5000, "employees": 120},
}


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def _create(
    world: Any, username: str = "ent_a", key: str = "a", year: int = 2023, content: dict[str, Any] | None = None
) -> int:
    with session_scope(world.engine) as session:
        report = reports.create_report(
            session, who(session, username), world.codes[key], "year", year, 0, content or W10
        )
        return report.id


def _act(world: Any, username: str, action: str, report_id: int, *args: Any) -> PeriodReport:
    with session_scope(world.engine) as session:
        return getattr(reports, action)(session, who(session, username), report_id, *args)


def test_full_flow_keeps_versions_reviews_and_audit(world: Any) -> None:
    report_id = _create(world)
    assert _act(world, "ent_a", "submit", report_id).state == "submitted"
    returned = _act(world, "city", "return_report", report_id, "柴油消费量与发票不符，请核实")
    assert returned.state == "returned"
    edited = {**W10, "energy_lines": [*W10["energy_lines"][:2], {"carrier": "柴油", "quantity": 180, "unit": "t"}]}
    with session_scope(world.engine) as session:
        report, added = reports.update_draft(session, who(session, "ent_a"), report_id, edited)
        assert added and report.version == 2 and report.state == "returned"
    assert _act(world, "ent_a", "submit", report_id).state == "submitted"
    assert _act(world, "expert", "approve", report_id).state == "approved"
    assert _act(world, "city", "lock", report_id).state == "locked"

    with session_scope(world.engine) as session:
        view = reports.get_report(session, who(session, "ent_a"), report_id)
        assert [v.version for v in view.versions] == [1, 2]
        assert [(r.action, r.version, r.actor) for r in view.reviews] == [
            ("submit", 1, "ent_a"),
            ("return", 1, "city"),
            ("submit", 2, "ent_a"),
            ("approve", 2, "expert"),
            ("lock", 2, "city"),
        ]
        assert view.reviews[1].comment == "柴油消费量与发票不符，请核实"
        assert view.state_label == "已锁定"
        # version 2: diesel 180 t × 1.4571 kgce/kg = 262.278 tce; 1,229 + 607.15 + 262.278 = 2,098.428 tce
        assert view.computed.energy.equivalent.total_tce == pytest.approx(2098.428)
        actions = list(
            session.scalars(
                select(AuditLog.action)
                .where(AuditLog.entity == "period_report", AuditLog.entity_id == str(report_id))
                .order_by(AuditLog.id)
            )
        )
        assert actions == [
            "report.create",
            "report.submit",
            "report.return",
            "report.update",
            "report.submit",
            "report.approve",
            "report.lock",
        ]
        assert session.scalar(select(func.count()).select_from(ReportReview)) == 5
        assert verify_audit_chain(session) == []


def test_identical_resave_makes_no_new_version(world: Any) -> None:
    report_id = _create(world)
    # Same content written differently: carrier by id and English name, 10000 as 10000.0.
    same = {
        **W10,
        "energy_lines": [
            {"carrier": "electricity", "quantity": 10000.0, "unit": "MWh"},
            {"carrier": "natural_gas", "quantity": 500000, "unit": "m³"},
            {"carrier": "柴油", "quantity": 200, "unit": "t", "use": "fuel"},
        ],
    }
    with session_scope(world.engine) as session:
        report, added = reports.update_draft(session, who(session, "ent_a"), report_id, same)
        assert not added and report.version == 1
        assert session.scalar(select(func.count()).select_from(PeriodReportVersion)) == 1
        assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "report.update")) == 0


def test_illegal_transitions_are_conflicts(world: Any) -> None:
    report_id = _create(world)
    with pytest.raises(Conflict, match="approve needs"):
        _act(world, "city", "approve", report_id)
    with pytest.raises(Conflict):
        _act(world, "city", "lock", report_id)
    with pytest.raises(Conflict):
        _act(world, "city", "return_report", report_id, "why")
    _act(world, "ent_a", "submit", report_id)
    with pytest.raises(Conflict):
        _act(world, "ent_a", "submit", report_id)
    with pytest.raises(Conflict, match="editing"):
        _act(world, "ent_a", "update_draft", report_id, W10)
    with pytest.raises(Conflict, match="already exists"):
        _create(world)


def test_return_and_reopen_need_a_comment(world: Any) -> None:
    report_id = _create(world)
    _act(world, "ent_a", "submit", report_id)
    with pytest.raises(InvalidInput) as caught:
        _act(world, "city", "return_report", report_id, "  ")
    assert caught.value.field == "comment"
    _act(world, "city", "approve", report_id)
    with pytest.raises(InvalidInput):
        _act(world, "city", "reopen", report_id, None)
    reopened = _act(world, "city", "reopen", report_id, "申辩成立，请更正产量")
    assert reopened.state == "returned"


def test_other_enterprise_and_other_district_see_nothing(world: Any) -> None:
    report_id = _create(world)
    _act(world, "ent_a", "submit", report_id)
    with session_scope(world.engine) as session:
        with pytest.raises(NotFound):
            reports.get_report(session, who(session, "ent_b"), report_id)
        items, total = reports.list_reports(session, who(session, "ent_b"))
        assert (items, total) == ([], 0)
    with pytest.raises(NotFound):
        _act(world, "ent_b", "update_draft", report_id, W10)
    with pytest.raises(NotFound):  # 龙湾 regulator, report of 鹿城 enterprise a
        _act(world, "longwan", "approve", report_id)
    with pytest.raises(NotFound):
        _act(world, "longwan", "return_report", report_id, "no")
    with pytest.raises(PermissionDenied):  # the enterprise cannot approve its own report
        _act(world, "ent_a", "approve", report_id)
    _act(world, "expert", "approve", report_id)  # a reviewer of 温州 reviews …
    with pytest.raises(PermissionDenied):  # … but does not lock
        _act(world, "expert", "lock", report_id)
    with session_scope(world.engine) as session, pytest.raises(NotFound):
        reports.create_report(session, who(session, "ent_a"), world.codes["b"], "year", 2023, 0, W10)


def test_agency_and_district_regulator_may_file(world: Any) -> None:
    agency_report = _create(world, "agency", "a", 2022)
    assert _act(world, "agency", "submit", agency_report).state == "submitted"
    assert _act(world, "lucheng", "approve", agency_report).state == "approved"
    regulator_report = _create(world, "longwan", "b", 2023)
    assert _act(world, "longwan", "submit", regulator_report).state == "submitted"
    with session_scope(world.engine) as session, pytest.raises(PermissionDenied):
        reports.create_report(session, who(session, "expert"), world.codes["a"], "year", 2021, 0, W10)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (
            {
                "energy_lines": [
                    {"carrier": "电力", "quantity": 1, "unit": "kWh"},
                    {"carrier": "x", "quantity": 1, "unit": "t"},
                ]
            },
            "energy_lines[1].carrier",
        ),
        ({"energy_lines": [{}, {}, {"carrier": "柴油", "quantity": 1, "unit": "kWh"}]}, "energy_lines[0].carrier"),
        (
            {
                "energy_lines": [
                    {"carrier": "柴油", "quantity": 1, "unit": "t"},
                    {"carrier": "电力", "quantity": 1, "unit": "t"},
                ]
            },
            "energy_lines[1].unit",
        ),
        ({"energy_lines": [{"carrier": "电力", "quantity": -5, "unit": "kWh"}]}, "energy_lines[0].quantity"),
        ({"energy_lines": [{"carrier": "原煤", "quantity": 5, "unit": "t", "ncv": 20}]}, "energy_lines[0].ncv_unit"),
        ({"outputs": [{"quantity": 5, "unit": "t"}]}, "outputs[0].product"),
        (
            {"outputs": [{"product": "水泥熟料", "quantity": 5, "unit": "t", "benchmark_row_id": "BM9999-1"}]},
            "outputs[0].benchmark_row_id",
        ),
        ({"outputs": [{"production_unit_id": 999, "quantity": 5, "unit": "t"}]}, "outputs[0].production_unit_id"),
        ({"economics": {"employees": 1.5}}, "economics.employees"),
        (
            {"energy_lines": [{"carrier": "柴油", "quantity": 1, "unit": "t", "colour": "red"}]},
            "energy_lines[0].colour",
        ),
    ],
)
def test_invalid_content_names_the_field(world: Any, content: dict[str, Any], field: str) -> None:
    with session_scope(world.engine) as session, pytest.raises(DualcarbonError) as caught:
        reports.create_report(session, who(session, "ent_a"), world.codes["a"], "year", 2023, 0, content)
    assert caught.value.field == field
    assert status_for(caught.value) == 422
    with session_scope(world.engine) as session:
        assert session.scalar(select(func.count()).select_from(PeriodReport)) == 0


def test_production_unit_supplies_product_and_benchmark_row(world: Any) -> None:
    with session_scope(world.engine) as session:
        b = who(session, "ent_b")
        unit = session.scalars(select(ProductionUnit)).one()
        report = reports.create_report(
            session,
            b,
            world.codes["b"],
            "year",
            2023,
            0,
            {
                "energy_lines": [{"carrier": "原煤", "quantity": 10000, "unit": "吨"}],
                "outputs": [{"production_unit_id": unit.id, "quantity": 60, "unit": "万吨"}],
            },
        )
        view = reports.get_report(session, b, report.id)
    output = view.content.outputs[0]
    assert (output.product, output.benchmark_row_id) == ("水泥熟料", "BM2023-061")
    # 10,000 t raw coal × 0.7143 kgce/kg = 7,143 tce over 600,000 t clinker = 11.905 kgce/t
    assert view.computed.outputs[0].unit_consumption == pytest.approx(7143 / 600)
    assert view.computed.outputs[0].unit_consumption_unit == "kgce/t"


def test_submit_needs_energy_lines(world: Any) -> None:
    report_id = _create(world, content={"outputs": [{"product": "电石", "quantity": 1, "unit": "t"}]})
    with pytest.raises(InvalidInput) as caught:
        _act(world, "ent_a", "submit", report_id)
    assert caught.value.field == "energy_lines"


def test_tolerance_comes_from_reference_data(world: Any, tmp_path: Path) -> None:
    """The deviation tolerance is the platform_rules row report_deviation_tolerance_pct (2 % as shipped); an
    imported version of that table changes it (the old environment variable: tests/core/test_settings.py)."""
    diesel_5_pct_high = {
        **W10,
        "energy_lines": [
            *W10["energy_lines"][:2],
            {"carrier": "柴油", "quantity": 200, "unit": "t", "reported_tce": 291.42 * 1.05},
        ],
    }
    report_id = _create(world, content=diesel_5_pct_high)
    rules = tmp_path / "platform_rules.csv"
    rules.write_text("row_id,value,source,confidence\nPR-001,6,test,uncertain: test\n", encoding="utf-8")
    import_file(rules, tmp_path / "data", "platform_rules")
    with session_scope(world.engine) as session:
        view = reports.get_report(session, who(session, "ent_a"), report_id)
        assert view.tolerance_pct == 2.0 and view.has_flagged_deviation
        assert view.computed.tolerance_pct == 2.0
        view = reports.get_report(
            session, who(session, "ent_a"), report_id, reference=load_reference(tmp_path / "data")
        )
        assert view.tolerance_pct == 6.0 and not view.has_flagged_deviation
