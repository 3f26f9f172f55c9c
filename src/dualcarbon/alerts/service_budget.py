"""Annual energy budgets (用能预算) per enterprise: set, spread over the months, and judged against the forecast.

* **Spread**: the budget (tce, 当量值) is split over the months in proportion to last year's monitored monthly
  totals (``profile = "monitored"``) when all 12 are known and positive in sum; otherwise in twelfths
  (``profile = "flat"``). Reported (non-monitored) profiles are not read yet.
* **Status** on a day: ``actual_to_date`` = this year's complete months (null when one of them has no
  readings: its forecast is not an actual); ``budget_to_date`` = the budget of the
  same months; ``projected_year_end`` = the forecast (:mod:`.service_forecast`). The warning measure is
  budget ÷ projected year-end × 100 (%), judged by the scheme configured for the enterprise's jurisdiction
  (:func:`.service_rules.budget_scheme_id`, by default the completion-rate scheme: ≥ 100 % green, i.e. the
  projection stays within the budget; 90–100 % yellow; 50–90 % orange; ≤ 50 % red).
* Setting a budget is a change of the enterprise's data: enterprise users, agencies and regulators in scope;
  audited; a stale ``lock_version`` loses with 409.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.alerts.models import EnergyBudget
from dualcarbon.alerts.schemas import BudgetStatus
from dualcarbon.alerts.service_forecast import complete_months, forecast, monthly_totals
from dualcarbon.alerts.service_rules import budget_scheme_id, judge
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import require_enterprise
from dualcarbon.store.audit import append_audit
from dualcarbon.store.versioning import claim_row


def spread(budget_tce: float, last_year: list[float | None]) -> tuple[list[float], str]:
    """The monthly budget by last year's profile, or in twelfths when the profile is not fully known."""
    known = [v for v in last_year if v is not None]
    total = sum(known)
    if len(known) == 12 and total > 0:
        return [budget_tce * v / total for v in known], "monitored"
    return [budget_tce / 12] * 12, "flat"


def set_budget(
    session: Session,
    principal: Principal,
    credit_code: str,
    year: int,
    budget_tce: float,
    reference: ReferenceSet,
    *,
    lock_version: int | None = None,
) -> EnergyBudget:
    """Create or replace the budget of ``year``; ``lock_version`` (when given) must be the stored one."""
    if not (budget_tce > 0 and budget_tce < 1e12):
        raise InvalidInput(
            "the budget is a positive number of tce", field="budget_tce", zh="用能预算须为正数（吨标准煤）"
        )
    if not 2000 <= year <= 2100:
        raise InvalidInput("a year between 2000 and 2100", field="year", zh="年份须在 2000–2100 之间")
    enterprise = require_enterprise(session, principal, credit_code, write=True)
    last, _, _ = monthly_totals(session, principal, "enterprise", enterprise.credit_code, year, reference)
    months, profile = spread(budget_tce, last["tce"])
    row = session.scalar(
        select(EnergyBudget).where(EnergyBudget.enterprise_id == enterprise.id, EnergyBudget.year == year)
    )
    before = None
    if row is None:
        row = EnergyBudget(enterprise_id=enterprise.id, year=year, lock_version=0)
        session.add(row)
    else:
        if lock_version is not None and lock_version != row.lock_version:
            raise Conflict(f"budget {credit_code} {year} was changed meanwhile; reload it and try again")
        before = {"budget_tce": row.budget_tce, "profile": row.profile}
        claim_row(session, row, what=f"budget {credit_code} {year}")
    row.budget_tce = float(budget_tce)
    row.monthly_tce = [round(v, 9) for v in months]
    row.profile = profile
    row.updated_by = principal.username
    session.flush()
    append_audit(
        session,
        principal.username,
        "budget.set",
        "energy_budget",
        row.id,
        before=before,
        after={"credit_code": enterprise.credit_code, "year": year, "budget_tce": budget_tce, "profile": profile},
    )
    return row


def budget_of(session: Session, enterprise: Enterprise, year: int) -> EnergyBudget | None:
    return session.scalar(
        select(EnergyBudget).where(EnergyBudget.enterprise_id == enterprise.id, EnergyBudget.year == year)
    )


def budget_status(
    session: Session,
    principal: Principal,
    credit_code: str,
    year: int,
    as_of: date,
    reference: ReferenceSet,
) -> BudgetStatus:
    """Actual and projected year-end against the budget, with the warning level (see the module docstring)."""
    enterprise = require_enterprise(session, principal, credit_code)
    row = budget_of(session, enterprise, year)
    if row is None:
        raise NotFound(f"no energy budget of {credit_code} for {year}")
    result = forecast(session, principal, "enterprise", enterprise.credit_code, year, as_of, reference)
    done = complete_months(year, as_of)
    # a complete month without readings is forecast (``actual`` false): the actual to date is then unknown,
    # never the forecast presented as measured
    actual_months = result.tce.months[:done]
    measured = all(result.tce.actual[:done]) and all(v is not None for v in actual_months)
    actual = sum(v for v in actual_months if v is not None) if measured else None
    projected = result.tce.year_end
    scheme = budget_scheme_id(enterprise.region_code)
    verdict = judge(scheme, row.budget_tce / projected * 100) if projected and projected > 0 else None
    return BudgetStatus(
        credit_code=enterprise.credit_code,
        year=year,
        as_of=as_of,
        budget_tce=row.budget_tce,
        monthly_budget_tce=list(row.monthly_tce),
        profile=row.profile,
        budget_to_date_tce=round(sum(row.monthly_tce[:done]), 9),
        actual_to_date_tce=None if actual is None else round(actual, 9),
        projected_year_end_tce=projected,
        measure=None if verdict is None else float(verdict["value"] or 0),
        level=None if verdict is None else str(verdict["level"]),
        rule=None if verdict is None else str(verdict["rule"]),
        scheme=scheme,
        clause=None if verdict is None else str(verdict["clause"]),
        lock_version=row.lock_version,
    )
