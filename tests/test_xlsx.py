"""The safe xlsx writer: layout, numbers as numbers, and the formula-injection guard."""

from __future__ import annotations

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin_geo.present.xlsx import DANGEROUS_PREFIXES, Sheet, is_dangerous, write_workbook

PAYLOADS = ["=1+1", "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1", "\r=1", "=HYPERLINK(\"http://x\",\"点击\")",
            "=cmd|' /C calc'!A0", "-", "＝1+1"]


def _cells(path, sheet=None):
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return wb, ws


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_injection_guard(tmp_path, payload):
    path = write_workbook(tmp_path / "x.xlsx", [Sheet("表", ["名称"], [[payload]], title=payload, notes=[payload])])
    _, ws = _cells(path)
    for row in (1, 2, 4):
        c = ws.cell(row=row, column=1)
        assert c.data_type == "s", (row, payload)
        assert c.value == payload.replace("\r", "\n")  # a CR is written as a line feed (both break a line)
        assert c.quotePrefix
    assert "<f>" not in (tmp_path / "x.xlsx").read_bytes().decode("latin-1")


def test_layout_numbers_and_headers(tmp_path):
    rows = [["甲", 3, 0.5, True, None], ["乙", 12, 0.25, False, ["a", "b"]]]
    path = write_workbook(tmp_path / "y.xlsx", [
        Sheet("统计/表", ["名称", "数量", "比例", "达标", "备注"], rows, title="标题", notes=["演示数据（合成）"],
              header_groups=[("基本", 2), ("结果", 3)], number_formats={2: "0.0%"})])
    wb, ws = _cells(path)
    assert wb.sheetnames == ["统计_表"]
    assert ws["A1"].value == "标题" and ws["A2"].value == "演示数据（合成）"
    assert ws["A3"].value == "基本" and ws["C3"].value == "结果"
    assert [c.value for c in ws[4]] == ["名称", "数量", "比例", "达标", "备注"]
    assert all(c.font.b for c in ws[4])
    assert ws.freeze_panes == "A5"
    assert ws["B5"].value == 3 and ws["B5"].data_type == "n"
    assert ws["C5"].value == 0.5 and ws["C5"].number_format == "0.0%"
    assert ws["D5"].value == "是" and ws["D6"].value == "否"
    assert ws["E5"].value is None and ws["E6"].value == "a、b"
    assert ws.column_dimensions["A"].width >= 6


@settings(max_examples=8, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20) | st.sampled_from(PAYLOADS).map(lambda p: p + "x"),
                min_size=1, max_size=40))
def test_any_text_is_never_a_formula(tmp_path_factory, texts):
    path = write_workbook(tmp_path_factory.mktemp("h") / "h.xlsx", [Sheet("s", ["h"], [[t] for t in texts])])
    _, ws = _cells(path)
    for i, text in enumerate(texts, start=2):
        c = ws.cell(row=i, column=1)
        assert c.data_type != "f"
        if is_dangerous(text):
            assert c.data_type == "s" and c.quotePrefix
            # only forbidden control characters go; a CR becomes a line feed
            assert c.value == ILLEGAL_CHARACTERS_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def test_prefixes_listed():
    for p in ("=", "+", "-", "@", "\t", "\r"):
        assert p in DANGEROUS_PREFIXES
    assert not is_dangerous("正常文本") and is_dangerous("=A1")


def test_workbook_bytes_is_the_same_workbook_in_memory(tmp_path):
    import io

    from lianxin_geo.present.xlsx import workbook_bytes

    data = workbook_bytes([Sheet("表", ["名称"], [["=1+1"], ["甲"]], title="标题")])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws["A"]] == ["标题", "名称", "=1+1", "甲"]
    assert ws["A3"].data_type == "s" and ws["A3"].quotePrefix
    assert list(tmp_path.iterdir()) == []
