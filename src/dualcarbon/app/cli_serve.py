"""`dualcarbon serve`: the API and the web UI on one port (uvicorn), over the data directory's store."""

from __future__ import annotations

from pathlib import Path

import typer

from dualcarbon.ui.commands import DataDirOption, data_dir_or_default, friendly_errors


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the top-level ``dualcarbon`` command."""

    @app.command(help="Serve the web UI and the REST API (/api/v1, /openapi.json) on HOST:PORT.")
    @friendly_errors
    def serve(
        data_dir: Path | None = DataDirOption,
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on"),
        log_level: str = typer.Option("info", "--log-level", help="uvicorn log level"),
    ) -> None:
        import uvicorn

        from dualcarbon.app.web import create_web_app
        from dualcarbon.core.settings import get_settings
        from dualcarbon.store.db import DATABASE_URL_ENV

        directory = data_dir_or_default(data_dir)
        where = DATABASE_URL_ENV if get_settings().database_url else str(directory.absolute())
        app = create_web_app(data_dir=directory)
        typer.echo(f"dualcarbon: serving {where} on http://{host}:{port}/ (API: /api/v1, docs: /docs)")
        uvicorn.run(app, host=host, port=port, log_level=log_level)
