"""Delivery while the platform is served: claim / send outside any transaction / record; the served app's loop
delivers a new alert by webhook and e-mail with no CLI; a failure is retried later; two deliverers at once send
each delivery once; a crash between send and record sends again after the lease (at least once). Both stores."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from starlette.datastructures import State
from typer.testing import CliRunner

from dualcarbon.alerts import service_alerts, service_channels, service_delivery
from dualcarbon.alerts.models import AlertDelivery
from dualcarbon.alerts.service_delivery_loop import DeliveryLoop
from dualcarbon.alerts.service_rules import AlertRules
from dualcarbon.app.cli import app as cli_app
from dualcarbon.app.cli_serve import start_delivery
from dualcarbon.core.errors import InvalidInput
from dualcarbon.store.base import utcnow
from dualcarbon.store.db import session_scope

from .receivers import http_receiver
from .test_channels import Collect, _principal, free_port
from .test_evaluate import DAY, plant


def _wait(condition: Any, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _deliveries(world: Any) -> list[tuple[int, str, int]]:
    with session_scope(world.engine) as session:
        rows = session.execute(
            select(AlertDelivery.id, AlertDelivery.state, AlertDelivery.attempts).order_by(AlertDelivery.id)
        ).all()
    return [tuple(r) for r in rows]


def test_the_served_app_delivers_a_new_alert_and_retries(world, tmp_path, admin, reference, monkeypatch) -> None:
    plant(world, tmp_path, admin, reference)  # two anomaly alerts for enterprise a once evaluated
    ent_a = _principal(world, "ent_a")
    sink = Collect()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    data_dir = tmp_path / "served"
    data_dir.mkdir()
    (data_dir / "alerts.yaml").write_text(
        f"smtp: {{host: 127.0.0.1, port: {controller.port}, sender: alerts@example.cn}}\n"
        "delivery: {interval_s: 0.2}\n",
        encoding="utf-8",
    )
    served = SimpleNamespace(state=State({"engine": world.engine, "data_dir": data_dir}))
    loop = None
    try:
        with http_receiver() as receiver:
            receiver.script = lambda n: ("status", 500 if n == 0 else 200)  # the first post fails
            with session_scope(world.engine) as session:
                hook = service_channels.create_subscription(
                    session, ent_a, "webhook", target=receiver.url, sources=["anomaly"], min_level="yellow"
                )
                service_channels.create_subscription(session, ent_a, "email", target="energy@a.example")
            loop = start_delivery(served)
            assert isinstance(loop, DeliveryLoop) and loop.interval_s == 0.2
            assert start_delivery(served) is loop  # once per app: the live demo does not start a second one
            with session_scope(world.engine) as session:  # the alerts open (as the alert loop would open them)
                assert service_alerts.evaluate(session, admin, DAY, reference).deliveries_queued == 4
            assert _wait(lambda: len(sink.messages) == 2 and len(receiver.requests) == 2), (
                len(sink.messages),
                len(receiver.requests),
            )
            assert {m.mail_from for m in sink.messages} == {"alerts@example.cn"}  # SMTP from the data dir
            assert _wait(lambda: sorted(s for _, s, _ in _deliveries(world)).count("sent") == 3)
            waiting = [(i, a) for i, s, a in _deliveries(world) if s == "pending"]
            assert len(waiting) == 1 and waiting[0][1] == 1  # the 500: pending, attempt 1, next in 30 s (PR-A06)
            time.sleep(0.6)  # three rounds: back-off not over, nothing re-sent
            assert len(receiver.requests) == 2
            later = utcnow() + timedelta(seconds=31)
            monkeypatch.setattr(service_delivery, "utcnow", lambda: later)
            assert _wait(lambda: len(receiver.requests) == 3)
            assert _wait(lambda: all(s == "sent" for _, s, _ in _deliveries(world)))
            failed, retried = receiver.requests[0], receiver.requests[2]
            assert failed.headers["X-Dualcarbon-Delivery"] == retried.headers["X-Dualcarbon-Delivery"]
            assert (failed.headers["X-Dualcarbon-Attempt"], retried.headers["X-Dualcarbon-Attempt"]) == ("1", "2")
            body = json.loads(retried.body)
            assert body["delivery_id"] == int(retried.headers["X-Dualcarbon-Delivery"])  # idempotency id, signed
            assert retried.headers["X-Dualcarbon-Signature"] == service_delivery.sign(str(hook.secret), retried.body)
    finally:
        if loop is not None:
            loop.stop()
        controller.stop()
    assert not loop._thread.is_alive()  # stopped cleanly
    assert loop.total.sent == 4 and loop.total.retried == 1 and loop.failures == 0


def test_two_deliverers_send_each_delivery_once(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    ent_a = _principal(world, "ent_a")
    rules = AlertRules.of(reference)
    with http_receiver() as receiver:
        receiver.script = lambda n: ("sleep", 0.05)  # a slow receiver, so the two overlap
        with session_scope(world.engine) as session:
            for _ in range(5):
                service_channels.create_subscription(session, ent_a, "webhook", target=receiver.url)
        with session_scope(world.engine) as session:
            assert service_alerts.evaluate(session, admin, DAY, reference).deliveries_queued == 10
        start = threading.Barrier(2)
        runs: list[Any] = [None, None]

        def deliverer(n: int) -> None:
            start.wait()
            runs[n] = service_delivery.deliver_due(world.engine, rules, batch=1)

        threads = [threading.Thread(target=deliverer, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    sent = Counter(r.headers["X-Dualcarbon-Delivery"] for r in receiver.requests)
    assert len(sent) == 10 and set(sent.values()) == {1}  # every delivery once, none twice
    assert runs[0].sent + runs[1].sent == 10 and runs[0].sent > 0 and runs[1].sent > 0  # both took part
    assert [(s, a) for _, s, a in _deliveries(world)] == [("sent", 1)] * 10


def test_a_crash_between_send_and_record_sends_again_after_the_lease(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    ent_a = _principal(world, "ent_a")
    rules = AlertRules.of(reference)
    with http_receiver() as receiver:
        with session_scope(world.engine) as session:
            service_channels.create_subscription(session, ent_a, "webhook", target=receiver.url)
        with session_scope(world.engine) as session:
            service_alerts.evaluate(session, admin, DAY, reference)
        now = utcnow()
        crashed = service_delivery.claim_due(world.engine, now, 10, 10.0)  # claimed, maybe sent, never recorded
        assert len(crashed) == 2 and {c.attempt for c in crashed} == {1}
        lease_s = service_delivery.LEASE_MARGIN_S + 2 * 10.0
        during = service_delivery.deliver_due(world.engine, rules, now=now + timedelta(seconds=lease_s - 1))
        assert (during.sent, len(receiver.requests)) == (0, 0)  # in flight elsewhere: not sent twice meanwhile
        after = service_delivery.deliver_due(world.engine, rules, now=now + timedelta(seconds=lease_s + 1))
        assert after.sent == 2 and {r.headers["X-Dualcarbon-Attempt"] for r in receiver.requests} == {"2"}
    # the crashed claim's late outcome is not written over the one that took it over
    late = service_delivery.DeliveryRun(sent=0, retried=0, failed=0)
    for claim in crashed:
        claim.error = "RuntimeError: HTTP 500"
    service_delivery._record(world.engine, crashed, rules, now, late)
    assert (late.sent, late.retried, late.failed) == (0, 0, 0)
    assert [(s, a) for _, s, a in _deliveries(world)] == [("sent", 2), ("sent", 2)]


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_deliver_command_and_the_alerts_yaml_sections(world, tmp_path, admin, reference) -> None:
    data_dir = Path(world.url.split("///", 1)[1]).parent
    plant(world, tmp_path, admin, reference)
    ent_a = _principal(world, "ent_a")
    with http_receiver() as receiver:
        with session_scope(world.engine) as session:
            service_channels.create_subscription(session, ent_a, "webhook", target=receiver.url)
        with session_scope(world.engine) as session:
            service_alerts.evaluate(session, admin, DAY, reference)
        done = CliRunner().invoke(cli_app, ["alerts", "deliver", "--data-dir", str(data_dir)])
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout) == {"sent": 2, "retried": 0, "failed": 0} and len(receiver.requests) == 2
    (data_dir / "alerts.yaml").write_text("delivery: {enabled: false}\n", encoding="utf-8")
    served = SimpleNamespace(state=State({"engine": world.engine, "data_dir": data_dir}))
    assert start_delivery(served) is None and served.state.delivery_loop is None  # turned off by the file
    (data_dir / "alerts.yaml").write_text("delivery: {interval_s: -1}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="interval_s"):
        service_delivery.load_delivery_config(data_dir)
    (data_dir / "alerts.yaml").write_text("smtp: {port: many}\n", encoding="utf-8")
    bad = CliRunner().invoke(cli_app, ["alerts", "deliver", "--data-dir", str(data_dir)])
    assert bad.exit_code == 2 and "smtp.port" in bad.output


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_busy_database_delays_the_record_but_loses_no_outcome(world, tmp_path, admin, reference, monkeypatch) -> None:
    plant(world, tmp_path, admin, reference)
    ent_a = _principal(world, "ent_a")
    record_once = service_delivery._record_once
    tries: list[int] = []

    def busy_first(*args: Any) -> None:
        tries.append(1)
        if len(tries) == 1:  # the first try finds the database locked (another writer beyond the lock budget)
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        record_once(*args)

    monkeypatch.setattr(service_delivery, "_record_once", busy_first)
    with http_receiver() as receiver:
        with session_scope(world.engine) as session:
            service_channels.create_subscription(session, ent_a, "webhook", target=receiver.url)
        with session_scope(world.engine) as session:
            service_alerts.evaluate(session, admin, DAY, reference)
        run = service_delivery.deliver_due(world.engine, AlertRules.of(reference))
    assert len(tries) == 2 and (run.sent, run.retried, run.failed) == (2, 0, 0) and len(receiver.requests) == 2
    assert [(s, a) for _, s, a in _deliveries(world)] == [("sent", 1), ("sent", 1)]
