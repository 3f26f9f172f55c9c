"""Alert titles in the page's language, built from the stored codes and detail (i18n keys ``alert_title.*``):
the Chinese templates give back the stored ``title_zh``; English shows no Chinese; a detail without the needed
field falls back to the stored title."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import pytest

from dualcarbon.alerts import service_alerts
from dualcarbon.alerts.titles import alert_title, detail_facts, title_of
from dualcarbon.store.db import session_scope
from dualcarbon.ui.web.i18n import translate

from .test_evaluate import DAY, plant

ZH, EN = partial(translate, "zh"), partial(translate, "en")
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_titles_of_evaluated_alerts(world: Any, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference, master_extra=6.0)  # anomalies, and the master above its sub-meters
    with session_scope(world.engine) as session:
        service_alerts.evaluate(session, admin, DAY, reference)
        alerts, total = service_alerts.list_alerts(session, admin, limit=50)
    assert total >= 2 and {a.source for a in alerts} >= {"anomaly"}
    for alert in alerts:
        assert title_of(ZH, alert) == alert.title_zh  # the templates agree with the stored title
        english = title_of(EN, alert)
        assert not HAN.search(english) and str(alert.detail["meter"]) in english, english
    anomaly = next(a for a in alerts if a.source == "anomaly" and a.detail["meter"] == "S1")
    assert title_of(EN, anomaly) == "Meter S1: unusual consumption (1 h)"


@pytest.mark.parametrize(
    ("source", "level", "detail", "stored", "english"),
    [
        ("conflict", "yellow", {"conflicts": 3}, "3 条冲突数据待复核", "3 conflicting readings waiting for review"),
        ("budget", "orange", {"year": 2024}, "2024 年用能预算橙色预警", "2024 energy budget: Orange warning"),
        (
            "stale",
            "orange",
            {"meter": "E-03", "problem": {"code": "silent", "stale_intervals": 4}},
            "计量器具 E-03 数据中断（其他计量器具仍在上报）",
            "Meter E-03: readings stopped (other meters still report)",
        ),
        (
            "imbalance",
            "orange",
            {"meter": "M", "loss_pct": 13.6789},
            "总表 M 与分表不平衡 13.7%",
            "Master meter M and its sub-meters differ by 13.7%",
        ),
        (
            "anomaly",
            "yellow",
            {"meter": "P1", "model": "production", "product": "水泥"},
            "单位产量能耗异常（水泥，计量器具 P1）",
            "Energy per unit of output unusual (水泥, meter P1)",
        ),
        ("quality", "yellow", {}, "计量器具 X 数据质量不合格", "计量器具 X 数据质量不合格"),  # no meter: stored
    ],
)
def test_titles_from_detail(source: str, level: str, detail: dict[str, Any], stored: str, english: str) -> None:
    assert alert_title(ZH, source, level, detail, stored) == stored
    assert alert_title(EN, source, level, detail, stored) == english


def test_detail_facts_are_named_in_the_page_language() -> None:
    detail = {"meter": "S1", "date": "2024-03-29", "hours": [{"hour": 14}], "loss_pct": 13.6789, "k": 3.5}
    assert detail_facts(ZH, detail) == [
        ("计量器具", "S1"),
        ("日期", "2024-03-29"),
        ("异常小时数", "1"),
        ("总分表差值（%）", "13.68"),
    ]
    assert [name for name, _ in detail_facts(EN, detail)] == [
        "Meter",
        "Date",
        "Unusual hours",
        "Master minus sub-meters (%)",
    ]
    assert detail_facts(EN, {"problem": {"code": "silent"}}) == []  # nested values only in the JSON below


def test_product_in_a_title_is_named_in_the_page_language() -> None:
    """#7 §5: the product inside an alert title and among its facts comes from the glossary in English mode;
    Chinese mode keeps the stored title."""
    detail = {"meter": "P1", "model": "production", "product": "水泥熟料", "intensity_unit": "kgce/t"}
    stored = "单位产量能耗异常（水泥熟料，计量器具 P1）"
    english = alert_title(EN, "anomaly", "yellow", detail, stored, "en")
    assert english == "Energy per unit of output unusual (cement clinker, meter P1)"
    assert alert_title(ZH, "anomaly", "yellow", detail, stored, "zh") == stored
    assert "cement clinker" in dict(detail_facts(EN, detail, "en")).values()
    assert all(not HAN.search(value) for _, value in detail_facts(EN, detail, "en"))
