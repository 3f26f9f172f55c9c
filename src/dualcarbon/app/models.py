"""Every table of every subject, registered on ``Base.metadata`` by importing this module.

Each subject defines its tables in its own ``models.py``; the store's own (audit log, jobs) are in
``dualcarbon.store.models``. Schema comparisons (tests/store/test_migrations.py) and Alembic autogenerate
import this module so that the metadata holds the whole schema; add a new subject's models here.
"""

from dualcarbon.accounts.models import AgencyAssignment, ApiToken, RoleAssignment, User
from dualcarbon.alerts.models import (
    Alert,
    AlertDelivery,
    AlertEvent,
    AlertSubscription,
    EnergyBudget,
    UploadMessage,
)
from dualcarbon.assets.models import AssetReportedMonth, Datacentre, GreenDesignation, PvAsset, StorageAsset
from dualcarbon.audits.models import AcceptanceItem, Agency, AgencyEnterprise, AgencyMember, AuditMeasure, AuditReport
from dualcarbon.catalog.models import Appeal, Catalog, CatalogEntry
from dualcarbon.equipment.models import EquipmentItem, ObsoleteRule, Technology, WasteHeatPoint
from dualcarbon.footprint.models import FootprintStudy
from dualcarbon.monitoring.models import Meter, MeterReading, ReadingConflict
from dualcarbon.monitoring.store_cost import MonitoringCost
from dualcarbon.monitoring.store_rollups import MonitoringRollup, MonitoringRollupDirty
from dualcarbon.policy.models import PolicyPackVersion
from dualcarbon.projects.models import (
    MvAdjustment,
    ProjectDocument,
    ProjectMilestone,
    RetrofitPlan,
    RetrofitProject,
)
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
from dualcarbon.store.generation import GenerationCounter
from dualcarbon.store.models import AuditLog, Job
from dualcarbon.subsidies.models import (
    BudgetPool,
    ElectricitySurcharge,
    SubsidyApplication,
    SubsidyClaim,
    SubsidyPayment,
)
from dualcarbon.targets.models import ConstructionProject, PolicyTarget, PolicyTargetYear, ScreeningEntry

__all__ = [
    "AcceptanceItem",
    "Agency",
    "AgencyAssignment",
    "AgencyEnterprise",
    "AgencyMember",
    "Alert",
    "AlertDelivery",
    "AlertEvent",
    "AlertSubscription",
    "ApiToken",
    "Appeal",
    "AssetReportedMonth",
    "AuditLog",
    "AuditMeasure",
    "AuditReport",
    "Base",
    "BudgetPool",
    "Catalog",
    "CatalogEntry",
    "ConstructionProject",
    "Datacentre",
    "Economics",
    "ElectricitySurcharge",
    "EnergyBudget",
    "EnergyLine",
    "Enterprise",
    "EquipmentItem",
    "FootprintStudy",
    "GenerationCounter",
    "GreenDesignation",
    "ImmutableVersionError",
    "Job",
    "Meter",
    "MeterReading",
    "MonitoringCost",
    "MonitoringRollup",
    "MonitoringRollupDirty",
    "MvAdjustment",
    "ObsoleteRule",
    "OutputLine",
    "PeriodReport",
    "PeriodReportVersion",
    "PolicyPackVersion",
    "PolicyTarget",
    "PolicyTargetYear",
    "ProductionUnit",
    "ProjectDocument",
    "ProjectMilestone",
    "PvAsset",
    "ReadingConflict",
    "Region",
    "ReportReview",
    "ReportingPeriod",
    "RetrofitPlan",
    "RetrofitProject",
    "RoleAssignment",
    "ScreeningEntry",
    "Site",
    "StorageAsset",
    "SubsidyApplication",
    "SubsidyClaim",
    "SubsidyPayment",
    "Technology",
    "UTCDateTime",
    "UploadMessage",
    "User",
    "WasteHeatPoint",
    "content_hash_of",
    "descendant_codes",
    "in_region_subtree",
    "subtree_codes",
    "utcnow",
]
