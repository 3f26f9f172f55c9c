"""`calc warning`: the completion-rate and Hangzhou schemes at every boundary (bands are data in the packs)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.calc import warning
from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.tables import shipped_reference


def run(payload: dict[str, Any]) -> dict[str, Any]:
    return warning.run(payload, shipped_reference())


@pytest.mark.parametrize(
    ("achieved", "level"),
    [
        (100, "green"),
        (120, "green"),
        (99.99, "yellow"),
        (90, "yellow"),
        (89.99, "orange"),
        (50.01, "orange"),
        (50, "red"),
        (0, "red"),
    ],
)
def test_completion_rate(achieved: float, level: str) -> None:
    # target 100 → completion rate = achieved %; ≥100 green, [90,100) yellow, (50,90) orange, ≤50 red
    assert run({"scheme": "completion_rate", "target": 100, "achieved": achieved})["level"] == level


def test_completion_rate_ratio() -> None:
    # 4.5 / 5 × 100 = 90 % → yellow (90 is in the 90–100 band)
    result = run({"scheme": "completion_rate", "target": 5, "achieved": 4.5})
    assert result["value"] == 90 and result["level"] == "yellow"
    assert result["rule"] == "90 % ≤ completion_rate_pct < 100 %" and result["clause"] == "预警分级"


@pytest.mark.parametrize(
    ("period", "gap", "level"),
    [
        ("H1", 0.29, "green"),
        ("H1", 0.3, "yellow"),
        ("H1", 0.99, "yellow"),
        ("H1", 1.0, "orange"),
        ("H1", 2.0, "orange"),
        ("H1", 2.01, "red"),
        ("Q3", -0.5, "green"),
        ("Q3", 0.0, "green"),
        ("Q3", 0.01, "yellow"),
        ("Q3", 0.49, "yellow"),
        ("Q3", 0.5, "orange"),
        ("Q3", 1.0, "orange"),
        ("Q3", 1.01, "red"),
    ],
)
def test_hangzhou(period: str, gap: float, level: str) -> None:
    # gap = target − achieved; target 3 % so achieved = 3 − gap
    payload = {"scheme": "hangzhou", "period": period, "target_decline_pct": 3.0, "achieved_decline_pct": 3.0 - gap}
    assert run(payload)["level"] == level


def test_w13_and_float_noise() -> None:
    # W13: target 3.0, H1 achieved 1.5 → gap 1.5 pp → orange; 3.3 − 2.3 is 0.9999999999999996 in floats → 1 pp
    assert (
        run({"scheme": "hangzhou", "period": "H1", "target_decline_pct": 3.0, "achieved_decline_pct": 1.5})["level"]
        == "orange"
    )
    result = run({"scheme": "hangzhou", "period": "H1", "target_decline_pct": 3.3, "achieved_decline_pct": 2.3})
    assert result["value"] == 1.0 and result["level"] == "orange"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scheme": "completion_rate", "target": 0, "achieved": 1}, "target"),
        ({"scheme": "hangzhou", "period": "Q2", "target_decline_pct": 3, "achieved_decline_pct": 1}, "period"),
        ({"scheme": "beijing"}, "scheme"),
        ({"scheme": "completion_rate", "target": 1}, "achieved"),
        ({"scheme": "completion_rate", "target": True, "achieved": 95}, "target"),  # was read as 1 (9,500 %)
        (
            {"scheme": "hangzhou", "period": "H1", "target_decline_pct": 3, "achieved_decline_pct": False},
            "achieved_decline_pct",
        ),
    ],
)
def test_bad_input(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        run(payload)
    assert info.value.field == field


def test_cli() -> None:
    payload = {"scheme": "completion_rate", "target": 10, "achieved": 5}
    result = CliRunner().invoke(app, ["calc", "warning"], input=json.dumps(payload))
    assert result.exit_code == 0 and json.loads(result.stdout)["level"] == "red"  # 50 % is ≤ 50 %
    result = CliRunner().invoke(
        app, ["calc", "warning"], input='{"scheme": "completion_rate", "target": -1, "achieved": 5}'
    )
    assert result.exit_code == 2 and "target" in result.stderr
