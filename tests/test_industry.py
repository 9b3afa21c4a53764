"""GB/T 4754-2017 reference, free-text normalisation and per-profile grouping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin_geo.core.industry import (
    DIVISIONS, SECTIONS, industry_group, normalize_industries, normalize_industry, similar_groups,
    similarity_matrix,
)
from lianxin_geo.core.policy import load_profile


def test_reference_table_is_complete():
    assert list(SECTIONS) == list("ABCDEFGHIJKLMNOPQRST")
    assert list(DIVISIONS) == [f"{i:02d}" for i in range(1, 98)]
    assert DIVISIONS["65"] == ("I", "软件和信息技术服务业")
    assert DIVISIONS["83"] == ("P", "教育")
    assert DIVISIONS["97"] == ("T", "国际组织")
    assert SECTIONS["I"] == "信息传输、软件和信息技术服务业"
    # every section has at least one division, in letter order
    letters = [v[0] for v in DIVISIONS.values()]
    assert letters == sorted(letters) and set(letters) == set(SECTIONS)


#: Every spelling a ledger may use for one (section, division); the whole section when the division is None.
SPELLINGS: dict[tuple[str | None, str | None], list] = {
    ("I", "65"): ["I65", "65", "6513", "软件和信息技术服务业", "Ｉ６５", "65 软件和信息技术服务业"],
    ("I", None): ["I", "信息传输、软件和信息技术服务业", "ｉ", " I 信息传输、软件和信息技术服务业 "],
    ("K", "70"): ["房地产业"], ("H", "62"): ["餐饮"], ("L", "72"): ["某某律师事务所"], ("C", None): ["制造"],
    (None, None): ["X99", "", None, float("nan")],
}


@pytest.mark.parametrize("expected", list(SPELLINGS), ids=str)
def test_normalize_industry(expected):
    assert {repr(t): normalize_industry(t) for t in SPELLINGS[expected]} == dict.fromkeys(
        map(repr, SPELLINGS[expected]), expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(DIVISIONS)), min_size=1, max_size=30))
def test_vectorised_matches_scalar_and_names_round_trip(codes):
    names = [DIVISIONS[c][1] for c in codes]
    sec, div = normalize_industries(names)
    assert [normalize_industry(n) for n in names] == list(zip(sec, div))
    # a division name gives its own division, except names shared with a section (e.g. 房地产业, 教育)
    assert list(div) == codes


def test_default_grouping_is_section():
    p = load_profile()
    assert industry_group("I65", p) == "I 信息传输、软件和信息技术服务业"
    assert industry_group("未知", p) is None
    s = pd.Series(["餐饮", "C", None], index=[5, 6, 7])
    out = industry_group(s, p)
    assert list(out.index) == [5, 6, 7]
    assert list(out) == ["H 住宿和餐饮业", "C 制造业", None]


def test_division_grouping():
    p = load_profile().with_values({"industry.grouping": "division"})
    assert industry_group("I65", p) == "65 软件和信息技术服务业"
    assert industry_group("I", p) == "I 信息传输、软件和信息技术服务业"  # no division known: section
    near = similar_groups("65 软件和信息技术服务业", p)
    assert "64 互联网和相关服务" in near and "65 软件和信息技术服务业" not in near


def test_suzhou_ten_industries():
    p = load_profile("suzhou-2018")
    texts = ["法律服务", "", "", "软件", "零售", "C", "C", "", "餐饮", "医院", ""]
    social = ["律师事务所", "会计师事务所", "税务师事务所", None, None, None, None, "民办学校", None, None, "基金会"]
    kind = ["社会组织", "社会组织", "社会组织", "非公企业", "非公企业", "非公企业", "非公企业", "社会组织", "非公企业",
            "非公企业", "社会组织"]
    park = [None, None, None, None, None, "空港园", None, None, None, None, None]
    building = [None, None, None, None, None, None, "国际中心", None, None, None, None]
    out = industry_group(texts, p, social, kind=kind, park=park, building=building)
    assert list(out) == ["律师", "注册会计师", "注册税务师", "互联网企业", "商圈市场", "开发园区", "商务楼宇", "民办学校",
                         "H 住宿和餐饮业", "非公医疗机构", "社会组织"]


def test_similar_groups():
    p = load_profile()
    near = similar_groups("I 信息传输、软件和信息技术服务业", p)
    assert set(near) == {"M 科学研究和技术服务业", "L 租赁和商务服务业"}
    assert similar_groups("I", p) == near
    assert similar_groups(None, p) == []
    assert set(similar_groups("律师", load_profile("suzhou-2018"))) == {"注册会计师", "注册税务师"}


def test_similarity_matrix_symmetric():
    p = load_profile()
    labels = [f"{k} {v}" for k, v in SECTIONS.items()] + [None]
    m = similarity_matrix(labels, p)
    assert (m == m.T).all()
    assert m[:-1, :-1].diagonal().all() and not m[-1].any()
    assert m[labels.index("I 信息传输、软件和信息技术服务业"), labels.index("M 科学研究和技术服务业")]
    assert not m[labels.index("A 农、林、牧、渔业"), labels.index("I 信息传输、软件和信息技术服务业")]


def test_many_rows_are_fast():
    texts = np.array(["I65", "餐饮", "制造业", "律师", None] * 20000, dtype=object)
    sec, _ = normalize_industries(texts)
    assert sec[:5].tolist() == ["I", "H", "C", "L", None]
