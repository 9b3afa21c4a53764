"""Excel workbooks (.xlsx): checked against the read limits before loading, then read as a stream.

A 2 KB workbook can declare a cell at ``XFD1048576``, a merge over 17 billion
cells or a million empty styled rows; loading it the ordinary way takes minutes
and gigabytes. So before anything is loaded:

1. the zip package's uncompressed size is checked (the zip reader never inflates
   a part beyond its declared size);
2. the chosen sheet's XML is scanned as a byte stream for the cells that hold a
   value, giving the real data area (up to the last row and column with
   content), and for its merged ranges;
3. a data area above :class:`~lianxin_geo.ingest.limits.ReadLimits` is refused.

Then the cells are read, only up to the last row and column with content
(trailing styled rows cost nothing), and merges are applied inside the data area
only. Two readers give the same texts:

* python-calamine (Rust; the 5,000-org ledgers load 2–3× faster) when it is installed and the
  sheet is plain: values only, no formula, no error or ISO-date cell, no
  ``_xHHHH_`` escape, no integer beyond 2**53 (a float in calamine), the sheet
  part found through the workbook's relationships;
* otherwise openpyxl in streaming mode (``read_only=True``), which also keeps the
  text of a formula without a cached value and names the damage of a broken file.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree import ElementTree

import numpy as np

from lianxin_geo.core.errors import LedgerError
from lianxin_geo.ingest._raw import RawTable, cell_text
from lianxin_geo.ingest.limits import ReadLimits

__all__ = ["SheetScan", "column_letter", "estimate_xlsx_rows", "read_xlsx", "scan_sheet"]

_ROW_R = re.compile(rb"""\br\s*=\s*["'](\d+)["']""")
_CELL_R = re.compile(rb"""\br\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d+)["']""")
_REF = re.compile(rb"""\bref\s*=\s*["']([^"']*)["']""")
_RANGE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?")
_TYPE = re.compile(rb"""\bt\s*=\s*["']([a-zA-Z]+)["']""")
#: An ``_xHHHH_`` escape: calamine decodes it, openpyxl keeps it as written (the openpyxl reader decides).
_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")
_CHUNK = 1 << 22
_MB = 1_000_000
#: Integers from here on are floats in calamine and lose digits; openpyxl keeps them exact.
_EXACT_FLOAT = float(2**53)


def column_letter(idx: int) -> str:
    """``1 -> "A"``, ``16384 -> "XFD"`` (1-based)."""
    s = ""
    while idx:
        idx, r = divmod(idx - 1, 26)
        s = chr(65 + r) + s
    return s


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


@dataclass
class SheetScan:
    """What the sheet's XML declares and holds, found without loading it.

    Attributes
    ----------
    last_row, last_col
        The last row and column (1-based) of a cell with a value or a formula.
    last_row_cell, last_col_cell
        A cell on that row / in that column, for messages.
    cells
        Cells with a value or a formula.
    formulas
        Cells with a formula.
    dimension
        The ``<dimension ref=…>`` the file declares (may be far larger than the data).
    merges
        Merged ranges ``(min_row, min_col, max_row, max_col)``; at most ``max_rows`` kept.
    merges_dropped
        Merged ranges beyond that many.
    odd_cells
        Cells of a type the fast reader does not read like openpyxl (``t="e"`` errors, ``t="d"`` ISO dates).
    open_row, open_col
        The last row and column of any cell written with content tags (``<c …>…</c>``, even ``<is/>``
        without text): the fast reader is used only when they stay inside the data area.
    """

    last_row: int = 0
    last_col: int = 0
    last_row_cell: str = ""
    last_col_cell: str = ""
    cells: int = 0
    formulas: int = 0
    dimension: str = ""
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    merges_dropped: int = 0
    odd_cells: int = 0
    open_row: int = 0
    open_col: int = 0


#: Tags of a cell with content (``<c …>`` not self-closing, then ``<v>``/``<is>``/``<f>``), merges and the
#: declared dimension. Rows and empty styled cells (``<c r="A9" s="1"/>``) do not match, so a million
#: trailing styled rows cost one pass of the regular expression and no Python work.
_FAST = re.compile(
    rb"<(?:[A-Za-z_][\w.\-]*:)?(?:(c)(?=[\s>])([^>]*?)(?<!/)>|(v|is|f|mergeCell|dimension)(?=[\s/>])([^>]*)>)")
#: Every tag the full scan needs (cells without an ``r`` attribute are placed by counting rows and cells).
_FULL = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c|v|is|f|mergeCell|dimension)(?=[\s/>])([^>]*)>")


class _NoRefs(Exception):
    """A cell without an ``r`` attribute: the fast scan cannot place it."""


def _tokens(stream: IO[bytes], pattern: re.Pattern[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """``(tag, attributes)`` of the elements ``pattern`` finds, read in chunks (a tag never spans a cut)."""
    buf = b""
    while True:
        chunk = stream.read(_CHUNK)
        buf += chunk
        if chunk:
            cut = buf.rfind(b"<")
            if cut <= 0:
                continue
            work, buf = buf[:cut], buf[cut:]
        else:
            work, buf = buf, b""
        for m in pattern.finditer(work):
            if m.group(1) is not None:
                yield m.group(1), m.group(2)
            elif pattern is _FAST:
                yield m.group(3), m.group(4)
        if not chunk:
            return


def _parse_range(text: str) -> tuple[int, int, int, int] | None:
    m = _RANGE.fullmatch(text.strip())
    if not m or not m.group(3):
        return None
    c1, r1, c2, r2 = _column_index(m.group(1)), int(m.group(2)), _column_index(m.group(3)), int(m.group(4))
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _scan(stream: IO[bytes], max_merges: int, *, full: bool) -> SheetScan:
    s = SheetScan()
    row = col = 0
    cell: tuple[int, int] | None = None
    letters: dict[bytes, int] = {}
    for tag, attrs in _tokens(stream, _FULL if full else _FAST):
        if tag == b"c":
            m = _CELL_R.search(attrs)
            if m:
                key = m.group(1)
                col = letters.get(key) or letters.setdefault(key, _column_index(key.decode("ascii")))
                row = int(m.group(2))
            elif not full:
                raise _NoRefs
            else:
                col += 1
            cell = None if attrs.endswith(b"/") else (row, col)
            if cell is not None:
                s.open_row, s.open_col = max(s.open_row, row), max(s.open_col, col)
            if b"t" in attrs:
                kind = _TYPE.search(attrs)
                if kind is not None and kind.group(1) in (b"e", b"d"):
                    s.odd_cells += 1
        elif tag == b"row":
            m = _ROW_R.search(attrs)
            row = int(m.group(1)) if m else row + 1
            col = 0
            cell = None
        elif tag in (b"v", b"is", b"f"):
            if tag == b"f":
                s.formulas += 1
            elif attrs.endswith(b"/"):
                continue
            if cell is None:
                continue
            r, c = cell
            cell = None
            s.cells += 1
            if r > s.last_row:
                s.last_row, s.last_row_cell = r, f"{column_letter(c)}{r}"
            if c > s.last_col:
                s.last_col, s.last_col_cell = c, f"{column_letter(c)}{r}"
        elif tag == b"mergeCell":
            m = _REF.search(attrs)
            rng = _parse_range(m.group(1).decode("ascii", "replace")) if m else None
            if rng is None:
                continue
            if len(s.merges) < max_merges:
                s.merges.append(rng)
            else:
                s.merges_dropped += 1
        elif tag == b"dimension":
            m = _REF.search(attrs)
            s.dimension = m.group(1).decode("ascii", "replace") if m else ""
    return s


def scan_sheet(open_part: Callable[[], IO[bytes]], *, max_merges: int) -> SheetScan:
    """Scan a worksheet part (``xl/worksheets/sheetN.xml``) as a byte stream; memory stays flat.

    ``open_part`` opens the part (it is opened a second time, for a slower
    complete scan, when a cell has no ``r`` reference).
    """
    try:
        with open_part() as stream:
            return _scan(stream, max_merges, full=False)
    except _NoRefs:
        with open_part() as stream:
            return _scan(stream, max_merges, full=True)


# ---------------------------------------------------------------- checks
def _check_package(zf: zipfile.ZipFile, source: str, limits: ReadLimits) -> None:
    total = sum(max(i.file_size, 0) for i in zf.infolist())
    if total > limits.max_bytes:
        raise LedgerError(
            f"Excel 文件“{source}”解压后有 {total / _MB:,.0f} MB，超过上限 {limits.max_bytes / _MB:,.0f} MB："
            "正常台账解压后一般只有几 MB，文件可能已损坏或是特意构造的压缩包。请在 Excel/WPS 中打开后另存为新的 .xlsx，"
            f"或拆分后分别导入；{limits.hint('max_bytes')}"
        )


def _check_area(scan: SheetScan, sheet: str, source: str, limits: ReadLimits) -> None:
    where = f"文件“{source}”的工作表“{sheet}”"
    declared = f"（文件声明的范围为 {scan.dimension}）" if scan.dimension else ""
    how = "请删除多余的行列（选中后“删除”，而不只是清除内容）后另存，或把台账拆成几个文件"
    if scan.last_row > limits.max_rows:
        raise LedgerError(
            f"{where}一直到第{scan.last_row:,}行都有内容（单元格 {scan.last_row_cell}）{declared}，"
            f"超过上限 {limits.max_rows:,} 行：{how}；{limits.hint('max_rows')}"
        )
    if scan.last_col > limits.max_columns:
        raise LedgerError(
            f"{where}一直到第{scan.last_col:,}列（{column_letter(scan.last_col)} 列）都有内容"
            f"（单元格 {scan.last_col_cell}）{declared}，超过上限 {limits.max_columns:,} 列：{how}；"
            f"{limits.hint('max_columns')}"
        )
    if scan.last_row * scan.last_col > limits.max_cells:
        raise LedgerError(
            f"{where}的数据区域有 {scan.last_row:,} 行 × {scan.last_col:,} 列，超过上限 {limits.max_cells:,} "
            f"个单元格：{how}；{limits.hint('max_cells')}"
        )


def _choose_sheet(names: Sequence[str], sheet: str | int | None, preferred: Sequence[str], source: str) -> str:
    if not names:
        raise LedgerError(f"文件“{source}”中找不到任何工作表：文件可能已损坏，请在 Excel/WPS 中打开后重新另存为 .xlsx")
    if sheet is None:
        return next((s for s in preferred if s in names), names[0])
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise LedgerError(
                f"文件“{source}”没有第{sheet + 1}个工作表（共{len(names)}个：{'、'.join(names)}）："
                "请检查 sheet 参数（从 0 开始计数）"
            )
        return names[sheet]
    if sheet not in names:
        raise LedgerError(f"文件“{source}”中没有名为“{sheet}”的工作表：现有工作表为 {'、'.join(names)}")
    return sheet


# ---------------------------------------------------------------- reading
def _unreadable(source: str, exc: Exception) -> LedgerError:
    return LedgerError(
        f"无法打开 Excel 文件“{source}”（{type(exc).__name__}）：文件可能已损坏或不是 .xlsx，"
        "请在 Excel/WPS 中重新另存为 .xlsx"
    )


def _open(data: bytes | str | os.PathLike, source: str, *, data_only: bool) -> Any:
    import openpyxl

    handle: Any = io.BytesIO(data) if isinstance(data, bytes) else os.fspath(data)
    with warnings.catch_warnings():
        # Excel/WPS files carry extensions openpyxl does not read (it warns and moves on).
        warnings.simplefilter("ignore", UserWarning)
        try:
            return openpyxl.load_workbook(handle, read_only=True, data_only=data_only)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
            raise _unreadable(source, exc) from exc


def _rows(ws: Any, scan: SheetScan) -> Iterator[tuple[Any, ...]]:
    return ws.iter_rows(min_row=1, max_row=scan.last_row, min_col=1, max_col=scan.last_col, values_only=True)


def _read_values(data: bytes | str | os.PathLike, wb: Any, chosen: str, scan: SheetScan,
                 source: str) -> dict[int, list[str]]:
    """Non-empty rows of the data area as text, by row number; formula cells without a cached value keep the formula."""
    grid: dict[int, list[str]] = {}
    formulas = _open(data, source, data_only=False) if scan.formulas else None
    streams: list[Any] = []
    try:
        streams.append(_rows(wb[chosen], scan))
        if formulas is not None:
            streams.append(_rows(formulas[chosen], scan))
        # zip with the row numbers first: never past the last row, so the tail of the sheet is not parsed
        for r, values, *written in zip(range(1, scan.last_row + 1), *streams):
            texts = [cell_text(v) for v in values]
            for j, (v, f) in enumerate(zip(values, written[0] if written else ())):
                if v is None and isinstance(f, str) and f.startswith("="):
                    texts[j] = f
            if any(texts):
                grid[r] = texts
    except LedgerError:
        raise
    except Exception as exc:  # a malformed sheet part
        raise _unreadable(source, exc) from exc
    finally:
        for stream in streams:
            stream.close()
        if formulas is not None:
            formulas.close()
    return grid


def _merge_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}"


def _apply_merges(grid: dict[int, list[str]], scan: SheetScan, limits: ReadLimits) -> list[str]:
    """Show each merged range's top-left value in its empty cells, inside the data area only.

    A range that covers other cells holding values is left alone (Excel hides
    those values; the user should unmerge), a range reaching far beyond the data
    is clipped; both get a note.
    """
    height, width = scan.last_row, scan.last_col
    notes: list[str] = []
    if scan.merges_dropped:
        notes.append(f"工作表中的合并单元格多达 {len(scan.merges) + scan.merges_dropped:,} 处："
                     f"只处理了前 {len(scan.merges):,} 处，请取消不需要的合并后另存")
    todo = [m for m in scan.merges if m[0] <= height and m[1] <= width and grid.get(m[0], [""] * width)[m[1] - 1]]
    if not todo:
        return notes
    occ = np.zeros((height + 1, width + 1), dtype=np.int32)
    for r, cells in grid.items():
        occ[r, 1:] = [bool(c) for c in cells]
    occ = occ.cumsum(axis=0, dtype=np.int32).cumsum(axis=1, dtype=np.int32)
    budget = limits.max_cells
    for r1, c1, r2, c2 in todo:
        cr, cc = min(r2, height), min(c2, width)
        held = int(occ[cr, cc] - occ[r1 - 1, cc] - occ[cr, c1 - 1] + occ[r1 - 1, c1 - 1])
        ref = _merge_ref(r1, c1, r2, c2)
        if held > 1:
            notes.append(f"合并单元格 {ref} 中除左上角外还有 {held - 1:,} 个单元格有内容（Excel 只显示左上角的值）："
                         "已忽略这个合并，各单元格按原值读取；请在 Excel 中取消合并后核对")
            continue
        area = (cr - r1 + 1) * (cc - c1 + 1)
        if (r2, c2) != (cr, cc) and (r2 - r1 + 1) * (c2 - c1 + 1) > 10 * area:
            notes.append(f"合并单元格 {ref} 远超出有数据的区域：只在 {_merge_ref(r1, c1, cr, cc)} 内按合并处理，"
                         "请在 Excel 中取消多余的合并")
        budget -= area
        if budget < 0:
            notes.append(f"合并单元格覆盖的单元格超过上限 {limits.max_cells:,} 个：其余的合并已忽略，请取消多余的合并")
            break
        top = grid[r1][c1 - 1]
        for r in range(r1, cr + 1):
            cells = grid.setdefault(r, [""] * width)
            for j in range(c1 - 1, cc):
                if not cells[j]:
                    cells[j] = top
    return notes


# ---------------------------------------------------------------- a quick size estimate
#: Bytes of the largest worksheet read for :func:`estimate_xlsx_rows`.
_PEEK = 1 << 16
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?row[\s>]")
_DIMENSION = re.compile(rb"""<(?:[A-Za-z_][\w.\-]*:)?dimension\s[^>]*?\bref\s*=\s*["'][^"':]*:\$?[A-Za-z]{1,3}\$?(\d+)""")


def estimate_xlsx_rows(path: str | os.PathLike) -> int | None:
    """About how many rows the largest worksheet of a workbook has, from its first 64 KB only.

    The ``<dimension>`` the sheet declares when it has one, else the rows in the first 64 KB scaled by the
    sheet's uncompressed size. For deciding early whether work will be big (never for limits: a file can lie).
    ``None`` when the file is not a readable workbook.
    """
    try:
        with zipfile.ZipFile(os.fspath(path)) as zf:
            sheets = [i for i in zf.infolist() if i.filename.startswith("xl/worksheets/")
                      and i.filename.endswith(".xml")]
            if not sheets:
                return None
            info = max(sheets, key=lambda i: i.file_size)
            with zf.open(info) as stream:
                head = stream.read(_PEEK)
    except Exception:  # noqa: BLE001 - an estimate: the reader names the problem later
        return None
    m = _DIMENSION.search(head)
    if m:
        return int(m.group(1))
    rows = len(_ROW_TAG.findall(head))
    return rows if len(head) < _PEEK else int(rows * info.file_size / max(len(head), 1))


# ---------------------------------------------------------------- the fast reader (python-calamine)
def _calamine() -> Any:
    """The python-calamine module, or None when it is not installed (openpyxl reads everything then)."""
    try:
        import python_calamine
    except ImportError:  # pragma: no cover - a dependency; the openpyxl reader stays complete without it
        return None
    return python_calamine


_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DOC_REL = _REL_NS + "/officeDocument"
_SHEET_REL = _REL_NS + "/worksheet"
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """``Id -> (Type, target part)`` of a part's relationships (targets resolved against the part's folder)."""
    folder, name = posixpath.split(part)
    root = ElementTree.fromstring(zf.read(posixpath.join(folder, "_rels", name + ".rels")))
    out: dict[str, tuple[str, str]] = {}
    for rel in root:
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return out


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str] | None:
    """Worksheet name -> its part, in the workbook's order, read from the package's relationships.

    ``None`` when anything is unusual (a chart sheet, a missing part, a malformed relationship): openpyxl then
    opens the workbook and names the problem as before.
    """
    try:
        book = next((t for kind, t in _rels(zf, "").values() if kind == _DOC_REL), None)
        if book is None:
            return None
        rels = _rels(zf, book)
        root = ElementTree.fromstring(zf.read(book))
        parts: dict[str, str] = {}
        for el in root.iter(f"{_MAIN_NS}sheet"):
            kind, part = rels.get(el.get(f"{{{_REL_NS}}}id", ""), ("", ""))
            name = el.get("name")
            if kind != _SHEET_REL or not name or name in parts:
                return None
            zf.getinfo(part)  # KeyError: the part is missing
            parts[name] = part
        return parts or None
    except Exception:  # noqa: BLE001 - any surprise: the openpyxl reader decides
        return None


def _escaped(zf: zipfile.ZipFile, parts: Sequence[str]) -> bool:
    """Whether any of the parts (the sheet, the shared strings) holds an ``_xHHHH_`` escape."""
    for part in parts:
        with zf.open(part) as stream:
            tail = b""
            while chunk := stream.read(_CHUNK):
                if _ESCAPE.search(tail + chunk):
                    return True
                tail = chunk[-6:]
    return False


class _Unsure(Exception):
    """A value the fast reader cannot give exactly as openpyxl would: openpyxl reads the sheet."""


def _fast_text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if type(value) is float and value.is_integer() and abs(value) >= _EXACT_FLOAT:
        raise _Unsure
    return cell_text(value)


def _fast_values(data: bytes | str | os.PathLike, zf: zipfile.ZipFile, chosen: str, part: str,
                 scan: SheetScan) -> dict[int, list[str]] | None:
    """The grid :func:`_read_values` gives, read by python-calamine; ``None`` when this sheet is not plain."""
    calamine = _calamine()
    if (calamine is None or scan.formulas or scan.odd_cells or scan.open_row > scan.last_row
            or scan.open_col > scan.last_col):
        return None  # calamine would hold every cell written up to (open_row, open_col) in memory
    if _escaped(zf, [part, *(n for n in zf.namelist() if "sharedstrings" in n.lower())]):
        return None
    try:
        book = (calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) if isinstance(data, bytes)
                else calamine.CalamineWorkbook.from_path(os.fspath(data)))
        try:
            rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
        finally:
            book.close()
    except Exception:  # noqa: BLE001 - a part calamine cannot read: openpyxl reads it (or names the damage)
        return None
    except BaseException as exc:  # a panic in the Rust reader (pyo3's PanicException is no Exception)
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        return None
    width = scan.last_col
    if len(rows) > scan.last_row or any(len(r) > width for r in rows[:1]):
        return None  # calamine saw a cell the scan did not: let openpyxl decide
    grid: dict[int, list[str]] = {}
    try:
        for r, values in enumerate(rows, start=1):
            texts = [_fast_text(v) for v in values]
            if any(texts):
                grid[r] = texts + [""] * (width - len(texts))
    except _Unsure:
        return None
    return grid


def read_xlsx(data: bytes | str | os.PathLike, source: str, sheet: str | int | None,
              preferred_sheets: Sequence[str], limits: ReadLimits) -> RawTable:
    """Read one worksheet into a :class:`RawTable` within ``limits`` (see the module docstring)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else os.fspath(data))
    except Exception as exc:  # zipfile.BadZipFile, OSError
        raise _unreadable(source, exc) from exc
    wb: Any = None
    with zf:
        _check_package(zf, source, limits)
        parts = _sheet_parts(zf) if _calamine() is not None else None
        try:
            if parts is None:
                wb = _open(data, source, data_only=True)
                names = list(wb.sheetnames)
            else:
                names = list(parts)
            chosen = _choose_sheet(names, sheet, preferred_sheets, source)
            part = parts[chosen] if parts is not None else getattr(wb[chosen], "_worksheet_path", "")
            try:
                scan = scan_sheet(lambda: zf.open(part.lstrip("/")), max_merges=limits.max_rows)
            except Exception as exc:  # KeyError, zipfile.BadZipFile, zlib.error, EOFError: a damaged package
                raise _unreadable(source, exc) from exc
            _check_area(scan, chosen, source, limits)
            grid: dict[int, list[str]] | None = {}
            if scan.cells:
                grid = _fast_values(data, zf, chosen, part.lstrip("/"), scan) if parts is not None else None
                if grid is None:
                    wb = wb if wb is not None else _open(data, source, data_only=True)
                    grid = _read_values(data, wb, chosen, scan, source)
        finally:
            if wb is not None:
                wb.close()
    notes = _apply_merges(grid, scan, limits) if grid else []
    nums = sorted(r for r, cells in grid.items() if any(cells))
    table = RawTable([grid[r] for r in nums], nums, source, sheet=chosen, sheets=names)
    table.notes.extend(f"工作表“{chosen}”：{n}" for n in notes)
    return table
