"""The demo plan sizes a few enterprises for an energy-saving diagnosis (demo/plan.py): their latest consumption
lies in the diagnosis band of the audits subject's filing pack, read from the pack, and sizing them leaves the
rest of the plan as it was (their own random generator)."""

from __future__ import annotations

import pytest

from dualcarbon.audits.service_reports import filing_pack
from dualcarbon.demo import DemoSpec, plan_city
from dualcarbon.demo import plan as demo_plan
from dualcarbon.demo.plan import DIAGNOSIS_SIZED_MIN, DIAGNOSIS_SIZED_SHARE, diagnosis_band, owes
from dualcarbon.reference import shipped_reference

REFERENCE = shipped_reference()
SPECS = [
    DemoSpec(enterprises=30, districts=5, seed=7, latest_year=2025),
    DemoSpec(enterprises=300, districts=5, seed=1, latest_year=2025),
    DemoSpec(enterprises=14, districts=3, seed=72, latest_year=2025),
]


def test_the_band_is_the_packs_diagnosis_rule() -> None:
    (rule,) = [r for r in filing_pack().obligations if r.obligation == "energy_saving_diagnosis"]
    (condition,) = [c for c in rule.when if c.fact == "annual_energy_tce"]
    # Shanghai 百一 plan: 2000 ≤ annual_energy_tce < 5000 tce/a
    assert diagnosis_band() == (condition.min, condition.max) == (2000.0, 5000.0)
    assert owes("diagnosis", 2000.0) and owes("diagnosis", 4999.9) and not owes("diagnosis", 5000.0)
    assert owes("audit", 5000.0) and not owes("audit", 4999.9)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.enterprises}-{s.seed}")
def test_some_enterprises_owe_a_diagnosis(spec: DemoSpec) -> None:
    plan = plan_city(spec, REFERENCE)
    low, high = diagnosis_band() or (0.0, 0.0)
    sized = [e for e in plan.enterprises if low <= e.latest.total_tce < high]
    assert len(sized) == max(DIAGNOSIS_SIZED_MIN, round(spec.enterprises * DIAGNOSIS_SIZED_SHARE))
    for enterprise in sized:
        assert owes("diagnosis", enterprise.latest.total_tce)
        assert enterprise.above_scale and not enterprise.key_energy_user  # 规上, below 1万 tce
        assert enterprise.latest.fate == "approved" and enterprise.tier in ("grade_1", "grade_2")
        # the unit consumption (kgce per output unit) is the tier's as for any other: only the output is smaller
        # (reported as a whole number of units, hence the tolerance)
        output = enterprise.latest.content["outputs"][0]["quantity"]
        total = enterprise.latest.unit_consumption * output / 1000.0
        assert enterprise.latest.total_tce == pytest.approx(total, rel=2e-3)


def test_sizing_leaves_the_rest_of_the_plan_and_follows_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = SPECS[0]
    sized = plan_city(spec, REFERENCE)
    monkeypatch.setattr(demo_plan, "diagnosis_band", lambda pack=None: None)  # a pack without a diagnosis band
    unsized = plan_city(spec, REFERENCE)
    assert [(e.credit_code, e.name, e.tier, e.latest.fate) for e in sized.enterprises] == [
        (e.credit_code, e.name, e.tier, e.latest.fate) for e in unsized.enterprises
    ]
    changed = [i for i, (a, b) in enumerate(zip(sized.enterprises, unsized.enterprises, strict=True)) if a != b]
    assert len(changed) == DIAGNOSIS_SIZED_MIN
    assert not any(2000.0 <= e.latest.total_tce < 5000.0 for e in unsized.enterprises)
    # another band (as another pack would state it) moves the sized enterprises into it
    monkeypatch.setattr(demo_plan, "diagnosis_band", lambda pack=None: (6000.0, 9000.0))
    other = plan_city(spec, REFERENCE)
    assert all(6000.0 <= other.enterprises[i].latest.total_tce < 9000.0 for i in changed)


def test_a_later_build_date_keeps_the_sizing() -> None:
    """The plan depends on the spec, not on today: the latest year moves the reports, not who is sized."""
    first = plan_city(DemoSpec(enterprises=30, seed=7, latest_year=2025), REFERENCE)
    later = plan_city(DemoSpec(enterprises=30, seed=7, latest_year=2031), REFERENCE)
    low, high = diagnosis_band() or (0.0, 0.0)
    assert [low <= e.latest.total_tce < high for e in first.enterprises] == [
        low <= e.latest.total_tce < high for e in later.enterprises
    ]
