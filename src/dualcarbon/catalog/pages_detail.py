"""One catalog's page (/catalogs/{id}): summary, tier charts, entries (server-paged), appeals from an entry,
publish with its confirmations, and the changes since the previous issue. The catalog list and the builder
are in :mod:`dualcarbon.catalog.pages`."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from dualcarbon.catalog.pages import (
    DIFF_COLUMNS,
    REFERENCE_IMPORT_PATH,
    STATE_COLOURS,
    entry_columns,
    policy_gap_banner,
    region_names_in,
)
from dualcarbon.catalog.schemas import CatalogEntryOut, CatalogReview, CatalogView
from dualcarbon.catalog.service import EntryFilter, list_entries
from dualcarbon.catalog.service_appeals import file_appeal
from dualcarbon.catalog.service_diff import diff_catalogs
from dualcarbon.catalog.service_evidence import web_hint
from dualcarbon.catalog.service_export import export_catalog_xlsx
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.catalog.service_review import review_catalog
from dualcarbon.core.errors import zh_part
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
from dualcarbon.ui.web.tables import XLSX_MEDIA_TYPE, export_filename, paged_table, simple_table


def entry_row(ctx: WebContext, entry: CatalogEntryOut) -> dict[str, Any]:
    return {
        "id": entry.id,
        "enterprise_name": entry.enterprise_name,
        "credit_code": entry.credit_code,
        "field": data_label(ctx, entry.field, "field"),
        "product": data_label(ctx, entry.product, "product"),
        "value": rounded(entry.value),
        "unit": data_label(ctx, entry.unit, "unit"),
        "tier_code": entry.tier,
        "tier": label(ctx, "tier", entry.tier),
        "gap_to_benchmark": rounded(entry.gap_to_benchmark),
        "gap_to_baseline": rounded(entry.gap_to_baseline),
        "saving_tce": rounded(entry.saving_to_benchmark_tce, 2),
        "message": entry.message,
        "note": _entry_note(ctx, entry),
        "decision_state": entry.decision_state,
    }


def _entry_note(ctx: WebContext, entry: CatalogEntryOut) -> str | None:
    """Why an entry is 无法判定 and how to fix it, or the earlier decision it carries or shows for review — in the
    page's language: the Chinese or the English half of the "中文 / English" reason and hint."""
    if entry.undetermined is not None:
        reason, hint = entry.undetermined.reason_zh, web_hint(entry.undetermined)
        if ctx.language == "zh":
            return f"{zh_part(reason)}。{zh_part(hint)}"
        return f"{reason.split(' / ', 1)[-1]}. {hint.split(' / ', 1)[-1]}"
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
    names = ctx.call(region_names_in, [catalog.region_code])
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
        if ctx.principal.is_admin:  # the note column's hint names this page
            ui.link(ctx.t("reference.import_page_link"), REFERENCE_IMPORT_PATH).props(
                'data-testid="undetermined-import-link"'
            )
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
                        "product": data_label(ctx, item.product, "product"),
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
                    "product": data_label(ctx, changed.product, "product"),
                    "before": f"{label(ctx, 'tier', b.tier)} {b.value:.4g} {b.unit}",
                    "after": f"{label(ctx, 'tier', a.tier)} {a.value:.4g} {a.unit}",
                }
            )
        if rows:
            simple_table(ctx, DIFF_COLUMNS, rows, export_name=f"{ctx.t('catalog.diff')}-{catalog_id}")
