"""`dualcarbon assess` (survey → efficiency catalog) and `dualcarbon template assess` (the survey form)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dualcarbon.core.vocab import TIER_ZH
from dualcarbon.ui.commands import DataDirOption, fail, friendly_errors, lazy_import

if TYPE_CHECKING:
    import polars as pl

    from dualcarbon.assess import pipeline
    from dualcarbon.assess.pipeline import Assessment
    from dualcarbon.reference import tables as reference_tables
else:  # loaded on first use: `dualcarbon --help` must not pay for Polars and pint
    pl = lazy_import("polars")
    pipeline = lazy_import("dualcarbon.assess.pipeline")
    reference_tables = lazy_import("dualcarbon.reference.tables")

template_app = typer.Typer(help="Blank forms to fill in (Excel workbooks).", no_args_is_help=True)

_STAGE_ZH = {"read": "读取调查表", "validate": "校验", "classify": "分档", "write": "写出能效清单"}


@template_app.command("assess", help="Write the survey workbook 企业能效调查情况表 (docs/survey-template.md).")
@friendly_errors
def template_assess(
    output: Path = typer.Option(..., "-o", "--output", help="Workbook to write (.xlsx)"),
    edition: str = typer.Option("2023", help="Benchmark edition whose product names the form lists"),
    data_dir: Path | None = DataDirOption,
) -> None:
    from dualcarbon.assess.template import write_survey_workbook

    write_survey_workbook(output, reference_tables.load_reference(data_dir), edition)
    print(f"wrote {output}")


class _Stages:
    """A rich progress bar over the assessment stages (shown only on a terminal, not with --quiet)."""

    def __init__(self, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            disable=not enabled,
        )
        self.task = self.progress.add_task(_STAGE_ZH["read"], total=len(pipeline.STAGES))

    def __call__(self, stage: str, done: int, total: int) -> None:
        if done == total:
            index = pipeline.STAGES.index(stage) + 1
            following = pipeline.STAGES[index] if index < len(pipeline.STAGES) else stage
            self.progress.update(self.task, completed=index, description=_STAGE_ZH[following])


def _print_report(console: Console, result: Assessment, show: int) -> None:
    basis = "政策标杆/基准" if result.basis == "policy" else "GB 限额等级"
    console.print(f"能效分档（{basis}，{result.edition}年版）", style="bold")
    table = Table()
    table.add_column("分档")
    table.add_column("条数", justify="right")
    counts = result.tier_counts()
    tiers = (
        ("benchmark", "between", "below_baseline")
        if result.basis == "policy"
        else ("grade_1", "grade_2", "grade_3", "fails_limit")
    )
    for tier in tiers:
        table.add_row(TIER_ZH[tier], str(counts.get(tier, 0)))
    table.add_row("无法判定", str(result.undetermined.height))
    table.add_row("校验未通过（行）", str(len({i.row for i in result.issues})))
    console.print(table)
    if result.ignored_headers:
        console.print(f"ignored columns: {', '.join(result.ignored_headers)}")
    if result.issues:
        issues = Table(title=f"校验问题（{len(result.issues)} 项）")
        for name in ("行", "列", "问题"):
            issues.add_column(name, overflow="fold")
        for issue in result.issues[:show]:
            issues.add_row(str(issue.row), issue.column, issue.reason)
        console.print(issues)
        if len(result.issues) > show:
            console.print(f"… {len(result.issues) - show} more (all of them go to sheet 校验问题 with --keep-going)")
    if not result.undetermined.is_empty():
        grouped = result.undetermined.group_by("row_id", "undetermined").agg(rows=pl.col("_row").sort()).sort("row_id")
        undetermined = Table(title=f"无法判定（{result.undetermined.height} 行）")
        for name in ("参考行", "行", "原因"):
            undetermined.add_column(name, overflow="fold")
        for row_id, reason, rows in grouped.head(show).iter_rows():
            shown = ", ".join(str(r) for r in rows[:12]) + (f" …（共{len(rows)}行）" if len(rows) > 12 else "")
            undetermined.add_row(row_id, shown, reason)
        console.print(undetermined)
        if grouped.height > show:
            console.print(f"… {grouped.height - show} more reference rows")


def assess_command(
    survey: Path | None = typer.Argument(None, help="Filled survey (.xlsx or .csv)"),
    output: Path | None = typer.Option(None, "-o", "--output", help="Catalog workbook to write (.xlsx)"),
    edition: str = typer.Option("2023", help="Benchmark edition (2021 or 2023)"),
    basis: str = typer.Option("policy", help="policy (标杆/基准) or gb (GB limit-standard grades)"),
    keep_going: bool = typer.Option(False, "--keep-going", help="Write the good rows; list bad/undetermined ones"),
    example: bool = typer.Option(False, "--example", help="Assess the bundled example survey"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
    show: int = typer.Option(50, help="Print at most this many problems"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Assess a survey (企业能效调查情况表) into the efficiency catalog (能效清单目录)."""
    if basis not in ("policy", "gb"):
        raise fail(f"--basis: must be 'policy' or 'gb', got '{basis}'")
    if example == (survey is not None):
        raise fail("give a survey file or --example (not both)")
    if example:
        from dualcarbon.assess.example import example_path

        survey = example_path()
    assert survey is not None
    reference = reference_tables.load_reference(data_dir)
    console = Console()
    stages = _Stages(enabled=not quiet and sys.stderr.isatty())
    with stages.progress:
        result = pipeline.assess_survey(
            survey,
            reference,
            edition=edition,
            basis=basis,  # type: ignore[arg-type]
            progress=stages,
        )
        if output is not None and (keep_going or not result.blocked):
            from dualcarbon.assess.catalog import write_catalog

            write_catalog(result, output, keep_going=keep_going, progress=stages)
    _print_report(console, result, show)
    if output is not None and (keep_going or not result.blocked):
        print(f"wrote {output} ({result.classified.height} rows classified)")
    elif result.blocked:
        written = f"; nothing written to {output}" if output is not None else ""
        raise fail(
            f"{len({i.row for i in result.issues})} row(s) with problems, {result.undetermined.height} "
            f"undetermined{written} (fix them, or use --keep-going)"
        )


def register(app: Any) -> None:
    """Add the top-level `assess` command to the main app."""
    app.command("assess", help="Assess a survey into the efficiency catalog (docs/survey-template.md).")(
        friendly_errors(assess_command)
    )
