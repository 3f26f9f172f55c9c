"""Recognising respondents' product names as benchmark rows (assess/products.py)."""

from __future__ import annotations

import re

import pytest

from dualcarbon.core.errors import AmbiguousProduct, InvalidInput, UnitMismatch
from dualcarbon.domain.products import ProductCatalog, normalise_name
from dualcarbon.reference import ReferenceSet


@pytest.fixture(scope="module")
def catalog(reference: ReferenceSet) -> ProductCatalog:
    return ProductCatalog.for_edition(reference, "2023")


@pytest.mark.parametrize(
    ("field", "product", "unit", "row_id"),
    [
        ("电石", "电石", "kgce/t", "BM2023-039"),  # 单位产品综合能耗
        ("电石", "电石", "kWh/t", "BM2023-040"),  # 电炉电耗: told apart by the unit
        ("铁合金", "硅铁", "kWh/t", "BM2023-085"),
        ("电解铝", "铝锭", "kgce/t", "BM2023-102"),
        ("炼铁", "高炉", "kgce/t", "BM2023-078"),  # alias → 高炉工序
        ("炼钢", "转炉", "kgce/t", "BM2023-079"),  # alias → 转炉工序
        ("煤制焦炭", "捣固焦炉", None, "BM2023-006"),
        ("焦化", "捣固", "kgce/t", "BM2023-006"),  # field alias and product alias
        ("铁合金", "硅锰合金", "kWh/t", "BM2023-087"),
        ("烧碱", "离子膜法液碱≥30%", "kgce/t", "BM2023-022"),  # spaces ignored
        ("烧碱", "离子膜法液碱　≥３０％", "kgce/t", "BM2023-022"),  # full-width space and digits
        ("轮胎", "全钢子午线轮胎", "kgce/t", "BM2023-056"),  # field without its bracketed qualifier
        ("钢铁", "高炉", "kgce/t", "BM2023-078"),  # 钢铁 spans the iron and steel fields
        ("多晶硅", "改良西门子法多晶硅", "kgce/kg", "BM2023-109"),
        ("水泥熟料", "水泥熟料", "kgce/kg", None),  # kgce/kg converts, but 综合能耗/煤耗 remain: ambiguous
    ],
)
def test_match(catalog: ProductCatalog, field: str, product: str, unit: str | None, row_id: str | None) -> None:
    if row_id is None:
        with pytest.raises(AmbiguousProduct):
            catalog.match(field, product, unit)
        return
    assert catalog.match(field, product, unit).row_id == row_id


def test_indicator_disambiguates(catalog: ProductCatalog) -> None:
    assert catalog.match("水泥熟料", "水泥熟料", "kgce/t", "熟料单位产品综合能耗").row_id == "BM2023-061"
    assert catalog.match("水泥熟料", "熟料", "kgce/t", "综合煤耗").row_id == "BM2023-063"  # contained
    assert catalog.match("电解铝", "铝液", "kWh/t", "铝液综合交流电耗").row_id == "BM2023-100"
    with pytest.raises(InvalidInput, match="能效指标") as info:
        catalog.match("水泥熟料", "水泥熟料", "kgce/t", "吨熟料电耗")
    assert info.value.field == "indicator"


def test_ambiguous_lists_candidates(catalog: ProductCatalog) -> None:
    with pytest.raises(AmbiguousProduct) as info:
        catalog.match("电石", "电石")
    assert "BM2023-039" in info.value.message and "BM2023-040" in info.value.message


def test_unknown_product_lists_the_field(catalog: ProductCatalog) -> None:
    with pytest.raises(InvalidInput) as info:
        catalog.match("铁合金", "硅钙合金", "kgce/t")
    assert info.value.field == "product"
    assert "硅铁" in info.value.message and "锰硅合金" in info.value.message


def test_unknown_field_suggests(catalog: ProductCatalog) -> None:
    with pytest.raises(InvalidInput) as info:
        catalog.match("水泥熟", "水泥熟料")
    assert info.value.field == "field" and "水泥熟料" in info.value.message


def test_unit_that_fits_no_indicator(catalog: ProductCatalog) -> None:
    with pytest.raises(UnitMismatch) as info:
        catalog.match("炼铁", "高炉", "kWh/t")
    assert info.value.field == "value_unit" and "kgce/t" in info.value.message


def test_2021_edition(reference: ReferenceSet) -> None:
    catalog = ProductCatalog.for_edition(reference, "2021")
    assert catalog.match("炼铁", "高炉", "kgce/t").row_id == "BM2021-053"


def test_normalise_name() -> None:
    assert normalise_name(" 原油加工（炼油） ") == normalise_name("原油加工(炼油)") == "原油加工(炼油)"
    assert normalise_name("ＰＴＡ") == "pta"


# ---- names as respondents write them (reference/data/product_aliases.csv) ------------------------------------
@pytest.mark.parametrize(
    ("field", "product", "unit", "row_id"),
    [
        ("烧碱", "32%液碱", "kgce/t", "BM2023-022"),  # 32 % is in the ≥30 % class, below 45 %
        ("烧碱", "50%液碱", "kgce/t", "BM2023-023"),
        ("烧碱", "片碱", "kgce/t", "BM2023-024"),  # flake caustic is solid caustic, the only solid row
        ("氯碱", "片碱", "kgce/t", "BM2023-024"),  # 氯碱 → 烧碱 and 聚氯乙烯
        ("电解铝", "电解铝", "kgce/t", "BM2023-102"),  # 铝液 or 铝锭; only 铝锭综合能耗 is in kgce/t
        ("有色", "电解铝", "kgce/t", "BM2023-102"),  # the sector given as the field
        ("电解铝", "电解铝", "kWh/t", None),  # three electricity indicators remain
    ],
)
def test_respondent_names(catalog: ProductCatalog, field: str, product: str, unit: str, row_id: str | None) -> None:
    if row_id is None:
        with pytest.raises(AmbiguousProduct):
            catalog.match(field, product, unit)
        return
    assert catalog.match(field, product, unit).row_id == row_id


@pytest.mark.parametrize(
    ("field", "product", "candidates"),
    [
        ("平板玻璃", "平板玻璃", ["BM2023-066", "BM2023-067", "BM2023-068"]),
        ("合成氨", "合成氨", ["BM2023-043", "BM2023-044", "BM2023-045", "BM2023-046", "BM2023-047"]),
        ("烧碱", "烧碱", ["BM2023-022", "BM2023-023", "BM2023-024"]),
        ("纯碱", "纯碱", [f"BM2023-0{n}" for n in range(31, 39)]),
        ("纯碱", "轻质纯碱", ["BM2023-031", "BM2023-033", "BM2023-035", "BM2023-037"]),
        ("焦化", "焦炭", ["BM2023-005", "BM2023-006"]),
        ("钢铁", "电弧炉", ["BM2023-080", "BM2023-081", "BM2023-082"]),
    ],
)
def test_ambiguous_names_list_their_rows_and_what_differs(
    catalog: ProductCatalog, field: str, product: str, candidates: list[str]
) -> None:
    with pytest.raises(AmbiguousProduct) as info:
        catalog.match(field, product, "kgce/t" if field != "平板玻璃" else None)
    message = info.value.message
    listed = sorted(set(re.findall(r"BM2023-\d{3}", message)))
    assert listed == candidates
    assert "区别在于：产品或工序" in message  # the variants differ in 产品或工序 (furnace size, feedstock …)
    assert "请把产品或工序写成其中之一" in message and info.value.field == "product"


def test_every_alias_names_a_real_row(reference: ReferenceSet) -> None:
    """An alias row must point at a field (and product) some edition has: a typo would silently never match."""
    from dualcarbon.domain.products import load_aliases

    known = {(row.field, row.product) for edition in ("2021", "2023") for row in reference.benchmark_rows(edition)}
    fields = {field for field, _ in known}
    for alias in load_aliases():
        assert alias.field in fields, alias
        if alias.kind == "product":
            assert (alias.field, alias.product) in known, alias
