"""Recognising the product a respondent wrote (电石, 硅铁, 高炉 …) as one benchmark row of an edition.

Order of matching, within the 重点领域 the respondent gave:

1. 重点领域: the field's exact name, its normalised form, every field whose name without its bracketed
   qualifier is the given name (``轮胎`` → 轮胎 and 轮胎（子午线轮胎）), and field aliases from
   ``reference/data/product_aliases.csv`` (``钢铁`` → 炼铁, 炼钢, 烧结/球团, 铁合金).
2. 产品或工序: exact product name; else an alias of that field from the CSV (``高炉`` → 高炉工序; an alias
   may name several products of its field when the name people write does not say which: ``平板玻璃`` →
   the three 熔窑规模 rows); else normalised equality (full-width/half-width, spaces, brackets, letter case).
3. Several rows (电石: 单位产品综合能耗 kgce/t and 电炉电耗 kWh/t) → keep those whose unit the
   respondent's 能耗单位 converts to; still several → the 能效指标 column (exact, normalised, then
   contained); still several → ``AmbiguousProduct`` listing the candidates.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dualcarbon.core.errors import AmbiguousProduct, InvalidInput, UnitMismatch
from dualcarbon.domain.efficiency import indicator_factor
from dualcarbon.reference import BenchmarkRow, ReferenceSet

_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")", "·": "", "・": ""})
_QUALIFIER = re.compile(r"\([^()]*\)$")
_MAX_LISTED = 15


def normalise_name(text: str) -> str:
    """Name as compared: NFKC (full-width → half-width), brackets unified, no spaces, lower-case."""
    return "".join(unicodedata.normalize("NFKC", text).translate(_BRACKETS).split()).lower()


@dataclass(frozen=True)
class Alias:
    kind: str  # field | product
    alias: str
    field: str
    product: str


def aliases_path() -> Path:
    return Path(str(resources.files("dualcarbon.reference") / "data" / "product_aliases.csv"))


def load_aliases(path: Path | None = None) -> list[Alias]:
    with (path or aliases_path()).open(encoding="utf-8-sig", newline="") as handle:
        return [
            Alias(row["kind"].strip(), row["alias"].strip(), row["field"].strip(), row.get("product", "").strip())
            for row in csv.DictReader(handle)
            if row.get("alias", "").strip()
        ]


def _listing(names: Iterable[str]) -> str:
    unique = list(dict.fromkeys(names))
    shown = "、".join(unique[:_MAX_LISTED])
    return shown + (f" …（共{len(unique)}项）" if len(unique) > _MAX_LISTED else "")


class ProductCatalog:
    """The benchmark rows of one edition, indexed for recognising what respondents write."""

    def __init__(self, rows: list[BenchmarkRow], aliases: list[Alias], edition: str) -> None:
        self.edition = edition
        self.rows = [row for row in rows if row.unit and "/" in row.unit]
        self._fields: dict[str, list[BenchmarkRow]] = {}
        for row in self.rows:
            self._fields.setdefault(row.field, []).append(row)
        self._field_index: dict[str, set[str]] = {}
        for name in self._fields:
            normalised = normalise_name(name)
            self._field_index.setdefault(normalised, set()).add(name)
            base = _QUALIFIER.sub("", normalised)
            if base != normalised:
                self._field_index.setdefault(base, set()).add(name)
        self._product_aliases: dict[tuple[str, str], set[str]] = {}
        for alias in aliases:
            if alias.field not in self._fields:
                continue  # alias of a field this edition does not have
            if alias.kind == "field":
                self._field_index.setdefault(normalise_name(alias.alias), set()).add(alias.field)
            elif alias.kind == "product":
                self._product_aliases.setdefault((alias.field, normalise_name(alias.alias)), set()).add(alias.product)
        self._cache: dict[tuple[str, str, str | None, str | None], BenchmarkRow] = {}

    @classmethod
    def for_edition(cls, reference: ReferenceSet, edition: str, aliases: list[Alias] | None = None) -> ProductCatalog:
        return cls(reference.benchmark_rows(edition), load_aliases() if aliases is None else aliases, edition)

    def fields(self) -> list[str]:
        return list(self._fields)

    def field_rows(self, field: str) -> list[BenchmarkRow]:
        return list(self._fields.get(field, []))

    def product_aliases(self, field: str) -> dict[str, list[str]]:
        """Aliases of the field's products: product name → aliases (for the 产品名称对照 sheet)."""
        out: dict[str, list[str]] = {}
        for (alias_field, alias), products in self._product_aliases.items():
            if alias_field == field:
                for product in sorted(products):
                    out.setdefault(product, []).append(alias)
        return out

    # ---- matching ------------------------------------------------------------------------------------
    def resolve_field(self, text: str) -> list[str]:
        """Canonical fields the respondent's 重点领域 stands for; ``InvalidInput`` (field ``field``) if none."""
        if text in self._fields:
            found = {text}
        else:
            found = set()
        found |= self._field_index.get(normalise_name(text), set())
        if not found:
            close = difflib.get_close_matches(text, list(self._fields), n=5, cutoff=0.4)
            hint = f"；相近的有：{'、'.join(close)}" if close else ""
            raise InvalidInput(
                f"重点领域 '{text}' 不在 {self.edition} 年版的重点领域中{hint}（见模板“产品名称对照”表）",
                field="field",
            )
        return [name for name in self._fields if name in found]

    def _product_rows(self, fields: list[str], text: str) -> list[BenchmarkRow]:
        rows = [row for name in fields for row in self._fields[name]]
        exact = [row for row in rows if row.product == text]
        if exact:
            return exact
        key = normalise_name(text)
        aliased = [row for row in rows if row.product in self._product_aliases.get((row.field, key), ())]
        if aliased:
            return aliased
        return [row for row in rows if normalise_name(row.product) == key]

    def match(
        self, field: str, product: str, value_unit: str | None = None, indicator: str | None = None
    ) -> BenchmarkRow:
        """The benchmark row for what the respondent wrote (see the module docstring for the order).

        Errors carry the column key in ``.field``: ``field``, ``product``, ``value_unit`` or ``indicator``.
        """
        cache_key = (field, product, value_unit, indicator)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        fields = self.resolve_field(field)
        rows = self._product_rows(fields, product)
        if not rows:
            names = [row.product for name in fields for row in self._fields[name]]
            raise InvalidInput(
                f"产品或工序 '{product}' 不是重点领域 '{field}' 的产品；可填：{_listing(names)}", field="product"
            )
        if len(rows) > 1 and value_unit:
            fitting = [row for row in rows if _unit_fits(value_unit, row.unit)]
            if not fitting:
                raise UnitMismatch(
                    f"能耗单位 '{value_unit}' 与 '{product}' 的指标单位不符：{_describe(rows)}", field="value_unit"
                )
            rows = fitting
        if len(rows) > 1 and indicator:
            rows = _by_indicator(rows, indicator)
        if len(rows) > 1:
            if len({row.product for row in rows}) > 1:  # the name does not say which variant: ask for it
                raise AmbiguousProduct(
                    f"'{field}/{product}' 对应多个参考行，请把产品或工序写成其中之一：{_describe(rows)}",
                    field="product",
                )
            what = "能效指标" if indicator else "能耗单位或能效指标"
            raise AmbiguousProduct(
                f"'{field}/{product}' 对应多个指标，请用{what}区分：{_describe(rows)}",
                field="indicator" if indicator or value_unit else "product",
            )
        row = rows[0]
        if value_unit and not _unit_fits(value_unit, row.unit):
            raise UnitMismatch(
                f"能耗单位 '{value_unit}' 不能换算为 {row.row_id} {row.product} {row.indicator} 的单位 '{row.unit}'",
                field="value_unit",
            )
        self._cache[cache_key] = row
        return row


def _unit_fits(value_unit: str, row_unit: str) -> bool:
    try:
        indicator_factor(value_unit, row_unit)
    except UnitMismatch:
        return False
    return True


def _describe(rows: list[BenchmarkRow]) -> str:
    """The candidate rows, and what tells them apart (the columns whose values differ between them)."""
    listed = "；".join(f"{row.row_id} {row.product} {row.indicator} ({row.unit})" for row in rows)
    differing = [
        name
        for name, attribute in (("产品或工序", "product"), ("能效指标", "indicator"), ("单位", "unit"))
        if len({getattr(row, attribute) for row in rows}) > 1
    ]
    return listed + (f"（区别在于：{'、'.join(differing)}）" if len(rows) > 1 and differing else "")


def _by_indicator(rows: list[BenchmarkRow], indicator: str) -> list[BenchmarkRow]:
    exact = [row for row in rows if row.indicator == indicator]
    if exact:
        return exact
    key = normalise_name(indicator)
    normalised = [row for row in rows if normalise_name(row.indicator) == key]
    if normalised:
        return normalised
    contained = [row for row in rows if key in normalise_name(row.indicator)]
    if contained:
        return contained
    raise InvalidInput(f"能效指标 '{indicator}' 不是以下指标之一：{_describe(rows)}", field="indicator")
