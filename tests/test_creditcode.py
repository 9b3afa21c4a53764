"""统一社会信用代码 check digit (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin_geo.ingest.creditcode import (
    CHARSET,
    WEIGHTS,
    check_char,
    check_credit_code,
    is_valid_credit_code,
    normalize_credit_code,
)

# Codes printed on public business licences of well-known companies.
PUBLIC_CODES = [
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91330100716105852F",
    "91110000802100433B",
]


def test_weights_and_charset_match_the_standard():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(CHARSET) == 31
    assert not set("IOZSV") & set(CHARSET)


@pytest.mark.parametrize("code", PUBLIC_CODES)
def test_public_codes_are_valid(code):
    assert is_valid_credit_code(code)
    assert check_char(code[:17]) == code[17]


def test_check_char_known_values():
    assert check_char("91110113MA01A2B3C") == "N"
    assert check_char("52110113MA0K12345") == "E"
    assert check_char("91110113300000204") == "8"
    # weighted sum divisible by 31: 31 - 0 = 31 wraps to index 0
    assert check_char("91110113000000025") == "0"


def test_problems_are_named():
    assert check_credit_code("").problem == "empty"
    assert check_credit_code(None).problem == "empty"
    r = check_credit_code("91110113MA01A2B3C")
    assert (r.problem, r.valid) == ("length", False)
    assert "17位" in r.reason
    r = check_credit_code("91110113MA01A2BIC" + "N")
    assert r.problem == "charset" and "I" in r.reason
    r = check_credit_code("91110113MA01A2B3C0")
    assert (r.problem, r.expected) == ("check", "N")
    assert "应为“N”" in r.reason and "实为“0”" in r.reason
    r = check_credit_code("9.11101133E+17")
    assert r.problem == "scientific"


def test_normalisation():
    assert normalize_credit_code("９１１１０１１３ＭＡ０１Ａ２Ｂ３ＣＮ") == "91110113MA01A2B3CN"
    assert normalize_credit_code(" 91110113ma01a2b3cn ") == "91110113MA01A2B3CN"
    assert normalize_credit_code("911101-13MA01 A2B3CN") == "91110113MA01A2B3CN"
    assert normalize_credit_code(911101133000002048.0) == "911101133000002048"
    assert normalize_credit_code("911101133000002048.0") == "911101133000002048"
    assert normalize_credit_code(float("nan")) == ""
    assert is_valid_credit_code(911101133000002048.0)


prefix17 = st.text(alphabet=CHARSET, min_size=17, max_size=17)


@settings(max_examples=200, deadline=None)
@given(prefix17)
def test_completed_codes_are_valid(prefix):
    assert is_valid_credit_code(prefix + check_char(prefix))


@settings(max_examples=200, deadline=None)
@given(prefix17, st.integers(0, 17), st.integers(1, 30))
def test_any_single_substitution_is_detected(prefix, pos, shift):
    code = prefix + check_char(prefix)
    wrong = CHARSET[(CHARSET.index(code[pos]) + shift) % 31]
    changed = code[:pos] + wrong + code[pos + 1:]
    assert not is_valid_credit_code(changed)
