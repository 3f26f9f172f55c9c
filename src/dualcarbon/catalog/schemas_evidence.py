"""Typed forms of the JSON documents the catalog subject keeps in its columns.

* :class:`Evidence` — ``CatalogEntry.evidence``: the inputs and rule trace behind an entry;
* :class:`AppealEvidence` — ``Appeal.evidence``: what an enterprise sends with its appeal.

Read them with ``Evidence.model_validate(entry.evidence)``; write them with ``.model_dump()``. They serialise
only the keys that were given (read, or passed when built), so a document read and written again keeps its
exact keys: the snapshot hash of a published catalog covers the stored evidence, and the API has always
returned it verbatim. Keys a model does not know are ignored on reading (older documents still load).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic_core import PydanticCustomError

InputSource = Literal["reported", "computed", "appeal"]
#: How a decision (an upheld appeal) reached a generated entry: applied as decided, shown for review, or
#: met inputs that were already published once with it shown for review.
DecisionState = Literal["carried", "needs_review", "reviewed"]


def _finite_number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PydanticCustomError("finite_number", "must be a finite number, got {got}", {"got": repr(value)})
    return value


#: A JSON number as sent (an integer stays an integer), finite, never a boolean or a numeric string.
FiniteNumber = Annotated[int | float, BeforeValidator(_finite_number)]


class StoredJson(BaseModel):
    """A JSON document kept in a column: serialises only the keys it was given (read or built with).

    Keys the model does not know are ignored on reading, so an older document still loads.
    """

    model_config = ConfigDict(extra="ignore")

    # No return annotation on purpose: pydantic then keeps the model's own JSON schema for the API docs.
    @model_serializer(mode="wrap")
    def _given_keys_only(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data = handler(self)
        return {key: value for key, value in data.items() if key in self.model_fields_set}


# ---- the evidence of an entry --------------------------------------------------------------------------
class EvidenceReport(StoredJson):
    """The annual report version an entry was computed from."""

    id: int
    year: int
    version_id: int
    version: int
    content_hash: str | None = None


class EvidenceOutput(StoredJson):
    """The output of the product line (annual quantity and its unit)."""

    quantity: float | None = None
    unit: str | None = None


class EvidenceInput(StoredJson):
    """The unit consumption classified: ``reported`` on the line, ``computed`` by the report, or ``appeal``."""

    value: float
    unit: str | None = None
    source: InputSource


class EvidenceRow(StoredJson):
    """The benchmark row (reference table line) the entry was classified against."""

    id: str
    edition: str | None = None
    field: str | None = None
    product: str | None = None
    indicator: str | None = None
    unit: str | None = None


class EvidenceReference(StoredJson):
    """The reference values the basis used and their provenance.

    Policy basis: ``benchmark`` (标杆) and ``baseline`` (基准); GB basis: ``grade_1`` … ``grade_3`` and the
    limit ``standard``. ``verified`` is False when the values rest on an unverified source.
    """

    benchmark: float | None = None
    baseline: float | None = None
    grade_1: float | None = None
    grade_2: float | None = None
    grade_3: float | None = None
    standard: str | None = None
    source: str | None = None
    confidence: str | None = None
    verified: bool | None = None
    table: str | None = None
    version: str | None = None


class OriginalFigure(StoredJson):
    """The entry an upheld appeal corrected, as it was."""

    entry_id: int
    value: float
    unit: str
    tier: str
    input: EvidenceInput | None = None


class EvidenceAppeal(StoredJson):
    """The upheld appeal behind a corrected entry."""

    id: int | None = None
    reason: str | None = None
    decision: str | None = None
    documents: list[str] = Field(default_factory=list)
    original: OriginalFigure | None = None


class EvidenceDecision(StoredJson):
    """An earlier decision (upheld appeal) on this entry's line, met again by a later generation.

    ``carried``: the inputs the decision judged are unchanged (same ``fingerprint``), so the entry holds the
    decided figures. ``needs_review``: they changed (``changed`` names what: ``report``, ``reference``), so the
    entry holds what the new inputs give and the decided figures are kept here for the reviewer.
    ``reviewed``: the same changed inputs were already published once with the decision shown for review,
    so the entry holds what they give and is not flagged again.
    """

    state: DecisionState
    appeal_id: int
    corrected_catalog_id: int | None = None
    decided_entry_id: int
    decided_value: float
    decided_unit: str
    decided_tier: str
    fingerprint: str
    current_fingerprint: str | None = None
    changed: list[str] = Field(default_factory=list)


class Evidence(StoredJson):
    """Inputs and rule trace behind one catalog entry (``CatalogEntry.evidence``).

    An entry that could not be classified carries ``error`` and ``error_kind`` instead of the gaps. An
    entry a decision reached carries ``decision`` (see :class:`EvidenceDecision`).
    """

    report: EvidenceReport | None = None
    output_line_id: int | None = None
    output: EvidenceOutput | None = None
    input: EvidenceInput | None = None
    appeal: EvidenceAppeal | None = None
    row: EvidenceRow | None = None
    reference: EvidenceReference | None = None
    tier_zh: str | None = None
    gap_to_benchmark_pct: float | None = None
    gap_to_baseline_pct: float | None = None
    saving_to_baseline_tce: float | None = None
    electricity_row_id: str | None = None
    warnings: list[str] = Field(default_factory=list)
    unverified: list[str] = Field(default_factory=list)
    uses_unverified: bool = False
    error: str | None = None
    error_kind: str | None = None
    decision: EvidenceDecision | None = None


class AppealEvidence(StoredJson):
    """What an enterprise sends with its appeal (``Appeal.evidence``); other keys are kept as sent."""

    model_config = ConfigDict(extra="allow")

    corrected_value: FiniteNumber | None = Field(
        default=None, description="corrected unit consumption, in the entry's unit"
    )
    corrected_unit: str | None = Field(default=None, description="unit of corrected_value when not the entry's")
    corrected_output: FiniteNumber | None = Field(default=None, description="corrected annual output")
    corrected_output_unit: str | None = None
    documents: list[str] | None = Field(default=None, description="names of the supporting documents")
