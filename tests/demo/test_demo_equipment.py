"""The demo's equipment stage (demo/equipment.py, issue #9 §4) on the tests' demo city: register lines graded
against GB 18613 with some below the limit, demo lists labelled 演示数据（虚构）, waste-heat pairs ranked."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_world (importlib import mode)
from demo_world import DemoWorld

from dualcarbon.core.access import SYSTEM
from dualcarbon.equipment import service_benchmark, service_catalogues, service_waste_heat
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import session_scope


def test_register_lists_and_waste_heat(demo: DemoWorld) -> None:
    reference = shipped_reference()
    owners = [e.credit_code for e in demo.plan.enterprises[:4]]
    with session_scope(demo.engine, write=False) as session:
        reports = [service_benchmark.benchmark_enterprise(session, SYSTEM, code, reference) for code in owners]
        rules = service_catalogues.list_obsolete(session, SYSTEM)
        technologies = service_catalogues.search_technologies(session, SYSTEM)
        matches = service_waste_heat.match(session, SYSTEM, reference).matches
    # 2 + 3 + 4 + 5 lines; M-02 (3级 − 1.2 pp) on all four and M-03 (3级 − 2.0 pp) on three are below the limit
    assert [r.totals.items for r in reports] == [2, 3, 4, 5]
    assert sum(r.totals.below_limit for r in reports) == 7
    first = {b.asset_code: b for b in reports[0].items}
    assert first["M-01"].grade == 2 and first["M-01"].gap_to_limit_pp == 1.5  # 55 kW 4-pole: limit + 1.5 pp
    assert first["M-02"].below_limit and first["M-02"].gap_to_limit_pp == -1.2
    # M-03 (model YX-DEMO-*, made 2008) on three, P-01 (pump made 1998) on two
    assert sum(r.totals.obsolete for r in reports) == 5
    assert rules and all("演示数据（虚构）" in r.catalogue and "演示数据（虚构）" in r.source_document for r in rules)
    assert len(technologies) == 4 and all("演示数据（虚构）" in t.name for t in technologies)
    # sources 320 °C and 55 °C, sinks 80 °C and 160 °C: 55 °C cannot serve either (ΔT_min 10 °C)
    assert [(m.source.temperature_c, m.sink.temperature_c) for m in matches] == [(320.0, 80.0), (320.0, 160.0)]
    assert matches[0].score >= matches[1].score
