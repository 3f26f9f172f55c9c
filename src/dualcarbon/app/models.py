"""Every table of every subject, registered on ``Base.metadata`` by importing this module.

Each subject defines its tables in its own ``models.py``; the store's own (audit log, jobs) are in
``dualcarbon.store.models``. Schema comparisons (tests/store/test_migrations.py) and Alembic autogenerate
import this module so that the metadata holds the whole schema; add a new subject's models here.
"""

from dualcarbon.accounts.models import AgencyAssignment, ApiToken, RoleAssignment, User
from dualcarbon.catalog.models import Appeal, Catalog, CatalogEntry
from dualcarbon.monitoring.models import Meter, MeterReading, ReadingConflict
from dualcarbon.registry.models import (
    Enterprise,
    ProductionUnit,
    Region,
    Site,
    descendant_codes,
    in_region_subtree,
    subtree_codes,
)
from dualcarbon.reports.models import (
    Economics,
    EnergyLine,
    ImmutableVersionError,
    OutputLine,
    PeriodReport,
    PeriodReportVersion,
    ReportingPeriod,
    ReportReview,
    content_hash_of,
)
from dualcarbon.store.base import Base, UTCDateTime, utcnow
from dualcarbon.store.models import AuditLog, Job

__all__ = [
    "AgencyAssignment",
    "ApiToken",
    "Appeal",
    "AuditLog",
    "Base",
    "Catalog",
    "CatalogEntry",
    "Economics",
    "EnergyLine",
    "Enterprise",
    "ImmutableVersionError",
    "Job",
    "Meter",
    "MeterReading",
    "OutputLine",
    "PeriodReport",
    "PeriodReportVersion",
    "ProductionUnit",
    "ReadingConflict",
    "Region",
    "ReportReview",
    "ReportingPeriod",
    "RoleAssignment",
    "Site",
    "UTCDateTime",
    "User",
    "content_hash_of",
    "descendant_codes",
    "in_region_subtree",
    "subtree_codes",
    "utcnow",
]
