"""What every calc contract shares: strict input models and one clear error for the first problem."""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from dualcarbon.core.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base for contract inputs: unknown fields are refused (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        """JSON ``true``/``false`` where a number belongs is refused (pydantic's lax mode would read it as 1/0)."""
        if (
            isinstance(value, bool)
            and info.field_name
            and not _takes_bool(cls.model_fields[info.field_name].annotation)
        ):
            raise ValueError("must be a number or text as documented, not true/false")
        return value


def _takes_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _takes_bool(args[0])
    if origin is Union or origin is types.UnionType:
        return any(_takes_bool(arg) for arg in args)
    if origin is Literal:
        return any(isinstance(arg, bool) for arg in args)
    return False


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
        elif first["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        elif first["type"] in _OBJECT_EXPECTED:
            # pydantic names our model class ("instance of EnergyInput"); say what JSON was expected and given
            message = f"must be a JSON object ({{…}}), got {_json_kind(first.get('input'))}"
        raise InvalidInput(message, field=_path(location)) from None


_OBJECT_EXPECTED = frozenset({"model_type", "model_attributes_type", "dict_type"})


def _json_kind(value: Any) -> str:
    """How a JSON value reads to a person: ``null``, ``true/false``, ``a number``, ``text``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


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
