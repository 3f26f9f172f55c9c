"""Channels of the alerts: per-user subscriptions, and delivery by webhook and e-mail with retries.

* A **subscription** belongs to the user who makes it: channel ``inapp`` (the alerts list filtered to it),
  ``webhook`` (an http(s) URL; a random secret is made and shown once) or ``email`` (an address); the lowest
  level and the sources wanted (empty: all). Creating and deleting are audited.
* When an alert opens, a **delivery** is queued for every webhook and e-mail subscription that wants its level
  and source *and whose user may read the alert's enterprise* (the same rule as the list).
* :func:`deliver_due` sends the due deliveries. Webhook: ``POST`` of the alert as JSON, the body signed with
  HMAC-SHA256 under the subscription's secret — header ``X-Dualcarbon-Signature: sha256=<hex>`` — and
  ``X-Dualcarbon-Delivery: <id>`` so a receiver can drop repeats; any 2xx is success. E-mail: a plain-text
  message over SMTP. A failure is retried after base × 2^(attempts − 1) seconds (PR-A06, at most PR-A07)
  and marked ``failed`` after PR-A05 attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.alerts.models import ALERT_LEVELS, ALERT_SOURCES, CHANNELS, Alert, AlertDelivery, AlertSubscription
from dualcarbon.alerts.schemas import DeliveryRun, SubscriptionOut
from dualcarbon.alerts.service_rules import LEVEL_ZH, SOURCE_ZH, AlertRules
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, NotFound
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import can_access_enterprise
from dualcarbon.store.audit import append_audit, canonical_json
from dualcarbon.store.base import utcnow

SIGNATURE_HEADER = "X-Dualcarbon-Signature"
DELIVERY_HEADER = "X-Dualcarbon-Delivery"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SmtpConfig(BaseModel):
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "dualcarbon@localhost"
    timeout_s: float = 10.0


def sign(secret: str, body: bytes) -> str:
    """The signature header value of ``body``: ``sha256=`` + hex HMAC-SHA256 under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _level_rank(level: str) -> int:
    return ALERT_LEVELS.index(level)


def _sub_out(row: AlertSubscription, secret: str | None = None) -> SubscriptionOut:
    return SubscriptionOut(
        id=row.id,
        channel=row.channel,
        target=row.target,
        min_level=row.min_level,
        sources=list(row.sources),
        created_at=row.created_at,
        secret=secret,
    )


def create_subscription(
    session: Session,
    principal: Principal,
    channel: str,
    *,
    target: str | None = None,
    min_level: str = "yellow",
    sources: list[str] | None = None,
) -> SubscriptionOut:
    if principal.user_id is None:
        raise InvalidInput("subscriptions belong to a signed-in user", field="user", zh="订阅须由登录用户创建")
    if channel not in CHANNELS:
        raise InvalidInput(f"must be one of {', '.join(CHANNELS)}", field="channel", zh="渠道须为站内、Webhook 或邮件")
    if min_level not in ALERT_LEVELS:
        raise InvalidInput(
            f"must be one of {', '.join(ALERT_LEVELS)}", field="min_level", zh="最低级别须为黄色、橙色或红色"
        )
    wanted = list(dict.fromkeys(sources or []))
    for i, source in enumerate(wanted):
        if source not in ALERT_SOURCES:
            names = "、".join(SOURCE_ZH.values())
            raise InvalidInput(
                f"must be one of {', '.join(ALERT_SOURCES)}", field=f"sources[{i}]", zh=f"告警来源须为：{names}"
            )
    target = (target or "").strip() or None
    secret = None
    if channel == "webhook":
        if not target or not re.match(r"^https?://[^\s]+$", target) or len(target) > 400:
            raise InvalidInput("a webhook needs an http(s) URL", field="target", zh="Webhook 须为 http(s) 地址")
        secret = secrets.token_hex(32)
    elif channel == "email":
        if not target or not _EMAIL.match(target) or len(target) > 400:
            raise InvalidInput("an e-mail subscription needs an address", field="target", zh="请填写有效的邮箱地址")
    elif target:
        raise InvalidInput("an in-app subscription has no target", field="target", zh="站内订阅无需填写接收地址")
    row = AlertSubscription(
        user_id=principal.user_id, channel=channel, target=target, secret=secret, min_level=min_level, sources=wanted
    )
    session.add(row)
    session.flush()
    append_audit(
        session,
        principal.username,
        "alert_subscription.create",
        "alert_subscription",
        row.id,
        after={"channel": channel, "target": target, "min_level": min_level, "sources": wanted},
    )
    return _sub_out(row, secret)


def list_subscriptions(session: Session, principal: Principal) -> list[SubscriptionOut]:
    rows = session.scalars(
        select(AlertSubscription).where(AlertSubscription.user_id == principal.user_id).order_by(AlertSubscription.id)
    )
    return [_sub_out(r) for r in rows]


def delete_subscription(session: Session, principal: Principal, subscription_id: int) -> None:
    row = session.get(AlertSubscription, subscription_id)
    if row is None or row.user_id != principal.user_id:
        raise NotFound(f"subscription {subscription_id} not found", zh="未找到该订阅")
    before = {"channel": row.channel, "target": row.target}
    for delivery in session.scalars(select(AlertDelivery).where(AlertDelivery.subscription_id == row.id)):
        session.delete(delivery)
    session.delete(row)
    append_audit(
        session, principal.username, "alert_subscription.delete", "alert_subscription", subscription_id, before=before
    )
    session.flush()


def wants(subscription: AlertSubscription, alert: Alert) -> bool:
    level_ok = _level_rank(alert.level) >= _level_rank(subscription.min_level)
    return level_ok and (not subscription.sources or alert.source in subscription.sources)


def enqueue_deliveries(session: Session, alerts: list[Alert]) -> int:
    """Queue each newly opened alert to the webhook / e-mail subscriptions that want it and may see it."""
    if not alerts:
        return 0
    subs = list(session.scalars(select(AlertSubscription).where(AlertSubscription.channel != "inapp")))
    if not subs:
        return 0
    principals: dict[int, Principal] = {}
    enterprises: dict[int, Enterprise | None] = {}
    now = utcnow()
    queued = 0
    for alert in alerts:
        enterprise = enterprises.setdefault(alert.enterprise_id, session.get(Enterprise, alert.enterprise_id))
        for sub in subs:
            if enterprise is None or not wants(sub, alert):
                continue
            if sub.user_id not in principals:
                user = session.get(User, sub.user_id)
                if user is None or user.disabled:
                    continue
                principals[sub.user_id] = principal_for(session, user)
            if not can_access_enterprise(session, principals[sub.user_id], enterprise):
                continue
            session.add(
                AlertDelivery(
                    alert_id=alert.id, subscription_id=sub.id, state="pending", attempts=0, next_attempt_at=now
                )
            )
            queued += 1
    session.flush()
    return queued


def alert_payload(alert: Alert, enterprise: Enterprise) -> dict[str, Any]:
    return {
        "id": alert.id,
        "source": alert.source,
        "source_key": alert.source_key,
        "level": alert.level,
        "state": alert.state,
        "title_zh": alert.title_zh,
        "credit_code": enterprise.credit_code,
        "enterprise": enterprise.name,
        "detail": alert.detail,
        "first_seen": alert.first_seen.isoformat(),
    }


Sender = Callable[[AlertSubscription, Alert, Enterprise, AlertDelivery], None]


def send_webhook(client: httpx.Client) -> Sender:
    def send(sub: AlertSubscription, alert: Alert, enterprise: Enterprise, delivery: AlertDelivery) -> None:
        body = canonical_json(alert_payload(alert, enterprise)).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(sub.secret or "", body),
            DELIVERY_HEADER: str(delivery.id),
        }
        response = client.post(sub.target or "", content=body, headers=headers)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"HTTP {response.status_code}")

    return send


def send_email(config: SmtpConfig) -> Sender:
    def send(sub: AlertSubscription, alert: Alert, enterprise: Enterprise, delivery: AlertDelivery) -> None:
        message = EmailMessage()
        message["From"] = config.sender
        message["To"] = sub.target or ""
        message["Subject"] = f"【{enterprise.name}】{alert.title_zh}"
        message["X-Dualcarbon-Delivery"] = str(delivery.id)
        detail = json.dumps(alert.detail, ensure_ascii=False, indent=2)
        level = LEVEL_ZH.get(alert.level, alert.level)
        source = SOURCE_ZH.get(alert.source, alert.source)
        message.set_content(
            f"企业：{enterprise.name}（{enterprise.credit_code}）\n告警：{alert.title_zh}\n级别：{level}\n"
            f"来源：{source}\n编号：{alert.id}\n\n详细数据（供系统对接）：\n{detail}\n"
        )
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout_s) as smtp:
            smtp.send_message(message)

    return send


def deliver_due(
    session: Session,
    rules: AlertRules,
    *,
    http: httpx.Client | None = None,
    smtp: SmtpConfig | None = None,
    now: datetime | None = None,
    limit: int = 1000,
) -> DeliveryRun:
    """Send the deliveries that are due (at ``now``, default the clock); each outcome is written in the caller's
    transaction."""
    now = now or utcnow()
    rows = session.execute(
        select(AlertDelivery, AlertSubscription, Alert, Enterprise)
        .join(AlertSubscription, AlertSubscription.id == AlertDelivery.subscription_id)
        .join(Alert, Alert.id == AlertDelivery.alert_id)
        .join(Enterprise, Enterprise.id == Alert.enterprise_id)
        .where(AlertDelivery.state == "pending", AlertDelivery.next_attempt_at <= now)
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
        .limit(limit)
    ).all()
    own_client = http is None
    client = http or httpx.Client(timeout=10.0)
    senders: dict[str, Sender] = {"webhook": send_webhook(client), "email": send_email(smtp or SmtpConfig())}
    run = DeliveryRun(sent=0, retried=0, failed=0)
    try:
        for delivery, sub, alert, enterprise in rows:
            delivery.attempts += 1
            try:
                senders[sub.channel](sub, alert, enterprise, delivery)
            except (httpx.HTTPError, OSError, smtplib.SMTPException, RuntimeError) as exc:
                delivery.last_error = f"{type(exc).__name__}: {exc}"[:400]
                if delivery.attempts >= rules.delivery_max_attempts:
                    delivery.state = "failed"
                    run.failed += 1
                else:
                    delivery.next_attempt_at = now + timedelta(seconds=rules.backoff_s(delivery.attempts))
                    run.retried += 1
                continue
            delivery.state = "sent"
            delivery.sent_at = utcnow()
            delivery.last_error = None
            run.sent += 1
    finally:
        if own_client:
            client.close()
    session.flush()
    return run


ALERTS_CONFIG_FILE = "alerts.yaml"


def load_smtp_config(data_dir: Path) -> SmtpConfig:
    """The ``smtp`` section of ``<data dir>/alerts.yaml`` (host, port, sender, timeout_s); defaults without it."""
    path = data_dir / ALERTS_CONFIG_FILE
    if not path.exists():
        return SmtpConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return SmtpConfig.model_validate(raw.get("smtp") or {})
    except (yaml.YAMLError, ValidationError, AttributeError) as exc:
        raise InvalidInput(f"{path}: {str(exc).splitlines()[0]}", field="alerts.yaml") from None
