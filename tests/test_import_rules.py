"""The import rules of pyproject.toml hold on the tree, and the pattern contract catches a violation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from import_rules import PatternContract  # noqa: E402


def test_the_tree_keeps_every_import_contract() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tools")}
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=7, line_contents="import x")
    return graph


def _contract(**options: object) -> PatternContract:
    raw = {key: value if isinstance(value, list) else str(value) for key, value in options.items()}
    return PatternContract(name="t", session_options={"root_packages": ["dualcarbon"]}, contract_options=raw)


def test_a_service_importing_routes_breaks_the_contract() -> None:
    contract = _contract(source_modules=["dualcarbon.*.service*"], forbidden_modules=["dualcarbon.*.routes*"])
    bad = _graph(("dualcarbon.reports.service_workflow", "dualcarbon.reports.routes"))
    check = contract.check(bad, verbose=False)
    assert not check.kept
    assert check.metadata["broken"] == [("dualcarbon.reports.service_workflow", "dualcarbon.reports.routes", [7])]
    good = _graph(("dualcarbon.reports.routes", "dualcarbon.reports.service_workflow"))
    assert contract.check(good, verbose=False).kept


def test_between_subjects_allows_a_subjects_own_internals_only() -> None:
    contract = _contract(
        source_modules=["dualcarbon.catalog*", "dualcarbon.reports*"],
        forbidden_modules=["dualcarbon.catalog.*", "dualcarbon.reports.*"],
        except_modules=["dualcarbon.*.service*", "dualcarbon.*.models"],
        between_subjects="true",
    )
    own = _graph(("dualcarbon.catalog.cli", "dualcarbon.catalog.io.workbook"))
    assert contract.check(own, verbose=False).kept
    public = _graph(("dualcarbon.catalog.service_generate", "dualcarbon.reports.models"))
    assert contract.check(public, verbose=False).kept
    internal = _graph(("dualcarbon.catalog.service", "dualcarbon.reports.io.reader"))
    assert not contract.check(internal, verbose=False).kept
