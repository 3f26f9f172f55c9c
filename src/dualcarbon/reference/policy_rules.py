"""The rules of a policy pack: facts, conditions on them, obligations, targets and per-year schedules.

A rule quotes the clause it encodes (:class:`Source`). A condition tests one *fact* about a unit
(:data:`FACTS`): a numeric range with explicit boundaries and a unit, or ``equals`` for a yes/no fact.
Every model validates itself (units parse and convert to the fact's unit, ranges are well ordered,
boundaries are stated). The pack that holds these rules and its loading: :mod:`dualcarbon.reference.policy`;
their evaluation: :mod:`dualcarbon.domain.obligations`.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from dualcarbon.core.errors import UnitMismatch
from dualcarbon.core.units import convert, parse_unit

FactKind = Literal["number", "boolean"]


class FactSpec(BaseModel):
    """A fact about a unit (or data centre) that a condition can test; numeric facts have a unit."""

    model_config = ConfigDict(frozen=True)

    kind: FactKind
    unit: str = ""
    description: str


FACTS: dict[str, FactSpec] = {
    "annual_energy_tce": FactSpec(
        kind="number",
        unit="tce/a",
        description="年综合能耗: annual comprehensive energy consumption of the legal unit (GB/T 2589), tce/a",
    ),
    "above_designated_size": FactSpec(
        kind="boolean", description="规模以上 (规上): an above-designated-size industrial enterprise"
    ),
    "designated_by_province": FactSpec(
        kind="boolean", description="named in the provincial list of key energy-using units (重点用能单位名单)"
    ),
    "land_area_mu": FactSpec(kind="number", unit="亩", description="实际用地: land actually used, in 亩"),
    "pue": FactSpec(kind="number", unit="1", description="power usage effectiveness of a data centre"),
    "rack_count": FactSpec(kind="number", unit="架", description="单体规模: racks of one data centre"),
    "years_in_operation": FactSpec(kind="number", unit="a", description="连续投产时间: years in operation"),
}

Subject = Literal["energy_using_unit", "data_centre"]
ObligationKind = Literal[
    "key_energy_using_unit",
    "energy_audit",
    "energy_saving_diagnosis",
    "energy_management_centre",
    "high_consumption_screening",
    "data_centre_consolidation",
]
Comparison = Literal["at_least", "at_most", "equals"]
_COUNT_UNITS = frozenset({"项", "家", "份", "架", "个"})


class PackModel(BaseModel):
    """Base of every pack model: unknown fields are errors, values are immutable, strings are stripped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


_Model = PackModel

_LATIN = re.compile(r"[A-Za-z]")


def _english_rendering(value: str | None) -> str | None:
    if value is not None and not _LATIN.search(value):
        raise ValueError("an English rendering (…_en) needs English words; give none rather than the Chinese again")
    return value


#: our English rendering of a Chinese field beside it (``title_en`` of ``title_zh``, ``text_en`` of ``text``): a
#: reader's aid on English pages; the Chinese original stays the text that governs. Absent: pages show the original.
EnglishRendering = Annotated[str | None, Field(default=None, min_length=1), AfterValidator(_english_rendering)]


class Source(_Model):
    """Where a rule comes from: the document, the clause, and the clause text quoted verbatim.

    ``clause_en`` / ``text_en``: our English rendering of ``clause`` / ``text`` for English pages (optional);
    the quoted original is what governs, and English pages show it beside the rendering.
    """

    clause: str = Field(min_length=1)
    text: str = Field(min_length=1)
    clause_en: EnglishRendering = None
    text_en: EnglishRendering = None
    document: str = ""
    url: str = ""
    confidence: str = ""
    note: str = ""

    def clause_in(self, language: str) -> str:
        """The clause for a reader of ``language``: the English rendering in ``en`` when given, else the original."""
        return self.clause_en if language == "en" and self.clause_en else self.clause

    def text_in(self, language: str) -> str:
        """The clause text for a reader of ``language``: the English rendering in ``en`` when given, else the text."""
        return self.text_en if language == "en" and self.text_en else self.text


def threshold_unit_ok(unit: str, fact_unit: str | None = None) -> None:
    """A threshold unit must parse (or be a count label) and, for a fact, convert to the fact's unit."""
    if fact_unit is not None and unit == fact_unit:
        return
    if unit in _COUNT_UNITS and fact_unit is None:
        return
    try:
        parse_unit(unit)
        if fact_unit is not None:
            convert(1.0, unit, fact_unit)
    except UnitMismatch as exc:
        raise ValueError(exc.message) from None


class Condition(_Model):
    """One test on a fact. Numeric: a range with stated boundaries and a unit. Boolean: ``equals``."""

    fact: str
    min: float | None = None
    min_inclusive: bool | None = None
    max: float | None = None
    max_inclusive: bool | None = None
    unit: str = ""
    equals: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Condition:
        spec = FACTS.get(self.fact)
        if spec is None:
            raise ValueError(f"unknown fact '{self.fact}' (known: {', '.join(FACTS)})")
        if spec.kind == "boolean":
            if self.equals is None or self.min is not None or self.max is not None:
                raise ValueError(f"'{self.fact}' is yes/no: give 'equals: true|false' only")
            return self
        if self.equals is not None:
            raise ValueError(f"'{self.fact}' is a number: give min/max, not 'equals'")
        if self.min is None and self.max is None:
            raise ValueError("give 'min' and/or 'max'")
        for bound, flag in (("min", self.min_inclusive), ("max", self.max_inclusive)):
            value = getattr(self, bound)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"'{bound}' must be a finite number")
            if value is not None and flag is None:
                raise ValueError(f"'{bound}' needs '{bound}_inclusive: true|false' (state the boundary)")
            if value is None and flag is not None:
                raise ValueError(f"'{bound}_inclusive' given without '{bound}'")
        if not self.unit:
            raise ValueError("a threshold needs its 'unit'")
        threshold_unit_ok(self.unit, spec.unit)
        if self.min is not None and self.max is not None:
            if self.min > self.max:
                raise ValueError(f"range not well ordered: min {self.min:g} > max {self.max:g}")
            if self.min == self.max and not (self.min_inclusive and self.max_inclusive):
                raise ValueError("range is empty (min = max with an exclusive boundary)")
        return self

    def describe(self) -> str:
        """Human-readable form, e.g. ``5000 tce/a ≤ annual_energy_tce < 10000 tce/a``."""
        if self.equals is not None:
            return f"{self.fact} = {'yes' if self.equals else 'no'}"
        unit = "" if self.unit == "1" else f" {self.unit}"
        parts = []
        if self.min is not None:
            parts.append(f"{self.min:g}{unit} {'≤' if self.min_inclusive else '<'} ")
        parts.append(self.fact)
        if self.max is not None:
            parts.append(f" {'≤' if self.max_inclusive else '<'} {self.max:g}{unit}")
        return "".join(parts)


class Requirement(_Model):
    """What the obligation asks for beyond doing it (e.g. an audit must find ≥ 5 % saving potential).

    ``text_en``: our English rendering of ``text_zh`` for English pages (optional; the Chinese governs).
    """

    id: str = Field(min_length=1)
    text_zh: str = Field(min_length=1)
    text_en: EnglishRendering = None
    comparison: Comparison | None = None
    value: float | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _valued(self) -> Requirement:
        if (self.value is None) != (self.comparison is None):
            raise ValueError("give both 'value' and 'comparison', or neither")
        if self.value is not None:
            if not self.unit:
                raise ValueError("a value needs its 'unit'")
            threshold_unit_ok(self.unit)
        return self

    def text_in(self, language: str) -> str:
        """The requirement for a reader of ``language``: ``text_en`` in ``en`` when given, else ``text_zh``."""
        return self.text_en if language == "en" and self.text_en else self.text_zh


class Deadline(_Model):
    """What must be done by when (``what_en``: our English rendering of ``what_zh``, optional)."""

    what_zh: str = Field(min_length=1)
    what_en: EnglishRendering = None
    by: date
    source: Source

    def what_in(self, language: str) -> str:
        """What is due, for a reader of ``language``: ``what_en`` in ``en`` when given, else ``what_zh``."""
        return self.what_en if language == "en" and self.what_en else self.what_zh


class ObligationRule(_Model):
    id: str = Field(min_length=1)
    obligation: ObligationKind
    subject: Subject = "energy_using_unit"
    title_zh: str = Field(min_length=1)
    title_en: EnglishRendering = None
    when: tuple[Condition, ...] = Field(min_length=1)
    requirements: tuple[Requirement, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    source: Source
    note: str = ""

    @model_validator(mode="after")
    def _one_condition_per_fact(self) -> ObligationRule:
        facts = [condition.fact for condition in self.when]
        if len(facts) != len(set(facts)):
            raise ValueError("a fact appears twice in 'when'; combine the bounds into one condition")
        return self


class Target(_Model):
    id: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    title_en: EnglishRendering = None
    comparison: Comparison
    value: float
    unit: str = Field(min_length=1)
    period: str = ""
    source: Source

    @model_validator(mode="after")
    def _unit(self) -> Target:
        if not math.isfinite(self.value):
            raise ValueError("'value' must be a finite number")
        threshold_unit_ok(self.unit)
        return self


class Schedule(_Model):
    id: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    title_en: EnglishRendering = None
    comparison: Comparison
    unit: str = Field(min_length=1)
    values: dict[int, float] = Field(min_length=1)
    source: Source

    @model_validator(mode="after")
    def _values(self) -> Schedule:
        threshold_unit_ok(self.unit)
        for year, value in self.values.items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"value for {year} must be a number ≥ 0")
            if self.unit == "%" and value > 100:
                raise ValueError(f"value for {year} is over 100 %")
        return self


class Parameter(_Model):
    """A single named value a document gives (a deadline in years, a PUE limit …), with its clause.

    Other subjects read it with :meth:`dualcarbon.reference.policy.PolicyPack.parameter`, so the number
    stays in the pack and never becomes a literal in code.
    """

    id: str = Field(min_length=1)
    value: int | float | str | bool
    unit: str = ""
    title_zh: str = Field(min_length=1)
    title_en: EnglishRendering = None
    source: Source

    @model_validator(mode="after")
    def _finite(self) -> Parameter:
        if isinstance(self.value, float) and not math.isfinite(self.value):
            raise ValueError("'value' must be a finite number")
        if isinstance(self.value, int | float) and not isinstance(self.value, bool) and not self.unit:
            raise ValueError("a numeric value needs its 'unit'")
        if self.unit:
            threshold_unit_ok(self.unit)
        return self
