"""统一社会信用代码 (unified social credit identifier) check per GB 32100-2015.

An identifier has 18 characters drawn from the 31-character set
``0-9`` plus ``ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V). The 18th character
is a check character: with ``c_i`` the index of the i-th character in that set
and ``w_i = 3**(i-1) mod 31`` (1, 3, 9, 27, 19, 26, ...), the check index is
``31 - (sum c_i w_i mod 31)``, written as 0 when it equals 31.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "CHARSET",
    "WEIGHTS",
    "CODE_LENGTH",
    "CreditCodeCheck",
    "normalize_credit_code",
    "check_char",
    "check_credit_code",
    "is_valid_credit_code",
]

#: The 31 characters allowed by GB 32100-2015, in the order that gives each its value.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_LENGTH = 18
#: Weights of positions 1..17 (3**(i-1) mod 31).
WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(CODE_LENGTH - 1))
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
_SEPARATORS = re.compile(r"[\s\-_/·]")
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?E\+?\d+")


def normalize_credit_code(value: object) -> str:
    """Return the code as written, made comparable.

    NFKC (full-width to half-width), upper case, spaces and separators removed.
    A number that Excel stored as a float (``9.1110113e17`` or ``911101130000001.0``)
    becomes its integer digits.
    """
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".", 1)[0]
    return _SEPARATORS.sub("", text)


def check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a code.

    Raises
    ------
    ValueError
        When ``first17`` is not 17 characters of the allowed set.
    """
    if len(first17) != CODE_LENGTH - 1 or any(ch not in _VALUE for ch in first17):
        raise ValueError(f"need 17 characters of {CHARSET!r}, got {first17!r}")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


@dataclass(frozen=True)
class CreditCodeCheck:
    """The outcome of checking one code.

    Attributes
    ----------
    code
        The normalised code.
    valid
        True when length, character set and check character are all right.
    problem
        ``""`` when valid, else ``"empty"``, ``"scientific"`` (Excel wrote ``9.1E+17``),
        ``"length"``, ``"charset"`` or ``"check"``.
    expected
        For ``"check"``: the check character the first 17 characters call for.
    reason
        A Chinese sentence for the user (empty when valid).
    """

    code: str
    valid: bool
    problem: str = ""
    expected: str = ""
    reason: str = ""


def check_credit_code(value: object) -> CreditCodeCheck:
    """Check a 统一社会信用代码 and explain what is wrong in Chinese."""
    code = normalize_credit_code(value)
    if not code:
        return CreditCodeCheck(code, False, "empty", reason="统一社会信用代码为空")
    if _SCIENTIFIC.fullmatch(code):
        return CreditCodeCheck(
            code, False, "scientific",
            reason=("统一社会信用代码被 Excel 存成了科学计数法，后几位已丢失：请把该列设为“文本”格式，"
                    "重新填写完整的18位代码"),
        )
    if len(code) != CODE_LENGTH:
        return CreditCodeCheck(
            code, False, "length",
            reason=f"统一社会信用代码应为18位，实为{len(code)}位：请核对是否漏填或多填",
        )
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return CreditCodeCheck(
            code, False, "charset",
            reason=("统一社会信用代码含不允许的字符 " + "、".join(bad)
                    + "（代码只用数字和除 I、O、Z、S、V 以外的大写字母）：请核对"),
        )
    expected = check_char(code[:17])
    if code[17] != expected:
        return CreditCodeCheck(
            code, False, "check", expected,
            reason=(f"统一社会信用代码校验位错误：按 GB 32100-2015，第18位应为“{expected}”，"
                    f"实为“{code[17]}”：请核对代码"),
        )
    return CreditCodeCheck(code, True)


def is_valid_credit_code(value: object) -> bool:
    """True when ``value`` is a well-formed 统一社会信用代码 with a correct check character."""
    return check_credit_code(value).valid
