"""Bad M&V input is refused with its field and a Chinese-first message ``中文 / English`` (acceptance walk:
`dualcarbon calc mv` printed duplicate dates, too few periods, a monthly period not on the 1st, an overflowing
value, a missing factor and an unknown criteria set in English only)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from dualcarbon.calc import mv as calc_mv
from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference import shipped_reference

REFERENCE = shipped_reference()


def _days(n: int, start: date = date(2025, 1, 1), **extra: Any) -> list[dict[str, Any]]:
    return [{"period_start": str(start + timedelta(days=i)), "energy": 10.0 + i % 3, **extra} for i in range(n)]


CASES = [
    (
        "duplicate",
        {"baseline": _days(5) + _days(1), "reporting": _days(2, date(2025, 3, 1))},
        "baseline[5].period_start",
    ),
    ("too few", {"baseline": _days(2), "reporting": _days(2, date(2025, 3, 1))}, "baseline"),
    (
        "month not on the 1st",
        {"baseline": _days(5), "reporting": _days(2, date(2025, 3, 1)), "interval": "month"},
        "baseline[1].period_start",
    ),
    ("overflow", {"baseline": [dict(p, energy=1e200) for p in _days(5)], "reporting": _days(1)}, "baseline[0].energy"),
    ("criteria set", {"baseline": _days(5), "reporting": _days(2), "criteria_set": "nope"}, "criteria_set"),
]


@pytest.mark.parametrize(("name", "payload", "field"), CASES, ids=[c[0] for c in CASES])
def test_refusals_are_chinese_first(name: str, payload: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        calc_mv.run({"interval": "day", **payload}, REFERENCE)
    error = caught.value
    assert error.field == field
    assert error.zh and any("\u4e00" <= ch <= "\u9fff" for ch in error.zh)
    assert error.message.startswith(error.zh + " / ")


def test_a_factor_the_model_needs_missing_in_the_reporting_period() -> None:
    baseline = [
        {"period_start": str(date(2025, 1, 1) + timedelta(days=i)), "energy": 5.0 + 2.0 * p, "production": p}
        for i, p in enumerate([1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 2.5, 3.5, 1.5, 4.5] * 3)
    ]
    with pytest.raises(InvalidInput) as caught:
        calc_mv.run({"interval": "day", "baseline": baseline, "reporting": _days(2, date(2025, 3, 1))}, REFERENCE)
    assert caught.value.field == "reporting[0].production"
    assert caught.value.message.startswith("须填写产量“production”：所选基期模型含产量项 / production of")


def test_an_undefined_uncertainty_says_why() -> None:
    # energy rising by 1 a day with no factor: the mean model's residuals are a straight line (autocorrelation
    # ≈ 1), so no effective sample is left and the FSU is undefined although the reporting day saves energy
    baseline = [{"period_start": str(date(2025, 1, 1) + timedelta(days=i)), "energy": 10.0 + i} for i in range(20)]
    result = calc_mv.run({"interval": "day", "baseline": baseline, "reporting": _days(1, date(2025, 3, 1))}, REFERENCE)
    assert result["avoided_energy"] > 0 and result["fsu_pct"] is None
    (fsu,) = [w for w in result["warnings"] if w["code"] == "fsu_above_threshold"]
    assert "autocorrelated" in fsu["message"] and "no saving" not in fsu["message"]
