"""All store models in one import: ``from dualcarbon.store.models import Enterprise, PeriodReport, …``.

The tables are defined by subject in ``models_registry``, ``models_reports``, ``models_catalog``,
``models_security`` and ``models_ops``; importing this module registers every table on ``Base.metadata``.
"""

from dualcarbon.accounts.models import AgencyAssignment, ApiToken, RoleAssignment, User
from dualcarbon.catalog.models import Appeal, Catalog, CatalogEntry
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
    "OutputLine",
    "PeriodReport",
    "PeriodReportVersion",
    "ProductionUnit",
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
