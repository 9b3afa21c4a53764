"""Industries: GB/T 4754-2017 sections and divisions, free-text normalisation and grouping.

Joint party units are formed "行业相同或相近" (R6, SY2017 第六条). What counts as the
same industry, and which industries are "相近", is part of the policy profile:

* ``industry.grouping = "section"`` (default): the GB/T 4754-2017 section, labelled
  ``"I 信息传输、软件和信息技术服务业"``;
* ``"division"``: the two-digit division, labelled ``"65 软件和信息技术服务业"``;
* ``"custom"``: the profile's own ordered groups (Suzhou's ten industries in
  ``suzhou-2018``), matched on org kind, social-organization type, section,
  division, keywords in the industry text, or being in a park/building; orgs
  matching no group fall back to their section.

``industry.similar`` lists the sets of groups that count as "相近".

Everything is vectorised over the *unique* industry texts, so a ledger of 10^6
rows with a few hundred distinct texts normalises in milliseconds.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from typing import Any, Sequence

import numpy as np
import pandas as pd

from lianxin_geo.core.paths import package_file
from lianxin_geo.core.policy import Profile, as_profile

__all__ = [
    "SECTIONS",
    "SECTION_PATTERN",
    "section_of",
    "DIVISIONS",
    "section_label",
    "division_label",
    "normalize_industry",
    "normalize_industries",
    "industry_group",
    "similar_groups",
    "similarity_matrix",
]


@cache
def _table() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    sections: dict[str, str] = {}
    divisions: dict[str, tuple[str, str]] = {}
    with open(package_file("reference", "gbt4754_2017.csv"), encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            sections[row["section"]] = row["section_name"]
            divisions[row["division"]] = (row["section"], row["division_name"])
    return sections, divisions


#: Section letter -> name (GB/T 4754-2017, 20 sections).
SECTIONS: dict[str, str] = dict(_table()[0])
#: Division code ("01".."97") -> (section letter, name).
DIVISIONS: dict[str, tuple[str, str]] = dict(_table()[1])

# Common words of real ledgers -> division (or section letter). The project's own
# mapping of everyday names to the standard; longest keyword wins.
_KEYWORDS: dict[str, str] = {
    "互联网": "64", "电子商务": "64", "电商": "64", "网络科技": "64", "软件": "65", "信息技术": "65",
    "信息科技": "65", "数据处理": "65", "电信": "63", "通信服务": "63",
    "餐饮": "62", "饭店": "62", "餐厅": "62", "酒店": "61", "宾馆": "61", "住宿": "61",
    "快递": "60", "邮政": "60", "物流": "59", "仓储": "59", "货运": "54", "客运": "54", "运输": "54",
    "货代": "58", "航空": "56",
    "房地产": "70", "物业": "70", "装饰": "50", "装修": "50", "建筑": "E", "施工": "E",
    "律师": "72", "法律服务": "72", "会计": "72", "审计": "72", "税务": "72", "咨询": "72", "广告": "72",
    "人力资源": "72", "旅行社": "72", "会展": "72", "安保": "72", "保安": "72", "租赁": "71",
    "研发": "73", "研究院": "73", "设计": "74", "检测": "74", "认证": "74", "科技推广": "75",
    "教育": "83", "培训": "83", "学校": "83", "幼儿园": "83",
    "医院": "84", "诊所": "84", "医疗": "84", "卫生": "84", "养老": "85", "社工": "85", "社会工作": "85",
    "出版": "86", "传媒": "87", "影视": "87", "文化": "88", "艺术": "88", "体育": "89", "健身": "89",
    "娱乐": "90",
    "银行": "66", "证券": "67", "基金管理": "67", "保险": "68", "金融": "J",
    "批发": "51", "贸易": "51", "零售": "52", "超市": "52", "商贸": "52", "商场": "52", "便利店": "52",
    "汽车维修": "81", "维修": "81", "家政": "80", "美容": "80", "美发": "80", "洗浴": "80",
    "制造": "C", "加工": "C", "食品": "14", "服装": "18", "印刷": "23", "医药": "27", "制药": "27",
    "汽车制造": "36", "电子": "39", "农业": "01", "种植": "01", "林业": "02", "养殖": "03", "渔业": "04",
    "环保": "77", "环境治理": "77", "园林": "78", "绿化": "78", "市政": "78",
    "电力": "44", "热力": "44", "燃气": "45", "供水": "46", "污水": "46",
    "协会": "95", "商会": "95", "学会": "95", "联合会": "95", "促进会": "95", "基金会": "95", "社团": "95",
}

_RE_SECTION = re.compile(r"^([A-T])$")
_RE_SECTION_DIV = re.compile(r"^([A-T])[-_.]?(\d{2})\d{0,2}$")
_RE_DIV = re.compile(r"^(\d{2})\d{0,2}$")
_RE_LABEL = re.compile(r"^([A-T])[\s:：、.]*([^\dA-Za-z].*)$")
#: The one pattern of a GB/T 4754 section at the start of a code or label: "I", "I65", "I-65", "I 信息…".
SECTION_PATTERN = re.compile(r"^([A-T])(?=$|[\s:：、.\-_]|\d)")
_RE_DIVISION_LABEL = re.compile(r"^(\d{2})(?=$|\s|\d)")


def section_of(value: object) -> str | None:
    """The GB/T 4754 section letter of an industry code or label (``"I65"``, ``"I 信息…"``, ``"65"`` -> ``"I"``)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip().upper()
    m = SECTION_PATTERN.match(text)
    if m:
        return m.group(1)
    m = _RE_DIVISION_LABEL.match(text)
    if m and m.group(1) in DIVISIONS:
        return DIVISIONS[m.group(1)][0]
    return None


def section_label(letter: str | None) -> str | None:
    """``"I"`` -> ``"I 信息传输、软件和信息技术服务业"``."""
    if letter is None or letter not in SECTIONS:
        return None
    return f"{letter} {SECTIONS[letter]}"


def division_label(code: str | None) -> str | None:
    """``"65"`` -> ``"65 软件和信息技术服务业"``."""
    if code is None or code not in DIVISIONS:
        return None
    return f"{code} {DIVISIONS[code][1]}"


@cache
def _name_index() -> tuple[dict[str, tuple[str, str | None]], list[tuple[str, tuple[str, str | None]]]]:
    exact: dict[str, tuple[str, str | None]] = {}
    for code, (letter, name) in DIVISIONS.items():
        exact.setdefault(name, (letter, code))
    for letter, name in SECTIONS.items():
        exact.setdefault(name, (letter, None))
    contained: list[tuple[str, tuple[str, str | None]]] = []
    for name, hit in exact.items():
        contained.append((name, hit))
        if name.endswith("业") and len(name) >= 4:
            contained.append((name[:-1], hit))
    for word, target in _KEYWORDS.items():
        hit = (target, None) if target in SECTIONS else (DIVISIONS[target][0], target)
        contained.append((word, hit))
    contained.sort(key=lambda item: -len(item[0]))
    return exact, contained


def _norm_text(text: object) -> str:
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


@cache
def _normalize_one(text: str) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    upper = text.upper()
    m = _RE_SECTION.match(upper)
    if m:
        return m.group(1), None
    m = _RE_SECTION_DIV.match(upper)
    if m:
        letter, div = m.group(1), m.group(2)
        if div in DIVISIONS:
            return DIVISIONS[div][0], div
        return letter, None
    m = _RE_DIV.match(text)
    if m:
        div = m.group(1)
        return (DIVISIONS[div][0], div) if div in DIVISIONS else (None, None)
    m = _RE_LABEL.match(text)
    if m and m.group(1) in SECTIONS:
        rest_section, rest_div = _normalize_one(m.group(2))
        if rest_section == m.group(1):
            return m.group(1), rest_div
        return m.group(1), None
    m = re.match(r"^(\d{2})\d{0,2}[\s:：、.]*(\D.*)$", text)
    if m and m.group(1) in DIVISIONS:
        return DIVISIONS[m.group(1)][0], m.group(1)
    exact, contained = _name_index()
    if text in exact:
        return exact[text]
    for word, hit in contained:
        if word in text:
            return hit
    return None, None


def normalize_industry(text: object) -> tuple[str | None, str | None]:
    """Return ``(section letter, division code)`` of a free-text industry.

    Accepts a section letter (``"I"``), a section+division or class code
    (``"I65"``, ``"65"``, ``"6513"``), an official name (``"软件和信息技术服务业"``,
    ``"信息传输、软件和信息技术服务业"``), a label (``"I 信息传输…"``), full-width
    text, or everyday words (``"餐饮"``, ``"律师事务所"``). Unknown text gives
    ``(None, None)``; a section without a division gives ``(letter, None)``.
    """
    return _normalize_one(_norm_text(text))


def normalize_industries(values: Sequence[object] | pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`normalize_industry`: two object arrays (sections, divisions)."""
    arr = np.asarray(pd.Series(values, dtype=object).map(_norm_text).to_numpy(dtype=object))
    codes, uniques = pd.factorize(arr, use_na_sentinel=False)
    pairs = [_normalize_one(str(u)) for u in uniques]
    sec = np.array([p[0] for p in pairs] + [None], dtype=object)[codes]
    div = np.array([p[1] for p in pairs] + [None], dtype=object)[codes]
    return sec, div


def _as_array(values: object, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, "", dtype=object)
    arr = pd.Series(values, dtype=object).map(_norm_text).to_numpy(dtype=object)
    if arr.shape[0] != n:
        raise ValueError(f"参数长度 {arr.shape[0]} 与行业数 {n} 不一致 / length mismatch")
    return arr


def industry_group(
    text_or_array: object,
    profile: "Profile | None" = None,
    social_type: object = None,
    *,
    kind: object = None,
    park: object = None,
    building: object = None,
) -> Any:
    """Return the profile's industry group label of one industry text or of an array.

    Parameters
    ----------
    text_or_array
        One free-text industry or a sequence / Series / array of them.
    profile
        The policy profile (default ``shunyi-2017``): ``industry.grouping``
        chooses section, division or the profile's custom groups.
    social_type, kind, park, building
        Optional, same shape as ``text_or_array``: the social-organization type,
        the org kind (非公企业/社会组织) and the park/building the org is in.
        Custom groups (e.g. Suzhou's 律师, 开发园区, 商务楼宇) use them.

    Returns
    -------
    str | None, or an object array / Series (index kept) for array input
        ``"I 信息传输、软件和信息技术服务业"`` (section), ``"65 软件和信息技术服务业"``
        (division) or a custom label; ``None`` when nothing is known.
    """
    scalar = isinstance(text_or_array, str) or text_or_array is None or np.ndim(text_or_array) == 0
    if scalar:
        wrap = lambda v: None if v is None else [v]  # noqa: E731
        out = industry_group([text_or_array], profile, wrap(social_type), kind=wrap(kind), park=wrap(park),
                             building=wrap(building))
        return out[0]
    prof = as_profile(profile)
    texts = pd.Series(text_or_array, dtype=object) if not isinstance(text_or_array, pd.Series) else text_or_array
    n = len(texts)
    sec, div = normalize_industries(texts)
    grouping = prof.get("industry.grouping")
    sec_labels = np.array([section_label(s) for s in sec], dtype=object)
    if grouping == "section":
        out = sec_labels
    elif grouping == "division":
        out = np.array([division_label(d) if d is not None else section_label(s) for s, d in zip(sec, div)],
                       dtype=object)
    else:
        out = _custom_groups(prof.get("industry.groups"), texts=_as_array(texts, n), sec=sec, div=div,
                             social=_as_array(social_type, n), kind=_as_array(kind, n),
                             park=_as_array(park, n), building=_as_array(building, n), fallback=sec_labels)
    if isinstance(text_or_array, pd.Series):
        return pd.Series(out, index=text_or_array.index, dtype=object)
    return out


def _custom_groups(groups: list[dict[str, Any]], *, texts: np.ndarray, sec: np.ndarray, div: np.ndarray,
                   social: np.ndarray, kind: np.ndarray, park: np.ndarray, building: np.ndarray,
                   fallback: np.ndarray) -> np.ndarray:
    n = texts.shape[0]
    out = np.full(n, None, dtype=object)
    free = np.ones(n, dtype=bool)
    text_s = pd.Series(texts, dtype=object).astype(str)
    for g in groups:
        ok = np.isin(kind, g["kinds"]) if g["kinds"] else np.ones(n, dtype=bool)
        crit = np.zeros(n, dtype=bool)
        has_crit = False
        if g["social_types"]:
            crit |= np.isin(social, g["social_types"]); has_crit = True
        if g["sections"]:
            crit |= np.isin(sec, g["sections"]); has_crit = True
        if g["divisions"]:
            crit |= np.isin(div, g["divisions"]); has_crit = True
        if g["keywords"]:
            pattern = "|".join(re.escape(k) for k in g["keywords"])
            crit |= text_s.str.contains(pattern, regex=True).to_numpy(dtype=bool); has_crit = True
        if g["location"] == "park":
            crit |= park != ""; has_crit = True
        elif g["location"] == "building":
            crit |= building != ""; has_crit = True
        hit = free & ok & (crit if has_crit else True)
        out[hit] = g["label"]
        free &= ~hit
    out[free] = fallback[free]
    return out


def _key(label: str, grouping: str) -> str:
    """The token used in ``industry.similar`` for a label: section letter, or the label itself."""
    if grouping != "custom" or re.match(r"^[A-T](\s|$)", label):
        if re.match(r"^([A-T]|\d{2})(\s|$)", label):
            return section_of(label) or label
    return label


def similar_groups(group: str | None, profile: "Profile | None" = None) -> list[str]:
    """Return the groups the profile counts as "相近" to ``group`` (not including itself).

    The profile's ``industry.similar`` lists sets of section letters (or custom
    labels); a group is similar to every other member of any set it belongs to.
    Under ``division`` grouping the other divisions of the same section, and the
    divisions of similar sections, are similar. Whether joint units may use the
    fallback at all is ``joint.allow_similar_industry``.
    """
    if not group:
        return []
    prof = as_profile(profile)
    grouping = prof.get("industry.grouping")
    key = _key(group, grouping)
    similar: list[str] = []
    for members in prof.get("industry.similar"):
        tokens = [_key(m, grouping) if m not in SECTIONS else m for m in members]
        if key in tokens:
            similar.extend(t for t in tokens if t != key)
    if grouping == "division":
        out: list[str] = []
        code = group.split(" ", 1)[0]
        letters = [key, *similar]
        for code2, (letter, _) in DIVISIONS.items():
            if letter in letters and code2 != code:
                out.append(division_label(code2))  # type: ignore[arg-type]
        return out
    labels = []
    for t in similar:
        lab = section_label(t) if t in SECTIONS else t
        if lab and lab not in labels and lab != group:
            labels.append(lab)
    return labels


def similarity_matrix(labels: Sequence[str | None], profile: "Profile | None" = None) -> np.ndarray:
    """Boolean matrix ``M[i, j]``: groups ``labels[i]`` and ``labels[j]`` are the same or "相近".

    Meant for the unique group labels of a plan (a few dozen), not for rows.
    ``None`` is similar to nothing (not even itself).
    """
    prof = as_profile(profile)
    n = len(labels)
    m = np.zeros((n, n), dtype=bool)
    for i, a in enumerate(labels):
        if not a:
            continue
        near = set(similar_groups(a, prof))
        for j, b in enumerate(labels):
            if b and (a == b or b in near):
                m[i, j] = True
    return m
