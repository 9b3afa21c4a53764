"""The speed levers of ``run`` (issue 16) change no result.

* the ledger workbooks read by python-calamine give exactly the texts openpyxl gives, and every sheet calamine
  would read differently (formulas, error cells, ``_xHHHH_`` escapes, integers beyond 2**53) or hold whole in
  memory (a far cell written with empty content) is read by openpyxl;
* the workbook writer's short path for text and its bounded column widths write the same file as every cell
  through ``_put`` measured in full;
* ``run`` starts the local cluster at once only when the orgs ledger is big (its size estimated unread);
* at interpreter exit the local workers' fork server is ended with them.

Timings are in ``benchmarks/run_speed.py --levers``; these tests check results only.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import os
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin_geo.core.engine import Engine
from lianxin_geo.ingest import _xlsx
from lianxin_geo.ingest.demo import write_demo
from lianxin_geo.ingest.tabular import estimate_rows, read_table
from lianxin_geo.present import xlsx as xl

ROOT = Path(__file__).resolve().parents[1]
cli_main = importlib.import_module("lianxin_geo.cli.main")  # the module (``lianxin_geo.cli.main`` is a function)
cli_common = importlib.import_module("lianxin_geo.cli._common")


# ---------------------------------------------------------------- the calamine reader
@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> dict[str, Path]:
    return write_demo(tmp_path_factory.mktemp("demo"), n_orgs=300)


@pytest.fixture
def spy(monkeypatch) -> list[bool]:
    """Whether each read took the fast path (``_fast_values`` gave a grid)."""
    used: list[bool] = []
    real = _xlsx._fast_values

    def fast(*args, **kwargs):
        grid = real(*args, **kwargs)
        used.append(grid is not None)
        return grid
    monkeypatch.setattr(_xlsx, "_fast_values", fast)
    return used


def _both(source, monkeypatch, **kw):
    """The table read as ``run`` reads it, and by openpyxl alone."""
    fast = read_table(source, **kw)
    with monkeypatch.context() as m:
        m.setattr(_xlsx, "_calamine", lambda: None)
        slow = read_table(source, **kw)
    return fast, slow


def _same(a, b) -> None:
    assert (a.rows, a.rownums, a.notes, a.sheet, a.sheets) == (b.rows, b.rownums, b.notes, b.sheet, b.sheets)


def test_demo_ledgers_read_by_calamine_as_by_openpyxl(demo_files, monkeypatch, spy):
    books = [p for p in demo_files.values() if str(p).endswith(".xlsx")]
    assert len(books) == 4
    for path in books:
        fast, slow = _both(path, monkeypatch)
        _same(fast, slow)
        assert len(fast.rows) > 3
    assert spy == [True] * 4  # every demo ledger took the fast path


def _book(tmp_path: Path, fill, name: str = "x.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    fill(ws)
    path = tmp_path / name
    wb.save(path)
    return path


def _typed(ws) -> None:
    ws.merge_cells("A1:F1")
    ws["A1"] = "  某区两新组织台账（标题行）  "
    ws.append(["名称", "人数", "比例", "日期", "时间", "备注"])
    ws.append(["甲公司", 12, 0.1, dt.datetime(2024, 3, 5), dt.time(8, 30), "全角１２３"])
    ws.append(["乙协会", 2.5, 1e-7, dt.datetime(2024, 3, 5, 13, 45, 7), None, True])
    ws.append([None, None, None, None, None, None])
    ws.append(["丙", -3, 123456789012345.0, dt.date(2023, 5, 6), dt.timedelta(hours=30), False])
    for ref, value, fmt in (("B7", 44927, 'yyyy"年"m"月"d"日"'), ("C7", 44927.5, "yyyy/m/d h:mm"),
                            ("D7", 0.5, "h:mm"), ("E7", 45000, "0.00"), ("F7", 45000, "@")):
        ws[ref] = value
        ws[ref].number_format = fmt
    ws.merge_cells("A8:A9")
    ws["A8"] = "合并"
    ws["B9"] = "  空格  "


def test_types_merges_and_dates_read_alike(tmp_path, monkeypatch, spy):
    path = _book(tmp_path, _typed)
    fast, slow = _both(path, monkeypatch)
    _same(fast, slow)
    assert spy == [True]
    assert fast.rows[0][:2] == ["某区两新组织台账（标题行）", "某区两新组织台账（标题行）"]  # the merged title
    assert fast.rows[2][1:4] == ["12", "0.1", "2024-03-05"]
    assert fast.rows[3][5] == "TRUE" and fast.rows[4][0] == "丙"
    assert fast.rownums[6:] == [8, 9] and fast.rows[6][0] == fast.rows[7][0] == "合并"  # A8:A9 filled down
    # the same bytes (an upload) read alike
    fast_b, slow_b = _both(path.read_bytes(), monkeypatch, filename="x.xlsx")
    _same(fast_b, slow_b)
    assert fast_b.rows == fast.rows


def _patched(tmp_path: Path, name: str, cells: bytes) -> Path:
    """A workbook whose sheet holds ``cells`` after a first row of two texts (raw XML, as other tools write)."""
    base = _book(tmp_path, lambda ws: ws.append(["名称", "值"]), "base.xlsx")
    out = tmp_path / name
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", cells + b"</sheetData>")
            zout.writestr(item, data)
    return out


@pytest.mark.parametrize("name, cells, cell, text", [
    ("formula.xlsx", b'<row r="2"><c r="A2" t="str"><v>a</v></c><c r="B2"><f>1+1</f></c></row>', (1, 1), "=1+1"),
    ("error.xlsx", b'<row r="2"><c r="A2" t="str"><v>a</v></c><c r="B2" t="e"><v>#N/A</v></c></row>', (1, 1),
     "#N/A"),
    ("escape.xlsx", b'<row r="2"><c r="A2" t="inlineStr"><is><t>a_x000D_b</t></is></c></row>', (1, 0),
     "a_x000D_b"),
    ("bigint.xlsx", b'<row r="2"><c r="A2" t="str"><v>a</v></c><c r="B2"><v>12345678901234567891</v></c></row>',
     (1, 1), "12345678901234567891"),
    ("isodate.xlsx", b'<row r="2"><c r="A2" t="str"><v>a</v></c><c r="B2" t="d"><v>2024-03-05T00:00:00</v></c>'
     b'</row>', (1, 1), "2024-03-05"),
])
def test_what_calamine_reads_differently_is_read_by_openpyxl(tmp_path, monkeypatch, spy, name, cells, cell, text):
    path = _patched(tmp_path, name, cells)
    fast, slow = _both(path, monkeypatch)
    _same(fast, slow)
    assert spy == [False]
    r, c = cell
    assert fast.rows[r][c] == text


def test_a_far_cell_with_empty_content_never_reaches_calamine(tmp_path, monkeypatch):
    # calamine would hold XFD1048576 cells for this one (and abort the process); the scan sees no value there
    path = _patched(tmp_path, "far.xlsx", b'<row r="2"><c r="A2" t="str"><v>a</v></c></row>'
                                          b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is/></c></row>')

    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError(f"calamine used: {name}")
    monkeypatch.setattr(_xlsx, "_calamine", lambda: Untouchable())
    table = read_table(path)
    assert table.rows == [["名称", "值"], ["a", ""]]


def test_scan_reports_odd_cells_and_open_extent():
    xml = (b'<worksheet><sheetData><row r="1"><c r="A1" t="e"><v>#REF!</v></c><c r="B1" t="s"><v>0</v></c>'
           b'<c r="C1" t="d"><v>2024-01-01</v></c></row><row r="9"><c r="D9" t="inlineStr"><is/></c>'
           b'<c r="E9" s="1"/></row></sheetData></worksheet>')
    s = _xlsx.scan_sheet(lambda: io.BytesIO(xml), max_merges=5)
    assert s.odd_cells == 2 and s.cells == 3
    assert (s.last_row, s.last_col) == (1, 3)
    assert (s.open_row, s.open_col) == (9, 4)  # D9 is written with content tags; the empty styled E9 is not


# ---------------------------------------------------------------- the size estimate
def test_estimate_rows(demo_files, tmp_path):
    est = estimate_rows(demo_files["orgs"])
    assert est is not None and 250 <= est <= 400  # 300 orgs and 2 title/header rows, scaled from the first 64 KB
    csv = tmp_path / "x.csv"
    csv.write_text("名称,人数\n" + "".join(f"甲{i},1\n" for i in range(49)), encoding="utf-8")
    assert estimate_rows(csv) == 50
    assert estimate_rows(tmp_path / "missing.xlsx") is None
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a zip at all")
    assert estimate_rows(bad) is None


# ---------------------------------------------------------------- the early start of the local cluster
@pytest.fixture
def started(monkeypatch) -> list[str]:
    calls: list[str] = []
    engine = Engine("local", workers=2)
    monkeypatch.setattr(engine, "prestart", lambda: calls.append("prestart"))
    monkeypatch.setattr(cli_main, "get_engine", lambda scheduler=None: engine)
    return calls


FORMATS = ("html", "png", "xlsx", "pptx", "gpkg")


def test_a_small_orgs_ledger_starts_no_workers(demo_files, started):
    cli_main._engine(None, inputs=cli_main.Inputs(orgs=demo_files["orgs"]), formats=FORMATS)
    assert started == []


def test_a_big_orgs_ledger_or_the_demo_starts_workers_at_once(demo_files, started, monkeypatch):
    cli_main._engine(None, inputs=cli_main.Inputs(), formats=FORMATS)  # no ledger: the 5,000-org demo
    assert started == ["prestart"]
    monkeypatch.setattr(cli_common, "estimate_rows", lambda path: 5000)
    cli_main._engine(None, inputs=cli_main.Inputs(orgs=demo_files["orgs"]), formats=FORMATS)
    assert started == ["prestart"] * 2
    # a small run (html only), a stored round and other ledgers without orgs start nothing
    cli_main._engine(None, inputs=cli_main.Inputs(orgs=demo_files["orgs"]), formats=("html",))
    cli_main._engine(None, inputs=cli_main.Inputs(db="sqlite://", round="r1"), formats=FORMATS)
    cli_main._engine(None, inputs=cli_main.Inputs(parks=demo_files["parks"]), formats=FORMATS)
    cli_main._engine(None)
    assert started == ["prestart"] * 2


def test_sync_never_starts_workers(monkeypatch):
    engine = Engine("sync")
    monkeypatch.setattr(engine, "prestart", lambda: pytest.fail("prestart on sync"))
    monkeypatch.setattr(cli_main, "get_engine", lambda scheduler=None: engine)
    assert cli_main._engine("sync", inputs=cli_main.Inputs(), formats=FORMATS) is engine


# ---------------------------------------------------------------- the workbook writer
def _old_rows(ws, fmts, r, rows, formats, widths, *, measure):
    """The data rows as written before the short path: every cell through ``_put``, every width in full."""
    for row in rows:
        for j, v in enumerate(row):
            written = xl._put(ws, fmts, r, j, v, "", formats.get(j))
            if j < len(widths):
                widths[j] = max(widths[j], _full_width(written))
        r += 1


def _full_width(value) -> float:
    if value is None:
        return 0
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text.split("\n", 1)[0])


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core.xml: the time written


def test_the_short_path_writes_the_same_workbook(monkeypatch):
    long_cjk = "很长的单位名称" * 12
    rows = [
        ["甲", 3, 0.5, True, None, "=1+1", "a\rb", "x\x01y", long_cjk, np.int64(7), np.float64(np.nan)],
        ["＝SUM(A1)", 12, 1 / 3, np.bool_(False), ["a", "b"], "-5", "\tx", "plain", "短", 2**40, float("inf")],
        ["@x", -1, 1e-9, False, dt.date(2024, 1, 2), pd.NA, "line1\nline2 is longer", "", "全角　空格", 0, 2.5],
        [dt.datetime(2024, 1, 2, 3, 4), None, None, None, None, None, None, None, None, None, None],
    ]
    sheets = [xl.Sheet("表/1", [f"列{i}" for i in range(11)], rows, title="=标题", notes=["演示", "-注"],
                       number_formats={2: "0.0%"}),
              xl.Sheet("表2", ["名称", "内容"], [["甲", long_cjk]], widths=[10, 20])]
    new = xl.workbook_bytes(sheets)
    monkeypatch.setattr(xl, "_write_rows", _old_rows)
    old = xl.workbook_bytes(sheets)
    assert _parts(new) == _parts(old)
    ws = openpyxl.load_workbook(io.BytesIO(new))["表_1"]
    assert 50 <= ws.column_dimensions["I"].width < 51  # the long CJK column at the widest (50 + padding)
    assert ws["F5"].value == "=1+1" and ws["F5"].quotePrefix and ws["F5"].data_type == "s"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80) | st.floats(allow_nan=False) | st.integers())
def test_bounded_width_gives_the_same_column_width(value):
    def final(w):
        return min(50.0, max(6.0, w + 2))
    assert final(xl._display_width(value)) == final(_full_width(value))


# ---------------------------------------------------------------- the exit
def test_the_fork_server_ends_with_the_engines_at_exit():
    script = """
import json, os
from multiprocessing import forkserver
from lianxin_geo.core import engine as eng
e = eng.get_engine("local")
e.workers = 2
eng.LOCAL_MIN_COST = eng.LOCAL_MIN_COST_WARM = 0.0
res = e.map(abs, [-1, -2], keys=["a", "b"])
pid = forkserver._forkserver._forkserver_pid
eng._close_at_exit()
try:
    os.kill(pid, 0)
    alive = True
except ProcessLookupError:
    alive = False
print(json.dumps({"values": res.ordered(["a", "b"]), "pid": bool(pid), "alive": alive,
                  "running": e.running}))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    assert doc == {"values": [1, 2], "pid": True, "alive": False, "running": False}
