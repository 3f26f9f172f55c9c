"""The regional dashboard's figures kept until an audited change (``app.service_dashboard``, issue #7 §6: the
dashboard's first byte within 2× of the plain SQL aggregate) and the review count it shows
(``reports.service_totals.review_count``). World: the 云南 fixture (tests/catalog_fixtures.py)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from catalog_fixtures import World, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"
from dualcarbon.app import pages_dashboard, service_dashboard
from dualcarbon.core.errors import NotFound, PermissionDenied
from dualcarbon.core.settings import InvalidSetting
from dualcarbon.reports.service import review_queue, set_deadline
from dualcarbon.reports.service_periods import overdue_count, overdue_page
from dualcarbon.reports.service_totals import review_count
from dualcarbon.reports.service_workflow import approve
from dualcarbon.store.db import session_scope

TODAY = date(2025, 6, 1)


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv(service_dashboard.KEEP_SECONDS_ENV, raising=False)
    service_dashboard.forget_kept()
    yield
    service_dashboard.forget_kept()


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the real computations of the dashboard's figures and sections (each appends the region)."""
    calls: list[str] = []
    for name in ("_fresh_figures", "_fresh_sections"):
        fresh = getattr(pages_dashboard, name)

        def counting(session: Any, principal: Any, region_code: str, today: date, _fresh: Any = fresh) -> Any:
            calls.append(region_code)
            return _fresh(session, principal, region_code, today)

        monkeypatch.setattr(pages_dashboard, name, counting)
    return calls


def _data(world: World, username: str, region: str = "530100") -> dict[str, Any]:
    with session_scope(world.engine, write=False) as session:
        return pages_dashboard.dashboard_data(session, world[username], region, TODAY)


def test_a_repeated_view_reuses_the_figures_until_an_audited_change(
    yunnan: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counted(monkeypatch)
    first = _data(yunnan, "city")
    # 昆明: A–E approved in 2024 (10,714.5 + 5,000 + 2,857.2 + 714.3 + 1,428.6 tce), P submitted
    assert (first["enterprises"], first["pending"], first["totals"]["reports"]) == (6, 1, 5)
    assert first["totals"]["tce"] == pytest.approx(20_714.6, abs=0.5)
    assert first["overdue_total"] == 0 and first["retrofit"].projects == 0  # no deadline set, no project
    again = _data(yunnan, "city")
    assert again == first and calls == ["530100"] * 2  # figures and sections once each, not again
    # 五华's regulator approves P (an audited change): the next view is computed again and shows it
    with session_scope(yunnan.engine) as session:
        approve(session, yunnan["wuhua"], yunnan.report_ids["P"])
    after = _data(yunnan, "city")
    assert calls == ["530100"] * 4
    assert (after["pending"], after["totals"]["reports"]) == (0, 6)
    assert after["totals"]["tce"] > first["totals"]["tce"]


def test_each_caller_and_region_has_its_own_figures(yunnan: World, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted(monkeypatch)
    city, wuhua = _data(yunnan, "city"), _data(yunnan, "wuhua", "530102")
    # 五华's regulator sees A, B and P only: never the city's figures
    assert (city["enterprises"], wuhua["enterprises"]) == (6, 3)
    assert (wuhua["pending"], wuhua["totals"]["reports"]) == (1, 2)
    district = _data(yunnan, "city", "530103")  # the city regulator on 盘龙: C, D, E
    assert (district["enterprises"], district["pending"], district["totals"]["reports"]) == (3, 0, 3)
    assert calls == ["530100", "530100", "530102", "530102", "530103", "530103"]


def test_keeping_can_be_switched_off(yunnan: World, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted(monkeypatch)
    monkeypatch.setenv(service_dashboard.KEEP_SECONDS_ENV, "0")
    assert service_dashboard.keep_seconds() == 0.0
    _data(yunnan, "city")
    _data(yunnan, "city")
    assert calls == ["530100"] * 4
    monkeypatch.setenv(service_dashboard.KEEP_SECONDS_ENV, "not a number")
    with pytest.raises(InvalidSetting) as bad:  # a typo in a setting is said, never silently replaced
        service_dashboard.keep_seconds()
    assert bad.value.field == service_dashboard.KEEP_SECONDS_ENV


def test_kept_values_expire_after_the_keep_seconds(yunnan: World, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted(monkeypatch)
    _data(yunnan, "city")
    clock = [service_dashboard.time.monotonic() + service_dashboard.DEFAULT_KEEP_SECONDS + 1]
    monkeypatch.setattr(service_dashboard.time, "monotonic", lambda: clock[0])
    _data(yunnan, "city")
    assert calls == ["530100"] * 4


def test_review_count_is_the_queue_total_in_scope(yunnan: World) -> None:
    with session_scope(yunnan.engine, write=False) as session:
        for username, region, expected in (
            ("city", "530100", 1),  # P (五华) is submitted
            ("city", None, 1),
            ("wuhua", "530102", 1),
            ("panlong", "530103", 0),
            ("qujing", "530300", 0),
            ("qujing", "530100", 0),  # 昆明 is outside 曲靖's scope: nothing counted
            ("expert", "530100", 1),
        ):
            _, queued = review_queue(session, yunnan[username], region_code=region, limit=1)
            assert review_count(session, yunnan[username], region) == queued == expected, (username, region)
        with pytest.raises(PermissionDenied):
            review_count(session, yunnan["ent_a"], "530100")


def test_the_overdue_figure_is_the_count_of_the_overdue_list(yunnan: World, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted(monkeypatch)
    assert _data(yunnan, "city")["overdue_total"] == 0
    with session_scope(yunnan.engine) as session:
        # 昆明 wants the 2025 annual report by 31 March 2025; 五华 gives its enterprises until 1 July
        set_deadline(session, yunnan["city"], "530100", "year", 2025, 0, date(2025, 3, 31))
        set_deadline(session, yunnan["wuhua"], "530102", "year", 2025, 0, date(2025, 7, 1))
    with session_scope(yunnan.engine, write=False) as session:
        counted = overdue_count(session, yunnan["city"], "530100", TODAY)
        page, total = overdue_page(session, yunnan["city"], "530100", TODAY, limit=2)
        district = overdue_count(session, yunnan["panlong"], "530103", TODAY)
        with pytest.raises(NotFound):  # 曲靖's regulator does not see 昆明
            overdue_count(session, yunnan["qujing"], "530100", TODAY)
    # C, D, E (盘龙) are overdue on 1 June 2025; A, B, P (五华) have until 1 July
    assert counted == total == district == 3 and len(page) == 2
    data = _data(yunnan, "city")  # the deadlines were audited changes: computed again
    assert calls == ["530100"] * 4
    assert data["overdue_total"] == 3 and [item.credit_code for item in data["overdue"]] == sorted(
        yunnan.code(key) for key in "CDE"
    )
