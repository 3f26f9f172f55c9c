"""Entry point of the `dualcarbon` command. Sub-command groups live in sibling modules."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="dualcarbon",
    help="双碳 industrial energy-saving and carbon-peaking platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# (module, attribute, group name or None to merge commands at top level)
_GROUPS: list[tuple[str, str, str | None]] = [
    ("dualcarbon.cli.calc", "app", "calc"),
    ("dualcarbon.cli.reference_cmd", "app", "reference"),
    ("dualcarbon.cli.assess_cmd", "template_app", "template"),
    ("dualcarbon.cli.assess_cmd", "register", None),
    ("dualcarbon.cli.serve_cmd", "register", None),
    ("dualcarbon.cli.admin_cmd", "register", None),
    ("dualcarbon.cli.catalog_cmd", "app", "catalog"),
    ("dualcarbon.cli.demo_cmd", "register", None),
]

for _module, _attr, _name in _GROUPS:
    try:
        _mod = importlib.import_module(_module)
    except ModuleNotFoundError as _exc:  # a group still being written must not break the others
        if _exc.name != _module:
            raise
        continue
    _obj = getattr(_mod, _attr)
    if _name is None:
        _obj(app)
    else:
        app.add_typer(_obj, name=_name)


if __name__ == "__main__":
    app()
