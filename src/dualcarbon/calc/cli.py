"""`dualcarbon calc energy|carbon|classify|savings [FILE]`: JSON in (file or stdin), JSON out on stdout."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import typer

from dualcarbon.calc import KINDS
from dualcarbon.core.errors import InvalidInput
from dualcarbon.ui.commands import DataDirOption, fail, friendly_errors

app = typer.Typer(help="Computations as JSON contracts (docs/contracts.md).", no_args_is_help=True)


def _read_payload(file: Path | None) -> object:
    try:
        raw = file.read_bytes() if file and str(file) != "-" else sys.stdin.buffer.read()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text (byte {exc.start})", field="input") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise fail(f"input is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InvalidInput("nested too deeply to be a contract's JSON", field="input") from None


def _refuse_constant(name: str) -> object:
    raise InvalidInput(f"{name} is not JSON; numbers must be finite", field="input")


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
        from dualcarbon.calc.contract import check_finite  # here, not at the top: keeps --help fast
        from dualcarbon.reference.tables import load_reference

        result = check_finite(module.run(payload, load_reference(data_dir)))
        print(json.dumps(result, ensure_ascii=False, indent=indent or None, allow_nan=False))


for _kind in KINDS:
    _make(_kind)
