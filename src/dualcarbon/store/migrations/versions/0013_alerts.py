"""Alerts, budgets and subscriptions: energy budgets (用能预算), alerts with their history (one not-closed alert
per source key), subscriptions and deliveries of the webhook / e-mail channels, and the outbox of the provincial
upload (接入端 → 省级平台). See src/dualcarbon/alerts/models.py.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=400), nullable=True),
        sa.Column("secret", sa.String(length=128), nullable=True),
        sa.Column("min_level", sa.String(length=8), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('inapp', 'webhook', 'email')", name=op.f("ck_alert_subscription_channel_known")
        ),
        sa.CheckConstraint(
            "min_level IN ('yellow', 'orange', 'red')", name=op.f("ck_alert_subscription_min_level_known")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_alert_subscription_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscription")),
    )
    op.create_index(op.f("ix_alert_subscription_user_id"), "alert_subscription", ["user_id"], unique=False)
    op.create_table(
        "energy_budget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("budget_tce", sa.Double(), nullable=False),
        sa.Column("monthly_tce", sa.JSON(), nullable=False),
        sa.Column("profile", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("profile IN ('monitored', 'flat')", name=op.f("ck_energy_budget_profile_known")),
        sa.CheckConstraint("budget_tce > 0", name=op.f("ck_energy_budget_budget_positive")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_energy_budget_enterprise_id_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_budget")),
        sa.UniqueConstraint("enterprise_id", "year", name=op.f("uq_energy_budget_enterprise_id_year")),
    )
    op.create_index(op.f("ix_energy_budget_enterprise_id"), "energy_budget", ["enterprise_id"], unique=False)
    op.create_table(
        "upload_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('enterprise', 'meter', 'realtime', 'day', 'month')", name=op.f("ck_upload_message_kind_known")
        ),
        sa.CheckConstraint("state IN ('pending', 'acknowledged')", name=op.f("ck_upload_message_state_known")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_upload_message_enterprise_id_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_message")),
        sa.UniqueConstraint("endpoint", "idempotency_key", name=op.f("uq_upload_message_endpoint_idempotency_key")),
    )
    op.create_index("ix_upload_message_due", "upload_message", ["state", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_upload_message_enterprise_id"), "upload_message", ["enterprise_id"], unique=False)
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("level IN ('yellow', 'orange', 'red')", name=op.f("ck_alert_level_known")),
        sa.CheckConstraint(
            "source IN ('budget', 'anomaly', 'stale', 'quality', 'imbalance', 'conflict')",
            name=op.f("ck_alert_source_known"),
        ),
        sa.CheckConstraint("state IN ('open', 'acknowledged', 'closed')", name=op.f("ck_alert_state_known")),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"], name=op.f("fk_alert_enterprise_id_enterprise")),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_alert_meter_id_meter")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    op.create_index(op.f("ix_alert_enterprise_id"), "alert", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_alert_meter_id"), "alert", ["meter_id"], unique=False)
    op.create_index("ix_alert_state_level", "alert", ["state", "level"], unique=False)
    op.create_index(
        "uq_alert_open_source_key",
        "alert",
        ["source_key"],
        unique=True,
        sqlite_where=sa.text("state <> 'closed'"),
        postgresql_where=sa.text("state <> 'closed'"),
    )
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=400), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'sent', 'failed')", name=op.f("ck_alert_delivery_state_known")),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], name=op.f("fk_alert_delivery_alert_id_alert")),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["alert_subscription.id"],
            name=op.f("fk_alert_delivery_subscription_id_alert_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
        sa.UniqueConstraint("alert_id", "subscription_id", name=op.f("uq_alert_delivery_alert_id_subscription_id")),
    )
    op.create_index(op.f("ix_alert_delivery_alert_id"), "alert_delivery", ["alert_id"], unique=False)
    op.create_index("ix_alert_delivery_due", "alert_delivery", ["state", "next_attempt_at"], unique=False)
    op.create_table(
        "alert_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], name=op.f("fk_alert_event_alert_id_alert")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_event")),
    )
    op.create_index(op.f("ix_alert_event_alert_id"), "alert_event", ["alert_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_event_alert_id"), table_name="alert_event")
    op.drop_table("alert_event")
    op.drop_index("ix_alert_delivery_due", table_name="alert_delivery")
    op.drop_index(op.f("ix_alert_delivery_alert_id"), table_name="alert_delivery")
    op.drop_table("alert_delivery")
    op.drop_index(
        "uq_alert_open_source_key",
        table_name="alert",
        sqlite_where=sa.text("state <> 'closed'"),
        postgresql_where=sa.text("state <> 'closed'"),
    )
    op.drop_index("ix_alert_state_level", table_name="alert")
    op.drop_index(op.f("ix_alert_meter_id"), table_name="alert")
    op.drop_index(op.f("ix_alert_enterprise_id"), table_name="alert")
    op.drop_table("alert")
    op.drop_index(op.f("ix_upload_message_enterprise_id"), table_name="upload_message")
    op.drop_index("ix_upload_message_due", table_name="upload_message")
    op.drop_table("upload_message")
    op.drop_index(op.f("ix_energy_budget_enterprise_id"), table_name="energy_budget")
    op.drop_table("energy_budget")
    op.drop_index(op.f("ix_alert_subscription_user_id"), table_name="alert_subscription")
    op.drop_table("alert_subscription")
