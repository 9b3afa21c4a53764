"""Read ledgers (台账): file -> raw table -> typed, checked rows; nothing is silently dropped.

A ledger file (``.xlsx`` or ``.csv`` from Chinese Excel/WPS, or a DataFrame) is
read into raw text cells (:mod:`lianxin_geo.ingest.tabular`, within the size
limits of :class:`~lianxin_geo.ingest.limits.ReadLimits`), its header row is
found by the schema's headers and aliases (:data:`lianxin_geo.core.model.SCHEMAS`),
and every row is typed and checked (:mod:`lianxin_geo.ingest.validate`). All
problems are collected first and reported once: each row is either accepted
(possibly with warnings) or rejected with its reasons, so
``rows_in == n_accepted + n_rejected`` always holds.

The rules are documented in ``docs/ledger.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lianxin_geo.core.district import District
from lianxin_geo.core.errors import LedgerError
from lianxin_geo.core.model import SCHEMAS, LedgerSchema
from lianxin_geo.ingest._xlsx import column_letter
from lianxin_geo.ingest.limits import ReadLimits, resolve_limits
from lianxin_geo.ingest.tabular import (
    RawTable,
    find_header_row,
    header_lookup,
    match_headers,
    normalize_header,
    read_table,
)
from lianxin_geo.ingest.template import SHEET_NAMES
from lianxin_geo.ingest.validate import (
    _RECOMMENDED_KEYS,
    _WHY_RECOMMENDED,
    Layout,
    ValidationIssue,
    derive_id,
    validate_rows,
)
from lianxin_geo.ingest import vocabulary as _vocabulary
from lianxin_geo.ingest.vocabulary import *  # noqa: F403 - the word tables are part of this module's API

__all__ = [
    "ValidationIssue",
    "LedgerResult",
    "read_ledger",
    "read_frame",
    "detect_kind",
    "derive_id",
    *_vocabulary.__all__,
]


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


# ---------------------------------------------------------------- reading
def _schema(kind: str) -> LedgerSchema:
    if kind not in SCHEMAS:
        raise LedgerError(f"未知台账类别“{kind}”：请使用 {'、'.join(SCHEMAS)} 之一")
    return SCHEMAS[kind]


def _lookup(schema: LedgerSchema) -> dict[str, str]:
    return header_lookup((c.key, c.header, c.aliases) for c in schema.columns)


def _preferred_sheets(kind: str) -> tuple[str, ...]:
    return (SHEET_NAMES[kind],) if kind in SHEET_NAMES else ()


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


def _table(source: Any, kind: str | None, sheet: str | int | None, filename: str | None,
           limits: ReadLimits | None) -> RawTable:
    prefer = _preferred_sheets(kind) if kind else ()
    return read_table(source, sheet=sheet, filename=filename, preferred_sheets=prefer, limits=limits)


def detect_kind(
    source: str | os.PathLike | bytes | pd.DataFrame,
    *,
    sheet: str | int | None = None,
    filename: str | None = None,
    max_header_scan: int = 20,
    limits: ReadLimits | None = None,
) -> str:
    """Guess the ledger kind (``orgs``/``buildings``/``parks``/``centers``) from the headers.

    The kind whose anchor columns are found and that matches the most of its own
    (not shared) columns wins; ties are broken by the number of canonical headers.

    Raises
    ------
    LedgerError
        When no kind fits, or two fit equally well, or the file cannot be read
        within ``limits`` (see :func:`read_ledger`).
    """
    return _kind_of(_table(source, None, sheet, filename, limits), max_header_scan)


def _layout(table: RawTable, schema: LedgerSchema, max_scan: int) -> Layout:
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
        label = text or f"列{column_letter(j + 1)}"
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
    return Layout(h, hrow, col_of, headers, extras, serial, issues)


def read_frame(
    source: str | os.PathLike | bytes | pd.DataFrame,
    kind: str = "orgs",
    *,
    sheet: str | int | None = None,
    filename: str | None = None,
    max_header_scan: int = 20,
    limits: ReadLimits | None = None,
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
    table = _table(source, kind, sheet, filename, limits)
    lay = _layout(table, schema, max_header_scan)
    cells = table.rows[lay.header_index]
    used = sorted(set(lay.col_of.values()) | {j for j, _ in lay.extras})
    labels = [cells[j] or f"列{column_letter(j + 1)}" for j in used]
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
    kind: str | None = "orgs",
    *,
    district: District | None = None,
    sheet: str | int | None = None,
    filename: str | None = None,
    max_header_scan: int = 20,
    outside_tolerance_m: float = 50.0,
    limits: ReadLimits | None = None,
) -> LedgerResult:
    """Read and validate a ledger; every data row ends up accepted or rejected, with reasons.

    Parameters
    ----------
    source
        Path to a .xlsx/.xls/.csv file, its bytes (give ``filename`` for messages), a
        binary file object (an upload) or a DataFrame whose columns are headers.
    kind
        ``orgs`` (两新组织), ``buildings`` (商务楼宇), ``parks`` (园区) or
        ``centers`` (党群活动服务中心); ``None`` detects it from the headers as
        :func:`detect_kind` does, reading the file once.
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
    limits
        How big the file may be (rows, columns, cells, cell length, bytes); the
        default is :meth:`ReadLimits.from_env` (documented defaults, raised by
        ``LIANXIN_MAX_ROWS`` and the like).

    Returns
    -------
    LedgerResult

    Raises
    ------
    LedgerError
        When the file cannot be read at all: unknown format, undecodable text, no
        header row, a required column missing (nothing could be accepted), or a
        file above ``limits`` (refused before it is loaded).
    """
    lim = resolve_limits(limits)
    if kind is None:
        table = _table(source, None, sheet, filename, lim)
        kind = _kind_of(table, max_header_scan)
        prefer = _preferred_sheets(kind)
        if sheet is None and prefer and table.sheet not in (None, prefer[0]) and prefer[0] in table.sheets:
            table = _table(source, kind, sheet, filename, lim)  # the template's sheet of that kind
        schema = _schema(kind)
    else:
        schema = _schema(kind)
        table = _table(source, kind, sheet, filename, lim)
    lay = _layout(table, schema, max_header_scan)
    rows_in, accepted, rejected, issues = validate_rows(table, schema, lay, district=district, limits=lim,
                                                        tolerance_m=outside_tolerance_m)
    return LedgerResult(
        kind=kind, source=table.source, rows_in=rows_in, accepted=accepted, rejected=rejected,
        issues=issues, header_row=lay.header_row, encoding=table.encoding, sheet=table.sheet,
        column_map={k: lay.headers[k] for k in lay.col_of},
    )


