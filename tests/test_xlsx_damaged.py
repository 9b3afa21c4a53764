"""A damaged workbook (.xlsx or .xls) ends as a table or as a Chinese :class:`LedgerError`, never as another
exception, and never ends this process.

The workbook is built part by part the way Excel/WPS write it (shared strings, a merged title row, a second
sheet), then its parts are damaged by a seeded generator: bytes replaced, cut out, or odd cells put in. Every
one of those files is read as the app reads an upload (:func:`read_ledger`), through both readers (python-calamine
and openpyxl).
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from lianxin_geo.core.errors import LedgerError
from lianxin_geo.ingest import _xlsx
from lianxin_geo.ingest.ledger import read_ledger

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ROWS = [["顺义区两新组织台账（测试）"], ["单位名称", "组织类别", "从业人员数", "正式党员数", "所属镇街"]] + [
    [f"示例公司{i}", "非公企业", str(10 + i), str(i % 5), "胜利街道"] for i in range(30)]


def _col(i: int) -> str:
    return "ABCDEFGHIJ"[i]


def _workbook(*, sheets: bool = True) -> bytes:
    strings: list[str] = []
    index: dict[str, int] = {}

    def cell(r: int, c: int, text: str) -> str:
        if text.isdigit():
            return f'<c r="{_col(c)}{r}"><v>{text}</v></c>'
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return f'<c r="{_col(c)}{r}" t="s"><v>{index[text]}</v></c>'

    rows = "".join(f'<row r="{r}">' + "".join(cell(r, c, t) for c, t in enumerate(row)) + "</row>"
                   for r, row in enumerate(ROWS, start=1))
    sheet1 = (f'<worksheet xmlns="{NS}"><sheetData>{rows}</sheetData>'
              '<mergeCells count="1"><mergeCell ref="A1:E1"/></mergeCells></worksheet>')
    sheet2 = f'<worksheet xmlns="{NS}"><sheetData><row r="1">{cell(1, 0, "填表说明")}</row></sheetData></worksheet>'
    sst = (f'<sst xmlns="{NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
           + "".join(f"<si><t>{escape(t)}</t></si>" for t in strings) + "</sst>")
    listed = ('<sheet name="两新组织" sheetId="1" r:id="rId1"/><sheet name="说明" sheetId="2" r:id="rId2"/>'
              if sheets else "")
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": f'<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets>{listed}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/worksheet" Target="worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet1,
        "xl/worksheets/sheet2.xml": sheet2,
        "xl/sharedStrings.xml": sst,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text.encode("utf-8"))
    return out.getvalue()


ODD = [b'<c r="XFD1048576"><v>1</v></c>', b"<v>1e400</v>", b"&#0;", b'<row r="0">', b'<c r="A0" t="s"><v>99</v></c>',
       b'<c t="e"><v>#N/A</v></c>', b'<c r="B2" t="d"><v>x</v></c>', b"<v>NaN</v>", b'<c r="A3" t="s"><v>-1</v></c>',
       b'<c r="C5" t="s"><v>99999</v></c>', b"</sheetData>", b'<mergeCell ref="A1:XFD1048576"/>', b"<si>"]


def _damaged(book: bytes, rng: random.Random) -> bytes:
    zin = zipfile.ZipFile(io.BytesIO(book))
    names = zin.namelist()
    target = rng.choice(names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for name in names:
            b = bytearray(zin.read(name))
            if name == target:
                for _ in range(rng.randint(1, 6)):
                    k = rng.randrange(len(b))
                    op = rng.random()
                    if op < 0.4:
                        b[k] = rng.choice(b'<>"=/0123456789-.eE x&;abcrst')
                    elif op < 0.7:
                        del b[k:k + rng.randint(1, 20)]
                    else:
                        b[k:k] = rng.choice(ODD)
            zo.writestr(name, bytes(b))
    return out.getvalue()


def test_the_workbook_reads_whole():
    res = read_ledger(_workbook(), filename="台账.xlsx")
    assert res.n_accepted == 30 and res.sheet == "两新组织"
    assert res.accepted["name"].tolist()[:2] == ["示例公司0", "示例公司1"]


def test_a_workbook_without_sheets_is_named_as_damaged():
    with pytest.raises(LedgerError, match="找不到任何工作表"):
        read_ledger(_workbook(sheets=False), filename="空.xlsx")


@pytest.mark.parametrize("fast", [True, False], ids=["calamine", "openpyxl"])
def test_damaged_workbooks_end_as_a_table_or_a_chinese_error(monkeypatch, fast):
    if not fast:
        monkeypatch.setattr(_xlsx, "_calamine", lambda: None)
    book = _workbook()
    rng = random.Random(20261130)
    outcomes = {"table": 0, "error": 0}
    for _ in range(120):
        data = _damaged(book, rng)
        try:
            res = read_ledger(data, filename="损坏.xlsx")
        except LedgerError as exc:
            assert "损坏.xlsx" in str(exc) or "工作表" in str(exc) or "表头" in str(exc), str(exc)
            outcomes["error"] += 1
        else:
            assert res.n_accepted + res.n_rejected == res.rows_in
            outcomes["table"] += 1
    assert outcomes["table"] > 10 and outcomes["error"] > 10, outcomes  # both ends are reached


class PanicException(BaseException):
    """What pyo3 raises when Rust code panics: a BaseException, so ``except Exception`` lets it through."""


def test_a_panic_in_the_fast_reader_falls_back_to_openpyxl(monkeypatch):
    class Panicking:
        @staticmethod
        def from_filelike(_fh):
            raise PanicException("index out of bounds")

        from_path = from_filelike

    monkeypatch.setattr(_xlsx, "_calamine", lambda: type("calamine", (), {"CalamineWorkbook": Panicking}))
    res = read_ledger(_workbook(), filename="台账.xlsx")
    assert res.n_accepted == 30
    monkeypatch.setattr(Panicking, "from_filelike", staticmethod(lambda _fh: (_ for _ in ()).throw(KeyboardInterrupt)))
    with pytest.raises(KeyboardInterrupt):  # the user's Ctrl-C still stops the read
        read_ledger(_workbook(), filename="台账.xlsx")


def test_damaged_xls_files_end_as_a_table_or_a_chinese_error():
    """Damaged .xls files made python-calamine panic, and one made it allocate until the kernel killed the process:
    the child process that reads them takes that, this one gets a table or a LedgerError."""
    src = (Path(__file__).resolve().parent / "data" / "orgs_legacy.xls").read_bytes()
    rng = random.Random(20261130)
    outcomes = {"table": 0, "error": 0}
    for _ in range(60):
        b = bytearray(src)
        for _ in range(rng.randint(1, 8)):
            k = rng.randrange(8, len(b))
            op = rng.random()
            if op < 0.6:
                b[k] = rng.randrange(256)
            elif op < 0.8:
                del b[k:k + rng.randint(1, 16)]
            else:
                b[k:k] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        try:
            read_ledger(bytes(b), filename="损坏.xls")
        except LedgerError as exc:
            assert "损坏.xls" in str(exc), str(exc)
            outcomes["error"] += 1
        else:
            outcomes["table"] += 1
    assert outcomes["error"] > 10, outcomes
