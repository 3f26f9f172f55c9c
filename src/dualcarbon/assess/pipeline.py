"""The batch assessment as one call: read → validate → classify → (write), with timings and progress.

``assess_survey`` never drops a row silently: every input row ends up classified, undetermined (the
reference lacks the values the basis needs — the reason names the row and ``dualcarbon reference
import``) or in ``issues`` (bad input, with row, column and reason).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dualcarbon.assess.classify import ReferenceUse, classify_frame, electricity_coefficient, reference_uses
from dualcarbon.assess.energy import CoefficientUse
from dualcarbon.assess.reader import Survey, read_survey
from dualcarbon.assess.validate import Issue, validate_survey
from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.vocab import CatalogBasis as Basis
from dualcarbon.domain.products import ProductCatalog
from dualcarbon.reference import ConversionCoefficient, ReferenceSet
from dualcarbon.reference.citation import row_citation

COEFFICIENT_TABLE = "conversion_coefficients_gbt2589"

Progress = Callable[[str, int, int], None]
STAGES = ("read", "validate", "classify", "write")


@dataclass
class Assessment:
    """Outcome of assessing one survey (see module docstring)."""

    source: str
    edition: str
    basis: Basis
    classified: pl.DataFrame
    undetermined: pl.DataFrame
    issues: list[Issue]
    rows_total: int
    uses: dict[str, ReferenceUse]
    coefficients: list[CoefficientUse]
    electricity: ConversionCoefficient | None
    versions: dict[str, str]
    ignored_headers: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: coefficient row id → how a person cites it (``GB/T 2589 附录A``), for the 参考数据说明 sheet
    citations: dict[str, str] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        """True when some rows are bad or undetermined (nothing is written without --keep-going)."""
        return bool(self.issues) or not self.undetermined.is_empty()

    def tier_counts(self) -> dict[str, int]:
        counts = self.classified.group_by("tier").len()
        return {tier: int(n) for tier, n in counts.iter_rows()}


def assess_frame(
    survey: Survey,
    reference: ReferenceSet,
    *,
    edition: str = "2023",
    basis: Basis = "policy",
    progress: Progress | None = None,
    timings: dict[str, float] | None = None,
) -> Assessment:
    """Validate and classify an already-read survey."""
    if basis not in ("policy", "gb"):
        raise InvalidInput(f"must be 'policy' or 'gb', got '{basis}'", field="basis")
    timings = {} if timings is None else timings
    catalog = ProductCatalog.for_edition(reference, edition)
    started = time.perf_counter()
    validated = validate_survey(survey, catalog, reference)
    timings["validate"] = time.perf_counter() - started
    if progress:
        progress("validate", 1, 1)
    started = time.perf_counter()
    electricity = electricity_coefficient(reference)
    used_ids = set(validated.frame["row_id"].unique().to_list())
    uses = reference_uses([row for row in catalog.rows if row.row_id in used_ids], basis, electricity)
    classified, undetermined = classify_frame(validated.frame, uses, basis)
    counts = validated.frame.group_by("row_id").len()
    for row_id, n in counts.iter_rows():
        use = uses[row_id]
        uses[row_id] = ReferenceUse(
            use.row, use.reason, use.warnings, use.unverified, use.tce_per_numerator, use.electricity_row, int(n)
        )
    timings["classify"] = time.perf_counter() - started
    if progress:
        progress("classify", 1, 1)
    coefficient_ids = {use.row_id for use in validated.coefficients} | (
        {electricity.row_id} if isinstance(electricity, ConversionCoefficient) else set()
    )
    citations = {row_id: row_citation(reference, COEFFICIENT_TABLE, row_id) for row_id in coefficient_ids}
    return Assessment(
        source=survey.source,
        edition=edition,
        basis=basis,
        classified=classified,
        undetermined=undetermined,
        issues=validated.issues,
        rows_total=validated.rows_total,
        uses=uses,
        coefficients=validated.coefficients,
        electricity=electricity if isinstance(electricity, ConversionCoefficient) else None,
        versions=reference.versions(),
        ignored_headers=survey.ignored_headers,
        timings=timings,
        citations=citations,
    )


def assess_survey(
    path: Path,
    reference: ReferenceSet,
    *,
    edition: str = "2023",
    basis: Basis = "policy",
    progress: Progress | None = None,
) -> Assessment:
    """Read ``path`` (.xlsx/.csv) and assess it; see :func:`assess_frame`."""
    started = time.perf_counter()
    survey = read_survey(path)
    timings = {"read": time.perf_counter() - started}
    if progress:
        progress("read", 1, 1)
    return assess_frame(survey, reference, edition=edition, basis=basis, progress=progress, timings=timings)
