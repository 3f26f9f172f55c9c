"""The reference layer after the split of tables.py and policy.py (issue #6): every module stays under ~400
lines and the public names stay importable from the modules callers import them from."""

from __future__ import annotations

from pathlib import Path

import dualcarbon.reference as reference_package
from dualcarbon.reference import policy, policy_rules, policy_schedule, table_files, tables

LIMIT = 400


def test_no_reference_module_over_the_limit() -> None:
    folder = Path(reference_package.__file__).parent
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in folder.glob("*.py")}
    assert {"tables.py", "table_files.py", "policy.py", "policy_rules.py", "policy_schedule.py"} <= set(sizes)
    assert {name: size for name, size in sizes.items() if size > LIMIT} == {}


def test_table_names_still_importable_from_tables() -> None:
    for name in ("TABLES", "Row", "TableVersion", "manifest_path", "parse_number", "parse_range", "read_csv_rows"):
        assert getattr(tables, name) is getattr(table_files, name)
    assert tables.ReferenceSet and tables.load_reference and tables.shipped_reference
    assert tables.parse_number("12000 (derived)") == 12000.0 and tables.parse_range("0.5714-0.6143") == (0.5714, 0.6143)


def test_policy_names_still_importable_from_policy() -> None:
    for name in ("FACTS", "Condition", "Deadline", "ObligationRule", "Requirement", "Source", "Target", "Schedule"):
        assert getattr(policy, name) is getattr(policy_rules, name)
    for name in ("CatalogSchedule", "HalfYearDue"):
        assert getattr(policy, name) is getattr(policy_schedule, name)
    assert set(policy.__all__) >= {
        "PolicyPack",
        "load_pack",
        "parse_pack",
        "list_packs",
        "packs_dir",
        "Subject",
        "HalfYear",
    }
    assert "national" in policy.list_packs()
