"""/audits without ``?year=`` shows the latest year whose obligations have a basis (acceptance walk #9 row 11:
the current year, with no approved annual report yet, showed every obligation "待判定（无已批准年报）")."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dualcarbon.audits import pages_obligations
from dualcarbon.audits.schemas import ObligationsStatus, ObligationStatus

NOW = datetime.now(ZoneInfo("Asia/Shanghai")).year


def listing(year: int, findings: list[str]) -> ObligationsStatus:
    items = [
        ObligationStatus(
            credit_code=f"C{i}",
            name=f"企业{i}",
            region_code="339900",
            obligation="energy_audit",
            obligation_zh="能源审计",
            rule_id="R",
            pack_id="p",
            finding=finding,
            status="not_started",
            status_zh="未开展",
            report_id=None,
        )
        for i, finding in enumerate(findings)
    ]
    return ObligationsStatus(region_code="339900", year=year, pack="p", items=items, total=len(items))


class _Ctx:
    """Answers ``obligations_status`` from a table of years and records the years asked."""

    def __init__(self, by_year: dict[int, list[str]]) -> None:
        self.by_year, self.asked = by_year, []  # type: ignore[var-annotated]

    def call(self, function: Any, year: int, **_: Any) -> ObligationsStatus:
        assert function is pages_obligations.obligations_status
        self.asked.append(year)
        return listing(year, self.by_year.get(year, []))


def test_a_current_year_without_basis_steps_back_to_the_latest_year_with_one() -> None:
    ctx = _Ctx({NOW: ["undetermined"] * 3, NOW - 1: ["undetermined"] * 2, NOW - 2: ["applies", "undetermined"]})
    year, shown, stepped_from = pages_obligations._listing(ctx, None, None)  # type: ignore[arg-type]
    assert (year, stepped_from, shown.total) == (NOW - 2, NOW, 2)
    assert ctx.asked == [NOW, NOW - 1, NOW - 2]


def test_a_year_with_basis_or_asked_for_is_shown_as_it_is() -> None:
    ctx = _Ctx({NOW: ["applies", "undetermined"], NOW - 1: ["applies"]})
    assert pages_obligations._listing(ctx, None, None)[::2] == (NOW, None)  # type: ignore[arg-type]
    ctx = _Ctx({NOW: ["undetermined"]})
    year, _shown, stepped_from = pages_obligations._listing(ctx, NOW, None)  # type: ignore[arg-type]
    assert (year, stepped_from, ctx.asked) == (NOW, None, [NOW])  # the address names the year: no stepping
    # no earlier year with a basis within the look-back: the current year stays
    ctx = _Ctx({NOW: ["undetermined"]})
    assert pages_obligations._listing(ctx, None, None)[::2] == (NOW, None)  # type: ignore[arg-type]
    assert len(ctx.asked) == 1 + pages_obligations.LOOK_BACK_YEARS
