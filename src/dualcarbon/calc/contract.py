"""What every calc contract shares: strict input models and one clear error for the first problem."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from dualcarbon.core.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base for contract inputs: unknown fields are refused (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _path(location: tuple[int | str, ...]) -> str:
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "input"


def parse(model: type[M], payload: Any) -> M:
    """Validate ``payload`` against ``model``; the first problem becomes one ``InvalidInput`` line."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = first["msg"]
        if first["type"] == "missing":
            message = "required field is missing"
        elif first["type"] == "extra_forbidden":
            message = "unknown field"
        raise InvalidInput(message, field=_path(location)) from None


def _first_not_finite(value: Any, path: str) -> str | None:
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _first_not_finite(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _first_not_finite(item, f"{path}[{index}]")
            if found:
                return found
    return None


def check_finite(result: Mapping[str, Any]) -> Mapping[str, Any]:
    """``result`` unchanged when every number in it is finite; else ``InvalidInput``: inputs so large that a
    figure overflows (1e308 MWh …) must not come out as ``Infinity``/``NaN``, which JSON does not allow."""
    where = _first_not_finite(result, "")
    if where:
        raise InvalidInput(
            f"the result {where} is not a finite number: the quantities given are too large to compute with",
            field="input",
        )
    return result
