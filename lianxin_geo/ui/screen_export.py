"""“导出当前画面”: a small block every page can call to hand out what is on screen.

``screen_export(page_name, selection, tables, layers)`` offers the current selection as a PNG (the static meeting
map, :mod:`lianxin_geo.present.staticmap`), as a PPTX (one slide per chosen view: the map, the charts, the
tables) and the page's tables as an xlsx (formula guard kept). Files are built only when the user clicks their
download button (Streamlit's deferred ``data=callable``), so drawing a page costs nothing; every download is
written to the audit (:func:`lianxin_geo.ui.auth.record`). The builders are pure: :mod:`lianxin_geo.present.screen`.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import pandas as pd
import streamlit as st

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.present import screen
from lianxin_geo.present.plans import PlansLike
from lianxin_geo.present.selection import Selection, select_assessment
from lianxin_geo.ui import auth, state
from lianxin_geo.ui.widgets import markdown_text
from lianxin_geo.workspace import Workspace

__all__ = ["screen_export"]

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
_MAP = "地图"


def _file_stem(page_name: str, sel: Selection, ws: Workspace) -> str:
    """``总览_顺义区-仁和镇``: the page and the selection, safe as a file name."""
    label = re.sub(r"[\\/:*?\"<>|\s›·]+", "-", sel.label(ws)).strip("-")
    return f"{page_name}_{label}"[:80]


def _target(ws: Workspace) -> float | None:
    try:
        return float(ws.profile.get("targets.enterprise"))
    except (KeyError, TypeError, ValueError):
        return None


def screen_export(page_name: str, selection: Selection, tables: Mapping[str, pd.DataFrame],
                  layers: Sequence[str] = (), *, ws: Workspace | None = None, assessment: Assessment | None = None,
                  plans: PlansLike = None, key: str | None = None) -> None:
    """Offer the page's selection as PNG / PPTX and its ``tables`` (title -> frame as shown) as xlsx.

    Parameters
    ----------
    page_name
        The page's title (file names, slide titles).
    selection
        The selection the page shows.
    tables
        The tables on screen, by title, with the headers they show; rows outside the selection's towns are
        dropped (:func:`lianxin_geo.present.screen.select_table`).
    layers
        The map layers on screen: decides the static map (overview, joint units, routes or coverage).
    ws, assessment, plans
        Default: the session's workspace and its assessment (a page that passes its own ``ws`` passes its
        assessment too, or none); ``plans`` the typed plans drawn on the page.
    key
        Widget key prefix (default from ``page_name``).
    """
    a = assessment if assessment is not None or ws is not None else state.assessment()
    ws = ws if ws is not None else state.workspace()
    key = key or f"sx_{page_name}"
    stem = _file_stem(page_name, selection, ws)
    title = f"{page_name} · {selection.label(ws)}"
    shown = {name: screen.select_table(df, ws, selection) for name, df in tables.items() if df is not None}
    what = screen.map_what(layers)
    notes = list(ws.data_notes)
    with st.expander("导出当前画面（PNG 地图 / PPTX 幻灯片 / xlsx 表格）"):
        st.caption(f"导出的是当前选择：{markdown_text(selection.label(ws))}。地图为与会议地图相同样式的静态图；"
                   "幻灯片每个视图一页；表格为本页显示的表格。先点“生成”，再点“下载”。")
        views = [_MAP] + (list(screen.CHART_VIEWS.values()) if a is not None else []) + list(shown)
        chosen = st.multiselect("幻灯片包含的视图", views, default=views[:3], key=f"{key}_views",
                                placeholder="选择视图")

        def _png() -> bytes:
            return screen.screen_png(ws, selection, assessment=a, plans=plans, what=what, title=title)

        def _pptx() -> bytes:
            return _deck(ws, a, selection, plans, what, title, chosen, shown, notes)

        def _xlsx() -> bytes:
            return screen.screen_xlsx(shown, title=title, notes=notes)

        detail = {"page": page_name, "selection": selection.label(ws)}
        sig = (title, tuple(chosen), tuple(shown))
        _files(key, sig, detail, [
            ("png", "地图（PNG）", _png, f"{stem}.png", "image/png", False),
            ("pptx", "幻灯片（PPTX）", _pptx, f"{stem}.pptx", _PPTX, not chosen),
            ("xlsx", "表格（xlsx）", _xlsx, f"{stem}.xlsx", _XLSX, not shown)])


@st.fragment
def _files(key: str, sig: tuple, detail: dict[str, Any], specs: list[tuple]) -> None:
    """生成 / 下载 per format. 生成 reruns only this fragment and keeps the file in the session (for the current
    selection, views and tables: ``sig``); 下载 reruns nothing (``on_click="ignore"``), so the file a button offers
    stays served until the browser has fetched it, whatever other sessions do (see :mod:`lianxin_geo.ui.exports`)."""
    cols = st.columns(len(specs))
    for col, (fmt, label, make, name, mime, disabled) in zip(cols, specs):
        slot = f"{key}_{fmt}_file"
        if col.button(f"生成{label}", key=f"{key}_{fmt}_make", disabled=disabled, width="stretch"):
            st.session_state.pop(slot, None)
            try:
                data = make()
            except (LianxinError, OSError, ValueError) as exc:  # say what failed; the other formats still work
                col.error(f"生成{label}失败：{exc}")
                auth.record("export", outcome="error", detail={**detail, "format": fmt, "error": str(exc)[:200]})
            else:
                st.session_state[slot] = (sig, data)
                auth.record("export", detail={**detail, "format": fmt})
        got = st.session_state.get(slot)
        data = got[1] if got is not None and got[0] == sig else None
        col.download_button(f"下载{label}", data if data is not None else b"", name, mime=mime, key=f"{key}_{fmt}",
                            on_click="ignore", disabled=data is None, width="stretch")


def _deck(ws: Workspace, a: Assessment | None, sel: Selection, plans: PlansLike, what: str, title: str,
          chosen: Sequence[str], tables: Mapping[str, pd.DataFrame], notes: list[str]) -> bytes:
    """The PPTX of the chosen views (the map, the charts of the selection's assessment, the tables)."""
    charts: dict[str, Any] = {}
    wanted = [k for k, v in screen.CHART_VIEWS.items() if v in chosen]
    if a is not None and wanted:
        charts = dict(screen.chart_pngs(select_assessment(a, sel, ws), target=_target(ws), which=wanted))
    views = []
    for name in chosen:
        if name == _MAP:
            views.append(screen.ScreenView(f"{title} · 地图", image=screen.screen_png(
                ws, sel, assessment=a, plans=plans, what=what, title=title)))
        elif name in charts:
            views.append(screen.ScreenView(f"{title} · {name}", image=charts[name]))
        elif name in tables:
            views.append(screen.ScreenView(f"{title} · {name}", table=tables[name]))
    return screen.screen_pptx(views, title=title, notes=notes)
