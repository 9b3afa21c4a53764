"""Export what is on screen: the current selection as a PNG map, a PPTX of the chosen views, the tables as xlsx.

Pure (no Streamlit): the app's :mod:`lianxin_geo.ui.screen_export` block calls these with the page's selection.

* :func:`selected_workspace` — the workspace narrowed to the selection (its orgs; the buildings, parks and
  centers of its towns), so a map drawn from it shows only the selection;
* :func:`select_table` — the rows of a table that belong to the selected towns (a safety net: pages pass the
  tables they show, already narrowed);
* :func:`screen_figure` / :func:`screen_png` — the static meeting map (:func:`lianxin_geo.present.staticmap.draw_map`)
  of the selection, zoomed to its town;
* :func:`chart_pngs` — the deck's charts (:mod:`lianxin_geo.present.charts`) of the selection;
* :func:`screen_pptx` — one 16:9 slide per chosen :class:`ScreenView` (a picture and/or a table), a title slide
  naming the selection and the data notes;
* :func:`screen_xlsx` — every table on one sheet each (:mod:`lianxin_geo.present.xlsx`: formula guard kept).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import io
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.errors import require
from lianxin_geo.present import charts
from lianxin_geo.present.deck import DeckStyle, set_run_font
from lianxin_geo.present.plans import PlansLike
from lianxin_geo.present.selection import Selection, select_assessment
from lianxin_geo.present.sheets import frame_sheet
from lianxin_geo.present.staticmap import draw_map, figure_bytes
from lianxin_geo.present.xlsx import workbook_bytes
from lianxin_geo.workspace import Workspace

__all__ = ["CHART_VIEWS", "TOWN_CODE_COLUMNS", "TOWN_NAME_COLUMNS", "ScreenView", "chart_pngs", "map_what",
           "screen_figure", "screen_png", "screen_pptx", "screen_xlsx", "select_table", "selected_workspace"]

#: Columns that hold a town's code / name in the tables pages show (ledger names and Chinese headers).
TOWN_CODE_COLUMNS: tuple[str, ...] = ("jurisdiction_code", "镇街代码", "所在镇街代码", "town_code")
TOWN_NAME_COLUMNS: tuple[str, ...] = ("jurisdiction_name", "乡镇/街道", "镇街", "所属镇街", "所在镇街")
#: Chart view name -> what it shows (the PPTX offers these besides the map and the tables).
CHART_VIEWS: dict[str, str] = {"town_rates": "各乡镇/街道组织覆盖率", "district_rates": "三率",
                               "status_mix": "覆盖状态构成"}
_MAX_TABLE_ROWS = 14


@dataclass(frozen=True)
class ScreenView:
    """One slide: a title, a PNG picture and/or a table (the first rows), notes under it."""

    title: str
    image: bytes | None = None
    table: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _towns(ws: Workspace, sel: Selection) -> set[str]:
    return {str(t) for t in sel.town_codes(ws)}


def selected_workspace(ws: Workspace, sel: Selection, assessment: Assessment | None = None) -> Workspace:
    """``ws`` with only the selected orgs, and the buildings, parks and centers of the selected towns."""
    if sel.is_all():
        return ws
    a_orgs = assessment.orgs if assessment is not None else None
    mask = sel.org_mask(ws.orgs, a_orgs, district=ws.district if sel.community is not None else None)
    towns = _towns(ws, sel)

    def _keep(frame: pd.DataFrame) -> pd.DataFrame:
        if not towns or frame is None or "jurisdiction_code" not in frame:
            return frame
        return frame[frame["jurisdiction_code"].astype(str).isin(towns)]

    return dataclasses.replace(ws, orgs=ws.orgs.loc[mask], buildings=_keep(ws.buildings), parks=_keep(ws.parks),
                               centers=_keep(ws.centers))


def select_table(df: pd.DataFrame, ws: Workspace, sel: Selection) -> pd.DataFrame:
    """The rows of ``df`` in the selected towns, found by a town code or town name column (``df`` itself when it
    has neither or the selection has no towns)."""
    towns = _towns(ws, sel)
    if not towns or df is None or not len(df):
        return df
    for col in TOWN_CODE_COLUMNS:
        if col in df:
            return df[df[col].astype(str).isin(towns)]
    names = {ws.district.town_names.get(t, t) for t in towns}
    for col in TOWN_NAME_COLUMNS:
        if col in df:
            return df[df[col].astype(str).isin(names)]
    return df


def map_what(layers: Sequence[str]) -> str:
    """The static map kind for a page's layers: routes, joint units, coverage, else the overview."""
    got = set(layers)
    if got & {"routes", "stops"}:
        return "routes"
    if got & {"joint", "units", "hubs"}:
        return "joint"
    if got & {"coverage", "gaps", "sites", "circles"}:
        return "coverage"
    return "overview"


def screen_figure(ws: Workspace, sel: Selection, *, assessment: Assessment | None = None, plans: PlansLike = None,
                  what: str = "overview", title: str | None = None, date: _dt.date | None = None) -> Any:
    """The meeting map of the selection (its orgs only, zoomed to its town when there is one)."""
    sub = selected_workspace(ws, sel, assessment)
    a = select_assessment(assessment, sel, ws) if assessment is not None else None
    towns = sorted(_towns(ws, sel))
    heading = title or f"{sel.label(ws)} 两新党建"
    return draw_map(sub, what=what, plans=plans, assessment=a, title=heading,  # type: ignore[arg-type]
                    focus=towns[0] if len(towns) == 1 else None, date=date)


def screen_png(ws: Workspace, sel: Selection, *, assessment: Assessment | None = None, plans: PlansLike = None,
               what: str = "overview", title: str | None = None, dpi: int = 150) -> bytes:
    """:func:`screen_figure` as PNG bytes."""
    return figure_bytes(screen_figure(ws, sel, assessment=assessment, plans=plans, what=what, title=title), dpi=dpi)


def chart_pngs(a: Assessment, *, target: float | None, which: Sequence[str] = tuple(CHART_VIEWS),
               dpi: int = 120) -> list[tuple[str, bytes]]:
    """``(title, PNG)`` of the chosen charts of ``a`` (already the selection's assessment)."""
    out = []
    for name in which:
        if name == "town_rates":
            fig = charts.town_rates_figure(a, target=target)
        elif name == "district_rates":
            fig = charts.district_rates_figure(a, targets={"组织覆盖率": target} if target is not None else None)
        elif name == "status_mix":
            fig = charts.status_mix_figure(a)
        else:
            raise ValueError(f"未知图表 {name!r}：可选 {'、'.join(CHART_VIEWS)}")
        out.append((CHART_VIEWS[name], figure_bytes(fig, dpi=dpi)))
    return out


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "—"
    if isinstance(v, (bool, np.bool_)):
        return "是" if v else "否"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):,.2f}".rstrip("0").rstrip(".")
    if isinstance(v, (list, tuple)):
        return "、".join(map(str, v))
    return str(v)


def _put_text(slide: Any, box: tuple[float, float, float, float], lines: Sequence[str], style: DeckStyle, *,
              size: float, bold: bool = False, color: str | None = None) -> None:
    from pptx.util import Inches

    shape = slide.shapes.add_textbox(*(Inches(v) for v in box))
    tf = shape.text_frame
    tf.word_wrap = True
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        run = p.add_run()
        run.text = line
        set_run_font(run, latin=style.latin, east_asian=style.east_asian, size=size, bold=bold, color=color)


def _put_table(slide: Any, df: pd.DataFrame, box: tuple[float, float, float, float], style: DeckStyle) -> None:
    from pptx.util import Inches

    df = df.head(_MAX_TABLE_ROWS)
    cols = [str(c) for c in df.columns][:10]
    shape = slide.shapes.add_table(len(df) + 1, len(cols), *(Inches(v) for v in box))
    table = shape.table
    for j, c in enumerate(cols):
        cell = table.cell(0, j)
        cell.text = ""
        run = cell.text_frame.paragraphs[0].add_run()
        run.text = c
        set_run_font(run, latin=style.latin, east_asian=style.east_asian, size=10, bold=True)
    for i, rec in enumerate(df.iloc[:, :len(cols)].itertuples(index=False, name=None), start=1):
        for j, v in enumerate(rec):
            cell = table.cell(i, j)
            cell.text = ""
            run = cell.text_frame.paragraphs[0].add_run()
            run.text = _cell(v)[:60]
            set_run_font(run, latin=style.latin, east_asian=style.east_asian, size=9)


def _put_picture(slide: Any, png: bytes, box: tuple[float, float, float, float]) -> None:
    from PIL import Image
    from pptx.util import Inches

    x, y, w, h = box
    with Image.open(io.BytesIO(png)) as im:
        ratio = im.width / im.height
    if w / h > ratio:
        pw, ph = h * ratio, h
    else:
        pw, ph = w, w / ratio
    slide.shapes.add_picture(io.BytesIO(png), Inches(x + (w - pw) / 2), Inches(y + (h - ph) / 2), Inches(pw),
                             Inches(ph))


def screen_pptx(views: Sequence[ScreenView], *, title: str, notes: Sequence[str] = (),
                style: DeckStyle | None = None, date: _dt.date | None = None) -> bytes:
    """A 16:9 deck: a title slide (``title``, date, ``notes``), then one slide per view; returned as bytes."""
    require("pptx", extra="export", purpose="导出幻灯片")
    from pptx import Presentation
    from pptx.util import Inches

    style = style or DeckStyle()
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]
    s = prs.slides.add_slide(blank)
    _put_text(s, (0.8, 2.4, 11.7, 1.2), [title], style, size=32, bold=True, color=style.accent)
    _put_text(s, (0.8, 3.7, 11.7, 0.6), [f"导出日期：{(date or _dt.date.today()).isoformat()}"], style, size=16)
    if notes:
        _put_text(s, (0.8, 5.6, 11.7, 1.4), ["数据说明：" + n for n in notes], style, size=12,
                  color=style.note_color)
    for v in views:
        s = prs.slides.add_slide(blank)
        _put_text(s, (0.5, 0.25, 12.3, 0.7), [v.title], style, size=24, bold=True, color=style.accent)
        body = (0.5, 1.05, 12.3, 5.7)
        if v.image is not None and v.table is not None and len(v.table):
            _put_picture(s, v.image, (0.5, 1.05, 6.9, 5.7))
            _put_table(s, v.table, (7.6, 1.05, 5.2, 0.3), style)
        elif v.image is not None:
            _put_picture(s, v.image, body)
        elif v.table is not None:
            _put_table(s, v.table, (0.5, 1.05, 12.3, 0.3), style)
        foot = list(v.notes) + list(notes)
        if foot:
            _put_text(s, (0.5, 6.85, 12.3, 0.6), ["；".join(foot)], style, size=10, color=style.note_color)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def screen_xlsx(tables: Mapping[str, pd.DataFrame], *, title: str, notes: Sequence[str] = ()) -> bytes:
    """Every table on its own sheet (headers as shown; rate columns of fractions as percents), in memory."""
    sheets = []
    for name, df in tables.items():
        df = df if df is not None else pd.DataFrame()
        cols = {str(c): str(c) for c in df.columns}
        frame = df.rename(columns=str)
        pct = [c for c in cols if "率" in c and pd.api.types.is_float_dtype(frame[c])
               and frame[c].dropna().between(0, 1).all()]
        sheets.append(frame_sheet(name, f"{title} · {name}", frame, cols, list(notes), pct=pct))
    if not sheets:
        sheets.append(frame_sheet("说明", title, pd.DataFrame(), {}, [*notes, "当前页面没有表格。"]))
    return workbook_bytes(sheets)
