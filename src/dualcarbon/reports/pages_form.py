"""The report entry form (能源利用状况报告填报): period, energy lines, outputs, economics — with inline validation.

The form turns its inputs into the ``ReportContent`` dict the report services take. Validation runs on
the server with the services' own rules (:func:`check_content`): the shape (pydantic) and each line
against the reference tables and the enterprise's units, every line on its own so that *all* problems are
found at once. Each problem is shown at its field (``energy_lines[2].unit`` → that row's unit input).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from nicegui import ui
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import DualcarbonError
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry.schemas import UnitOut
from dualcarbon.registry.service_access import require_enterprise
from dualcarbon.reports.service import ReportFilter, list_reports
from dualcarbon.reports.service_content import ReportContent, field_path, normalise_content
from dualcarbon.ui.web.session import WebContext

ENERGY_USES = ("fuel", "feedstock", "conversion", "sold")
ECONOMICS_FIELDS = (
    "gross_output_10k_yuan",
    "value_added_10k_yuan",
    "sales_revenue_10k_yuan",
    "employees",
    "energy_cost_10k_yuan",
)
# pydantic error types → translation keys of a short message shown at the field
_PYDANTIC_MESSAGES = {
    "missing": "validation.required",
    "string_too_short": "validation.required",
    "greater_than_equal": "validation.non_negative",
    "greater_than": "validation.positive",
    "float_parsing": "validation.number",
    "float_type": "validation.number",
    "int_parsing": "validation.integer",
    "int_type": "validation.integer",
    "int_from_float": "validation.integer",
    "literal_error": "validation.choice",
    "finite_number": "validation.number",
    "extra_forbidden": "validation.unknown_field",
}
_INDEXED = re.compile(r"^(energy_lines|outputs)\[0\]")
#: The problem kind of "a report for this period exists already" (message: "period label|state label").
DUPLICATE = "duplicate_report"


def check_content(
    session: Session,
    principal: Principal,
    credit_code: str,
    raw: dict[str, Any],
    reference: ReferenceSet,
    period: tuple[str, int, int] | None = None,
    language: str = "zh",
) -> list[tuple[str, str, str | None]]:
    """Every problem of ``raw`` as (field path, message, pydantic error type or None); empty when valid.

    ``period`` (kind, year, number) is given for a new report: a report of the enterprise for that period
    already existing is a problem at the period (kind :data:`DUPLICATE`, message: its period and state), so
    the 检查 step says so before anything is saved.
    """
    enterprise = require_enterprise(session, principal, credit_code, write=True)
    duplicate: list[tuple[str, str, str | None]] = []
    if period is not None:
        kind, year, number = period
        found, total = list_reports(
            session,
            principal,
            ReportFilter(credit_code=credit_code, period_kind=kind, year=year, period=number),
            limit=1,
        )
        if total and found:
            duplicate = [("period", f"{found[0].period_label}|{found[0].state_label}", DUPLICATE)]
    try:
        content = ReportContent.model_validate(raw)
    except ValidationError as exc:
        return duplicate + [(field_path(e["loc"]), str(e["msg"]), str(e["type"])) for e in exc.errors()]
    problems: list[tuple[str, str, str | None]] = list(duplicate)
    for kind in ("energy_lines", "outputs"):
        for index, line in enumerate(getattr(content, kind)):
            try:
                single = ReportContent(energy_lines=[line]) if kind == "energy_lines" else ReportContent(outputs=[line])
                normalise_content(session, enterprise, single, reference)
            except DualcarbonError as exc:
                path = _INDEXED.sub(f"{kind}[{index}]", exc.field or f"{kind}[0]")
                problems.append((path, exc.message_in(language), None))
    return problems


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


@dataclass
class _EnergyRow:
    carrier: ui.select
    quantity: ui.number
    unit: ui.input
    use: ui.select
    reported_tce: ui.number
    container: ui.row


@dataclass
class _OutputRow:
    unit_id: ui.select
    product: ui.input
    quantity: ui.number
    unit: ui.input
    reported: ui.number
    reported_unit: ui.input
    container: ui.row


@dataclass
class ReportForm:
    """The entry form; build it inside a page, read it with :meth:`content`, mark problems with :meth:`show`."""

    ctx: WebContext
    reference: ReferenceSet
    units: list[UnitOut]
    energy: list[_EnergyRow] = field(default_factory=list)
    outputs: list[_OutputRow] = field(default_factory=list)
    economics: dict[str, ui.number] = field(default_factory=dict)
    period_inputs: dict[str, Any] = field(default_factory=dict)

    # ---- building -----------------------------------------------------------------------------------
    def build(self, content: dict[str, Any] | None, period: tuple[str, int, int] | None, period_editable: bool) -> None:
        t = self.ctx.t
        content = content or {}
        with ui.column().classes("dc-card w-full gap-2"):
            ui.label(t("report.period_section")).classes("font-semibold")
            kind, year, number = period or ("year", date.today().year - 1, 0)
            with ui.row().classes("items-end gap-4"):
                kinds = {k: t(f"period_kind.{k}") for k in ("year", "quarter", "month")}
                self.period_inputs["kind"] = (
                    ui.select(kinds, value=kind, label=t("report.period_kind"))
                    .classes("w-32")
                    .props('data-testid="period-kind"')
                )
                self.period_inputs["year"] = (
                    ui.number(t("report.year"), value=year, format="%d", min=2000, max=2100)
                    .classes("w-32")
                    .props('data-testid="period-year"')
                )
                self.period_inputs["period"] = ui.number(
                    t("report.period_no"), value=number, format="%d", min=0, max=12
                ).classes("w-32")
                self.period_inputs["period"].bind_visibility_from(
                    self.period_inputs["kind"], "value", backward=lambda value: value != "year"
                )
                for element in self.period_inputs.values():
                    element.set_enabled(period_editable)
        with ui.column().classes("dc-card w-full gap-2"):
            ui.label(t("report.energy_section")).classes("font-semibold")
            self.energy_box = ui.column().classes("w-full gap-1")
            for line in content.get("energy_lines") or [{}]:
                self.add_energy(line)
            ui.button(t("report.add_energy"), icon="add", on_click=lambda: self.add_energy({})).props(
                'flat dense data-testid="add-energy"'
            )
        with ui.column().classes("dc-card w-full gap-2"):
            ui.label(t("report.output_section")).classes("font-semibold")
            self.output_box = ui.column().classes("w-full gap-1")
            for line in content.get("outputs") or []:
                self.add_output(line)
            ui.button(t("report.add_output"), icon="add", on_click=lambda: self.add_output({})).props(
                'flat dense data-testid="add-output"'
            )
        with ui.column().classes("dc-card w-full gap-2"):
            ui.label(t("report.economics_section")).classes("font-semibold")
            economics = content.get("economics") or {}
            with ui.row().classes("gap-4"):
                for name in ECONOMICS_FIELDS:
                    self.economics[name] = (
                        ui.number(
                            t(f"economics.{name}"),
                            value=economics.get(name),
                            min=0,
                            format="%d" if name == "employees" else None,
                        )
                        .classes("w-60")
                        .props(f'data-testid="economics-{name}"')
                    )

    def _carrier_options(self) -> dict[str, str]:
        english = self.ctx.language == "en"
        return {c.id: (c.name_en if english else c.name_zh) for c in self.reference.carriers()}

    def add_energy(self, line: dict[str, Any]) -> None:
        t = self.ctx.t
        index = len(self.energy)
        carrier_value = line.get("carrier")
        options = self._carrier_options()
        if carrier_value and carrier_value not in options:
            try:
                carrier_value = self.reference.carrier(carrier_value).id
            except DualcarbonError:
                options[carrier_value] = carrier_value
        with self.energy_box, ui.row().classes("items-start gap-3 w-full") as container:
            carrier = (
                ui.select(options, value=carrier_value, label=t("energy.carrier"), with_input=True)
                .classes("w-48")
                .props(f'data-testid="energy-{index}-carrier"')
            )
            quantity = (
                ui.number(t("energy.quantity"), value=line.get("quantity"), min=0)
                .classes("w-36")
                .props(f'data-testid="energy-{index}-quantity"')
            )
            unit = (
                ui.input(t("energy.unit"), value=line.get("unit") or "")
                .classes("w-28")
                .props(f'data-testid="energy-{index}-unit"')
            )
            use = ui.select(
                {u: t(f"energy_use.{u}") for u in ENERGY_USES}, value=line.get("use") or "fuel", label=t("energy.use")
            ).classes("w-32")
            reported = (
                ui.number(t("energy.reported_tce"), value=line.get("reported_tce"), min=0)
                .classes("w-52")
                .props(f'data-testid="energy-{index}-reported-tce"')
            )
            row = _EnergyRow(carrier, quantity, unit, use, reported, container)
            ui.button(icon="delete", on_click=lambda: self._remove(self.energy, row)).props(
                "flat round dense color=grey"
            ).tooltip(t("common.remove"))

        def default_unit() -> None:
            if carrier.value and not unit.value:
                try:
                    unit.value = self.reference.carrier(str(carrier.value)).default_unit
                except DualcarbonError:
                    pass

        carrier.on_value_change(default_unit)
        self.energy.append(row)

    def add_output(self, line: dict[str, Any]) -> None:
        t = self.ctx.t
        index = len(self.outputs)
        units = {u.id: f"{u.name}（{u.product}）" for u in self.units}
        with self.output_box, ui.row().classes("items-start gap-3 w-full") as container:
            unit_id = (
                ui.select(
                    units, value=line.get("production_unit_id"), label=t("output.production_unit"), clearable=True
                )
                .classes("w-64")
                .props(f'data-testid="output-{index}-unit-id"')
            )
            product = (
                ui.input(t("output.product"), value=line.get("product") or "")
                .classes("w-48")
                .props(f'data-testid="output-{index}-product"')
            )
            quantity = (
                ui.number(t("output.quantity"), value=line.get("quantity"), min=0)
                .classes("w-32")
                .props(f'data-testid="output-{index}-quantity"')
            )
            unit = ui.input(t("output.unit"), value=line.get("unit") or "t").classes("w-24")
            reported = ui.number(
                t("output.reported_unit_consumption"), value=line.get("reported_unit_consumption")
            ).classes("w-40")
            reported_unit = ui.input(
                t("output.unit_consumption_unit"), value=line.get("unit_consumption_unit") or ""
            ).classes("w-32")
            row = _OutputRow(unit_id, product, quantity, unit, reported, reported_unit, container)
            ui.button(icon="delete", on_click=lambda: self._remove(self.outputs, row)).props(
                "flat round dense color=grey"
            ).tooltip(t("common.remove"))
        by_id = {u.id: u for u in self.units}

        def fill_from_unit() -> None:
            chosen = by_id.get(unit_id.value)
            if chosen and not product.value:
                product.value = chosen.product

        unit_id.on_value_change(fill_from_unit)
        self.outputs.append(row)

    @staticmethod
    def _remove(rows: list[Any], row: Any) -> None:
        rows.remove(row)
        row.container.delete()

    # ---- reading ------------------------------------------------------------------------------------
    def period(self) -> tuple[str, int, int]:
        kind = str(self.period_inputs["kind"].value or "year")
        year = int(self.period_inputs["year"].value or 0)
        number = 0 if kind == "year" else int(self.period_inputs["period"].value or 0)
        return kind, year, number

    def content(self) -> dict[str, Any]:
        energy = []
        for row in self.energy:
            if not row.carrier.value and row.quantity.value is None:
                continue  # an untouched blank row
            energy.append(
                {
                    "carrier": row.carrier.value or "",
                    "quantity": row.quantity.value,
                    "unit": (row.unit.value or "").strip(),
                    "use": row.use.value or "fuel",
                    "reported_tce": _number(row.reported_tce.value),
                }
            )
        outputs = []
        for out in self.outputs:
            if not out.product.value and out.unit_id.value is None and out.quantity.value is None:
                continue
            outputs.append(
                {
                    "production_unit_id": out.unit_id.value,
                    "product": (out.product.value or "").strip() or None,
                    "quantity": out.quantity.value,
                    "unit": (out.unit.value or "").strip(),
                    "reported_unit_consumption": _number(out.reported.value),
                    "unit_consumption_unit": (out.reported_unit.value or "").strip() or None,
                }
            )
        economics = {name: element.value for name, element in self.economics.items()}
        if economics.get("employees") is not None:
            economics["employees"] = int(economics["employees"])
        has_economics = any(value is not None for value in economics.values())
        return {"energy_lines": energy, "outputs": outputs, "economics": economics if has_economics else None}

    # ---- problems at their fields ----------------------------------------------------------------------
    def _element(self, path: str) -> Any:
        match = re.match(r"^(energy_lines|outputs)\[(\d+)\]\.?(\w*)", path)
        if match:
            kind, index, name = match.group(1), int(match.group(2)), match.group(3)
            visible = self._filled(kind)
            if index >= len(visible):
                return None
            row = visible[index]
            names = {
                "carrier": "carrier",
                "quantity": "quantity",
                "unit": "unit",
                "use": "use",
                "reported_tce": "reported_tce",
                "ncv_unit": "unit",
                "production_unit_id": "unit_id",
                "product": "product",
                "benchmark_row_id": "product",
                "reported_unit_consumption": "reported",
                "unit_consumption_unit": "reported_unit",
            }
            return getattr(row, names.get(name, "carrier" if kind == "energy_lines" else "product"), None)
        match = re.match(r"^economics\.(\w+)", path)
        if match:
            return self.economics.get(match.group(1))
        if path == "period" and self.period_inputs:
            return self.period_inputs.get("year")
        return None

    def _filled(self, kind: str) -> list[Any]:
        if kind == "energy_lines":
            return [r for r in self.energy if r.carrier.value or r.quantity.value is not None]
        return [
            o for o in self.outputs if o.product.value or o.unit_id.value is not None or o.quantity.value is not None
        ]

    def clear(self) -> None:
        for row in self.energy:
            for element in (row.carrier, row.quantity, row.unit, row.use, row.reported_tce):
                element.error = None
        for out in self.outputs:
            for element in (out.unit_id, out.product, out.quantity, out.unit, out.reported, out.reported_unit):
                element.error = None
        for element in self.economics.values():
            element.error = None
        if "year" in self.period_inputs:
            self.period_inputs["year"].error = None

    def show(self, problems: list[tuple[str, str, str | None]]) -> list[str]:
        """Mark each problem at its field; returns the messages that have no field on the form."""
        self.clear()
        unplaced = []
        for path, message, kind in problems:
            if kind == DUPLICATE:
                period_label, _, state_label = message.partition("|")
                text = self.ctx.t("report.duplicate", period=period_label, state=state_label)
            else:
                text = self.ctx.t(_PYDANTIC_MESSAGES[kind]) if kind in _PYDANTIC_MESSAGES else message
            element = self._element(path)
            if element is None:
                unplaced.append(f"{path}: {text}" if path else text)
            else:
                element.error = text
        return unplaced
