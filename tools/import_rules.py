"""An import-linter contract type for rules over module-name patterns.

The built-in ``forbidden`` contract takes whole module names; our rules speak of *kinds* of module in every
subject (``dualcarbon.*.service*`` must never import ``dualcarbon.*.routes*``), and a new subject or a new
``service_x.py`` must be covered without editing the contract. Patterns are ``fnmatch`` globs on dotted
names. ``same_subject`` limits a rule to imports between two subjects (``{a}`` and ``{b}`` differ), which
is how "another subject uses only its services, schemas and models" is written.

Used from pyproject.toml::

    [tool.importlinter]
    contract_types = ["pattern: import_rules.PatternContract"]

and run as ``PYTHONPATH=tools lint-imports`` (scripts/test.sh does this; tests/test_import_rules.py too).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from importlinter import Contract, ContractCheck, fields, output


def _matches(module: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(module, pattern) for pattern in patterns)


def _subject(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


class PatternContract(Contract):
    """No module matching ``source_modules`` imports a module matching ``forbidden_modules`` directly.

    Options: ``source_modules`` and ``forbidden_modules`` (glob lists), ``except_modules`` (globs of imported
    modules that stay allowed), ``between_subjects`` (only imports from one top-level package into
    another count).
    """

    source_modules = fields.ListField(subfield=fields.StringField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())
    except_modules = fields.ListField(subfield=fields.StringField(), required=False, default=[])
    between_subjects = fields.BooleanField(required=False, default=False)

    def check(self, graph, verbose: bool) -> ContractCheck:  # type: ignore[no-untyped-def]
        sources: list[str] = list(self.source_modules)  # type: ignore[call-overload]
        forbidden: list[str] = list(self.forbidden_modules)  # type: ignore[call-overload]
        allowed: list[str] = list(self.except_modules)  # type: ignore[call-overload]
        between = bool(self.between_subjects)
        broken: list[tuple[str, str, list[int]]] = []
        for importer in sorted(graph.modules):
            if not _matches(importer, sources):
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if not _matches(imported, forbidden) or _matches(imported, allowed):
                    continue
                if between and _subject(importer) == _subject(imported):
                    continue
                lines = [d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)]
                broken.append((importer, imported, lines))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines in check.metadata["broken"]:
            where = ", ".join(f"l.{n}" for n in lines)
            output.print_error(f"{importer} -> {imported} ({where})", bold=False)
        output.new_line()
