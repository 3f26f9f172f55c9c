"""Alert tables: energy budgets, alerts and their history, subscriptions and deliveries, the upload outbox.

* ``energy_budget`` — the annual energy budget (用能预算) of an enterprise in tce (当量值), spread over the
  months (``monthly_tce``, 12 numbers) by last year's profile; ``profile`` says which: ``monitored`` (last
  year's monthly rollups) or ``flat`` (no history: twelfths). ``lock_version``: two edits, one wins.
* ``alert`` — one alert (告警). ``source_key`` identifies what it is about (``stale:meter:12``); at most one
  alert per key is not closed (a partial unique index), so a condition seen again adds to ``occurrences``
  of the alert already open instead of opening another. States open → acknowledged → closed
  (``lock_version`` pattern of store/versioning.py).
* ``alert_event`` — the alert's history: opened, seen again, acknowledged, closed, each with who and the comment.
* ``alert_subscription`` — a user's wish to be told: channel ``inapp``, ``webhook`` (URL, HMAC secret) or
  ``email`` (address), the lowest level, the sources (empty: all).
* ``alert_delivery`` — one alert to one webhook or e-mail subscription: pending → sent, or failed after the
  last retry; ``next_attempt_at`` carries the back-off.
* ``upload_message`` — the outbox of the provincial upload (接入端 → 省级平台): one JSON message per endpoint
  and idempotency key, pending until the endpoint acknowledges it; kept for at least the retention days.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Double, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from dualcarbon.store.base import Base, one_of_sql, utcnow

ALERT_SOURCES: tuple[str, ...] = ("budget", "anomaly", "stale", "quality", "imbalance", "conflict")
ALERT_STATES: tuple[str, ...] = ("open", "acknowledged", "closed")
#: Severity order (the calc warning levels; green is never an alert).
ALERT_LEVELS: tuple[str, ...] = ("yellow", "orange", "red")
CHANNELS: tuple[str, ...] = ("inapp", "webhook", "email")
DELIVERY_STATES: tuple[str, ...] = ("pending", "sent", "failed")
UPLOAD_STATES: tuple[str, ...] = ("pending", "acknowledged")
UPLOAD_KINDS: tuple[str, ...] = ("enterprise", "meter", "realtime", "day", "month")
BUDGET_PROFILES: tuple[str, ...] = ("monitored", "flat")


class EnergyBudget(Base):
    """The annual energy budget (用能预算) of an enterprise and its monthly spread."""

    __tablename__ = "energy_budget"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "year"),
        CheckConstraint("budget_tce > 0", name="budget_positive"),
        CheckConstraint(one_of_sql("profile", BUDGET_PROFILES), name="profile_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    budget_tce: Mapped[float] = mapped_column(Double)
    monthly_tce: Mapped[list[float]] = mapped_column(JSON)
    profile: Mapped[str] = mapped_column(String(16))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Alert(Base):
    """An alert (告警) about an enterprise (and a meter), de-duplicated by ``source_key``."""

    __tablename__ = "alert"
    __table_args__ = (
        CheckConstraint(one_of_sql("source", ALERT_SOURCES), name="source_known"),
        CheckConstraint(one_of_sql("state", ALERT_STATES), name="state_known"),
        CheckConstraint(one_of_sql("level", ALERT_LEVELS), name="level_known"),
        Index(
            "uq_alert_open_source_key",
            "source_key",
            unique=True,
            sqlite_where=text("state <> 'closed'"),
            postgresql_where=text("state <> 'closed'"),
        ),
        Index("ix_alert_state_level", "state", "level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(200))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    title_zh: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurrences: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    lock_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class AlertEvent(Base):
    """One step in an alert's history (opened, seen, acknowledged, closed) with its comment."""

    __tablename__ = "alert_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)


class AlertSubscription(Base):
    """A user's subscription to alerts on one channel."""

    __tablename__ = "alert_subscription"
    __table_args__ = (
        CheckConstraint(one_of_sql("channel", CHANNELS), name="channel_known"),
        CheckConstraint(one_of_sql("min_level", ALERT_LEVELS), name="min_level_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    target: Mapped[str | None] = mapped_column(String(400))  # webhook URL or e-mail address
    secret: Mapped[str | None] = mapped_column(String(128))  # webhook HMAC-SHA256 key
    min_level: Mapped[str] = mapped_column(String(8))
    sources: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertDelivery(Base):
    """One alert sent (or to be sent) to one webhook or e-mail subscription."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        UniqueConstraint("alert_id", "subscription_id"),
        CheckConstraint(one_of_sql("state", DELIVERY_STATES), name="state_known"),
        Index("ix_alert_delivery_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("alert_subscription.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(400))
    sent_at: Mapped[datetime | None]


class UploadMessage(Base):
    """One message of the provincial upload outbox, sent until its endpoint acknowledges it."""

    __tablename__ = "upload_message"
    __table_args__ = (
        UniqueConstraint("endpoint", "idempotency_key"),
        CheckConstraint(one_of_sql("state", UPLOAD_STATES), name="state_known"),
        CheckConstraint(one_of_sql("kind", UPLOAD_KINDS), name="kind_known"),
        Index("ix_upload_message_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
