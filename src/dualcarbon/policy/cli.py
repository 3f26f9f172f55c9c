"""``dualcarbon policy list | show PACK | validate FILE | import FILE``: the policy packs (规则包).

``list`` and ``show`` read the shipped packs and, when the workspace has a database, the versions imported
into it (the newest import of a pack id is in force). ``validate`` checks a YAML file without storing it;
the first problem names its line and field. ``import`` stores the file as the next version of its pack id,
as an administrator whose audit name is ``cli:<os user>``. Errors: one line on stderr, exit code 2.
Format of a pack: docs/policy-packs.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dualcarbon.ui.commands import DataDirOption, cli_principal, fail, friendly_errors, lazy_import, transaction

if TYPE_CHECKING:
    from dualcarbon.policy import service
    from dualcarbon.reference import policy as shipped
else:  # loaded on first use: `dualcarbon --help` imports no SQLAlchemy
    service = lazy_import("dualcarbon.policy.service")
    shipped = lazy_import("dualcarbon.reference.policy")

app = typer.Typer(help="Policy packs (规则包): list, show, validate, import.", no_args_is_help=True)
JsonOption = typer.Option(False, "--json", help="print the result as JSON")
LanguageOption = typer.Option(
    "zh", "--language", help="zh or en: the titles and clauses of the text output (en: our English renderings)"
)


def _language(language: str) -> str:
    if language not in ("zh", "en"):
        raise fail(f"--language must be zh or en (got '{language}') / --language 只能是 zh 或 en")
    return language


def _in(item: dict[str, Any], key: str, language: str) -> str:
    """``<key>_zh`` (or ``<key>`` for a source's clause) in Chinese; in English the ``<key>_en`` rendering where the
    pack has one, else the Chinese original."""
    original = item.get(f"{key}_zh", item.get(key, "")) or ""
    return (item.get(f"{key}_en") or original) if language == "en" else original


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _has_store(data_dir: Path | None) -> bool:
    return service.has_store(data_dir)


def _shipped_only_list() -> list[dict[str, Any]]:
    out = []
    for pack_id in shipped.list_packs():
        item = service.summary(shipped.load_pack(pack_id))
        out.append({**item, "in_force": service.SHIPPED, "versions": [service.SHIPPED]})
    return out


@app.command("list", help="Every policy pack: id, jurisdiction, validity, the version in force.")
@friendly_errors
def list_command(
    as_json: bool = JsonOption, language: str = LanguageOption, data_dir: Path | None = DataDirOption
) -> None:
    language = _language(language)
    if _has_store(data_dir):
        with transaction(data_dir) as session:
            items = service.list_packs(session, cli_principal())
    else:
        items = _shipped_only_list()
    if as_json:
        _echo_json(items)
        return
    for item in items:
        valid = f"{item['valid_from'] or '…'} – {item['valid_to'] or '…'}"
        counts = ", ".join(f"{name} {count}" for name, count in item["counts"].items() if count)
        typer.echo(
            f"{item['id']}  {item['jurisdiction']}  {_in(item, 'title', language)}  [{valid}]  "
            f"in force: {item['in_force']}  versions: {', '.join(map(str, item['versions']))}  ({counts})"
        )


@app.command("show", help="One pack (id or alias) in full; the versions, the one in force marked '*'.")
@friendly_errors
def show_command(
    pack: str = typer.Argument(..., help="pack id or alias, e.g. longgang-2022 or longgang"),
    version: str | None = typer.Option(None, "--version", help="a stored version number or 'shipped'"),
    as_json: bool = JsonOption,
    language: str = LanguageOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    language = _language(language)
    if _has_store(data_dir):
        with transaction(data_dir) as session:
            data = service.show_pack(session, cli_principal(), pack, version)
    else:
        if version not in (None, service.SHIPPED):
            raise typer.BadParameter("no database in this workspace: only the shipped version exists")
        loaded = shipped.resolve_pack(pack)
        data = {
            **service.summary(loaded),
            "version": service.SHIPPED,
            "in_force": service.SHIPPED,
            "is_in_force": True,
            "versions": [{"version": service.SHIPPED, "in_force": True}],
            "pack": loaded.model_dump(mode="json", by_alias=True, exclude_defaults=True),
        }
    if as_json:
        _echo_json(data)
        return
    typer.echo(f"{data['id']}  {_in(data, 'title', language)}  ({data['jurisdiction']})")
    typer.echo(f"  document: {data['document']}   valid: {data['valid_from'] or '…'} – {data['valid_to'] or '…'}")
    typer.echo("  versions: " + ", ".join(f"{v['version']}{'*' if v['in_force'] else ''}" for v in data["versions"]))
    typer.echo(f"  showing: {data['version']}{' (in force)' if data['is_in_force'] else ' (NOT in force)'}")
    body = data["pack"]
    for section in ("obligations", "targets", "schedules", "parameters", "rules", "warning_schemes"):
        for item in body.get(section, []):
            value = f" = {item['value']} {item.get('unit', '')}".rstrip() if "value" in item else ""
            clause = _in(item.get("source") or {}, "clause", language)
            typer.echo(f"  [{section}] {item['id']}: {_in(item, 'title', language)}{value}   ({clause})")


@app.command("validate", help="Check a pack file; the first problem names its line and field (exit 2).")
@friendly_errors
def validate_command(file: Path = typer.Argument(..., help="YAML pack file"), as_json: bool = JsonOption) -> None:
    result = service.validate_file(file)
    if as_json:
        _echo_json(result)
        return
    typer.echo(f"{file}: valid policy pack '{result['id']}' ({result['jurisdiction']}), sha256 {result['sha256'][:12]}")


@app.command("import", help="Store a pack file as the next version of its pack id (it is in force from now).")
@friendly_errors
def import_command(
    file: Path = typer.Argument(..., help="YAML pack file"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        result = service.import_file(session, cli_principal(), file)
    if as_json:
        _echo_json(result)
        return
    if result["created"]:
        typer.echo(f"imported {result['id']} as version {result['version']} (in force)")
    else:
        same = f"identical to version {result['version']}"
        typer.echo(f"{result['id']}: {same}; nothing imported (in force: {result['in_force']})")
