"""Typed results of the catalog services: what the API returns and the pages and the command line read.

Catalogs, entries, the review screen, the verification of a snapshot, a diff, appeals, the public lists and
the obligations list. The API returns them as they are (``response_model``); the pages and the command line
read their attributes. JSON keys are the API's contract: do not rename fields. Times are ISO 8601 strings
(``datetime.isoformat()``), as the API has always written them. The stored JSON documents (an entry's
evidence, an appeal's evidence) are in :mod:`dualcarbon.catalog.schemas_evidence`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from dualcarbon.catalog.schemas_evidence import AppealEvidence, Evidence
from dualcarbon.core.vocab import AppealState, CatalogBasis, CatalogState

__all__ = ["AppealEvidence", "Evidence"]  # the stored documents, as parts of the results below

ListKind = Literal["advanced", "backward"]
#: A column value compared by the verification (tier and unit are text, the figures numbers).
ColumnValue = str | float | None


class Schema(BaseModel):
    """A result handed out by a catalog service."""

    model_config = ConfigDict(extra="forbid")


# ---- catalogs and entries ------------------------------------------------------------------------------
class CatalogOut(Schema):
    """A catalog as the API and the screens show it, with its counts per tier (only tiers that occur)."""

    id: int
    region_code: str
    edition: str
    half: str
    basis: CatalogBasis
    basis_zh: str
    state: CatalogState
    state_zh: str
    issue_no: int | None = Field(description="issue number; null for a draft")
    created_at: str
    published_at: str | None
    snapshot_hash: str | None
    reference_versions: dict[str, str]
    supersedes_id: int | None
    counts: dict[str, int]
    total: int


class CatalogView(CatalogOut):
    """A catalog as one caller sees it: ``full_view`` False when only some entries are theirs to see."""

    full_view: bool


class SkippedLine(Schema):
    """An output line left out of a generated catalog, and why."""

    report_id: int
    version: int
    output_line_id: int
    product: str
    reason: str


class GeneratedCatalog(CatalogOut):
    """The draft a generation made: the catalog, the report year used, its inputs and the skipped lines."""

    data_year: int
    input_versions: int
    regenerated: bool
    skipped: list[SkippedLine]
    decisions_carried: int = Field(
        default=0, description="entries holding an upheld appeal's figures (the inputs it judged are unchanged)"
    )
    decisions_needing_review: int = Field(
        default=0, description="entries whose earlier decision met changed inputs: shown for review, not applied"
    )


class UndeterminedReason(Schema):
    """Why an entry is 无法判定, and what fixes it (which reference row is blank, how to import it)."""

    reason_zh: str = Field(description="the reason in one sentence, Chinese first")
    message: str | None = Field(description="the error recorded when the entry was classified")
    row_id: str | None = Field(description="the benchmark row the entry was classified against")
    table: str | None = Field(description="the reference table holding that row")
    missing: list[str] = Field(description="the blank values of that row the basis needs (标杆水平, 3级限定值 …)")
    hint: str = Field(description="what fixes it, e.g. the reference import command")


class CatalogEntryOut(Schema):
    """One entry of a catalog: the enterprise, the product line, its figure, tier and gaps."""

    id: int
    catalog_id: int
    credit_code: str
    enterprise_name: str
    region_code: str
    production_unit_id: int | None
    report_version_id: int | None
    field: str | None = Field(description="key field (重点领域) of the benchmark row")
    product: str
    benchmark_row_id: str
    value: float
    unit: str
    tier: str
    tier_zh: str
    gap_to_benchmark: float | None = Field(
        description="gap to the upper reference of the basis: 与标杆水平差距 (policy) or 与1级差距 (gb)"
    )
    gap_to_baseline: float | None = Field(
        description="gap to the lower reference of the basis: 与基准水平差距 (policy) or 与3级限定值差距 (gb)"
    )
    saving_to_benchmark_tce: float | None = Field(
        description="saving (tce/a) to reach the upper reference: 标杆水平 (policy) or 1级 (gb)"
    )
    uses_unverified: bool
    message: str | None = Field(description="why the entry could not be classified (tier undetermined)")
    undetermined: UndeterminedReason | None = Field(
        default=None, description="for a 无法判定 entry: the blank reference row and how to import it"
    )
    decision_state: Literal["carried", "needs_review", "reviewed"] | None = Field(
        default=None,
        description="an earlier upheld appeal on this line: carried (inputs unchanged) or needs_review "
        "(inputs changed; the decided figures are in decision_note and evidence.decision) or reviewed (those "
        "changed inputs were published once with the decision shown)",
    )
    decision_state_zh: str | None = None
    decision_note: str | None = Field(default=None, description="the earlier decision in one sentence")


class CatalogEntryDetail(CatalogEntryOut):
    """An entry with its evidence (inputs, reference values and rule trace)."""

    evidence: Evidence


class DistrictCounts(Schema):
    region_code: str
    region_name: str
    counts: dict[str, int]
    total: int


class CatalogReview(Schema):
    """The review screen: the catalog, one page of filtered entries, counts per tier and per district."""

    catalog: CatalogView
    counts_by_tier: dict[str, int]
    counts_by_district: list[DistrictCounts]
    unverified_entries: int = Field(description="entries resting on unverified reference values")
    decisions_needing_review: int = Field(
        default=0, description="entries whose earlier decision (upheld appeal) met changed inputs"
    )
    items: list[CatalogEntryDetail]
    total: int
    limit: int
    offset: int


# ---- verification and diff -----------------------------------------------------------------------------
class InputProblem(Schema):
    """An input report version whose content no longer matches its stored hash."""

    report_version_id: int
    stored_hash: str | None
    content_hash: str


class EntryProblem(Schema):
    """An entry that could not be computed again, and why."""

    entry_id: int
    problem: str


class FieldMismatch(Schema):
    """A column of an entry whose stored value differs from the one computed again."""

    entry_id: int
    field: str
    stored: ColumnValue
    recomputed: ColumnValue


class SnapshotCheck(Schema):
    """Whether a published catalog reproduces: hash, inputs, reference versions and re-classification."""

    catalog_id: int
    matches: bool
    hash_matches: bool
    stored_hash: str | None
    recomputed_hash: str
    input_problems: list[InputProblem]
    reference_versions: dict[str, str]
    current_reference_versions: dict[str, str]
    reference_versions_match: bool
    reclassified: int
    reclassification_mismatches: list[FieldMismatch | EntryProblem]
    note: str | None


class EntrySummary(Schema):
    """An entry as a diff lists it."""

    entry_id: int
    credit_code: str
    enterprise_name: str
    product: str
    benchmark_row_id: str
    tier: str
    tier_zh: str
    value: float
    unit: str


class EntrySide(Schema):
    """One side (before or after) of a changed entry."""

    entry_id: int
    tier: str
    tier_zh: str
    value: float
    unit: str


class ChangedEntry(EntrySummary):
    tier_changed: bool
    before: EntrySide
    after: EntrySide


class CatalogDiff(Schema):
    """Entries added, removed and changed in ``catalog_id`` against ``against_id`` (null: nothing before)."""

    catalog_id: int
    against_id: int | None
    added: list[EntrySummary]
    removed: list[EntrySummary]
    changed: list[ChangedEntry]
    unchanged: int


# ---- appeals -------------------------------------------------------------------------------------------
class AppealOut(Schema):
    """An appeal with the entry it is against and where the workflow stands."""

    id: int
    catalog_id: int
    entry_id: int
    credit_code: str
    enterprise_name: str
    product: str
    benchmark_row_id: str
    value: float
    unit: str
    tier: str
    tier_zh: str
    state: AppealState
    state_zh: str
    reason: str
    evidence: AppealEvidence
    expert: str | None
    expert_opinion: str | None
    decision: str | None
    filed_at: str
    decided_at: str | None
    corrected_catalog_id: int | None


# ---- public lists --------------------------------------------------------------------------------------
class PublicCatalog(Schema):
    """A catalog in force as the public sees it."""

    id: int
    region_code: str
    region_name: str | None
    edition: str
    half: str
    basis: CatalogBasis
    basis_zh: str
    issue_no: int
    published_at: str | None
    counts: dict[str, int]


class PublicListItem(Schema):
    enterprise_name: str
    credit_code: str
    product: str
    tier: str
    tier_zh: str


class PublicList(Schema):
    """One page of a catalog's advanced (能效先进) or backward (能效落后) list."""

    # the route writes the model itself (``typed_json``), so the documented name ``list`` must be the dump's too
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    catalog: PublicCatalog
    kind: ListKind = Field(validation_alias=AliasChoices("list", "kind"), serialization_alias="list")
    list_zh: str
    items: list[PublicListItem]
    total: int
    limit: int
    offset: int


# ---- obligations ---------------------------------------------------------------------------------------
class ConditionCheckOut(Schema):
    fact: str
    condition: str
    value: bool | float | None
    met: bool | None


class RuleSource(Schema):
    document: str
    clause: str
    text: str
    clause_en: str | None = None  # the pack's English renderings of clause and text (the Chinese governs)
    text_en: str | None = None


class FindingOut(Schema):
    """One obligation of one enterprise: the rule, its status, the conditions as tested and the clause."""

    obligation: str
    obligation_zh: str
    title_zh: str
    status: str
    status_zh: str
    rule_id: str
    pack_id: str
    checks: list[ConditionCheckOut]
    missing_facts: list[str]
    source: RuleSource


class EnterpriseObligations(Schema):
    credit_code: str
    name: str
    region_code: str
    region_name: str | None
    annual_energy_tce: float | None
    report_id: int | None
    report_version: int | None
    note: str | None = Field(description="why the consumption is missing (no approved annual report …)")
    obligations: list[FindingOut]


class PackSummary(Schema):
    id: str
    title_zh: str
    jurisdiction: str
    document: str
    number: str


class ObligationsList(Schema):
    """The obligations of every enterprise of a region for one report year under one policy pack."""

    region_code: str
    year: int
    basis: str
    basis_zh: str
    pack: PackSummary
    items: list[EnterpriseObligations]
    total: int
