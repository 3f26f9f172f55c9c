"""The demo plan: pure, deterministic, and its arithmetic as worked by hand."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualcarbon.core.errors import InvalidInput
from dualcarbon.demo import DemoSpec, latest_complete_year, plan_city
from dualcarbon.demo.plan import (
    LATEST_FATES,
    TIERS,
    Coefficients,
    allocate,
    organisation_check_character,
    report_content,
)
from dualcarbon.demo.profiles import DISTRICTS, FIELDS
from dualcarbon.domain.identifiers import validate_credit_code, validate_region_code
from dualcarbon.reference import shipped_reference

CEMENT = next(profile for profile in FIELDS if profile.key == "cement")


def test_cement_report_worked_by_hand() -> None:
    # 1,000,000 t of clinker at 100 kgce/t → 100,000 tce (当量值), split 82 % / 16 % / 2 %:
    #   洗精煤 0.9000 kgce/kg = 0.9 tce/t: 82,000 / 0.9 = 91,111.1 → 91,111 t → 81,999.9 tce
    #   电力 0.1229 kgce/kWh = 1.229 tce/万kWh: 16,000 / 1.229 = 13,018.714 → 13,018.71 万kWh → 15,999.99459 tce
    #   柴油 1.4571 kgce/kg = 1.4571 tce/t: 2,000 / 1.4571 = 1,372.589 → 1,372.6 t → 2,000.01546 tce
    #   total 99,999.91005 tce → 99.99991005 kgce/t, stated as 100.0
    content, unit_consumption, total = report_content(
        CEMENT, 1_000_000, 100.0, Coefficients(shipped_reference()), random.Random(0)
    )
    lines = {(line["carrier"], line["unit"]): line for line in content["energy_lines"]}
    assert lines[("cleaned_coal", "t")]["quantity"] == 91_111
    assert lines[("cleaned_coal", "t")]["reported_tce"] == 81_999.9
    assert lines[("electricity", "万kWh")]["quantity"] == 13_018.71
    assert lines[("electricity", "万kWh")]["reported_tce"] == 15_999.99
    assert lines[("diesel", "t")]["quantity"] == 1_372.6
    assert lines[("diesel", "t")]["reported_tce"] == 2_000.02
    assert total == pytest.approx(99_999.91005, abs=1e-6)
    assert unit_consumption == pytest.approx(99.99991005, abs=1e-9)
    (output,) = content["outputs"]
    assert output["reported_unit_consumption"] == 100.0
    assert output["benchmark_row_id"] == "BM2023-061" and output["unit_consumption_unit"] == "kgce/t"


def test_deviating_report_states_six_percent_less() -> None:
    # same lines: 99.99991005 kgce/t computed, stated × 0.94 = 93.99991545 → 94.0
    content, _, _ = report_content(
        CEMENT, 1_000_000, 100.0, Coefficients(shipped_reference()), random.Random(0), deviating=True
    )
    assert content["outputs"][0]["reported_unit_consumption"] == 94.0


def test_organisation_check_character_by_hand() -> None:
    # GB 11714: "MA000000": M=22, A=10 → 22×3 + 10×7 = 136; 136 mod 11 = 4; 11 − 4 = 7
    assert organisation_check_character("MA000000") == "7"
    # "MA000001": 136 + 1×2 = 138; 138 mod 11 = 6; 11 − 6 = 5
    assert organisation_check_character("MA000001") == "5"
    # "MA000010": 136 + 1×4 = 140; 140 mod 11 = 8; 11 − 8 = 3
    assert organisation_check_character("MA000010") == "3"


def test_same_seed_same_city_other_seed_another() -> None:
    reference = shipped_reference()
    spec = DemoSpec(enterprises=40, seed=11)
    a, b = plan_city(spec, reference), plan_city(spec, reference)
    other = plan_city(DemoSpec(enterprises=40, seed=12), reference)
    assert [(e.credit_code, e.name, e.latest.content) for e in a.enterprises] == [
        (e.credit_code, e.name, e.latest.content) for e in b.enterprises
    ]
    assert [e.credit_code for e in a.enterprises] != [e.credit_code for e in other.enterprises]


def test_plan_of_three_hundred() -> None:
    plan = plan_city(DemoSpec(), shipped_reference())
    assert len(plan.enterprises) == 300
    assert plan.city == ("339900", "示范市") and len(plan.districts) == 5
    for code, _name in [plan.province, plan.city, *plan.districts]:
        validate_region_code(code)
    assert {e.region_code for e in plan.enterprises} == {code for code, _ in DISTRICTS[:5]}
    assert len({e.credit_code for e in plan.enterprises}) == 300
    assert len({e.name for e in plan.enterprises}) == 300
    for enterprise in plan.enterprises:
        assert validate_credit_code(enterprise.credit_code) == enterprise.credit_code
        assert enterprise.name.startswith("示范")
    tiers = Counter(e.tier for e in plan.enterprises)
    assert tiers == {"grade_1": 45, "grade_2": 90, "grade_3": 120, "fails_limit": 45}  # 15/30/40/15 %
    fates = Counter(e.latest.fate for e in plan.enterprises)
    assert set(fates) == set(LATEST_FATES) and fates["approved"] == 210  # 70 %
    assert {profile.key for profile in (e.profile for e in plan.enterprises)} == {f.key for f in FIELDS}


def test_unit_consumption_lies_in_the_planned_tier() -> None:
    reference = shipped_reference()
    plan = plan_city(DemoSpec(enterprises=120, seed=3), reference)
    for enterprise in plan.enterprises:
        row = reference.benchmark_row(enterprise.profile.row_id)
        value = enterprise.latest.unit_consumption
        assert row.grade_1 is not None and row.grade_2 is not None and row.grade_3 is not None
        tier = (
            "grade_1"
            if value <= row.grade_1
            else "grade_2"
            if value <= row.grade_2
            else "grade_3"
            if value <= row.grade_3
            else "fails_limit"
        )
        assert tier == enterprise.tier, (enterprise.profile.key, value)
        oldest, middle, latest = (r.unit_consumption for r in enterprise.reports)
        assert oldest > middle > latest  # every enterprise improves a little each year


@given(total=st.integers(min_value=0, max_value=2_000), seed=st.integers(min_value=0, max_value=10))
def test_allocate_is_exact(total: int, seed: int) -> None:
    shares = (0.70, 0.06, 0.09, 0.06, 0.04, 0.05)
    items = allocate(total, shares, random.Random(seed))
    counts = Counter(items)
    assert len(items) == total
    if total >= len(shares):
        assert all(counts[i] >= 1 for i in range(len(shares)))
    if total * min(shares) >= 1:  # no share needed topping up: largest remainder, within one of exact
        for i, share in enumerate(shares):
            assert abs(counts[i] - total * share) < 1


def test_latest_complete_year() -> None:
    assert latest_complete_year(date(2026, 11, 22)) == 2025
    assert latest_complete_year(date(2026, 4, 1)) == 2025
    assert latest_complete_year(date(2026, 3, 31)) == 2024  # 2025 reports not due yet


def test_spec_limits() -> None:
    with pytest.raises(InvalidInput):
        DemoSpec(districts=7)
    with pytest.raises(InvalidInput):
        DemoSpec(enterprises=5)
    assert DemoSpec(latest_year=2025).halves == ("2025-H2", "2026-H1", "2026-H2")
    assert set(TIERS) == {"grade_1", "grade_2", "grade_3", "fails_limit"}


@pytest.mark.parametrize("seed", [1, 2, 3, 7])
def test_a_small_city_still_has_four_enterprise_logins(seed: int) -> None:
    """``demo --enterprises 10`` failed with KeyError 'qiye4' when fewer than four approved enterprises were in
    3级 or below the limit: the next-worst approved ones now fill the four appealing logins."""
    from dualcarbon.demo.people import choose_enterprise_users

    plan = plan_city(DemoSpec(enterprises=10, seed=seed), shipped_reference())
    chosen = choose_enterprise_users(plan)
    assert len(chosen) == 4 and len({e.index for e in chosen}) == 4
    assert all(e.latest.fate == "approved" for e in chosen)
