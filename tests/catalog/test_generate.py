"""Generating the draft catalog: inputs, hand-worked tiers, undetermined entries, regeneration, scope."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from dualcarbon.catalog.models import CatalogEntry
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_schedule import check_report_year, data_year_for, default_half, due_date, parse_half
from dualcarbon.core.access import SYSTEM
from dualcarbon.core.errors import InvalidInput, NotFound, PermissionDenied
from dualcarbon.reference import shipped_reference
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion
from dualcarbon.reports.service_workflow import approve, reopen, submit, update_draft
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import CLINKER, COKE, World, report_content, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"


def _by_key(yunnan: World, entries: list[CatalogEntry]) -> dict[str, CatalogEntry]:
    keys = {enterprise_id: key for key, enterprise_id in yunnan.enterprise_ids.items()}
    return {keys[entry.enterprise_id]: entry for entry in entries}


def _generate(yunnan: World, basis: str = "gb", region: str = "530100", half: str = "2025-H1", **kw: object):
    with session_scope(yunnan.engine) as session:
        result = generate_catalog(
            session, yunnan["city"], region, "2023", half, basis, reference=yunnan.reference, **kw
        )  # type: ignore[arg-type]
        entries = list(session.scalars(select(CatalogEntry).where(CatalogEntry.catalog_id == result.catalog.id)))
    return result, entries


REF = shipped_reference()


def test_half_year_rule() -> None:
    # seeds/004 §二（二）: updates by 15 Jan and 15 Jul; both halves of 2025 use the 2024 annual reports.
    assert parse_half("2025-H1") == (2025, 1)
    assert data_year_for("2025-H1") == 2024
    assert data_year_for("2025-H2") == 2024
    assert (due_date("2025-H1"), due_date("2025-H2")) == (date(2025, 1, 15), date(2025, 7, 15))
    assert (default_half(date(2026, 6, 30)), default_half(date(2026, 7, 1))) == ("2026-H1", "2026-H2")
    for bad in ("2025-H3", "2025H1", "25-H1", ""):
        with pytest.raises(InvalidInput) as caught:
            parse_half(bad)
        assert caught.value.field == "half"
        assert "YYYY-H1 (due 15 Jan) or YYYY-H2 (due 15 Jul)" in caught.value.message  # from the policy pack
    assert check_report_year(2024, REF) == 2024  # the platform_rules bounds, shared with the period reports
    for bad_year in (1800, 2200, True):
        with pytest.raises(InvalidInput):
            check_report_year(bad_year, REF)


def test_gb_tiers_worked_by_hand(yunnan: World) -> None:
    result, entries = _generate(yunnan, "gb")
    # Inputs: the approved 2024 reports of 昆明市 (A, B, C, D, E); Q is in 曲靖, P was never approved.
    assert result.data_year == 2024
    assert result.input_versions == 5
    by_key = _by_key(yunnan, entries)
    assert sorted(by_key) == ["A", "B", "C", "D", "E"]
    # 水泥熟料 BM2023-061, GB 16780-2021 grades 1级 100, 2级 107, 3级 117 kgce/t (a value equal to a limit
    # meets that grade): 98 → grade_1, 107 → grade_2, 117 → grade_3, 118 → fails_limit.
    assert {k: by_key[k].tier for k in "ABCD"} == {"A": "grade_1", "B": "grade_2", "C": "grade_3", "D": "fails_limit"}
    # Gaps are to 1级 (100) and 3级 (117): D 118 − 100 = 18, 118 − 117 = 1.
    assert by_key["D"].gap_to_benchmark == pytest.approx(18.0)
    assert by_key["D"].gap_to_baseline == pytest.approx(1.0)
    # Saving to reach 1级: 18 kgce/t × 500,000 t = 9,000,000 kgce = 9,000 tce; B: 7 × 800,000 t = 5,600 tce.
    assert by_key["D"].saving_to_benchmark_tce == pytest.approx(9000.0)
    assert by_key["B"].saving_to_benchmark_tce == pytest.approx(5600.0)
    assert by_key["A"].saving_to_benchmark_tce == pytest.approx(0.0)  # 98 < 100: nothing to save
    assert all(entry.benchmark_row_id == CLINKER and entry.unit == "kgce/t" for k, entry in by_key.items() if k != "E")
    assert result.counts == {"grade_1": 1, "grade_2": 1, "grade_3": 2, "fails_limit": 1}


def test_policy_basis_lists_blank_rows_as_undetermined(yunnan: World) -> None:
    result, entries = _generate(yunnan, "policy")
    by_key = _by_key(yunnan, entries)
    # The shipped 2023 table has no 标杆/基准 for 水泥熟料: never guessed, listed as 无法判定 with the
    # MissingCoefficient message naming the row and the import command.
    for key in "ABCD":
        entry = by_key[key]
        assert entry.tier == "undetermined"
        assert entry.evidence["error_kind"] == "MissingCoefficient"
        assert CLINKER in entry.evidence["error"] and "dualcarbon reference import" in entry.evidence["error"]
        assert entry.gap_to_benchmark is None and entry.saving_to_benchmark_tce is None
    # 捣固焦炉 BM2023-006 has 标杆 110 / 基准 140 kgce/t (unverified): 110 < 120 ≤ 140 → between.
    coke = by_key["E"]
    assert coke.tier == "between"
    assert coke.benchmark_row_id == COKE
    assert coke.gap_to_benchmark == pytest.approx(10.0)  # 120 − 110
    assert coke.gap_to_baseline == pytest.approx(-20.0)  # 120 − 140
    # 10 kgce/t × 1,000,000 t = 10,000 tce to reach the benchmark.
    assert coke.saving_to_benchmark_tce == pytest.approx(10_000.0)
    assert coke.evidence["uses_unverified"] is True
    assert coke.evidence["reference"]["verified"] is False
    assert coke.evidence["reference"]["benchmark"] == 110 and coke.evidence["reference"]["baseline"] == 140
    assert result.counts == {"between": 1, "undetermined": 4}


def test_evidence_names_the_report_version_and_reference(yunnan: World) -> None:
    _, entries = _generate(yunnan, "gb")
    entry = _by_key(yunnan, entries)["A"]
    with session_scope(yunnan.engine) as session:
        report = session.get(PeriodReport, yunnan.report_ids["A"])
        assert report is not None and report.current_version is not None
        version = report.current_version
        assert entry.report_version_id == version.id
        evidence = entry.evidence
        assert evidence["report"] == {
            "id": report.id,
            "year": 2024,
            "version_id": version.id,
            "version": 1,
            "content_hash": version.content_hash,
        }
        assert evidence["input"] == {"value": 98.0, "unit": "kgce/t", "source": "reported"}
        assert evidence["row"]["id"] == CLINKER and evidence["row"]["field"] == "水泥熟料"
        reference = evidence["reference"]
        assert (reference["grade_1"], reference["grade_2"], reference["grade_3"]) == (100, 107, 117)
        assert reference["verified"] is True and reference["version"] == "shipped"
        assert "GB 16780" in reference["standard"]


def test_regenerating_a_draft_replaces_its_entries(yunnan: World) -> None:
    first, entries = _generate(yunnan, "gb")
    second, again = _generate(yunnan, "gb")
    assert second.catalog.id == first.catalog.id and second.regenerated
    assert len(again) == len(entries) == 5  # replaced, not added to
    with session_scope(yunnan.engine) as session:
        actions = list(session.scalars(select(AuditLog.action).where(AuditLog.entity == "catalog")))
    assert actions == ["catalog.generate", "catalog.regenerate"]


def test_latest_approved_version_is_the_input(yunnan: World) -> None:
    report_id = yunnan.report_ids["D"]
    with session_scope(yunnan.engine) as session:
        # D's report is reopened for correction: its approved version 1 stays the input meanwhile.
        reopen(session, yunnan["panlong"], report_id, "单位产品能耗有误")
        update_draft(session, SYSTEM, report_id, report_content("D", 110.0), reference=yunnan.reference)
    _, entries = _generate(yunnan, "gb")
    assert _by_key(yunnan, entries)["D"].value == 118.0
    with session_scope(yunnan.engine) as session:
        submit(session, SYSTEM, report_id)
        approve(session, yunnan["panlong"], report_id)
        version_2 = session.scalar(
            select(PeriodReportVersion.id).where(
                PeriodReportVersion.report_id == report_id, PeriodReportVersion.version == 2
            )
        )
    _, entries = _generate(yunnan, "gb")
    entry = _by_key(yunnan, entries)["D"]
    # Version 2 approved: 110 kgce/t, 107 < 110 ≤ 117 → grade_3.
    assert (entry.value, entry.tier, entry.report_version_id) == (110.0, "grade_3", version_2)


def test_other_edition_maps_rows_by_field_product_and_indicator(yunnan: World) -> None:
    with session_scope(yunnan.engine) as session:
        result = generate_catalog(
            session, yunnan["city"], "530100", "2021", "2025-H1", "gb", reference=yunnan.reference
        )
        entries = list(session.scalars(select(CatalogEntry).where(CatalogEntry.catalog_id == result.catalog.id)))
    by_key = _by_key(yunnan, entries)
    # BM2023-061 水泥熟料/熟料单位产品综合能耗 ↔ BM2021-040, same GB 16780-2021 grades 100/107/117.
    assert by_key["A"].benchmark_row_id == "BM2021-040"
    assert by_key["D"].tier == "fails_limit"


def test_explicit_data_year_without_reports_gives_an_empty_draft(yunnan: World) -> None:
    # No entries: only with the explicit confirmation (tests/catalog/test_decisions.py shows the refusal).
    result, entries = _generate(yunnan, "gb", data_year=2019, confirm_empty=True)
    assert (result.data_year, result.input_versions, entries) == (2019, 0, [])


def test_scope_of_generation(yunnan: World) -> None:
    with session_scope(yunnan.engine) as session:
        for region in ("530103", "530100", "530302"):
            with pytest.raises(NotFound):
                generate_catalog(session, yunnan["wuhua"], region, "2023", "2025-H1", "gb", reference=yunnan.reference)
        with pytest.raises(PermissionDenied):
            generate_catalog(session, yunnan["ent_a"], "530102", "2023", "2025-H1", "gb", reference=yunnan.reference)
        with pytest.raises(PermissionDenied):
            generate_catalog(session, yunnan["expert"], "530100", "2023", "2025-H1", "gb", reference=yunnan.reference)
        own = generate_catalog(session, yunnan["wuhua"], "530102", "2023", "2025-H1", "gb", reference=yunnan.reference)
        # 五华区: A (98 → grade_1) and B (107 → grade_2); P's report is only submitted.
        assert own.counts == {"grade_1": 1, "grade_2": 1}


def test_bad_input_names_the_field(yunnan: World) -> None:
    with session_scope(yunnan.engine) as session:
        for args, field in (
            (("2023", "2025-H9", "gb"), "half"),
            (("2030", "2025-H1", "gb"), "edition"),
            (("2023", "2025-H1", "best"), "basis"),
        ):
            with pytest.raises(InvalidInput) as caught:
                generate_catalog(session, yunnan["city"], "530100", *args, reference=yunnan.reference)
            assert caught.value.field == field
