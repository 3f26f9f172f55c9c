"""What every calc contract shares: reading its JSON, strict input models, one clear error for the first
problem — Chinese first (``中文 / English``, the Chinese alone as ``zh`` for the API's Chinese readers) — and
running a contract by name for the CLI and the API alike."""

from __future__ import annotations

import importlib
import json
import math
import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from dualcarbon.core.errors import DualcarbonError, InvalidInput, validation_message_zh, zh_en
from dualcarbon.reference.tables import ReferenceSet

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
            zh = f"此项须为 JSON 对象（{{…}}），实为{_JSON_KIND_ZH.get(_json_kind(first.get('input')), '其他值')}"
            raise InvalidInput(message, field=_path(location), zh=zh) from None
        raise InvalidInput(message, field=_path(location), zh=validation_message_zh(first)) from None


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


_JSON_KIND_ZH = {"null": "null", "true/false": "true/false", "a number": "数字", "text": "文本", "a list": "列表"}


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
        zh = f"结果 {where} 不是有限的数：输入的数量过大，无法计算"
        raise InvalidInput(
            zh_en(zh, f"the result {where} is not a finite number: the quantities given are too large to compute with"),
            field="input",
            zh=zh,
        )
    return result


# ---- reading the input ---------------------------------------------------------------------------------------
def _bad_input(zh: str, en: str) -> InvalidInput:
    return InvalidInput(zh_en(zh, en), field="input", zh=zh)


def _refuse_constant(name: str) -> object:
    raise _bad_input(f"{name} 不是 JSON 的数值，数字须为有限值", f"{name} is not JSON; numbers must be finite")


def load_json(raw: bytes) -> object:
    """The JSON value of a contract's input (a file, stdin or a request body); any problem is ``InvalidInput``
    at field ``input`` naming the line and column: not UTF-8, not JSON, ``NaN``/``Infinity``, nested too deeply."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad_input(f"输入不是 UTF-8 文本（第 {exc.start} 字节）", f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise _bad_input(
            f"输入不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列有误（{exc.msg}）",
            f"input is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}",
        ) from None
    except RecursionError:
        raise _bad_input("JSON 嵌套过深，不是计算接口的输入", "nested too deeply to be a contract's JSON") from None


# ---- running a contract ----------------------------------------------------------------------------------------
_REFERENCE_HINT_ZH = "或由系统管理员依据官方文本导入参考表"
#: Chinese for the reference errors a contract meets, by the English text the reference layer writes.
_REFERENCE_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"unknown energy carrier '(?P<name>[^']*)'"), "未知的能源品种“{name}”：参考表中没有这一品种"),
    (
        re.compile(
            r"no (?P<basis>\w+) grid emission factor for year (?P<year>\d+), region '(?P<region>[^']*)' "
            r"\(years available for this region: (?P<years>[^)]*)\)"
        ),
        "参考表中没有{region} {year} 年的电网排放因子（该地区已有年份：{years}）；请在输入中给出 factor，"
        + _REFERENCE_HINT_ZH,
    ),
    (
        re.compile(r"供电标准煤耗 for (?P<year>\d+)"),
        "参考表中没有 {year} 年的供电标准煤耗；请在输入中给出 equal_rate，" + _REFERENCE_HINT_ZH,
    ),
    (
        re.compile(r"no GB/T 2589 conversion coefficient for (?P<name>\S+)"),
        "参考表中没有{name}的 GB/T 2589 折标准煤系数；请给出实测低位发热量，" + _REFERENCE_HINT_ZH,
    ),
    (
        re.compile(r"no default combustion parameters .* for (?P<name>\S+) "),
        "参考表中没有{name}的缺省燃烧参数（低位发热量、单位热值含碳量、碳氧化率）；请给出实测值，" + _REFERENCE_HINT_ZH,
    ),
    (
        re.compile(r"no carbonate factor for '(?P<name>[^']*)'"),
        "参考表中没有碳酸盐“{name}”的排放因子；请在输入中给出 factor（tCO2/t），" + _REFERENCE_HINT_ZH,
    ),
)
#: Chinese by the kind of error, when the message is none of the above.
_KIND_ZH = {
    "UnknownCarrier": "未知的能源品种",
    "MissingCoefficient": "参考表缺少计算所需的数值；" + _REFERENCE_HINT_ZH,
    "UnitMismatch": "单位无法识别，或与该数量的单位不符",
    "UnknownReferenceRow": "找不到对应的参考数据行",
    "AmbiguousProduct": "产品名称对应多个参考数据行，请写明具体产品",
    "InvalidInput": "输入有误",
}


def chinese_first(exc: DualcarbonError) -> DualcarbonError:
    """``exc`` with a Chinese ``zh`` and a ``中文 / English`` message (an error that has both is unchanged)."""
    if not exc.zh:
        exc.zh = _KIND_ZH.get(type(exc).__name__, "无法计算")
        for pattern, template in _REFERENCE_ZH:
            if match := pattern.search(exc.message):
                found = {
                    k: v.strip("[]") if v.strip("[]") not in ("", "none") else "无"
                    for k, v in match.groupdict().items()
                }
                exc.zh = template.format(**found)
                break
    if not exc.message.startswith(exc.zh):
        exc.message = zh_en(exc.zh, exc.message)
    return exc


def run_contract(kind: str, payload: object, reference: ReferenceSet) -> Mapping[str, Any]:
    """Run the contract ``kind`` (``energy``, ``carbon`` …) on ``payload``; its errors Chinese first."""
    module = importlib.import_module(f"dualcarbon.calc.{kind}")
    try:
        return check_finite(module.run(payload, reference))
    except DualcarbonError as exc:
        raise chinese_first(exc) from None
