"""The bundled example survey: synthetic enterprises of one synthetic city, generated deterministically.

``python -m dualcarbon.assess.example`` rewrites ``src/dualcarbon/examples/survey_example.xlsx``.
Everything is made up: 示例市 (prefecture code 3299 under 江苏 32 — no real prefecture has it) with six
districts 329901–329906, enterprise names starting with 示例, credit codes built with
:func:`make_credit_code`. Values are drawn around the GB grade limits of each product's reference row
(some exactly on a limit) so every tier occurs; a tenth of the rows report energy consumption instead of
the unit consumption. The generator takes limits and coefficients from the ReferenceSet, never literals.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl

from dualcarbon.assess.columns import SURVEY_COLUMNS
from dualcarbon.assess.template import write_survey_workbook
from dualcarbon.core.units import conversion_factor
from dualcarbon.domain.efficiency import indicator_unit_parts
from dualcarbon.domain.identifiers import CREDIT_CODE_CHARSET, make_credit_code
from dualcarbon.reference import BenchmarkRow, ReferenceSet, shipped_reference

EXAMPLE_SEED = 20231
EXAMPLE_ROWS = 480
DISTRICTS = ("329901", "329902", "329903", "329904", "329905", "329906")
_SYLLABLES = "恒泰华鑫瑞丰德宏源盛兴隆永安嘉和金辉龙腾远东方正新达建昌"


@dataclass(frozen=True)
class ProductSpec:
    """What a respondent of one product writes, and a plausible annual output range."""

    field: str
    product: str
    row_ids: tuple[str, ...]  # 2023 rows (one line per indicator); indicator written when ambiguous
    output_range: tuple[float, float]
    output_unit: str
    name_suffix: str
    weight: int
    write_indicator: bool = False


SPECS: tuple[ProductSpec, ...] = (
    ProductSpec("水泥熟料", "水泥熟料", ("BM2023-061", "BM2023-062"), (3e5, 3e6), "吨", "水泥", 8, True),
    ProductSpec("水泥熟料", "熟料", ("BM2023-063",), (3e5, 3e6), "吨", "建材", 2, True),
    ProductSpec("水泥", "水泥制备工段", ("BM2023-065",), (2e5, 2e6), "吨", "水泥", 3),
    ProductSpec("电石", "电石", ("BM2023-039", "BM2023-040"), (5e4, 3e5), "吨", "化工", 6),
    ProductSpec("铁合金", "硅铁", ("BM2023-085", "BM2023-086"), (2e4, 1.5e5), "吨", "硅业", 5),
    ProductSpec("铁合金", "硅锰合金", ("BM2023-087", "BM2023-088"), (2e4, 2e5), "吨", "合金", 4),
    ProductSpec("电解铝", "铝锭", ("BM2023-101", "BM2023-102"), (1e5, 6e5), "吨", "铝业", 4),
    ProductSpec("电解铝", "铝液", ("BM2023-099", "BM2023-100"), (1e5, 6e5), "吨", "铝业", 2, True),
    ProductSpec("炼铁", "高炉", ("BM2023-078",), (1e6, 5e6), "吨", "钢铁", 5),
    ProductSpec("炼钢", "转炉", ("BM2023-079",), (1e6, 5e6), "吨", "钢铁", 5),
    ProductSpec("炼钢", "电弧炉冶炼公称容量<50t", ("BM2023-080",), (1e5, 8e5), "吨", "特钢", 2),
    ProductSpec("煤制焦炭", "捣固焦炉", ("BM2023-006",), (5e5, 2e6), "吨", "焦化", 4),
    ProductSpec("平板玻璃", "熔窑规模 500-800 t/d", ("BM2023-067",), (3e6, 8e6), "重量箱", "玻璃", 3),
    ProductSpec("烧碱", "离子膜法液碱≥30%", ("BM2023-022",), (1e5, 5e5), "吨", "氯碱", 3),
    ProductSpec("多晶硅", "改良西门子法多晶硅", ("BM2023-109",), (2e4, 1e5), "吨", "新能源", 2),
    ProductSpec("轮胎", "斜交轮胎", ("BM2023-059",), (1e3, 2e4), "吨", "轮胎", 2),
    ProductSpec("造纸", "瓦楞原纸、纸管纸板", ("BM2023-134",), (5e4, 5e5), "吨", "纸业", 3),
    ProductSpec("乙烯", "乙烯", ("BM2023-002",), (5e5, 1.5e6), "吨", "石化", 2),
    ProductSpec("建筑陶瓷", "陶瓷板", ("BM2023-075",), (1e6, 8e6), "平方米", "陶瓷", 2),
)


def example_path() -> Path:
    """The bundled example survey."""
    return Path(str(resources.files("dualcarbon") / "examples" / "survey_example.xlsx"))


def _value(row: BenchmarkRow, rng: random.Random) -> float:
    """A unit consumption in one of the row's grade bands (some exactly on a limit)."""
    assert row.grade_3 is not None
    limits = [g for g in (row.grade_1, row.grade_2, row.grade_3) if g is not None]
    span = max(abs(row.grade_3 - limits[0]), abs(row.grade_3) * 0.05)
    if rng.random() < 0.08:
        return rng.choice(limits)  # exactly on a boundary: it meets that grade
    bands = [(limits[0] - span * 0.6, limits[0])]
    bands += [(low, high) for low, high in itertools.pairwise(limits) if high > low]
    bands.append((row.grade_3, row.grade_3 + span * 0.5))
    low, high = rng.choices(bands, weights=[3] + [3] * (len(bands) - 2) + [2])[0]
    value = rng.uniform(low, high)
    digits = 3 if abs(row.grade_3) < 20 else 1
    return round(value, digits)


def _name(rng: random.Random, suffix: str, taken: set[str]) -> str:
    for attempt in range(1_000_000):
        serial = f"{attempt // 20}号" if attempt >= 20 else ""  # large synthetic sets run out of pairs
        name = f"示例{rng.choice(_SYLLABLES)}{rng.choice(_SYLLABLES)}{suffix}{serial}有限公司"
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("no free synthetic name")


def example_rows(reference: ReferenceSet, n: int = EXAMPLE_ROWS, seed: int = EXAMPLE_SEED) -> pl.DataFrame:
    """About ``n`` survey rows (column keys), deterministic for a given seed and reference."""
    rng = random.Random(seed)
    electricity = reference.conversion_coefficient(reference.carrier("electricity"))
    coal = reference.conversion_coefficient(reference.carrier("raw_coal"))
    assert electricity.value is not None and coal.value is not None
    kgce_per_kwh = electricity.value * conversion_factor(electricity.unit, "kgce/kWh")
    kgce_per_t_coal = coal.value * conversion_factor(coal.unit, "kgce/t")
    names: set[str] = set()
    codes: set[str] = set()
    records: list[dict[str, object]] = []
    while len(records) < n:
        spec = rng.choices(SPECS, weights=[s.weight for s in SPECS])[0]
        region = rng.choice(DISTRICTS)
        while True:
            body = "91" + region + "".join(rng.choice(CREDIT_CODE_CHARSET) for _ in range(9))
            code = make_credit_code(body)
            if code not in codes:
                codes.add(code)
                break
        name = _name(rng, spec.name_suffix, names)
        output = round(rng.uniform(*spec.output_range), -2)
        for row_id in spec.row_ids:
            row = reference.benchmark_row(row_id)
            value = _value(row, rng)
            record: dict[str, object] = {
                "credit_code": code,
                "name": name,
                "region": region,
                "field": spec.field,
                "product": spec.product,
                "indicator": row.indicator if spec.write_indicator else None,
                "output": output,
                "output_unit": spec.output_unit,
                "value": value,
                "value_unit": row.unit,
            }
            mode = rng.random()
            per_output = output * conversion_factor(spec.output_unit, indicator_unit_parts(row.unit)[1])
            if mode < 0.12 and spec.output_unit == "吨" and row.unit == "kgce/t":
                record["output"], record["output_unit"] = output / 10000, "万吨"
            elif mode < 0.18 and row.unit == "kgce/t":
                record["value"], record["value_unit"] = value / 1000, "kgce/kg"
            elif mode < 0.24 and row.unit == "kWh/t":
                record["value"] = None
                record["electricity"] = round(value * per_output / 10000, 2)
            elif mode < 0.28 and row.unit == "kgce/t":
                record["value"] = None
                record["comprehensive_tce"] = round(value * per_output / 1000, 1)
            elif mode < 0.32 and row.unit == "kgce/t" and value > 0:
                energy_kgce = value * per_output
                record["value"] = None
                record["electricity"] = round(energy_kgce * 0.2 / kgce_per_kwh / 10000, 2)
                record["raw_coal"] = round(energy_kgce * 0.8 / kgce_per_t_coal, 1)
            records.append(record)
    keys = [c.key for c in SURVEY_COLUMNS]
    schema = {c.key: (pl.Float64 if c.kind == "number" else pl.String) for c in SURVEY_COLUMNS}
    return pl.DataFrame([{k: r.get(k) for k in keys} for r in records[:n]], schema=schema)


def write_example(path: Path | None = None, reference: ReferenceSet | None = None) -> Path:
    """Write the example survey workbook (default: the bundled file) and return its path."""
    reference = reference or shipped_reference()
    target = path or example_path()
    write_survey_workbook(target, reference, "2023", example_rows(reference))
    return target


if __name__ == "__main__":
    print(write_example())
