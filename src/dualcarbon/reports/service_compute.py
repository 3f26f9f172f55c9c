"""Figures computed from a report's content, to stand beside the figures the enterprise reported.

Owns the ``computed`` JSON kept on every ``PeriodReportVersion`` (schema in docs/reports.md): 综合能耗 by
当量值 and 等价值 (GB/T 2589-2020 via :mod:`dualcarbon.domain.energy`), CO₂ (GB/T 32150 via
:mod:`dualcarbon.domain.carbon` / :mod:`dualcarbon.domain.heat`, grid factor of the enterprise's province
when the grid table has it, else national), unit product consumption, energy per 万元 value added, and the
deviations between reported and computed figures beyond the configured tolerance. A figure that cannot be
computed (e.g. a year without 供电煤耗) is marked unavailable with the reason; it never fails the report.
No database access here: the service passes in the content, year and province.
"""

from __future__ import annotations

from typing import Any

from dualcarbon.core.errors import DualcarbonError, UnknownReferenceRow
from dualcarbon.core.units import convert, same_dimension
from dualcarbon.domain import carbon, heat
from dualcarbon.domain.energy import comprehensive_energy
from dualcarbon.domain.energy_intensity import energy_per_value_added
from dualcarbon.domain.energy_lines import ComprehensiveEnergy
from dualcarbon.domain.energy_lines import EnergyLine as DomainEnergyLine
from dualcarbon.reference.model import GridFactor
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.reports.service_content import ReportContent

SCHEMA_VERSION = 1
NATIONAL = "全国"
Json = dict[str, Any]


def _unavailable(exc: DualcarbonError) -> Json:
    return {"available": False, "reason": str(exc), "error": type(exc).__name__}


def _domain_lines(content: ReportContent) -> list[DomainEnergyLine]:
    return [
        DomainEnergyLine(line.carrier, line.quantity, line.unit, line.use, ncv=line.ncv, ncv_unit=line.ncv_unit)
        for line in content.energy_lines
    ]


def _energy_json(result: ComprehensiveEnergy) -> Json:
    return {
        "available": True,
        "total_tce": result.total_tce,
        "fuel_tce": result.fuel_tce,
        "feedstock_tce": result.feedstock_tce,
        "conversion_tce": result.conversion_tce,
        "sold_tce": result.sold_tce,
        "excluding_feedstock_tce": result.total_excluding_feedstock_tce,
        "lines": [
            {
                "index": index,
                "carrier_id": line.carrier_id,
                "carrier_name": line.carrier_name,
                "use": line.line.use,
                "tce": line.tce,
                "coefficient": line.coefficient,
                "coefficient_unit": line.coefficient_unit,
                "coefficient_basis": line.coefficient_basis,
                "source": line.source,
                "source_row": line.source_row,
            }
            for index, line in enumerate(result.lines)
        ],
        "warnings": [w.replace("items[", "energy_lines[") for w in result.warnings],
        "unverified_rows": list(result.unverified_rows),
    }


def energy_figures(content: ReportContent, reference: ReferenceSet, year: int) -> Json:
    """综合能耗 by 当量值 (``equivalent``) and 等价值 (``equal``, the year's 供电煤耗); either may be unavailable."""
    lines = _domain_lines(content)
    out: Json = {}
    for basis in ("equivalent", "equal"):
        try:
            result = comprehensive_energy(lines, reference, basis=basis, year=year)
        except DualcarbonError as exc:
            if exc.field and exc.field.startswith("items["):
                exc.field = "energy_lines[" + exc.field[len("items[") :]
            out[basis] = _unavailable(exc)
        else:
            out[basis] = _energy_json(result)
    return out


# ---- carbon ------------------------------------------------------------------------------------------------


def province_grid_region(reference: ReferenceSet, province_name: str | None) -> str | None:
    """The grid table's provincial region name for ``province_name`` (浙江省 → 浙江); None when absent."""
    if not province_name:
        return None
    names = {f.region for f in reference.grid_factors() if f.scope == "provincial"}
    matches = [name for name in names if province_name.startswith(name)]
    return max(matches, key=len) if matches else None


def choose_grid_factor(reference: ReferenceSet, year: int, province_name: str | None) -> tuple[GridFactor, str]:
    """The average grid factor for a report: the province's of ``year``, else national of ``year``, else the
    nearest published year (earlier first) — province before national. Returns the row and a note saying why.
    """
    province = province_grid_region(reference, province_name)
    average = [f for f in reference.grid_factors() if f.basis == "average" and f.year is not None]
    regions = [r for r in (province, NATIONAL) if r]
    for region in regions:
        for factor in average:
            if factor.region == region and factor.year == year:
                scope = "省级" if region != NATIONAL else "全国"
                note = f"{scope}电网排放因子 {region} {year}"
                if region == NATIONAL and province_name:
                    note += f"（{province_name} 无 {year} 年省级因子）"
                return factor, note
    for region in regions:
        years = sorted({f.year for f in average if f.region == region and f.year is not None})
        if not years:
            continue
        earlier = [y for y in years if y < year]
        chosen = earlier[-1] if earlier else years[0]
        factor = next(f for f in average if f.region == region and f.year == chosen)
        return factor, f"{region} {chosen} 年因子替代（{year} 年未发布）"
    raise UnknownReferenceRow("no average grid emission factor in grid_emission_factors")


def carbon_figures(content: ReportContent, reference: ReferenceSet, year: int, province_name: str | None) -> Json:
    """CO₂ of the period (tCO₂): fuel combustion, purchased/exported electricity and heat.

    Lines the method cannot cover (feedstock, working media, heat metered by mass) are listed under
    ``omitted`` with the reason; ``complete`` is False when any consumption line is omitted.
    """
    try:
        grid, grid_note = choose_grid_factor(reference, year, province_name)
    except DualcarbonError as exc:
        return _unavailable(exc)
    emission_lines: list[carbon.EmissionLine] = []
    names: list[str] = []
    indexes: list[int] = []
    omitted: list[Json] = []
    for index, line in enumerate(content.energy_lines):
        try:
            emission = _emission_line(line, reference, grid)
        except DualcarbonError as exc:
            omitted.append({"index": index, "carrier_id": line.carrier, "reason": str(exc)})
            continue
        if isinstance(emission, str):
            omitted.append({"index": index, "carrier_id": line.carrier, "reason": emission})
            continue
        if emission is None:
            continue
        emission_lines.append(emission)
        names.append(f"energy_lines[{index}]")
        indexes.append(index)
    inventory = carbon.carbon_inventory(emission_lines, names=names)
    return {
        "available": True,
        "total_tco2": inventory.total_tco2,
        "by_source": inventory.by_source,
        "biomass_tco2": inventory.biomass_tco2,
        "grid": {
            "region": grid.region,
            "scope": grid.scope,
            "year": grid.year,
            "value_tco2_per_mwh": grid.value_tco2_per_mwh,
            "row_id": grid.row_id,
            "note": grid_note,
        },
        "lines": [
            {"index": i, "source": e.source, "direction": e.direction, "label": e.label, "tco2": e.tco2}
            for i, e in zip(indexes, emission_lines, strict=True)
        ],
        "omitted": omitted,
        "complete": not omitted,
        "warnings": list(inventory.warnings),
    }


def _emission_line(line: Any, reference: ReferenceSet, grid: GridFactor) -> carbon.EmissionLine | str | None:
    """The emission line of one energy line; a string says why it is left out; None: no emission by rule."""
    fuel = reference.carrier(line.carrier)
    sold = line.use == "sold"
    if fuel.kind == "electricity":
        return carbon.electricity_co2(
            reference, line.quantity, line.unit, year=grid.year, region=grid.region, exported=sold
        )
    if fuel.kind == "heat":
        if same_dimension(line.unit, "GJ"):
            return heat.heat_energy_co2(reference, line.quantity, line.unit, exported=sold)
        return f"{fuel.name_zh} metered by mass ({line.unit}): CO₂ needs its enthalpy or temperature"
    if fuel.kind == "working_medium":
        return None  # 耗能工质: emissions arise upstream, not in the reporting enterprise
    if line.use == "feedstock":
        return f"{fuel.name_zh} used as feedstock (原料): not combusted; process CO₂ needs the sector method"
    if sold:
        return None  # fuel passed on unburnt
    return carbon.fuel_combustion_co2(
        reference, line.carrier, line.quantity, line.unit, ncv=line.ncv, ncv_unit=line.ncv_unit
    )


# ---- outputs, intensity, deviations -----------------------------------------------------------------------


def output_figures(content: ReportContent, reference: ReferenceSet, energy: Json) -> list[Json]:
    """单位产品综合能耗 per output line (当量值): total tce ÷ output, in the benchmark row's unit when known.

    Computed only for a single-product report: several outputs share one energy account that the report
    does not split by product.
    """
    out: list[Json] = []
    total = energy["equivalent"].get("total_tce") if energy["equivalent"]["available"] else None
    for index, line in enumerate(content.outputs):
        target = line.unit_consumption_unit or f"kgce/{line.unit}"
        if line.benchmark_row_id:
            try:
                target = reference.benchmark_row(line.benchmark_row_id).unit or target
            except DualcarbonError:
                pass
        item: Json = {
            "index": index,
            "product": line.product,
            "benchmark_row_id": line.benchmark_row_id,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_consumption": None,
            "unit_consumption_unit": target,
            "basis": "equivalent",
            "reason": None,
        }
        if total is None:
            item["reason"] = "综合能耗（当量值） unavailable: " + energy["equivalent"]["reason"]
        elif len(content.outputs) > 1:
            item["reason"] = "several products share one energy account; the report does not split it by product"
        elif line.quantity <= 0:
            item["reason"] = "output is zero"
        else:
            try:
                item["unit_consumption"] = convert(total / line.quantity, f"tce/({line.unit})", target)
            except DualcarbonError as exc:
                item["reason"] = f"cannot express tce/{line.unit} in {target}: {exc}"
        out.append(item)
    return out


def intensity_figures(content: ReportContent, energy: Json) -> Json:
    """万元工业增加值能耗 and 单位产值综合能耗 in tce/万元 (当量值); None where a figure is missing or zero."""
    eq = energy["equivalent"]
    econ = content.economics
    result: Json = {"basis": "equivalent", "tce_per_10k_yuan_value_added": None, "tce_per_10k_yuan_gross_output": None}
    if not eq["available"] or econ is None:
        return result
    if econ.value_added_10k_yuan:
        result["tce_per_10k_yuan_value_added"] = energy_per_value_added(eq["total_tce"], econ.value_added_10k_yuan)
    if econ.gross_output_10k_yuan:
        result["tce_per_10k_yuan_gross_output"] = eq["total_tce"] / econ.gross_output_10k_yuan
    return result


def _deviation(field: str, label: str, reported: float, computed: float, unit: str, tolerance_pct: float) -> Json:
    if computed == 0:
        pct = 0.0 if reported == 0 else None
    else:
        pct = (reported - computed) / abs(computed) * 100.0
    flagged = pct is None or abs(pct) > tolerance_pct
    return {
        "field": field,
        "label": label,
        "reported": reported,
        "computed": computed,
        "unit": unit,
        "deviation_pct": pct,
        "flagged": flagged,
    }


def deviations(content: ReportContent, energy: Json, outputs: list[Json], tolerance_pct: float) -> list[Json]:
    """Reported vs computed: tce per carrier (当量值; consumption and sold apart), the total, unit consumption.

    A carrier's reported tce is the sum of ``reported_tce`` over its lines of that direction, compared with
    the sum of their computed tce; the total is compared only when every group carries a reported figure.
    """
    found: list[Json] = []
    eq = energy["equivalent"]
    if eq["available"]:
        groups: dict[tuple[str, bool], dict[str, Any]] = {}
        for index, line in enumerate(content.energy_lines):
            key = (line.carrier, line.use == "sold")
            group = groups.setdefault(key, {"reported": None, "computed": 0.0, "first": index, "name": ""})
            computed_line = eq["lines"][index]
            group["computed"] += abs(computed_line["tce"])
            group["name"] = computed_line["carrier_name"]
            if line.reported_tce is not None:
                group["reported"] = (group["reported"] or 0.0) + line.reported_tce
        for (_carrier_id, sold), group in groups.items():
            if group["reported"] is None:
                continue
            what = "外供" if sold else "消费"
            found.append(
                _deviation(
                    f"energy_lines[{group['first']}].reported_tce",
                    f"{group['name']}{what}折标准煤（当量值）",
                    group["reported"],
                    group["computed"],
                    "tce",
                    tolerance_pct,
                )
            )
        if groups and all(g["reported"] is not None for g in groups.values()):
            reported_total = sum(-g["reported"] if sold else g["reported"] for (_, sold), g in groups.items())
            found.append(
                _deviation("total_tce", "综合能耗（当量值）", reported_total, eq["total_tce"], "tce", tolerance_pct)
            )
    for item, output in zip(outputs, content.outputs, strict=True):
        if output.reported_unit_consumption is None or item["unit_consumption"] is None:
            continue
        try:
            reported = convert(
                output.reported_unit_consumption, output.unit_consumption_unit or "", item["unit_consumption_unit"]
            )
        except DualcarbonError:
            continue
        found.append(
            _deviation(
                f"outputs[{item['index']}].reported_unit_consumption",
                f"{output.product}单位产品综合能耗",
                reported,
                item["unit_consumption"],
                item["unit_consumption_unit"],
                tolerance_pct,
            )
        )
    return found


def compute_figures(
    content: ReportContent,
    reference: ReferenceSet,
    *,
    year: int,
    province_name: str | None,
    tolerance_pct: float,
) -> Json:
    """Everything computed for one version's normalised ``content`` (stored as the version's ``computed``)."""
    energy = energy_figures(content, reference, year)
    outputs = output_figures(content, reference, energy)
    found = deviations(content, energy, outputs, tolerance_pct)
    return {
        "schema": SCHEMA_VERSION,
        "year": year,
        "reference_versions": reference.versions(),
        "energy": energy,
        "carbon": carbon_figures(content, reference, year, province_name),
        "outputs": outputs,
        "intensity": intensity_figures(content, energy),
        "tolerance_pct": tolerance_pct,
        "deviations": found,
        "has_flagged_deviation": any(d["flagged"] for d in found),
    }
