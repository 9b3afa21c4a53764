"""Ledger text never runs as template code (hostile-input issue, item 1).

folium/branca render each element's output a second time as Jinja2 template
source. Organization names carrying ``{{ }}``, ``{% %}`` and ``{# #}`` must
survive unchanged in every export, never be evaluated, and never break a run.
"""

from __future__ import annotations

import csv
import html
import json
import re
import sqlite3
from pathlib import Path

import openpyxl
from pptx import Presentation
import pytest

from lianxin_geo.cli import main
from lianxin_geo.present import maps
from lianxin_geo.present.maps import esc
from lianxin_geo.workspace import load_workspace


def _payloads(tmp: Path) -> list[str]:
    marker = tmp / "PWNED"
    return [
        "{{ 7*7 }}公司",
        "{{未来}}科技有限公司",
        "Data{# note #}Center",
        "{% for x in range(3) %}x{% endfor %}服务中心",
        "{{ lipsum.__globals__.os.mkdir('" + str(marker) + "') }}",
        "{%raw%}百分号%与井号#{{",
        "<script>alert(1)</script>{{ config }}",
    ]


def _ledger(tmp: Path, names: list[str]) -> Path:
    path = tmp / "orgs.csv"
    header = ["单位名称", "组织类别", "所属镇街", "经度", "纬度", "坐标系", "从业人员数", "正式党员数", "党组织状态"]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for k, name in enumerate(names):
            w.writerow([name, "非公企业", "胜利街道", f"{116.640 + 0.002 * k:.5f}", "40.12000", "WGS84", "60", "1", "未建立"])
    return path


def _json_strings(text: str, key: str) -> set[str]:
    """Every ``"key": "..."`` string in the page's embedded JSON, decoded and HTML-unescaped."""
    out = set()
    for lit in re.findall(r'"' + key + r'":\s*("(?:[^"\\]|\\.)*")', text):
        out.add(html.unescape(json.loads(lit)))
    return out


def test_esc_neutralises_template_syntax_and_html():
    for s in ("{{ 7*7 }}", "{% if 1 %}", "{# c #}", "<b>&'\"</b>", "100%#"):
        e = esc(s)
        assert not set("{}#%<>\"'") & set(e.replace("&#", "").replace("&", "")), e
        assert html.unescape(e) == s


def test_html_export_keeps_names_byte_for_byte_and_runs_nothing(tmp_path, capsys):
    names = _payloads(tmp_path)
    ledger = _ledger(tmp_path, names)
    out = tmp_path / "map.html"
    code = main(["export", "--format", "html", "--orgs", str(ledger), "--out", str(out), "--time-limit", "3"])
    err = capsys.readouterr().err
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    shown = _json_strings(text, "name")
    for name in names:
        assert name in shown, name
    assert "49公司" not in shown
    assert not (tmp_path / "PWNED").exists()
    assert "<script>alert(1)</script>" not in text


def test_app_map_renders_hostile_names(tmp_path):
    names = _payloads(tmp_path)
    ws = load_workspace(orgs=_ledger(tmp_path, names))
    fmap = maps.build_map(ws, layers=["boundaries", "orgs"], asset_base="/static")
    text = fmap.get_root().render()
    shown = _json_strings(text, "name")
    assert set(names) <= shown
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.slow
def test_run_keeps_names_in_every_file(tmp_path, capsys):
    names = _payloads(tmp_path)
    ledger = _ledger(tmp_path, names)
    out = tmp_path / "out"
    code = main(["run", "--orgs", str(ledger), "--out", str(out), "--formats", "html,xlsx,pptx,gpkg,png",
                 "--time-limit", "3"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert not (tmp_path / "PWNED").exists()
    html_files = list(out.glob("*.html"))
    assert html_files
    assert set(names) <= _json_strings(html_files[0].read_text(encoding="utf-8"), "name")
    # xlsx: the names as text, none as a formula
    wb = openpyxl.load_workbook(next(out.glob("*.xlsx")))
    cells = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for name in names:
        assert name in cells, name
    # gpkg: the org layer holds the names unchanged
    gpkg = next(out.glob("*.gpkg"))
    with sqlite3.connect(gpkg) as con:
        tables = [r[0] for r in con.execute("select table_name from gpkg_contents")]
        found = set()
        for t in tables:
            cols = [r[1] for r in con.execute(f'pragma table_info("{t}")')]
            if "name" in cols:
                found |= {r[0] for r in con.execute(f'select name from "{t}"')}
    assert set(names) <= found
    # pptx: the names the deck shows are there unchanged, none evaluated
    prs = Presentation(str(next(out.glob("*.pptx"))))
    texts = [sh.text_frame.text for slide in prs.slides for sh in slide.shapes if sh.has_text_frame]
    texts += [c.text for slide in prs.slides for sh in slide.shapes if sh.has_table
              for r in sh.table.rows for c in r.cells]
    deck = "\n".join(texts)
    assert any(name in deck for name in names)
    assert "49公司" not in deck and "xxx服务中心" not in deck and "Data Center" not in deck
