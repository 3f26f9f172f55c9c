"""`dualcarbon calc energy|carbon|classify|savings [FILE]`: JSON in (file or stdin), JSON out on stdout."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from dualcarbon.calc import KINDS
from dualcarbon.core.errors import InvalidInput, zh_en
from dualcarbon.ui.commands import DataDirOption, friendly_errors

app = typer.Typer(help="Computations as JSON contracts (docs/contracts.md).", no_args_is_help=True)


def _read_payload(file: Path | None) -> object:
    from dualcarbon.calc.contract import load_json  # here, not at the top: keeps --help fast

    try:
        raw = file.read_bytes() if file and str(file) != "-" else sys.stdin.buffer.read()
    except FileNotFoundError:
        raise
    except OSError as exc:  # a directory, no permission …: a bad argument, not an internal error
        reason = exc.strerror or type(exc).__name__
        raise InvalidInput(
            zh_en(f"无法读取输入文件（{reason}）", f"cannot read the input ({reason})"), field="input"
        ) from None
    return load_json(raw)


def _make(kind: str) -> None:
    @app.command(name=kind, help=f"{kind} contract: see docs/contracts.md#{kind}")
    @friendly_errors
    def command(
        file: Path | None = typer.Argument(None, help="JSON file; stdin when omitted or '-'"),
        data_dir: Path | None = DataDirOption,
        indent: int = typer.Option(2, help="JSON indentation (0 = compact)"),
    ) -> None:
        payload = _read_payload(file)
        from dualcarbon.calc.contract import run_contract  # here, not at the top: keeps --help fast
        from dualcarbon.reference.tables import load_reference

        result = run_contract(kind, payload, load_reference(data_dir))
        print(json.dumps(result, ensure_ascii=False, indent=indent or None, allow_nan=False))


for _kind in KINDS:
    _make(_kind)
