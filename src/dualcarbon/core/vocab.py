"""The platform's closed vocabularies, each defined once: tiers, grades, energy uses, states, roles.

Each vocabulary is a ``Literal`` type (mypy checks every value and every comparison) with the tuple of its
values derived from it, plus Chinese and English labels where users see it. Values are plain strings
because they travel unchanged through JSON, SQL CHECK constraints, Polars frames and Excel sheets; see
docs/decisions/0009-vocabulary-as-literals.md for why these are ``Literal`` types rather than ``Enum``
classes.
"""

from __future__ import annotations

from typing import Literal, get_args

# ---- the organisation ----------------------------------------------------------------------------------
RegionLevel = Literal["province", "city", "district"]
Role = Literal["admin", "regulator", "reviewer", "enterprise", "agency", "public"]
Language = Literal["zh", "en"]

REGION_LEVELS: tuple[RegionLevel, ...] = get_args(RegionLevel)
ROLES: tuple[Role, ...] = get_args(Role)
LANGUAGES: tuple[Language, ...] = get_args(Language)

# ---- period reports (能源利用状况报告) -------------------------------------------------------------------
PeriodKind = Literal["year", "quarter", "month"]
ReportState = Literal["draft", "submitted", "returned", "approved", "locked"]
ReviewAction = Literal["submit", "return", "approve", "lock", "reopen"]
#: GB/T 2589 use of an energy line: burnt as fuel, raw material, converted (e.g. coal to power), sold on.
EnergyUse = Literal["fuel", "feedstock", "conversion", "sold"]

PERIOD_KINDS: tuple[PeriodKind, ...] = get_args(PeriodKind)
REPORT_STATES: tuple[ReportState, ...] = get_args(ReportState)
REVIEW_ACTIONS: tuple[ReviewAction, ...] = get_args(ReviewAction)
ENERGY_USES: tuple[EnergyUse, ...] = get_args(EnergyUse)

# ---- efficiency tiers and the catalog (能效清单目录) -------------------------------------------------------
#: ``policy``: the 标杆/基准 values of the national policy tables; ``gb``: the 1-3级 grades of the GB limit standards.
CatalogBasis = Literal["policy", "gb"]
PolicyTier = Literal["benchmark", "between", "below_baseline"]
GradeTier = Literal["grade_1", "grade_2", "grade_3", "fails_limit"]
Tier = PolicyTier | GradeTier
#: An entry that cannot be placed because a reference value (or a reported figure) is missing.
Undetermined = Literal["undetermined"]
UNDETERMINED: Undetermined = "undetermined"
CatalogState = Literal["draft", "published", "superseded"]
AppealState = Literal["filed", "under_review", "upheld", "rejected"]
AppealDecision = Literal["upheld", "rejected"]
PublicList = Literal["advanced", "backward"]

CATALOG_BASES: tuple[CatalogBasis, ...] = get_args(CatalogBasis)
POLICY_TIERS: tuple[PolicyTier, ...] = get_args(PolicyTier)
GRADE_TIERS: tuple[GradeTier, ...] = get_args(GradeTier)
TIERS_BY_BASIS: dict[str, tuple[str, ...]] = {"policy": POLICY_TIERS, "gb": GRADE_TIERS}
#: Display and sort order of every tier, both bases, then 无法判定.
TIER_ORDER: tuple[str, ...] = (*POLICY_TIERS, *GRADE_TIERS, UNDETERMINED)
#: 先进名单 (advanced list) and 落后名单 (backward list): the best and the failing tier of each basis.
ADVANCED_TIERS: tuple[Tier, ...] = ("benchmark", "grade_1")
BACKWARD_TIERS: tuple[Tier, ...] = ("below_baseline", "fails_limit")
LIST_TIERS: dict[str, tuple[Tier, ...]] = {"advanced": ADVANCED_TIERS, "backward": BACKWARD_TIERS}
CATALOG_STATES: tuple[CatalogState, ...] = get_args(CatalogState)
APPEAL_STATES: tuple[AppealState, ...] = get_args(AppealState)

TIER_ZH: dict[str, str] = {
    "benchmark": "能效标杆水平以上",
    "between": "介于标杆和基准之间",
    "below_baseline": "能效基准水平以下",
    "grade_1": "1级",
    "grade_2": "2级",
    "grade_3": "3级",
    "fails_limit": "未达到3级限定值",
    UNDETERMINED: "无法判定",
}
TIER_EN: dict[str, str] = {
    "benchmark": "at or better than benchmark",
    "between": "between benchmark and baseline",
    "below_baseline": "below baseline",
    "grade_1": "grade 1",
    "grade_2": "grade 2",
    "grade_3": "grade 3",
    "fails_limit": "fails the grade-3 limit",
    UNDETERMINED: "cannot be classified",
}
BASIS_ZH: dict[str, str] = {"policy": "标杆/基准水平（政策）", "gb": "能耗限额标准等级（GB）"}
CATALOG_STATE_ZH: dict[str, str] = {"draft": "草稿", "published": "已发布", "superseded": "已被更正版替代"}

# ---- background jobs -----------------------------------------------------------------------------------
JobState = Literal["queued", "running", "done", "failed"]
JOB_STATES: tuple[JobState, ...] = get_args(JobState)

# ---- audits, diagnoses and the project library (节能诊断/能源审计, 项目库) -------------------------------------
#: GB/T 17166 energy audit (能源审计) or an energy-saving diagnosis (节能诊断).
AuditKind = Literal["audit", "diagnosis"]
AuditState = Literal["draft", "submitted", "returned", "accepted"]
#: GB/T 17166 energy balance stage: 购入贮存 input, 加工转换 conversion, 输送分配 distribution, 终端使用 end use.
BalanceStage = Literal["input", "conversion", "distribution", "end_use"]
ProjectType = Literal[
    "process", "equipment", "waste_heat", "motor_system", "photovoltaic", "storage", "energy_centre", "other"
]
ProjectState = Literal["proposed", "approved", "in_progress", "completed", "verified", "overdue", "exited"]
ProjectOrigin = Literal["measure", "catalog_entry", "direct"]

AUDIT_KINDS: tuple[AuditKind, ...] = get_args(AuditKind)
AUDIT_STATES: tuple[AuditState, ...] = get_args(AuditState)
BALANCE_STAGES: tuple[BalanceStage, ...] = get_args(BalanceStage)
PROJECT_TYPES: tuple[ProjectType, ...] = get_args(ProjectType)
PROJECT_STATES: tuple[ProjectState, ...] = get_args(ProjectState)
PROJECT_ORIGINS: tuple[ProjectOrigin, ...] = get_args(ProjectOrigin)

AUDIT_KIND_ZH: dict[str, str] = {"audit": "能源审计", "diagnosis": "节能诊断"}
AUDIT_STATE_ZH: dict[str, str] = {"draft": "草稿", "submitted": "已提交", "returned": "已退回", "accepted": "已验收"}
BALANCE_STAGE_ZH: dict[str, str] = {
    "input": "购入贮存",
    "conversion": "加工转换",
    "distribution": "输送分配",
    "end_use": "终端使用",
}
PROJECT_TYPE_ZH: dict[str, str] = {
    "process": "工艺",
    "equipment": "设备",
    "waste_heat": "余热余压",
    "motor_system": "电机系统",
    "photovoltaic": "光伏",
    "storage": "储能",
    "energy_centre": "能源管理中心",
    "other": "其他",
}
PROJECT_STATE_ZH: dict[str, str] = {
    "proposed": "拟实施",
    "approved": "已批准",
    "in_progress": "实施中",
    "completed": "已完成",
    "verified": "已核定节能量",
    "overdue": "已逾期",
    "exited": "已退出",
}
PROJECT_ORIGIN_ZH: dict[str, str] = {"measure": "诊断/审计措施", "catalog_entry": "基准以下清单", "direct": "直接录入"}
