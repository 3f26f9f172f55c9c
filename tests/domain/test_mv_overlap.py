"""A reporting period inside the baseline gives a structured, bilingual warning (acceptance walk #9 row 24: it
gave none) and makes the verification not valid."""

from __future__ import annotations

from datetime import date, timedelta

from dualcarbon.domain import mv
from dualcarbon.domain.mv_checks import FAILING_CODES, criteria_from_reference, failed_criteria
from dualcarbon.reference import shipped_reference


def periods(start: date, count: int, level: float) -> list[mv.MvPeriod]:
    return [
        mv.MvPeriod(start=start + timedelta(days=i), energy=level + (i % 7) * 0.1, production={"p": 10.0 + i % 7})
        for i in range(count)
    ]


def test_reporting_inside_the_baseline_is_warned_in_both_languages() -> None:
    criteria = criteria_from_reference(shipped_reference(), "day")[0]
    baseline = periods(date(2025, 1, 1), 365, 10.0)
    overlapping = periods(date(2025, 12, 20), 30, 9.0)  # 12 of its days are baseline days (Dec 20 … 31)
    result = mv.verify_savings(baseline, overlapping, "day", criteria)
    (warning,) = [w for w in result.warnings if w.code == "reporting_overlaps_baseline"]
    assert warning.data["count"] == 12 and warning.data["periods"][0] == "2025-12-20"
    assert (warning.data["baseline_from"], warning.data["baseline_to"]) == ("2025-01-01", "2025-12-31")
    zh, en = warning.message.split(" / ")
    assert zh == "报告期有 12 个周期落在基期（2025-01-01 至 2025-12-31）之内"
    assert en == "12 reporting period(s) lie inside the baseline (2025-01-01 to 2025-12-31)"
    assert "reporting_overlaps_baseline" in FAILING_CODES
    assert [w["code"] for w in failed_criteria([w.to_dict() for w in result.warnings])].count(
        "reporting_overlaps_baseline"
    ) == 1


def test_a_reporting_period_after_the_baseline_is_not_warned() -> None:
    criteria = criteria_from_reference(shipped_reference(), "month")[0]
    baseline = [mv.MvPeriod(start=date(2024, m, 1), energy=100.0 + m) for m in range(1, 13)]
    after = [mv.MvPeriod(start=date(2025, m, 1), energy=90.0 + m) for m in range(1, 4)]
    result = mv.verify_savings(baseline, after, "month", criteria)
    assert "reporting_overlaps_baseline" not in [w.code for w in result.warnings]
    inside = [mv.MvPeriod(start=date(2024, 12, 1), energy=95.0)]
    result = mv.verify_savings(baseline, inside, "month", criteria)
    assert [w.data["count"] for w in result.warnings if w.code == "reporting_overlaps_baseline"] == [1]


def test_a_mean_baseline_is_not_judged_by_r2() -> None:
    """An intercept-only model has R² 0 by construction; it is judged by CV(RMSE) and NMBE, never r2_below_threshold."""
    import json as _json
    import subprocess as _subprocess
    import sys as _sys
    from pathlib import Path

    base = [{"period_start": f"2023-{m:02d}-01", "energy": 100.0 + (1 if m % 2 else -1)} for m in range(1, 13)]
    rep = [{"period_start": f"2024-{m:02d}-01", "energy": 90.0} for m in range(1, 13)]
    done = _subprocess.run(
        [str(Path(_sys.executable).with_name("dualcarbon")), "calc", "mv"],
        input=_json.dumps({"baseline": base, "reporting": rep, "interval": "month"}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = _json.loads(done.stdout)
    codes = [w["code"] for w in out["warnings"]]
    assert out["model"]["kind"] == "intercept" and "r2_below_threshold" not in codes
    assert out["savings_pct"] > 9
