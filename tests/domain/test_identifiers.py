"""统一社会信用代码 (GB 32100-2015) and 行政区划代码 (GB/T 2260) checks (domain/identifiers.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.identifiers import (
    CREDIT_CODE_CHARSET,
    credit_code_check_character,
    make_credit_code,
    region_level,
    validate_credit_code,
    validate_region_code,
)

# Character values: 0-9 → 0-9, A10 B11 C12 D13 E14 F15 G16 H17 J18 K19 L20 M21 N22 P23 Q24 R25 T26 U27
# W28 X29 Y30. Weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.


def test_hand_worked_code() -> None:
    # body 91110108MA01ABCDE:
    #   9·1 + 1·3 + 1·9 + 1·27 + 0·19 + 1·26 + 0·16 + 8·17 + M21·20 + A10·29 + 0·25 + 1·13 + A10·8
    #   + B11·24 + C12·10 + D13·30 + E14·28
    #   = 9 + 3 + 9 + 27 + 0 + 26 + 0 + 136 + 420 + 290 + 0 + 13 + 80 + 264 + 120 + 390 + 392 = 2179
    # 2179 mod 31 = 9 (31 × 70 = 2170); 31 − 9 = 22 → 'N'
    assert credit_code_check_character("91110108MA01ABCDE") == "N"
    assert validate_credit_code("91110108MA01ABCDEN") == "91110108MA01ABCDEN"


def test_hand_worked_small_sums() -> None:
    # body 11100000000000000: 1·1 + 1·3 + 1·9 = 13; 31 − 13 = 18 → 'J'
    assert make_credit_code("11100000000000000") == "11100000000000000J"
    # body of zeros: Σ = 0 → 31 − 0 = 31, which stands for 0 → '0'
    assert make_credit_code("00000000000000000") == "000000000000000000"


def test_normalisation() -> None:
    # full-width digits/letters, lower case and spaces are accepted and normalised
    assert validate_credit_code(" ９１１１０１０８ma01abcden ") == "91110108MA01ABCDEN"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91110108MA01ABCDE", "18 characters, has 17"),
        ("91110108MA01ABCDEN1", "has 19"),
        ("91110108MI01ABCDEN", "'I' at position 10"),
        ("91110108MA01ABCDEP", "expected 'N'"),
        ("91A10108MA01ABCDEN", "positions 3-8"),
    ],
)
def test_credit_code_errors(code: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate_credit_code(code)


body_chars = st.text(alphabet=CREDIT_CODE_CHARSET, min_size=9, max_size=9)
region = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)


@given(st.text(alphabet=CREDIT_CODE_CHARSET, min_size=2, max_size=2), region, body_chars)
def test_made_codes_validate(head: str, region_code: str, body: str) -> None:
    code = make_credit_code(head + region_code + body)
    assert validate_credit_code(code) == code


@given(
    st.text(alphabet=CREDIT_CODE_CHARSET, min_size=2, max_size=2),
    region,
    body_chars,
    st.integers(min_value=0, max_value=17),
    st.integers(min_value=1, max_value=30),
)
def test_any_single_substitution_is_detected(head: str, region_code: str, body: str, position: int, shift: int) -> None:
    # 31 is prime and every weight is non-zero mod 31, so changing one character changes Σ mod 31.
    code = make_credit_code(head + region_code + body)
    replaced = CREDIT_CODE_CHARSET[(CREDIT_CODE_CHARSET.index(code[position]) + shift) % 31]
    changed = code[:position] + replaced + code[position + 1 :]
    if 2 <= position < 8 and not replaced.isdigit():
        with pytest.raises(InvalidInput, match="positions 3-8"):
            validate_credit_code(changed)
        return
    with pytest.raises(InvalidInput, match="check character"):
        validate_credit_code(changed)


# ---- 行政区划代码 ------------------------------------------------------------------------------------
PROVINCES = {"11", "32", "33", "65"}


def test_region_codes() -> None:
    assert validate_region_code("320505", PROVINCES) == "320505"
    assert validate_region_code("３２０５０５") == "320505"  # full-width digits
    assert validate_region_code("320505.0") == "320505"  # a number cell read back from Excel
    assert region_level("320000") == "province"
    assert region_level("320500") == "prefecture"
    assert region_level("320505") == "county"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("32050", "6 digits"),
        ("32050A", "6 digits"),
        ("002000", "province part '00'"),
        ("990000", "not a provincial-level code"),
        ("320005", "county part under prefecture '00'"),
    ],
)
def test_region_code_errors(code: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate_region_code(code, PROVINCES)
