"""Criteria sets of the mv_criteria table: the default (ASHRAE Guideline 14 thresholds, significance test, 1 °C
grid) and ``opendsm_legacy`` (OpenDSM's legacy daily model choice), which overrides only the rows it names."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.mv import verify_savings
from dualcarbon.domain.mv_checks import DEFAULT_SET, criteria_from_reference, criteria_sets
from dualcarbon.reference import ReferenceSet

sys.path.insert(0, str(Path(__file__).parent))  # mv_synthetic beside this file (importlib mode)
from mv_synthetic import Truth, daily


def test_the_sets_and_what_they_override(reference: ReferenceSet) -> None:
    assert criteria_sets(reference) == [DEFAULT_SET, "opendsm_legacy"]
    default, default_rows = criteria_from_reference(reference, "day")
    legacy, legacy_rows = criteria_from_reference(reference, "day", "opendsm_legacy")
    # the default keeps the platform's rules: p < 0.1, 1 °C grid, no segment minimum, no refinement
    assert (default.coefficient_p_max, default.heating.step_c) == (0.1, 1.0)
    assert default.segment_min_periods is None and default.balance_refine_step_c is None
    assert default.criteria_set == DEFAULT_SET and default.row_ids["coefficient_p_max"] == "MV-006"
    # OpenDSM legacy: no significance test (p_max 1 → slopes > 0), 10 days per segment, 0.05 °C refinement
    assert (legacy.coefficient_p_max, legacy.segment_min_periods, legacy.balance_refine_step_c) == (1.0, 10, 0.05)
    assert legacy.row_ids["coefficient_p_max"] == "MV-020" and legacy.row_ids["segment_min_periods"] == "MV-021"
    # every other rule is the default's (same G14 thresholds, FSU, data sufficiency, grids)
    for key in ("r2_min", "coverage_min_pct", "fsu_empirical_factor", "heating_balance_min_c", "fsu_max_pct"):
        assert legacy.row_ids[key] == default.row_ids[key]
    assert (legacy.r2_min, legacy.fsu_confidence, legacy.heating, legacy.cooling.start_c) == (
        default.r2_min,
        default.fsu_confidence,
        default.heating.__class__(default.heating.start_c, default.heating.stop_c, 1.0),
        default.cooling.start_c,
    )
    extra = {"segment_min_periods", "balance_refine_step_c"}  # rows the default set does not have (off)
    assert {row["key"] for row in legacy_rows} == {row["key"] for row in default_rows} | extra
    # the monthly criteria of the legacy set are the default's: its rows are for daily data only
    month_default = criteria_from_reference(reference, "month")[0]
    month_legacy = criteria_from_reference(reference, "month", "opendsm_legacy")[0]
    assert month_legacy.selection == month_default.selection and month_legacy.coefficient_p_max == 0.1


def test_an_unknown_set_names_the_field(reference: ReferenceSet) -> None:
    with pytest.raises(InvalidInput) as caught:
        criteria_from_reference(reference, "day", "caltrack-9")
    assert caught.value.field == "criteria_set" and "opendsm_legacy" in str(caught.value)


def test_both_sets_recover_a_known_saving(reference: ReferenceSet) -> None:
    # E = 500 + 2·P + 40·CDD(20 °C) + N(0, 25²), reporting year 10 % lower: both sets recover the saving
    # within their uncertainty; the legacy set places the balance point off the 1 °C grid.
    truth = Truth()
    baseline, _ = daily(truth, date(2023, 1, 1), 365, seed=21)
    reporting, clean = daily(truth, date(2024, 1, 1), 366, seed=22, factor=0.9)
    expected = 0.1 * clean
    for name in (DEFAULT_SET, "opendsm_legacy"):
        rules = criteria_from_reference(reference, "day", name)[0]
        result = verify_savings(baseline, reporting, "day", rules)
        assert result.fsu_pct is not None
        assert abs(result.avoided_energy - expected) <= result.avoided_energy * result.fsu_pct / 100.0
        cdd = result.model.term("cdd")
        assert cdd is not None and cdd.balance_point_c is not None and abs(cdd.balance_point_c - 20.0) <= 1.0
