"""导出: every export of :mod:`lianxin_geo.present.export`, with the plans generated on the other pages.

The workspace is the logged-in user's (:func:`lianxin_geo.ui.state.workspace`): a town user's files hold only
its towns. Every export made is written to the audit (:func:`lianxin_geo.ui.auth.record`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.present import export
from lianxin_geo.ui import auth, state, widgets
from lianxin_geo.workspace import Workspace

__all__ = ["render"]

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


#: format -> writer(ws, path, assessment, plans) returning the file written
_WRITERS: dict[str, Callable[[Workspace, Path, Any, dict], Any]] = {
    "html": lambda ws, path, a, plans: export.export_html(ws, path, plans=plans, assessment=a),
    "xlsx": lambda ws, path, a, plans: export.export_xlsx(ws, path, assessment=a, plans=plans),
    "pptx": lambda ws, path, a, plans: export.export_pptx(ws, path, assessment=a, plans=plans),
    "png": lambda ws, path, a, plans: export.export_png(ws, path, plans=plans, assessment=a),
    "pdf": lambda ws, path, a, plans: export.export_pdf(ws, path, plans=plans, assessment=a),
    "gpkg": lambda ws, path, a, plans: export.export_gpkg(ws, path, plans=plans, assessment=a)[0],
}


@st.cache_data(show_spinner="正在生成导出文件…", max_entries=16)
def _export(key: tuple, plan_keys: tuple, fmt: str, _ws: Workspace, _a: Assessment | None, _plans: dict) -> bytes:
    """Write one export into a private temporary folder and return its bytes (cached per input and plans)."""
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
    a = state.assessment()
    key = state.workspace_key()
    plan_keys = tuple(sorted((k, r.key) for k, r in kept.items()))
    for fmt, (label, filename, mime) in _FORMATS.items():
        c1, c2 = st.columns([3, 2])
        c1.write(label)
        slot = f"ex_{fmt}"
        if c2.button("生成", key=f"ex_make_{fmt}"):
            try:
                st.session_state[slot] = (plan_keys, _export(key, plan_keys, fmt, ws, a, plans))
            except (LianxinError, OSError, ValueError) as exc:  # say plainly what failed; other formats still work
                st.error(f"生成{label}失败：{exc}")
                auth.record("export", outcome="error", detail={"format": fmt, "error": str(exc)[:200]})
            else:
                auth.record("export", detail={"format": fmt, "plans": sorted(plans), "orgs": len(ws.orgs)})
        got = st.session_state.get(slot)
        if got and got[0] == plan_keys:
            # on_click="ignore": a download does not rerun the page, so the file it serves is never dropped by the
            # rerun before the browser fetches it (a 404 under load otherwise)
            c2.download_button("下载", got[1], filename, mime=mime, key=f"ex_dl_{fmt}", on_click="ignore")


if __name__ == "__main__":
    render()
