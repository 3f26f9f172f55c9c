"""The Chinese sentence for a pydantic validation error, and an error's message per reader language."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from dualcarbon.core.errors import InvalidInput, validation_message_zh


class _Form(BaseModel):
    username: str = Field(min_length=1, max_length=4)
    days: int = Field(ge=1, le=30)
    kind: str = Field(pattern=r"^(a|b)$")


def _first_error(**values: object) -> dict[str, object]:
    try:
        _Form.model_validate({"username": "ok", "days": 3, "kind": "a"} | values)
    except ValidationError as exc:
        return dict(exc.errors()[0])
    raise AssertionError("the values were accepted")


def test_each_kind_of_error_reads_as_a_chinese_sentence_naming_the_field() -> None:
    with pytest.raises(ValidationError) as absent:
        _Form.model_validate({"days": 3, "kind": "a"})
    assert validation_message_zh(dict(absent.value.errors()[0]), "用户名") == "请填写用户名"
    assert validation_message_zh(_first_error(username="toolong"), "用户名") == "用户名最多 4 个字符"
    assert validation_message_zh(_first_error(days=0), "有效天数") == "有效天数不能小于 1"
    assert validation_message_zh(_first_error(days=31), "有效天数") == "有效天数不能大于 30"
    assert validation_message_zh(_first_error(days="x"), "有效天数") == "有效天数须为整数"
    assert validation_message_zh(_first_error(days=31)) == "此项不能大于 30"  # no label: 此项, never the name
    assert validation_message_zh(_first_error(kind="c"), "类型") == "类型的格式不对"
    assert validation_message_zh({"type": "no_such_kind"}, "类型") == "类型的值有误"  # a kind without a sentence


def test_message_in_picks_chinese_only_when_there_is_one() -> None:
    both = InvalidInput("must be 6 digits", field="region_code", zh="须为6位数字")
    assert (both.message_in("zh"), both.message_in("en")) == ("须为6位数字", "must be 6 digits")
    english_only = InvalidInput("must be 6 digits")
    assert english_only.message_in("zh") == "must be 6 digits"
