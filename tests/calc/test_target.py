"""`calc target`: the compounding required rate (research notes W14) and cumulative completion shares."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.calc import target
from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.tables import shipped_reference


def run(payload: dict[str, Any]) -> dict[str, Any]:
    return target.run(payload, shipped_reference())


def test_w14_required_rate() -> None:
    # 1 − ((1 − 0.135)/(1 − 0.06))^(1/2) = 1 − (0.865/0.94)^0.5 = 1 − 0.959277 = 0.040723
    result = run(
        {
            "kind": "required_rate",
            "target_total_decline": 0.135,
            "years_total": 5,
            "achieved_cumulative": 0.06,
            "years_left": 2,
        }
    )
    assert result["required_annual_decline"] == pytest.approx(0.040723, abs=1e-6)
    assert result["completion_ratio"] == pytest.approx(0.444444, abs=1e-6)  # 0.06 / 0.135
    assert result["already_met"] is False


def test_required_rate_from_yearly_declines() -> None:
    # A = 1 − 0.98 × 0.97 × 0.99 = 1 − 0.941094 = 0.058906; years_left = 5 − 3 = 2
    # r = 1 − (0.865 / 0.941094)^0.5 = 1 − 0.958719 = 0.041281
    result = run(
        {
            "kind": "required_rate",
            "target_total_decline": 0.135,
            "years_total": 5,
            "yearly_declines": [0.02, 0.03, 0.01],
        }
    )
    assert result["achieved_cumulative"] == pytest.approx(0.058906, abs=1e-6)
    assert result["years_left"] == 2
    assert result["required_annual_decline"] == pytest.approx(0.041281, abs=1e-6)


def test_already_met_gives_negative_rate() -> None:
    # 1 − (0.9/0.85)^1 = 1 − 1.058824 = −0.058824: intensity may rise 5.9 % and still meet 10 %
    result = run(
        {
            "kind": "required_rate",
            "target_total_decline": 0.1,
            "years_total": 5,
            "achieved_cumulative": 0.15,
            "years_left": 1,
        }
    )
    assert result["already_met"] is True
    assert result["required_annual_decline"] == pytest.approx(-0.058824, abs=1e-6)


def test_completion_shares_shanghai_plan() -> None:
    # Shanghai 20/30/30/20 % of 10 listed: cumulative planned 2, 5, 8, 10; done 2, 2+2=4, 4, 4+6=10
    result = run(
        {
            "kind": "completion_shares",
            "plan": {"2022": 0.2, "2023": 0.3, "2024": 0.3, "2025": 0.2},
            "listed": 10,
            "done_by_year": {"2022": 2, "2023": 2, "2025": 6},
        }
    )
    years = result["years"]
    assert [years[y]["planned"] for y in ("2022", "2023", "2024", "2025")] == pytest.approx([2, 5, 8, 10])
    assert [years[y]["done"] for y in ("2022", "2023", "2024", "2025")] == [2, 4, 4, 10]
    assert [years[y]["behind"] for y in ("2022", "2023", "2024", "2025")] == [False, True, True, False]
    assert result["behind_years"] == [2023, 2024]


def test_fractional_plan_is_not_rounded() -> None:
    # 7 listed × 0.2 = 1.4 planned; 1 done is behind, 2 done is not
    result = run({"kind": "completion_shares", "plan": {"2022": 0.2}, "listed": 7, "done_by_year": {"2022": 1}})
    assert result["years"]["2022"]["planned"] == pytest.approx(1.4) and result["years"]["2022"]["behind"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {
                "kind": "required_rate",
                "target_total_decline": 1.35,
                "years_total": 5,
                "achieved_cumulative": 0.06,
                "years_left": 2,
            },
            "target_total_decline",
        ),
        (
            {"kind": "required_rate", "target_total_decline": 0.135, "years_total": 5, "achieved_cumulative": 0.06},
            "years_left",
        ),
        (
            {
                "kind": "required_rate",
                "target_total_decline": 0.135,
                "years_total": 5,
                "yearly_declines": [0.1],
                "years_left": 2,
            },
            "years_left",
        ),
        (
            {"kind": "required_rate", "target_total_decline": 0.135, "years_total": 5, "yearly_declines": [0.1, 1.2]},
            "yearly_declines[1]",
        ),
        ({"kind": "completion_shares", "plan": {"2022": 0.7, "2023": 0.7}, "listed": 3}, "plan"),
        (
            {"kind": "completion_shares", "plan": {"2022": 0.5}, "listed": 3, "done_by_year": {"2023": 1}},
            "done_by_year.2023",
        ),
        ({"kind": "completion_shares", "plan": {"2022": 0.5}, "listed": 0}, "listed"),
        ({"kind": "average"}, "kind"),
    ],
)
def test_bad_input(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        run(payload)
    assert info.value.field == field


def test_cli_exit_2_names_field() -> None:
    result = CliRunner().invoke(app, ["calc", "target"], input=json.dumps({"kind": "required_rate", "years_total": 5}))
    assert result.exit_code == 2 and "target_total_decline" in result.stderr
