"""Verified saving of a completed project (节能量审核, GB/T 28750 baseline-model method; GB/T 13234 sign).

Data: uploaded periods, or the rollups (tce, 当量值) of meters of the project's enterprise between the dates
given, optionally joined with a weather station's temperatures — read by :mod:`.service_verification_data`, which
also writes the record of what the verification was computed from (``computed_from``: meters, dates, station,
energy basis, periods and days used and left out). The model is chosen and checked by
:func:`dualcarbon.domain.mv.verify_savings` under the ``mv_criteria`` reference rules; its result is stored with
the project in the shape of the ``calc mv`` contract (``model``, ``r2``, ``cvrmse_pct``, ``nmbe_pct``,
``avoided_energy``, ``savings_pct``, ``fsu_pct``, ``warnings``) beside ``computed_from``.

Non-routine adjustments (非常规调整): each with its reason and who approved it, added to the adjusted
baseline (tce over the reporting period) and kept as rows. The verified saving is

    verified energy  = avoided energy + Σ adjustments            (tce over the reporting period, saved > 0)
    verified tce/a   = verified energy × 365 ÷ days of the reporting periods

GB/T 13234 counts a saving positive; ``signed_saving`` in the stored result keeps the GB/T 28750 sign
(negative = saved). Only a regulator of the enterprise's region verifies (and so approves the adjustments: the
approver recorded is that user); the project must be completed (``lock_version``: of two simultaneous
verifications one wins, the other gets 409).

Validity: the stored record says whether the verification meets the ``mv_criteria`` thresholds (``valid``) and,
if not, which warnings fail (``invalid_reasons``, :func:`dualcarbon.domain.mv_checks.failed_criteria`). Only a
valid verification moves the project to verified and sets ``verified_tce_per_year`` (the saving the library
sums and a subsidy may claim). A not-valid one (未通过验证) is kept on the project, which stays completed with no
verified saving; a later verification with better data replaces it (both are in the audit trail). There is no
override: a programme with other thresholds imports them into ``mv_criteria`` (docs/projects.md).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, zh_en
from dualcarbon.core.vocab import PROJECT_STATE_ZH
from dualcarbon.domain import mv
from dualcarbon.domain.mv_checks import failed_criteria, period_days
from dualcarbon.projects.models import MvAdjustment
from dualcarbon.projects.schemas import VerificationIn, VerificationOut
from dualcarbon.projects.service_lifecycle import check_seen, require_regulator
from dualcarbon.projects.service_projects import load_project
from dualcarbon.projects.service_verification_data import entered_data, metered_data, mv_criteria
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row

DAYS_PER_YEAR = 365
DIGITS = 6


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, DIGITS) + 0.0


def verify_project(
    session: Session,
    actor: Principal,
    project_id: int,
    spec: VerificationIn,
    reference: ReferenceSet,
    *,
    data_dir: Path | None = None,
) -> VerificationOut:
    """Run M&V on the project's data, record adjustments, store the result and move the project to verified."""
    project = load_project(session, actor, project_id)
    require_regulator(session, actor, project)
    if project.state != "completed":
        zh = f"项目当前状态为{PROJECT_STATE_ZH[project.state]}，须完成后才能核定节能量"
        raise Conflict(
            zh_en(zh, f"project {project.id} is {project.state}; verification needs completed"), field="state", zh=zh
        )
    check_seen(project, spec.lock_version)
    if spec.meter_ids:
        baseline, reporting, extra, computed_from = metered_data(session, actor, project, spec, reference, data_dir)
    else:
        baseline, reporting, extra, computed_from = entered_data(spec, reference)
    source = computed_from.kind
    result = mv.verify_savings(baseline, reporting, spec.interval, mv_criteria(reference, spec.interval))
    days = math.fsum(period_days([p.start for p in reporting], spec.interval))
    adjustments = math.fsum(a.energy for a in spec.adjustments)
    verified_energy = result.avoided_energy + adjustments
    per_year = verified_energy * DAYS_PER_YEAR / days
    warnings = [w.to_dict() for w in result.warnings] + extra
    failing = failed_criteria(warnings)
    valid = not failing
    contract = {
        "model": result.model.to_dict(),
        "r2": _number(result.model.r2),
        "cvrmse_pct": _number(result.model.cvrmse_pct),
        "nmbe_pct": _number(result.model.nmbe_pct),
        "adjusted_baseline": _number(result.adjusted_baseline),
        "reporting_energy": _number(result.reporting_energy),
        "avoided_energy": _number(result.avoided_energy),
        "signed_saving": _number(result.signed_saving),
        "savings_pct": _number(result.savings_pct),
        "fsu_pct": _number(result.fsu_pct),
        "fsu_confidence_pct": _number(result.fsu_confidence * 100.0),
        "reporting_periods": result.reporting_periods,
        "energy_unit": spec.energy_unit,
        "interval": spec.interval,
        "source": source,
        "warnings": warnings,
    }
    claim_row(session, project, what=f"project {project.id}")
    now = utcnow()
    before = {
        "state": project.state,
        "verified_tce_per_year": project.verified_tce_per_year,
        "valid": (project.verification or {}).get("valid"),
    }
    project.adjustments.clear()  # those of a replaced (not valid) verification; the audit trail keeps them
    adjustments_out = [{**a.model_dump(), "approved_by": actor.username} for a in spec.adjustments]
    for item in spec.adjustments:
        project.adjustments.append(
            MvAdjustment(
                reason=item.reason,
                energy=item.energy,
                approved_by=actor.username,  # the regulator who verifies approves the adjustment
                recorded_by=actor.username,
                recorded_at=now,
            )
        )
    computed = _number(per_year)
    project.state = "verified" if valid else "completed"
    project.verified_tce_per_year = computed if valid else None
    project.verification = {
        "result": contract,
        "valid": valid,
        "invalid_reasons": failing,
        "adjustments": adjustments_out,
        "adjustments_energy": _number(adjustments),
        "reporting_days": int(days),
        "verified_energy": _number(verified_energy),
        "verified_tce_per_year": computed,  # the computed figure; claimable only when valid
        "claimable_tce_per_year": project.verified_tce_per_year,
        "verified_by": actor.username,
        "verified_at": now.isoformat(),
        "computed_from": computed_from.model_dump(mode="json"),
    }
    session.flush()
    after = {
        "state": project.state,
        "verified_tce_per_year": project.verified_tce_per_year,
        "computed_tce_per_year": computed,
        "valid": valid,
        "invalid_reasons": [w["code"] for w in failing],
        "adjustments": adjustments_out,
        "model_kind": result.model.kind,
        "computed_from": computed_from.model_dump(mode="json", include={"kind", "meters", "weather_station"}),
    }
    append_audit(session, actor.username, "project.verify", "retrofit_project", project.id, before, after)
    return VerificationOut(
        project_id=project.id,
        state=project.state,
        valid=valid,
        invalid_reasons=failing,
        result=contract,
        adjustments_energy=adjustments,
        reporting_days=int(days),
        verified_energy=verified_energy,
        verified_tce_per_year=per_year,
        claimable_tce_per_year=project.verified_tce_per_year,
        computed_from=computed_from,
    )


def stored_verification(session: Session, actor: Principal, project_id: int) -> dict[str, Any] | None:
    """The stored M&V record of the project (None before verification). ``computed_from`` is null in a record
    stored before verifications said what they were computed from."""
    project = load_project(session, actor, project_id)
    if project.verification is None:
        return None
    return {"computed_from": None, **project.verification}
