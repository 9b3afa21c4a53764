"""Row checks of a ledger: every cell typed, every row accepted or rejected with its reasons.

:mod:`lianxin_geo.ingest.ledger` finds the header and the columns of a file and
hands the rows here. Each row is typed cell by cell (:func:`_parse_cell`), then
checked as a whole (credit code, head counts, joint org, town, coordinates,
duplicates, plausibility). All problems are collected first and reported once.

The rules are documented in ``docs/ledger.md``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from lianxin_geo.core.crs import normalize_crs_name, to_wgs84
from lianxin_geo.core.district import District, normalize_text, town_short_name
from lianxin_geo.core.model import CRS_NAMES, MAX_TEXT_CHARS, PARTY_JOINT, VALUE_LIMITS, ColumnSpec, LedgerSchema
from lianxin_geo.ingest.boundary_checks import check_points_fit
from lianxin_geo.ingest.creditcode import check_credit_code, normalize_credit_code
from lianxin_geo.ingest.limits import ReadLimits
from lianxin_geo.ingest.tabular import RawTable, of_which
from lianxin_geo.ingest.vocabulary import ID_RULES, UNIT_FACTORS, _match_bool, _match_enum, _number_and_unit
from lianxin_geo.ingest.vocabulary import _parse_coord, header_unit, unit_factor

__all__ = ["ValidationIssue", "Layout", "derive_id", "validate_rows", "preview"]

Severity = Literal["error", "warning"]

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
#: Characters of an over-long cell kept in messages and in the rejected table.
_PREVIEW_CHARS = 40


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
        The raw cell text (the first characters only, for an over-long cell).
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
class Layout:
    """Where a ledger's columns are in its file (found by :mod:`lianxin_geo.ingest.ledger`).

    Attributes
    ----------
    header_index
        Index of the header row in ``RawTable.rows``.
    header_row
        Excel row (CSV line) of the header.
    col_of
        Schema key -> column index.
    headers
        Schema key -> header as written in the file.
    extras
        ``(column index, label)`` of every column kept as ``extra:<label>``.
    serial
        Column indexes of 序号-like columns.
    file_issues
        File-level issues found while reading the header.
    """

    header_index: int
    header_row: int
    col_of: dict[str, int]
    headers: dict[str, str]
    extras: list[tuple[int, str]]
    serial: set[int]
    file_issues: list[ValidationIssue]


def preview(text: str, limit: int = _PREVIEW_CHARS) -> str:
    """The start of a long text, with its length: ``"北京市……（共 40,000 个字符）"``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}……（共 {len(text):,} 个字符）"


# ---------------------------------------------------------------- per-file context
@dataclass
class _Row:
    num: int
    raw: dict[str, str]
    values: dict[str, object]
    extras: dict[str, str]
    issues: list[ValidationIssue] = field(default_factory=list)
    too_long: set[str] = field(default_factory=set)

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
        #: The datum the 经度/纬度 headers name (``经度(GCJ02)``, ``纬度（百度）``): rows with no 坐标系 use it.
        named = {normalize_crs_name(headers[k]) for k in ("lon", "lat") if headers.get(k)} - {None}
        self.header_crs: str | None = named.pop() if len(named) == 1 else None
        #: Number columns with a unit (平方米, 万元) and the factor of the unit their header names, if another.
        self.canonical_units = {spec.key: VALUE_LIMITS[spec.key].unit for spec in schema.columns
                                if spec.type == "float" and spec.key in VALUE_LIMITS
                                and VALUE_LIMITS[spec.key].unit in UNIT_FACTORS}
        self.header_units: dict[str, str] = {}
        self.header_factors: dict[str, float] = {}
        for key, canonical in self.canonical_units.items():
            found = header_unit(canonical, headers[key]) if headers.get(key) else None
            if found is not None and found[1] != 1.0:
                self.header_units[key], self.header_factors[key] = found
        #: 党员人数 followed by 其中：预备党员 (statistical tables): the members column is the total, so the
        #: formal members are the total less the probationary ones.
        mk, pk, _ = _HEADCOUNT_KEYS
        self.members_total = bool(headers.get(mk) and headers.get(pk) and "正式" not in headers[mk]
                                  and of_which(headers[pk]))

    def header(self, key: str) -> str:
        return self.headers.get(key) or self.schema.column(key).header

    def resolve_town(self, text: str) -> str | None:
        if text not in self._towns:
            assert self.district is not None
            self._towns[text] = self.district.resolve_town(text)
        return self._towns[text]


def _issue(ctx: _Ctx, row: int, key: str, value: str, reason: str, severity: Severity) -> ValidationIssue:
    return ValidationIssue(row, ctx.header(key) if key else "", value, reason, severity, key)


# ---------------------------------------------------------------- cells
def _check_number(ctx: _Ctx, spec: ColumnSpec, text: str, v: float, row: _Row) -> bool:
    """Finite and plausible (:data:`~lianxin_geo.core.model.VALUE_LIMITS`); adds the issue, False when rejected."""
    h = ctx.header(spec.key)
    if not math.isfinite(v):
        row.issues.append(_issue(ctx, row.num, spec.key, preview(text),
                                 f"“{h}”的数字“{preview(text)}”位数过多，不是一个可能的值：请核对后重新填写", "error"))
        return False
    lim = VALUE_LIMITS.get(spec.key)
    if lim is None or v <= lim.warn:
        return True
    if v > lim.error:
        row.issues.append(_issue(
            ctx, row.num, spec.key, text,
            f"“{h}”为 {v:,.0f}{lim.unit}，超过一个单位可能的上限 {lim.error:,.0f}{lim.unit}：请核对是否多填了位数"
            "或填错了列", "error"))
        return False
    row.issues.append(_issue(
        ctx, row.num, spec.key, text,
        f"“{h}”为 {v:,.0f}{lim.unit}，超过 {lim.warn:,.0f}{lim.unit}，很少见：请核对（已接受本行）", "warning"))
    return True


def _parse_cell(ctx: _Ctx, spec: ColumnSpec, text: str, row: _Row) -> object:
    """Type one cell; add issues to ``row``; return the typed value (None/default when unusable)."""
    h = ctx.header(spec.key)
    if spec.key in row.too_long:
        return None  # already rejected as too long
    if text == "":
        if spec.required:
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”为必填项，不能为空：请填写后重新导入", "error"))
        if spec.key == "crs" and ctx.header_crs is not None:
            return ctx.header_crs
        return spec.default
    t = spec.type
    if t == "code":
        return normalize_credit_code(text) if spec.key == _CREDIT_KEY else text
    if t in ("int", "float"):
        v, unit = _number_and_unit(text)
        if v is not None and t == "float" and spec.key in ctx.canonical_units:
            canonical = ctx.canonical_units[spec.key]
            factor = unit_factor(canonical, unit) if unit is not None else ctx.header_factors.get(spec.key, 1.0)
            if factor is None:
                row.issues.append(_issue(ctx, row.num, spec.key, text,
                                         f"“{h}”的单位“{unit}”不是{canonical}一类的单位：请按{canonical}填写数字",
                                         "error"))
                return None
            v *= factor
        if v is None:
            expect = "整数（如 12），“{}”无法识别为数字" if t == "int" else "数字（如 1200），“{}”无法识别"
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”应为{expect.format(text)}：请只填写数字", "error"))
            return None
        if v < 0:
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”不能为负数（“{text}”）：请改为 0 或正{'整' if t == 'int' else ''}数", "error"))
            return None
        if not _check_number(ctx, spec, text, v, row):
            return None
        if t == "float":
            return float(v)
        if not float(v).is_integer():
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”应为整数，“{text}”带有小数：请填写整数", "error"))
            return None
        return int(v)
    if t == "bool":
        flag = _match_bool(text)
        if flag is None:
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”应填“是”或“否”，“{text}”无法识别：请改为 是/否", "error"))
            return spec.default
        return flag
    if t == "enum":
        value = _match_enum(spec, text)
        if value is None:
            said_yes = spec.key == "party_status" and _match_bool(text) is True
            why = (f"“{text}”说明已建立党组织，但没有说明是单独建立还是联合建立：请改为 单独建立 或 联合建立"
                   if said_yes else f"请填写 {'、'.join(spec.choices)} 之一")
            row.issues.append(_issue(ctx, row.num, spec.key, text,
                                     f"“{h}”的值“{text}”不在允许范围内：{why}", "error"))
        return value
    return text  # str, and lon/lat (parsed with its partner in _check_coords)


def _check_lengths(ctx: _Ctx, row: _Row, limits: ReadLimits) -> None:
    """Reject over-long cells; keep only their start (messages and the rejected table stay small)."""
    for key, text in row.raw.items():
        if len(text) > MAX_TEXT_CHARS:
            row.issues.append(_issue(
                ctx, row.num, key, preview(text),
                f"“{ctx.header(key)}”有 {len(text):,} 个字符，超过上限 {MAX_TEXT_CHARS:,}：可能误粘贴了整段文字，"
                "请删减后重新导入", "error"))
            row.raw[key] = preview(text)
            row.too_long.add(key)
    for label, text in row.extras.items():
        if len(text) > limits.max_cell_chars:
            row.issues.append(ValidationIssue(
                row.num, label, preview(text),
                f"“{label}”有 {len(text):,} 个字符，超过单元格上限 {limits.max_cell_chars:,}：请删减后重新导入", "error"))
            row.extras[label] = preview(text)


# ---------------------------------------------------------------- row checks
def _check_recommended(ctx: _Ctx, row: _Row, present: set[str]) -> None:
    for key in _RECOMMENDED_KEYS:
        if key not in present or key == _CREDIT_KEY:
            continue
        if row.raw.get(key, "") == "":
            row.issues.append(_issue(
                ctx, row.num, key, "",
                f"“{ctx.header(key)}”为空：已按缺失值保留，{_WHY_RECOMMENDED[key]}：请补填", "warning"))


def _formal_members(ctx: _Ctx, row: _Row) -> None:
    """With 党员人数 and 其中：预备党员, the formal members are the total less the probationary ones."""
    mk, pk, _ = _HEADCOUNT_KEYS
    total, prob = row.values.get(mk), row.values.get(pk)
    if not ctx.members_total or not isinstance(total, int) or not isinstance(prob, int):
        return
    if prob > total:
        row.issues.append(_issue(
            ctx, row.num, pk, row.raw.get(pk, ""),
            f"“{ctx.header(pk)}”（{prob}）多于“{ctx.header(mk)}”（{total}）：预备党员是党员人数的一部分，"
            "请核对", "error"))
        return
    row.values[mk] = total - prob


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
    if not text or ctx.district is None or "town" in row.too_long:
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
    found = process.extract(normalize_text(text), list(names), scorer=fuzz.partial_ratio, limit=limit)
    best = [n for n, score, _ in found if score >= 50]
    rest = [n for n in names if n not in best]
    return (best + rest)[:limit]


def _check_credit(ctx: _Ctx, row: _Row, present: bool) -> None:
    if _CREDIT_KEY not in ctx.schema.keys:
        return
    row.values["_credit_ok"] = False
    if not present or _CREDIT_KEY in row.too_long:
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


# ---------------------------------------------------------------- coordinates
def _parse_coords(ctx: _Ctx, rows: list[_Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """lon, lat (as given), crs and ok of every row; reports missing, unreadable and out-of-range pairs.

    Also returns how many rows have a coordinate pair, and how many of those look swapped.
    """
    n = len(rows)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    crs = np.empty(n, dtype=object)
    ok = np.zeros(n, dtype=bool)
    hlon, hlat = ctx.header("lon"), ctx.header("lat")
    given = swapped_rows = 0
    for i, row in enumerate(rows):
        tx, ty = row.raw.get("lon", ""), row.raw.get("lat", "")
        row.values.update(lon_raw=np.nan, lat_raw=np.nan, lon=np.nan, lat=np.nan)
        crs[i] = row.values.get("crs")
        if (tx == "" and ty == "") or {"lon", "lat"} & row.too_long:
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
        given += 1
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            swapped = -180 <= y <= 180 and -90 <= x <= 90
            swapped_rows += swapped
            hint = "经纬度可能填反：请交换两列的值" if swapped else "请核对数值（经度 -180~180，纬度 -90~90）"
            row.issues.append(_issue(ctx, row.num, "lon", f"{tx},{ty}",
                                     f"坐标（{hlon} {tx}，{hlat} {ty}）超出取值范围：{hint}", "error"))
            continue
        if crs[i] is None:  # an unknown 坐标系 was already reported
            continue
        lon[i], lat[i] = x, y
        ok[i] = True
    return lon, lat, crs, ok, given, swapped_rows


def _wgs84(lon: np.ndarray, lat: np.ndarray, crs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    wlon = np.full(lon.size, np.nan)
    wlat = np.full(lat.size, np.nan)
    for name in CRS_NAMES:
        sel = (crs == name) & np.isfinite(lon) & np.isfinite(lat)
        if sel.any():
            wlon[sel], wlat[sel] = to_wgs84(lon[sel], lat[sel], name)
    return wlon, wlat


def _check_coords(ctx: _Ctx, rows: list[_Row], *, tolerance_m: float) -> list[ValidationIssue]:
    """Parse lon/lat of every row, convert to WGS-84 by the row's 坐标系 and check the district.

    Returns the file-level issue (at most one) when most points miss the district:
    then the boundaries (or the whole ledger's columns) are wrong, not each row.
    """
    keys = ctx.schema.keys
    if "lon" not in keys or "lat" not in keys:
        return []
    lon, lat, crs, ok, given, swapped_rows = _parse_coords(ctx, rows)
    wlon, wlat = _wgs84(lon, lat, crs)
    file_issues: list[ValidationIssue] = []
    where = f"{ctx.header('lon')}、{ctx.header('lat')}"
    if swapped_rows >= 5 and swapped_rows >= 0.8 * given:
        file_issues.append(ValidationIssue(
            0, where, "", f"{given} 个有坐标的单位中 {swapped_rows} 个的纬度超出 ±90°、交换后才合理：台账的经度、纬度两列"
            f"多半整体填反了，请交换“{ctx.header('lon')}”“{ctx.header('lat')}”两列的值（或表头）后重新导入", "error"))
    district = ctx.district
    if district is not None and ok.any():
        inside = np.zeros(len(rows), dtype=bool)
        inside[ok] = district.contains(wlon[ok], wlat[ok], tolerance_m=tolerance_m)
        out = np.flatnonzero(ok & ~inside)
        if out.size:
            slon, slat = _wgs84(lat[out], lon[out], crs[out])
            swapped_in = district.contains(slon, slat, tolerance_m=tolerance_m)
            fit = check_points_fit(district, wlon[ok], wlat[ok], inside=inside[ok],
                                   swapped_inside=int(swapped_in.sum()))
            if fit is not None:
                file_issues.append(ValidationIssue(0, where, "", fit, "error"))
            _report_outside(ctx, rows, out, swapped_in, crs, whole_file=fit is not None)
            ok[out] = False
    for i in np.flatnonzero(ok):
        rows[i].values["lon"] = float(wlon[i])
        rows[i].values["lat"] = float(wlat[i])
    return file_issues


def _report_outside(ctx: _Ctx, rows: list[_Row], out: np.ndarray, swapped_in: np.ndarray, crs: np.ndarray,
                    *, whole_file: bool) -> None:
    assert ctx.district is not None
    hlon, hlat = ctx.header("lon"), ctx.header("lat")
    for j, i in enumerate(out):
        row = rows[i]
        tx, ty = row.raw.get("lon", ""), row.raw.get("lat", "")
        if whole_file:
            hint = "大多数单位都不在范围内，问题多半在边界文件或整列数据：请先按文件级说明（第0行）处理"
        elif swapped_in[j]:
            hint = "经纬度可能填反：请交换经度和纬度两列的值"
        else:
            hint = "请核对经纬度数值和“坐标系”列（WGS84/GCJ02/BD09，高德、腾讯为 GCJ02，百度为 BD09）"
        row.issues.append(_issue(
            ctx, row.num, "lon", f"{tx},{ty}",
            f"坐标（{hlon} {tx}，{hlat} {ty}，{crs[i]}）换算为 WGS-84 后不在{ctx.district.name}范围内：{hint}",
            "error"))


# ---------------------------------------------------------------- ids and duplicates
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


def _check_duplicates(ctx: _Ctx, rows: list[_Row], lay: Layout) -> None:
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


# ---------------------------------------------------------------- frames
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


def _frames(ctx: _Ctx, rows: list[_Row], lay: Layout) -> tuple[pd.DataFrame, pd.DataFrame]:
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


# ---------------------------------------------------------------- the pass over all rows
def _boundary_notes(district: District | None) -> list[str]:
    repaired = district.jurisdictions.attrs.get("repaired") if district is not None else None
    if not repaired:
        return []
    return [f"边界中有 {len(repaired)} 个无效的面（如自相交）已自动修复后再用于校验：{'、'.join(repaired[:10])}；"
            "请在 GIS 软件中核对这些镇街的边界"]


def validate_rows(
    table: RawTable,
    schema: LedgerSchema,
    lay: Layout,
    *,
    district: District | None,
    limits: ReadLimits,
    tolerance_m: float,
) -> tuple[int, pd.DataFrame, pd.DataFrame, list[ValidationIssue]]:
    """Type and check every data row under the header.

    Returns
    -------
    rows_in, accepted, rejected, issues
        Non-blank data rows (``rows_in == len(accepted) + len(rejected)``), the two
        frames (see :class:`~lianxin_geo.ingest.ledger.LedgerResult`) and every
        issue, file-level first, then by row and column.
    """
    ctx = _Ctx(schema, lay.headers, district)
    present = set(lay.col_of)
    rows: list[_Row] = []
    read_issues = [ValidationIssue(num, "", "", reason, "warning")  # above the header: no data row to reject
                   for num, reasons in sorted(table.row_errors.items()) if num <= lay.header_row
                   for reason in reasons]
    for cells, num in zip(table.rows[lay.header_index + 1:], table.rownums[lay.header_index + 1:]):
        raw = {k: cells[j] for k, j in lay.col_of.items()}
        extras = {label: cells[j] for j, label in lay.extras}
        broken = table.row_errors.get(num, [])
        if not broken and not any(raw.values()) and not any(
                v for (j, _), v in zip(lay.extras, extras.values()) if j not in lay.serial):
            continue  # blank (or only a pre-filled 序号): skipped, not counted
        row = _Row(num, raw, {}, extras)
        row.issues.extend(ValidationIssue(num, "", "", reason, "error") for reason in broken)
        _check_lengths(ctx, row, limits)
        for spec in schema.columns:
            row.values[spec.key] = _parse_cell(ctx, spec, raw.get(spec.key, ""), row)
        _check_credit(ctx, row, _CREDIT_KEY in present)
        _check_recommended(ctx, row, present)
        _formal_members(ctx, row)
        _check_headcount(ctx, row)
        _check_joint(ctx, row)
        _check_town(ctx, row)
        rows.append(row)
    coord_issues = _check_coords(ctx, rows, tolerance_m=tolerance_m)
    _check_duplicates(ctx, rows, lay)
    accepted, rejected = _frames(ctx, rows, lay)
    issues = [ValidationIssue(0, "", "", note, "warning") for note in table.notes + _boundary_notes(district)]
    for key, unit in ctx.header_units.items():
        issues.append(ValidationIssue(
            0, ctx.header(key), "", f"“{ctx.header(key)}”按{unit}填写：已换算为{ctx.canonical_units[key]}"
            f"（× {ctx.header_factors[key]:g}）；单元格里写明单位的按其单位换算", "warning", key))
    if ctx.members_total:
        mk, pk, _ = _HEADCOUNT_KEYS
        issues.append(ValidationIssue(
            0, ctx.header(mk), "", f"“{ctx.header(pk)}”是“{ctx.header(mk)}”中的一部分：正式党员数按 "
            f"{ctx.header(mk)} − 预备党员 计算（单独组建党组织看正式党员数），请核对", "warning", mk))
    if ctx.header_crs not in (None, "WGS84") and "lon" in lay.col_of:
        issues.append(ValidationIssue(
            0, ctx.header("lon"), "", f"经纬度列名“{ctx.header('lon')}”“{ctx.header('lat')}”注明了坐标系 "
            f"{ctx.header_crs}：“坐标系”为空的行按 {ctx.header_crs} 换算为 WGS-84", "warning", "lon"))
    issues += read_issues + list(lay.file_issues) + coord_issues
    order = {k: j for k, j in lay.col_of.items()}
    order.update({spec.key: len(lay.col_of) + n for n, spec in enumerate(schema.columns)
                  if spec.key not in order})
    for row in rows:
        issues.extend(sorted(row.issues, key=lambda i: order.get(i.key, -1)))
    return len(rows), accepted, rejected, issues
