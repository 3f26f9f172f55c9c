"""Entry point of the `dualcarbon` command: the Typer root that includes every subject's commands.

Each group is listed explicitly, so a moved or missing module is an import error, never a silent skip.
The subjects' ``cli`` modules import only Typer and light helpers at module level and load services,
the store, Polars or NiceGUI inside the commands that use them: ``dualcarbon --help`` and
``dualcarbon calc …`` stay well under a second (benchmarks/bench_cli_startup.py).
"""

from __future__ import annotations

import typer

from dualcarbon.accounts import cli as accounts_cli
from dualcarbon.alerts import cli as alerts_cli
from dualcarbon.app import cli_demo as demo_cli
from dualcarbon.app import cli_reference, cli_serve, cli_store
from dualcarbon.assess import cli as assess_cli
from dualcarbon.audits import cli as audits_cli
from dualcarbon.calc import cli as calc_cli
from dualcarbon.catalog import cli as catalog_cli
from dualcarbon.documents import cli as documents_cli
from dualcarbon.equipment import cli as equipment_cli
from dualcarbon.footprint import cli as footprint_cli
from dualcarbon.monitoring import cli as monitoring_cli
from dualcarbon.monitoring import cli_compact as monitoring_compact_cli
from dualcarbon.monitoring import cli_quality as monitoring_quality_cli
from dualcarbon.monitoring import cli_region as _monitoring_region_cli  # noqa: F401  (store build-region-days)
from dualcarbon.monitoring import cli_scale as monitoring_scale_cli
from dualcarbon.policy import cli as policy_cli
from dualcarbon.projects import cli as projects_cli
from dualcarbon.projects import cli_weather as weather_cli
from dualcarbon.registry import cli as registry_cli
from dualcarbon.subsidies import cli as subsidies_cli
from dualcarbon.targets import cli as targets_cli
from dualcarbon.ui.commands import friendly_errors

app = typer.Typer(
    name="dualcarbon",
    help="双碳 industrial energy-saving and carbon-peaking platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
@friendly_errors
def _start() -> None:
    # Runs before every command (not for --help): read the settings once, so that a bad DUALCARBON_*
    # variable is one `error:` line and exit 2, and set up logging. Both modules are cheap to import.
    from dualcarbon.core.logging import configure_logging
    from dualcarbon.core.settings import get_settings

    configure_logging(get_settings())


app.add_typer(calc_cli.app, name="calc")
app.add_typer(cli_reference.app, name="reference")
app.add_typer(assess_cli.template_app, name="template")
assess_cli.register(app)
cli_serve.register(app)
cli_store.register(app)
accounts_cli.register(app)
registry_cli.register(app)
#: ``dualcarbon import …``: bulk imports from Excel/CSV (all or nothing); each subject adds its own.
import_app = typer.Typer(help="Bulk imports from Excel/CSV (all or nothing).", no_args_is_help=True)
registry_cli.register_imports(import_app)
app.add_typer(import_app, name="import")
for group, group_name in (
    (catalog_cli.app, "catalog"),
    (policy_cli.app, "policy"),
    (weather_cli.app, "weather"),
    (audits_cli.app, "audits"),
    (equipment_cli.app, "equipment"),
    (equipment_cli.technologies_app, "technologies"),
    (projects_cli.app, "projects"),
    (targets_cli.app, "targets"),
    (subsidies_cli.app, "subsidies"),
    (footprint_cli.app, "footprint"),
    (documents_cli.app, "documents"),
):
    app.add_typer(group, name=group_name)
monitoring_cli.register(app)
monitoring_quality_cli.register(app)
monitoring_scale_cli.register(app)
app.add_typer(monitoring_compact_cli.store_app, name="store")
alerts_cli.register(app)
demo_cli.register(app)


if __name__ == "__main__":
    app()
