"""The words ledgers use, and how one cell's text becomes a number, a yes/no or an allowed value.

The tables are data (reviewed by planners, documented in ``docs/ledger.md``);
the ``_parse_*`` helpers are used by :mod:`lianxin_geo.ingest.validate`.
"""

from __future__ import annotations

import re
import unicodedata

from lianxin_geo.core.crs import normalize_crs_name
from lianxin_geo.core.model import CRS_NAMES, ColumnSpec

__all__ = [
    "ENUM_SYNONYMS",
    "TRUE_WORDS",
    "FALSE_WORDS",
    "UNIT_SUFFIXES",
    "ID_RULES",
    "SERIAL_HEADERS",
]

#: Synonym -> candidate canonical values; the first candidate that is an allowed
#: value of the column is used. Keys are compared after NFKC, white-space removal
#: and upper-casing of ASCII letters.
ENUM_SYNONYMS: dict[str, tuple[str, ...]] = {
    # 组织类别
    "非公有制企业": ("非公企业",), "非公有制经济组织": ("非公企业",), "非公经济组织": ("非公企业",),
    "非公": ("非公企业",), "企业": ("非公企业",), "民营企业": ("非公企业",), "私营企业": ("非公企业",),
    "非公有制企业及其他经济组织": ("非公企业",), "民营": ("非公企业",), "私营": ("非公企业",),
    "有限责任公司": ("非公企业",), "有限公司": ("非公企业",), "股份有限公司": ("非公企业",), "外资企业": ("非公企业",),
    "外商投资企业": ("非公企业",), "中外合资企业": ("非公企业",), "港澳台投资企业": ("非公企业",),
    "合伙企业": ("非公企业",), "个人独资企业": ("非公企业",),
    "社团": ("社会组织", "社会团体"), "社会团体": ("社会组织",), "民非": ("社会组织", "民办非企业单位"),
    "民办非企业单位": ("社会组织",), "民办非企业": ("社会组织", "民办非企业单位"), "基金会": ("社会组织",),
    "社会服务机构": ("社会组织", "民办非企业单位"),
    # 社会组织类型
    "社区社会组织": ("城乡社区社会组织",), "中介组织": ("社会中介组织",),
    # 党组织状态
    "已单独建立": ("单独建立",), "单独组建": ("单独建立",), "单建": ("单独建立",), "独立建立": ("单独建立",),
    "已单独组建": ("单独建立",),
    "联建": ("联合建立",), "联合组建": ("联合建立",), "已联合建立": ("联合建立",), "已联建": ("联合建立",),
    "无": ("未建立",), "未建": ("未建立",), "未组建": ("未建立",), "没有": ("未建立",), "未成立": ("未建立",),
    "否": ("未建立",),
    # 党组织类型
    "支部": ("党支部",), "联合党支部": ("党支部",), "总支": ("党总支",), "党总支部": ("党总支",),
    "基层党委": ("党委",), "综合党委": ("党委",),
    # 级别 / 层级
    "国家": ("国家级",), "市": ("市级", "市级及以上"), "市级": ("市级及以上",), "市级以上": ("市级及以上",),
    "全国": ("市级及以上",), "国家级": ("市级及以上",), "区": ("区级",), "区县级": ("区级",),
    "镇": ("镇级",), "乡镇": ("镇级", "街乡"), "乡镇级": ("镇级", "街乡"), "街道": ("街道级", "街乡"),
    "街乡级": ("街乡",), "街道乡镇": ("街乡",), "园区级": ("园区",), "社区级": ("社区",), "村": ("社区",),
    "楼宇级": ("楼宇",),
}

#: Words read as True / False in 是/否 columns (compared after NFKC, upper-cased).
TRUE_WORDS: frozenset[str] = frozenset(
    {"是", "有", "Y", "YES", "TRUE", "T", "1", "√", "✓", "✔", "对", "已建", "已建立", "建立"})
FALSE_WORDS: frozenset[str] = frozenset(
    {"否", "无", "N", "NO", "FALSE", "F", "0", "×", "✗", "✘", "X", "未建", "未建立", "没有"})

#: Unit words allowed after a number (after NFKC, so ㎡ is m2).
UNIT_SUFFIXES: tuple[str, ...] = (
    "万平方米", "万平米", "万m2", "平方米", "平米", "平方", "m2", "亿元", "万元", "千元", "元",
    "人", "名", "个", "位", "次", "家", "户")

#: For each canonical unit of a number column (``VALUE_LIMITS[key].unit``): the factor of every other unit a cell
#: or its header may be written in (``860元`` is 0.086 万元; ``建筑面积（万平方米）`` 1.2 is 12,000 平方米).
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "平方米": {"平方米": 1.0, "平米": 1.0, "平方": 1.0, "m2": 1.0, "万平方米": 1e4, "万平米": 1e4, "万m2": 1e4},
    "万元": {"万元": 1.0, "元": 1e-4, "千元": 0.1, "亿元": 1e4},
}

#: Per ledger kind: id prefix and the keys hashed into a derived id.
ID_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "orgs": ("X", ("name", "address", "town")),
    "buildings": ("B", ("name", "town")),
    "parks": ("P", ("name", "town")),
    "centers": ("C", ("name", "town")),
}

#: Headers of a serial-number column: kept as an extra column but ignored when
#: deciding whether a row is blank or a repeat ("序号" pre-filled down a template).
SERIAL_HEADERS: frozenset[str] = frozenset({"序号", "序", "no", "no.", "#", "编号序号"})


def _norm_token(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


_NUMBER = re.compile(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)")
_UNIT_NORM = tuple(sorted({_norm_token(u) for u in UNIT_SUFFIXES}, key=len, reverse=True))
_FACTORS_NORM = {c: {_norm_token(u): f for u, f in table.items()} for c, table in UNIT_FACTORS.items()}


def _parse_number(text: str, *, units: bool = True) -> float | None:
    """Parse ``12``, ``１２``, ``1,234``, ``12人``, ``1200㎡``, ``12.0``; None if not a number.

    A number too long for a float comes back as ``inf`` (the caller reports it as implausible).
    """
    return _number_and_unit(text, units=units)[0]


def _number_and_unit(text: str, *, units: bool = True) -> tuple[float | None, str | None]:
    """:func:`_parse_number` and the unit word written after the number (normalised: ``m2`` for ㎡), if any."""
    t = _norm_token(text).replace(",", "")
    unit = None
    if units:
        for u in _UNIT_NORM:
            if t.endswith(u) and len(t) > len(u):
                t, unit = t[: -len(u)], u
                break
    m = _NUMBER.fullmatch(t)
    if not m:
        return None, None
    value = float(m.group(2))
    return (-value if m.group(1) == "-" else value), unit


def unit_factor(canonical: str, unit: str | None) -> float | None:
    """The factor from ``unit`` to the ``canonical`` unit (see :data:`UNIT_FACTORS`), ``None`` when not listed."""
    if unit is None:
        return None
    return _FACTORS_NORM.get(canonical, {}).get(_norm_token(unit))


def header_unit(canonical: str, header: str) -> tuple[str, float] | None:
    """The unit a header names in brackets (``工资总额（元）``, ``建筑面积(万㎡)``) and its factor to ``canonical``."""
    found = re.findall(r"[\(\[【]([^\(\)\[\]【】]*)[\)\]】]", unicodedata.normalize("NFKC", header))
    for inner in found:
        factor = unit_factor(canonical, inner)
        if factor is not None:
            return inner, factor
    return None


def _parse_coord(text: str) -> float | None:
    t = _norm_token(text).rstrip("°")
    m = _NUMBER.fullmatch(t)
    if not m:
        return None
    value = float(m.group(2))
    return -value if m.group(1) == "-" else value


def _match_enum(spec: ColumnSpec, text: str) -> str | None:
    if tuple(spec.choices) == tuple(CRS_NAMES):
        return normalize_crs_name(text)
    token = _norm_token(text)
    for choice in spec.choices:
        if _norm_token(choice) == token:
            return choice
    for candidate in ENUM_SYNONYMS.get(token, ()):
        if candidate in spec.choices:
            return candidate
    return None


def _match_bool(text: str) -> bool | None:
    token = _norm_token(text)
    if token in TRUE_WORDS:
        return True
    if token in FALSE_WORDS:
        return False
    return None
