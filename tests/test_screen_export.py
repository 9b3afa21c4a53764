"""Export what is on screen (lianxin_geo.present.screen): the PNG map, the PPTX and the xlsx of a one-town
selection contain that town's records only."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from lianxin_geo.pipeline import run_assessment
from lianxin_geo.present import screen
from lianxin_geo.present.selection import Selection, select_assessment


@pytest.fixture(scope="module")
def case(demo_ws):
    a = run_assessment(demo_ws)
    counts = demo_ws.orgs["jurisdiction_code"].astype(str).value_counts()
    town = str(counts.index[0])
    return demo_ws, a, town


def _org_points(fig) -> np.ndarray:
    """The lon/lat of every point drawn on the map axes (orgs and centers)."""
    ax = fig.axes[0]
    pts = [c.get_offsets() for c in ax.collections if hasattr(c, "get_offsets") and len(c.get_offsets())]
    return np.vstack(pts) if pts else np.zeros((0, 2))


def test_selected_workspace_keeps_the_town_only(case):
    ws, a, town = case
    sub = screen.selected_workspace(ws, Selection(towns=(town,)), a)
    assert len(sub.orgs) == int((ws.orgs["jurisdiction_code"].astype(str) == town).sum())
    assert set(sub.orgs["jurisdiction_code"].astype(str)) == {town}
    assert set(sub.centers["jurisdiction_code"].astype(str)) <= {town}
    assert len(ws.orgs) > len(sub.orgs)  # the workspace itself is untouched
    assert screen.selected_workspace(ws, Selection(), a) is ws


def test_png_map_draws_only_the_selected_town(case):
    ws, a, town = case
    sel = Selection(towns=(town,))
    fig = screen.screen_figure(ws, sel, assessment=a, title="测试")
    pts = _org_points(fig)
    sub = screen.selected_workspace(ws, sel, a)
    located = sub.orgs.dropna(subset=["lon", "lat"])
    centers = sub.centers.dropna(subset=["lon", "lat"]) if len(sub.centers) else sub.centers
    assert len(pts) == len(located) + len(centers)
    # every point is inside the town's bounding box (the other towns' orgs are not drawn)
    minx, miny, maxx, maxy = ws.district.jurisdictions.set_index(
        ws.district.jurisdictions["code"].astype(str)).loc[town].geometry.bounds
    assert ((pts[:, 0] >= minx - 1e-6) & (pts[:, 0] <= maxx + 1e-6)).all()
    assert ((pts[:, 1] >= miny - 1e-6) & (pts[:, 1] <= maxy + 1e-6)).all()
    whole = _org_points(screen.screen_figure(ws, Selection(), assessment=a))
    assert len(whole) > len(pts)
    png = screen.screen_png(ws, sel, assessment=a, dpi=60)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_tables_are_narrowed_to_the_selection(case):
    ws, a, town = case
    sel = Selection(towns=(town,))
    name = ws.district.town_names[town]
    j = a.jurisdictions.rename(columns={"name": "乡镇/街道"})
    assert set(screen.select_table(j, ws, sel)["乡镇/街道"]) == {name}
    acts = a.actions
    got = screen.select_table(acts, ws, sel)
    assert set(got["jurisdiction_code"].astype(str)) == {town} and len(got) < len(acts)
    plain = pd.DataFrame({"x": [1, 2]})
    assert screen.select_table(plain, ws, sel) is plain


def _pptx_texts(data: bytes) -> list[list[str]]:
    from pptx import Presentation

    out = []
    for slide in Presentation(io.BytesIO(data)).slides:
        texts = []
        for sh in slide.shapes:
            if sh.has_text_frame:
                texts.append(sh.text_frame.text)
            if sh.has_table:
                texts += [c.text for row in sh.table.rows for c in row.cells]
        out.append(texts)
    return out


def test_pptx_has_one_slide_per_view_with_the_town_only(case):
    pytest.importorskip("pptx")
    ws, a, town = case
    sel = Selection(towns=(town,))
    name = ws.district.town_names[town]
    others = set(ws.district.town_names.values()) - {name}
    sa = select_assessment(a, sel, ws)
    table = screen.select_table(sa.jurisdictions[["name", "orgs"]].rename(columns={"name": "乡镇/街道",
                                                                                    "orgs": "单位数"}), ws, sel)
    charts = screen.chart_pngs(sa, target=0.9, which=("town_rates",), dpi=50)
    views = [screen.ScreenView("地图", image=screen.screen_png(ws, sel, assessment=a, dpi=50)),
             screen.ScreenView(charts[0][0], image=charts[0][1], table=table),
             screen.ScreenView("各乡镇/街道", table=table)]
    data = screen.screen_pptx(views, title=f"总览 · {sel.label(ws)}", notes=["演示数据"])
    slides = _pptx_texts(data)
    assert len(slides) == 1 + len(views)
    assert any(name in t for t in slides[0])
    cells = [t for s in slides[1:] for t in s]
    assert name in cells and "单位数" in cells
    assert not (set(cells) & others)  # no other town's row
    from pptx import Presentation

    pics = [sum(1 for sh in s.shapes if sh.shape_type == 13) for s in Presentation(io.BytesIO(data)).slides]
    assert pics == [0, 1, 1, 0]


def test_xlsx_holds_the_selected_rows_with_the_formula_guard(case):
    ws, a, town = case
    sel = Selection(towns=(town,))
    sa = select_assessment(a, sel, ws)
    acts = screen.select_table(a.actions, ws, sel).rename(columns={"org_name": "单位名称", "jurisdiction_code": "镇街代码",
                                                                     "action": "措施"})[["单位名称", "镇街代码", "措施"]]
    rates = sa.jurisdictions[["name", "org_coverage_rate"]].rename(columns={"name": "乡镇/街道",
                                                                            "org_coverage_rate": "组织覆盖率"})
    evil = pd.DataFrame({"单位名称": ["=HYPERLINK(\"http://x\")"], "镇街代码": [town], "措施": ["无"]})
    data = screen.screen_xlsx({"措施": pd.concat([acts, evil]), "覆盖率": rates}, title="总览", notes=["演示数据"])
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["措施", "覆盖率"]
    rows = [r for r in book["措施"].iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r[:3] == ("单位名称", "镇街代码", "措施"))
    body = rows[header + 1:]
    assert len(body) == len(acts) + 1
    assert {str(r[1]) for r in body} == {town}
    evil_cell = next(c for row in book["措施"].iter_rows() for c in row if str(c.value).startswith("=HYPER"))
    assert evil_cell.data_type == "s" and evil_cell.quotePrefix  # text, never a formula (the guard is kept)
    sh = book["覆盖率"]
    cells = [c for row in sh.iter_rows() for c in row if isinstance(c.value, float)]
    assert cells and all(c.number_format == "0.0%" for c in cells)
