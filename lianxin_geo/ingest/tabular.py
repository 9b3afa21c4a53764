"""Read a ledger file into a raw table of text cells and find its header row.

Everything here is about *files*, not about ledgers: encodings, workbook sheets,
merged cells, Excel row numbers and header matching. Values stay raw text; the
typing and validation live in :mod:`lianxin_geo.ingest.ledger`.

Row numbers are the ones a user sees in Excel: 1-based, counting title, note
and header rows; for CSV they are the 1-based line number where the record
starts.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lianxin_geo.core.errors import LedgerError

__all__ = [
    "CSV_ENCODINGS",
    "RawTable",
    "cell_text",
    "decode_text",
    "normalize_header",
    "header_lookup",
    "match_headers",
    "find_header_row",
    "read_table",
    "source_label",
]

#: Decodings tried, strictly in this order; the first that decodes the whole file wins.
CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gbk", "gb18030")
_UTF16_BOMS = ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", "\t", ";", "|")

# "（必填）", "(选填)", "【必填】" ... markers; "*" anywhere.
_MARKERS = re.compile(r"[\(\[【]\s*(?:必填|必填项|选填|可选|可空|非必填|必选|填写)\s*[\)\]】]")
_TRAILING_PAREN = re.compile(r"[\(\[【][^\(\)\[\]【】]*[\)\]】]$")


# ---------------------------------------------------------------- cells
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


def normalize_header(text: object) -> str:
    """Normalise a header for matching.

    NFKC (full-width to half-width, ``㎡`` to ``m2``), white space removed,
    ``*`` and ``（必填）``-style markers removed, ASCII letters lower-cased.
    """
    s = unicodedata.normalize("NFKC", cell_text(text))
    s = re.sub(r"\s+", "", s)
    s = _MARKERS.sub("", s)
    s = s.replace("*", "")
    s = s.rstrip(":：")
    return s.lower()


def header_lookup(columns: Iterable[tuple[str, str, Sequence[str]]]) -> dict[str, str]:
    """Map every normalised header and alias to its key.

    ``columns`` yields ``(key, header, aliases)``. Canonical headers win over
    aliases, earlier columns over later ones.
    """
    cols = list(columns)
    lookup: dict[str, str] = {}
    for key, header, _ in cols:
        lookup.setdefault(normalize_header(header), key)
    for key, _, aliases in cols:
        for alias in aliases:
            lookup.setdefault(normalize_header(alias), key)
    return lookup


def match_headers(cells: Sequence[str], lookup: Mapping[str, str]) -> list[str | None]:
    """Return the key each header cell maps to (``None`` when it maps to none).

    A header that does not match as written is tried again without a trailing
    parenthesised unit such as ``（人）`` or ``(万元)``.
    """
    out: list[str | None] = []
    for cell in cells:
        norm = normalize_header(cell)
        key = lookup.get(norm) if norm else None
        if key is None and norm:
            stripped = _TRAILING_PAREN.sub("", norm)
            if stripped and stripped != norm:
                key = lookup.get(stripped)
        out.append(key)
    return out


# ---------------------------------------------------------------- raw table
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
    """

    rows: list[list[str]]
    rownums: list[int]
    source: str
    encoding: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def source_label(source: object, filename: str | None = None) -> str:
    """A short name of the input for messages and results."""
    if filename:
        return os.path.basename(str(filename))
    if isinstance(source, (str, os.PathLike)):
        return os.path.basename(os.fspath(source))
    if isinstance(source, pd.DataFrame):
        return "<DataFrame>"
    name = getattr(source, "name", None)
    if isinstance(name, str) and name:
        return os.path.basename(name)
    return "<bytes>"


def decode_text(data: bytes, *, source: str = "") -> tuple[str, str]:
    """Decode CSV bytes: a UTF-16 BOM if present, else UTF-8 (with or without BOM), GBK, GB18030.

    Each decoding is strict, so a file is never guessed into mojibake.

    Raises
    ------
    LedgerError
        When no decoding reads the whole file, or the text holds NUL bytes (a binary file).
    """
    for bom, enc in _UTF16_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), "utf-16"
            except UnicodeDecodeError:
                break
    for enc in CSV_ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, ("utf-8" if enc == "utf-8-sig" else enc)
    raise LedgerError(
        f"无法识别文件“{source}”的文字编码（已依次尝试 UTF-8、GBK、GB18030），或它不是文本表格："
        "请在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后重新导入 "
        "/ cannot decode the CSV as UTF-8, GBK or GB18030"
    )


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:30] if ln.strip()]
    best, best_n = ",", 0
    for d in _DELIMITERS:
        n = sum(ln.count(d) for ln in lines)
        if n > best_n:
            best, best_n = d, n
    return best


def _read_csv_text(text: str, source: str, encoding: str) -> RawTable:
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    nums: list[int] = []
    start = 1
    try:
        for record in reader:
            cells = [cell_text(c) for c in record]
            if any(cells):
                rows.append(cells)
                nums.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise LedgerError(
            f"文件“{source}”第{reader.line_num}行的 CSV 格式有误（{exc}）：请检查引号是否成对，"
            "或在 Excel/WPS 中重新另存为 CSV"
        ) from exc
    return _pad(RawTable(rows, nums, source, encoding=encoding))


def _pad(table: RawTable) -> RawTable:
    width = table.width
    for r in table.rows:
        if len(r) < width:
            r.extend([""] * (width - len(r)))
    return table


def _xls_error(source: str) -> LedgerError:
    return LedgerError(
        f"文件“{source}”是旧版 Excel 97-2003 格式（.xls）或已加密，暂不支持：请在 Excel/WPS 中"
        "“另存为” .xlsx（Excel 工作簿）或 CSV 后重新导入 / .xls is not supported, save as .xlsx"
    )


def _read_xlsx(data: bytes | str | os.PathLike, source: str, sheet: str | int | None,
               preferred_sheets: Sequence[str]) -> RawTable:
    import openpyxl

    handle: Any = io.BytesIO(data) if isinstance(data, bytes) else os.fspath(data)
    with warnings.catch_warnings():
        # Excel/WPS files carry extensions openpyxl does not read (it warns and moves on).
        warnings.simplefilter("ignore", UserWarning)
        try:
            wb = openpyxl.load_workbook(handle, data_only=False)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
            raise LedgerError(
                f"无法打开 Excel 文件“{source}”（{type(exc).__name__}）：文件可能已损坏或不是 .xlsx，"
                "请在 Excel/WPS 中重新另存为 .xlsx"
            ) from exc
    names = list(wb.sheetnames)
    if sheet is None:
        chosen = next((s for s in preferred_sheets if s in names), names[0])
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise LedgerError(
                f"文件“{source}”没有第{sheet + 1}个工作表（共{len(names)}个：{'、'.join(names)}）："
                "请检查 sheet 参数（从 0 开始计数）"
            )
        chosen = names[sheet]
    else:
        if sheet not in names:
            raise LedgerError(
                f"文件“{source}”中没有名为“{sheet}”的工作表：现有工作表为 {'、'.join(names)}"
            )
        chosen = sheet
    ws = wb[chosen]
    values: dict[tuple[int, int], Any] = {}
    formulas: list[tuple[int, int]] = []
    for row in ws.iter_rows():
        for c in row:
            if c.value is None:
                continue
            values[(c.row, c.column)] = c.value
            if c.data_type == "f":
                formulas.append((c.row, c.column))
    if formulas:
        # Use the values Excel cached for formula cells; keep the formula text when none was cached.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if not isinstance(data, bytes):
                handle = os.fspath(data)
            else:
                handle = io.BytesIO(data)
            cached = openpyxl.load_workbook(handle, data_only=True)[chosen]
        for r, c in formulas:
            v = cached.cell(row=r, column=c).value
            if v is not None:
                values[(r, c)] = v
            else:
                values[(r, c)] = str(values[(r, c)])
    # A merged range shows one value over all its cells: give it to every cell.
    for rng in ws.merged_cells.ranges:
        top = values.get((rng.min_row, rng.min_col))
        if top is None:
            continue
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                values[(r, c)] = top
    if not values:
        return RawTable([], [], source, sheet=chosen, sheets=names)
    max_row = max(r for r, _ in values)
    max_col = max(c for _, c in values)
    grid: dict[int, list[str]] = {}
    for (r, c), v in values.items():
        text = cell_text(v)
        if text:
            grid.setdefault(r, [""] * max_col)[c - 1] = text
    nums = sorted(r for r in grid if r <= max_row)
    return _pad(RawTable([grid[r] for r in nums], nums, source, sheet=chosen, sheets=names))


def _read_frame(df: pd.DataFrame) -> RawTable:
    header = [cell_text(c) for c in df.columns]
    rows = [header]
    nums = [1]
    for i, rec in enumerate(df.itertuples(index=False, name=None)):
        cells = [cell_text(v) for v in rec]
        if any(cells):
            rows.append(cells)
            nums.append(i + 2)
    return _pad(RawTable(rows, nums, "<DataFrame>"))


def read_table(
    source: str | os.PathLike | bytes | pd.DataFrame | Any,
    *,
    sheet: str | int | None = None,
    filename: str | None = None,
    preferred_sheets: Sequence[str] = (),
) -> RawTable:
    """Read a .xlsx/.csv file (path, bytes, binary file object) or a DataFrame into a :class:`RawTable`.

    Parameters
    ----------
    source
        A path, the file's bytes, an object with ``read()`` (an upload), or a DataFrame
        whose column labels are the headers.
    sheet
        Worksheet name or 0-based index (xlsx only).
    filename
        The original file name, used for the format and messages when ``source`` is bytes.
    preferred_sheets
        Sheet names to use, in order, when ``sheet`` is None and one exists; else the first sheet.

    Raises
    ------
    LedgerError
        For .xls files, unreadable workbooks and undecodable text.
    """
    label = source_label(source, filename)
    if isinstance(source, pd.DataFrame):
        table = _read_frame(source)
        table.source = label
        return table
    path: Path | None = None
    data: bytes | None = None
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise LedgerError(f"找不到台账文件“{path}”：请检查路径和文件名")
        with path.open("rb") as fh:
            head = fh.read(8)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        head = data[:8]
    elif hasattr(source, "read"):
        raw = source.read()
        data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        head = data[:8]
    else:
        raise LedgerError(
            f"不支持的台账输入类型 {type(source).__name__}：请传入文件路径、文件内容（bytes）或 DataFrame"
        )
    name = filename or (str(path) if path else label)
    suffix = Path(name).suffix.lower()
    if head.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise _xls_error(label)
    if head.startswith(_ZIP_MAGIC) or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data if data is not None else path, label, sheet, preferred_sheets)  # type: ignore[arg-type]
    if data is None:
        assert path is not None
        data = path.read_bytes()
    text, enc = decode_text(data, source=label)
    return _read_csv_text(text, label, enc)


def find_header_row(
    table: RawTable,
    lookup: Mapping[str, str],
    anchors: Sequence[str],
    *,
    max_scan: int = 20,
) -> int | None:
    """Index (into ``table.rows``) of the first row within ``max_scan`` that holds every anchor key."""
    need = set(anchors)
    for i, row in enumerate(table.rows[:max_scan]):
        keys = {k for k in match_headers(row, lookup) if k}
        if need <= keys:
            return i
    return None
