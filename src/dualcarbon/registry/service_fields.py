"""The fields of an enterprise and how a given value becomes the stored one (or a refusal naming the field).

The 统一社会信用代码 and 行政区划代码 are checked by :mod:`dualcarbon.domain.identifiers`; industry codes follow
GB/T 4754 (section letter + 2–4 digits); yes/no cells accept 是/否, Y/N, 1/0, 规上/规下; texts have length
limits. A refusal carries the English message and a Chinese one naming the field as the sheet heads it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from dualcarbon.core.errors import DualcarbonError, InvalidInput
from dualcarbon.domain.identifiers import (
    CREDIT_CODE_CHARSET,
    CREDIT_CODE_LENGTH,
    normalise_code,
    validate_credit_code,
    validate_region_code,
)
from dualcarbon.registry.service_sheet import FIELD_ZH

ENTERPRISE_FIELDS = (
    "credit_code",
    "name",
    "region_code",
    "industry_code",
    "above_scale",
    "land_area_mu",
    "key_energy_user",
    "address",
    "contact",
)
#: Fields an enterprise user or agency may change on its own enterprise; the rest are the regulator's.
SELF_DECLARED_FIELDS = frozenset({"address", "contact", "land_area_mu"})
_INDUSTRY_CODE = re.compile(r"^[A-T]\d{2,4}$")
_TRUE_WORDS = frozenset({"1", "y", "yes", "true", "t", "是", "√", "✓", "规上", "规模以上", "重点"})
_FALSE_WORDS = frozenset({"0", "n", "no", "false", "f", "否", "×", "✗", "规下", "规模以下", "非重点"})
_TEXT_LIMITS = {"name": 200, "address": 300, "contact": 200}


def parse_flag(value: object) -> bool:
    """A yes/no cell: booleans, 1/0, 是/否, Y/N, true/false, 规上/规下, √/×."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if value is None:
        raise InvalidInput("a yes/no value is required (是/否)", zh="请填写“是”或“否”")
    word = str(value).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise InvalidInput(
        f"'{value}' is not yes/no (是/否, 1/0, Y/N)", zh=f"「{value}」不是“是/否”（可填 是/否、1/0、Y/N）"
    )


def clean_field(name: str, value: object) -> Any:
    """The stored form of one enterprise field, or InvalidInput (located at ``name``) saying why."""
    try:
        return _clean(name, value)
    except DualcarbonError as exc:
        if exc.zh is None:  # the identifier checks in domain/ speak English only: say it for a Chinese reader
            exc.zh = _identifier_zh(name, value)
        elif name in FIELD_ZH and FIELD_ZH[name] not in exc.zh:
            exc.zh = f"{FIELD_ZH[name]}：{exc.zh}"
        raise exc.at(name) if exc.field != name else exc from None


def _identifier_zh(name: str, value: object) -> str:
    label = FIELD_ZH.get(name, name)
    text = normalise_code(text_of(value))
    if name == "credit_code":
        if len(text) != CREDIT_CODE_LENGTH:
            return f"{label}须为18位，收到 {len(text)} 位"
        for position, char in enumerate(text, start=1):
            if char not in CREDIT_CODE_CHARSET:
                return f"{label}第 {position} 位的「{char}」不是可用字符（只用数字和大写字母，不用 I、O、S、V、Z）"
        if not text[2:8].isdigit():
            return f"{label}第3–8位须为登记管理机关的6位行政区划代码"
        return f"{label}有误：末位校验码与前17位不符（GB 32100），请核对"
    if name == "region_code":
        return f"{label}须为6位数字的 GB/T 2260 代码（如 330302），收到「{text}」"
    return f"{label}有误"


def _clean(name: str, value: object) -> Any:
    if name == "credit_code":
        return validate_credit_code(text_of(value))
    if name == "region_code":
        return validate_region_code(text_of(value))
    if name == "industry_code":
        code = unicodedata.normalize("NFKC", text_of(value)).strip().upper()
        if not _INDUSTRY_CODE.match(code):
            raise InvalidInput(
                f"'{code}' is not a GB/T 4754 code (section letter and 2–4 digits, e.g. C3011)",
                zh=f"「{code}」不是 GB/T 4754 行业代码（门类字母加2–4位数字，如 C3011）",
            )
        return code
    if name in ("above_scale", "key_energy_user"):
        return parse_flag(value)
    if name == "land_area_mu":
        return _non_negative(value)
    if name in _TEXT_LIMITS:
        text = text_of(value).strip()
        if len(text) > _TEXT_LIMITS[name]:
            raise InvalidInput(
                f"at most {_TEXT_LIMITS[name]} characters, got {len(text)}",
                zh=f"最多 {_TEXT_LIMITS[name]} 个字符，现有 {len(text)} 个",
            )
        if name == "name":
            if not text:
                raise InvalidInput("the enterprise name is empty", zh="请填写企业名称")
            return text
        return text or None
    raise InvalidInput(
        f"unknown field '{name}' (fields: {', '.join(ENTERPRISE_FIELDS)})",
        zh="企业信息中没有这一项（可填：" + "、".join(FIELD_ZH.values()) + "）",
    )


def text_of(value: object) -> str:
    """A cell or field value as text (an Excel number cell 330302.0 → '330302')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed into an Excel number cell
    return str(value)


def _non_negative(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"'{value}' is not a number", zh=f"「{value}」不是数字") from None
    if not math.isfinite(number) or number < 0:
        raise InvalidInput(f"must be a number ≥ 0, got {value}", zh=f"须为不小于 0 的数字，收到「{value}」")
    return number


def clean_enterprise_values(values: Mapping[str, object]) -> dict[str, Any]:
    """Every given field cleaned; the first bad one raises InvalidInput naming it."""
    return {name: clean_field(name, value) for name, value in values.items()}
