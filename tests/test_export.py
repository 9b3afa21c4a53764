"""Exports: every file opens with its own reader and carries what it should.

One module-scoped :func:`lianxin_geo.pipeline.run_all` on a small demo (short solver
limits, low dpi) produces every file; the tests below open them with openpyxl,
python-pptx, pyogrio and Pillow.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin_geo.pipeline import run_all, run_assessment, run_plans
from lianxin_geo.present import export
from lianxin_geo.present.outdir import MANIFEST_NAME, verify_manifest
from lianxin_geo.present.plans import Plans, as_plans, plan_mapping
from lianxin_geo.present.staticmap import nice_scale_km

EVIL = '=HYPERLINK("x")'
DPI = 60


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from lianxin_geo.workspace import load_workspace

    ws = load_workspace(demo_orgs=500)
    ws.orgs = ws.orgs.copy()
    ws.orgs.loc[ws.orgs.index[0], "name"] = EVIL  # a ledger name that must never run as a formula
    out = tmp_path_factory.mktemp("export")
    a = run_assessment(ws)
    _, plans = run_plans(ws, assessment=a, time_limit_s=4, k=3)
    msgs: list[str] = []
    files = run_all(ws, out, formats=export.FORMATS, assessment=a, plans=plans, progress=msgs.append,
                    gcj02=True, max_town_slides=1, dpi=DPI, extra_json={"validation": {"orgs": {"rows_in": 1}}})
    return {"ws": ws, "a": a, "plans": plans, "files": files, "msgs": msgs, "out": out}


def _header_row(sheet) -> int:
    return int(re.sub(r"\D", "", sheet.freeze_panes)) - 1


def _data_rows(sheet) -> int:
    return sheet.max_row - _header_row(sheet)


# ---------------------------------------------------------------- run_all
def test_run_all_writes_every_file(run):
    files = run["files"]
    for key in ("html", "png", "png_joint", "png_routes", "png_coverage", "pdf", "xlsx", "pptx", "gpkg",
                "gpkg_gcj02", "geojson"):
        assert key in files, key
        assert files[key].exists()
        assert files[key].parent == run["out"]
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    assert json.loads(files["validation"].read_text(encoding="utf-8")) == {"orgs": {"rows_in": 1}}
    assert any("完成" in m for m in run["msgs"])


def test_run_folder_is_complete_with_manifest_and_no_temporaries(run):
    out = run["out"]
    assert verify_manifest(out) == []
    doc = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    names = {e["name"] for e in doc["files"]}
    assert {"map.html", "tables.xlsx", "deck.pptx", "layers.gpkg", "validation.json", "geojson/orgs.geojson"} <= names
    assert doc["finished"]
    assert not [p for p in out.parent.iterdir() if ".lianxin-tmp-" in p.name]
    assert not [p for p in out.rglob("*") if p.name.startswith(".lianxin-tmp-")]


def test_run_all_rejects_unknown_format(run, tmp_path):
    with pytest.raises(ValueError, match="未知导出格式"):
        run_all(run["ws"], tmp_path, formats=("docx",), assessment=run["a"], plans=run["plans"])


def test_plans_dataclass_and_mapping_checked(run):
    joint = run["plans"].joint
    p = Plans(joint=joint)
    assert p.as_mapping() == {"joint": joint}
    assert plan_mapping(p) == {"joint": joint}
    assert "joint" in p and "routes" not in p
    assert as_plans({"joint": joint, "routes": None}).as_mapping() == {"joint": joint}
    assert plan_mapping({"routes": None}) == {}
    with pytest.raises(ValueError, match="plans"):
        plan_mapping({"joints": 1})
    # presenters take the typed results only: a to_json() dict or another kind of plan is refused
    with pytest.raises(TypeError, match="to_json"):
        plan_mapping({"joint": joint.to_json()})
    with pytest.raises(TypeError, match="InstructorPlan"):
        as_plans(Plans(routes=joint))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="CoveragePlan"):
        export.export_plan_xlsx(run["ws"], "never.xlsx", plans={"coverage": {"gaps": []}})


# ---------------------------------------------------------------- HTML
def test_html_is_self_contained_and_labelled(run):
    from lianxin_geo.present.assets import external_urls

    html = run["files"]["html"].read_text(encoding="utf-8")
    assert external_urls(html) == []
    for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", html):
        assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", tag), tag
    assert "L.map(" in html or "L.map (" in html  # Leaflet inlined and used
    assert 'data-asset="leaflet"' in html

    def has(text: str) -> bool:  # folium writes layer names as JSON (\\uXXXX escapes)
        return text in html or json.dumps(text)[1:-1] in html

    for label in ("联建方案", "指导员路线", "覆盖缺口", "建议新增阵地", "党群活动服务中心"):
        assert has(label), label
    assert has("（演示数据（合成））") and has("（示意边界，非官方）")  # synthetic / approximate layers labelled
    assert has("覆盖状态")  # legend
    assert has(run["ws"].data_notes[0])  # data notes on the map


# ---------------------------------------------------------------- static maps
def test_png_size_and_not_blank(run):
    from PIL import Image

    for key in ("png", "png_joint", "png_routes", "png_coverage"):
        with Image.open(run["files"][key]) as im:
            assert im.size == (round(11.69 * DPI), round(8.27 * DPI))
            px = np.asarray(im.convert("L"), dtype=float)
        assert px.std() > 10, key  # not a blank page
        assert (px < 100).mean() > 0.005, key  # dark ink: boundaries, text, points


def test_png_dpi_and_focus(run, tmp_path):
    from PIL import Image

    code = str(run["a"].jurisdictions["code"].iloc[0])
    p = export.export_png(run["ws"], tmp_path / "town.png", plans=run["plans"], assessment=run["a"], what="routes",
                          focus=code, dpi=40, size_in=(5.0, 4.0))
    with Image.open(p) as im:
        assert im.size == (200, 160)
    with pytest.raises(ValueError, match="未知地图类型"):
        export.export_png(run["ws"], tmp_path / "x.png", what="heatmap")
    with pytest.raises(ValueError, match="focus"):
        export.export_png(run["ws"], tmp_path / "x.png", focus="999999999")


def test_cjk_font_is_bundled_and_used():
    from matplotlib import font_manager

    from lianxin_geo.present import staticmap as _staticmap

    family = _staticmap.ensure_font()
    assert _staticmap.FONT_PATH.is_file() and _staticmap.FONT_PATH.stat().st_size < 5_000_000
    found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert found == str(_staticmap.FONT_PATH)
    from fontTools.ttLib import TTFont

    with TTFont(_staticmap.FONT_PATH) as font:
        cmap = font.getBestCmap()
        assert "glyf" in font  # TrueType outlines: embeds cleanly in PDF
    import pandas as pd

    from lianxin_geo.core.paths import data_dir

    names = pd.read_csv(data_dir() / "boundaries" / "shunyi_towns.csv", dtype=str)
    text = "".join(names.astype(str).to_numpy().ravel()) + "两新党建覆盖率指导员联建阵地顺义区（）、：；"
    missing = sorted({c for c in text if ord(c) > 0x2E7F and ord(c) not in cmap})
    assert missing == []


def test_pdf_embeds_bundled_font(run):
    data = run["files"]["pdf"].read_bytes()
    assert b"WenQuanYi" in data
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") + data.count(b"/Type/Page") >= 1


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.01, max_value=1e5, allow_nan=False))
def test_scale_bar_length_is_round(span):
    km = nice_scale_km(span)
    mant = km / 10 ** math.floor(math.log10(km) + 1e-12)
    assert min(abs(mant - m) for m in (1, 2, 5)) < 1e-9
    assert km <= span / 5 * (1 + 1e-9)
    assert km > span / 5 / 2.5 - 1e-12


# ---------------------------------------------------------------- Excel
def test_xlsx_sheets_and_row_counts(run):
    import openpyxl

    a, plans = run["a"], run["plans"]
    wb = openpyxl.load_workbook(run["files"]["xlsx"])
    names = wb.sheetnames
    assert names[0] == "说明"
    for n in ("附件1 非公企业统计表", "附件2 非公企业汇总表", "附件3 社会组织统计表", "附件4 社会组织汇总表", "覆盖率",
              "阵地达标", "联建单元", "联建成员", "未纳入联建", "指导员路线", "路线单", "建议新增阵地", "台账校验"):
        assert n in names, n
    units = plans.joint.units
    assert _data_rows(wb["联建单元"]) == len(units)
    assert _data_rows(wb["联建成员"]) == sum(len(ids) for ids in units["org_ids"])
    assert _data_rows(wb["指导员路线"]) == len(plans.routes.routes)
    assert _data_rows(wb["路线单"]) == len(plans.routes.route_sheet())
    assert _data_rows(wb["建议新增阵地"]) == len(plans.coverage.proposed_sites)
    assert _data_rows(wb["附件1 非公企业统计表"]) == int((a.orgs["kind"] == "非公企业").sum())
    assert _data_rows(wb["覆盖率"]) == len(a.jurisdictions)
    issues = sum(len(r.issues) for r in run["ws"].ledgers.values())
    assert _data_rows(wb["台账校验"]) == issues
    ws = wb["联建单元"]
    hr = _header_row(ws)
    headers = [c.value for c in ws[hr]]
    assert headers[:3] == ["联建单元", "镇街", "镇街代码"]
    n_col = headers.index("单位数") + 1
    assert all(isinstance(ws.cell(row=r, column=n_col).value, int) for r in range(hr + 1, ws.max_row + 1))
    assert ws.freeze_panes == f"A{hr + 1}"
    assert ws.column_dimensions["A"].width >= 10
    note_text = " ".join(str(ws.cell(row=r, column=1).value) for r in range(1, hr))
    assert "演示数据" in note_text


def test_xlsx_formula_text_stays_text(run):
    import openpyxl

    wb = openpyxl.load_workbook(run["files"]["xlsx"])
    hits = []
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                if c.value == EVIL:
                    hits.append(c)
    assert hits, "the crafted name must appear in the workbook"
    for c in hits:
        assert c.data_type == "s"
        assert c.quotePrefix
    # and nothing anywhere is a formula
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_xlsx_one_sheet_per_org(run, tmp_path):
    import openpyxl

    import dataclasses

    ws, a = run["ws"], run["a"]
    sub = dataclasses.replace(a, orgs=a.orgs.head(5))
    p = export.export_xlsx(ws, tmp_path / "cards.xlsx", assessment=sub, per_org_sheets=True)
    wb = openpyxl.load_workbook(p)
    cards = [n for n in wb.sheetnames if re.match(r"^\d{4} ", n)]
    assert len(cards) == 5
    first = wb[cards[0]]
    assert first.cell(row=1, column=1).value.startswith(("一企一表", "一社一表"))


# ---------------------------------------------------------------- PowerPoint
def test_pptx_slides_and_east_asian_fonts(run):
    from pptx import Presentation
    from pptx.oxml.ns import qn

    prs = Presentation(run["files"]["pptx"])
    slides = list(prs.slides)
    titles = [next(s.shapes.__iter__()).text_frame.text for s in slides]
    # title, key figures, 3 assessment charts, map, 1 town, joint units + its chart, routes + its chart, then the
    # venue table over as many slides as it needs
    from lianxin_geo.present.deck import _VENUE_ROWS_PER_SLIDE

    failing = int((~run["a"].venues["compliant"].astype(bool)).sum())
    venue_pages = max(1, -(-failing // _VENUE_ROWS_PER_SLIDE))
    assert len(slides) == 11 + venue_pages
    assert sum(1 for t in titles if t.startswith("党群活动服务中心达标情况")) == venue_pages
    assert titles[1] == "关键数据" and titles[2] == "全区三率" and titles[5] == "全区地图"
    assert titles[6].startswith("需关注：")
    assert "联建单元规模" in titles and "指导员路线时长" in titles
    assert any(t == "联建方案摘要" for t in titles) and any("达标" in t for t in titles)
    n_runs = 0
    for s in slides:
        texts = [sh.text_frame.text for sh in s.shapes if sh.has_text_frame]
        assert any(t.startswith("数据说明：") and "演示数据" in t for t in texts)
        for r in s._element.iter(qn("a:r")):
            rpr = r.find(qn("a:rPr"))
            assert rpr is not None
            ea = rpr.find(qn("a:ea"))
            assert ea is not None and ea.get("typeface")
            n_runs += 1
    assert n_runs > 50
    pics = [sh for sh in slides[5].shapes if sh.shape_type == 13]
    assert len(pics) == 1


def test_set_run_font_schema_order():
    from pptx import Presentation
    from pptx.oxml.ns import qn

    from lianxin_geo.present.deck import set_run_font

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    tb = slide.shapes.add_textbox(0, 0, 100, 100)
    run = tb.text_frame.paragraphs[0].add_run()
    run.text = "顺义区"
    set_run_font(run, latin="Arial", east_asian="宋体", size=12, bold=True)
    set_run_font(run, latin="Arial", east_asian="黑体")  # twice: replaced, not duplicated
    tags = [el.tag for el in run._r.rPr]
    assert tags.index(qn("a:latin")) < tags.index(qn("a:ea")) < tags.index(qn("a:cs"))
    assert len(run._r.rPr.findall(qn("a:ea"))) == 1
    assert run._r.rPr.find(qn("a:ea")).get("typeface") == "黑体"


# ---------------------------------------------------------------- GIS layers
def test_gpkg_layers_and_counts(run):
    import pyogrio

    ws, plans = run["ws"], run["plans"]
    path = run["files"]["gpkg"]
    layers = dict(pyogrio.list_layers(path))
    for name in ("jurisdictions", "orgs", "centers", "joint_units", "routes", "gaps", "proposed_sites"):
        assert name in layers, name
    orgs = pyogrio.read_dataframe(path, layer="orgs")
    lon = ws.orgs["lon"].astype(float)
    assert len(orgs) == int((lon.notna() & ws.orgs["lat"].astype(float).notna()).sum())
    assert orgs.crs.to_epsg() == 4326
    assert EVIL in set(orgs["name"])
    assert len(pyogrio.read_dataframe(path, layer="jurisdictions")) == len(ws.district.jurisdictions)
    assert len(pyogrio.read_dataframe(path, layer="joint_units")) == len(plans.joint.units)
    assert len(pyogrio.read_dataframe(path, layer="routes")) == len(plans.routes.routes)
    assert len(pyogrio.read_dataframe(path, layer="proposed_sites")) == len(plans.coverage.proposed_sites)
    assert set(orgs["data_note"]) == {"演示数据（合成），非真实台账 / synthetic demo data, not a real ledger"}


def test_gcj02_copy_shifts_every_vertex(run):
    import pyogrio
    import shapely

    from lianxin_geo.core.crs import wgs84_to_gcj02

    w = pyogrio.read_dataframe(run["files"]["gpkg"], layer="jurisdictions")
    g = pyogrio.read_dataframe(run["files"]["gpkg_gcj02"], layer="jurisdictions")
    cw = shapely.get_coordinates(w.geometry.to_numpy())
    cg = shapely.get_coordinates(g.geometry.to_numpy())
    assert cw.shape == cg.shape
    ex, ey = wgs84_to_gcj02(cw[:, 0], cw[:, 1])
    np.testing.assert_allclose(cg[:, 0], ex, atol=1e-9)
    np.testing.assert_allclose(cg[:, 1], ey, atol=1e-9)
    assert np.abs(cg - cw).max() > 1e-3  # really shifted (hundreds of metres in Beijing)
    folder = run["files"]["geojson"]
    assert (folder / "orgs.geojson").exists() and (folder / "orgs_gcj02.geojson").exists()
    back = pyogrio.read_dataframe(folder / "routes.geojson")
    assert len(back) == len(run["plans"].routes.routes)
