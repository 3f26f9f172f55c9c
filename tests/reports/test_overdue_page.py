"""The overdue list counted and paged by the database (brief 8 item 7, issue #7 §6: the dashboard).

``overdue_page`` returns one page of the overdue items and their total, both from SQL; the items are the
same, in the same order, as the whole list ``overdue`` gives.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import Principal
from dualcarbon.reports import service as reports
from dualcarbon.reports.service_periods import overdue_page
from dualcarbon.store.db import session_scope


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def test_overdue_is_counted_and_paged_in_sql(world: Any) -> None:
    with session_scope(world.engine) as session:
        city = who(session, "city")
        # 温州 sets the 2023 year report due 31 March 2024 and Q1–Q3 of 2024 due the 20th after each quarter
        reports.set_deadline(session, city, "330300", "year", 2023, 0, date(2024, 3, 31))
        for quarter, deadline in ((1, date(2024, 4, 20)), (2, date(2024, 7, 20)), (3, date(2024, 10, 20))):
            reports.set_deadline(session, city, "330300", "quarter", 2024, quarter, deadline)
        # 龙湾 (b) gives until 30 April for the year report: its own deadline overrides the city's
        reports.set_deadline(session, who(session, "longwan"), "330303", "year", 2023, 0, date(2024, 4, 30))
    with session_scope(world.engine, write=False) as session:
        city = who(session, "city")
        everything = reports.overdue(session, city, "330300", date(2024, 8, 1))
        # on 1 August: a and b (温州's two enterprises) each miss the year report and Q1, Q2 (Q3 not yet due)
        # = 2 × 3 = 6 items; ordered by deadline: a's year (31 Mar), Q1 a, Q1 b (20 Apr), b's year (30 Apr), Q2 a, b
        got = [(i.credit_code, i.period_kind, i.period, i.deadline) for i in everything]
        a, b = world.codes["a"], world.codes["b"]
        assert got == [
            (a, "year", 0, date(2024, 3, 31)),
            *sorted([(a, "quarter", 1, date(2024, 4, 20)), (b, "quarter", 1, date(2024, 4, 20))]),
            (b, "year", 0, date(2024, 4, 30)),
            *sorted([(a, "quarter", 2, date(2024, 7, 20)), (b, "quarter", 2, date(2024, 7, 20))]),
        ]
        assert everything[3].days_overdue == 93  # 30 April → 1 August: 1 + 31 (May) + 30 (June) + 31 (July)
        page, total = overdue_page(session, city, "330300", date(2024, 8, 1), limit=2, offset=2)
        assert total == 6 and page == everything[2:4]
        last, total = overdue_page(session, city, "330300", date(2024, 8, 1), limit=4, offset=4)
        assert total == 6 and last == everything[4:]
