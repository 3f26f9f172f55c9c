"""Forecasts of month and year-end consumption (tce, 当量值) and CO₂ (tCO₂) per enterprise or region.

The monthly totals come from the stored rollups through the meter tree (:func:`dualcarbon.monitoring.
service_tree.tree_rollups`, counted meters only); the model is :mod:`.seasonal` (last year's months scaled by
the year-on-year ratio of the complete months). A month is complete when it ended before ``as_of`` (the
Asia/Shanghai day the forecast is made on); the running month is forecast, not taken as it stands.

Where production (产量) is metered — an enterprise whose production meters all measure one product in one unit
(their monthly quantities are added) — production is the driver (:func:`.seasonal.forecast_year_with_production`,
``method`` ``production_regression``, falling back to the seasonal model when the fit cannot be used). Regions and
enterprises with several products are forecast by the seasonal model alone: products in different units do not add.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dualcarbon.alerts.schemas import ForecastResult, ForecastSeries
from dualcarbon.alerts.seasonal import MONTHS, forecast_year, forecast_year_with_production
from dualcarbon.alerts.service_detect_production import production_meters
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring.service_quality import local_now
from dualcarbon.monitoring.service_rollups import rollups_of
from dualcarbon.monitoring.service_tree import tree_rollups
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.service_access import require_enterprise

MEASURES = ("tce", "tco2")


def local_today() -> date:
    """Today in Asia/Shanghai."""
    return local_now().date()


def monthly_totals(
    session: Session, principal: Principal, scope: str, ident: str, year: int, reference: ReferenceSet
) -> tuple[dict[str, list[float | None]], dict[str, list[float | None]], str]:
    """Last year's and this year's 12 monthly totals per measure (None where nothing is known), and the name."""
    result = tree_rollups(
        session, principal, scope, ident, "month", date(year - 1, 1, 1), date(year, 12, 31), reference
    )
    last: dict[str, list[float | None]] = {m: [None] * MONTHS for m in MEASURES}
    this: dict[str, list[float | None]] = {m: [None] * MONTHS for m in MEASURES}
    for period in result["total"]["periods"]:
        start = date.fromisoformat(period["start"][:10])
        target = last if start.year == year - 1 else this
        for measure in MEASURES:
            target[measure][start.month - 1] = period[measure]
    return last, this, str(result["name"])


def monthly_production(
    session: Session, principal: Principal, credit_code: str, year: int, reference: ReferenceSet
) -> tuple[list[float | None], list[float | None]] | None:
    """Last year's and this year's 12 monthly production quantities of the enterprise (None where unknown), or
    None when it has no production meter or its production meters measure different products or units."""
    enterprise = require_enterprise(session, principal, credit_code)
    meters = production_meters(session, enterprise.id)
    if not meters or len({(m.product, m.unit) for m in meters}) != 1:
        return None
    table, _ = rollups_of(session, enterprise, meters, "month", date(year - 1, 1, 1), date(year, 12, 31), reference)
    sums: dict[date, list[float | None]] = {}
    for row in table.to_pylist():
        sums.setdefault(row["start"].date(), []).append(row["energy"])
    last: list[float | None] = [None] * MONTHS
    this: list[float | None] = [None] * MONTHS
    for start, values in sums.items():
        total = None if len(values) < len(meters) or any(v is None for v in values) else float(sum(values))  # type: ignore[arg-type]
        (last if start.year == year - 1 else this)[start.month - 1] = total
    return last, this


def complete_months(year: int, as_of: date) -> int:
    """How many months of ``year`` ended before ``as_of``."""
    if as_of.year < year:
        return 0
    if as_of.year > year:
        return MONTHS
    return as_of.month - 1


def forecast(
    session: Session,
    principal: Principal,
    scope: str,
    ident: str,
    year: int,
    as_of: date,
    reference: ReferenceSet,
) -> ForecastResult:
    """Month and year-end forecast of an enterprise (``scope="enterprise"``, credit code) or a region."""
    if scope not in ("enterprise", "region"):
        raise InvalidInput("must be enterprise or region", field="scope")
    if not 2000 <= year <= 2100:
        raise InvalidInput("a year between 2000 and 2100", field="year")
    last, this, name = monthly_totals(session, principal, scope, ident, year, reference)
    done = complete_months(year, as_of)
    made = monthly_production(session, principal, ident, year, reference) if scope == "enterprise" else None
    series: dict[str, Any] = {}
    for measure in MEASURES:
        if made is None:
            model = forecast_year(last[measure], this[measure][:done])
        else:
            model = forecast_year_with_production(last[measure], this[measure][:done], made[0], made[1][:done])
        series[measure] = ForecastSeries(
            months=[None if v is None else round(v, 6) for v in model.months],
            actual=model.actual,
            last_year=last[measure],
            year_end=None if model.year_end is None else round(model.year_end, 6),
            ratio=round(model.ratio, 6),
            method=model.method,
        )
    return ForecastResult(
        scope=scope,
        id=ident,
        name=name,
        year=year,
        as_of=as_of,
        complete_months=done,
        tce=series["tce"],
        tco2=series["tco2"],
    )
