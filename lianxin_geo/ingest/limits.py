"""Read limits: how big a ledger file may be before it is refused, in one place.

A ledger is a table of a few thousand rows and a few dozen columns. A hostile or
broken file can declare far more: one cell at ``XFD1048576``, a merge over a
whole sheet, a million empty styled rows, a 50 MB cell. Every such file is
checked against :class:`ReadLimits` *before* it is loaded, and refused with a
Chinese message that names the file, what is too big and how to fix it.

The defaults are documented in ``docs/ledger.md``. They can be raised for one
call (``read_ledger(..., limits=ReadLimits(max_rows=500_000))``) or for the
whole process with environment variables (``LIANXIN_MAX_ROWS=500000``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from lianxin_geo.core.errors import LedgerError

__all__ = ["ReadLimits", "ENV_VARS", "resolve_limits"]

#: Environment variable of each limit.
ENV_VARS: dict[str, str] = {
    "max_rows": "LIANXIN_MAX_ROWS",
    "max_columns": "LIANXIN_MAX_COLUMNS",
    "max_cells": "LIANXIN_MAX_CELLS",
    "max_cell_chars": "LIANXIN_MAX_CELL_CHARS",
    "max_bytes": "LIANXIN_MAX_BYTES",
}


@dataclass(frozen=True)
class ReadLimits:
    """Upper bounds a ledger file must stay within (above them it is refused before loading).

    Attributes
    ----------
    max_rows
        Rows of the data area of a sheet (up to the last row with content) or
        records of a CSV file. Default 200,000 (``LIANXIN_MAX_ROWS``).
    max_columns
        Columns of the data area (up to the last column with content). Default
        500 (``LIANXIN_MAX_COLUMNS``); the standard template has 31.
    max_cells
        Rows × columns of the data area, and the cells merged ranges may fill.
        Default 10,000,000 (``LIANXIN_MAX_CELLS``).
    max_cell_chars
        Characters in one cell; a longer cell rejects its row (the file is still
        read). Default 32,767, Excel's own limit (``LIANXIN_MAX_CELL_CHARS``).
        Name and address columns have a tighter limit,
        :data:`lianxin_geo.core.model.MAX_TEXT_CHARS`.
    max_bytes
        Size of a CSV file, or the sum of the uncompressed sizes of the parts of
        an .xlsx package. Default 200,000,000 (``LIANXIN_MAX_BYTES``).
    """

    max_rows: int = 200_000
    max_columns: int = 500
    max_cells: int = 10_000_000
    max_cell_chars: int = 32_767
    max_bytes: int = 200_000_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LedgerError(f"读取上限 {f.name} 应为正整数，实际为 {value!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "ReadLimits":
        """The defaults, with every limit set in the environment (``LIANXIN_MAX_ROWS`` …) applied.

        Raises
        ------
        LedgerError
            When a variable is not a positive whole number.
        """
        env = os.environ if environ is None else environ
        changes: dict[str, int] = {}
        for name, var in ENV_VARS.items():
            text = env.get(var, "").strip().replace("_", "").replace(",", "")
            if not text:
                continue
            if not text.isdigit() or int(text) < 1:
                raise LedgerError(f"环境变量 {var} 应为正整数（如 {getattr(cls(), name)}），实际为“{env[var]}”：请改正或删除它")
            changes[name] = int(text)
        return replace(cls(), **changes)

    def hint(self, name: str) -> str:
        """How to raise one limit, for messages."""
        return f"如确需读取更大的表，可设置环境变量 {ENV_VARS[name]}（当前上限 {getattr(self, name):,}）"


def resolve_limits(limits: ReadLimits | None) -> ReadLimits:
    """``limits`` as given, else the defaults with the environment applied."""
    return limits if limits is not None else ReadLimits.from_env()
