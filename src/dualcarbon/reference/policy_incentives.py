"""Money rules of a policy pack (``rules``): eligibility trees, amounts, caps and decided ambiguities.

A rule (:class:`IncentiveRule`) names the *facts* it reads (``facts``: number / boolean / text with its
unit or allowed choices), an eligibility tree (``eligible``: ``all`` / ``any`` of nodes, a leaf tests one
fact with explicit boundary flags), an amount (:class:`Amount`: ``rate`` × base fact, ``tiers`` of rates on
a base with inclusive bounds, ``fixed`` awards keyed by facts, or ``rate_offset`` for loan-rate terms),
caps (per project / enterprise / year / cumulative) and the clause it comes from. Ambiguities the text
leaves open are decided in the pack (``decisions``) with the reason, never silently in code.

Evaluation (pure, with a trace): :mod:`dualcarbon.domain.rules`. Also the warning schemes
(``warning_schemes``): levels as bands of one measure with stated boundaries.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from dualcarbon.reference.policy_rules import EnglishRendering, Source, threshold_unit_ok
from dualcarbon.reference.policy_rules import PackModel as _Model

FactType = Literal["number", "boolean", "text"]
CapScope = Literal["project", "enterprise", "year", "enterprise_year", "cumulative"]
AmountKind = Literal["rate", "tiers", "fixed", "rate_offset"]
Level = Literal["green", "yellow", "orange", "red"]


def fmt(value: float) -> str:
    """A number as people write it: 1000000 (not 1e+06), 0.3, 2.6."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:.10g}"


def _finite(value: float | None, name: str) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"'{name}' must be a finite number")


class RuleFact(_Model):
    """A fact a rule reads from the caller: its type, unit (numbers) or allowed choices (text)."""

    type: FactType
    unit: str = ""
    choices: tuple[str, ...] = ()
    integer: bool = False  # a count (reports, designations): whole numbers only
    required: bool = True  # false: accepted for the record, tested by no condition
    title_zh: str = ""
    #: how Chinese pages and letters show a choice that is a code (national → 国家级); JSON keeps the code
    labels_zh: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _typed(self) -> RuleFact:
        if self.type == "number":
            if not self.unit:
                raise ValueError("a number fact needs its 'unit'")
            threshold_unit_ok(self.unit)
        if self.choices and self.type != "text":
            raise ValueError("'choices' is only for text facts")
        unknown = sorted(set(self.labels_zh) - set(self.choices))
        if unknown:
            raise ValueError(f"'labels_zh' names {', '.join(unknown)}, which are not among the 'choices'")
        return self


class Bounds(_Model):
    """A numeric range with each boundary's inclusiveness stated (``min_inclusive`` / ``max_inclusive``)."""

    min: float | None = None
    min_inclusive: bool | None = None
    max: float | None = None
    max_inclusive: bool | None = None

    @model_validator(mode="after")
    def _stated(self) -> Bounds:
        for bound in ("min", "max"):
            value, flag = getattr(self, bound), getattr(self, f"{bound}_inclusive")
            _finite(value, bound)
            if value is not None and flag is None:
                raise ValueError(f"'{bound}' needs '{bound}_inclusive: true|false' (state the boundary)")
            if value is None and flag is not None:
                raise ValueError(f"'{bound}_inclusive' given without '{bound}'")
        if self.min is not None and self.max is not None:
            if self.min > self.max or (self.min == self.max and not (self.min_inclusive and self.max_inclusive)):
                raise ValueError(f"empty range: min {self.min:g}, max {self.max:g}")
        return self

    def contains(self, value: float) -> bool:
        if self.min is not None and (value < self.min or (value == self.min and not self.min_inclusive)):
            return False
        return not (self.max is not None and (value > self.max or (value == self.max and not self.max_inclusive)))

    def range_text(self, name: str, unit: str = "") -> str:
        """e.g. ``1000000 元 ≤ investment_yuan < 2000000 元``."""
        suffix = f" {unit}" if unit and unit != "1" else ""
        low = f"{fmt(self.min)}{suffix} {'≤' if self.min_inclusive else '<'} " if self.min is not None else ""
        high = f" {'≤' if self.max_inclusive else '<'} {fmt(self.max)}{suffix}" if self.max is not None else ""
        return f"{low}{name}{high}"


class FactTest(Bounds):
    """A leaf of the eligibility tree: one fact in a range, equal to a value, or one of some choices."""

    fact: str = Field(min_length=1)
    unit: str = ""
    equals: bool | str | None = None
    one_of: tuple[str, ...] = ()
    note: str = ""

    @model_validator(mode="after")
    def _one_kind(self) -> FactTest:
        ranged = self.min is not None or self.max is not None
        kinds = sum((ranged, self.equals is not None, bool(self.one_of)))
        if kinds != 1:
            raise ValueError("give exactly one of: min/max (with unit), 'equals', 'one_of'")
        if ranged and not self.unit:
            raise ValueError("a threshold needs its 'unit'")
        return self

    def describe(self, unit: str = "") -> str:
        if self.equals is not None:
            shown = ("yes" if self.equals else "no") if isinstance(self.equals, bool) else self.equals
            return f"{self.fact} = {shown}"
        if self.one_of:
            return f"{self.fact} ∈ {{{', '.join(self.one_of)}}}"
        return self.range_text(self.fact, unit or self.unit)


class AllOf(_Model):
    all_: tuple[Node, ...] = Field(alias="all", min_length=1)


class AnyOf(_Model):
    any_: tuple[Node, ...] = Field(alias="any", min_length=1)


def _node_tag(value: Any) -> str:
    if isinstance(value, dict):
        if "all" in value:
            return "all"
        if "any" in value:
            return "any"
        return "fact"
    if isinstance(value, AllOf):
        return "all"
    return "any" if isinstance(value, AnyOf) else "fact"


Node = Annotated[
    Annotated[AllOf, Tag("all")] | Annotated[AnyOf, Tag("any")] | Annotated[FactTest, Tag("fact")],
    Discriminator(_node_tag),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()


class Tier(Bounds):
    """One band of a tier table: the base in ``[min, max]`` (as flagged) earns ``rate`` (``rate_unit``)."""

    rate: float
    rate_unit: str = Field(min_length=1)
    label_zh: str = ""
    label_en: EnglishRendering = None  # our English rendering of label_zh

    def label_in(self, language: str) -> str:
        """The label for a reader of ``language``: ``label_en`` in ``en`` when given, else ``label_zh``."""
        return self.label_en if language == "en" and self.label_en else self.label_zh


class FixedAward(_Model):
    """A fixed sum for the facts matching ``when`` (e.g. level national + kind green_factory → 1 000 000 元)."""

    when: dict[str, str] = Field(min_length=1)
    amount_yuan: float = Field(ge=0)
    label_zh: str = ""
    label_en: EnglishRendering = None  # our English rendering of label_zh

    def label_in(self, language: str) -> str:
        """The label for a reader of ``language``: ``label_en`` in ``en`` when given, else ``label_zh``."""
        return self.label_en if language == "en" and self.label_en else self.label_zh


class Amount(_Model):
    """How much: ``rate`` × ``base``; ``tiers`` on ``base``; a ``fixed`` table; ``rate_offset`` on a rate fact."""

    kind: AmountKind
    base: str = ""
    rate: float | None = None
    rate_unit: str = ""
    tiers: tuple[Tier, ...] = ()
    fixed: tuple[FixedAward, ...] = ()
    offset: float | None = None  # rate_offset: added to the base (−0.20 pp = 20 个基点 lower)
    offset_unit: str = ""
    output: str = ""  # rate_offset: the name of the figure it gives (e.g. min_rate_pct)
    share_pct: float | None = Field(default=None, gt=0, le=100)  # only this share is paid now (预拨 50 %)

    @model_validator(mode="after")
    def _complete(self) -> Amount:
        need = {
            "rate": ("base", "rate", "rate_unit"),
            "tiers": ("base", "tiers"),
            "fixed": ("fixed",),
            "rate_offset": ("base", "offset", "offset_unit", "output"),
        }[self.kind]
        for name in need:
            if getattr(self, name) in (None, "", ()):
                raise ValueError(f"a '{self.kind}' amount needs '{name}'")
        _finite(self.rate, "rate")
        _finite(self.offset, "offset")
        if self.rate_unit:
            _rate_unit_ok(self.rate_unit)
        for tier in self.tiers:
            _rate_unit_ok(tier.rate_unit)
        ordered = sorted(self.tiers, key=lambda t: -math.inf if t.min is None else t.min)
        for low, high in pairwise(ordered):
            if low.max is None or high.min is None or low.max > high.min:
                raise ValueError("tiers overlap: each tier must end where or before the next begins")
            if low.max == high.min and low.max_inclusive and high.min_inclusive:
                raise ValueError(f"the boundary {low.max:g} is inclusive in two tiers; decide which one")
        return self


def _rate_unit_ok(unit: str) -> None:
    if unit != "%" and not unit.startswith("元"):
        raise ValueError(f"rate unit '{unit}' must be '%' (of the base) or 元 per base unit (元/kWh, 元/份 …)")


class Cap(_Model):
    """At most ``max_yuan`` per project, enterprise, year or cumulatively.

    ``group``: caps of several rules of the pack naming the same group count their grants together (a
    prepayment and its settlement under one yearly cap); blank: the grants of this rule only.
    """

    per: CapScope
    max_yuan: float = Field(gt=0)
    group: str = Field(default="", pattern=r"^[a-z0-9-]*$")
    source: Source | None = None
    note: str = ""


class Decision(_Model):
    """An ambiguity of the text and how this pack reads it.

    ``question_zh`` / ``decision_zh`` / ``reason_zh``: the same in Chinese, shown on Chinese pages and documents
    (a translation of the English, adding nothing); blank: the English is shown.
    """

    question: str = Field(min_length=1)
    decision: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    question_zh: str = ""
    decision_zh: str = ""
    reason_zh: str = ""


class IncentiveRule(_Model):
    """One money rule (subsidy, award, loan term) of a pack."""

    id: str = Field(min_length=1)
    key: str = Field(min_length=1)  # the short name callers use: retrofit, emc, pv, storage, green …
    title_zh: str = Field(min_length=1)
    title_en: EnglishRendering = None
    facts: dict[str, RuleFact] = Field(min_length=1)
    eligible: Node
    amount: Amount
    caps: tuple[Cap, ...] = ()
    source: Source
    decisions: tuple[Decision, ...] = ()
    note: str = ""

    @model_validator(mode="after")
    def _facts_declared(self) -> IncentiveRule:
        scopes = [cap.per for cap in self.caps]
        if len(scopes) != len(set(scopes)):
            raise ValueError("two caps with the same 'per' in one rule; keep the stricter one")
        for leaf in leaves(self.eligible):
            spec = self.facts.get(leaf.fact)
            if spec is None:
                raise ValueError(f"condition on undeclared fact '{leaf.fact}' (declare it under 'facts')")
            if not spec.required:
                raise ValueError(f"fact '{leaf.fact}' is tested, so it must be required")
            if (leaf.min is not None or leaf.max is not None) and spec.type != "number":
                raise ValueError(f"'{leaf.fact}' is {spec.type}: a range needs a number fact")
            if leaf.unit and spec.unit and leaf.unit != spec.unit:
                threshold_unit_ok(leaf.unit, spec.unit)
            for choice in (*leaf.one_of, *([leaf.equals] if isinstance(leaf.equals, str) else [])):
                if spec.choices and choice not in spec.choices:
                    raise ValueError(f"'{choice}' is not a choice of fact '{leaf.fact}'")
        base = self.amount.base
        if base and (base not in self.facts or self.facts[base].type != "number" or not self.facts[base].required):
            raise ValueError(f"amount base '{base}' must be a declared, required number fact")
        for award in self.amount.fixed:
            for name, value in award.when.items():
                spec = self.facts.get(name)
                if spec is None or not spec.required or (spec.choices and value not in spec.choices):
                    raise ValueError(f"fixed award on '{name}={value}': not a declared fact choice")
        return self


def leaves(node: Any) -> list[FactTest]:
    """Every fact test of an eligibility tree, in order."""
    if isinstance(node, FactTest):
        return [node]
    children = node.all_ if isinstance(node, AllOf) else node.any_
    return [leaf for child in children for leaf in leaves(child)]


class WarningBand(Bounds):
    """One level of a warning scheme: the measure in this range (in ``period``, if the scheme has periods)."""

    level: Level
    period: str = ""
    label_zh: str = ""
    label_en: EnglishRendering = None  # our English rendering of label_zh

    def label_in(self, language: str) -> str:
        """The label for a reader of ``language``: ``label_en`` in ``en`` when given, else ``label_zh``."""
        return self.label_en if language == "en" and self.label_en else self.label_zh


class WarningScheme(_Model):
    """Warning levels as bands of one measure.

    ``completion_rate_pct`` = achieved / target × 100; ``decline_gap_pp`` = target decline − achieved decline
    (percentage points). Bands of one period must not overlap; a value no band covers is an error.
    """

    id: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    title_en: EnglishRendering = None
    measure: Literal["completion_rate_pct", "decline_gap_pp"]
    periods: tuple[str, ...] = ()
    bands: tuple[WarningBand, ...] = Field(min_length=1)
    source: Source
    decisions: tuple[Decision, ...] = ()

    @model_validator(mode="after")
    def _bands(self) -> WarningScheme:
        for band in self.bands:
            if self.periods and band.period not in self.periods:
                raise ValueError(f"band '{band.level}' has period '{band.period}', not one of {list(self.periods)}")
            if not self.periods and band.period:
                raise ValueError("a band has a period but the scheme lists no 'periods'")
        for period in self.periods or ("",):
            ordered = sorted(
                (b for b in self.bands if b.period == period), key=lambda b: -math.inf if b.min is None else b.min
            )
            for low, high in pairwise(ordered):
                if low.max is None or high.min is None or low.max > high.min:
                    raise ValueError(f"bands overlap in period '{period}'")
                if low.max == high.min and low.max_inclusive == high.min_inclusive:
                    raise ValueError(f"the boundary {low.max:g} must belong to exactly one level ('{period}')")
        return self
