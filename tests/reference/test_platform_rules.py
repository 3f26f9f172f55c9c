"""The platform_rules table: values the platform decides itself, as sourced and versioned reference data."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import pytest

from dualcarbon.core.errors import InvalidInput, MissingCoefficient
from dualcarbon.reference import ReferenceSet, shipped_reference
from dualcarbon.reference.catalogue import spec_for, summaries
from dualcarbon.reference.imports import import_file
from dualcarbon.reference.tables import load_reference
from dualcarbon.reports.service_periods import check_period


def test_shipped_rules_say_they_are_assumed() -> None:
    reference = shipped_reference()
    rule = reference.platform_rule("report_deviation_tolerance_pct")
    assert (rule.row_id, rule.value, rule.unit) == ("PR-001", 2.0, "%")
    assert rule.provenance.confidence.startswith("uncertain: assumed") and not rule.provenance.verified
    assert rule.provenance.source.startswith("platform review convention")
    assert (rule.provenance.table, rule.provenance.version) == ("platform_rules", "shipped")
    assert reference.report_deviation_tolerance_pct() == 2.0
    assert reference.report_year_range() == (1990, 2100)
    assert "platform_rules" in reference.versions()


def test_listed_by_reference_list() -> None:
    reference = shipped_reference()
    summary = next(s for s in summaries(reference) if s.name == "platform_rules")
    # counted from the shipped file itself, so that adding a rule row does not need this test changed
    with resources.files("dualcarbon.reference.data").joinpath("platform_rules.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    unverified = sum(1 for row in rows if not row["confidence"].startswith("verified"))
    assert len(rows) >= 13 and unverified >= 1
    assert (summary.rows, summary.blank_values, summary.unverified) == (len(rows), 0, unverified)
    assert spec_for("platform_rules").importable


def test_an_unknown_key_is_a_missing_coefficient() -> None:
    with pytest.raises(MissingCoefficient, match="no platform rule 'nonsense'"):
        shipped_reference().platform_rule("nonsense")


def test_report_years_follow_the_table(tmp_path: Path) -> None:
    check_period("year", 1990, 0)
    check_period("month", 2100, 12)
    for year in (1989, 2101):
        with pytest.raises(InvalidInput, match=f"between 1990 and 2100, got {year}") as caught:
            check_period("year", year, 0)
        assert caught.value.field == "year"
    rules = tmp_path / "rules.csv"
    rules.write_text("row_id,value,source,confidence\nPR-002,2000,test,uncertain: test\n", encoding="utf-8")
    import_file(rules, tmp_path, "platform_rules")
    narrowed = load_reference(tmp_path)
    assert isinstance(narrowed, ReferenceSet) and narrowed.report_year_range() == (2000, 2100)
    with pytest.raises(InvalidInput, match="between 2000 and 2100, got 1999"):
        check_period("year", 1999, 0, reference=narrowed)
    assert narrowed.report_deviation_tolerance_pct() == 2.0  # the other rows keep their shipped values
