"""The home page. Regulators and reviewers see the regional dashboard: enterprises by tier and by district
(from the newest catalog in scope, draft or published: ``catalog.service_counts``), total tce and CO₂ of the region
(sum of the stored figures of the approved or locked annual reports of the latest year, each version's read once
per process: ``reports.service_totals``), reports waiting for review, and the overdue list. Enterprise users
and agencies see their enterprises and their latest reports.

The page is sent with the headline figures; the charts, the 节能改造 card and the overdue table — with the
overdue figure, counted once for both — follow once the browser is connected. Both parts are kept per caller,
region and day until an audited change (``app.service_dashboard``), so a repeated view reads no aggregate
(docs/benchmarks.md, "Reads").
"""

from __future__ import annotations

from datetime import date
from typing import Any

from nicegui import ui
from sqlalchemy.orm import Session

from dualcarbon.app.service_dashboard import kept_until_change
from dualcarbon.catalog.pages import writable_regions
from dualcarbon.catalog.schemas import CatalogView, DistrictCounts
from dualcarbon.catalog.service_counts import region_catalog_counts
from dualcarbon.core.access import Principal
from dualcarbon.projects.service_shares import library_totals
from dualcarbon.registry.service import list_enterprises
from dualcarbon.registry.service_regions import region_tree
from dualcarbon.reports.pages_view import REPORT_COLUMNS, report_row
from dualcarbon.reports.service import ReportFilter, list_reports
from dualcarbon.reports.service_periods import overdue_page
from dualcarbon.reports.service_totals import region_totals, review_count
from dualcarbon.ui.web.formatting import (
    label,
    number,
    period_text,
    pie_options,
    stacked_bar_options,
    tier_sort_key,
)
from dualcarbon.ui.web.layout import figure, run_action, section, set_figure, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table, paged_table

OVERDUE_COLUMNS = (
    Column("name", "enterprise.name"),
    Column("credit_code", "enterprise.credit_code", width=190),
    Column("period", "report.period"),
    Column("deadline", "overdue.deadline", width=120),
    Column("days_overdue", "overdue.days", numeric=True, width=110),
    Column("state", "report.state", width=110),
)


def region_options(session: Session, principal: Principal) -> dict[str, str]:
    """Regions the dashboard can show: the regulator's (or reviewer's) subtrees, everything for admin."""
    if principal.is_admin or principal.has_role("regulator"):
        return writable_regions(session, principal)
    options: dict[str, str] = {}
    roots: list[str | None] = list(principal.region_roots("reviewer"))
    if not roots and principal.is_unscoped_reviewer():
        roots = [None]
    for root in roots:
        for node in region_tree(session, root, depth=1):
            options[node.code] = f"{node.name}（{node.code}）"
            for child in node.children:
                options[child.code] = f"　{child.name}（{child.code}）"
    return options


#: Rows of the overdue table's page (the first page comes with the sections' data).
OVERDUE_PAGE = 10


def dashboard_figures(session: Session, principal: Principal, region_code: str, today: date) -> dict[str, Any]:
    """The headline figures (enterprises, the year's totals, reports waiting for review), each from the service
    that owns it: what the page holds when it is first sent (the overdue figure comes with the sections). Kept
    for the next view of the same caller, region and day until an audited change moves the audit chain's head
    (``app.service_dashboard``: a repeated view costs one indexed lookup instead of the aggregates)."""
    key = ("figures", principal, region_code, today)
    return kept_until_change(session, key, lambda: _fresh_figures(session, principal, region_code, today))


def dashboard_sections(session: Session, principal: Principal, region_code: str, today: date) -> dict[str, Any]:
    """The sections below the figures (catalog charts, the 节能改造 card, the overdue table's first page and
    its total, which is the overdue figure), fetched once the browser has the page; kept like
    :func:`dashboard_figures`."""
    key = ("sections", principal, region_code, today)
    return kept_until_change(session, key, lambda: _fresh_sections(session, principal, region_code, today))


def dashboard_data(session: Session, principal: Principal, region_code: str, today: date) -> dict[str, Any]:
    """Everything the regional dashboard shows (the figures and the sections, as the two calls give them)."""
    return {
        **dashboard_figures(session, principal, region_code, today),
        **dashboard_sections(session, principal, region_code, today),
    }


def _fresh_figures(session: Session, principal: Principal, region_code: str, today: date) -> dict[str, Any]:
    data: dict[str, Any] = {"region_code": region_code}
    _, data["enterprises"] = list_enterprises(session, principal, _query(region_code), limit=1)
    totals = region_totals(session, principal, region_code)  # one SQL aggregate, not every report parsed
    data["totals"] = {"year": totals.year, "tce": totals.tce, "tco2": totals.tco2, "reports": totals.reports}
    data["pending"] = review_count(session, principal, region_code)  # the review queue's total, no row fetched
    return data


def _fresh_sections(session: Session, principal: Principal, region_code: str, today: date) -> dict[str, Any]:
    data: dict[str, Any] = {"region_code": region_code}
    counted = region_catalog_counts(session, principal, region_code)  # no entry or evidence loaded
    data["catalog"] = None
    if counted is not None:
        data["catalog"] = {
            "catalog": counted.catalog,
            "counts_by_district": counted.counts_by_district,
            "counts_by_tier": dict(sorted(counted.counts_by_tier.items(), key=lambda kv: tier_sort_key(kv[0]))),
        }
    # counted and paged by the database: the first page here, the others fetched as the user moves
    first, data["overdue_total"] = overdue_page(session, principal, region_code, today, limit=OVERDUE_PAGE)
    data["overdue"] = [item.out() for item in first]
    data["retrofit"] = library_totals(session, principal, region_code)  # the project library (节能改造)
    return data


def overdue_rows(
    session: Session, principal: Principal, region_code: str, today: date, limit: int, offset: int
) -> tuple[list[Any], int]:
    """One page of the overdue list as the dashboard's table shows it (items as the API gives them)."""
    items, total = overdue_page(session, principal, region_code, today, limit=limit, offset=offset)
    return [item.out() for item in items], total


def _query(region_code: str) -> Any:
    from dualcarbon.registry.service import EnterpriseQuery

    return EnterpriseQuery(region_code=region_code)


def _regional(ctx: WebContext) -> None:
    options = ctx.call(region_options)
    if not options:
        ui.label(ctx.t("dashboard.no_region")).classes("text-gray-600")
        return
    picker = (
        ui.select(options, value=next(iter(options)), label=ctx.t("dashboard.region"), with_input=True)
        .classes("w-80")
        .props('data-testid="dashboard-region"')
    )
    holder = ui.column().classes("w-full gap-4")

    def show() -> None:
        region_code, today = str(picker.value), date.today()
        found: dict[str, Any] = {}
        if not run_action(ctx, lambda: found.update(data=ctx.call(dashboard_figures, region_code, today))):
            return
        holder.clear()
        with holder:
            overdue_card = _figures(ctx, found["data"])
            below = ui.column().classes("w-full gap-4").props('data-testid="dashboard-sections"')
            with below:
                ui.spinner(size="lg").props('data-testid="dashboard-loading"')
            # The page is sent with the figures; the sections follow as soon as the browser is connected
            # (a timer runs once the client is), so the first byte does not wait for them.
            ui.timer(0, lambda: _sections(ctx, below, overdue_card, region_code, today), once=True)

    picker.on_value_change(show)
    show()


def _sections(ctx: WebContext, below: ui.column, overdue_card: ui.html, region_code: str, today: date) -> None:
    """Fill ``below`` with the catalog charts, the 节能改造 card and the overdue table, and the overdue figure."""
    found: dict[str, Any] = {}
    if not run_action(ctx, lambda: found.update(data=ctx.call(dashboard_sections, region_code, today))):
        below.clear()
        return
    data = found["data"]
    set_figure(overdue_card, ctx.t("dashboard.overdue"), str(data["overdue_total"]))
    below.clear()
    with below:
        _charts(ctx, data)
        _retrofit(ctx, data)
        _overdue_table(ctx, data, region_code, today)


def overdue_period(ctx: WebContext, item: Any) -> str:
    """An overdue row's period: the service's Chinese label (2025年) on a Chinese page, else from its parts."""
    if ctx.language == "zh":
        return str(item.period_label)
    return period_text(ctx, item.period_kind, item.year, item.period)


def _overdue_table(ctx: WebContext, data: dict[str, Any], region_code: str, today: date) -> None:
    first_page = data["overdue"]

    def overdue_page(limit: int, offset: int, _search: str) -> tuple[list[dict[str, Any]], int]:
        if offset == 0 and limit <= len(first_page):  # the page dashboard_sections already fetched
            items, total = first_page[:limit], data["overdue_total"]
        else:
            items, total = ctx.call(overdue_rows, region_code, today, limit, offset)
        rows = [
            {
                **item.model_dump(),
                "period": overdue_period(ctx, item),
                "state": label(ctx, "state", item.state) or ctx.t("overdue.none"),
            }
            for item in items
        ]
        return rows, total

    title = ctx.t("dashboard.overdue_list", count=data["overdue_total"])
    with section(title):
        # Paged in SQL: a city can have thousands of overdue filings (10,000 rows were 2.6 MB of page).
        paged_table(ctx, OVERDUE_COLUMNS, overdue_page, export_name=title, page_size=OVERDUE_PAGE, testid="overdue")


def _figures(ctx: WebContext, data: dict[str, Any]) -> ui.html:
    """The headline figures; the overdue one (returned) shows its count once the sections arrive."""
    totals = data["totals"]
    year = totals["year"]
    with ui.row().classes("w-full gap-4"):
        figure(ctx.t("dashboard.enterprises"), str(data["enterprises"]), testid="fig-enterprises")
        figure(
            ctx.t("dashboard.total_tce", year=year or "—"),
            f"{number(totals['tce'], 1)} {ctx.t('unit.tce')}",
            testid="fig-tce",
        )
        figure(
            ctx.t("dashboard.total_tco2", year=year or "—"),
            f"{number(totals['tco2'], 1)} {ctx.t('unit.tco2')}",
            testid="fig-tco2",
        )
        figure(ctx.t("dashboard.pending"), str(data["pending"]), testid="fig-pending")
        return figure(ctx.t("dashboard.overdue"), "…", testid="fig-overdue")


def _charts(ctx: WebContext, data: dict[str, Any]) -> None:
    review = data["catalog"]
    if review is None:
        ui.label(ctx.t("dashboard.no_catalog")).classes("text-gray-600")
        return
    catalog: CatalogView = review["catalog"]
    caption = ctx.t(
        "dashboard.catalog_caption",
        half=catalog.half,
        state=label(ctx, "catalog_state", catalog.state),
        basis=label(ctx, "basis", catalog.basis),
    )
    ui.link(caption, f"/catalogs/{catalog.id}").classes("text-sm")
    districts: list[DistrictCounts] = review["counts_by_district"]
    tiers = sorted({t for d in districts for t in d.counts}, key=tier_sort_key)
    with ui.row().classes("w-full gap-4 no-wrap"):
        with ui.column().classes("dc-card w-1/2"):
            ui.echart(pie_options(ctx, review["counts_by_tier"], ctx.t("dashboard.by_tier"))).classes(
                "w-full h-80"
            ).props('data-testid="chart-tier"')
        with ui.column().classes("dc-card w-1/2"):
            ui.echart(
                stacked_bar_options(
                    ctx,
                    [d.region_name for d in districts],
                    {t: [d.counts.get(t, 0) for d in districts] for t in tiers},
                    ctx.t("dashboard.by_region"),
                )
            ).classes("w-full h-80").props('data-testid="chart-region"')


def _retrofit(ctx: WebContext, data: dict[str, Any]) -> None:
    """The 节能改造 card: the region's project library — projects, verified tce freed, overdue projects."""
    totals = data["retrofit"]
    with section(ctx.t("dash.retrofit_title")).props('data-testid="retrofit-card"'):
        with ui.row().classes("w-full gap-4"):
            figure(ctx.t("dash.retrofit_projects"), str(totals.projects), testid="fig-retrofit-projects")
            figure(
                ctx.t("dash.retrofit_expected"), number(totals.expected_tce_per_year, 1), testid="fig-retrofit-expected"
            )
            figure(ctx.t("dash.retrofit_freed"), number(totals.verified_tce_per_year, 1), testid="fig-retrofit-freed")
            figure(ctx.t("dash.retrofit_behind"), str(totals.by_state.get("overdue", 0)), testid="fig-retrofit-behind")
        with ui.row().classes("gap-4"):
            ui.link(ctx.t("dash.retrofit_library"), "/projects")
            ui.link(ctx.t("dash.retrofit_audits"), "/audits")
            ui.link(ctx.t("dash.retrofit_shares"), f"/projects-shares?region_code={data['region_code']}")


def _enterprise_home(ctx: WebContext) -> None:
    enterprises, _ = ctx.call(list_enterprises, None, limit=50)
    for enterprise in enterprises:
        code = enterprise.credit_code
        reports, _ = ctx.call(list_reports, ReportFilter(credit_code=code), limit=10)
        with section(enterprise.name):
            with ui.row().classes("gap-3"):
                ui.link(ctx.t("dashboard.open_enterprise"), f"/enterprises/{code}")
                ui.button(
                    ctx.t("report.new"),
                    icon="add",
                    on_click=lambda c=code: ui.navigate.to(f"/enterprises/{c}/reports/new"),
                ).props('unelevated dense data-testid="new-report"')
            data_table(
                ctx,
                REPORT_COLUMNS,
                [report_row(ctx, r) for r in reports],
                height="16rem",
                export_name=f"{enterprise.name}-{ctx.t('enterprise.reports')}",
                on_row_click=lambda row: ui.navigate.to(f"/reports/{row['id']}"),
            )


@web_page("/", title_key="nav.dashboard")
def dashboard_page(ctx: WebContext) -> None:
    if ctx.has_role("regulator", "reviewer"):
        _regional(ctx)
    elif ctx.has_role("enterprise", "agency"):
        _enterprise_home(ctx)
    else:
        ui.label(ctx.t("dashboard.welcome")).classes("text-gray-600")
