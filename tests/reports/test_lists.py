"""Report lists, the review queue, version diffs, year on year, deadlines and the overdue list (both backends)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, NotFound, PermissionDenied
from dualcarbon.reports import service as reports
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

POWER = {
    "energy_lines": [{"carrier": "电力", "quantity": 10000, "unit": "MWh"}],
    "outputs": [{"product": "电石", "quantity": 1000, "unit": "t"}],
}
W10 = {
    "energy_lines": [
        {"carrier": "电力", "quantity": 10000, "unit": "MWh"},
        {"carrier": "天然气", "quantity": 500000, "unit": "m³"},
        {"carrier": "柴油", "quantity": 200, "unit": "t"},
    ],
    "outputs": [{"product": "电石", "quantity": 1000, "unit": "t"}],
}


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def file_report(
    world: Any, key: str, year: int, content: dict[str, Any], *, until: str = "draft", user: str | None = None
) -> int:
    """Create a report and move it to ``until`` (draft, submitted, approved)."""
    if user is None:
        user = f"ent_{key}" if key in ("a", "b") else "province"
    with session_scope(world.engine) as session:
        report = reports.create_report(session, who(session, user), world.codes[key], "year", year, 0, content)
        if until in ("submitted", "approved"):
            reports.submit(session, who(session, "province"), report.id)
        if until == "approved":
            reports.approve(session, who(session, "province"), report.id)
        return report.id


def test_year_on_year_against_last_years_approved_version(world: Any) -> None:
    previous = file_report(world, "a", 2022, POWER, until="approved")
    current = file_report(world, "a", 2023, W10)
    with session_scope(world.engine) as session:
        view = reports.get_report(session, who(session, "ent_a"), current)
    yoy = view.year_on_year
    assert yoy.available and yoy.previous_report is not None
    assert yoy.previous_report.model_dump() == {"report_id": previous, "version": 1, "year": 2022}
    change = {item.key: item.change_pct for item in yoy.items}
    assert change["total_tce_equivalent"] == pytest.approx(73.1139, abs=1e-4)  # (2,127.57 − 1,229) / 1,229
    # 等价值 is unavailable for 2022 (供电煤耗 blank) → no change figure, not an error
    assert change["total_tce_equal"] is None


def test_year_on_year_ignores_unapproved_previous_reports(world: Any) -> None:
    file_report(world, "a", 2022, POWER, until="submitted")
    current = file_report(world, "a", 2023, W10)
    with session_scope(world.engine) as session:
        assert reports.get_report(session, who(session, "ent_a"), current).year_on_year.available is False


def test_compare_versions_field_by_field(world: Any) -> None:
    report_id = file_report(world, "a", 2023, W10)
    edited = {**W10, "energy_lines": [*W10["energy_lines"][:2]], "economics": {"employees": 80}}
    with session_scope(world.engine) as session:
        reports.update_draft(session, who(session, "ent_a"), report_id, edited)
        diff = reports.compare_versions(session, who(session, "city"), report_id, 1, 2)
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "report.update")).one()
    changes = {c.field: (c.a, c.b) for c in diff.changes}
    assert changes["energy_lines[2].carrier"] == ("diesel", None)
    assert changes["energy_lines[2].quantity"] == (200.0, None)
    assert changes["economics.employees"] == (None, 80)
    # the removed diesel line: 2,127.57 − 291.42 = 1,836.15 tce
    assert changes["computed.total_tce_equivalent"] == (pytest.approx(2127.57), pytest.approx(1836.15))
    assert "energy_lines[0].quantity" not in changes
    assert "energy_lines[2].quantity" in audit.after["changed"]
    with session_scope(world.engine) as session, pytest.raises(NotFound):
        reports.compare_versions(session, who(session, "city"), report_id, 1, 7)


def test_lists_filter_and_scope(world: Any) -> None:
    a = file_report(world, "a", 2023, W10, until="submitted")
    b = file_report(world, "b", 2023, POWER, until="submitted")
    c = file_report(world, "c", 2023, POWER, user="province")
    with session_scope(world.engine) as session:

        def ids(username: str, **kw: Any) -> list[int]:
            items, total = reports.list_reports(session, who(session, username), reports.ReportFilter(**kw))
            assert total == len(items)
            return sorted(item.id for item in items)

        assert ids("province") == sorted([a, b, c])
        assert ids("city") == sorted([a, b])
        assert ids("lucheng") == [a]
        assert ids("ent_b") == [b]
        assert ids("province", region_code="330100") == [c]
        assert ids("province", state="draft") == [c]
        assert ids("province", year=2022) == []
        assert ids("city", credit_code=world.codes["a"]) == [a]
        with pytest.raises(NotFound):
            ids("city", credit_code=world.codes["c"])
        with pytest.raises(InvalidInput):
            ids("city", state="lost")
        items, total = reports.list_reports(session, who(session, "province"), limit=1, offset=1)
        assert total == 3 and len(items) == 1
        summary = reports.list_reports(
            session, who(session, "city"), reports.ReportFilter(credit_code=world.codes["a"])
        )[0][0]
        assert summary.state_label == "已提交" and summary.total_tce_equivalent == pytest.approx(2127.57)


def test_review_queue_oldest_first(world: Any) -> None:
    first = file_report(world, "b", 2023, POWER, until="submitted")
    second = file_report(world, "a", 2023, POWER, until="submitted")
    file_report(world, "a", 2022, POWER)
    with session_scope(world.engine) as session:
        items, total = reports.review_queue(session, who(session, "expert"))
        assert [item.id for item in items] == [first, second] and total == 2
        assert [i.id for i in reports.review_queue(session, who(session, "lucheng"))[0]] == [second]
        with pytest.raises(PermissionDenied):
            reports.review_queue(session, who(session, "ent_a"))


def test_deadlines_and_overdue(world: Any) -> None:
    with session_scope(world.engine) as session:
        reports.set_deadline(session, who(session, "city"), "330300", "year", 2023, 0, date(2024, 3, 31))
        with pytest.raises(NotFound):  # 鹿城 regulator cannot set the city's deadline
            reports.set_deadline(session, who(session, "lucheng"), "330300", "year", 2023, 0, date(2024, 3, 1))
        with pytest.raises(PermissionDenied):
            reports.set_deadline(session, who(session, "ent_a"), "330302", "year", 2023, 0, date(2024, 3, 1))
        with pytest.raises(InvalidInput):
            reports.set_deadline(session, who(session, "city"), "330300", "quarter", 2023, 5, date(2024, 3, 1))
    file_report(world, "a", 2023, POWER, until="submitted")
    draft_b = file_report(world, "b", 2023, POWER)

    def overdue(username: str, region: str, as_of: date) -> list[tuple[str, int, int | None, str | None]]:
        with session_scope(world.engine) as session:
            items = reports.overdue(session, who(session, username), region, as_of)
            return [(i.credit_code, i.days_overdue, i.report_id, i.state) for i in items]

    # a filed on time; b only has a draft: one day after 2024-03-31 it is overdue by 1 day
    assert overdue("city", "330300", date(2024, 4, 1)) == [(world.codes["b"], 1, draft_b, "draft")]
    assert overdue("city", "330300", date(2024, 3, 31)) == []  # the deadline day itself is not late
    assert overdue("lucheng", "330302", date(2024, 4, 1)) == []
    assert overdue("province", "330000", date(2024, 4, 10))[0][:2] == (world.codes["b"], 10)
    # c (杭州) has no deadline set for it
    assert all(code != world.codes["c"] for code, *_ in overdue("province", "330000", date(2024, 4, 10)))
    with session_scope(world.engine) as session:
        # 龙湾 gives its enterprises until 30 April: its own deadline overrides the city's
        reports.set_deadline(session, who(session, "longwan"), "330303", "year", 2023, 0, date(2024, 4, 30))
        assert reports.effective_deadline(session, "330303", "year", 2023, 0) == date(2024, 4, 30)
        assert reports.effective_deadline(session, "330302", "year", 2023, 0) == date(2024, 3, 31)
        view = reports.get_report(session, who(session, "ent_b"), draft_b)
        assert view.deadline == "2024-04-30"
    assert overdue("city", "330300", date(2024, 4, 1)) == []
    assert overdue("city", "330300", date(2024, 5, 2))[0][:2] == (world.codes["b"], 2)
    with session_scope(world.engine) as session:
        with pytest.raises(NotFound):
            reports.overdue(session, who(session, "lucheng"), "330300", date(2024, 5, 2))
        with pytest.raises(PermissionDenied):
            reports.overdue(session, who(session, "ent_a"), "330302", date(2024, 5, 2))
        deadlines = reports.list_deadlines(session, "330303")
        assert {(d.region_code, d.deadline) for d in deadlines} == {
            ("330300", date(2024, 3, 31)),
            ("330303", date(2024, 4, 30)),
        }
