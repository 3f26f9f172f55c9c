"""Identifiers of enterprises and regions: 统一社会信用代码 (GB 32100-2015) and 行政区划代码 (GB/T 2260).

统一社会信用代码 — GB 32100-2015 《法人和其他组织统一社会信用代码编码规则》: 18 characters from the
31-character set ``0-9 A-H J-N P-R T-U W-Y`` (no I, O, Z, S, V), laid out as

  1 登记管理部门代码 · 2 机构类别代码 · 3–8 登记管理机关行政区划码 (6 digits) ·
  9–17 主体标识码 (组织机构代码) · 18 校验码.

Check character (§4.4 of the standard, a mod-31 weighted sum): each of the first 17 characters has the
value of its position in the character set (0…30); with weights W = 1, 3, 9, 27, 19, 26, 16, 17, 20, 29,
25, 13, 8, 24, 10, 30, 28 (3^(i−1) mod 31), C18 = 31 − (Σ Ci × Wi mod 31), where 31 stands for 0; the
check character is the one whose value is C18.

行政区划代码 — GB/T 2260: six digits, 2 province + 2 prefecture + 2 county. ``00`` in the last pairs
marks a province- or prefecture-level code. A county pair without a prefecture pair (``xx00yy``) is not a
code. Province validity is checked against the caller's list of provincial-level codes (the package ships
one in ``reference/data/regions.csv``); this module does no I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from typing import Final, Literal

from dualcarbon.core.errors import InvalidInput

CREDIT_CODE_CHARSET: Final[str] = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS: Final[tuple[int, ...]] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_LENGTH: Final[int] = 18
_CHAR_VALUE: Final[dict[str, int]] = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}

RegionLevel = Literal["province", "prefecture", "county"]


def normalise_code(code: str) -> str:
    """Full-width to half-width (NFKC), spaces removed, letters upper-cased: ``９１３５… `` → ``9135…``."""
    return "".join(unicodedata.normalize("NFKC", code).split()).upper()


def credit_code_check_character(body17: str) -> str:
    """The 18th character of a 统一社会信用代码 whose first 17 characters are ``body17`` (GB 32100 §4.4)."""
    if len(body17) != CREDIT_CODE_LENGTH - 1:
        raise InvalidInput(f"needs 17 characters before the check character, got {len(body17)}")
    total = 0
    for position, (char, weight) in enumerate(zip(body17, CREDIT_CODE_WEIGHTS, strict=True), start=1):
        value = _CHAR_VALUE.get(char)
        if value is None:
            raise InvalidInput(_bad_character(char, position))
        total += value * weight
    check = 31 - total % 31
    return CREDIT_CODE_CHARSET[0 if check == 31 else check]


def _bad_character(char: str, position: int) -> str:
    return (
        f"character '{char}' at position {position} is not allowed "
        "(allowed: 0-9 and A-H, J-N, P-R, T-U, W-Y; I, O, S, V, Z are never used)"
    )


def validate_credit_code(code: str) -> str:
    """Return the normalised 统一社会信用代码, or raise ``InvalidInput`` saying what is wrong.

    Checked: length 18, every character in the GB 32100 set, positions 3–8 digits (the registering
    authority's region code), and the check character.
    """
    if not isinstance(code, str):
        raise InvalidInput(f"must be text of 18 characters, got {code!r}")
    normalised = normalise_code(code)
    if len(normalised) != CREDIT_CODE_LENGTH:
        raise InvalidInput(f"must have 18 characters, has {len(normalised)} ('{normalised}')")
    for position, char in enumerate(normalised, start=1):
        if char not in _CHAR_VALUE:
            raise InvalidInput(_bad_character(char, position))
    if not normalised[2:8].isdigit():
        raise InvalidInput(
            f"positions 3-8 must be the 6-digit region code of the registering authority, got '{normalised[2:8]}'"
        )
    expected = credit_code_check_character(normalised[:17])
    if normalised[17] != expected:
        raise InvalidInput(f"wrong check character '{normalised[17]}' at position 18, expected '{expected}'")
    return normalised


def make_credit_code(body17: str) -> str:
    """``body17`` + its check character — for building synthetic examples and tests."""
    body = normalise_code(body17)
    return body + credit_code_check_character(body)


def region_level(code: str) -> RegionLevel:
    """Level of a structurally valid 行政区划代码: ``province`` (xx0000), ``prefecture`` (xxxx00) or ``county``."""
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def validate_region_code(code: str, provinces: Collection[str] | None = None) -> str:
    """Return the 6-digit 行政区划代码, or raise ``InvalidInput`` with the reason.

    ``provinces`` are the valid 2-digit provincial-level codes (e.g. from ``regions.csv``); without it
    only the structure is checked (province pair not ``00``, no county pair under a ``00`` prefecture).
    """
    if not isinstance(code, str):
        raise InvalidInput(f"must be 6 digits, got {code!r}")
    normalised = normalise_code(code)
    if normalised.endswith(".0") and normalised[:-2].isdigit():  # a number cell read back from Excel
        normalised = normalised[:-2]
    if len(normalised) != 6 or not normalised.isdigit():
        raise InvalidInput(f"must be 6 digits (GB/T 2260), got '{normalised}'")
    if normalised[:2] == "00":
        raise InvalidInput(f"province part '00' of '{normalised}' is not a province")
    if provinces is not None and normalised[:2] not in provinces:
        raise InvalidInput(f"province part '{normalised[:2]}' of '{normalised}' is not a provincial-level code")
    if normalised[2:4] == "00" and normalised[4:] != "00":
        raise InvalidInput(f"'{normalised}' has a county part under prefecture '00'")
    return normalised
