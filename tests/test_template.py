"""The standard template: four sheets, canonical headers, help comments, drop-downs, reads back empty."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lianxin_geo.ingest.ledger import detect_kind, read_ledger
from lianxin_geo.core.model import SCHEMAS
from lianxin_geo.ingest.template import SHEET_NAMES, write_template

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "data" / "templates" / "ledger_template.xlsx"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("tpl") / "sub" / "模板.xlsx", rows=50)


def test_sheets_headers_and_styles(template):
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["组织", "楼宇", "园区", "阵地"]
    for kind, name in SHEET_NAMES.items():
        ws = wb[name]
        schema = SCHEMAS[kind]
        headers = [c.value for c in ws[1]]
        assert headers == list(schema.headers)
        assert ws.freeze_panes == "A2"
        assert ws.max_row == 1
        for cell, spec in zip(ws[1], schema.columns):
            assert cell.font.b
            assert cell.comment is not None and cell.comment.text.startswith(spec.header)
            if spec.aliases:
                assert spec.aliases[0] in cell.comment.text
            assert ws.column_dimensions[cell.column_letter].width >= 10
        # one drop-down per enum / bool column, listing exactly the allowed values
        dvs = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
        for cell, spec in zip(ws[1], schema.columns):
            ref = f"{cell.column_letter}2"
            if spec.type == "enum":
                assert dvs[ref] == '"' + ",".join(spec.choices) + '"'
            elif spec.type == "bool":
                assert dvs[ref] == '"是,否"'
            else:
                assert ref not in dvs
    org = wb["组织"]
    required = [c for c in org[1] if c.value in ("单位名称", "组织类别")]
    assert all(c.font.color.rgb.endswith("C00000") for c in required)


@pytest.mark.parametrize("path", ["fresh", "committed"])
@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_reads_back_empty_without_issues(template, path, kind):
    src = template if path == "fresh" else COMMITTED
    assert src.exists(), "run write_template('data/templates/ledger_template.xlsx')"
    res = read_ledger(src, kind)
    assert res.sheet == SHEET_NAMES[kind]
    assert (res.rows_in, res.n_accepted, res.n_rejected, res.header_row) == (0, 0, 0, 1)
    assert res.issues == []
    assert detect_kind(src, sheet=SHEET_NAMES[kind]) == kind


def test_committed_template_is_current(template):
    fresh = openpyxl.load_workbook(template)
    committed = openpyxl.load_workbook(COMMITTED)
    assert committed.sheetnames == fresh.sheetnames
    for name in fresh.sheetnames:
        assert [c.value for c in committed[name][1]] == [c.value for c in fresh[name][1]]
        assert [c.comment.text for c in committed[name][1]] == [c.comment.text for c in fresh[name][1]]


def test_filled_template_round_trip(tmp_path):
    path = write_template(tmp_path / "t.xlsx", rows=10)
    wb = openpyxl.load_workbook(path)
    ws = wb["阵地"]
    values = {"名称": "仁和镇党群活动服务中心", "层级": "镇级", "所属镇街": "仁和镇", "建筑面积": 1300,
              "有场所": "是", "有党旗": "否", "数据来源": "演示数据（合成）"}
    for cell in ws[1]:
        if cell.value in values:
            ws.cell(row=2, column=cell.column, value=values[cell.value])
    wb.save(path)
    res = read_ledger(path, "centers")
    assert (res.rows_in, res.n_accepted) == (1, 1)
    rec = res.accepted.iloc[0]
    assert rec["row"] == 2 and rec["level"] == "镇级" and rec["floor_area"] == 1300.0
    assert bool(rec["has_site"]) and not bool(rec["has_flag"])
    assert pd.isna(rec["has_books"])  # left blank: not reported, which R16 does not count as 否
    assert rec["source"] == "演示数据（合成）"
    assert rec["id"].startswith("C") and len(rec["id"]) == 12


def test_docs_list_every_column_alias_and_value():
    text = (ROOT / "docs" / "ledger.md").read_text(encoding="utf-8")
    for kind, schema in SCHEMAS.items():
        assert f"`{kind}`" in text and SHEET_NAMES[kind] in text
        for spec in schema.columns:
            assert f"| `{spec.key}` | {spec.header} |" in text, spec.key
            for word in (*spec.aliases, *spec.choices):
                assert word in text, (spec.key, word)
