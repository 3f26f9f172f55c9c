"""Catalog pages (能效清单目录): the list and builder (region, edition, half, basis → generate), and one
catalog's page — review of a draft by tier and district, publish, the published view with its snapshot,
the diff against the previous issue, the workbook export, and filing an appeal on one's own entry.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui
from sqlalchemy.orm import Session

from dualcarbon.catalog.schemas import CatalogEntryOut, CatalogOut, CatalogReview, CatalogView
from dualcarbon.catalog.service import EntryFilter, list_catalogs, list_entries
from dualcarbon.catalog.service_appeals import file_appeal
from dualcarbon.catalog.service_diff import diff_catalogs
from dualcarbon.catalog.service_export import export_catalog_xlsx
from dualcarbon.catalog.service_generate import ConfirmationRequired, generate_catalog
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.catalog.service_review import review_catalog
from dualcarbon.catalog.service_schedule import default_half
from dualcarbon.core.access import Principal
from dualcarbon.reference.catalogue import blank_rows
from dualcarbon.registry.schemas import RegionNode
from dualcarbon.registry.service_regions import region_tree
from dualcarbon.ui.web.formatting import (
    data_label,
    label,
    pie_options,
    rounded,
    stacked_bar_options,
    tier_sort_key,
    when,
)
from dualcarbon.ui.web.layout import run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import XLSX_MEDIA_TYPE, Column, data_table, export_filename, paged_table, simple_table

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
            ui.label(ctx.t("catalog.policy_gap_fields", names="、".join(fields))).classes("text-sm text-gray-700")
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


def _region_names(session: Session, _principal: Principal, codes: list[str]) -> dict[str, str]:
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
    names = ctx.call(_region_names, sorted({i.region_code for i in items}))
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


def entry_row(ctx: WebContext, entry: CatalogEntryOut) -> dict[str, Any]:
    return {
        "id": entry.id,
        "enterprise_name": entry.enterprise_name,
        "credit_code": entry.credit_code,
        "field": data_label(ctx, entry.field, "field"),
        "product": data_label(ctx, entry.product, "product"),
        "value": rounded(entry.value),
        "unit": entry.unit,
        "tier_code": entry.tier,
        "tier": label(ctx, "tier", entry.tier),
        "gap_to_benchmark": rounded(entry.gap_to_benchmark),
        "gap_to_baseline": rounded(entry.gap_to_baseline),
        "saving_tce": rounded(entry.saving_to_benchmark_tce, 2),
        "message": entry.message,
        "note": _entry_note(entry),
        "decision_state": entry.decision_state,
    }


def _entry_note(entry: CatalogEntryOut) -> str | None:
    """Why an entry is 无法判定 and how to fix it, or the earlier decision it carries or shows for review."""
    if entry.undetermined is not None:
        return f"{entry.undetermined.reason_zh}。{entry.undetermined.hint}"
    return entry.decision_note


def _summary(ctx: WebContext, catalog: CatalogView, region_name: str) -> None:
    with ui.row().classes("items-center gap-4"):
        ui.label(f"{region_name} · {catalog.half}").classes("text-xl font-semibold")
        ui.badge(label(ctx, "catalog_state", catalog.state), color=STATE_COLOURS.get(catalog.state, "grey")).classes(
            "text-sm px-2 py-1"
        ).props('data-testid="catalog-state"')
        ui.label(f"{label(ctx, 'basis', catalog.basis)} · {ctx.t('catalog.edition')} {catalog.edition}")
        if catalog.issue_no:
            ui.label(ctx.t("catalog.issue", issue=catalog.issue_no))
    if catalog.snapshot_hash:
        with ui.expansion(ctx.t("catalog.snapshot")).classes("w-full text-sm"):
            ui.label(f"{ctx.t('catalog.published_at')}: {when(catalog.published_at, ctx)}")
            ui.label(f"SHA-256: {catalog.snapshot_hash}").classes("font-mono break-all")
            for table, version in sorted(catalog.reference_versions.items()):
                ui.label(f"{table}: {version}").classes("font-mono")


def _charts(ctx: WebContext, review: CatalogReview) -> None:
    counts = review.counts_by_tier
    districts = review.counts_by_district
    tiers = sorted({t for d in districts for t in d.counts}, key=tier_sort_key)
    with ui.row().classes("w-full gap-4 no-wrap"):
        with ui.column().classes("dc-card w-1/2"):
            ui.echart(pie_options(ctx, counts, ctx.t("catalog.by_tier"))).classes("w-full h-72")
        with ui.column().classes("dc-card w-1/2"):
            ui.echart(
                stacked_bar_options(
                    ctx,
                    [d.region_name for d in districts],
                    {t: [d.counts.get(t, 0) for d in districts] for t in tiers},
                    ctx.t("catalog.by_district"),
                )
            ).classes("w-full h-72")


def _appeal_dialog(ctx: WebContext, catalog_id: int, row: dict[str, Any]) -> None:
    with ui.dialog() as dialog, ui.card().classes("w-[32rem]"):
        ui.label(ctx.t("appeal.file_title")).classes("text-lg font-semibold")
        ui.label(f"{row['enterprise_name']} · {row['product']} · {row['tier']} · {row['value']} {row['unit']}")
        reason = ui.textarea(ctx.t("appeal.reason")).classes("w-full").props('data-testid="appeal-reason"')
        corrected = ui.number(ctx.t("appeal.corrected_value")).classes("w-48")

        def send() -> None:
            evidence = {"corrected_value": corrected.value} if corrected.value is not None else None
            if run_action(
                ctx,
                lambda: ctx.call(file_appeal, catalog_id, row["id"], reason.value or "", evidence),
                success_key="appeal.filed",
            ):
                dialog.close()
                ui.navigate.to("/appeals")

        with ui.row():
            ui.button(ctx.t("appeal.file"), on_click=send).props('unelevated data-testid="appeal-send"')
            ui.button(ctx.t("common.cancel"), on_click=dialog.close).props("flat")
    dialog.open()


@web_page("/catalogs/{catalog_id}", title_key="catalog.title")
def catalog_page(ctx: WebContext, catalog_id: int) -> None:
    review = ctx.call(review_catalog, catalog_id, EntryFilter(), limit=1)  # counts only: entries are paged below
    catalog = review.catalog
    names = ctx.call(_region_names, [catalog.region_code])
    region_name = names.get(catalog.region_code, catalog.region_code)
    _summary(ctx, catalog, region_name)
    _actions(ctx, catalog, review.decisions_needing_review)
    if catalog.basis == "policy":
        policy_gap_banner(ctx, catalog.edition)
    if review.unverified_entries:
        ui.label(ctx.t("catalog.unverified", count=review.unverified_entries)).classes("text-warning")
    if review.decisions_needing_review:
        ui.label(ctx.t("catalog.decisions_review", count=review.decisions_needing_review)).classes(
            "text-negative font-semibold"
        ).props('data-testid="decisions-review"')
    if review.counts_by_tier.get("undetermined"):
        ui.label(ctx.t("catalog.undetermined_note", count=review.counts_by_tier["undetermined"])).classes(
            "text-warning"
        ).props('data-testid="undetermined-note"')
    _charts(ctx, review)
    with section(ctx.t("catalog.entries_title")):
        tiers = sorted((t for t, n in review.counts_by_tier.items() if n), key=tier_sort_key)
        toggle = ui.toggle({"": ctx.t("catalog.all_tiers"), **{t: label(ctx, "tier", t) for t in tiers}}, value="")
        appealable = catalog.state == "published" and ctx.has_role("enterprise")

        def fetch(limit: int, offset: int, _search: str) -> tuple[list[dict[str, Any]], int]:
            flt = EntryFilter(tier=toggle.value or None)
            entries, total = ctx.call(list_entries, catalog_id, flt, limit=limit, offset=offset, with_evidence=False)
            return [entry_row(ctx, e) for e in entries], total

        table = paged_table(  # paged on the server: the page weight does not grow with the number of entries
            ctx,
            entry_columns(catalog.basis),
            fetch,
            export_name=f"{region_name}-{catalog.half}",
            testid="entries",
            on_row_click=(lambda row: _appeal_dialog(ctx, catalog_id, row)) if appealable else None,
        )
        if appealable:
            ui.label(ctx.t("appeal.click_hint")).classes("text-sm text-gray-600")

        toggle.on_value_change(lambda: table.reload())
    if catalog.state != "draft":
        _diff(ctx, catalog_id)


def _actions(ctx: WebContext, catalog: CatalogView, decisions_needing_review: int = 0) -> None:
    catalog_id = catalog.id
    undetermined = catalog.counts.get("undetermined", 0)  # the count this dialog names is the count confirmed
    with ui.row().classes("gap-3"):
        if catalog.state == "draft" and ctx.has_role("regulator"):

            def publish() -> None:
                confirm.close()
                if run_action(
                    ctx,
                    lambda: ctx.call(
                        publish_catalog,
                        catalog_id,
                        reference=ctx.reference(),
                        confirm_undetermined=undetermined or None,
                    ),
                    success_key="catalog.published",
                ):
                    ui.navigate.to(f"/catalogs/{catalog_id}")

            with ui.dialog() as confirm, ui.card():
                ui.label(ctx.t("catalog.publish_confirm"))
                if undetermined:
                    ui.label(ctx.t("catalog.publish_undetermined", count=undetermined)).classes(
                        "text-warning font-semibold"
                    ).props('data-testid="publish-undetermined"')
                if decisions_needing_review:
                    ui.label(ctx.t("catalog.decisions_review", count=decisions_needing_review)).classes("text-negative")
                with ui.row():
                    ui.button(ctx.t("catalog.publish"), on_click=lambda: publish()).props(
                        'unelevated data-testid="publish-confirm"'
                    )
                    ui.button(ctx.t("common.cancel"), on_click=confirm.close).props("flat")
            ui.button(ctx.t("catalog.publish"), icon="verified", on_click=confirm.open).props(
                'unelevated color=positive data-testid="publish-catalog"'
            )

        def workbook() -> None:
            data: dict[str, bytes] = {}
            if run_action(ctx, lambda: data.update(x=ctx.call(export_catalog_xlsx, catalog_id))):
                ui.download.content(
                    data["x"], export_filename(f"{ctx.t('catalog.title')}-{catalog.half}"), XLSX_MEDIA_TYPE
                )

        ui.button(ctx.t("catalog.workbook"), icon="table_view", on_click=workbook).props("outline")


def _diff(ctx: WebContext, catalog_id: int) -> None:
    diff = ctx.call(diff_catalogs, catalog_id)
    with section(ctx.t("catalog.diff")):
        if diff.against_id is None:
            ui.label(ctx.t("catalog.no_previous")).classes("text-gray-500")
            return
        ui.label(
            ctx.t(
                "catalog.diff_summary",
                against=diff.against_id,
                added=len(diff.added),
                removed=len(diff.removed),
                changed=len(diff.changed),
                unchanged=diff.unchanged,
            )
        )
        rows = []
        for kind, items in (("added", diff.added), ("removed", diff.removed)):
            for item in items:
                text = f"{label(ctx, 'tier', item.tier)} {item.value:.4g} {item.unit}"
                rows.append(
                    {
                        "change": ctx.t(f"catalog.diff_{kind}"),
                        "enterprise_name": item.enterprise_name,
                        "product": item.product,
                        "before": text if kind == "removed" else "",
                        "after": text if kind == "added" else "",
                    }
                )
        for changed in diff.changed:
            b, a = changed.before, changed.after
            rows.append(
                {
                    "change": ctx.t("catalog.diff_changed"),
                    "enterprise_name": changed.enterprise_name,
                    "product": changed.product,
                    "before": f"{label(ctx, 'tier', b.tier)} {b.value:.4g} {b.unit}",
                    "after": f"{label(ctx, 'tier', a.tier)} {a.value:.4g} {a.unit}",
                }
            )
        if rows:
            simple_table(ctx, DIFF_COLUMNS, rows, export_name=f"{ctx.t('catalog.diff')}-{catalog_id}")
