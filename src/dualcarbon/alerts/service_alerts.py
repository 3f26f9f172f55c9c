"""Alerts (告警): the nightly evaluation, de-duplication, the lifecycle and who sees what.

* :func:`evaluate` (``dualcarbon alerts evaluate``, after the rollups and the quality job) runs every source of
  :mod:`.service_detect` for each enterprise with meters or a budget the caller may read. A candidate whose
  ``source_key`` already has a not-closed alert adds an occurrence (level and detail updated to the latest);
  otherwise a new alert opens and is queued to the matching subscriptions (:mod:`.service_channels`).
  A partial unique index keeps at most one not-closed alert per key even under concurrent evaluations.
* Lifecycle: open → acknowledged → closed, or open → closed; closing needs a comment. Each step claims the
  row (``lock_version``: of two simultaneous steps one wins, the other gets 409), writes an ``alert_event``
  and an audit row. Acting needs write access to the enterprise's data (enterprise users, agencies,
  regulators in scope); reviewers read only.
* Who sees what: the enterprises of :func:`registry.service_access.enterprise_filter`; others' alerts are 404.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from dualcarbon.alerts import service_detect as detect
from dualcarbon.alerts.models import (
    ALERT_LEVELS,
    ALERT_SOURCES,
    ALERT_STATES,
    Alert,
    AlertEvent,
    AlertSubscription,
    EnergyBudget,
)
from dualcarbon.alerts.schemas import AlertEventOut, AlertOut, EvaluationSummary
from dualcarbon.alerts.service_channels import enqueue_deliveries
from dualcarbon.alerts.service_rules import LEVEL_ZH, SOURCE_ZH, AlertRules
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualcarbon.monitoring.models import Meter
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import can_write_enterprise_data, enterprise_filter, require_enterprise
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row

MAX_COMMENT = 2000
STATE_ZH = {"open": "未处理", "acknowledged": "已确认", "closed": "已关闭"}
ACTION_ZH = {"acknowledged": "确认", "closed": "关闭"}
# the Chinese names of the list filters' values, for their error messages
ZH_NAMES = {"state": STATE_ZH, "level": LEVEL_ZH, "source": SOURCE_ZH}


def _candidates(
    session: Session,
    principal: Principal,
    enterprise: Enterprise,
    day: date,
    reference: ReferenceSet,
    rules: AlertRules,
) -> list[detect.Candidate]:
    found = detect.quality_candidates(session, enterprise, day)
    found += detect.silent_candidates(session, enterprise, day, reference)
    found += detect.conflict_candidates(session, enterprise, day)
    found += detect.imbalance_candidates(session, principal, enterprise, day, reference, rules)
    found += detect.anomaly_candidates(session, enterprise, day, reference, rules)
    found += detect.budget_candidates(session, principal, enterprise, day, reference)
    unique: dict[str, detect.Candidate] = {}
    for candidate in found:  # a meter both stale by the quality job and silent beside its peers: one candidate
        unique.setdefault(candidate.key, candidate)
    return list(unique.values())


@dataclass
class Detected:
    """The candidates of one day found by :func:`detect_day`, for :func:`record_detected`."""

    day: date
    enterprises: int
    candidates: list[detect.Candidate]


def evaluate(
    session: Session,
    principal: Principal,
    day: date,
    reference: ReferenceSet,
    credit_code: str | None = None,
    *,
    quiet: bool = False,
) -> EvaluationSummary:
    """Evaluate every alert source for ``day`` (Asia/Shanghai) — see the module docstring. ``quiet`` (the live
    loop, every minute): the ``alerts.evaluate`` audit row only when an alert was opened. The two steps are
    :func:`detect_day` (reads only) and :func:`record_detected` (writes only), which the live loop runs in two
    transactions so that SQLite's write lock is held for the writes alone."""
    detected = detect_day(session, principal, day, reference, credit_code)
    return record_detected(session, principal, detected, quiet=quiet)


def detect_day(
    session: Session, principal: Principal, day: date, reference: ReferenceSet, credit_code: str | None = None
) -> Detected:
    """Every source's candidates on ``day`` for the enterprise ``credit_code`` or every watched one; no writes of
    its own (a rollup read may refresh stale stored rollups first)."""
    rules = AlertRules.of(reference)
    if credit_code:
        enterprises = [require_enterprise(session, principal, credit_code)]
    else:
        watched = or_(
            Enterprise.id.in_(select(Meter.enterprise_id)),
            Enterprise.id.in_(select(EnergyBudget.enterprise_id).where(EnergyBudget.year == day.year)),
        )
        enterprises = list(
            session.scalars(select(Enterprise).where(watched, enterprise_filter(principal)).order_by(Enterprise.id))
        )
    found = [c for e in enterprises for c in _candidates(session, principal, e, day, reference, rules)]
    return Detected(day, len(enterprises), found)


def record_detected(
    session: Session, principal: Principal, detected: Detected, *, quiet: bool = False
) -> EvaluationSummary:
    """Open or update the alerts of ``detected`` (de-duplicated against the not-closed alerts read here, in the
    writing transaction), queue the new ones' deliveries, audit (see :func:`evaluate`)."""
    opened: list[Alert] = []
    seen = 0
    by_source: Counter[str] = Counter()
    for candidate in detected.candidates:
        by_source[candidate.source] += 1
        alert, new = _upsert(session, principal, candidate)
        if new:
            opened.append(alert)
        else:
            seen += 1
    queued = enqueue_deliveries(session, opened)
    if opened or not quiet:
        append_audit(
            session,
            principal.username,
            "alerts.evaluate",
            "alert",
            detected.day.isoformat(),
            after={"enterprises": detected.enterprises, "opened": len(opened), "seen_again": seen, **by_source},
        )
    session.flush()
    return EvaluationSummary(
        date=detected.day,
        enterprises=detected.enterprises,
        opened=len(opened),
        seen_again=seen,
        by_source=dict(by_source),
        deliveries_queued=queued,
    )


def _upsert(session: Session, principal: Principal, candidate: detect.Candidate) -> tuple[Alert, bool]:
    alert = session.scalar(select(Alert).where(Alert.source_key == candidate.key, Alert.state != "closed"))
    now = utcnow()
    if alert is not None:
        alert.occurrences += 1
        alert.last_seen = now
        alert.level = candidate.level
        alert.detail = candidate.detail
        alert.title_zh = candidate.title_zh[:200]
        return alert, False
    alert = Alert(
        source=candidate.source,
        source_key=candidate.key,
        enterprise_id=candidate.enterprise_id,
        meter_id=candidate.meter_id,
        level=candidate.level,
        state="open",
        title_zh=candidate.title_zh[:200],
        detail=candidate.detail,
        occurrences=1,
        first_seen=now,
        last_seen=now,
        lock_version=0,
    )
    session.add(alert)
    session.flush()
    session.add(AlertEvent(alert_id=alert.id, actor=principal.username, action="opened", comment=None))
    append_audit(
        session,
        principal.username,
        "alert.open",
        "alert",
        alert.id,
        after={"source_key": alert.source_key, "level": alert.level, "title_zh": alert.title_zh},
    )
    return alert, True


def _visible(session: Session, principal: Principal, alert_id: int) -> tuple[Alert, Enterprise]:
    row = session.execute(
        select(Alert, Enterprise)
        .join(Enterprise, Enterprise.id == Alert.enterprise_id)
        .where(Alert.id == alert_id, enterprise_filter(principal))
    ).first()
    if row is None:
        raise NotFound(f"alert {alert_id} not found", zh="未找到该告警，或不在您的管辖范围内")
    return row[0], row[1]


def _out(session: Session, alert: Alert, enterprise: Enterprise, *, events: bool = False) -> AlertOut:
    history = []
    if events:
        history = [
            AlertEventOut(at=e.at, actor=e.actor, action=e.action, comment=e.comment)
            for e in session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id))
        ]
    return AlertOut(
        id=alert.id,
        source=alert.source,
        source_key=alert.source_key,
        credit_code=enterprise.credit_code,
        enterprise=enterprise.name,
        region_code=enterprise.region_code,
        meter_id=alert.meter_id,
        level=alert.level,
        state=alert.state,
        title_zh=alert.title_zh,
        detail=alert.detail,
        occurrences=alert.occurrences,
        first_seen=alert.first_seen,
        last_seen=alert.last_seen,
        closed_at=alert.closed_at,
        lock_version=alert.lock_version,
        events=history,
    )


def get_alert(session: Session, principal: Principal, alert_id: int) -> AlertOut:
    alert, enterprise = _visible(session, principal, alert_id)
    return _out(session, alert, enterprise, events=True)


def list_alerts(
    session: Session,
    principal: Principal,
    *,
    state: str | None = None,
    level: str | None = None,
    source: str | None = None,
    credit_code: str | None = None,
    region: str | None = None,
    subscribed: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AlertOut], int]:
    """Alerts the caller may see, newest first, with filters; (page, total). ``subscribed``: only those the
    caller's in-app subscriptions want (none → nothing)."""
    for name, value, allowed in (
        ("state", state, ALERT_STATES),
        ("level", level, ALERT_LEVELS),
        ("source", source, ALERT_SOURCES),
    ):
        if value is not None and value not in allowed:
            names = "、".join(ZH_NAMES[name][v] for v in allowed)
            raise InvalidInput(f"must be one of {', '.join(allowed)}", field=name, zh=f"此项只能是以下之一：{names}")
    query = (
        select(Alert, Enterprise)
        .join(Enterprise, Enterprise.id == Alert.enterprise_id)
        .where(enterprise_filter(principal))
    )
    if state:
        query = query.where(Alert.state == state)
    if level:
        query = query.where(Alert.level == level)
    if source:
        query = query.where(Alert.source == source)
    if credit_code:
        query = query.where(Enterprise.credit_code == credit_code.strip().upper())
    if region:
        query = query.where(in_region_subtree(Enterprise.region_code, region))  # type: ignore[arg-type]
    if subscribed:
        query = query.where(_subscribed(session, principal))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Alert.last_seen.desc(), Alert.id.desc()).limit(limit).offset(offset)).all()
    return [_out(session, a, e) for a, e in rows], int(total)


def _subscribed(session: Session, principal: Principal) -> ColumnElement[bool]:
    subs = session.scalars(
        select(AlertSubscription).where(
            AlertSubscription.user_id == principal.user_id, AlertSubscription.channel == "inapp"
        )
    ).all()
    wanted = []
    for sub in subs:
        levels = ALERT_LEVELS[ALERT_LEVELS.index(sub.min_level) :]
        condition: ColumnElement[bool] = Alert.level.in_(levels)
        if sub.sources:
            condition = and_(condition, Alert.source.in_(sub.sources))
        wanted.append(condition)
    return or_(*wanted) if wanted else false()


def _step(
    session: Session,
    principal: Principal,
    alert_id: int,
    action: str,
    comment: str | None,
    lock_version: int | None,
) -> AlertOut:
    alert, enterprise = _visible(session, principal, alert_id)
    if not can_write_enterprise_data(session, principal, enterprise):
        raise PermissionDenied("your role may not act on this alert", zh="您的角色不能处理该告警（只读）")
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"at most {MAX_COMMENT} characters", field="comment", zh=f"备注最多 {MAX_COMMENT} 字")
    if action == "closed" and not text:
        raise InvalidInput("closing an alert needs a comment", field="comment", zh="关闭告警须填写处理说明")
    allowed = {"acknowledged": ("open",), "closed": ("open", "acknowledged")}[action]
    if alert.state not in allowed:
        raise Conflict(
            f"alert {alert_id} is {alert.state}",
            zh=f"告警当前为「{STATE_ZH[alert.state]}」状态，不能再{ACTION_ZH[action]}，请刷新后查看",
        )
    if lock_version is not None and lock_version != alert.lock_version:
        raise Conflict(
            f"alert {alert_id} was changed by someone else meanwhile; reload it and try again",
            zh="该告警已被他人修改，请刷新后重试",
        )
    before: dict[str, Any] = {"state": alert.state}
    claim_row(session, alert, what=f"alert {alert_id}")
    alert.state = action
    if action == "closed":
        alert.closed_at = utcnow()
    session.add(AlertEvent(alert_id=alert.id, actor=principal.username, action=action, comment=text or None))
    verb = "close" if action == "closed" else "acknowledge"
    after = {"state": action, "comment": text or None}
    append_audit(session, principal.username, f"alert.{verb}", "alert", alert.id, before=before, after=after)
    session.flush()
    return _out(session, alert, enterprise, events=True)


def acknowledge(
    session: Session, principal: Principal, alert_id: int, comment: str | None = None, lock_version: int | None = None
) -> AlertOut:
    return _step(session, principal, alert_id, "acknowledged", comment, lock_version)


def close(
    session: Session, principal: Principal, alert_id: int, comment: str, lock_version: int | None = None
) -> AlertOut:
    return _step(session, principal, alert_id, "closed", comment, lock_version)


def open_counts(session: Session) -> list[tuple[str, str, str, int]]:
    """(state, level, source, count) of the alerts not closed — for the metrics."""
    rows = session.execute(
        select(Alert.state, Alert.level, Alert.source, func.count())
        .where(Alert.state != "closed")
        .group_by(Alert.state, Alert.level, Alert.source)
    ).all()
    return [(s, lv, src, int(n)) for s, lv, src, n in rows]
