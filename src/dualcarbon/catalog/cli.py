"""``dualcarbon catalog …``: the efficiency catalog (能效清单目录) and the obligations list from a shell.

Commands: ``generate``, ``list``, ``show``, ``publish``, ``verify`` (exit 1 when the published snapshot
does not reproduce), ``diff``, ``export`` (Excel) and ``obligations`` (the obligations list of a region and
year, printed or written to Excel; it lives in this group so that the CLI has one entry point for the
bureau's lists).

Like the administration commands, they find the store by ``--data-dir`` / ``DUALCARBON_DATA_DIR`` (SQLite
in that directory) or ``DUALCARBON_DATABASE_URL`` (PostgreSQL), act as an administrator whose audit name is
``cli:<os user>`` (see :func:`dualcarbon.ui.commands.cli_principal`), and read the reference tables
active in the data directory (the shipped ones when none were imported). Errors print one line on stderr
and exit with code 2. ``--json`` prints what the service returned, for scripts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.core.vocab import TIER_ZH
from dualcarbon.ui.commands import (
    DataDirOption,
    JsonOption,
    active_reference,
    check_output,
    cli_principal,
    echo_json,
    echo_listing,
    fail,
    friendly_errors,
    lazy_import,
    transaction,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dualcarbon.catalog import schemas
    from dualcarbon.catalog import service as catalog
    from dualcarbon.catalog import service_diff as catalog_diff
    from dualcarbon.catalog import service_export as catalog_export
    from dualcarbon.catalog import service_generate as catalog_generate
    from dualcarbon.catalog import service_obligations as obligations
    from dualcarbon.catalog import service_publish as catalog_publish
    from dualcarbon.catalog import service_verify as catalog_verify
    from dualcarbon.registry import service_regions as regions
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy or services
    schemas = lazy_import("dualcarbon.catalog.schemas")
    catalog = lazy_import("dualcarbon.catalog.service")
    catalog_diff = lazy_import("dualcarbon.catalog.service_diff")
    catalog_export = lazy_import("dualcarbon.catalog.service_export")
    catalog_generate = lazy_import("dualcarbon.catalog.service_generate")
    obligations = lazy_import("dualcarbon.catalog.service_obligations")
    catalog_publish = lazy_import("dualcarbon.catalog.service_publish")
    catalog_verify = lazy_import("dualcarbon.catalog.service_verify")
    regions = lazy_import("dualcarbon.registry.service_regions")

app = typer.Typer(
    help="The efficiency catalog (能效清单目录): generate, list, show, publish, verify, diff, export; obligations.",
    no_args_is_help=True,
)


# ---- plumbing -----------------------------------------------------------------------------------
def _region_name(session: Session, code: str) -> str:
    return regions.region_names(session, [code]).get(code, "")


def _tier_label(tier: str) -> str:
    return f"{tier} {TIER_ZH.get(tier, tier)}"


def _echo_counts(counts: dict[str, int]) -> None:
    for tier, count in counts.items():
        typer.echo(f"  {_tier_label(tier)}: {count}")
    typer.echo(f"  total 合计: {sum(counts.values())}")


def _headline(data: schemas.CatalogOut, region_name: str = "") -> str:
    region = f"{data.region_code} {region_name}".strip()
    issue = f" issue 第{data.issue_no}期" if data.issue_no else ""
    return (
        f"catalog #{data.id}  {region}  {data.half}  edition {data.edition}  "
        f"basis {data.basis} ({data.basis_zh})  {data.state} {data.state_zh}{issue}"
    )


@contextmanager
def _confirmation_flag(flag: str) -> Iterator[None]:
    """A refusal for want of a confirmation names the command-line flag that gives it."""
    try:
        yield
    except catalog_generate.ConfirmationRequired as exc:
        raise fail(f"{exc.message} (command line: {flag})") from None


# ---- generate, list, show -----------------------------------------------------------------------
@app.command("generate", help="Generate (or regenerate) the draft catalog of a region for a half-year.")
@friendly_errors
def generate(
    region: str = typer.Option(..., "--region", help="6-digit region code"),
    edition: str = typer.Option("2023", "--edition", help="benchmark edition: 2021 or 2023"),
    half: str = typer.Option(
        ..., "--half", help="YYYY-H1 or YYYY-H2 (due dates and report year: the policy pack's catalog_schedule)"
    ),
    basis: str = typer.Option("policy", "--basis", help="policy (标杆/基准) or gb (GB grades 1-3级)"),
    data_year: int | None = typer.Option(None, "--data-year", help="report year instead of the half's rule"),
    allow_empty: bool = typer.Option(
        False, "--allow-empty", help="confirm a catalog with 0 entries (refused otherwise)"
    ),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    reference = active_reference(data_dir)
    with _confirmation_flag("--allow-empty"), transaction(data_dir) as session:
        result = catalog_generate.generate_catalog(
            session,
            cli_principal(),
            region,
            edition,
            half,
            basis,
            reference=reference,
            data_year=data_year,
            confirm_empty=allow_empty,
        )
        data = result.summary()
        name = _region_name(session, region)
    if as_json:
        echo_json(data)
        return
    verb = "regenerated" if result.regenerated else "generated"
    typer.echo(f"{verb} {_headline(data, name)}")
    typer.echo(f"inputs: {result.input_versions} approved annual report(s) of {result.data_year}")
    _echo_counts(result.counts)
    if result.decisions_carried:
        typer.echo(f"upheld appeal(s) carried 沿用申辩决定 (inputs unchanged): {result.decisions_carried}")
    if result.decisions_needing_review:
        typer.echo(
            f"decision(s) needing review 决定需复核 (the inputs they judged changed): {result.decisions_needing_review}"
        )
    undetermined = result.counts.get("undetermined", 0)
    if undetermined:
        typer.echo(
            f"{undetermined} entr(ies) 无法判定: see `dualcarbon catalog show {result.catalog.id}`; publishing needs "
            f"--confirm-undetermined {undetermined}"
        )
    if result.skipped:
        typer.echo(f"skipped {len(result.skipped)} output line(s) without a unit consumption:")
        for line in result.skipped:
            typer.echo(f"  report {line.report_id} v{line.version} {line.product}: {line.reason}")


@app.command("list", help="Catalogs, newest first.")
@friendly_errors
def list_(
    region: str | None = typer.Option(None, "--region", help="only this region code"),
    half: str | None = typer.Option(None, "--half", help="only this half-year"),
    state: str | None = typer.Option(None, "--state", help="draft, published or superseded"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        items, total = catalog.list_catalogs(
            session, cli_principal(), region_code=region, half=half, state=state, limit=limit
        )
    echo_listing(items, _catalog_line, f"{len(items)} of {total} catalog(s)", as_json=as_json, total=total)


def _catalog_line(item: schemas.CatalogOut) -> str:
    issue = str(item.issue_no) if item.issue_no else "-"
    return (
        f"#{item.id}\t{item.region_code}\t{item.half}\t{item.edition}\t{item.basis}\t"
        f"{item.state} {item.state_zh}\tissue {issue}\t{item.total} entries"
    )


@app.command("show", help="One catalog: summary, counts per tier, snapshot hash and state.")
@friendly_errors
def show(
    catalog_id: int = typer.Argument(..., help="catalog id"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        data = catalog.get_catalog(session, cli_principal(), catalog_id)
        name = _region_name(session, data.region_code)
        undetermined: list[schemas.CatalogEntryOut] = []
        if data.counts.get("undetermined") and not as_json:
            undetermined, _ = catalog.list_entries(
                session,
                cli_principal(),
                catalog_id,
                catalog.EntryFilter(tier="undetermined"),
                limit=1000,
                with_evidence=False,
            )
    if as_json:
        echo_json(data)
        return
    typer.echo(_headline(data, name))
    typer.echo(f"created: {data.created_at}")
    typer.echo(f"published: {data.published_at or '-'}")
    if data.supersedes_id:
        typer.echo(f"supersedes: #{data.supersedes_id}")
    typer.echo(f"snapshot hash: {data.snapshot_hash or '- (draft)'}")
    versions = ", ".join(f"{table}={version}" for table, version in sorted(data.reference_versions.items()))
    typer.echo(f"reference versions: {versions or '-'}")
    typer.echo("entries per tier:")
    _echo_counts(data.counts)
    if undetermined:
        typer.echo("无法判定 undetermined entries, and why:")
        for item in undetermined:
            reason = item.undetermined
            typer.echo(
                f"  {item.credit_code} {item.enterprise_name}  {item.product}: {reason.reason_zh if reason else ''}"
            )
        hints = sorted({item.undetermined.hint for item in undetermined if item.undetermined})
        for hint in hints:
            typer.echo(f"  → {hint}")


# ---- publish, verify, diff ----------------------------------------------------------------------
@app.command("publish", help="Publish a draft catalog: issue number, frozen snapshot hash.")
@friendly_errors
def publish(
    catalog_id: int = typer.Argument(..., help="catalog id"),
    confirm_undetermined: int | None = typer.Option(
        None,
        "--confirm-undetermined",
        metavar="N",
        help="confirm publishing N entries that are 无法判定 (N must be their number; refused otherwise)",
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    reference = active_reference(data_dir)
    with _confirmation_flag("--confirm-undetermined N"), transaction(data_dir) as session:
        published = catalog_publish.publish_catalog(
            session, cli_principal(), catalog_id, reference=reference, confirm_undetermined=confirm_undetermined
        )
        issue, digest, supersedes = published.issue_no, published.snapshot_hash, published.supersedes_id
    typer.echo(f"catalog #{catalog_id} published as issue {issue} (第{issue}期)")
    typer.echo(f"snapshot hash: {digest}")
    if supersedes:
        typer.echo(f"supersedes catalog #{supersedes}")


@app.command("verify", help="Recompute a published catalog's snapshot; exit 1 when it does not reproduce.")
@friendly_errors
def verify(
    catalog_id: int = typer.Argument(..., help="catalog id"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    reference = active_reference(data_dir)
    with transaction(data_dir) as session:
        result = catalog_verify.verify_snapshot(session, cli_principal(), catalog_id, reference=reference)
    if as_json:
        echo_json(result)
    elif result.matches:
        typer.echo(
            f"catalog #{catalog_id} reproduces: hash {result.stored_hash}, {result.reclassified} entries re-classified"
        )
    else:
        _echo_verify_problems(result)
    if not result.matches:
        raise typer.Exit(1)


def _echo_verify_problems(result: schemas.SnapshotCheck) -> None:
    typer.echo(f"catalog #{result.catalog_id} does NOT reproduce", err=True)
    if not result.hash_matches:
        typer.echo(f"snapshot hash: stored {result.stored_hash}, recomputed {result.recomputed_hash}")
    for problem in result.input_problems:
        typer.echo(f"report version {problem.report_version_id}: content no longer matches its hash")
    if not result.reference_versions_match:
        typer.echo(
            f"reference versions: recorded {result.reference_versions}, in use {result.current_reference_versions}"
        )
        typer.echo(result.note or "")
    for mismatch in result.reclassification_mismatches:
        if isinstance(mismatch, schemas.EntryProblem):
            typer.echo(f"entry {mismatch.entry_id}: {mismatch.problem}")
        else:
            typer.echo(
                f"entry {mismatch.entry_id}: {mismatch.field} stored {mismatch.stored}, "
                f"recomputed {mismatch.recomputed}"
            )


def _entry_line(item: schemas.EntrySummary) -> str:
    figure = f"{item.value} {item.unit}"
    return f"{item.credit_code} {item.enterprise_name}  {item.product}  {figure}  {_tier_label(item.tier)}"


@app.command("diff", help="Entries added, removed and changed against another catalog (default: the previous issue).")
@friendly_errors
def diff(
    catalog_id: int = typer.Argument(..., help="catalog id"),
    against: int | None = typer.Option(None, "--against", help="catalog id to compare with"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        result = catalog_diff.diff_catalogs(session, cli_principal(), catalog_id, against)
    if as_json:
        echo_json(result)
        return
    other = f"#{result.against_id}" if result.against_id is not None else "nothing (no previous issue)"
    typer.echo(
        f"catalog #{catalog_id} against {other}: {len(result.added)} added, {len(result.removed)} removed, "
        f"{len(result.changed)} changed, {result.unchanged} unchanged"
    )
    for item in result.added:
        typer.echo(f"+ {_entry_line(item)}")
    for item in result.removed:
        typer.echo(f"- {_entry_line(item)}")
    for changed in result.changed:
        before, after = changed.before, changed.after
        typer.echo(
            f"~ {changed.credit_code} {changed.enterprise_name}  {changed.product}  "
            f"{before.value} {before.unit} {_tier_label(before.tier)} → "
            f"{after.value} {after.unit} {_tier_label(after.tier)}"
        )


# ---- exports --------------------------------------------------------------------------------------
@app.command("export", help="Write the catalog workbook (one sheet per tier, 汇总, 参考数据说明).")
@friendly_errors
def export(
    catalog_id: int = typer.Argument(..., help="catalog id"),
    out: Path = typer.Option(..., "--out", "-o", help="the .xlsx to write"),
    force: bool = typer.Option(False, "--force", help="replace an existing file"),
    data_dir: Path | None = DataDirOption,
) -> None:
    check_output(out, force)
    with transaction(data_dir) as session:
        content = catalog_export.export_catalog_xlsx(session, cli_principal(), catalog_id)
    out.write_bytes(content)
    typer.echo(f"catalog #{catalog_id} written: {out}")


@app.command("obligations", help="The obligations list (能源审计、节能诊断 …) of a region for a report year.")
@friendly_errors
def obligations_list(
    region: str = typer.Option(..., "--region", help="6-digit region code"),
    year: int = typer.Option(..., "--year", help="report year (annual reports of that year)"),
    pack: str = typer.Option("national", "--pack", help="policy pack id (e.g. national, shanghai-baiyi-2022) or .yaml"),
    basis: str = typer.Option("equivalent", "--basis", help="energy basis: equivalent (当量值) or equal (等价值)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="write the list to this .xlsx instead of printing"),
    force: bool = typer.Option(False, "--force", help="replace an existing file"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    if out is not None:
        check_output(out, force)
        with transaction(data_dir) as session:
            content = catalog_export.export_obligations_xlsx(session, cli_principal(), region, year, pack, basis=basis)
        out.write_bytes(content)
        typer.echo(f"obligations of {region} for {year} written: {out}")
        return
    with transaction(data_dir) as session:
        listing = obligations.list_obligations(
            session, cli_principal(), region, year, pack, basis=basis, reference=active_reference(data_dir)
        )
    if as_json:
        echo_json(listing)
        return
    policy = listing.pack
    typer.echo(
        f"{region} {year}  pack {policy.id} {policy.title_zh} — {policy.document} {policy.number or ''}".rstrip()
        + f"  {listing.basis_zh}"
    )
    for item in listing.items:
        tce = "-" if item.annual_energy_tce is None else f"{item.annual_energy_tce:,.1f} tce"
        found = [f"{o.obligation_zh}({o.status_zh})" for o in item.obligations if o.status != "does_not_apply"]
        note = f"  [{item.note}]" if item.note else ""
        typer.echo(f"{item.credit_code}\t{item.name}\t{tce}\t{', '.join(found) or '无'}{note}")
    typer.echo(f"{listing.total} enterprise(s)", err=True)
