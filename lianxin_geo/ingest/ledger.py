"""Read and validate ledgers (台账): nothing is silently dropped.

A ledger file (``.xlsx`` or ``.csv`` from Chinese Excel/WPS, or a DataFrame) is
read into raw text cells (:mod:`lianxin_geo.ingest.tabular`), its header row is found
by the schema's headers and aliases (:data:`lianxin_geo.core.model.SCHEMAS`), every
cell is typed and every row checked. All problems are collected first and
reported once: each row is either accepted (possibly with warnings) or rejected
with its reasons, so ``rows_in == n_accepted + n_rejected`` always holds.

The rules are documented in ``docs/ledger.md``.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from lianxin_geo.ingest.creditcode import check_credit_code, normalize_credit_code
from lianxin_geo.ingest.tabular import (
    RawTable,
    find_header_row,
    header_lookup,
    match_headers,
    normalize_header,
    read_table,
)
from lianxin_geo.core.crs import normalize_crs_name, to_wgs84
from lianxin_geo.core.district import normalize_text, town_short_name
from lianxin_geo.core.errors import LedgerError
from lianxin_geo.core.model import CRS_NAMES, PARTY_JOINT, SCHEMAS, ColumnSpec, LedgerSchema

if TYPE_CHECKING:
    from lianxin_geo.core.district import District

__all__ = [
    "ValidationIssue",
    "LedgerResult",
    "read_ledger",
    "read_frame",
    "detect_kind",
    "derive_id",
    "ENUM_SYNONYMS",
    "TRUE_WORDS",
    "FALSE_WORDS",
    "UNIT_SUFFIXES",
    "ID_RULES",
    "SERIAL_HEADERS",
]

Severity = Literal["error", "warning"]

# ---------------------------------------------------------------- vocabulary tables
#: Synonym -> candidate canonical values; the first candidate that is an allowed
#: value of the column is used. Keys are compared after NFKC, white-space removal
#: and upper-casing of ASCII letters.
ENUM_SYNONYMS: dict[str, tuple[str, ...]] = {
    # 组织类别
    "非公有制企业": ("非公企业",), "非公有制经济组织": ("非公企业",), "非公经济组织": ("非公企业",),
    "非公": ("非公企业",), "企业": ("非公企业",), "民营企业": ("非公企业",), "私营企业": ("非公企业",),
    "非公有制企业及其他经济组织": ("非公企业",),
    "社团": ("社会组织", "社会团体"), "社会团体": ("社会组织",), "民非": ("社会组织", "民办非企业单位"),
    "民办非企业单位": ("社会组织",), "民办非企业": ("社会组织", "民办非企业单位"), "基金会": ("社会组织",),
    # 社会组织类型
    "社区社会组织": ("城乡社区社会组织",), "中介组织": ("社会中介组织",),
    # 党组织状态
    "已单独建立": ("单独建立",), "单独组建": ("单独建立",), "单建": ("单独建立",), "独立建立": ("单独建立",),
    "已单独组建": ("单独建立",),
    "联建": ("联合建立",), "联合组建": ("联合建立",), "已联合建立": ("联合建立",), "已联建": ("联合建立",),
    "无": ("未建立",), "未建": ("未建立",), "未组建": ("未建立",), "没有": ("未建立",), "未成立": ("未建立",),
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
    "平方米", "平米", "平方", "m2", "万元", "元", "人", "名", "个", "位", "次", "家", "户")

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

_CREDIT_KEY = "credit_code"
#: Optional columns whose absence or emptiness is worth a warning.
_RECOMMENDED_KEYS: tuple[str, ...] = ("credit_code", "employees")
_WHY_RECOMMENDED: dict[str, str] = {
    "credit_code": "全部单位按单位名称、地址和所属镇街生成编号",
    "employees": "评估时无法按从业人员数判断组建要求（R3/R4/R5）",
}
#: (members, probationary, employees) keys of the head-count consistency check.
_HEADCOUNT_KEYS = ("members", "probationary", "employees")
#: (status key, status value, key that should then be filled).
_JOINT_RULE = ("party_status", PARTY_JOINT, "joint_org_id")
#: Hex digits of sha1 kept in a derived id.
_ID_HASH_LEN = 11


# ---------------------------------------------------------------- results
@dataclass
class ValidationIssue:
    """One problem found in a ledger.

    Attributes
    ----------
    row
        The row number as seen in Excel (1-based, title and header rows counted);
        0 for a problem of the whole file.
    column
        The header as written in the file (the canonical header when the column is missing).
    value
        The raw cell text.
    reason
        A Chinese sentence saying what is wrong and how to fix it.
    severity
        ``"error"`` (the row is rejected) or ``"warning"`` (the row is accepted).
    key
        The internal column key (``""`` for a file-level or row-level issue).
    """

    row: int
    column: str
    value: str
    reason: str
    severity: Severity
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value,
                "reason": self.reason, "severity": self.severity}


@dataclass
class LedgerResult:
    """The outcome of reading one ledger.

    Attributes
    ----------
    kind
        ``orgs``, ``buildings``, ``parks`` or ``centers``.
    source
        The file name (or ``<DataFrame>``).
    rows_in
        Non-blank data rows read; always ``n_accepted + n_rejected``.
    accepted
        One row per accepted record: every schema key (typed), ``row``, ``id``,
        ``town_code``, for located kinds ``lon``/``lat`` in WGS-84 and
        ``lon_raw``/``lat_raw``/``crs`` as given, and ``extra:<header>`` columns.
    rejected
        One row per rejected record: ``row``, the raw texts under schema keys,
        ``extra:<header>`` columns and ``reasons``.
    issues
        Every error and warning, file-level first, then by row.
    header_row
        Excel row (CSV line) of the header.
    encoding, sheet
        The CSV decoding used / the worksheet read.
    """

    kind: str
    source: str
    rows_in: int
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    issues: list[ValidationIssue]
    header_row: int
    encoding: str | None = None
    sheet: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)

    @property
    def n_accepted(self) -> int:
        return len(self.accepted)

    @property
    def n_rejected(self) -> int:
        return len(self.rejected)

    @property
    def errors(self) -> list[ValidationIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[ValidationIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    def issues_frame(self) -> pd.DataFrame:
        """The issues as a table with Chinese column names, for display and export."""
        return pd.DataFrame(
            [[i.row, i.column, i.value, i.severity, i.reason] for i in self.issues],
            columns=["行号", "列", "原值", "级别", "原因"],
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary: counts plus every issue (errors and warnings) with its severity."""
        return {
            "kind": self.kind,
            "source": self.source,
            "rows_in": int(self.rows_in),
            "accepted": int(self.n_accepted),
            "rejected": int(self.n_rejected),
            "header_row": int(self.header_row),
            "errors": [i.to_dict() for i in self.issues],
            "warnings": sum(1 for i in self.issues if i.severity == "warning"),
        }


# ---------------------------------------------------------------- value parsing
def _norm_token(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


_NUMBER = re.compile(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)")
_UNIT_NORM = tuple(sorted({_norm_token(u) for u in UNIT_SUFFIXES}, key=len, reverse=True))


def _parse_number(text: str, *, units: bool = True) -> float | None:
    """Parse ``12``, ``１２``, ``1,234``, ``12人``, ``1200㎡``, ``12.0``; None if not a number."""
    t = _norm_token(text).replace(",", "")
    if units:
        for u in _UNIT_NORM:
            if t.endswith(u) and len(t) > len(u):
                t = t[: -len(u)]
                break
    m = _NUMBER.fullmatch(t)
    if not m:
        return None
    value = float(m.group(2))
    return -value if m.group(1) == "-" else value


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


def _empty_value(spec: ColumnSpec) -> object:
    return spec.default


@dataclass
class _Row:
    num: int
    raw: dict[str, str]
    values: dict[str, object]
    extras: dict[str, str]
    issues: list[ValidationIssue] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return any(i.severity == "error" for i in self.issues)


class _Ctx:
    """Per-file context: the schema, the header of each key in the user's file, the district."""

    def __init__(self, schema: LedgerSchema, headers: dict[str, str], district: District | None) -> None:
        self.schema = schema
        self.headers = headers
        self.district = district
        self._towns: dict[str, str | None] = {}

    def header(self, key: str) -> str:
        return self.headers.get(key) or self.schema.column(key).header

    def resolve_town(self, text: str) -> str | None:
        if text not in self._towns:
            assert self.district is not None
            self._towns[text] = self.district.resolve_town(text)
        return self._towns[text]


def _issue(ctx: _Ctx, row: int, key: str, value: str, reason: str, severity: Severity) -> ValidationIssue:
    return ValidationIssue(row, ctx.header(key) if key else "", value, reason, severity, key)


def _parse_cell(ctx: _Ctx, spec: ColumnSpec, text: str, row: _Row) -> object:
    """Type one cell; add issues to ``row``; return the typed value (None/default when unusable)."""
    h = ctx.header(spec.key)
    if text == "":
        if spec.required:
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”为必填项，不能为空：请填写后重新导入", "error"))
        return _empty_value(spec)
    t = spec.type
    if t == "str":
        return text
    if t == "code":
        return normalize_credit_code(text) if spec.key == _CREDIT_KEY else text
    if t == "int":
        v = _parse_number(text)
        if v is None:
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”应为整数（如 12），“{text}”无法识别为数字：请只填写数字", "error"))
            return None
        if v < 0:
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”不能为负数（“{text}”）：请改为 0 或正整数", "error"))
            return None
        if not float(v).is_integer():
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”应为整数，“{text}”带有小数：请填写整数", "error"))
            return None
        return int(v)
    if t == "float":
        v = _parse_number(text)
        if v is None:
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”应为数字（如 1200），“{text}”无法识别：请只填写数字", "error"))
            return None
        if v < 0:
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”不能为负数（“{text}”）：请改为 0 或正数", "error"))
            return None
        return float(v)
    if t == "bool":
        token = _norm_token(text)
        if token in TRUE_WORDS:
            return True
        if token in FALSE_WORDS:
            return False
        row.issues.append(_issue(ctx, row.num, spec.key, text,
                                 f"“{h}”应填“是”或“否”，“{text}”无法识别：请改为 是/否", "error"))
        return _empty_value(spec)
    if t == "enum":
        value = _match_enum(spec, text)
        if value is None:
            row.issues.append(_issue(
                ctx, row.num, spec.key, text,
                f"“{h}”的值“{text}”不在允许范围内：请填写 {'、'.join(spec.choices)} 之一", "error"))
        return value
    if t in ("lon", "lat"):
        return text  # parsed with its partner in _check_coords
    return text  # pragma: no cover - unknown types are kept as text


# ---------------------------------------------------------------- row checks
def _check_recommended(ctx: _Ctx, row: _Row, present: set[str]) -> None:
    for key in _RECOMMENDED_KEYS:
        if key not in present or key == _CREDIT_KEY:
            continue
        if row.raw.get(key, "") == "":
            row.issues.append(_issue(
                ctx, row.num, key, "",
                f"“{ctx.header(key)}”为空：已按缺失值保留，{_WHY_RECOMMENDED[key]}：请补填", "warning"))


def _check_headcount(ctx: _Ctx, row: _Row) -> None:
    mk, pk, ek = _HEADCOUNT_KEYS
    if not all(k in ctx.schema.keys for k in _HEADCOUNT_KEYS):
        return
    members, prob, emp = row.values.get(mk), row.values.get(pk), row.values.get(ek)
    if not isinstance(emp, int) or not isinstance(members, int):
        return
    total = members + (prob if isinstance(prob, int) else 0)
    if total > emp:
        row.issues.append(_issue(
            ctx, row.num, ek, row.raw.get(ek, ""),
            f"党员人数（正式{members}＋预备{prob if isinstance(prob, int) else 0}＝{total}）多于"
            f"“{ctx.header(ek)}”（{emp}）：请核对人数（已接受本行）", "warning"))


def _check_joint(ctx: _Ctx, row: _Row) -> None:
    sk, sv, jk = _JOINT_RULE
    if sk not in ctx.schema.keys or jk not in ctx.schema.keys:
        return
    if row.values.get(sk) == sv and not row.values.get(jk):
        row.issues.append(_issue(
            ctx, row.num, jk, "",
            f"党组织状态为“{sv}”但“{ctx.header(jk)}”为空：请填写所属联合党组织的编号，"
            "以便核对联建单位（已接受本行）", "warning"))


def _check_town(ctx: _Ctx, row: _Row) -> None:
    if "town" not in ctx.schema.keys:
        return
    text = row.raw.get("town", "")
    row.values["town_code"] = None
    if not text or ctx.district is None:
        return
    code = ctx.resolve_town(text)
    if code is not None:
        row.values["town_code"] = code
        return
    names = list(ctx.district.town_names.values())
    hint = _suggest(text, names)
    row.issues.append(_issue(
        ctx, row.num, "town", text,
        f"“{ctx.header('town')}”中的“{text}”不是{ctx.district.name}的镇街：请填写镇街名称或9位代码，"
        f"如 {'、'.join(hint)}（共{len(names)}个）", "error"))


def _suggest(text: str, names: Sequence[str], limit: int = 5) -> list[str]:
    try:
        from rapidfuzz import fuzz, process

        found = process.extract(normalize_text(text), list(names), scorer=fuzz.partial_ratio, limit=limit)
        best = [n for n, score, _ in found if score >= 50]
    except ImportError:  # pragma: no cover - rapidfuzz is a core dependency
        best = []
    rest = [n for n in names if n not in best]
    return (best + rest)[:limit]


def _check_credit(ctx: _Ctx, row: _Row, present: bool) -> None:
    if _CREDIT_KEY not in ctx.schema.keys:
        return
    row.values["_credit_ok"] = False
    if not present:
        return
    raw = row.raw.get(_CREDIT_KEY, "")
    h = ctx.header(_CREDIT_KEY)
    if raw == "":
        row.issues.append(_issue(ctx, row.num, _CREDIT_KEY, raw,
                                 f"“{h}”为空：已按单位名称、地址和所属镇街生成编号；请补填18位代码", "warning"))
        return
    chk = check_credit_code(raw)
    if chk.valid:
        row.values["_credit_ok"] = True
        return
    row.issues.append(_issue(ctx, row.num, _CREDIT_KEY, raw,
                             f"{chk.reason}；已改用按单位名称、地址和所属镇街生成的编号", "warning"))


def _check_coords(ctx: _Ctx, rows: list[_Row], *, tolerance_m: float) -> None:
    """Parse lon/lat of every row, convert to WGS-84 by the row's 坐标系 and check the district."""
    keys = ctx.schema.keys
    if "lon" not in keys or "lat" not in keys:
        return
    n = len(rows)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    crs = np.empty(n, dtype=object)
    ok = np.zeros(n, dtype=bool)
    hlon, hlat = ctx.header("lon"), ctx.header("lat")
    for i, row in enumerate(rows):
        tx, ty = row.raw.get("lon", ""), row.raw.get("lat", "")
        row.values["lon_raw"] = np.nan
        row.values["lat_raw"] = np.nan
        row.values["lon"] = np.nan
        row.values["lat"] = np.nan
        crs[i] = row.values.get("crs")
        if tx == "" and ty == "":
            continue
        if tx == "" or ty == "":
            missing, have = ("lon", "lat") if tx == "" else ("lat", "lon")
            row.issues.append(_issue(
                ctx, row.num, missing, "",
                f"只填了“{ctx.header(have)}”，没有填“{ctx.header(missing)}”：请同时填写经度和纬度，"
                "或都留空（留空时按地址定位）", "error"))
            continue
        x, y = _parse_coord(tx), _parse_coord(ty)
        bad = False
        for key, text, v in (("lon", tx, x), ("lat", ty, y)):
            if v is None:
                bad = True
                row.issues.append(_issue(
                    ctx, row.num, key, text,
                    f"“{ctx.header(key)}”应为十进制度数（如 116.6546），“{text}”无法识别：请改为数字", "error"))
        if bad:
            continue
        assert x is not None and y is not None
        row.values["lon_raw"], row.values["lat_raw"] = x, y
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            swapped = -180 <= y <= 180 and -90 <= x <= 90
            hint = "经纬度可能填反：请交换两列的值" if swapped else "请核对数值（经度 -180~180，纬度 -90~90）"
            row.issues.append(_issue(ctx, row.num, "lon", f"{tx},{ty}",
                                     f"坐标（{hlon} {tx}，{hlat} {ty}）超出取值范围：{hint}", "error"))
            continue
        if crs[i] is None:  # an unknown 坐标系 was already reported
            continue
        lon[i], lat[i] = x, y
        ok[i] = True
    wlon = np.full(n, np.nan)
    wlat = np.full(n, np.nan)
    for name in CRS_NAMES:
        sel = ok & (crs == name)
        if sel.any():
            wlon[sel], wlat[sel] = to_wgs84(lon[sel], lat[sel], name)
    if ctx.district is not None and ok.any():
        inside = np.zeros(n, dtype=bool)
        inside[ok] = ctx.district.contains(wlon[ok], wlat[ok], tolerance_m=tolerance_m)
        out = np.flatnonzero(ok & ~inside)
        if out.size:
            slon = np.full(out.size, np.nan)
            slat = np.full(out.size, np.nan)
            for name in CRS_NAMES:
                sel = crs[out] == name
                if sel.any():
                    slon[sel], slat[sel] = to_wgs84(lat[out][sel], lon[out][sel], name)
            swapped_in = ctx.district.contains(slon, slat, tolerance_m=tolerance_m)
            for j, i in enumerate(out):
                row = rows[i]
                tx, ty = row.raw.get("lon", ""), row.raw.get("lat", "")
                if swapped_in[j]:
                    hint = "经纬度可能填反：请交换经度和纬度两列的值"
                else:
                    hint = "请核对经纬度数值和“坐标系”列（WGS84/GCJ02/BD09，高德、腾讯为 GCJ02，百度为 BD09）"
                row.issues.append(_issue(
                    ctx, row.num, "lon", f"{tx},{ty}",
                    f"坐标（{hlon} {tx}，{hlat} {ty}，{crs[i]}）换算为 WGS-84 后不在{ctx.district.name}范围内：{hint}",
                    "error"))
                ok[i] = False
    for i in np.flatnonzero(ok):
        rows[i].values["lon"] = float(wlon[i])
        rows[i].values["lat"] = float(wlat[i])


# ---------------------------------------------------------------- ids
def _id_part(value: object) -> str:
    if value is None:
        return ""
    return normalize_text(value).casefold()


def derive_id(kind: str, values: Mapping[str, object], *, town_code: str | None = None) -> str:
    """Return the stable derived id of a record (without collision suffix).

    ``prefix + 11 upper-case hex digits of sha1("name|address|town")`` for orgs,
    ``sha1("name|town")`` for the other kinds, over NFKC-normalised, white-space
    free, case-folded texts. The town part is the resolved 9-digit code when there
    is one, else the town's short name (``胜利街道`` -> ``胜利``).
    """
    prefix, keys = ID_RULES[kind]
    parts = []
    for k in keys:
        if k == "town":
            text = town_code or town_short_name(_id_part(values.get("town")))
            parts.append(text)
        else:
            parts.append(_id_part(values.get(k)))
    digest = hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()
    return prefix + digest[:_ID_HASH_LEN].upper()


# ---------------------------------------------------------------- reading
def _schema(kind: str) -> LedgerSchema:
    if kind not in SCHEMAS:
        raise LedgerError(f"未知台账类别“{kind}”：请使用 {'、'.join(SCHEMAS)} 之一")
    return SCHEMAS[kind]


def _lookup(schema: LedgerSchema) -> dict[str, str]:
    return header_lookup((c.key, c.header, c.aliases) for c in schema.columns)


def _preferred_sheets(kind: str) -> tuple[str, ...]:
    from lianxin_geo.ingest.template import SHEET_NAMES

    return (SHEET_NAMES[kind],) if kind in SHEET_NAMES else ()


def _column_letter(idx: int) -> str:
    s = ""
    idx += 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        s = chr(65 + r) + s
    return s


def _score(table: RawTable, schema: LedgerSchema, max_scan: int) -> tuple[int, int, int] | None:
    lookup = _lookup(schema)
    h = find_header_row(table, lookup, schema.anchor_keys, max_scan=max_scan)
    if h is None:
        return None
    cells = table.rows[h]
    keys = match_headers(cells, lookup)
    shared = {"town", "lon", "lat", "crs", "source", "address"}
    matched = {k for k in keys if k}
    canonical = {normalize_header(c.header) for c in schema.columns}
    exact = sum(1 for c in cells if normalize_header(c) in canonical)
    return (len(matched - shared), exact, len(matched))


def _kind_of(table: RawTable, max_scan: int) -> str:
    scores = {k: s for k, s in ((k, _score(table, sch, max_scan)) for k, sch in SCHEMAS.items()) if s}
    if not scores:
        first = next((r for r in table.rows[:max_scan] if any(r)), [])
        raise LedgerError(
            f"无法判断文件“{table.source}”是哪类台账：前{max_scan}行中没有找到任何台账的表头。"
            f"首行内容为：{'、'.join(c for c in first if c) or '（空）'}。请使用标准模板的表头"
        )
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        names = "、".join(f"{SCHEMAS[k].title}（{k}）" for k, s in ranked if s == ranked[0][1])
        raise LedgerError(
            f"无法判断文件“{table.source}”是哪类台账：表头同样符合 {names}：请在导入时指定台账类别"
        )
    return ranked[0][0]


def _table(source: Any, kind: str | None, sheet: str | int | None, filename: str | None) -> RawTable:
    prefer = _preferred_sheets(kind) if kind else ()
    return read_table(source, sheet=sheet, filename=filename, preferred_sheets=prefer)


def detect_kind(
    source: str | os.PathLike | bytes | pd.DataFrame,
    *,
    sheet: str | int | None = None,
    filename: str | None = None,
    max_header_scan: int = 20,
) -> str:
    """Guess the ledger kind (``orgs``/``buildings``/``parks``/``centers``) from the headers.

    The kind whose anchor columns are found and that matches the most of its own
    (not shared) columns wins; ties are broken by the number of canonical headers.

    Raises
    ------
    LedgerError
        When no kind fits, or two fit equally well.
    """
    return _kind_of(_table(source, None, sheet, filename), max_header_scan)


@dataclass
class _Layout:
    header_index: int
    header_row: int
    col_of: dict[str, int]
    headers: dict[str, str]
    extras: list[tuple[int, str]]
    serial: set[int]
    file_issues: list[ValidationIssue]


def _layout(table: RawTable, schema: LedgerSchema, max_scan: int) -> _Layout:
    lookup = _lookup(schema)
    h = find_header_row(table, lookup, schema.anchor_keys, max_scan=max_scan)
    if h is None:
        anchors = "、".join(
            f"“{schema.column(k).header}”" + (f"（或 {'/'.join(schema.column(k).aliases[:4])}）"
                                              if schema.column(k).aliases else "")
            for k in schema.anchor_keys)
        other = ""
        try:
            guess = _kind_of(table, max_scan)
            other = f"；这个文件看起来是{SCHEMAS[guess].title}（{guess}），请检查台账类别"
        except LedgerError:
            pass
        first = next((r for r in table.rows[:max_scan] if any(r)), [])
        raise LedgerError(
            f"文件“{table.source}”的前{max_scan}行中找不到{schema.title}的表头行：表头须包含 {anchors}。"
            f"首行内容为：{'、'.join(c for c in first if c) or '（空）'}{other}"
        )
    cells = table.rows[h]
    keys = match_headers(cells, lookup)
    col_of: dict[str, int] = {}
    headers: dict[str, str] = {}
    extras: list[tuple[int, str]] = []
    serial: set[int] = set()
    issues: list[ValidationIssue] = []
    hrow = table.rownums[h]
    data_rows = table.rows[h + 1:]
    for j, (text, key) in enumerate(zip(cells, keys)):
        if key is not None and key not in col_of:
            col_of[key] = j
            headers[key] = text
            continue
        if key is not None:
            issues.append(ValidationIssue(
                0, text, text,
                f"“{text}”与“{headers[key]}”两列都对应“{schema.column(key).header}”：以左边的“{headers[key]}”"
                f"为准，本列作为附加列原样保留", "warning", key))
        if not text and not any(j < len(r) and r[j] for r in data_rows):
            continue
        label = text or f"列{_column_letter(j)}"
        if normalize_header(label) in SERIAL_HEADERS:
            serial.add(j)
        extras.append((j, label))
    missing = [c for c in schema.columns if c.required and c.key not in col_of]
    if missing:
        raise LedgerError(
            f"文件“{table.source}”（第{hrow}行表头）缺少{schema.title}的必填列："
            f"{'、'.join(c.header for c in missing)}。文件中的表头为：{'、'.join(c for c in cells if c)}。"
            "请按标准模板补上这些列（可用别名见 docs/ledger.md）"
        )
    dup_cols = {j for j, key in enumerate(keys) if key is not None and col_of.get(key) != j}
    unknown = [label for j, label in extras if j not in serial and j not in dup_cols]
    if unknown:
        issues.append(ValidationIssue(
            0, "、".join(unknown), "",
            f"以下列不在{schema.title}标准模板中，已原样保留为附加列（extra:列名）：{'、'.join(unknown)}",
            "warning"))
    for key in _RECOMMENDED_KEYS:
        if key in schema.keys and key not in col_of:
            issues.append(ValidationIssue(
                0, schema.column(key).header, "",
                f"文件中没有“{schema.column(key).header}”列：{_WHY_RECOMMENDED[key]}；建议按标准模板补上该列",
                "warning", key))
    return _Layout(h, hrow, col_of, headers, extras, serial, issues)


def read_frame(
    source: str | os.PathLike | bytes | pd.DataFrame,
    kind: str = "orgs",
    *,
    sheet: str | int | None = None,
    filename: str | None = None,
    max_header_scan: int = 20,
) -> pd.DataFrame:
    """Read the raw table under the detected header row, without typing or validation.

    Returns
    -------
    pandas.DataFrame
        Text cells under the headers as written in the file, indexed by the Excel
        row number (index name ``row``); blank rows dropped. ``attrs`` holds
        ``header_row``, ``source``, ``encoding``, ``sheet`` and ``columns``
        (header -> schema key, or None for extra columns).
    """
    schema = _schema(kind)
    table = _table(source, kind, sheet, filename)
    lay = _layout(table, schema, max_header_scan)
    cells = table.rows[lay.header_index]
    used = sorted(set(lay.col_of.values()) | {j for j, _ in lay.extras})
    labels = [cells[j] or f"列{_column_letter(j)}" for j in used]
    content = [j for j in used if j not in lay.serial]
    pairs = [(r, n) for r, n in zip(table.rows[lay.header_index + 1:], table.rownums[lay.header_index + 1:])
             if any(r[j] for j in content)]
    frame = pd.DataFrame({i: pd.Series([r[j] for r, _ in pairs], dtype=object) for i, j in enumerate(used)})
    frame.columns = labels
    frame.index = pd.Index([n for _, n in pairs], name="row")
    key_of = {j: k for k, j in lay.col_of.items()}
    frame.attrs.update(header_row=lay.header_row, source=table.source, encoding=table.encoding,
                       sheet=table.sheet, columns={labels[i]: key_of.get(j) for i, j in enumerate(used)})
    return frame


def read_ledger(
    source: str | os.PathLike | bytes | pd.DataFrame,
    kind: str = "orgs",
    *,
    district: District | None = None,
    sheet: str | int | None = None,
    filename: str | None = None,
    max_header_scan: int = 20,
    outside_tolerance_m: float = 50.0,
) -> LedgerResult:
    """Read and validate a ledger; every data row ends up accepted or rejected, with reasons.

    Parameters
    ----------
    source
        Path to a .xlsx/.csv file, its bytes (give ``filename`` for messages), a
        binary file object (an upload) or a DataFrame whose columns are headers.
    kind
        ``orgs`` (两新组织), ``buildings`` (商务楼宇), ``parks`` (园区) or
        ``centers`` (党群活动服务中心); see :func:`detect_kind`.
    district
        When given, 所属镇街 must name one of its towns and coordinates must fall
        inside it (after conversion from the row's 坐标系 to WGS-84).
    sheet
        Worksheet name or 0-based index. By default the sheet named as in the
        standard template for ``kind`` (组织/楼宇/园区/阵地) if present, else the first.
    filename
        The original file name when ``source`` is bytes.
    max_header_scan
        How many non-blank rows from the top are searched for the header row.
    outside_tolerance_m
        Points within this distance outside the district outline still count as inside.

    Returns
    -------
    LedgerResult

    Raises
    ------
    LedgerError
        When the file cannot be read at all: unknown format, undecodable text, no
        header row, or a required column missing (nothing could be accepted).
    """
    schema = _schema(kind)
    table = _table(source, kind, sheet, filename)
    lay = _layout(table, schema, max_header_scan)
    ctx = _Ctx(schema, lay.headers, district)
    present = set(lay.col_of)
    rows: list[_Row] = []
    for cells, num in zip(table.rows[lay.header_index + 1:], table.rownums[lay.header_index + 1:]):
        raw = {k: cells[j] for k, j in lay.col_of.items()}
        extras = {label: cells[j] for j, label in lay.extras}
        if not any(raw.values()) and not any(v for (j, _), v in zip(lay.extras, extras.values())
                                              if j not in lay.serial):
            continue  # blank (or only a pre-filled 序号): skipped, not counted
        row = _Row(num, raw, {}, extras)
        for spec in schema.columns:
            row.values[spec.key] = _parse_cell(ctx, spec, raw.get(spec.key, ""), row)
        _check_credit(ctx, row, _CREDIT_KEY in present)
        _check_recommended(ctx, row, present)
        _check_headcount(ctx, row)
        _check_joint(ctx, row)
        _check_town(ctx, row)
        rows.append(row)
    _check_coords(ctx, rows, tolerance_m=outside_tolerance_m)
    _check_duplicates(ctx, rows, lay)
    accepted, rejected = _frames(ctx, rows, lay)
    issues = list(lay.file_issues)
    order = {k: j for k, j in lay.col_of.items()}
    order.update({spec.key: len(lay.col_of) + n for n, spec in enumerate(schema.columns)
                  if spec.key not in order})
    for row in rows:
        issues.extend(sorted(row.issues, key=lambda i: order.get(i.key, -1)))
    return LedgerResult(
        kind=kind, source=table.source, rows_in=len(rows), accepted=accepted, rejected=rejected,
        issues=issues, header_row=lay.header_row, encoding=table.encoding, sheet=table.sheet,
        column_map={k: lay.headers[k] for k in lay.col_of},
    )


def _check_duplicates(ctx: _Ctx, rows: list[_Row], lay: _Layout) -> None:
    """Identical rows and repeated credit codes; then ids for accepted rows (in file order)."""
    seen_rows: dict[tuple[str, ...], int] = {}
    seen_codes: dict[str, int] = {}
    seen_ids: set[str] = set()
    name_key = ctx.schema.anchor_keys[0]
    for row in rows:
        sig = tuple(normalize_text(row.raw.get(k, "")) for k in ctx.schema.keys) + tuple(
            normalize_text(v) for (j, _), v in zip(lay.extras, row.extras.values()) if j not in lay.serial)
        if sig in seen_rows:
            row.issues.append(_issue(ctx, row.num, name_key, row.raw.get(name_key, ""),
                                     f"重复行：与第{seen_rows[sig]}行内容完全相同：请删除其中一行", "error"))
        else:
            seen_rows[sig] = row.num
            if not row.rejected and row.values.get("_credit_ok"):
                code = str(row.values[_CREDIT_KEY])
                if code in seen_codes:
                    row.issues.append(_issue(
                        ctx, row.num, _CREDIT_KEY, row.raw.get(_CREDIT_KEY, ""),
                        f"统一社会信用代码与第{seen_codes[code]}行重复：同一单位只应登记一次，请合并两行或核对代码",
                        "error"))
                else:
                    seen_codes[code] = row.num
        if row.rejected:
            continue
        if row.values.get("_credit_ok"):
            rid = str(row.values[_CREDIT_KEY])
        else:
            rid = derive_id(ctx.schema.kind, row.values, town_code=row.values.get("town_code"))  # type: ignore[arg-type]
            if rid in seen_ids:
                rid = f"{rid}-{row.num}"
        seen_ids.add(rid)
        row.values["id"] = rid


def _objects(values: Sequence[object], dtype: object = object) -> pd.Series:
    """An object column that keeps None (pandas 3 would otherwise infer ``str`` with NaN)."""
    return pd.Series(list(values), dtype=dtype)


def _typed(spec: ColumnSpec, values: list[object]) -> Any:
    t = spec.type
    if t == "int":
        return pd.array(values, dtype="Int64")
    if t in ("float", "lon", "lat"):
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    if t == "bool":
        if all(isinstance(v, (bool, np.bool_)) for v in values):
            return np.array(values, dtype=bool)
        return pd.array(values, dtype="boolean")
    return _objects(values, dtype=object)


def _frames(ctx: _Ctx, rows: list[_Row], lay: _Layout) -> tuple[pd.DataFrame, pd.DataFrame]:
    schema = ctx.schema
    located = "lon" in schema.keys and "lat" in schema.keys
    has_town = "town" in schema.keys
    good = [r for r in rows if not r.rejected]
    bad = [r for r in rows if r.rejected]
    extra_labels = [label for _, label in lay.extras]
    acc: dict[str, Any] = {
        "row": np.array([r.num for r in good], dtype=np.int64),
        "id": _objects([r.values["id"] for r in good], dtype=object),
    }
    for spec in schema.columns:
        acc[spec.key] = _typed(spec, [r.values.get(spec.key) for r in good])
    if has_town:
        acc["town_code"] = _objects([r.values.get("town_code") for r in good], dtype=object)
    if located:
        acc["lon_raw"] = np.array([r.values.get("lon_raw", np.nan) for r in good], dtype=float)
        acc["lat_raw"] = np.array([r.values.get("lat_raw", np.nan) for r in good], dtype=float)
    for label in extra_labels:
        acc[f"extra:{label}"] = _objects([r.extras[label] or None for r in good], dtype=object)
    accepted = pd.DataFrame(acc)
    rej: dict[str, Any] = {"row": np.array([r.num for r in bad], dtype=np.int64)}
    for key in schema.keys:
        rej[key] = _objects([r.raw.get(key, "") for r in bad], dtype=object)
    for label in extra_labels:
        rej[f"extra:{label}"] = _objects([r.extras[label] for r in bad], dtype=object)
    rej["reasons"] = _objects(
        ["；".join(f"[{i.column}] {i.reason}" if i.column else i.reason
                  for i in r.issues if i.severity == "error") for r in bad], dtype=object)
    rejected = pd.DataFrame(rej)
    return accepted, rejected
