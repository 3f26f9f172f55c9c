"""Monitoring cost and the Grafana views.

* ``monitoring_cost`` — energy cost per meter and hour / day / month, written by the cost step after the
  rollup refresh (src/dualcarbon/monitoring/store_cost.py). Both backends.
* PostgreSQL only: the read-only SQL views Grafana reads (docs/grafana.md) — ``grafana_rollup_hourly``,
  ``grafana_rollup_daily`` (per meter, with cost), ``grafana_co2_daily`` (per enterprise, counted meters),
  ``grafana_quality_daily``, ``grafana_alerts`` — and the role ``dualcarbon_reader`` with SELECT on them only,
  created when the migrating user may create roles (else docs/grafana.md gives the statements to run).
  On SQLite the views and the role are skipped.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER_ROLE = "dualcarbon_reader"

# Times: ``time`` is the period start (timestamptz, Grafana shows it in the browser's or dashboard's zone);
# ``day_local`` the Asia/Shanghai calendar day.
_METER_VIEW = """
CREATE VIEW {name} AS
SELECT r.start AS time, r.meter_id, m.code AS meter_code, m.carrier, m.unit, m.counted, m.process_stage,
       e.credit_code, e.name AS enterprise_name, e.region_code, e.industry_code,
       r.energy, r.tce, r.tce_equal, r.tco2, r.completeness, r.flags,
       c.cost_yuan, c.energy_peak + coalesce(c.energy_sharp, 0) AS energy_peak_sharp, c.energy_valley
FROM monitoring_rollup r
JOIN meter m ON m.id = r.meter_id
JOIN enterprise e ON e.id = m.enterprise_id
LEFT JOIN monitoring_cost c ON c.meter_id = r.meter_id AND c.interval = r.interval AND c.start = r.start
WHERE r.interval = '{interval}'
"""

_VIEWS: dict[str, str] = {
    "grafana_rollup_hourly": _METER_VIEW.format(name="grafana_rollup_hourly", interval="hour"),
    "grafana_rollup_daily": _METER_VIEW.format(name="grafana_rollup_daily", interval="day"),
    "grafana_co2_daily": """
CREATE VIEW grafana_co2_daily AS
SELECT r.start AS time, CAST(r.start AT TIME ZONE 'Asia/Shanghai' AS date) AS day_local,
       e.credit_code, e.name AS enterprise_name, e.region_code, e.industry_code,
       sum(r.tce) AS tce, sum(r.tce_equal) AS tce_equal, sum(r.tco2) AS tco2, sum(c.cost_yuan) AS cost_yuan,
       min(r.completeness) AS min_completeness, count(*) AS meters
FROM monitoring_rollup r
JOIN meter m ON m.id = r.meter_id AND m.counted
JOIN enterprise e ON e.id = m.enterprise_id
LEFT JOIN monitoring_cost c ON c.meter_id = r.meter_id AND c.interval = r.interval AND c.start = r.start
WHERE r.interval = 'day'
GROUP BY r.start, e.credit_code, e.name, e.region_code, e.industry_code
""",
    "grafana_quality_daily": """
CREATE VIEW grafana_quality_daily AS
SELECT CAST(q.day AS timestamp) AT TIME ZONE 'Asia/Shanghai' AS time, q.day AS day_local,
       e.credit_code, e.name AS enterprise_name, e.region_code,
       q.meters, q.expected, q.received, q.completeness, q.accuracy, q.timeliness, q.validity, q.quality_index,
       q.final
FROM enterprise_quality_day q
JOIN enterprise e ON e.id = q.enterprise_id
""",
    "grafana_alerts": """
CREATE VIEW grafana_alerts AS
SELECT a.first_seen AS time, a.id, a.source, a.level, a.state, a.title_zh, a.occurrences, a.last_seen,
       a.closed_at, e.credit_code, e.name AS enterprise_name, e.region_code, m.code AS meter_code
FROM alert a
JOIN enterprise e ON e.id = a.enterprise_id
LEFT JOIN meter m ON m.id = a.meter_id
""",
}

# Created only when the migrating user may create roles; concurrent migrations of other databases of the
# same cluster may race on the (cluster-wide) role, hence the exception handler.
_CREATE_ROLE = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{READER_ROLE}')
     AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
    BEGIN
      CREATE ROLE {READER_ROLE} NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
END
$$
"""
_GRANT = f"""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{READER_ROLE}') THEN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {READER_ROLE}', current_schema());
    EXECUTE 'GRANT SELECT ON {", ".join(_VIEWS)} TO {READER_ROLE}';
  END IF;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "monitoring_cost",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("interval", sa.String(length=8), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("energy", sa.Double(), nullable=True),
        sa.Column("cost_yuan", sa.Double(), nullable=True),
        sa.Column("energy_sharp", sa.Double(), nullable=True),
        sa.Column("energy_peak", sa.Double(), nullable=True),
        sa.Column("energy_flat", sa.Double(), nullable=True),
        sa.Column("energy_valley", sa.Double(), nullable=True),
        sa.Column("cost_peak_yuan", sa.Double(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("sig", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_monitoring_cost_meter_id_meter")),
        sa.PrimaryKeyConstraint("meter_id", "interval", "start", name=op.f("pk_monitoring_cost")),
    )
    op.create_index("ix_monitoring_cost_interval_start", "monitoring_cost", ["interval", "start"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    for sql in _VIEWS.values():
        op.execute(sql)
    op.execute(_CREATE_ROLE)
    op.execute(_GRANT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The role is cluster-wide (other databases may use it): its grants here go with the views; it stays.
        for name in reversed(list(_VIEWS)):
            op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_index("ix_monitoring_cost_interval_start", table_name="monitoring_cost")
    op.drop_table("monitoring_cost")
