"""`dualcarbon calc energy|carbon|classify|savings [FILE]`: JSON in (file or stdin), JSON out on stdout."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import typer

from dualcarbon.calc import KINDS
from dualcarbon.ui.commands import DataDirOption, fail, friendly_errors

app = typer.Typer(help="Computations as JSON contracts (docs/contracts.md).", no_args_is_help=True)


def _read_payload(file: Path | None) -> object:
    text = file.read_text(encoding="utf-8") if file and str(file) != "-" else sys.stdin.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"input is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def _make(kind: str) -> None:
    @app.command(name=kind, help=f"{kind} contract: see docs/contracts.md#{kind}")
    @friendly_errors
    def command(
        file: Path | None = typer.Argument(None, help="JSON file; stdin when omitted or '-'"),
        data_dir: Path | None = DataDirOption,
        indent: int = typer.Option(2, help="JSON indentation (0 = compact)"),
    ) -> None:
        payload = _read_payload(file)
        module = importlib.import_module(f"dualcarbon.calc.{kind}")
        from dualcarbon.reference.tables import load_reference  # here, not at the top: keeps --help fast

        result = module.run(payload, load_reference(data_dir))
        print(json.dumps(result, ensure_ascii=False, indent=indent or None))


for _kind in KINDS:
    _make(_kind)
