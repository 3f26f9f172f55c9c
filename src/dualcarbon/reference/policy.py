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

This module holds the pack itself (:class:`PolicyPack`, its document and validity) and its loading
(:func:`load_pack`, :func:`parse_pack`, :func:`list_packs`). The rule models are in
:mod:`dualcarbon.reference.policy_rules`, the catalog schedule in :mod:`dualcarbon.reference.policy_schedule`;
both are re-exported here, so ``from dualcarbon.reference.policy import Condition`` keeps working.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.policy_incentives import IncentiveRule, WarningScheme
from dualcarbon.reference.policy_rules import (
    FACTS,
    Comparison,
    Condition,
    Deadline,
    EnglishRendering,
    FactKind,
    FactSpec,
    ObligationKind,
    ObligationRule,
    PackModel,
    Parameter,
    Requirement,
    Schedule,
    Source,
    Subject,
    Target,
    threshold_unit_ok,
)
from dualcarbon.reference.policy_rules import PackModel as _Model
from dualcarbon.reference.policy_schedule import CatalogSchedule, HalfYear, HalfYearDue

__all__ = [
    "FACTS",
    "SCHEMA",
    "CatalogSchedule",
    "Comparison",
    "Condition",
    "Deadline",
    "Document",
    "FactKind",
    "FactSpec",
    "HalfYear",
    "HalfYearDue",
    "IncentiveRule",
    "ObligationKind",
    "ObligationRule",
    "PackModel",
    "Parameter",
    "PolicyPack",
    "Requirement",
    "Schedule",
    "Source",
    "Subject",
    "Target",
    "Validity",
    "WarningScheme",
    "clause_rendering",
    "list_packs",
    "load_pack",
    "packs_dir",
    "parse_pack",
    "rendering",
    "resolve_pack",
    "threshold_unit_ok",
]

SCHEMA = "dualcarbon.policy-pack/1"
_PACK_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class Document(_Model):
    """The policy document a pack encodes: title, number, issuer, date and where our copy of it is."""

    title: str = Field(min_length=1)
    number: str = ""
    issuer: str = ""
    issued: date | None = None
    url: str = ""
    text_copy: str = ""  # where our copy of the text is (e.g. shared/seeds/003_….txt)


class Validity(_Model):
    """The period the pack applies to (``from``/``to``, either open)."""

    valid_from: date | None = Field(default=None, alias="from")
    valid_to: date | None = Field(default=None, alias="to")
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Validity:
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("'from' is after 'to'")
        return self


class PolicyPack(_Model):
    """One policy document's computable rules."""

    schema_: Literal["dualcarbon.policy-pack/1"] = Field(alias="schema")
    id: str
    title_zh: str = Field(min_length=1)
    title_en: EnglishRendering = None  # our English rendering of title_zh (also for scope_en, sources' *_en)
    jurisdiction: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()  # short names callers may use ("longgang")
    status: Literal["draft", "in_force", "expired"] | None = None  # as declared; see status_on()
    scope_zh: str = ""
    scope_en: EnglishRendering = None
    document: Document
    valid: Validity = Validity()
    boundary_convention: Source | None = None
    obligations: tuple[ObligationRule, ...] = ()
    targets: tuple[Target, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    catalog_schedule: CatalogSchedule | None = None
    parameters: tuple[Parameter, ...] = ()
    rules: tuple[IncentiveRule, ...] = ()
    warning_schemes: tuple[WarningScheme, ...] = ()
    omitted: tuple[str, ...] = ()  # what the document asks that this pack does not (yet) encode, and why

    @model_validator(mode="after")
    def _unique_ids(self) -> PolicyPack:
        if not _PACK_ID.match(self.id):
            raise ValueError(f"pack id '{self.id}' must be lower-case letters, digits and '-'")
        groups = (self.obligations, self.targets, self.schedules, self.parameters, self.rules, self.warning_schemes)
        ids = [item.id for group in groups for item in group]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule id(s): {', '.join(duplicates)}")
        keys = [item.key for item in self.rules]
        if len(keys) != len(set(keys)):
            raise ValueError("two money rules share a 'key'")
        for alias in self.aliases:
            if not _PACK_ID.match(alias):
                raise ValueError(f"alias '{alias}' must be lower-case letters, digits and '-'")
        return self

    def status_on(self, day: date) -> Literal["draft", "in_force", "expired", "not_yet"]:
        """A declared draft stays a draft; otherwise the validity period decides."""
        if self.status == "draft":
            return "draft"
        if self.valid.valid_to and day > self.valid.valid_to:
            return "expired"
        if self.valid.valid_from and day < self.valid.valid_from:
            return "not_yet"
        return "in_force"

    def title_in(self, language: str) -> str:
        """The pack's title for a reader of ``language``: ``title_en`` in ``en`` when given, else ``title_zh``."""
        return self.title_en if language == "en" and self.title_en else self.title_zh

    def sources(self) -> list[Source]:
        """Every quoted source of the pack (rules, their caps and deadlines, schedules, the boundary convention)."""
        found = [self.boundary_convention] if self.boundary_convention else []
        for rule in self.obligations:
            found += [rule.source, *(deadline.source for deadline in rule.deadlines)]
        found += [item.source for item in self.targets] + [item.source for item in self.schedules]
        found += [item.source for item in self.parameters] + [item.source for item in self.warning_schemes]
        for money in self.rules:
            found += [money.source, *(cap.source for cap in money.caps if cap.source)]
        if self.catalog_schedule:
            found += [self.catalog_schedule.source, self.catalog_schedule.data_year_source]
        return found

    def source_of_clause(self, clause: str) -> Source | None:
        """The source whose ``clause`` is ``clause`` (a trace line or a stored row keeps only that string)."""
        return next((source for source in self.sources() if source.clause == clause), None)

    def source_of(self, item_id: str) -> Source | None:
        """The source of the rule, target, schedule, parameter, money rule or warning scheme ``item_id``."""
        items: tuple[ObligationRule | Target | Schedule | Parameter | IncentiveRule | WarningScheme, ...] = (
            *self.obligations,
            *self.targets,
            *self.schedules,
            *self.parameters,
            *self.rules,
            *self.warning_schemes,
        )
        return next((item.source for item in items if item.id == item_id), None)

    def incentive(self, key: str) -> IncentiveRule:
        """The money rule with ``key`` (retrofit, pv …) or id; ``InvalidInput`` listing the keys when absent."""
        for item in self.rules:
            if key in (item.key, item.id):
                return item
        known = ", ".join(item.key for item in self.rules) or "none"
        raise InvalidInput(f"policy pack {self.id} has no money rule '{key}' (it has: {known})", field="rule")

    def rule(self, rule_id: str) -> ObligationRule | Target | Schedule:
        for group in (self.obligations, self.targets, self.schedules):
            for item in group:
                if item.id == rule_id:
                    return item
        raise InvalidInput(f"no rule '{rule_id}' in policy pack {self.id}", field="rule_id")

    def parameter(self, parameter_id: str) -> int | float | str | bool:
        """The value of the parameter ``parameter_id``; ``InvalidInput`` naming the pack and id if absent."""
        return self.parameter_entry(parameter_id).value

    def parameter_entry(self, parameter_id: str) -> Parameter:
        """The whole parameter (value, unit, title and clause) ``parameter_id``."""
        for item in self.parameters:
            if item.id == parameter_id:
                return item
        known = ", ".join(item.id for item in self.parameters) or "none"
        raise InvalidInput(
            f"policy pack {self.id} has no parameter '{parameter_id}' (it has: {known})", field="parameter"
        )


def rendering(original: str, english: str | None, language: str) -> tuple[str, str]:
    """``(shown, original)`` of a pack's Chinese text for a reader of ``language``: in ``en`` our English rendering
    and, beside it, the original that governs; otherwise (or with no rendering) the original and ``""``."""
    if language == "en" and english and english != original:
        return english, original
    return original, ""


def clause_rendering(pack: PolicyPack | None, clause: str, language: str) -> tuple[str, str]:
    """:func:`rendering` of a clause kept only as its string (a trace line, a stored row), found in ``pack``
    (``None``: in any shipped pack)."""
    if language != "en":
        return clause, ""
    if pack is None:
        return rendering(clause, _shipped_clauses_en().get(clause), language)
    source = pack.source_of_clause(clause)
    return rendering(clause, source.clause_en if source else None, language)


@lru_cache(maxsize=1)
def _shipped_clauses_en() -> dict[str, str]:
    """Every clause of the shipped packs with its English rendering (the first pack's, by id, when two quote the
    same clause); read once per process, as the shipped files do not change while it runs."""
    found: dict[str, str] = {}
    for pack_id in list_packs():
        for source in load_pack(pack_id).sources():
            if source.clause_en:
                found.setdefault(source.clause, source.clause_en)
    return found


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


def resolve_pack(name: str, directory: Path | None = None) -> PolicyPack:
    """A shipped pack by id or by one of its ``aliases`` ("longgang" → longgang-2022)."""
    ids = list_packs(directory)
    if name in ids:
        return load_pack((directory or packs_dir()) / f"{name}.yaml")
    matches = [
        pack for pack in (load_pack((directory or packs_dir()) / f"{i}.yaml") for i in ids) if name in pack.aliases
    ]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InvalidInput(f"'{name}' is an alias of several packs: {', '.join(p.id for p in matches)}", field="pack")
    raise InvalidInput(f"no policy pack '{name}' (shipped: {', '.join(ids)})", field="pack")
