"""Exceptions raised by the domain and reference layers.

Interfaces (CLI, API, web) turn these into one clear line for the user; a user never sees a traceback.
Every error names *what* is wrong and *where* (a field path, a row, a reference row id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DualcarbonError(Exception):
    """Base class. ``field`` is a dotted path to the offending input (``items[2].unit``) when known.

    ``message`` is for logs, the CLI and API clients (English, or "中文 / English"); ``zh`` is the same
    message for a person reading Chinese, with no internal ids or field names — the API and the web UI
    show it by default (the API picks by ``Accept-Language``, Chinese first).
    """

    def __init__(self, message: str, *, field: str | None = None, zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.zh = zh

    def message_in(self, language: str) -> str:
        """The message for a reader of ``language`` ("zh" or "en"): the Chinese text when the error has one
        and the reader reads Chinese, else ``message``; a bilingual ``message`` ("中文 / English", :func:`zh_en`)
        gives each reader its own half (an English reader saw Chinese first before)."""
        if language == "zh" and self.zh:
            return self.zh
        halves = _bilingual(self.message)
        if halves is None:
            return self.message
        return halves[0] if language == "zh" else halves[1]

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def at(self, field: str) -> DualcarbonError:
        """Return the same error, located at ``field`` (prefixing any inner path)."""
        self.field = f"{field}.{self.field}" if self.field else field
        return self


class InvalidInput(DualcarbonError):
    """A value is missing, of the wrong type, negative where it must not be, or out of range."""


class UnknownCarrier(DualcarbonError):
    """An energy carrier name or id matches no carrier in the reference table."""


class UnitMismatch(DualcarbonError):
    """A unit is unknown, or of the wrong dimension for the quantity (e.g. kWh for coal)."""


class MissingCoefficient(DualcarbonError):
    """A reference value the computation needs is blank in the shipped tables.

    The message says which row lacks the value and how an administrator imports the official table.
    """


class UnknownReferenceRow(DualcarbonError):
    """A reference row id (benchmark, grade, factor) does not exist."""


class AmbiguousProduct(DualcarbonError):
    """A product name written by a respondent matches several benchmark rows."""


class NotFound(DualcarbonError):
    """The thing asked for does not exist — or exists outside the caller's scope (never say which)."""


class PermissionDenied(DualcarbonError):
    """The caller is known but their role or scope does not cover this action."""


class AuthenticationFailed(DualcarbonError):
    """No valid credentials: wrong password, unknown user, revoked/expired token, locked account."""


class Conflict(DualcarbonError):
    """The action does not fit the current state (submit an approved report, publish twice, duplicate)."""


class StoreBusy(DualcarbonError):
    """The store could not take a lock within the transaction's budget (another writer held it, or the
    database broke a deadlock): nothing was changed, and the same request may be sent again shortly."""

    retry_after_s = 1
    DEFAULT_MESSAGE = (
        "数据库正忙于其他修改，本次未作任何更改，请稍后重试 / "
        "the database is busy with other changes; nothing was changed, try again shortly"
    )

    def __init__(self, message: str = DEFAULT_MESSAGE, *, field: str | None = None, zh: str | None = None) -> None:
        super().__init__(message, field=field, zh=zh or "数据库正忙于其他修改，本次未作任何更改，请稍后重试")


def zh_en(zh: str, en: str) -> str:
    """One reason for a reader of either language, Chinese first: ``中文 / English`` (problem lists, receipts)."""
    return f"{zh} / {en}"


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" for ch in text)


def _bilingual(text: str) -> tuple[str, str] | None:
    """(Chinese, English) of a :func:`zh_en` text: Chinese before the first `` / `` and no Chinese after it;
    None for any other text (an English message that happens to contain `` / `` stays whole)."""
    zh, sep, en = text.partition(" / ")
    if not sep or not _has_cjk(zh) or _has_cjk(en) or not en.strip():
        return None
    return zh, en


def zh_part(text: str) -> str:
    """The Chinese half of a :func:`zh_en` text (the whole text when it has no `` / ``)."""
    return text.split(" / ", 1)[0]


#: A Chinese sentence for each kind of pydantic validation error (its ``type``); ``{label}`` is the field's
#: Chinese name when the caller knows it, else 此项. The English ``msg`` pydantic writes stays the ``message``.
_VALIDATION_ZH: dict[str, str] = {
    "missing": "请填写{label}",
    "string_too_short": "{label}至少需要 {min_length} 个字符",
    "string_too_long": "{label}最多 {max_length} 个字符",
    "string_type": "{label}须为文本",
    "string_pattern_mismatch": "{label}的格式不对",
    "int_parsing": "{label}须为整数",
    "int_type": "{label}须为整数",
    "int_from_float": "{label}须为整数",
    "float_parsing": "{label}须为数字",
    "float_type": "{label}须为数字",
    "finite_number": "{label}须为有限的数字",
    "bool_parsing": "{label}须为“是”或“否”",
    "bool_type": "{label}须为“是”或“否”",
    "greater_than": "{label}须大于 {gt}",
    "greater_than_equal": "{label}不能小于 {ge}",
    "less_than": "{label}须小于 {lt}",
    "less_than_equal": "{label}不能大于 {le}",
    "literal_error": "{label}只能是以下之一：{expected}",
    "enum": "{label}只能是以下之一：{expected}",
    "list_type": "{label}须为列表",
    "too_short": "{label}至少须有 {min_length} 项，不能为空",
    "too_long": "{label}最多只能有 {max_length} 项",
    "dict_type": "{label}格式有误",
    "model_type": "{label}格式有误",
    "model_attributes_type": "{label}格式有误",
    "extra_forbidden": "{label}不是可填写的项",
    "json_invalid": "请求内容不是有效的 JSON",
    "date_from_datetime_parsing": "{label}须为日期（如 2025-01-31）",
    "date_parsing": "{label}须为日期（如 2025-01-31）",
    "datetime_parsing": "{label}须为日期时间（如 2025-01-31T08:00）",
}


def validation_message_zh(error: Mapping[str, Any], label: str | None = None) -> str:
    """The Chinese sentence for one pydantic validation error (an item of ``ValidationError.errors()``):
    what is wrong with the field named ``label`` (此项 when not given), with no internal names."""
    template = _VALIDATION_ZH.get(str(error.get("type", "")), "{label}的值有误")
    context = {key: value for key, value in (error.get("ctx") or {}).items() if isinstance(value, str | int | float)}
    if isinstance(context.get("expected"), str):  # pydantic writes "'a', 'b' or 'c'"
        context["expected"] = str(context["expected"]).replace(" or ", "、").replace(", ", "、").replace("'", "")
    try:
        return template.format(label=label or "此项", **context)
    except (KeyError, IndexError):  # a context value the template expects is missing
        return f"{label or '此项'}的值有误"
