"""Policy packs: the rules of one jurisdiction's policy document, as versioned, sourced data (YAML).

A pack lives in ``src/dualcarbon/reference/policies/<pack-id>.yaml`` (or any path given to
:func:`load_pack`). It holds, each with the clause text it comes from:

* ``obligations`` — rules "a unit with these facts must do X" (energy audit, diagnosis, key-unit status …).
  Each rule has a list of conditions that must all hold (``when``); two rules with the same
  ``obligation`` express an OR. A condition is on one *fact* (see :data:`FACTS`): a numeric range with
  explicit boundaries (``min`` + ``min_inclusive``, ``max`` + ``max_inclusive`` and a ``unit``), or
  ``equals`` for a yes/no fact. ``max_inclusive: false`` is "max exclusive".
* ``targets`` — numbers the jurisdiction aims at (1 % saving per year …).
* ``schedules`` — values per year (share of projects completed each year …).
* ``catalog_schedule`` — when the half-year efficiency catalog (能效清单目录) is due, which year's annual
  reports feed it, and which report years are plausible at all (see :class:`CatalogSchedule`).

Thresholds are never code: the evaluation lives in :mod:`dualcarbon.domain.obligations`. The file format
is documented with examples in ``docs/reference-import.md`` (section "Policy packs").
"""

from __future__ import annotations

import math
import re
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dualcarbon.core.errors import InvalidInput, UnitMismatch
from dualcarbon.core.units import convert, parse_unit

SCHEMA = "dualcarbon.policy-pack/1"

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
_PACK_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(_Model):
    """Where a rule comes from: the document, the clause, and the clause text quoted verbatim."""

    clause: str = Field(min_length=1)
    text: str = Field(min_length=1)
    document: str = ""
    url: str = ""
    confidence: str = ""
    note: str = ""


class Document(_Model):
    title: str = Field(min_length=1)
    number: str = ""
    issuer: str = ""
    issued: date | None = None
    url: str = ""
    text_copy: str = ""  # where our copy of the text is (e.g. shared/seeds/003_….txt)


class Validity(_Model):
    valid_from: date | None = Field(default=None, alias="from")
    valid_to: date | None = Field(default=None, alias="to")
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Validity:
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("'from' is after 'to'")
        return self


def _unit_ok(unit: str, fact_unit: str | None = None) -> None:
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
        _unit_ok(self.unit, spec.unit)
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
    """What the obligation asks for beyond doing it (e.g. an audit must find ≥ 5 % saving potential)."""

    id: str = Field(min_length=1)
    text_zh: str = Field(min_length=1)
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
            _unit_ok(self.unit)
        return self


class Deadline(_Model):
    what_zh: str = Field(min_length=1)
    by: date
    source: Source


class ObligationRule(_Model):
    id: str = Field(min_length=1)
    obligation: ObligationKind
    subject: Subject = "energy_using_unit"
    title_zh: str = Field(min_length=1)
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
    comparison: Comparison
    value: float
    unit: str = Field(min_length=1)
    period: str = ""
    source: Source

    @model_validator(mode="after")
    def _unit(self) -> Target:
        if not math.isfinite(self.value):
            raise ValueError("'value' must be a finite number")
        _unit_ok(self.unit)
        return self


class Schedule(_Model):
    id: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    comparison: Comparison
    unit: str = Field(min_length=1)
    values: dict[int, float] = Field(min_length=1)
    source: Source

    @model_validator(mode="after")
    def _values(self) -> Schedule:
        _unit_ok(self.unit)
        for year, value in self.values.items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"value for {year} must be a number ≥ 0")
            if self.unit == "%" and value > 100:
                raise ValueError(f"value for {year} is over 100 %")
        return self


HalfYear = Literal["H1", "H2"]


class HalfYearDue(_Model):
    """One half-year's catalog and the day of the year it is due by (e.g. H1 by 15 January)."""

    half: HalfYear
    due_month: int = Field(ge=1, le=12)
    due_day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def _real_day(self) -> HalfYearDue:
        try:
            date(2001, self.due_month, self.due_day)  # a common year: 29 February is not a yearly due date
        except ValueError:
            raise ValueError(f"there is no day {self.due_day} in month {self.due_month} every year") from None
        return self


class CatalogSchedule(_Model):
    """When the efficiency catalog (能效清单目录) of a half-year is due and which annual reports feed it.

    A catalog is named ``YYYY-H1`` / ``YYYY-H2``: it is due by ``due_month``/``due_day`` of YYYY and built
    from the annual reports of year YYYY + ``data_year_offset`` (−1: the year before).
    The report years accepted at all are a platform rule (``platform_rules`` table), not part of the schedule.
    """

    halves: tuple[HalfYearDue, ...] = Field(min_length=2, max_length=2)
    data_year_offset: int = Field(ge=-5, le=0)
    source: Source
    data_year_source: Source

    @model_validator(mode="after")
    def _both_halves(self) -> CatalogSchedule:
        if sorted(item.half for item in self.halves) != ["H1", "H2"]:
            raise ValueError("give H1 and H2 once each")
        first, second = sorted(self.halves, key=lambda item: item.half)
        if (first.due_month, first.due_day) >= (second.due_month, second.due_day):
            raise ValueError("H1 must be due before H2 in the year")
        return self

    def due(self, half: HalfYear) -> HalfYearDue:
        return next(item for item in self.halves if item.half == half)

    def due_date(self, year: int, half: HalfYear) -> date:
        """The day the catalog ``{year}-{half}`` is due by."""
        item = self.due(half)
        return date(year, item.due_month, item.due_day)

    def data_year(self, year: int) -> int:
        """The year of the annual reports a catalog of ``year`` is built from."""
        return year + self.data_year_offset


class PolicyPack(_Model):
    """One policy document's computable rules."""

    schema_: Literal["dualcarbon.policy-pack/1"] = Field(alias="schema")
    id: str
    title_zh: str = Field(min_length=1)
    jurisdiction: str = Field(min_length=1)
    scope_zh: str = ""
    document: Document
    valid: Validity = Validity()
    boundary_convention: Source | None = None
    obligations: tuple[ObligationRule, ...] = ()
    targets: tuple[Target, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    catalog_schedule: CatalogSchedule | None = None
    omitted: tuple[str, ...] = ()  # what the document asks that this pack does not (yet) encode, and why

    @model_validator(mode="after")
    def _unique_ids(self) -> PolicyPack:
        if not _PACK_ID.match(self.id):
            raise ValueError(f"pack id '{self.id}' must be lower-case letters, digits and '-'")
        ids = [item.id for group in (self.obligations, self.targets, self.schedules) for item in group]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule id(s): {', '.join(duplicates)}")
        return self

    def rule(self, rule_id: str) -> ObligationRule | Target | Schedule:
        for group in (self.obligations, self.targets, self.schedules):
            for item in group:
                if item.id == rule_id:
                    return item
        raise InvalidInput(f"no rule '{rule_id}' in policy pack {self.id}", field="rule_id")


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.startswith("function-"):
            out += ("." if out else "") + part
    return out


def parse_pack(data: Any, origin: str = "policy pack") -> PolicyPack:
    """Validate a parsed YAML/JSON mapping as a pack; one ``InvalidInput`` naming the first bad field."""
    try:
        return PolicyPack.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "required field is missing"
        elif first["type"] == "extra_forbidden":
            message = "unknown field"
        where = _location(tuple(first["loc"]))
        raise InvalidInput(message, field=f"{origin}: {where}" if where else origin) from None


def packs_dir() -> Path:
    """Directory of the shipped packs."""
    return Path(str(resources.files("dualcarbon.reference") / "policies"))


def list_packs(directory: Path | None = None) -> list[str]:
    """Ids of the packs in ``directory`` (the shipped packs by default), sorted."""
    folder = directory or packs_dir()
    return sorted(path.stem for path in folder.glob("*.yaml"))


def load_pack(name_or_path: str | Path) -> PolicyPack:
    """Load and validate a pack by id (shipped) or by file path. The id must equal the file name."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = packs_dir() / f"{name_or_path}.yaml"
        if not path.exists():
            raise InvalidInput(f"no policy pack '{name_or_path}' (shipped: {', '.join(list_packs())})", field="pack")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"file not found: {path}", field="pack") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {exc}", field=path.name) from None
    pack = parse_pack(data, path.name)
    if pack.id != path.stem:
        raise InvalidInput(f"pack id '{pack.id}' differs from the file name '{path.stem}'", field=f"{path.name}: id")
    return pack
