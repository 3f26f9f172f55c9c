"""Fixtures for the batch-assessment tests: the shipped reference and small survey files."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.assess.columns import SURVEY_COLUMNS
from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.reference import ReferenceSet, shipped_reference

HEADERS = [c.header for c in SURVEY_COLUMNS]


def code(n: int, region: str = "329901") -> str:
    """A valid synthetic credit code: 91 + region + 9-character serial + check character."""
    return make_credit_code(f"91{region}{n:09d}")


def row(**values: Any) -> dict[str, Any]:
    """A survey row by column key, defaults filled for the required columns (水泥熟料 综合能耗 105 kgce/t)."""
    base: dict[str, Any] = {
        "credit_code": code(1),
        "name": "示例甲水泥有限公司",
        "region": "329901",
        "field": "水泥熟料",
        "product": "水泥熟料",
        "indicator": "熟料单位产品综合能耗",
        "output": 1_000_000,
        "output_unit": "吨",
        "value": 105,
        "value_unit": "kgce/t",
    }
    base.update(values)
    return base


@pytest.fixture(scope="session")
def reference() -> ReferenceSet:
    return shipped_reference()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """write_csv(rows, name='survey.csv', headers=HEADERS) → path of a UTF-8 CSV survey (Chinese headers)."""

    def make(rows: list[dict[str, Any]], name: str = "survey.csv", headers: list[str] | None = None) -> Path:
        path = tmp_path / name
        keys = [c.key for c in SURVEY_COLUMNS]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers or HEADERS)
            by_header = dict(zip(HEADERS, keys, strict=True))
            for record in rows:
                writer.writerow(
                    [
                        "" if record.get(by_header.get(h, h)) is None else record.get(by_header.get(h, h))
                        for h in headers or HEADERS
                    ]
                )
        return path

    return make


@pytest.fixture
def survey_row() -> Callable[..., dict[str, Any]]:
    """survey_row(**values) → a row by column key with defaults for the required columns."""
    return row


@pytest.fixture
def credit_code() -> Callable[..., str]:
    """credit_code(n, region='329901') → a valid synthetic 统一社会信用代码."""
    return code
