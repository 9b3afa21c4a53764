"""A small, safe .xlsx writer on openpyxl, used by every export.

* Chinese title row, note rows (e.g. the synthetic-data flag), optional grouped
  header row, a bold frozen header row, column widths fitted to the content
  (CJK characters count double), numbers written as numbers.
* Formula-injection guard: every text cell that starts with ``=``, ``+``, ``-``,
  ``@``, tab, CR or LF is written as a *string* cell (``data_type = "s"``) with
  Excel's ``quotePrefix`` style, so neither Excel, WPS nor LibreOffice will ever
  evaluate it; the text itself is kept unchanged (an export → import round trip
  loses nothing). Control characters that the xlsx format forbids are removed.
* The workbook is written under a temporary name and renamed when complete: an
  interrupted export never leaves a truncated file under the final name. Its
  worksheets are serialised in memory (openpyxl would put each one in a file of
  the system's temporary folder, which a killed process leaves behind).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from lianxin_geo.core.files import DANGEROUS_PREFIXES, atomic_path, is_dangerous

__all__ = ["Sheet", "write_workbook", "cell_value", "is_dangerous", "frame_rows", "DANGEROUS_PREFIXES"]

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_GROUP_FILL = PatternFill("solid", fgColor="BDD7EE")
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


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


def _put(ws: Any, row: int, col: int, value: Any) -> Any:
    value = cell_value(value)
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        if is_dangerous(value):
            cell.data_type = "s"  # a string cell, never a formula
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _display_width(value: Any) -> float:
    if value is None:
        return 0
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    first = text.split("\n", 1)[0]
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in first)


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


class _InMemoryWriter(ExcelWriter):
    """openpyxl's workbook writer with every worksheet serialised in memory instead of a temporary file."""

    def write_worksheet(self, ws: Any) -> None:  # mirrors ExcelWriter.write_worksheet (openpyxl 3.1)
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = WorksheetWriter(ws, out=io.BytesIO())
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.read())
        self.manifest.append(ws)


def _save(wb: Workbook, path: Path) -> None:
    wb.properties.modified = _dt.datetime.now(tz=_dt.timezone.utc).replace(tzinfo=None)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        _InMemoryWriter(wb, archive).write_data()


def write_workbook(path: str | os.PathLike[str], sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to an .xlsx file at ``path`` and return the path."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for spec in sheets:
        ws = wb.create_sheet(_sheet_name(spec.name, used))
        ncol = max(1, len(spec.headers))
        r = 1
        if spec.title:
            c = _put(ws, r, 1, spec.title)
            c.font = Font(bold=True, size=14)
            c.alignment = Alignment(horizontal="center", vertical="center")
            if ncol > 1:
                ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncol)
            ws.row_dimensions[r].height = 24
            r += 1
        for note in spec.notes:
            c = _put(ws, r, 1, note)
            c.font = Font(italic=True, color="C00000" if "演示" in str(note) else "555555")
            c.alignment = Alignment(wrap_text=False)
            r += 1
        if spec.header_groups:
            col = 1
            for label, span in spec.header_groups:
                c = _put(ws, r, col, label)
                c.font = Font(bold=True)
                c.fill = _GROUP_FILL
                c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
                c.border = _BORDER
                if span > 1:
                    ws.merge_cells(start_row=r, start_column=col, end_row=r, end_column=col + span - 1)
                col += span
            r += 1
        header_row = r
        for j, h in enumerate(spec.headers, start=1):
            c = _put(ws, r, j, h)
            c.font = Font(bold=True)
            c.fill = _HEADER_FILL
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            c.border = _BORDER
        widths = [_display_width(h) for h in spec.headers] or [8.0]
        r += 1
        for row in spec.rows:
            for j, v in enumerate(row, start=1):
                c = _put(ws, r, j, v)
                fmt = spec.number_formats.get(j - 1)
                if fmt and isinstance(c.value, (int, float)):
                    c.number_format = fmt
                if j <= len(widths):
                    widths[j - 1] = max(widths[j - 1], _display_width(c.value))
            r += 1
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        final = list(spec.widths) if spec.widths is not None else [min(50.0, max(6.0, w + 2)) for w in widths]
        for j, w in enumerate(final, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w
    if not wb.worksheets:
        wb.create_sheet("空")
    out = Path(path)
    with atomic_path(out) as tmp:
        _save(wb, tmp)
    return out
