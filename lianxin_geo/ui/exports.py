"""导出: the HTML map (assets inlined, works offline) and the xlsx tables of the assessment."""

from __future__ import annotations

import os
import tempfile

import streamlit as st

from lianxin_geo.ui import _state

__all__ = ["render"]


@st.cache_data(show_spinner="正在生成离线 HTML 地图…", max_entries=8)
def _html(key: tuple, plan_keys: tuple, _ws, _a, _plans: dict, layers: tuple) -> bytes:
    from lianxin_geo import maps

    ws, a = _ws, _a
    fmap = maps.build_map(ws, layers=layers, plans=_plans, assessment=a, rates=_state.rates_frame(a),
                          target=ws.profile.get("targets.enterprise"))
    return maps.map_html(fmap, title="两新党建地图").encode("utf-8")


@st.cache_data(show_spinner="正在生成 Excel 统计表…", max_entries=8)
def _xlsx(key: tuple, _a) -> bytes | None:
    try:
        from lianxin_geo.assess import write_assessment_xlsx
    except ImportError:
        return None
    a = _a
    if a is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "assessment.xlsx")
        write_assessment_xlsx(a, path)
        with open(path, "rb") as fh:
            return fh.read()


def render() -> None:
    """Draw the page."""
    _state.init_state()
    ws = _state.workspace()
    st.title("导出")
    _state.banner(ws)
    key = _state.workspace_key()
    plans = {k: v for k, v in st.session_state["plans"].items() if v is not None}
    from lianxin_geo import maps

    layers = ["boundaries", "orgs", "centers", "buildings", "parks"]
    layers += [k for k, need in (("units", "joint"), ("routes", "routes"), ("gaps", "coverage"),
                                 ("sites", "coverage")) if need in plans]
    st.write("HTML 地图包含：" + "、".join(maps.LAYERS[k] for k in layers)
             + "。地图脚本已内嵌，离线也能打开；演示数据与示意边界的说明会写在地图上。")
    if not plans:
        st.caption("提示：先在“联建方案”“指导员路线”“阵地与覆盖”页生成方案，导出的地图会包含这些图层。")
    plan_keys = tuple(sorted((k, id(v)) for k, v in plans.items()))
    if st.button("生成 HTML 地图", key="ex_make_html"):
        st.session_state["ex_html"] = _html(key, plan_keys, ws, _state.assessment(), plans, tuple(layers))
    if st.session_state.get("ex_html"):
        st.download_button("下载 HTML 地图", st.session_state["ex_html"], "两新党建地图.html", mime="text/html",
                           key="ex_dl_html")
    a = _state.assessment()
    data = _xlsx(key + (a is not None,), a)
    if data is None:
        st.info("评估结果不可用：暂不能导出统计表。")
    else:
        st.download_button("下载统计表（xlsx，附件1–4、覆盖率、措施清单…）", data, "两新党建统计表.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="ex_dl_xlsx")


if __name__ == "__main__":
    render()
