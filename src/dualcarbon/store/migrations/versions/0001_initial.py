"""Initial schema: registry, period reports, catalog and appeals, users and tokens, audit log, jobs.

Also creates the triggers that make ``audit_log`` append-only (UPDATE and DELETE raise; on PostgreSQL
TRUNCATE too).

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERIOD_RANGE = (
    "(period_kind = 'year' AND period = 0)"
    " OR (period_kind = 'quarter' AND period BETWEEN 1 AND 4)"
    " OR (period_kind = 'month' AND period BETWEEN 1 AND 12)"
)
PERIOD_KIND_KNOWN = "period_kind IN ('year', 'quarter', 'month')"

SQLITE_AUDIT_TRIGGERS = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END""",
]
POSTGRESQL_AUDIT_TRIGGERS = [
    """CREATE FUNCTION dualcarbon_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
               USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION dualcarbon_audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION dualcarbon_audit_log_append_only()""",
]


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _float(name: str, nullable: bool = False) -> sa.Column[float]:
    return sa.Column(name, sa.Double(), nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _pk(table: str, column: str = "id") -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(column, name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    target_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{target_table}"), ondelete=ondelete
    )


def _check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{table}_{name}"))


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(op.f(name or f"ix_{table}_{columns[0]}"), table, list(columns))


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"

    op.create_table(
        "user_account",
        _id(),
        _str("username", 64),
        _str("display_name", 100),
        _str("password_hash", 255, nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _int("failed_logins"),
        _ts("locked_until", nullable=True),
        _ts("created_at"),
        _str("language", 2),
        _pk("user_account"),
        _unique("user_account", "username"),
        _check("user_account", "language_known", "language IN ('zh', 'en')"),
    )
    op.create_table(
        "region",
        _str("code", 6),
        _str("name", 100),
        _str("level", 16),
        _str("parent_code", 6, nullable=True),
        _str("path", 64),
        _pk("region", "code"),
        _fk("region", "parent_code", "region.code"),
        _unique("region", "path"),
        _check("region", "code_six_digits", "length(code) = 6"),
        _check("region", "level_known", "level IN ('province', 'city', 'district')"),
    )
    _index("region", "parent_code")
    op.create_table(
        "enterprise",
        _id(),
        _str("credit_code", 18),
        _str("name", 200),
        _str("region_code", 6),
        _str("industry_code", 8),
        sa.Column("above_scale", sa.Boolean(), nullable=False),
        _float("land_area_mu", nullable=True),
        sa.Column("key_energy_user", sa.Boolean(), nullable=False),
        _str("address", 300, nullable=True),
        _str("contact", 200, nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _int("version"),
        _pk("enterprise"),
        _fk("enterprise", "region_code", "region.code"),
        _unique("enterprise", "credit_code"),
        _check("enterprise", "credit_code_len", "length(credit_code) = 18"),
    )
    _index("enterprise", "region_code")
    _index("enterprise", "industry_code")
    op.create_table(
        "site",
        _id(),
        _int("enterprise_id"),
        _str("name", 200),
        _str("address", 300, nullable=True),
        _pk("site"),
        _fk("site", "enterprise_id", "enterprise.id"),
    )
    _index("site", "enterprise_id")
    op.create_table(
        "production_unit",
        _id(),
        _int("enterprise_id"),
        _int("site_id", nullable=True),
        _str("name", 200),
        _str("field", 100),
        _str("product", 200),
        _str("benchmark_row_id", 32, nullable=True),
        _float("capacity"),
        _str("capacity_unit", 32),
        _pk("production_unit"),
        _fk("production_unit", "enterprise_id", "enterprise.id"),
        _fk("production_unit", "site_id", "site.id"),
    )
    _index("production_unit", "enterprise_id")
    _index("production_unit", "site_id")

    # period_report and period_report_version reference each other. SQLite accepts a forward reference
    # (and cannot add a foreign key later); PostgreSQL gets the constraint once both tables exist.
    current_version_fk = [_fk("period_report", "current_version_id", "period_report_version.id")]
    op.create_table(
        "period_report",
        _id(),
        _int("enterprise_id"),
        _str("period_kind", 8),
        _int("year"),
        _int("period"),
        _str("state", 16),
        _int("version"),
        _int("current_version_id", nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        _ts("created_at"),
        _ts("submitted_at", nullable=True),
        _ts("approved_at", nullable=True),
        _pk("period_report"),
        _fk("period_report", "enterprise_id", "enterprise.id"),
        *(current_version_fk if sqlite else []),
        _unique("period_report", "enterprise_id", "period_kind", "year", "period"),
        _check("period_report", "period_kind_known", PERIOD_KIND_KNOWN),
        _check("period_report", "period_in_range", PERIOD_RANGE),
        _check(
            "period_report",
            "state_known",
            "state IN ('draft', 'submitted', 'returned', 'approved', 'locked')",
        ),
    )
    _index("period_report", "enterprise_id", "year", name="ix_period_report_enterprise_year")
    op.create_table(
        "period_report_version",
        _id(),
        _int("report_id"),
        _int("version"),
        _ts("created_at"),
        _int("created_by", nullable=True),
        _str("content_hash", 64),
        sa.Column("computed", sa.JSON(), nullable=False),
        _pk("period_report_version"),
        _fk("period_report_version", "report_id", "period_report.id"),
        _fk("period_report_version", "created_by", "user_account.id"),
        _unique("period_report_version", "report_id", "version"),
    )
    if not sqlite:
        op.create_foreign_key(
            op.f("fk_period_report_current_version_id_period_report_version"),
            "period_report",
            "period_report_version",
            ["current_version_id"],
            ["id"],
        )
    op.create_table(
        "energy_line",
        _id(),
        _int("version_id"),
        _str("carrier_id", 64),
        _float("quantity"),
        _str("unit", 32),
        _str("use", 16),
        _float("ncv", nullable=True),
        _str("ncv_unit", 32, nullable=True),
        _float("reported_tce", nullable=True),
        _pk("energy_line"),
        _fk("energy_line", "version_id", "period_report_version.id", ondelete="CASCADE"),
        _check("energy_line", "use_known", "use IN ('fuel', 'feedstock', 'conversion', 'sold')"),
    )
    _index("energy_line", "version_id")
    op.create_table(
        "output_line",
        _id(),
        _int("version_id"),
        _int("production_unit_id", nullable=True),
        _str("product", 200),
        _str("benchmark_row_id", 32, nullable=True),
        _float("quantity"),
        _str("unit", 32),
        _float("reported_unit_consumption", nullable=True),
        _str("unit_consumption_unit", 64, nullable=True),
        _pk("output_line"),
        _fk("output_line", "version_id", "period_report_version.id", ondelete="CASCADE"),
        _fk("output_line", "production_unit_id", "production_unit.id"),
    )
    _index("output_line", "version_id")
    op.create_table(
        "economics",
        _int("version_id"),
        _float("gross_output_10k_yuan", nullable=True),
        _float("value_added_10k_yuan", nullable=True),
        _float("sales_revenue_10k_yuan", nullable=True),
        _int("employees", nullable=True),
        _float("energy_cost_10k_yuan", nullable=True),
        _pk("economics", "version_id"),
        _fk("economics", "version_id", "period_report_version.id", ondelete="CASCADE"),
    )
    op.create_table(
        "report_review",
        _id(),
        _int("report_id"),
        _int("version"),
        _str("action", 16),
        sa.Column("comment", sa.Text(), nullable=True),
        _int("actor_user_id", nullable=True),
        _ts("at"),
        _pk("report_review"),
        _fk("report_review", "report_id", "period_report.id"),
        _fk("report_review", "actor_user_id", "user_account.id"),
        _check("report_review", "action_known", "action IN ('submit', 'return', 'approve', 'lock', 'reopen')"),
    )
    _index("report_review", "report_id")
    op.create_table(
        "reporting_period",
        _id(),
        _str("region_code", 6),
        _str("period_kind", 8),
        _int("year"),
        _int("period"),
        sa.Column("deadline", sa.Date(), nullable=False),
        _pk("reporting_period"),
        _fk("reporting_period", "region_code", "region.code"),
        _unique("reporting_period", "region_code", "period_kind", "year", "period"),
        _check("reporting_period", "period_kind_known", PERIOD_KIND_KNOWN),
        _check("reporting_period", "period_in_range", PERIOD_RANGE),
    )

    op.create_table(
        "catalog",
        _id(),
        _str("region_code", 6),
        _str("edition", 8),
        _str("half", 7),
        _str("basis", 8),
        _str("state", 16),
        _ts("created_at"),
        _ts("published_at", nullable=True),
        _str("snapshot_hash", 64, nullable=True),
        sa.Column("reference_versions", sa.JSON(), nullable=False),
        _int("supersedes_id", nullable=True),
        _int("issue_no"),
        _pk("catalog"),
        _fk("catalog", "region_code", "region.code"),
        _fk("catalog", "supersedes_id", "catalog.id"),
        _unique("catalog", "region_code", "edition", "half", "basis", "issue_no"),
        _check("catalog", "half_format", "length(half) = 7 AND substr(half, 5, 3) IN ('-H1', '-H2')"),
        _check("catalog", "basis_known", "basis IN ('policy', 'gb')"),
        _check("catalog", "state_known", "state IN ('draft', 'published', 'superseded')"),
    )
    _index("catalog", "region_code")
    op.create_table(
        "catalog_entry",
        _id(),
        _int("catalog_id"),
        _int("enterprise_id"),
        _int("production_unit_id", nullable=True),
        _int("report_version_id", nullable=True),
        _str("product", 200),
        _str("benchmark_row_id", 32),
        _float("value"),
        _str("unit", 64),
        _str("tier", 32),
        _float("gap_to_benchmark", nullable=True),
        _float("gap_to_baseline", nullable=True),
        _float("saving_to_benchmark_tce", nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        _pk("catalog_entry"),
        _fk("catalog_entry", "catalog_id", "catalog.id", ondelete="CASCADE"),
        _fk("catalog_entry", "enterprise_id", "enterprise.id"),
        _fk("catalog_entry", "production_unit_id", "production_unit.id"),
        _fk("catalog_entry", "report_version_id", "period_report_version.id"),
    )
    _index("catalog_entry", "catalog_id")
    _index("catalog_entry", "enterprise_id")
    op.create_table(
        "appeal",
        _id(),
        _int("catalog_entry_id"),
        _int("enterprise_id"),
        _str("state", 16),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        _int("expert_user_id", nullable=True),
        sa.Column("expert_opinion", sa.Text(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        _ts("filed_at"),
        _ts("decided_at", nullable=True),
        _int("corrected_catalog_id", nullable=True),
        _pk("appeal"),
        _fk("appeal", "catalog_entry_id", "catalog_entry.id"),
        _fk("appeal", "enterprise_id", "enterprise.id"),
        _fk("appeal", "expert_user_id", "user_account.id"),
        _fk("appeal", "corrected_catalog_id", "catalog.id"),
        _check("appeal", "state_known", "state IN ('filed', 'under_review', 'upheld', 'rejected')"),
    )
    _index("appeal", "catalog_entry_id")
    _index("appeal", "enterprise_id")

    op.create_table(
        "role_assignment",
        _id(),
        _int("user_id"),
        _str("role", 16),
        _str("region_code", 6, nullable=True),
        _int("enterprise_id", nullable=True),
        _pk("role_assignment"),
        _fk("role_assignment", "user_id", "user_account.id", ondelete="CASCADE"),
        _fk("role_assignment", "region_code", "region.code"),
        _fk("role_assignment", "enterprise_id", "enterprise.id"),
        _check(
            "role_assignment",
            "role_known",
            "role IN ('admin', 'regulator', 'reviewer', 'enterprise', 'agency', 'public')",
        ),
        _check("role_assignment", "single_scope", "region_code IS NULL OR enterprise_id IS NULL"),
    )
    _index("role_assignment", "user_id")
    op.create_table(
        "agency_assignment",
        _id(),
        _int("user_id"),
        _int("enterprise_id"),
        _pk("agency_assignment"),
        _fk("agency_assignment", "user_id", "user_account.id", ondelete="CASCADE"),
        _fk("agency_assignment", "enterprise_id", "enterprise.id"),
        _unique("agency_assignment", "user_id", "enterprise_id"),
    )
    _index("agency_assignment", "enterprise_id")
    op.create_table(
        "api_token",
        _id(),
        _int("user_id"),
        _str("name", 100),
        _str("token_hash", 64),
        _str("prefix", 8),
        _str("scopes", 500),
        _ts("created_at"),
        _ts("expires_at", nullable=True),
        _ts("revoked_at", nullable=True),
        _ts("last_used_at", nullable=True),
        _pk("api_token"),
        _fk("api_token", "user_id", "user_account.id", ondelete="CASCADE"),
        _unique("api_token", "token_hash"),
    )
    _index("api_token", "user_id")

    op.create_table(
        "audit_log",
        _id(),
        _ts("at"),
        _str("actor", 64),
        _str("action", 64),
        _str("entity", 64),
        _str("entity_id", 64),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        _str("prev_hash", 64),
        _str("row_hash", 64),
        _pk("audit_log"),
        _unique("audit_log", "prev_hash"),
        _unique("audit_log", "row_hash"),
        sqlite_autoincrement=True,
    )
    _index("audit_log", "at")
    _index("audit_log", "entity", "entity_id", name="ix_audit_log_entity")
    for statement in SQLITE_AUDIT_TRIGGERS if sqlite else POSTGRESQL_AUDIT_TRIGGERS:
        op.execute(statement)

    op.create_table(
        "job",
        _id(),
        _str("kind", 64),
        _str("state", 16),
        _ts("created_at"),
        _ts("started_at", nullable=True),
        _ts("finished_at", nullable=True),
        _float("progress"),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        _int("created_by", nullable=True),
        _pk("job"),
        _fk("job", "created_by", "user_account.id"),
        _check("job", "state_known", "state IN ('queued', 'running', 'done', 'failed')"),
    )
    _index("job", "state", "created_at", name="ix_job_state_created_at")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_table("job")
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.drop_table("audit_log")
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS dualcarbon_audit_log_append_only()")
    for table in ("api_token", "agency_assignment", "role_assignment", "appeal", "catalog_entry"):
        op.drop_table(table)
    op.execute("UPDATE catalog SET supersedes_id = NULL")
    op.drop_table("catalog")
    for table in ("reporting_period", "report_review", "economics", "output_line", "energy_line"):
        op.drop_table(table)
    op.execute("UPDATE period_report SET current_version_id = NULL")
    if not sqlite:
        op.drop_constraint(
            op.f("fk_period_report_current_version_id_period_report_version"), "period_report", "foreignkey"
        )
    for table in ("period_report_version", "period_report", "production_unit", "site", "enterprise"):
        op.drop_table(table)
    op.execute("UPDATE region SET parent_code = NULL")
    for table in ("region", "user_account"):
        op.drop_table(table)
