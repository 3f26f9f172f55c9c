"""The 检查 step of the report form (reports/pages_form.check_content): a duplicate period is caught there,
before anything is saved — not on submit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import Principal
from dualcarbon.reference.tables import load_reference
from dualcarbon.reports import service as reports
from dualcarbon.reports.models import PeriodReport
from dualcarbon.reports.pages_form import DUPLICATE, check_content
from dualcarbon.store.db import session_scope

CONTENT: dict[str, Any] = {"energy_lines": [{"carrier": "电力", "quantity": 10000, "unit": "MWh"}], "outputs": []}


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def test_a_second_report_for_the_same_period_is_caught_at_check(world: Any) -> None:
    reference = load_reference()
    code = world.codes["a"]
    with session_scope(world.engine) as session:
        assert check_content(session, who(session, "ent_a"), code, CONTENT, reference, ("year", 2023, 0)) == []
        reports.create_report(session, who(session, "ent_a"), code, "year", 2023, 0, CONTENT)
    with session_scope(world.engine) as session:
        problems = check_content(session, who(session, "ent_a"), code, CONTENT, reference, ("year", 2023, 0))
        count = session.scalar(select(func.count()).select_from(PeriodReport))
    assert count == 1  # the check saved nothing
    assert len(problems) == 1
    path, message, kind = problems[0]
    assert (path, kind) == ("period", DUPLICATE)
    period_label, _, state_label = message.partition("|")
    assert "2023" in period_label and state_label == "草稿"
    with session_scope(world.engine) as session:  # another year, or editing (no period given), is no duplicate
        assert check_content(session, who(session, "ent_a"), code, CONTENT, reference, ("year", 2024, 0)) == []
        assert check_content(session, who(session, "ent_a"), code, CONTENT, reference) == []
