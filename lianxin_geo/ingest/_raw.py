"""The raw table every reader produces: rows of text cells with their Excel row numbers.

Shared by the CSV and .xlsx readers; the public names are re-exported by
:mod:`lianxin_geo.ingest.tabular`.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["RawTable", "cell_text"]


def cell_text(value: Any) -> str:
    """Return a cell value as the text a user reads in the cell, stripped.

    Integral floats lose their ``.0`` (Excel stores every number as a float),
    other floats use the shortest round-trip form, dates become ISO dates.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


@dataclass
class RawTable:
    """A sheet or CSV file as rows of text cells.

    Attributes
    ----------
    rows
        Every non-empty row, each a list of stripped cell texts (padded to one width).
    rownums
        The Excel row (or CSV line) number of each row, 1-based.
    source
        A label for messages: the file name, or ``"<DataFrame>"``.
    encoding
        The decoding that worked (CSV only).
    sheet
        The sheet read (xlsx only).
    sheets
        Every sheet of the workbook (xlsx only).
    row_errors
        Problems found while reading, by row number (an unclosed quote that
        swallowed lines): each rejects its row.
    notes
        Problems of the whole file the reader worked around (a merge over
        cells that hold values, a merge far beyond the data): file-level warnings.
    """

    rows: list[list[str]]
    rownums: list[int]
    source: str
    encoding: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    row_errors: dict[int, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def _pad(table: RawTable) -> RawTable:
    width = table.width
    for r in table.rows:
        if len(r) < width:
            r.extend([""] * (width - len(r)))
    return table
