"""Completion shares keep to the schedule's window (acceptance walk of #9): a project due after the schedule's
last year (e.g. made in 2026, due 2029) is listed apart with the schedule's clause, not counted in the shares;
one completed within the window counts whatever its deadline (both stores)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dualcarbon.projects import service_projects as projects
from dualcarbon.projects import service_shares as shares
from dualcarbon.projects.schemas import ProjectIn
from dualcarbon.reference.policy import load_pack
from dualcarbon.store.db import session_scope

from .test_shares_deadlines import completed, who


def test_projects_due_after_the_schedule_are_listed_apart(world: Any) -> None:
    schedule = next(s for s in load_pack(shares.SHARES_PACK).schedules if s.kind == shares.SHARE_SCHEDULE_KIND)
    last = max(schedule.values)
    assert last == 2025  # Shanghai 百一: 2022–2025
    code = world.codes["a"]
    deadlines = [date(2023, 6, 30), date(2025, 12, 31), date(2029, 12, 5), date(2031, 1, 1), date(2030, 6, 30)]
    with session_scope(world.engine) as session:
        city = who(session, "city")
        ids = [
            projects.create_project(
                session, city, ProjectIn(credit_code=code, name=f"项目{i}", project_type="equipment", deadline=due)
            ).id
            for i, due in enumerate(deadlines)
        ]
        completed(session, ids[0], date(2023, 3, 1))
        completed(session, ids[4], date(2024, 5, 1))  # due 2030 but done in 2024: within the window, counted
    with session_scope(world.engine, write=False) as session:
        result = shares.completion_shares(session, who(session, "city"), "330300", as_of=date(2026, 12, 5))
    # counted: ids 0, 1, 4 (N = 3); apart: ids 2, 3 (due 2029 and 2031, not done)
    assert result.projects == 3
    assert [(o.id, o.deadline, o.credit_code) for o in result.outside] == [
        (ids[2], date(2029, 12, 5), code),
        (ids[3], date(2031, 1, 1), code),
    ]
    assert (result.first_year, result.last_year) == (2022, 2025)
    assert result.source == f"沪经信节〔2022〕167号 {schedule.source.clause}"
    by_year = {y.year: (y.planned, y.done, y.done_cumulative_pct) for y in result.years}
    # planned: deadlines 2023 and 2025 (the 2029–2031 ones are not mixed into 2025); done: 2023 and 2024
    assert by_year[2023][:2] == (1, 1) and by_year[2023][2] == pytest.approx(100 / 3)
    assert by_year[2024][1] == 1 and by_year[2024][2] == pytest.approx(200 / 3)
    assert by_year[2025][0] == 1
    assert sum(y.planned for y in result.years) == 2


def test_shares_page_lists_the_projects_outside_the_window(world: Any, fetch_pages: Any) -> None:
    # the API had the `outside` list, the page did not show it (the table alone read as if they were not there)
    if not world.url.startswith("sqlite"):
        pytest.skip("one backend is enough for the page")
    with session_scope(world.engine) as session:
        city = who(session, "city")
        projects.create_project(
            session,
            city,
            ProjectIn(
                credit_code=world.codes["a"], name="窗口外项目", project_type="equipment", deadline=date(2029, 12, 5)
            ),
        )
    status, html = fetch_pages(["city"], ["/projects-shares?region_code=330300"])[
        "city/projects-shares?region_code=330300"
    ]
    assert status == 200
    assert "project-shares-outside" in html
    assert "窗口外项目" in html and "2029-12-05" in html
    assert "完成期限在计划最后一年（2025）之后的项目" in html
