"""光伏, 储能, 数据中心 and 绿色制造 pages: the registers in the user's scope, with the PV mounting-height
compliance against the governing pack and the designations' re-assessment dates."""

from __future__ import annotations

from nicegui import ui

from dualcarbon.assets.service_datacentres import list_datacentres
from dualcarbon.assets.service_green import designation_counts, list_designations
from dualcarbon.assets.service_pv import coverage, list_pv
from dualcarbon.assets.service_storage import list_storage
from dualcarbon.ui.web.formatting import data_label, label, yes_no
from dualcarbon.ui.web.layout import run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table, simple_table

READERS = ("agency", "enterprise", "regulator", "reviewer")
PV_COLUMNS = (
    Column("id", "assets.id", numeric=True, width=80),
    Column("name", "assets.name"),
    Column("enterprise", "assets.enterprise"),
    Column("roof", "assets.roof_type", width=100),
    Column("height", "assets.module_height_m", numeric=True, digits=2),
    Column("limit", "assets.height_limit_m", numeric=True, digits=2),
    Column("compliant", "assets.height_compliant", width=100, highlight_field="non_compliant"),
    Column("capacity", "assets.capacity_kwp", numeric=True, digits=1),
    Column("mode", "assets.connection_mode"),
    Column("platform", "assets.connected_to_platform", width=110),
    Column("connected_on", "assets.grid_connected_on"),
)
STORAGE_COLUMNS = (
    Column("id", "assets.id", numeric=True, width=80),
    Column("name", "assets.name"),
    Column("enterprise", "assets.enterprise"),
    Column("capacity", "assets.capacity_kwh", numeric=True, digits=1),
    Column("power", "assets.power_kw", numeric=True, digits=1),
    Column("duration", "assets.duration_h", numeric=True, digits=2),
    Column("commissioned", "assets.commissioned_on"),
    Column("meter", "assets.meter", width=100),
)
DATACENTRE_COLUMNS = (
    Column("id", "assets.id", numeric=True, width=80),
    Column("name", "assets.name"),
    Column("enterprise", "assets.enterprise"),
    Column("racks", "assets.racks", numeric=True),
    Column("since", "assets.in_operation_since"),
    Column("new_build", "assets.new_build", width=100),
    Column("size", "assets.size", width=100),
)
DESIGNATION_COLUMNS = (
    Column("name", "assets.name"),
    Column("kind", "assets.designation_kind"),
    Column("level", "assets.designation_level", width=90),
    Column("year", "assets.year", numeric=True, width=90),
    Column("enterprise", "assets.enterprise"),
    Column("region_code", "assets.region", width=100),
    Column("reassessment", "assets.reassessment_due", highlight_field="overdue"),
)

TARGET_COLUMNS = (
    Column("title", "assets.target", tooltip=True),
    Column("target", "assets.target_value", numeric=True, digits=2),
    Column("achieved", "assets.achieved", numeric=True, digits=2),
    Column("unit", "assets.unit", width=90),
    Column("met", "assets.met", width=90, highlight_field="behind"),
    Column("basis", "assets.basis", tooltip=True),
)


def _targets_panel(ctx: WebContext, kind: str) -> None:
    """Regulators: the region's systems (``pv``) or designations (``green``) against a pack's targets."""
    if not ctx.has_role("regulator", "reviewer"):
        return
    with section(ctx.t(f"assets.targets.{kind}")):
        with ui.row().classes("gap-2 items-end"):
            pack = ui.input(ctx.t("subsidies.pack"), value="longgang" if kind == "pv" else "putian")
            roots = ctx.principal.region_roots("regulator", "reviewer")
            region = ui.input(ctx.t("assets.region"), value=roots[0] if roots else "")
        holder = ui.column().classes("w-full")

        def show() -> None:
            def call() -> None:
                rows = []
                if kind == "pv":
                    report = ctx.call(coverage, pack.value, region.value)
                    for line in report.lines:
                        rows.append(
                            {
                                "title": data_label(ctx, line.title_zh, "scheme"),
                                "target": line.target_value,
                                "achieved": line.achieved,
                                "unit": data_label(ctx, line.unit, "unit"),
                                "met": "" if line.met is None else yes_no(ctx, line.met),
                                "behind": line.met is False,
                                "basis": line.basis_zh if ctx.language == "zh" and line.basis_zh else line.basis,
                            }
                        )
                else:
                    counts = ctx.call(designation_counts, pack.value, region.value)
                    for item in counts.targets:
                        rows.append(
                            {
                                "title": data_label(ctx, item.title_zh, "scheme"),
                                "target": item.target_value,
                                "achieved": item.counted,
                                "unit": ctx.t("assets.designations_unit"),
                                "met": yes_no(ctx, item.met),
                                "behind": not item.met,
                                "basis": item.note,
                            }
                        )
                holder.clear()
                with holder:
                    simple_table(ctx, TARGET_COLUMNS, rows, export_name=ctx.t(f"assets.targets.{kind}"))

            run_action(ctx, call)

        ui.button(ctx.t("assets.compute"), icon="calculate", on_click=show).props("outline")


def _optional(ctx: WebContext, value: bool | None) -> str:
    return ctx.t("assets.not_assessed") if value is None else yes_no(ctx, value)


@web_page("/assets/pv", title_key="assets.pv", roles=READERS)
def pv_page(ctx: WebContext) -> None:
    items = ctx.call(list_pv)
    rows = [
        {
            "id": p.id,
            "name": p.name,
            "enterprise": p.enterprise_name,
            "roof": label(ctx, "glossary.roof_type", p.roof_type),
            "height": p.module_height_m,
            "limit": p.height_limit_m,
            "compliant": _optional(ctx, p.height_compliant),
            "non_compliant": p.height_compliant is False,
            "capacity": p.capacity_kwp,
            "mode": data_label(ctx, p.connection_mode, "choice"),
            "platform": yes_no(ctx, p.connected_to_platform),
            "connected_on": p.grid_connected_on.isoformat() if p.grid_connected_on else "",
        }
        for p in items
    ]
    with section(ctx.t("assets.pv_list", count=len(rows))):
        ui.label(ctx.t("assets.pv_note")).classes("text-sm text-gray-600")
        data_table(
            ctx,
            PV_COLUMNS,
            rows,
            export_name=ctx.t("assets.pv"),
            testid="pv",
            on_row_click=lambda row: ui.navigate.to(f"/assets/pv/{row['id']}"),
        )
    _targets_panel(ctx, "pv")


@web_page("/assets/storage", title_key="assets.storage", roles=READERS)
def storage_page(ctx: WebContext) -> None:
    items = ctx.call(list_storage)
    rows = [
        {
            "id": s.id,
            "name": s.name,
            "enterprise": s.enterprise_name,
            "capacity": s.capacity_kwh,
            "power": s.power_kw,
            "duration": s.duration_h,
            "commissioned": s.commissioned_on.isoformat() if s.commissioned_on else "",
            "meter": ctx.t("assets.metered") if s.meter_id else ctx.t("assets.reported"),
        }
        for s in items
    ]
    with section(ctx.t("assets.storage_list", count=len(rows))):
        data_table(ctx, STORAGE_COLUMNS, rows, export_name=ctx.t("assets.storage"), testid="storage")


@web_page("/assets/datacentres", title_key="assets.datacentres", roles=READERS)
def datacentres_page(ctx: WebContext) -> None:
    items = ctx.call(list_datacentres)
    rows = [
        {
            "id": d.id,
            "name": d.name,
            "enterprise": d.enterprise_name,
            "racks": d.racks,
            "since": d.in_operation_since.isoformat() if d.in_operation_since else "",
            "new_build": _optional(ctx, d.new_build),
            "size": ctx.t(f"assets.size.{d.size}") if d.size else "",
        }
        for d in items
    ]
    with section(ctx.t("assets.datacentre_list", count=len(rows))):
        ui.label(ctx.t("assets.pue_note")).classes("text-sm text-gray-600")
        data_table(
            ctx,
            DATACENTRE_COLUMNS,
            rows,
            export_name=ctx.t("assets.datacentres"),
            testid="datacentres",
            on_row_click=lambda row: ui.navigate.to(f"/assets/datacentres/{row['id']}"),
        )


@web_page("/assets/green", title_key="assets.green", roles=READERS)
def green_page(ctx: WebContext) -> None:
    items = ctx.call(list_designations)
    rows = [
        {
            "name": d.name,
            "kind": label(ctx, "glossary.designation_kind", d.kind),
            "level": label(ctx, "glossary.designation_level", d.level),
            "year": d.year,
            "enterprise": d.enterprise_name or "",
            "region_code": d.region_code,
            "reassessment": d.reassessment_due.isoformat() if d.reassessment_due else "",
            "overdue": d.reassessment_overdue,
        }
        for d in items
    ]
    with section(ctx.t("assets.green_list", count=len(rows))):
        data_table(ctx, DESIGNATION_COLUMNS, rows, export_name=ctx.t("assets.green"), testid="designations")
    _targets_panel(ctx, "green")
