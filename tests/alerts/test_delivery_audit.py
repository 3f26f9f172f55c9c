"""Each recorded delivery outcome is a row of the audit chain, written in the transaction that records it, and a
deliverer told to stop sends nothing more and gives back what it claimed. Both stores."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from dualcarbon.alerts import service_alerts, service_channels, service_delivery
from dualcarbon.alerts.models import AlertDelivery
from dualcarbon.alerts.schemas import DeliveryRun
from dualcarbon.alerts.service_rules import AlertRules
from dualcarbon.store.audit import verify_audit_chain
from dualcarbon.store.base import utcnow
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

from .receivers import http_receiver
from .test_channels import _principal
from .test_evaluate import DAY, plant


def _delivery_audit(world: Any) -> list[tuple[str, str, dict[str, Any]]]:
    with session_scope(world.engine, write=False) as session:
        rows = session.execute(
            select(AuditLog.action, AuditLog.entity_id, AuditLog.after)
            .where(AuditLog.action.like("alert.delivery.%"))
            .order_by(AuditLog.id)
        ).all()
    return [(a, e, dict(after or {})) for a, e, after in rows]


def _states(world: Any) -> dict[int, tuple[str, int]]:
    with session_scope(world.engine, write=False) as session:
        rows = session.execute(select(AlertDelivery.id, AlertDelivery.state, AlertDelivery.attempts)).all()
    return {i: (s, a) for i, s, a in rows}


def test_sent_retried_and_failed_deliveries_are_audited(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)  # two anomaly alerts of enterprise a once evaluated
    ent_a = _principal(world, "ent_a")
    rules = AlertRules.of(reference)
    with http_receiver() as good, http_receiver() as bad:
        bad.script = lambda n: ("status", 500)
        with session_scope(world.engine) as session:
            ok = service_channels.create_subscription(session, ent_a, "webhook", target=good.url)
            ko = service_channels.create_subscription(session, ent_a, "webhook", target=bad.url)
        with session_scope(world.engine) as session:
            assert service_alerts.evaluate(session, admin, DAY, reference).deliveries_queued == 4
        now = utcnow()
        first = service_delivery.deliver_due(world.engine, rules, now=now)
        assert (first.sent, first.retried, first.failed) == (2, 2, 0)
        audit = _delivery_audit(world)
        assert sorted(a for a, _, _ in audit) == ["alert.delivery.retry"] * 2 + ["alert.delivery.sent"] * 2
        with session_scope(world.engine, write=False) as session:
            by_sub = dict(session.execute(select(AlertDelivery.id, AlertDelivery.subscription_id)).all())
        for action, delivery_id, after in audit:  # the delivery, its channel and attempt; never target or secret
            assert after["subscription_id"] == by_sub[int(delivery_id)]
            assert after["channel"] == "webhook" and after["attempt"] == 1
            assert action.endswith("sent") == (after["subscription_id"] == ok.id)
            assert "target" not in after and "secret" not in after and bad.url not in str(after)
            if action.endswith("retry"):
                assert after["error"] == "RuntimeError: HTTP 500" and "next_attempt_at" in after
        # the failing ones again until PR-A05 attempts: the last is audited as failed
        later = now
        for _ in range(rules.delivery_max_attempts - 1):
            later += timedelta(seconds=rules.retry_max_s + 1)
            service_delivery.deliver_due(world.engine, rules, now=later)
    failed = [(e, after) for a, e, after in _delivery_audit(world) if a == "alert.delivery.failed"]
    assert len(failed) == 2 and {after["attempt"] for _, after in failed} == {rules.delivery_max_attempts}
    assert {after["subscription_id"] for _, after in failed} == {ko.id}
    assert {_states(world)[int(e)] for e, _ in failed} == {("failed", rules.delivery_max_attempts)}
    with session_scope(world.engine, write=False) as session:
        assert verify_audit_chain(session) == []


def test_an_outcome_not_recorded_leaves_no_audit_row(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    ent_a = _principal(world, "ent_a")
    rules = AlertRules.of(reference)
    with session_scope(world.engine) as session:
        service_channels.create_subscription(session, ent_a, "webhook", target="http://127.0.0.1:9/none")
    with session_scope(world.engine) as session:
        service_alerts.evaluate(session, admin, DAY, reference)
    now = utcnow()
    stale = service_delivery.claim_due(world.engine, now, 10, 10.0)
    lease_s = service_delivery.LEASE_MARGIN_S + 2 * 10.0
    taken = service_delivery.claim_due(world.engine, now + timedelta(seconds=lease_s + 1), 10, 10.0)
    assert len(stale) == len(taken) == 2
    run = DeliveryRun(sent=0, retried=0, failed=0)
    service_delivery._record(world.engine, stale, rules, now, run)  # taken over: neither written nor audited
    assert (run.sent, run.retried, run.failed) == (0, 0, 0) and _delivery_audit(world) == []


def test_a_stopping_deliverer_sends_nothing_more_and_gives_its_claims_back(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    ent_a = _principal(world, "ent_a")
    rules = AlertRules.of(reference)
    stopping = threading.Event()
    with http_receiver() as receiver:

        def answer(n: int) -> tuple[str, float]:
            stopping.set()  # the server is told to stop while the first delivery is being sent
            return ("status", 200)

        receiver.script = answer
        with session_scope(world.engine) as session:
            for _ in range(3):
                service_channels.create_subscription(session, ent_a, "webhook", target=receiver.url)
        with session_scope(world.engine) as session:
            assert service_alerts.evaluate(session, admin, DAY, reference).deliveries_queued == 6
        now = utcnow()
        run = service_delivery.deliver_due(world.engine, rules, now=now, stopping=stopping)
        assert (run.sent, run.retried, run.failed, len(receiver.requests)) == (1, 0, 0, 1)
        states = sorted(_states(world).values())
        assert states == [("pending", 0)] * 5 + [("sent", 1)]  # given back as before the claim: due again at once
        assert [a for a, _, _ in _delivery_audit(world)] == ["alert.delivery.sent"]
        assert service_delivery.deliver_due(world.engine, rules, now=now, stopping=stopping).sent == 0
        rest = service_delivery.deliver_due(world.engine, rules, now=now)  # e.g. the next process
    assert rest.sent == 5 and len(receiver.requests) == 6
    assert sorted(_states(world).values()) == [("sent", 1)] * 6
