"""What each document shows: a context per kind, read through the other subjects' services (access-checked).

* ``enterprise_annual`` — the enterprise's annual energy and carbon report (能源利用状况及碳排放年度报告)
  from its annual report: 综合能耗 on both bases by carrier, CO₂ by source, unit consumptions, intensity;
* ``catalog_notice`` — the published catalog as a 公示: every entry, then the advanced (先进) and backward
  (落后) lists, with the catalog's snapshot hash (sha256) so the printed list can be checked against the data;
* ``yunnan_annex`` — Yunnan's annexes (seeds/004 附件 1–3): 1 调查情况表, 2 企业名录, 3 能效清单目录, from a
  published catalog;
* ``monitoring_monthly`` — a region's monthly monitoring report: metered energy, tce and CO₂ per carrier for
  the month and the month before, from the monitoring rollups;
* ``target_progress`` — every target of a region with its progress, the rate still needed and the warning;
* ``subsidy_decision`` — the decision letter (补助决定书) of a decided subsidy application, with the computed
  amount's trace (rule, clause, condition, value, passed), the pack's decisions (政策解释说明, in Chinese) and
  the payment when recorded.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.catalog import service as catalog_service
from dualcarbon.catalog.service_public import public_list
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import DualcarbonError, InvalidInput
from dualcarbon.core.vocab import TIER_ZH
from dualcarbon.domain.decisions_zh import decision_parts, with_zh
from dualcarbon.domain.rules_zh import choice_labels_zh, without_english_aside
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_tree import tree_rollups
from dualcarbon.reference.policy import resolve_pack
from dualcarbon.reference.policy_incentives import IncentiveRule
from dualcarbon.reference.tables import load_reference
from dualcarbon.registry.models import Enterprise, Region, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_region
from dualcarbon.reports import service as report_service
from dualcarbon.subsidies.schemas import ApplicationOut
from dualcarbon.subsidies.service_applications import get_application
from dualcarbon.targets import service as target_service
from dualcarbon.targets import service_progress

TOP_ENTERPRISES = 20  # the monthly report names the largest consumers; the rest are counted
ALL = 1_000_000  # a document lists every row: the page size of the services' list calls
ANNEX_TITLES = {"1": "企业能效调查情况表", "2": "企业名录", "3": "企业能效清单目录"}
DECIDED_STATES = ("approved", "rejected", "paid")
USE_ZH = {"fuel": "燃料", "feedstock": "原料用能", "conversion": "加工转换投入", "sold": "外销"}
SOURCE_ZH = {"combustion": "化石燃料燃烧", "process": "工业生产过程", "electricity": "净购入电力", "heat": "净购入热力"}
LEVEL_ZH = {"green": "绿色（正常）", "yellow": "黄色预警", "orange": "橙色预警", "red": "红色预警"}


def _int(params: dict[str, str], name: str) -> int:
    try:
        value = int(params[name])
    except (KeyError, ValueError):
        raise InvalidInput(f"'{name}' must be a whole number", field=name, zh=f"{name} 须为整数") from None
    if value < 1:
        raise InvalidInput(f"'{name}' must be ≥ 1", field=name, zh=f"{name} 须为正整数")
    return value


def enterprise_annual(session: Session, actor: Principal, params: dict[str, str]) -> dict[str, Any]:
    report = report_service.get_report(session, actor, _int(params, "report_id"))
    if report.period_kind != "year":
        raise InvalidInput("the report is not an annual report", field="report_id", zh="该报告不是年度报告")
    computed = report.computed
    energy = computed.energy.equivalent
    equal = computed.energy.equal
    carbon = computed.carbon
    return {
        "title": f"{report.year} 年度能源利用状况及碳排放报告",
        "file_stem": f"annual-report-{report.credit_code}-{report.year}",
        "report": report,
        "energy": energy if getattr(energy, "available", False) else None,
        "energy_reason": getattr(energy, "reason", None),
        "equal": equal if getattr(equal, "available", False) else None,
        "carbon": carbon if getattr(carbon, "available", False) else None,
        "carbon_reason": getattr(carbon, "reason", None),
        "outputs": computed.outputs,
        "intensity": computed.intensity,
        "content_hash": report.versions[-1].content_hash if report.versions else None,
        "use_zh": USE_ZH,
        "source_zh": SOURCE_ZH,
    }


def _published(session: Session, actor: Principal, catalog_id: int) -> Any:
    catalog = catalog_service.get_catalog(session, actor, catalog_id)
    if catalog.state != "published":
        raise InvalidInput(
            f"catalog {catalog_id} is {catalog.state}: only a published catalog is printed",
            field="catalog_id",
            zh="只有已发布的能效清单目录可以公示",
        )
    return catalog


def _region_name(session: Session, code: str) -> str:
    region = session.get(Region, code)
    return region.name if region else code


def catalog_notice(session: Session, actor: Principal, params: dict[str, str]) -> dict[str, Any]:
    catalog_id = _int(params, "catalog_id")
    catalog = _published(session, actor, catalog_id)
    entries, _ = catalog_service.list_entries(session, actor, catalog_id, limit=ALL, with_evidence=False)
    lists = {kind: public_list(session, catalog_id, kind, limit=ALL) for kind in ("advanced", "backward")}
    region = _region_name(session, catalog.region_code)
    return {
        "title": f"{region}重点领域企业能效清单目录（{catalog.half}）公示",
        "file_stem": f"catalog-notice-{catalog.id}",
        "region_name": region,
        "catalog": catalog,
        "entries": entries,
        "lists": lists,
        "tier_zh": TIER_ZH,
    }


def yunnan_annex(session: Session, actor: Principal, params: dict[str, str]) -> dict[str, Any]:
    annex = params.get("annex", "")
    if annex not in ANNEX_TITLES:
        raise InvalidInput("annex must be 1, 2 or 3", field="annex", zh="附件编号只能是 1、2 或 3")
    catalog_id = _int(params, "catalog_id")
    catalog = _published(session, actor, catalog_id)
    entries, _ = catalog_service.list_entries(session, actor, catalog_id, limit=ALL, with_evidence=annex == "1")
    region = _region_name(session, catalog.region_code)
    enterprises: dict[str, dict[str, Any]] = {}
    for entry in entries:
        item = enterprises.setdefault(
            entry.credit_code,
            {
                "name": entry.enterprise_name,
                "credit_code": entry.credit_code,
                "region": entry.region_code,
                "products": [],
            },
        )
        if entry.product not in item["products"]:
            item["products"].append(entry.product)
    groups = [
        (tier, TIER_ZH[tier], [e for e in entries if e.tier == tier])
        for tier in (
            "below_baseline",
            "between",
            "benchmark",
            "fails_limit",
            "grade_3",
            "grade_2",
            "grade_1",
            "undetermined",
        )
    ]
    return {
        "title": f"附件{annex}：{region}高耗能行业重点领域{ANNEX_TITLES[annex]}",
        "file_stem": f"yunnan-annex-{annex}-{catalog.id}",
        "annex": annex,
        "region_name": region,
        "catalog": catalog,
        "entries": entries,
        "enterprises": list(enterprises.values()),
        "groups": [group for group in groups if group[2]],
    }


def _month(params: dict[str, str]) -> date:
    text = params.get("month", "")
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise InvalidInput("month must be YYYY-MM", field="month", zh="月份格式应为 YYYY-MM") from None


def _enterprises_of_month(
    session: Session, actor: Principal, region_code: str, first: date, last: date
) -> list[dict[str, Any]]:
    """Each metered enterprise of the region the caller may read, with its month's tce and CO₂, largest first."""
    rows = session.execute(
        select(Enterprise.credit_code, Enterprise.name)
        .where(
            in_region_subtree(Enterprise.region_code.expression, region_code),
            enterprise_filter(actor),
            select(Meter.id).where(Meter.enterprise_id == Enterprise.id).exists(),
        )
        .order_by(Enterprise.credit_code)
    ).all()
    reference = load_reference()
    out = []
    for code, name in rows:
        data = tree_rollups(session, actor, "enterprise", code, "month", first, last, reference)
        period = next(iter(data["total"]["periods"]), None)
        if period is not None and period.get("tce") is not None:
            out.append(
                {
                    "credit_code": code,
                    "name": name,
                    "tce": period["tce"],
                    "tco2": period.get("tco2"),
                    "completeness": period.get("completeness"),
                }
            )
    return sorted(out, key=lambda item: -item["tce"])


def monitoring_monthly(session: Session, actor: Principal, params: dict[str, str]) -> dict[str, Any]:
    first = _month(params)
    region_code = params["region_code"]
    require_region(session, actor, region_code, roles=("regulator", "reviewer"))
    previous = (first - timedelta(days=1)).replace(day=1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    reference = load_reference()
    data = tree_rollups(session, actor, "region", region_code, "month", previous, last, reference)
    this_key, prev_key = first.isoformat(), previous.isoformat()

    def by_month(periods: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        found = {p["start"][:10]: p for p in periods}
        return found.get(this_key), found.get(prev_key)

    carriers = []
    for group in data["carriers"]:
        now, before = by_month(group["periods"])
        name = group.get("carrier") or ""
        try:
            name = reference.carrier(name).name_zh
        except DualcarbonError:
            pass  # an unknown id is shown as it is
        carriers.append({"carrier": name, "unit": group.get("unit"), "now": now, "before": before})
    now, before = by_month(data["total"]["periods"])
    ranked = _enterprises_of_month(session, actor, region_code, first, last)
    change = None
    if now and before and now.get("tce") is not None and before.get("tce"):
        change = (now["tce"] - before["tce"]) / abs(before["tce"]) * 100
    return {
        "title": f"{data['name']} {first.year} 年 {first.month} 月能耗在线监测月报",
        "file_stem": f"monitoring-{region_code}-{first:%Y-%m}",
        "region_name": data["name"],
        "month": f"{first.year} 年 {first.month} 月",
        "previous": f"{previous.year} 年 {previous.month} 月",
        "enterprises": data["enterprises"],
        "meters": data["meters"],
        "carriers": carriers,
        "total_now": now,
        "total_before": before,
        "change_pct": change,
        "ranked": ranked[:TOP_ENTERPRISES],
        "ranked_total": len(ranked),
    }


def target_progress(session: Session, actor: Principal, params: dict[str, str]) -> dict[str, Any]:
    region_code = params["region_code"]
    region = require_region(session, actor, region_code, roles=("regulator", "reviewer"))
    year = _int(params, "year") if params.get("year") else None
    targets = target_service.list_targets(session, actor, region_code=region_code)
    rows = [service_progress.progress(session, actor, t.id, as_of_year=year) for t in targets]
    return {
        "title": f"{region.name}节能降碳目标进度报告" + (f"（截至 {year} 年）" if year else ""),
        "file_stem": f"target-progress-{region_code}" + (f"-{year}" if year else ""),
        "region_name": region.name,
        "rows": rows,
        "level_zh": LEVEL_ZH,
    }


def subsidy_letter(application: ApplicationOut) -> dict[str, Any]:
    """The letter's context from a decided application (pure: the route and the tests share it)."""
    if application.state not in DECIDED_STATES:
        raise InvalidInput(
            f"application {application.id} is {application.state}: only a decided application gets a letter",
            field="application_id",
            zh="该申请尚未作出决定，不能出具决定书",
        )
    approved = application.state in ("approved", "paid")
    verdict = "批准" if approved else "不予批准"
    rule = _money_rule(application.pack, application.rule)
    decisions = with_zh(application.decisions, rule.decisions if rule else ())
    return {
        "title": f"关于{application.applicant_name}{application.rule_title_zh}申请的{verdict}决定",
        "file_stem": f"subsidy-decision-{application.id}",
        "application": application,
        "approved": approved,
        "value_labels": choice_labels_zh(rule),
        # 政策原文 of each step: the Chinese note, or a pack's note without its English gloss
        "step_notes": [
            str(step.get("note_zh") or without_english_aside(str(step.get("note") or ""))) for step in application.trace
        ],
        "decisions": [decision_parts(decision, "zh") for decision in decisions],
    }


def _money_rule(pack: str, rule: str) -> IncentiveRule | None:
    """The application's money rule (for its choice labels); None when the pack no longer has it."""
    try:
        return resolve_pack(pack).incentive(rule)
    except (InvalidInput, OSError, ValueError):
        return None


def subsidy_decision(session: Session, actor: Principal, params: dict[str, str]) -> dict[str, Any]:
    return subsidy_letter(get_application(session, actor, _int(params, "application_id")))
