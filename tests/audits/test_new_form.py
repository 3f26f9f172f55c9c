"""The filing form /audits/new (acceptance walk of #9): the year defaults to the current year on the
platform's clock (was a fixed 2024), each measure has a project type, and the form has the due date the
agency's timeliness is judged by."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dualcarbon.audits.pages import _due, this_year
from dualcarbon.ui.web.i18n import translate


def test_default_year_is_this_year_in_shanghai() -> None:
    before = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).year
    assert this_year() in (before, before + 1)  # a new year may begin between the two looks
    assert this_year() != 2024 or before == 2024


def test_due_date_text() -> None:
    assert _due("") is None and _due(None) is None
    assert _due(" 2026-12-31 ") == "2026-12-31"


def test_form_offers_due_date_and_type(fetch_pages: Callable[[list[str], list[str]], dict[str, list[Any]]]) -> None:
    pages = fetch_pages(["agency"], ["/audits/new"])
    status, html = pages["agency/audits/new"]
    assert status == 200
    assert "audit-due-date" in html
    assert translate("zh", "audits.due_date") in html
    assert translate("zh", "projects.type.motor_system") in html  # the measure's type picker
    assert f'"model-value":"{this_year()}","loopback":false,"error":null,"label":"年度"' in html
