"""``dualcarbon subsidies …``: subsidy applications and budget pools from a shell.

Commands: ``list`` (applications, newest first, with amount and state) and ``pools`` (budget pools with what is
committed and what is left). They find the store like the other commands (``--data-dir`` /
``DUALCARBON_DATA_DIR`` or ``DUALCARBON_DATABASE_URL``) and act as the CLI administrator. Errors print one line
on stderr and exit 2; ``--json`` prints what the service returned.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import (
    DataDirOption,
    JsonOption,
    cli_principal,
    echo_listing,
    friendly_errors,
    lazy_import,
    transaction,
)

if TYPE_CHECKING:
    from dualcarbon.subsidies import schemas
    from dualcarbon.subsidies import service_applications as applications
    from dualcarbon.subsidies import service_pools as pools
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy or services
    schemas = lazy_import("dualcarbon.subsidies.schemas")
    applications = lazy_import("dualcarbon.subsidies.service_applications")
    pools = lazy_import("dualcarbon.subsidies.service_pools")

app = typer.Typer(
    help="Subsidy applications and budget pools (补贴申请/预算资金池): list, pools.", no_args_is_help=True
)


@app.command("list", help="Subsidy applications, newest first.")
@friendly_errors
def list_(
    year: int | None = typer.Option(None, "--year", help="only this budget year"),
    state: str | None = typer.Option(None, "--state", help="submitted, in_review, approved, rejected or paid"),
    rule: str | None = typer.Option(None, "--rule", help="the pack rule key (pv, storage, retrofit …)"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        items, total = applications.list_applications(
            session, cli_principal(), year=year, state=state, rule=rule, limit=limit
        )
    echo_listing(items, _application_line, f"{total} application(s)", as_json=as_json, total=total)


def _application_line(item: schemas.ApplicationOut) -> str:
    return (
        f"#{item.id}\t{item.year}\t{item.pack}/{item.rule}\t{item.applicant_credit_code}\t{item.applicant_name}\t"
        f"{item.amount_yuan:.2f} 元\t{item.state_zh}\t{','.join(item.claims) or '-'}"
    )


@app.command("pools", help="Budget pools: total, committed by approvals, remaining.")
@friendly_errors
def pools_(
    year: int | None = typer.Option(None, "--year", help="only this year"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        items = pools.list_pools(session, cli_principal(), year=year)
    echo_listing(items, _pool_line, f"{len(items)} pool(s)", as_json=as_json)


def _pool_line(item: schemas.PoolOut) -> str:
    return (
        f"#{item.id}\t{item.year}\t{item.pack}/{item.rule}\t{item.region_code}\t"
        f"total {item.total_yuan:.2f}\tcommitted {item.committed_yuan:.2f}\tremaining {item.remaining_yuan:.2f}"
    )
