"""Validate and import official tables as versions; the overlay loader sees them with their version.

Values in the fixture files (90, 110 …) are placeholders for the test, not real policy values.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualcarbon.core.errors import InvalidInput, UnknownReferenceRow
from dualcarbon.reference import ReferenceSet, load_reference, shipped_reference
from dualcarbon.reference.catalogue import find_row, summaries
from dualcarbon.reference.imports import (
    import_file,
    read_manifest,
    set_active,
    validate_file,
    version_id,
    versions,
)

POLICY_HEADER = "row_id,benchmark_标杆水平,baseline_基准水平,policy_value_source,policy_value_confidence\n"
SOURCE = "TEST FIXTURE placeholder, not a real value"


def write(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def policy_file(tmp_path: Path, benchmark: str = "90", baseline: str = "110", name: str = "bm.csv") -> Path:
    return write(tmp_path, POLICY_HEADER + f'BM2023-061,{benchmark},{baseline},"{SOURCE}",uncertain: test\n', name)


def problems(path: Path, table: str | None = None) -> list[tuple[int, str, str]]:
    report = validate_file(path, shipped_reference(), table)
    return [(p.row, p.column, p.reason) for p in report.problems]


def test_import_fills_benchmark_with_its_version(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert shipped_reference().benchmark_row("BM2023-061").benchmark is None  # the shipped cell is blank
    result = import_file(policy_file(tmp_path), data_dir, note="test")
    assert result.created and result.table == "efficiency_benchmarks_2023"
    row = ReferenceSet(data_dir).benchmark_row("BM2023-061")
    assert (row.benchmark, row.baseline) == (90, 110)
    assert row.policy_provenance.version == result.version
    assert row.policy_provenance.source == SOURCE
    assert not row.policy_provenance.verified
    # cells the file leaves blank keep the shipped values (GB 16780 grades 100/107/117)
    assert (row.grade_1, row.grade_2, row.grade_3) == (100, 107, 117)
    assert load_reference(data_dir).versions()["efficiency_benchmarks_2023"] == result.version
    stored = data_dir / "reference" / "efficiency_benchmarks_2023" / f"{result.version}.csv"
    assert stored.read_bytes() == (tmp_path / "bm.csv").read_bytes()


def test_identical_file_twice_is_one_version(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = import_file(policy_file(tmp_path), data_dir)
    again = import_file(policy_file(tmp_path, name="copy.csv"), data_dir)
    assert not again.created and again.version == first.version
    assert len(versions(data_dir, "efficiency_benchmarks_2023")) == 1


def test_bad_file_leaves_no_trace(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with pytest.raises(InvalidInput, match="nothing imported"):
        import_file(policy_file(tmp_path, benchmark="120", baseline="110"), data_dir)
    assert not data_dir.exists()
    good = import_file(policy_file(tmp_path), data_dir)
    before = {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    with pytest.raises(InvalidInput):
        import_file(policy_file(tmp_path, benchmark="abc", name="bad.csv"), data_dir)
    after = {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    assert after == before  # no new version file, manifest untouched, no temp files
    assert ReferenceSet(data_dir).benchmark_row("BM2023-061").policy_provenance.version == good.version


def test_version_id_format() -> None:
    moment = datetime(2026, 11, 22, 10, 30, 0, tzinfo=UTC)
    assert version_id("0123456789abcdef" * 4, moment) == "2026-11-22T10-30-00Z-01234567"


def test_table_recognised_from_header_and_row_ids(tmp_path: Path) -> None:
    # benchmark_/baseline_ columns exist in the 2021 and 2023 tables: the row ids decide.
    assert validate_file(policy_file(tmp_path), shipped_reference()).table == "efficiency_benchmarks_2023"
    path = write(tmp_path, POLICY_HEADER + f'BM2021-001,6,7,"{SOURCE}",uncertain: test\n')
    assert validate_file(path, shipped_reference()).table == "efficiency_benchmarks_2021"
    path = write(tmp_path, "row_id,value,source,confidence\nGRID-019,0.5,x,uncertain: test\n")
    assert validate_file(path, shipped_reference()).table == "grid_emission_factors"
    path = write(tmp_path, POLICY_HEADER + f'XX-1,6,7,"{SOURCE}",uncertain: test\n')
    with pytest.raises(InvalidInput, match="several tables"):
        validate_file(path, shipped_reference())
    with pytest.raises(InvalidInput, match="matches no reference table"):
        validate_file(write(tmp_path, "row_id,colour\nA,red\n"), shipped_reference())


def test_every_problem_has_row_column_reason(tmp_path: Path) -> None:
    text = (
        "row_id,benchmark_标杆水平,baseline_基准水平,policy_value_source,policy_value_confidence,"
        "std_grade1_1级,std_grade2_2级,std_values_source,std_values_confidence,unit,colour\n"
        "BM2023-061,abc,110,,,,,,,,\n"  # not a number; source and confidence missing
        "BM2023-061,90,110,s,uncertain: x,,,,,,\n"  # duplicate id
        "BM2023-062,120,110,s,probably,,,,,,\n"  # benchmark > baseline; bad confidence prefix
        "BM2023-063,,,,,120,110,s,verified: x,,\n"  # grade 1 > grade 2 (lower is better)
        "BM2023-064,,,,,,,,,tce/t,\n"  # unit differs from the row's kgce/t
        "BM2023-900,1,2,s,uncertain: x,,,,,bananas,\n"  # addition without its descriptive columns; bad unit
    )
    found = problems(write(tmp_path, text), "efficiency_benchmarks_2023")
    reasons = {(row, column): reason for row, column, reason in found}
    assert "unknown column" in reasons[(1, "colour")]
    assert "'abc' is not a number" in reasons[(2, "benchmark_标杆水平")]
    assert "source is required" in reasons[(2, "policy_value_source")]
    assert "confidence is required" in reasons[(2, "policy_value_confidence")]
    assert "duplicate row id (also row 2)" in reasons[(3, "row_id")]
    assert "should be ≤ baseline" in reasons[(4, "benchmark_标杆水平")]
    assert "must start with 'verified' or 'uncertain'" in reasons[(4, "policy_value_confidence")]
    assert "grades not monotonic" in reasons[(5, "std_grade2_2级")]
    assert "differs from the unit 'kgce/t'" in reasons[(6, "unit")]
    assert "unknown unit 'bananas'" in reasons[(7, "unit")]
    assert "required for a new row" in reasons[(7, "product_or_process")]


def test_monotonic_check_uses_the_merged_row(tmp_path: Path) -> None:
    # BM2023-061 ships grades 100/107/117 (lower is better): a grade 3 of 105 < grade 2 107 is refused.
    text = "row_id,std_grade3_3级限定值,std_values_source,std_values_confidence\nBM2023-061,105,s,uncertain: x\n"
    found = problems(write(tmp_path, text))
    assert found and found[0][1] == "std_grade3_3级限定值" and "107" in found[0][2]


def test_higher_is_better_grades(tmp_path: Path) -> None:
    # motor efficiency grades are higher-is-better: grade1 ≥ grade2 ≥ grade3.
    good = "row_id,grade1_1级,grade2_2级,grade3_3级,source,confidence\nEQ-001,72,67,61,s,uncertain: x\n"
    assert problems(write(tmp_path, good)) == []
    bad = "row_id,grade1_1级,grade2_2级,grade3_3级,source,confidence\nEQ-001,60,67,61,s,uncertain: x\n"
    assert [column for _, column, _ in problems(write(tmp_path, bad))] == ["grade2_2级"]


def test_addition_with_full_row_is_loaded(tmp_path: Path) -> None:
    text = (
        "row_id,sector,field_重点领域,product_or_process,indicator,unit,"
        "benchmark_标杆水平,baseline_基准水平,policy_value_source,policy_value_confidence\n"
        f'BM2023-900,建材,示例,示例产品,单位产品综合能耗,kgce/t,1,2,"{SOURCE}",uncertain: test\n'
    )
    report = validate_file(write(tmp_path, text), shipped_reference())
    assert report.ok and report.additions == ("BM2023-900",)
    result = import_file(tmp_path / "table.csv", tmp_path / "data")
    row = ReferenceSet(tmp_path / "data").benchmark_row("BM2023-900")
    assert (row.benchmark, row.unit, row.policy_provenance.version) == (1, "kgce/t", result.version)


def test_non_csv_and_non_utf8_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="only CSV"):
        validate_file(write(tmp_path, "x", "table.xlsx"), shipped_reference())
    path = tmp_path / "gbk.csv"
    path.write_bytes(POLICY_HEADER.encode("gbk") + "BM2023-061,1,2,来源,uncertain: 测试\n".encode("gbk"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        validate_file(path, shipped_reference())


def test_carriers_cannot_be_imported(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot be imported"):
        validate_file(write(tmp_path, "row_id,name_zh\nx,y\n"), shipped_reference(), "carriers")


def test_activate_and_deactivate(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = import_file(policy_file(tmp_path, "90", "110", "a.csv"), data_dir)
    second = import_file(policy_file(tmp_path, "95", "115", "b.csv"), data_dir)
    assert ReferenceSet(data_dir).benchmark_row("BM2023-061").benchmark == 95
    assert set_active(data_dir, "efficiency_benchmarks_2023", first.version) == [second.version]
    assert ReferenceSet(data_dir).benchmark_row("BM2023-061").benchmark == 90
    set_active(data_dir, "efficiency_benchmarks_2023", "shipped")
    assert ReferenceSet(data_dir).benchmark_row("BM2023-061").benchmark is None
    set_active(data_dir, "efficiency_benchmarks_2023", second.version)
    set_active(data_dir, "efficiency_benchmarks_2023", second.version, only=True)
    row = ReferenceSet(data_dir).benchmark_row("BM2023-061")
    assert (row.benchmark, row.policy_provenance.version) == (90, first.version)
    with pytest.raises(UnknownReferenceRow):
        set_active(data_dir, "efficiency_benchmarks_2023", "nope")
    manifest = read_manifest(data_dir)
    assert [e["active"] for e in manifest["tables"]["efficiency_benchmarks_2023"]] == [True, False]
    assert json.loads((data_dir / "reference" / "manifest.json").read_text(encoding="utf-8")) == manifest


def test_summaries_and_find_row(tmp_path: Path) -> None:
    by_name = {s.name: s for s in summaries(shipped_reference())}
    table = by_name["efficiency_benchmarks_2023"]
    # README: 142 rows; the policy values are blank except 3 rows (捣固焦炉, 高炉, 转炉), none verified.
    assert (table.rows, table.blank_values, table.unverified, table.active_version) == (142, 139, 142, "shipped")
    assert find_row(shipped_reference(), "GRID-019")[0] == "grid_emission_factors"
    assert find_row(shipped_reference(), "电力")[1]["id"] == "electricity"
    with pytest.raises(UnknownReferenceRow):
        find_row(shipped_reference(), "NOPE-1")


@settings(max_examples=15, deadline=None)
@given(
    st.decimals(min_value=1, max_value=500, places=2),
    st.decimals(min_value=0, max_value=500, places=2),
    st.integers(min_value=1, max_value=3),
)
def test_import_round_trip_is_idempotent(benchmark: object, gap: object, times: int) -> None:
    baseline = benchmark + gap  # type: ignore[operator]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = policy_file(root, str(benchmark), str(baseline))
        results = [import_file(path, root / "data") for _ in range(times)]
        assert len({r.version for r in results}) == 1
        assert len(versions(root / "data", "efficiency_benchmarks_2023")) == 1
        row = ReferenceSet(root / "data").benchmark_row("BM2023-061")
        assert row.benchmark == pytest.approx(float(benchmark))  # type: ignore[arg-type]
        assert row.baseline == pytest.approx(float(baseline))


def test_equivalent_unit_spelling_is_accepted(tmp_path: Path) -> None:
    # GRID-001 ships with unit "kgCO₂/kWh (= tCO₂/MWh)"; tCO₂/MWh is the same unit (factor 1), kgCO₂/MWh is not.
    same = "row_id,value,unit,source,confidence\nGRID-001,0.5,tCO₂/MWh,s,uncertain: test\n"
    assert problems(write(tmp_path, same)) == []
    other = "row_id,value,unit,source,confidence\nGRID-001,500,kgCO₂/MWh,s,uncertain: test\n"
    assert [column for _, column, _ in problems(write(tmp_path, other))] == ["unit"]


def test_exponent_notation_is_refused(tmp_path: Path) -> None:
    # tables.parse_number would read "1e2" as 1, so the validator refuses it.
    text = POLICY_HEADER + f'BM2023-061,1e2,2e2,"{SOURCE}",uncertain: test\n'
    assert {column for _, column, _ in problems(write(tmp_path, text))} == {"benchmark_标杆水平", "baseline_基准水平"}
