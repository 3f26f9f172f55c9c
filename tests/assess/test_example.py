"""The bundled example survey: valid, realistic size, deterministic and up to date with its generator."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dualcarbon.assess.example import example_path, example_rows, write_example
from dualcarbon.domain.identifiers import validate_credit_code
from dualcarbon.reference import ReferenceSet


def test_example_rows(reference: ReferenceSet) -> None:
    rows = example_rows(reference)
    assert 300 <= rows.height <= 600
    assert rows.equals(example_rows(reference))  # same seed, same rows
    assert all(validate_credit_code(code) == code for code in rows["credit_code"])
    assert set(rows["region"].str.slice(0, 4)) == {"3299"}  # the synthetic 示例市
    assert rows["name"].str.starts_with("示例").all()
    assert rows.filter(pl.col("value").is_null()).height > 0  # some rows report energy instead


def test_bundled_file_matches_generator(tmp_path: Path, reference: ReferenceSet) -> None:
    # regenerate with `uv run python -m dualcarbon.assess.example` when the generator or the data change
    fresh = write_example(tmp_path / "survey_example.xlsx", reference)
    assert fresh.read_bytes() == example_path().read_bytes()
