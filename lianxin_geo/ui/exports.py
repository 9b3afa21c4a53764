"""导出: every export of :mod:`lianxin_geo.present.export`, with the plans generated on the other pages.

The workspace is the logged-in user's (:func:`lianxin_geo.ui.state.workspace`): a town user's files hold only
its towns. Every export made is written to the audit (:func:`lianxin_geo.ui.auth.record`).

Downloads under load
--------------------
Streamlit serves a download button's file from its in-memory media store, and a file stays there only while
the session's *current* script run references it: every full run drops the previous run's references when it
starts, and the end of any run of *any* session deletes unreferenced files (a download file at the second such
sweep). With many users the sweeps come several times a second, so a file whose run was superseded — a 下载
button still shown while the page reran after a 生成 click, or the button's first fetch arriving after the
page moved on — was gone: HTTP 404 on ``/media/…``, "download canceled" in the browser.

So the export rows are an ``st.fragment``: 生成 reruns only the rows (a fragment run keeps the session's file
references, see Streamlit's ``ScriptRunner``), and 下载 does not rerun at all (``on_click="ignore"``). The file
a button offers therefore stays served until the user's next full page run — after the click has fetched it.
Each 生成 shows when it was made (``ex_made_<fmt>``), so a user (and ``benchmarks/load.py``) can tell the fresh
button from the one of a previous run. The bytes come from a bounded, time-limited cache shared by the users of
the same scope (:func:`_export`), and only the last file of each format is kept in the session.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.present import export
from lianxin_geo.ui import auth, state, widgets
from lianxin_geo.workspace import Workspace

__all__ = ["EXPORT_CACHE_ENTRIES", "EXPORT_CACHE_TTL_S", "render"]

#: format -> (button label, file name, MIME type)
_FORMATS: dict[str, tuple[str, str, str]] = {
    "html": ("离线 HTML 地图（脚本内嵌）", "两新党建地图.html", "text/html"),
    "xlsx": ("Excel 统计表（附件1–4、覆盖率、方案、校验报告）", "两新党建统计表.xlsx",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("汇报幻灯片（pptx）", "两新党建汇报.pptx",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "png": ("静态地图（PNG，A4 横版）", "两新党建地图.png", "image/png"),
    "pdf": ("静态地图集（PDF）", "两新党建地图集.pdf", "application/pdf"),
    "gpkg": ("GIS 图层（GeoPackage，WGS-84）", "两新党建图层.gpkg", "application/geopackage+sqlite3"),
}

#: Files kept by the shared export cache (every user and format together), and how long (seconds).
EXPORT_CACHE_ENTRIES = 48
EXPORT_CACHE_TTL_S = 1800

#: format -> writer(ws, path, assessment, plans) returning the file written
_WRITERS: dict[str, Callable[[Workspace, Path, Any, dict], Any]] = {
    "html": lambda ws, path, a, plans: export.export_html(ws, path, plans=plans, assessment=a),
    "xlsx": lambda ws, path, a, plans: export.export_xlsx(ws, path, assessment=a, plans=plans),
    "pptx": lambda ws, path, a, plans: export.export_pptx(ws, path, assessment=a, plans=plans),
    "png": lambda ws, path, a, plans: export.export_png(ws, path, plans=plans, assessment=a),
    "pdf": lambda ws, path, a, plans: export.export_pdf(ws, path, plans=plans, assessment=a),
    "gpkg": lambda ws, path, a, plans: export.export_gpkg(ws, path, plans=plans, assessment=a)[0],
}


@st.cache_data(show_spinner="正在生成导出文件…", max_entries=EXPORT_CACHE_ENTRIES, ttl=EXPORT_CACHE_TTL_S)
def _export(key: tuple, plan_keys: tuple, fmt: str, _ws: Workspace, _a: Assessment | None, _plans: dict) -> bytes:
    """Write one export into a private temporary folder and return its bytes (cached per workspace key — which
    ends with the user's scope — plans and format)."""
    with tempfile.TemporaryDirectory(prefix="lianxin-geo-export-") as tmp:
        written = _WRITERS[fmt](_ws, Path(tmp) / f"out.{fmt}", _a, _plans)
        return Path(written).read_bytes()


def render() -> None:
    """Draw the page."""
    ws = widgets.preamble("导出").ws
    kept = state.kept_plans()
    plans = {k: r.plan for k, r in kept.items()}
    names = {"joint": "联建方案", "routes": "指导员路线", "coverage": "阵地覆盖与新址"}
    if plans:
        st.write("导出内容包括评估结果和已生成的方案：" + "、".join(names[k] for k in plans if k in names) + "。")
    else:
        st.caption("提示：先在“联建方案”“指导员路线”“阵地与覆盖”页生成方案，导出的地图、表格和幻灯片会包含这些方案。")
    st.caption("所有导出文件都注明：" + "；".join(ws.data_notes) if ws.data_notes else "")
    _rows(ws, state.assessment(), state.workspace_key(), plans, tuple(sorted((k, r.key) for k, r in kept.items())))


@st.fragment
def _rows(ws: Workspace, a: Assessment | None, key: tuple, plans: dict, plan_keys: tuple) -> None:
    """One row per format: 生成 (reruns only these rows) and, once made for the current plans, 下载."""
    for fmt, (label, filename, mime) in _FORMATS.items():
        c1, c2 = st.columns([3, 2])
        c1.write(label)
        slot = f"ex_{fmt}"
        if c2.button("生成", key=f"ex_make_{fmt}"):
            _make(fmt, label, slot, key, plan_keys, ws, a, plans)
        got = st.session_state.get(slot)
        if got and got[0] == plan_keys:
            made, count = st.session_state.get(f"{slot}_made", ("", 0))
            c2.container(key=f"ex_made_{fmt}").caption(f"{made} 生成（本次登录第 {count} 次）")
            # on_click="ignore": the click fetches the file and reruns nothing, so nothing drops the file first
            c2.download_button("下载", got[1], filename, mime=mime, key=f"ex_dl_{fmt}", on_click="ignore")


def _make(fmt: str, label: str, slot: str, key: tuple, plan_keys: tuple, ws: Workspace, a: Assessment | None,
          plans: dict) -> None:
    """Generate one file; keep ``(plan_keys, bytes)`` in the session (the last one per format) and, under
    ``<slot>_made``, when it was made and the how-manieth 生成 of the session it was."""
    count = int(st.session_state.get("ex_count", 0)) + 1
    st.session_state["ex_count"] = count
    st.session_state.pop(slot, None)  # the previous file of this format is released before the new one is made
    try:
        data = _export(key, plan_keys, fmt, ws, a, plans)
    except (LianxinError, OSError, ValueError) as exc:  # say plainly what failed; other formats still work
        st.error(f"生成{label}失败：{exc}")
        auth.record("export", outcome="error", detail={"format": fmt, "error": str(exc)[:200]})
        return
    st.session_state[slot] = (plan_keys, data)
    st.session_state[f"{slot}_made"] = (dt.datetime.now().strftime("%H:%M:%S"), count)
    auth.record("export", detail={"format": fmt, "plans": sorted(plans), "orgs": len(ws.orgs)})


if __name__ == "__main__":
    render()
