"""Benchmark of the batch assessment (survey → efficiency catalog) at 100,000 rows.

    uv run python benchmarks/bench_assess.py [--rows 100000] [--skip-baseline] [--keep DIR]

1. Generates a synthetic survey of ``--rows`` rows (the example generator, another seed) and writes it
   as CSV and XLSX (not timed).
2. Times the platform path on each file: read (polars / fastexcel-calamine), validate, classify
   (polars expressions), write (xlsxwriter + bulk rows), and the end-to-end wall time.
3. Times, in the same process, a straightforward row-by-row pure-Python implementation of the same
   assessment (csv module or openpyxl read-only, per-row domain calls, openpyxl write-only workbook)
   and checks it reaches the same tiers. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import openpyxl
import polars as pl

from dualcarbon.assess.catalog import write_catalog
from dualcarbon.assess.columns import GB_SHEETS, SURVEY_COLUMNS
from dualcarbon.assess.example import example_rows
from dualcarbon.assess.pipeline import assess_survey
from dualcarbon.assess.template import write_survey_workbook
from dualcarbon.core.errors import DualcarbonError
from dualcarbon.domain.efficiency import classify_row
from dualcarbon.domain.identifiers import validate_credit_code, validate_region_code
from dualcarbon.domain.products import ProductCatalog
from dualcarbon.reference import ReferenceSet, shipped_reference

SEED = 7


def make_inputs(reference: ReferenceSet, rows: int, directory: Path) -> tuple[Path, Path, float]:
    started = time.perf_counter()
    frame = example_rows(reference, n=rows, seed=SEED)
    csv_path = directory / "survey.csv"
    frame.rename({c.key: c.header for c in SURVEY_COLUMNS}).write_csv(csv_path)
    xlsx_path = directory / "survey.xlsx"
    write_survey_workbook(xlsx_path, reference, "2023", frame)
    return csv_path, xlsx_path, time.perf_counter() - started


def platform_path(path: Path, reference: ReferenceSet, out: Path) -> dict[str, float | int | Counter[str]]:
    cpu = time.process_time()
    started = time.perf_counter()
    result = assess_survey(path, reference, basis="gb")
    write_started = time.perf_counter()
    write_catalog(result, out, keep_going=True)
    end = time.perf_counter()
    return {
        **result.timings,
        "write": end - write_started,
        "total": end - started,
        "cpu": time.process_time() - cpu,
        "rows": result.rows_total,
        "tiers": Counter(result.classified["tier"].to_list()),
    }


# ---- the baseline: row by row, standard library + openpyxl -------------------------------------------
def _number(text: object) -> float | None:
    if text is None or str(text).strip() == "":
        return None
    return float(str(text).replace(",", ""))


def _text(cell: object) -> str | None:
    return None if cell is None or str(cell).strip() == "" else str(cell)


def baseline_path(path: Path, reference: ReferenceSet, out: Path) -> dict[str, float | int | Counter[str]]:
    cpu = time.process_time()
    started = time.perf_counter()
    keys = {c.header: c.key for c in SURVEY_COLUMNS}
    records: list[dict[str, object]] = []
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for raw in csv.DictReader(handle):
                records.append({keys[h]: (v if v != "" else None) for h, v in raw.items() if h in keys})
    else:
        book = openpyxl.load_workbook(path, read_only=True)
        sheet = book["企业能效调查情况表"]
        rows = sheet.iter_rows(values_only=True)
        header = [keys.get(str(h), "") for h in next(rows)]
        for values in rows:
            records.append(dict(zip(header, values, strict=False)))
        book.close()
    read_done = time.perf_counter()
    catalog = ProductCatalog.for_edition(reference, "2023")
    provinces = {"32"}
    electricity = reference.conversion_coefficient(reference.carrier("electricity"))
    carriers = {
        c.key: reference.conversion_coefficient(reference.carrier(c.carrier or "")) for c in SURVEY_COLUMNS if c.carrier
    }
    out_rows: list[tuple[object, ...]] = []
    problems = 0
    for index, record in enumerate(records, start=2):
        try:
            code = validate_credit_code(str(record["credit_code"]))
            validate_region_code(str(record["region"]), provinces)
            row = catalog.match(
                str(record["field"]),
                str(record["product"]),
                _text(record.get("value_unit")),
                _text(record.get("indicator")),
            )
            output = _number(record["output"])
            value = _number(record.get("value"))
            unit = str(record.get("value_unit") or row.unit)
            if value is None:  # derive from the energy columns, as the platform does
                if row.unit.startswith("kWh"):
                    value = (_number(record.get("electricity")) or 0) * 10000 / (output or 1)
                else:
                    total = _number(record.get("comprehensive_tce"))
                    if total is None:
                        total = 0.0
                        for key, coefficient in carriers.items():
                            quantity = _number(record.get(key))
                            if quantity is not None and coefficient.value is not None:
                                per = 10000.0 if key in ("electricity", "natural_gas") else 1000.0
                                total += quantity * per * coefficient.value / 1000
                    value = total * 1000 / (output or 1)
                unit = row.unit
            result = classify_row(value, unit, row, "gb", output, str(record["output_unit"]), electricity)
        except (DualcarbonError, ValueError, KeyError):
            problems += 1
            continue
        out_rows.append(
            (
                code,
                record["name"],
                record["region"],
                row.field,
                row.product,
                row.indicator,
                output,
                record["output_unit"],
                result.value,
                row.unit,
                result.tier_zh,
                result.gap_to_benchmark,
                result.gap_to_benchmark_pct,
                result.gap_to_baseline,
                result.gap_to_baseline_pct,
                result.saving_to_benchmark_tce,
                result.saving_to_baseline_tce,
                row.row_id,
                row.grade_1,
                row.grade_2,
                row.grade_3,
                record["product"],
                record.get("value"),
                record.get("value_unit"),
                "填报",
                index,
                None,
                result.tier,
            )
        )
    classify_done = time.perf_counter()
    book = openpyxl.Workbook(write_only=True)
    sheets = {tier: book.create_sheet(name) for tier, name in GB_SHEETS.items()}
    for sheet in sheets.values():
        sheet.append(["统一社会信用代码"] + [f"c{i}" for i in range(26)])
    for line in out_rows:
        sheets[str(line[-1])].append(line[:-1])
    book.save(out)
    end = time.perf_counter()
    return {
        "read": read_done - started,
        "validate+classify": classify_done - read_done,
        "write": end - classify_done,
        "total": end - started,
        "cpu": time.process_time() - cpu,
        "rows": len(records),
        "problems": problems,
        "tiers": Counter(str(line[-1]) for line in out_rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="platform runs per file; the fastest is reported")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this directory")
    args = parser.parse_args()
    reference = shipped_reference()
    with tempfile.TemporaryDirectory() as temp:
        directory = args.keep or Path(temp)
        directory.mkdir(parents=True, exist_ok=True)
        csv_path, xlsx_path, generated = make_inputs(reference, args.rows, directory)
        print(
            f"generated {args.rows} rows in {generated:.1f} s: {csv_path.stat().st_size / 1e6:.1f} MB csv, "
            f"{xlsx_path.stat().st_size / 1e6:.1f} MB xlsx",
            file=sys.stderr,
        )
        results: dict[str, dict[str, float | int | Counter[str]]] = {}
        for name, path in (("csv", csv_path), ("xlsx", xlsx_path)):
            runs = [platform_path(path, reference, directory / f"catalog_{name}.xlsx") for _ in range(args.repeat)]
            results[f"platform {name}"] = min(runs, key=lambda r: float(r["total"]))  # type: ignore[arg-type]
            if not args.skip_baseline:
                results[f"baseline {name}"] = baseline_path(path, reference, directory / f"baseline_{name}.xlsx")
            print(f"{name} done", file=sys.stderr)
    print(
        f"date: {datetime.date.today()}  machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, polars {pl.__version__}"
    )
    load = os.getloadavg()[0]
    print(
        f"command: uv run python benchmarks/bench_assess.py --rows {args.rows} --repeat {args.repeat}"
        f"  (load average at the end: {load:.1f})\n"
    )
    print("| run | rows | read s | validate s | classify s | write s | total s (wall) | CPU s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        validate = r.get("validate", r.get("validate+classify"))
        classify = r.get("classify", "(with validate)")
        cells = [
            f"{v:.2f}" if isinstance(v, float) else str(v)
            for v in (r["read"], validate, classify, r["write"], r["total"], r["cpu"])
        ]
        print(f"| {name} | {r['rows']} | " + " | ".join(cells) + " |")
    for kind in ("csv", "xlsx"):
        base, fast = results.get(f"baseline {kind}"), results.get(f"platform {kind}")
        if base and fast:
            ratio = float(base["total"]) / float(fast["total"])  # type: ignore[arg-type]
            cpu_ratio = float(base["cpu"]) / float(fast["cpu"])  # type: ignore[arg-type]
            same = (
                "same tiers" if base["tiers"] == fast["tiers"] else f"TIERS DIFFER {base['tiers']} vs {fast['tiers']}"
            )
            print(f"\n{kind}: baseline / platform = {ratio:.1f}× wall, {cpu_ratio:.1f}× CPU ({same})")


if __name__ == "__main__":
    main()
