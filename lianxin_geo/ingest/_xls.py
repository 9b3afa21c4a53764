"""Excel 97-2003 workbooks (``.xls``) read by python-calamine, in a child process.

Offices still keep ledgers in the old format. A damaged ``.xls`` can make python-calamine panic or ask for more
memory than the machine has (found by damaging files byte by byte: the out-of-memory killer ended the whole
process). So the file is read by a small child Python (``python -I -c``: it imports python-calamine only) with a
cap on its address space and a time limit; whatever happens there, this process gets the cells or a Chinese
:class:`~lianxin_geo.core.errors.LedgerError` that says to save the file as ``.xlsx``.

The sheet is chosen as for ``.xlsx`` (preferred names, else the first), checked against the reading limits from
its declared extent before its cells are taken, read as text cells (:func:`lianxin_geo.ingest._raw.cell_text`,
as the other readers do), and its merged ranges are filled as in ``.xlsx``
(:func:`lianxin_geo.ingest._xlsx._apply_merges`: a merged 所属镇街 down several rows gives every row its town).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lianxin_geo.core.errors import LedgerError
from lianxin_geo.ingest._raw import RawTable, cell_text
from lianxin_geo.ingest._xlsx import SheetScan, _apply_merges, _check_area, _choose_sheet, column_letter
from lianxin_geo.ingest.limits import ReadLimits

__all__ = ["read_xls", "xls_error"]

#: Address space of the reading child: this much plus 30 times the file.
CHILD_MEMORY_BYTES = 1_500_000_000
#: Seconds the reading child may take.
CHILD_TIMEOUT_S = 120.0

# The child: reads stdin, writes one JSON document. It imports nothing of this package (so nothing heavy).
_CHILD = r"""
import datetime, io, json, resource, sys
cap = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
req = json.loads(sys.argv[2])
import python_calamine
book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(sys.stdin.buffer.read()))
names = [str(n) for n in book.sheet_names]
out = {"names": names}
want = req["sheet"]
if want is None:
    chosen = next((s for s in req["preferred"] if s in names), names[0] if names else None)
elif isinstance(want, int):
    chosen = names[want] if 0 <= want < len(names) else None
else:
    chosen = want if want in names else None
if chosen is not None:
    ws = book.get_sheet_by_name(chosen)
    end = ws.end
    h, w = (end[0] + 1, end[1] + 1) if end else (0, 0)
    out.update(chosen=chosen, height=h, width=w, merges=[[a, b, c, d] for (a, b), (c, d) in ws.merged_cell_ranges or []])
    if h <= req["max_rows"] and w <= req["max_columns"] and h * w <= req["max_cells"] and h:
        def cell(v):
            if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
                return {"t": type(v).__name__, "v": v.isoformat()}
            if isinstance(v, datetime.timedelta):
                return {"t": "timedelta", "v": v.total_seconds()}
            return v
        out["rows"] = [[cell(v) for v in row] for row in ws.to_python(skip_empty_area=False)]
book.close()
sys.stdout.write(json.dumps(out, ensure_ascii=False))
"""

_TYPES = {"datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat, "time": dt.time.fromisoformat,
          "timedelta": lambda s: dt.timedelta(seconds=s)}


def xls_error(source: str, detail: str = "") -> LedgerError:
    """The error of an ``.xls`` file that cannot be read: what to do about it."""
    why = f"（{detail}）" if detail else ""
    return LedgerError(
        f"无法读取 Excel 97-2003 文件“{source}”{why}：文件可能已加密或损坏；请在 Excel/WPS 中“另存为” .xlsx"
        "（Excel 工作簿）或 CSV 后重新导入 / cannot read this .xls: save it as .xlsx"
    )


def _value(v: Any) -> Any:
    if isinstance(v, dict) and v.get("t") in _TYPES:
        return _TYPES[v["t"]](v["v"])
    return v


def _read_in_child(data: bytes, source: str, sheet: str | int | None, preferred: Sequence[str],
                   limits: ReadLimits) -> dict[str, Any]:
    request = {"sheet": sheet, "preferred": list(preferred), "max_rows": limits.max_rows,
               "max_columns": limits.max_columns, "max_cells": limits.max_cells}
    cap = CHILD_MEMORY_BYTES + 30 * len(data)
    try:
        proc = subprocess.run([sys.executable, "-I", "-c", _CHILD, str(cap), json.dumps(request)], input=data,
                              capture_output=True, timeout=CHILD_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise xls_error(source, f"读取超过 {CHILD_TIMEOUT_S:g} 秒") from exc
    except OSError as exc:
        raise xls_error(source, f"无法启动读取进程：{exc}") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"退出码 {proc.returncode}"]
        detail = "内存不足" if b"MemoryError" in proc.stderr or proc.returncode in (-9, 137) else tail[0][:120]
        raise xls_error(source, detail)
    try:
        return json.loads(proc.stdout.decode("utf-8"))
    except ValueError as exc:
        raise xls_error(source, "读取结果无法解析") from exc


def read_xls(data: bytes | str | os.PathLike, source: str, sheet: str | int | None,
             preferred_sheets: Sequence[str], limits: ReadLimits) -> RawTable:
    """Read one worksheet of an ``.xls`` workbook into a :class:`RawTable` within ``limits``."""
    raw = data if isinstance(data, bytes) else Path(data).read_bytes()
    doc = _read_in_child(raw, source, sheet, preferred_sheets, limits)
    names = [str(n) for n in doc.get("names", [])]
    chosen = _choose_sheet(names, sheet, preferred_sheets, source)  # the Chinese error when there is none
    height, width = int(doc.get("height", 0)), int(doc.get("width", 0))
    merges = doc.get("merges", [])
    kept = merges[: limits.max_rows]
    scan = SheetScan(last_row=height, last_col=width, last_row_cell=f"A{height}",
                     last_col_cell=f"{column_letter(max(width, 1))}1", dimension=f"A1:{column_letter(max(width, 1))}{height}",
                     merges=[(a + 1, b + 1, c + 1, d + 1) for a, b, c, d in kept], merges_dropped=len(merges) - len(kept))
    _check_area(scan, chosen, source, limits)  # the same limits and messages as .xlsx
    grid: dict[int, list[str]] = {}
    for r, row in enumerate(doc.get("rows", []), start=1):
        texts = [cell_text(_value(v)) for v in row][:width]
        if any(texts):
            grid[r] = texts + [""] * (width - len(texts))
    notes = _apply_merges(grid, scan, limits) if grid else []
    nums = sorted(r for r, cells in grid.items() if any(cells))
    table = RawTable([grid[r] for r in nums], nums, source, sheet=chosen, sheets=names)
    table.notes.extend(f"工作表“{chosen}”：{n}" for n in notes)
    return table
