"""CSV files: decoding with line numbers, and records counted against the physical lines.

A quote that never closes makes the ``csv`` module read the rest of the file as
one cell: the rows after it vanish and nothing complains. Here every record is
matched to the physical lines it spans; a quoted cell that swallows lines which
look like records of their own is reported on its row, and those lines are read
again one record per line, so no row is lost in silence.
"""

from __future__ import annotations

import csv
import io
import re
import threading

from lianxin_geo.core.errors import LedgerError
from lianxin_geo.ingest.limits import ReadLimits
from lianxin_geo.ingest._raw import RawTable, _pad, cell_text

__all__ = ["CSV_ENCODINGS", "decode_text", "read_csv_text"]

#: Decodings tried, strictly in this order; the first that decodes the whole file wins.
CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gbk", "gb18030")
_UTF16_BOMS = ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_DELIMITERS = (",", "\t", ";", "|")
_CJK = re.compile(r"[\u4e00-\u9fff]")
#: Line numbers listed in a message before "…".
_MAX_LISTED = 5
#: ``csv.field_size_limit`` is process-wide: raise it for one read at a time.
_FIELD_LIMIT_LOCK = threading.Lock()


# ---------------------------------------------------------------- decoding
def _line_of(text: str | bytes, index: int) -> int:
    newline = b"\n" if isinstance(text, bytes) else "\n"
    return text.count(newline, 0, index) + 1  # type: ignore[arg-type]


def _listed(nums: list[int]) -> str:
    shown = "、".join(str(n) for n in nums[:_MAX_LISTED])
    return shown + ("等" if len(nums) > _MAX_LISTED else "")


def _mixed_lines(data: bytes) -> tuple[list[int], list[int]]:
    """Lines that are UTF-8 Chinese text, and lines that are not UTF-8 (both non-empty means a mixed file)."""
    utf8: list[int] = []
    other: list[int] = []
    for n, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(n)
            continue
        if len(_CJK.findall(text)) >= 2:
            utf8.append(n)
    return utf8, other


def decode_text(data: bytes, *, source: str = "") -> tuple[str, str]:
    """Decode CSV bytes: a UTF-16 BOM if present, else UTF-8 (with or without BOM), GBK, GB18030.

    Each decoding is strict, so a file is never guessed into mojibake; a file
    whose lines mix UTF-8 and GBK is refused, naming the lines.

    Raises
    ------
    LedgerError
        When no decoding reads the whole file, the lines mix encodings, or the
        text holds NUL bytes (a binary file); the message gives the line.
    """
    for bom, enc in _UTF16_BOMS:
        if data.startswith(bom):
            try:
                return _no_nul(data.decode(enc), source), "utf-16"
            except UnicodeDecodeError:
                break
    try:
        return _no_nul(data.decode(CSV_ENCODINGS[0]), source), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = _line_of(data, exc.start)
    utf8, other = _mixed_lines(data)
    if utf8 and other:
        raise LedgerError(
            f"文件“{source}”混用了两种文字编码：第{_listed(utf8)}行是 UTF-8，第{_listed(other)}行不是"
            "（多半是 GBK），通常是把不同来源的内容拼接在一起造成的。请在 Excel/WPS 中打开，核对这些行的文字显示正常后"
            "另存为“CSV UTF-8（逗号分隔）”或 .xlsx，再重新导入 / the file mixes UTF-8 and GBK lines"
        )
    bad_lines = [first_bad]
    for enc in CSV_ENCODINGS[1:]:
        try:
            return _no_nul(data.decode(enc), source), enc
        except UnicodeDecodeError as exc:
            bad_lines.append(_line_of(data, exc.start))
    raise LedgerError(
        f"无法识别文件“{source}”的文字编码（已依次尝试 UTF-8、GBK、GB18030；第{max(bad_lines)}行起无法解码），"
        "或它不是文本表格：请在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后重新导入 "
        "/ cannot decode the CSV as UTF-8, GBK or GB18030"
    )


def _no_nul(text: str, source: str) -> str:
    at = text.find("\x00")
    if at >= 0:
        raise LedgerError(
            f"文件“{source}”第{_line_of(text, at)}行含有空字符（NUL，字节 00）：这不是普通的文本表格，"
            "可能是改了扩展名的二进制文件，或文件已损坏。请在 Excel/WPS 中打开后另存为“CSV UTF-8（逗号分隔）”"
            "或 .xlsx；若只是这一行损坏，请删除该行后重新导入 / NUL byte in a text file"
        )
    return text


# ---------------------------------------------------------------- records
def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text[:1_000_000].splitlines()[:30] if ln.strip()]
    best, best_n = ",", 0
    for d in _DELIMITERS:
        n = sum(ln.count(d) for ln in lines)
        if n > best_n:
            best, best_n = d, n
    return best


def _balanced(lines: list[str], delimiter: str) -> bool:
    """False when a quoted field is still open at the end of ``lines``."""
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "end of data" not in str(exc)  # other strict-mode complaints are not an open quote
    return True


def _one_line(line: str, delimiter: str) -> tuple[list[str], bool]:
    """The fields of one physical line read alone, and whether its quotes are balanced."""
    return next(csv.reader([line], delimiter=delimiter), []), _balanced([line], delimiter)


def _swallowed(record: list[str], delimiter: str, width: int) -> int:
    """How many lines inside the record's multi-line cells look like records of their own.

    A real multi-line cell (an address typed with Alt+Enter) holds text; a quote
    that never closed holds whole rows: lines with about as many delimiters as
    the file has columns.
    """
    need = max(2, (width - 1) // 2)
    return sum(1 for cell in record if "\n" in cell or "\r" in cell
               for line in cell.splitlines()[1:] if line.count(delimiter) >= need)


class _Records:
    """Rows of text cells with their first line, row-level read errors, and the limits checked on the way."""

    def __init__(self, source: str, limits: ReadLimits) -> None:
        self.source = source
        self.limits = limits
        self.rows: list[list[str]] = []
        self.nums: list[int] = []
        self.errors: dict[int, list[str]] = {}
        self.width = 0
        self.seen_width = 0  # widest single-line record so far

    def add(self, num: int, fields: list[str]) -> None:
        if len(fields) > self.limits.max_columns:
            raise LedgerError(
                f"文件“{self.source}”第{num}行有 {len(fields):,} 列，超过上限 {self.limits.max_columns:,} 列："
                f"请检查分隔符是否正确、是否有多余的逗号；{self.limits.hint('max_columns')}"
            )
        cells = [cell_text(c) for c in fields]
        if any(cells) or num in self.errors:
            self.rows.append(cells)
            self.nums.append(num)
            self.width = max(self.width, len(cells))
        if len(self.rows) > self.limits.max_rows:
            raise LedgerError(
                f"文件“{self.source}”超过 {self.limits.max_rows:,} 行（读到第{num}行）：请把台账拆成几个文件分别导入；"
                f"{self.limits.hint('max_rows')}"
            )


def _unclosed(start: int, swallowed: int, end: int) -> str:
    return (f"第{start}行的引号没有闭合，吞掉了后面 {swallowed} 行（第{start + 1}–{end}行）：已把这些行按每行一条"
            "记录重新读取，本行因引号有误被拒绝。请删除本行单元格中多余的英文双引号（\"），或补上闭合的引号后重新导入")


def read_csv_text(text: str, source: str, encoding: str, limits: ReadLimits) -> RawTable:
    """Read decoded CSV text into a :class:`RawTable` (rows numbered by the line where each record starts).

    Raises
    ------
    LedgerError
        When a record has more columns, or the file more rows or cells, than ``limits`` allow.
    """
    delimiter = _sniff_delimiter(text)
    lines = list(io.StringIO(text, newline=""))
    out = _Records(source, limits)
    with _FIELD_LIMIT_LOCK:
        old = csv.field_size_limit()
        csv.field_size_limit(max(old, len(text) + 1))  # a long cell is a row error, not a quote error
        try:
            _parse(lines, delimiter, out)
        except csv.Error as exc:  # not expected with newline="" and NUL refused; kept as a user error
            raise LedgerError(
                f"文件“{source}”第{len(out.nums) + 1}条记录附近的 CSV 格式有误（{exc}）：请在 Excel/WPS 中重新另存为 CSV"
            ) from exc
        finally:
            csv.field_size_limit(old)
    if len(out.rows) * out.width > limits.max_cells:
        raise LedgerError(
            f"文件“{source}”有 {len(out.rows):,} 行 × {out.width:,} 列，超过上限 {limits.max_cells:,} 个单元格："
            f"请删除多余的列或拆分文件；{limits.hint('max_cells')}"
        )
    table = RawTable(out.rows, out.nums, source, encoding=encoding)
    table.row_errors.update(out.errors)
    return _pad(table)


def _parse(lines: list[str], delimiter: str, out: _Records) -> None:
    reader = csv.reader(iter(lines), delimiter=delimiter)
    start = 1
    for record in reader:
        end = reader.line_num
        swallowed = _swallowed(record, delimiter, out.seen_width) if end > start else 0
        if swallowed:
            out.errors.setdefault(start, []).append(_unclosed(start, end - start, end))
            for k in range(start - 1, end):
                fields, balanced = _one_line(lines[k], delimiter)
                if not balanced and k + 1 != start:
                    out.errors.setdefault(k + 1, []).append(
                        f"第{k + 1}行的引号没有闭合：请删除多余的英文双引号（\"）或补上闭合的引号后重新导入")
                out.add(k + 1, fields)
        else:
            if end == len(lines) and not _balanced(lines[start - 1:end], delimiter):
                out.errors.setdefault(start, []).append(
                    f"第{start}行的引号没有闭合（一直到文件末尾）：请删除多余的英文双引号（\"）或补上闭合的引号后重新导入")
            if end == start:
                out.seen_width = max(out.seen_width, len(record))
            out.add(start, record)
        start = end + 1
