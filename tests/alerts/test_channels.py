"""Subscriptions and channels: webhooks signed with HMAC-SHA256 and retried with back-off, e-mail over SMTP
(aiosmtpd as a local sink), delivery only to users who may see the enterprise (both stores)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import socket
from datetime import timedelta
from importlib import resources
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from sqlalchemy import select

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.alerts import service_alerts, service_channels
from dualcarbon.alerts.models import ALERT_SOURCES, AlertDelivery
from dualcarbon.alerts.service_rules import LEVEL_ZH, SOURCE_ZH, AlertRules
from dualcarbon.core.errors import InvalidInput, NotFound
from dualcarbon.store.base import utcnow
from dualcarbon.store.db import session_scope

from .receivers import http_receiver
from .test_evaluate import DAY, plant


class Collect(Sink):
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _principal(world: Any, username: str) -> Any:
    with session_scope(world.engine) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return principal_for(session, user)


def test_subscription_input_is_checked(world) -> None:
    ent_a = _principal(world, "ent_a")
    with session_scope(world.engine) as session:
        for kwargs, field in (
            ({"channel": "sms"}, "channel"),
            ({"channel": "webhook", "target": "ftp://x"}, "target"),
            ({"channel": "email", "target": "not-an-address"}, "target"),
            ({"channel": "inapp", "sources": ["weather"]}, "sources[0]"),
            ({"channel": "inapp", "min_level": "green"}, "min_level"),
        ):
            channel = kwargs.pop("channel")
            with pytest.raises(InvalidInput) as caught:
                service_channels.create_subscription(session, ent_a, channel, **kwargs)
            assert caught.value.field == field
    with session_scope(world.engine) as session:
        made = service_channels.create_subscription(session, ent_a, "inapp", min_level="orange")
    ent_b = _principal(world, "ent_b")
    with session_scope(world.engine) as session:
        assert service_channels.list_subscriptions(session, ent_b) == []
        with pytest.raises(NotFound):
            service_channels.delete_subscription(session, ent_b, made.id)  # not hers


def test_webhook_signed_retried_and_email_sent(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)  # two anomaly alerts for enterprise a (meters M and S1)
    ent_a, ent_b = _principal(world, "ent_a"), _principal(world, "ent_b")
    sink = Collect()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with http_receiver() as receiver:
            receiver.script = lambda n: ("status", 500 if n < 2 else 204)  # the first two posts fail
            with session_scope(world.engine) as session:
                hook = service_channels.create_subscription(session, ent_a, "webhook", target=receiver.url)
                service_channels.create_subscription(session, ent_a, "email", target="energy@a.example")
                service_channels.create_subscription(session, ent_b, "webhook", target=receiver.url)
                service_channels.create_subscription(session, ent_a, "email", target="x@a.example", min_level="red")
            with session_scope(world.engine) as session:
                summary = service_alerts.evaluate(session, admin, DAY, reference)
            # 2 alerts × (a's webhook + a's yellow e-mail); b may not see a's alerts; the red-only one wants none
            assert summary.deliveries_queued == 4
            rules = AlertRules.of(reference)
            smtp = service_channels.SmtpConfig(host="127.0.0.1", port=controller.port)
            now = utcnow()
            first = service_channels.deliver_due(world.engine, rules, smtp=smtp, now=now)
            assert (first.sent, first.retried, first.failed) == (2, 2, 0)  # the e-mails went, the hooks got 500
            waiting = service_channels.deliver_due(world.engine, rules, smtp=smtp, now=now + timedelta(seconds=29))
            assert waiting.sent + waiting.retried == 0  # back-off: base 30 s (PR-A06) not yet over
            second = service_channels.deliver_due(world.engine, rules, smtp=smtp, now=now + timedelta(seconds=31))
            assert (second.sent, second.retried) == (2, 0)
            with session_scope(world.engine) as session:
                states = session.execute(select(AlertDelivery.state, AlertDelivery.attempts)).all()
            assert sorted(states) == [("sent", 1), ("sent", 1), ("sent", 2), ("sent", 2)]
            assert len(receiver.requests) == 4
            for request in receiver.requests:
                expected = "sha256=" + hmac.new(str(hook.secret).encode(), request.body, hashlib.sha256).hexdigest()
                assert request.headers["X-Dualcarbon-Signature"] == expected
                assert json.loads(request.body)["credit_code"] == world.codes["a"]
    finally:
        controller.stop()
    assert len(sink.messages) == 2 and {m.rcpt_tos[0] for m in sink.messages} == {"energy@a.example"}
    text = email.message_from_bytes(sink.messages[0].content, policy=email.policy.default)
    assert "用能异常" in str(text["Subject"]) and "鹿城甲阀门有限公司" in text.get_body().get_content()
    # levels and sources by their names, not their codes
    assert "级别：黄色" in text.get_body().get_content() and "来源：用能异常" in text.get_body().get_content()


def test_source_names_agree_with_the_pages() -> None:
    pages = json.loads((resources.files("dualcarbon.ui.web") / "i18n" / "zh.json").read_text(encoding="utf-8"))
    assert {s: pages[f"alert_source.{s}"] for s in ALERT_SOURCES} == SOURCE_ZH
    assert {lv: pages[f"alert_level.{lv}"] for lv in ("yellow", "orange", "red")} == {
        lv: LEVEL_ZH[lv] for lv in ("yellow", "orange", "red")
    }


def test_delivery_fails_after_the_last_attempt(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    ent_a = _principal(world, "ent_a")
    with http_receiver() as receiver:
        receiver.script = lambda n: ("status", 503)
        with session_scope(world.engine) as session:
            service_channels.create_subscription(session, ent_a, "webhook", target=receiver.url, sources=["anomaly"])
        with session_scope(world.engine) as session:
            service_alerts.evaluate(session, admin, DAY, reference)
        rules = AlertRules.of(reference)
        now = utcnow()
        for attempt in range(rules.delivery_max_attempts):  # 5 tries (PR-A05), 1 h apart ≥ any back-off
            service_channels.deliver_due(world.engine, rules, now=now + timedelta(hours=attempt))
    with session_scope(world.engine) as session:
        rows = session.execute(select(AlertDelivery.state, AlertDelivery.attempts, AlertDelivery.last_error)).all()
    assert [(s, a) for s, a, _ in rows] == [("failed", 5), ("failed", 5)]
    assert rows[0][2] == "RuntimeError: HTTP 503"
    assert len(receiver.requests) == 10
