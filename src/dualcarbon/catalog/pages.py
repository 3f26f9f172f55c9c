"""Catalog pages (能效清单目录): the list and builder (region, edition, half, basis → generate), and one
catalog's page — review of a draft by tier and district, publish, the published view with its snapshot,
the diff against the previous issue, the workbook export, and filing an appeal on one's own entry.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui
from sqlalchemy.orm import Session

from dualcarbon.catalog.schemas import CatalogOut
from dualcarbon.catalog.service import list_catalogs
from dualcarbon.catalog.service_generate import ConfirmationRequired, generate_catalog
from dualcarbon.catalog.service_schedule import default_half
from dualcarbon.core.access import Principal
from dualcarbon.reference.catalogue import blank_rows
from dualcarbon.registry.schemas import RegionNode
from dualcarbon.registry.service_regions import region_tree
from dualcarbon.ui.web.formatting import (
    data_label,
    label,
    when,
)
from dualcarbon.ui.web.layout import run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table

CATALOG_COLUMNS = (
    Column("id", "catalog.id", numeric=True, width=80),
    Column("region", "catalog.region"),
    Column("half", "catalog.half", width=110),
    Column("edition", "catalog.edition", width=100),
    Column("basis", "catalog.basis"),
    Column("state", "catalog.state", width=130),
    Column("issue_no", "catalog.issue_no", numeric=True, width=100),
    Column("total", "catalog.entries", numeric=True, width=110),
    Column("published_at", "catalog.published_at"),
)
ENTRY_COLUMNS = (
    Column("enterprise_name", "enterprise.name", width=240),
    Column("credit_code", "enterprise.credit_code", width=190),
    Column("field", "unit.field"),
    Column("product", "unit.product"),
    Column("value", "catalog.value", numeric=True, digits=3, width=150),
    Column("unit", "catalog.unit", width=100),
    Column("tier", "catalog.tier", width=170),
    Column("note", "catalog.note", width=420, tooltip=True),  # why 无法判定 (blank row, import), or an earlier decision
    Column("gap_to_benchmark", "catalog.gap_to_benchmark", numeric=True, digits=3, width=140),
    Column("gap_to_baseline", "catalog.gap_to_baseline", numeric=True, digits=3, width=140),
    Column("saving_tce", "catalog.saving_tce", numeric=True, digits=2, width=230),
)
#: On a GB-basis catalog the references are the standard's grades: 与1级差距 / 与3级限定值差距, never 标杆/基准.
_GB_LABELS = {
    "gap_to_benchmark": "catalog.gap_to_grade1",
    "gap_to_baseline": "catalog.gap_to_grade3",
    "saving_tce": "catalog.saving_tce_grade1",
}
REFERENCE_IMPORT_PATH = "/reference-import"  # the administrators' page that fills blank reference values


def entry_columns(basis: str) -> tuple[Column, ...]:
    """The entry grid's columns; gap and saving headers name the basis's references."""
    if basis != "gb":
        return ENTRY_COLUMNS
    return tuple(
        Column(c.field, _GB_LABELS[c.field], numeric=c.numeric, digits=c.digits, width=c.width)
        if c.field in _GB_LABELS
        else c
        for c in ENTRY_COLUMNS
    )


def policy_gap_banner(ctx: WebContext, edition: str) -> None:
    """Which products the policy basis (标杆/基准) of ``edition`` cannot class while its values are blank, with
    the way to fill them (the 参考数据导入 page for administrators). Nothing when the edition has no blanks."""
    table = f"efficiency_benchmarks_{edition}"
    reference = ctx.reference()
    if table not in reference.tables:
        return
    rows = blank_rows(reference, table)
    if not rows:
        return
    fields = list(dict.fromkeys(row.get("field_重点领域", "") for row in rows))
    with (
        ui.row()
        .classes("dc-card w-full items-start gap-3 no-wrap")
        .style("border-left: 4px solid #f9a825")
        .props('data-testid="policy-gap-banner"')
    ):
        ui.icon("warning", color="warning", size="1.6rem")
        with ui.column().classes("gap-1"):
            ui.label(ctx.t("catalog.policy_gap", edition=edition, rows=len(rows), fields=len(fields))).classes(
                "font-semibold"
            )
            names = ("、" if ctx.language == "zh" else ", ").join(data_label(ctx, name, "field") for name in fields)
            ui.label(ctx.t("catalog.policy_gap_fields", names=names)).classes("text-sm text-gray-700")
            if ctx.principal.is_admin:
                ui.link(ctx.t("catalog.policy_gap_link"), REFERENCE_IMPORT_PATH).props('data-testid="policy-gap-link"')
            else:
                ui.label(ctx.t("catalog.policy_gap_ask_admin")).classes("text-sm text-gray-600")


DIFF_COLUMNS = (
    Column("change", "catalog.diff_change", width=100),
    Column("enterprise_name", "enterprise.name"),
    Column("product", "unit.product"),
    Column("before", "catalog.diff_before"),
    Column("after", "catalog.diff_after"),
)
STATE_COLOURS = {"draft": "grey", "published": "positive", "superseded": "orange"}


def writable_regions(session: Session, principal: Principal) -> dict[str, str]:
    """``{code: "name（code）"}`` of the regions the principal may build catalogs for, tree order."""
    roots: list[str | None] = [None] if principal.is_admin else list(principal.region_roots("regulator"))
    options: dict[str, str] = {}

    def walk(nodes: list[RegionNode], depth: int) -> None:
        for node in nodes:
            options[node.code] = f"{'　' * depth}{node.name}（{node.code}）"
            walk(node.children, depth + 1)

    for root in roots:
        walk(region_tree(session, root), 0)
    return options


def catalog_row(ctx: WebContext, item: CatalogOut, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": item.id,
        "region": names.get(item.region_code, item.region_code),
        "half": item.half,
        "edition": item.edition,
        "basis": label(ctx, "basis", item.basis),
        "state": label(ctx, "catalog_state", item.state),
        "issue_no": item.issue_no,
        "total": item.total,
        "published_at": when(item.published_at, ctx),
    }


def region_names_in(session: Session, _principal: Principal, codes: list[str]) -> dict[str, str]:
    from dualcarbon.registry.service_regions import region_names

    return {code: f"{name}（{code}）" for code, name in region_names(session, codes).items()}


def _builder(ctx: WebContext) -> None:
    regions = ctx.call(writable_regions)
    reference = ctx.reference()
    editions = reference.editions()
    with section(ctx.t("catalog.builder")), ui.row().classes("items-end gap-4"):
        region = (
            ui.select(regions, value=next(iter(regions), None), label=ctx.t("catalog.region"), with_input=True)
            .classes("w-72")
            .props('data-testid="builder-region"')
        )
        edition = (
            ui.select(editions, value=editions[-1] if editions else None, label=ctx.t("catalog.edition"))
            .classes("w-28")
            .props('data-testid="builder-edition"')
        )
        half = ui.input(ctx.t("catalog.half"), value=default_half()).classes("w-32").props('data-testid="builder-half"')
        basis = (
            ui.select(
                {"policy": ctx.t("basis.policy"), "gb": ctx.t("basis.gb")}, value="policy", label=ctx.t("catalog.basis")
            )
            .classes("w-64")
            .props('data-testid="builder-basis"')
        )
        data_year = ui.number(ctx.t("catalog.data_year"), format="%d").classes("w-44")
        result: dict[str, Any] = {}

        def generate(confirm_empty: bool = False) -> None:
            year = int(data_year.value) if data_year.value else None
            found = ctx.call(
                generate_catalog,
                region.value,
                edition.value,
                (half.value or "").strip(),
                basis.value,
                reference=ctx.reference(),
                data_year=year,
                confirm_empty=confirm_empty,
            )
            result["id"] = found.catalog.id
            result["entries"] = sum(found.counts.values())

        def generated() -> None:
            ui.notify(ctx.t("catalog.generated", count=result["entries"]), type="positive")
            ui.navigate.to(f"/catalogs/{result['id']}")

        def generate_empty() -> None:
            empty.close()
            if run_action(ctx, lambda: generate(confirm_empty=True)):
                generated()

        with ui.dialog() as empty, ui.card().classes("w-[32rem]"):  # 0 entries: only when confirmed
            ui.label(ctx.t("catalog.empty_confirm")).props('data-testid="empty-confirm-text"')
            with ui.row():
                ui.button(ctx.t("catalog.generate_empty"), on_click=generate_empty).props(
                    'unelevated color=warning data-testid="empty-confirm"'
                )
                ui.button(ctx.t("common.cancel"), on_click=empty.close).props("flat")

        def attempt() -> None:
            result.clear()
            try:
                generate()
            except ConfirmationRequired:  # 0 entries: ask, naming the count, instead of failing
                result["confirm_empty"] = True

        def on_click() -> None:
            if run_action(ctx, attempt):
                if result.get("confirm_empty"):
                    empty.open()
                else:
                    generated()

        ui.button(ctx.t("catalog.generate"), icon="build", on_click=on_click).props(
            'unelevated data-testid="generate-catalog"'
        )
    ui.label(ctx.t("catalog.builder_hint")).classes("text-sm text-gray-600")


@web_page("/catalogs", title_key="nav.catalogs")
def catalogs_page(ctx: WebContext) -> None:
    editions = ctx.reference().editions()
    if editions:
        policy_gap_banner(ctx, editions[-1])
    if ctx.has_role("regulator"):
        _builder(ctx)
    items, _ = ctx.call(list_catalogs, limit=500)
    names = ctx.call(region_names_in, sorted({i.region_code for i in items}))
    with section(ctx.t("catalog.list")):
        data_table(
            ctx,
            CATALOG_COLUMNS,
            [catalog_row(ctx, i, names) for i in items],
            testid="catalogs",
            export_name=ctx.t("catalog.list"),
            on_row_click=lambda row: ui.navigate.to(f"/catalogs/{row['id']}"),
        )
    ui.link(ctx.t("public.title"), "/published")
