"""Channels of the alerts: per-user subscriptions, and delivery by webhook and e-mail with retries.

* A **subscription** belongs to the user who makes it: channel ``inapp`` (the alerts list filtered to it),
  ``webhook`` (an http(s) URL; a random secret is made and shown once) or ``email`` (an address); the lowest
  level and the sources wanted (empty: all). Creating and deleting are audited.
* When an alert opens, a **delivery** is queued for every webhook and e-mail subscription that wants its level
  and source *and whose user may read the alert's enterprise* (the same rule as the list).
* Sending is :mod:`dualcarbon.alerts.service_delivery` (``deliver_due``, ``SmtpConfig`` and ``load_smtp_config``
  are re-exported here): webhook ``POST`` signed with HMAC-SHA256, e-mail over SMTP, retries with back-off,
  no transaction open while the network is used.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.alerts.models import ALERT_LEVELS, ALERT_SOURCES, CHANNELS, Alert, AlertDelivery, AlertSubscription
from dualcarbon.alerts.schemas import SubscriptionOut
from dualcarbon.alerts.service_delivery import SmtpConfig, deliver_due, load_smtp_config
from dualcarbon.alerts.service_rules import SOURCE_ZH
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, NotFound
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import can_access_enterprise
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow

__all__ = [
    "SmtpConfig",
    "create_subscription",
    "delete_subscription",
    "deliver_due",
    "enqueue_deliveries",
    "list_subscriptions",
    "load_smtp_config",
    "wants",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
