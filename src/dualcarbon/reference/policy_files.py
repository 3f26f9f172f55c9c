"""Reading a policy pack from YAML text with errors that name the line and the field.

:func:`parse_pack_text` validates a pack given as text (a file to validate or import, a stored version)
and turns the first problem into one ``InvalidInput`` whose field reads ``<origin> line <n>: <path>``:
the line is found by walking the YAML node tree along the path pydantic reports.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference.policy import PolicyPack

MAX_BYTES = 2_000_000


def _node_line(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest YAML node along ``loc`` (pydantic's error location)."""
    node, line = root, None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            found = None
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    found, line = value, key.start_mark.line + 1
                    break
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        elif isinstance(part, str):  # union tags (all / any / fact, function-…) are not in the text
            continue
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _where(loc: tuple[int | str, ...]) -> str:
    """``rules[2].eligible.all[0].min`` from pydantic's location (union tags dropped)."""
    out, previous = "", None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == previous or part == "fact" or part.startswith("function-"):
            continue  # a discriminated union repeats its tag ("all", "all") or names it ("fact")
        else:
            out += ("." if out else "") + part
        previous = part
    return out


def parse_pack_text(text: str, origin: str = "policy pack") -> PolicyPack:
    """Validate YAML ``text`` as a pack; one ``InvalidInput`` naming the line and field of the first problem."""
    try:
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{origin} line {mark.line + 1}" if mark else origin
        raise InvalidInput(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", field=where) from None
    if not isinstance(data, dict):
        raise InvalidInput("a policy pack is a YAML mapping (schema, id, title_zh …)", field=origin)
    try:
        return PolicyPack.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "required field is missing"
        elif first["type"] == "extra_forbidden":
            message = "unknown field"
        line = _node_line(root, loc)
        place = f"{origin} line {line}" if line else origin
        path = _where(loc)
        raise InvalidInput(message, field=f"{place}: {path}" if path else place) from None


def read_pack_file(path: Path) -> tuple[str, PolicyPack, str]:
    """Text, validated pack and SHA-256 of a pack file (any name: the pack id need not match it)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"file not found: {path}", field="file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="file") from None
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"larger than {MAX_BYTES} bytes; a policy pack is a short text", field="file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text (byte {exc.start})", field=path.name) from None
    return text, parse_pack_text(text, path.name), hashlib.sha256(text.encode("utf-8")).hexdigest()
