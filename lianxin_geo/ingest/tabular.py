"""Read a ledger file into a raw table of text cells and find its header row.

Everything here is about *files*, not about ledgers: encodings, workbook sheets,
merged cells, Excel row numbers and header matching. Values stay raw text; the
typing and checks live in :mod:`lianxin_geo.ingest.validate`. CSV files are read
by :mod:`lianxin_geo.ingest._csv`, workbooks by :mod:`lianxin_geo.ingest._xlsx`,
both within the size limits of :class:`~lianxin_geo.ingest.limits.ReadLimits`
(checked before a file is loaded).

Row numbers are the ones a user sees in Excel: 1-based, counting title, note
and header rows; for CSV they are the 1-based line number where the record
starts.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lianxin_geo.core.errors import LedgerError
from lianxin_geo.ingest._csv import CSV_ENCODINGS, decode_text, read_csv_text
from lianxin_geo.ingest._raw import RawTable, _pad, cell_text
from lianxin_geo.ingest._xls import read_xls, xls_error
from lianxin_geo.ingest._xlsx import estimate_xlsx_rows, read_xlsx
from lianxin_geo.ingest.limits import ReadLimits, resolve_limits

__all__ = [
    "CSV_ENCODINGS",
    "RawTable",
    "cell_text",
    "decode_text",
    "normalize_header",
    "header_lookup",
    "match_headers",
    "of_which",
    "find_header_row",
    "read_table",
    "estimate_rows",
    "source_label",
]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
#: The start of a web page saved with an .xls name (an "Excel export" of many web systems).
_HTML = re.compile(rb"<\s*(?:!doctype\s+html|html|table|meta)\b", re.I)
_MB = 1_000_000

# "（必填）", "(选填)", "【必填】" ... markers; "*" anywhere.
_MARKERS = re.compile(r"[\(\[【]\s*(?:必填|必填项|选填|可选|可空|非必填|必选|填写)\s*[\)\]】]")
_TRAILING_PAREN = re.compile(r"[\(\[【][^\(\)\[\]【】]*[\)\]】]$")
#: The "of which" prefix of statistical tables: ``其中：预备党员`` is the 预备党员 column.
_OF_WHICH = re.compile(r"^其中[:：]?")


# ---------------------------------------------------------------- headers
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


def of_which(header: str) -> bool:
    """True for an "of which" header of a statistical table (``其中：预备党员``): a part of the column before it."""
    return bool(_OF_WHICH.match(normalize_header(header)))


def match_headers(cells: Sequence[str], lookup: Mapping[str, str]) -> list[str | None]:
    """Return the key each header cell maps to (``None`` when it maps to none).

    A header that does not match as written is tried again without a trailing
    parenthesised unit such as ``（人）`` or ``(万元)``, and without an "of which"
    prefix (``其中：预备党员``).
    """
    out: list[str | None] = []
    for cell in cells:
        norm = normalize_header(cell)
        key = lookup.get(norm) if norm else None
        for tried in (_TRAILING_PAREN.sub("", norm), _OF_WHICH.sub("", norm)):
            if key is None and tried and tried != norm:
                key = lookup.get(tried) or lookup.get(_TRAILING_PAREN.sub("", tried))
        out.append(key)
    return out


# ---------------------------------------------------------------- reading
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


def _too_big(source: str, size: int, limits: ReadLimits) -> LedgerError:
    return LedgerError(
        f"文件“{source}”有 {size / _MB:,.0f} MB，超过上限 {limits.max_bytes / _MB:,.0f} MB：正常台账一般只有几 MB，"
        f"请确认选对了文件，或把台账拆成几个文件分别导入；{limits.hint('max_bytes')}"
    )


def read_table(
    source: str | os.PathLike | bytes | pd.DataFrame | Any,
    *,
    sheet: str | int | None = None,
    filename: str | None = None,
    preferred_sheets: Sequence[str] = (),
    limits: ReadLimits | None = None,
) -> RawTable:
    """Read a .xlsx/.xls/.csv file (path, bytes, binary file object) or a DataFrame into a :class:`RawTable`.

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
    limits
        Size limits checked before the file is loaded; default :meth:`ReadLimits.from_env`.

    Raises
    ------
    LedgerError
        For unreadable workbooks (a password-protected or damaged .xls, a web page saved as .xls), undecodable
        text, and files above ``limits``.
    """
    label = source_label(source, filename)
    if isinstance(source, pd.DataFrame):
        table = _read_frame(source)
        table.source = label
        return table
    lim = resolve_limits(limits)
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
    size = path.stat().st_size if data is None and path is not None else len(data or b"")
    if size > lim.max_bytes:
        raise _too_big(label, size, lim)
    if head.startswith(_OLE_MAGIC):  # Excel 97-2003 (or a password-protected workbook: the reader says so)
        return read_xls(data if data is not None else path, label, sheet, preferred_sheets, lim)  # type: ignore[arg-type]
    if head.startswith(_ZIP_MAGIC) or suffix in (".xlsx", ".xlsm"):
        return read_xlsx(data if data is not None else path, label, sheet, preferred_sheets, lim)  # type: ignore[arg-type]
    if data is None:
        assert path is not None
        data = path.read_bytes()
    if suffix == ".xls" and _HTML.search(data[:2048]):
        raise xls_error(label, "这是网页（HTML）表格另存的 .xls，不是 Excel 文件")
    text, enc = decode_text(data, source=label)
    return read_csv_text(text, label, enc, lim)


def estimate_rows(path: str | os.PathLike, *, limits: ReadLimits | None = None) -> int | None:
    """About how many rows a ledger file has, without reading it: for deciding early how big a run will be.

    A workbook: :func:`~lianxin_geo.ingest._xlsx.estimate_xlsx_rows` (its declared size, or its first 64 KB
    scaled). A text file within ``limits``' size: its line count. ``None`` when the file is missing, too big or
    not a ledger format; never an error (the reader reports those).
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    if head.startswith(_ZIP_MAGIC):
        return estimate_xlsx_rows(p)
    if head.startswith(_OLE_MAGIC) or size > resolve_limits(limits).max_bytes:
        return None
    try:
        return p.read_bytes().count(b"\n")
    except OSError:
        return None


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
