"""A small, safe, fast .xlsx writer (XlsxWriter, streaming rows), used by every export.

* Chinese title row, note rows (e.g. the synthetic-data flag), optional grouped
  header row, a bold frozen header row, column widths fitted to the content
  (CJK characters count double), numbers written as numbers.
* Formula-injection guard: every text is written as a *string* cell (the workbook
  never converts strings to formulas, numbers or links), and text that starts with
  ``=``, ``+``, ``-``, ``@``, tab, CR or LF also gets Excel's quote prefix, so neither
  Excel, WPS nor LibreOffice will ever evaluate it; the text itself is kept unchanged
  (an export → import round trip loses nothing). Control characters that the xlsx
  format forbids are removed, and a carriage return is written as a line feed.
* The workbook is built in memory (XlsxWriter's ``in_memory``: no file in the system's
  temporary folder) and written under a temporary name, then renamed: an interrupted
  export never leaves a truncated file under the final name.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from lianxin_geo.core.files import DANGEROUS_PREFIXES, atomic_path, is_dangerous

__all__ = ["Sheet", "write_workbook", "workbook_bytes", "cell_value", "is_dangerous", "frame_rows", "DANGEROUS_PREFIXES"]

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
#: Control characters the xlsx format forbids in a cell (openpyxl's ``ILLEGAL_CHARACTERS_RE``, without importing
#: openpyxl for it: ``run`` reads and writes workbooks without openpyxl).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


@dataclass
class Sheet:
    """One worksheet.

    Parameters
    ----------
    name
        Sheet name (cleaned to Excel's rules: ≤ 31 characters, no ``[]:*?/\\``).
    headers
        Column headers (one row, bold, frozen).
    rows
        The data rows, each a sequence as long as ``headers``.
    title
        Title row above everything (merged across the columns).
    notes
        Lines under the title (data source, synthetic-data flag, formulas).
    header_groups
        Optional grouped header row above ``headers``: ``(label, span)`` pairs
        whose spans add up to the number of columns.
    widths
        Column widths; default fitted to the content.
    number_formats
        Column index -> Excel number format, e.g. ``{5: "0.0%"}``.
    """

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    title: str | None = None
    notes: Sequence[str] = ()
    header_groups: Sequence[tuple[str, int]] | None = None
    widths: Sequence[float] | None = None
    number_formats: Mapping[int, str] = field(default_factory=dict)


def cell_value(value: Any) -> Any:
    """Convert a Python/numpy/pandas value into what a cell should hold.

    ``None``/NaN/NA -> empty, bools -> 是/否, numpy numbers -> Python numbers,
    lists -> text joined with 、, everything else -> text.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "是" if bool(value) else "否"
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (int,)):
        return value
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return "、".join(str(v) for v in value if cell_value(v) is not None)
    return str(value)


#: Characters counted double in a column's width (CJK and everything after it).
_WIDE = re.compile("[^\u0000-\u2e7f]")
#: Column widths are ``min(50, max(6, w + 2))``: a text at least this wide already gets the widest column, so
#: only this many characters of a cell are measured and a column that reached it is not measured any more.
_WIDTH_CAP = 48
_MAX_WIDTH = 50.0


def _display_width(value: Any) -> float:
    """Width of a cell's first line (CJK characters count double), measured up to :data:`_WIDTH_CAP`."""
    if value is None:
        return 0
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    first = text.split("\n", 1)[0][:_WIDTH_CAP] if "\n" in text else text[:_WIDTH_CAP]
    return len(first) if first.isascii() else len(first) + len(_WIDE.findall(first))


def frame_rows(df: pd.DataFrame, columns: Sequence[str] | None = None) -> list[list[Any]]:
    """Rows of a DataFrame as lists of plain Python values (NaN/NA -> None)."""
    cols = list(columns) if columns is not None else list(df.columns)
    out: list[list[Any]] = []
    for rec in df[cols].itertuples(index=False, name=None):
        out.append([cell_value(v) for v in rec])
    return out


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31] or "Sheet"
    candidate, i = base, 2
    while candidate.lower() in used:
        suffix = f"({i})"
        candidate = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(candidate.lower())
    return candidate


_BASE = {"font_name": "等线", "font_size": 11}
_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"},
    "note": {"italic": True, "font_color": "#555555"},
    "note_demo": {"italic": True, "font_color": "#C00000"},
    "group": {"bold": True, "bg_color": "#BDD7EE", "align": "center", "valign": "vcenter", "text_wrap": True,
              "border": 1, "border_color": "#999999"},
    "header": {"bold": True, "bg_color": "#DDEBF7", "align": "center", "valign": "vcenter", "text_wrap": True,
               "border": 1, "border_color": "#999999"},
}


class _Formats:
    """XlsxWriter formats of one workbook, made once each (a text cell that looks like a formula gets the
    ``quote_prefix`` variant of its style)."""

    def __init__(self, book: Any) -> None:
        self._book = book
        self._made: dict[tuple[str, str | None, bool], Any] = {}

    def get(self, style: str = "", number_format: str | None = None, quote: bool = False) -> Any:
        key = (style, number_format, quote)
        if key not in self._made:
            props = dict(_BASE, **_STYLES.get(style, {}))
            if number_format:
                props["num_format"] = number_format
            if quote:
                props["quote_prefix"] = True
            self._made[key] = self._book.add_format(props)
        return self._made[key]


def _text(value: str) -> str:
    """Cell text: characters the format forbids removed; a carriage return becomes a line feed (both are a line
    break in a cell, and a CR would be stored as the escape ``_x000D_``, which not every reader decodes)."""
    if value.isprintable():  # no control character at all (the usual case): nothing to remove
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")


def _put(ws: Any, fmts: _Formats, row: int, col: int, value: Any, style: str = "",
         number_format: str | None = None) -> Any:
    """Write one cell (0-based row/column) and return the value written.

    Text is always written as a string cell (never parsed as a formula, a number or a URL); text that a
    spreadsheet would run as a formula also carries Excel's quote prefix, so a later edit cannot turn it into
    one either. Characters the xlsx format forbids are removed.
    """
    value = cell_value(value)
    if value is None:
        if style:
            ws.write_blank(row, col, None, fmts.get(style))
        return None
    if isinstance(value, str):
        value = _text(value)
        ws.write_string(row, col, value, fmts.get(style, None, is_dangerous(value)))
    elif isinstance(value, (_dt.datetime, _dt.date)):
        ws.write_datetime(row, col, value if isinstance(value, _dt.datetime) else
                          _dt.datetime.combine(value, _dt.time()), fmts.get(style, number_format or "yyyy-mm-dd"))
    else:
        ws.write_number(row, col, value, fmts.get(style, number_format))
    return value


def _write_rows(ws: Any, fmts: _Formats, r: int, rows: Iterable[Sequence[Any]], formats: Mapping[int, str],
                widths: list[float], *, measure: bool) -> None:
    """Write the data rows from row ``r`` (0-based) on, widening ``widths`` to the content when ``measure``.

    Exactly what :func:`_put` writes, cell by cell in the same order; plain text (the most common cell) takes a
    short path, and a column already at the widest width is not measured again.
    """
    nw = len(widths)
    todo = [measure and w < _WIDTH_CAP for w in widths]
    write_string = ws.write_string
    for row in rows:
        for j, v in enumerate(row):
            if type(v) is str:
                written: Any = _text(v)
                write_string(r, j, written, fmts.get("", None, is_dangerous(written)))
            else:
                written = _put(ws, fmts, r, j, v, "", formats.get(j))
            if j < nw and todo[j]:
                w = _display_width(written)
                if w > widths[j]:
                    widths[j] = w
                    todo[j] = w < _WIDTH_CAP
        r += 1


def _write_sheet(book: Any, fmts: _Formats, name: str, spec: Sheet) -> None:
    ws = book.add_worksheet(name)
    ncol = max(1, len(spec.headers))
    r = 0
    if spec.title:
        if ncol > 1:
            title = _text(str(spec.title))
            ws.merge_range(r, 0, r, ncol - 1, title, fmts.get("title", None, is_dangerous(title)))
        else:
            _put(ws, fmts, r, 0, spec.title, "title")
        ws.set_row(r, 24)
        r += 1
    for note in spec.notes:
        _put(ws, fmts, r, 0, note, "note_demo" if "演示" in str(note) else "note")
        r += 1
    if spec.header_groups:
        col = 0
        for label, span in spec.header_groups:
            if span > 1:
                text = _text(str(label))
                ws.merge_range(r, col, r, col + span - 1, text, fmts.get("group", None, is_dangerous(text)))
            else:
                _put(ws, fmts, r, col, label, "group")
            col += span
        r += 1
    header_row = r
    for j, h in enumerate(spec.headers):
        _put(ws, fmts, r, j, h, "header")
    widths = [_display_width(h) for h in spec.headers] or [8.0]
    _write_rows(ws, fmts, r + 1, spec.rows, dict(spec.number_formats), widths, measure=spec.widths is None)
    ws.freeze_panes(header_row + 1, 0)
    final = list(spec.widths) if spec.widths is not None else [min(_MAX_WIDTH, max(6.0, w + 2)) for w in widths]
    for j, w in enumerate(final):
        ws.set_column(j, j, w)


def _save(sheets: Sequence[Sheet], stream: Any) -> None:
    """Serialise the workbook into ``stream`` entirely in memory (no temporary file or folder)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(stream, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False, "nan_inf_to_errors": False})
    book.set_properties({"created": _dt.datetime.now(tz=_dt.timezone.utc).replace(tzinfo=None)})
    fmts = _Formats(book)
    used: set[str] = set()
    for spec in sheets:
        _write_sheet(book, fmts, _sheet_name(spec.name, used), spec)
    if not sheets:
        book.add_worksheet("空")
    book.close()


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """``sheets`` as the bytes of an .xlsx file, built in memory (for a download button)."""
    buf = io.BytesIO()
    _save(list(sheets), buf)
    return buf.getvalue()


def write_workbook(path: str | os.PathLike[str], sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to an .xlsx file at ``path`` and return the path.

    The workbook is built in memory with XlsxWriter (fast, streaming rows) and written under a temporary
    name, then renamed: an interrupted export never leaves a truncated file under ``path``.
    """
    out = Path(path)
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as fh:
            _save(list(sheets), fh)
    return out
