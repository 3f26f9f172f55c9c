"""Enterprise pages: the list (企业名录, AG Grid with filter, paging, export) and one enterprise's detail
(registry fields, sites and production units, its reports with their states, and its tier history across
the catalogs the user may see).

Scope is the services' job: the list holds only enterprises the user may read; a detail page of an
enterprise outside the user's scope raises NotFound in ``enterprise_detail`` and shows the refusal.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui
from sqlalchemy.orm import Session

from dualcarbon.catalog.service import EntryFilter, list_catalogs, list_entries
from dualcarbon.core.access import Principal
from dualcarbon.core.vocab import TIERS_BY_BASIS
from dualcarbon.registry.schemas import EnterpriseDetail, EnterpriseItem
from dualcarbon.registry.service import EnterpriseQuery, enterprise_detail, list_enterprises
from dualcarbon.reports.pages_view import REPORT_COLUMNS, report_row
from dualcarbon.reports.service import ReportFilter, list_reports
from dualcarbon.ui.web.formatting import TIER_COLOURS, data_label, label, rounded, tier_sort_key, yes_no
from dualcarbon.ui.web.layout import section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table, paged_table, simple_table

ENTERPRISE_COLUMNS = (
    Column("credit_code", "enterprise.credit_code", width=200),
    Column("name", "enterprise.name"),
    Column("region", "enterprise.region"),
    Column("industry_code", "enterprise.industry_code", width=130),
    Column("above_scale", "enterprise.above_scale", width=130),
    Column("key_energy_user", "enterprise.key_energy_user", width=150),
    Column("land_area_mu", "enterprise.land_area_mu", numeric=True, width=160, digits=1),
)
UNIT_COLUMNS = (
    Column("name", "unit.name"),
    Column("field", "unit.field"),
    Column("product", "unit.product"),
    Column("benchmark_row_id", "unit.benchmark_row_id", width=140),
    Column("capacity", "unit.capacity", numeric=True, width=120),
    Column("capacity_unit", "unit.capacity_unit", width=120),
)


def enterprise_row(ctx: WebContext, item: EnterpriseItem) -> dict[str, Any]:
    return {
        "credit_code": item.credit_code,
        "name": item.name,
        "region": f"{item.region_name or ''}（{item.region_code}）",
        "industry_code": item.industry_code,
        "above_scale": yes_no(ctx, item.above_scale),
        "key_energy_user": yes_no(ctx, item.key_energy_user),
        "land_area_mu": rounded(item.land_area_mu, 2),
    }


@web_page("/enterprises", title_key="nav.enterprises")
def enterprises_page(ctx: WebContext) -> None:
    def fetch(limit: int, offset: int, search: str) -> tuple[list[dict[str, Any]], int]:
        query = EnterpriseQuery(q=search or None)
        items, total = ctx.call(list_enterprises, query, limit=limit, offset=offset)
        return [enterprise_row(ctx, item) for item in items], total

    with section(ctx.t("enterprise.list")):
        paged_table(  # paged on the server: the page carries one page of rows at any number of enterprises
            ctx,
            ENTERPRISE_COLUMNS,
            fetch,
            export_name=ctx.t("nav.enterprises"),
            searchable=True,
            testid="enterprises",
            on_row_click=lambda row: ui.navigate.to(f"/enterprises/{row['credit_code']}"),
        )


def tier_history(session: Session, principal: Principal, credit_code: str) -> list[dict[str, Any]]:
    """The enterprise's entries in every published or superseded catalog the principal may read."""
    catalogs, _ = list_catalogs(session, principal, limit=40)
    history: list[dict[str, Any]] = []
    for catalog in sorted(catalogs, key=lambda c: (c.half, c.issue_no or 0)):
        if catalog.state == "draft":
            continue
        filters = EntryFilter(credit_code=credit_code)
        entries, _ = list_entries(session, principal, catalog.id, filters, limit=200, with_evidence=False)
        for entry in entries:
            history.append(
                {
                    "catalog_id": catalog.id,
                    "half": catalog.half,
                    "issue_no": catalog.issue_no,
                    "basis": catalog.basis,
                    "state": catalog.state,
                    "product": entry.product,
                    "tier": entry.tier,
                    "value": entry.value,
                    "unit": entry.unit,
                }
            )
    return history


def tier_history_chart(ctx: WebContext, history: list[dict[str, Any]]) -> None:
    """A line per product (and basis) over the catalog issues, on a category axis of tiers (best at top)."""
    if not history:
        ui.label(ctx.t("enterprise.no_history")).classes("text-gray-500")
        return
    issues = sorted({(h["half"], h["issue_no"] or 0) for h in history})
    x_labels = [f"{half}" + (f" #{no}" if no and no > 1 else "") for half, no in issues]
    tiers = sorted(
        {h["tier"] for h in history} | {t for h in history for t in TIERS_BY_BASIS.get(h["basis"], ())},
        key=tier_sort_key,
        reverse=True,
    )
    y_labels = [label(ctx, "tier", tier) for tier in tiers]
    series: dict[str, list[Any]] = {}
    for h in history:
        name = f"{data_label(ctx, h['product'], 'product')}（{label(ctx, 'basis_short', h['basis'])}）"
        x = x_labels[issues.index((h["half"], h["issue_no"] or 0))]
        series.setdefault(name, []).append(
            {
                "value": [x, label(ctx, "tier", h["tier"])],
                "itemStyle": {"color": TIER_COLOURS.get(h["tier"], "#90a4ae")},
                "unit_value": f"{h['value']:.4g} {h['unit']}",
            }
        )
    ui.echart(
        {
            "tooltip": {"trigger": "item"},
            "legend": {"bottom": 0, "type": "scroll"},
            "grid": {"left": 20, "right": 30, "top": 20, "bottom": 50, "containLabel": True},
            "xAxis": {"type": "category", "data": x_labels, "boundaryGap": True},
            "yAxis": {"type": "category", "data": y_labels},
            "series": [{"name": name, "type": "line", "symbolSize": 12, "data": data} for name, data in series.items()],
        }
    ).classes("w-full h-64").props('data-testid="tier-history"')


def _info_grid(ctx: WebContext, detail: EnterpriseDetail) -> None:
    fields = [
        ("enterprise.credit_code", detail.credit_code),
        ("enterprise.region", f"{detail.region_name or ''}（{detail.region_code}）"),
        ("enterprise.industry_code", detail.industry_code),
        ("enterprise.above_scale", yes_no(ctx, detail.above_scale)),
        ("enterprise.key_energy_user", yes_no(ctx, detail.key_energy_user)),
        ("enterprise.land_area_mu", "" if detail.land_area_mu is None else f"{detail.land_area_mu:g}"),
        ("enterprise.address", detail.address or ""),
        ("enterprise.contact", detail.contact or ""),
    ]
    with ui.grid(columns="9rem 1fr").classes("w-full gap-x-6 gap-y-1"):
        for key, value in fields:
            ui.label(ctx.t(key)).classes("text-gray-600 text-sm")
            ui.label(str(value)).classes("text-sm")


@web_page("/enterprises/{credit_code}", title_key="enterprise.detail")
def enterprise_detail_page(ctx: WebContext, credit_code: str) -> None:
    detail = ctx.call(enterprise_detail, credit_code)
    reports, _ = ctx.call(list_reports, ReportFilter(credit_code=credit_code), limit=500)
    history = ctx.call(tier_history, credit_code)
    ui.label(detail.name).classes("text-2xl font-semibold").props('data-testid="enterprise-name"')
    with ui.row().classes("w-full gap-4 no-wrap items-stretch"):
        with section(ctx.t("enterprise.basic")).classes("w-1/2"):
            _info_grid(ctx, detail)
        with section(ctx.t("enterprise.tier_history")).classes("w-1/2"):
            tier_history_chart(ctx, history)
    with section(ctx.t("enterprise.units")):
        simple_table(
            ctx,
            UNIT_COLUMNS,
            [
                {
                    **unit.model_dump(),
                    "field": data_label(ctx, unit.field, "field"),
                    "product": data_label(ctx, unit.product, "product"),
                    "capacity_unit": data_label(ctx, unit.capacity_unit, "unit"),
                }
                for unit in detail.production_units
            ],
            export_name=f"{detail.name}-{ctx.t('enterprise.units')}",
            testid="units",
        )
    with section(ctx.t("enterprise.reports")):
        if ctx.has_role("enterprise", "agency", "regulator"):
            ui.button(
                ctx.t("report.new"),
                icon="add",
                on_click=lambda: ui.navigate.to(f"/enterprises/{credit_code}/reports/new"),
            ).props('unelevated data-testid="new-report"')
        data_table(
            ctx,
            REPORT_COLUMNS,
            [report_row(ctx, r) for r in reports],
            testid="enterprise-reports",
            export_name=f"{detail.name}-{ctx.t('enterprise.reports')}",
            height="20rem",
            on_row_click=lambda row: ui.navigate.to(f"/reports/{row['id']}"),
        )
