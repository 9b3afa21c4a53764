"""数据: load your own ledgers and boundaries, see the validation report, choose the policy profile.

Uploads go to this session's private folder (see :mod:`lianxin_geo.ui.state`). The
"本机文件夹路径" box is shown only when the server names a data folder in
``LIANXIN_DATA_DIR``, and reads nothing outside it (see :mod:`lianxin_geo.ui.serving`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.policy import list_profiles
from lianxin_geo.ui import state, widgets
from lianxin_geo.ui.serving import data_dir, resolve_inside, scan_folder

__all__ = ["render"]


def _issues_frame(res) -> pd.DataFrame:
    rows = [{"行": i.row, "列": i.column, "值": str(i.value)[:80], "原因": i.reason,
             "级别": "错误" if i.severity == "error" else "警告"} for i in res.issues]
    return pd.DataFrame(rows, columns=["行", "列", "值", "原因", "级别"])


def _folder_sources(text: str) -> dict[str, state.Source]:
    """The ledgers and boundaries of a folder inside the server's data folder (an error message otherwise)."""
    try:
        root = data_dir()
        if root is None:
            return {}
        found = scan_folder(resolve_inside(root, text), root)
    except LianxinError as exc:
        st.error(str(exc))
        return {}
    if not found:
        st.error(f"文件夹 {text!r} 中没有找到台账文件（文件名应含 orgs/组织、buildings/楼宇、parks/园区、"
                 "centers/阵地 或 boundaries/边界）")
    return {k: state.Source.from_file(k, p) for k, p in found.items()}


def _inputs_form() -> None:
    """Uploads, the server data folder (when configured) and the policy profile; applied before loading."""
    st.caption("上传的文件只保存在本机、只在本会话中使用（会话结束即删除）。一个台账都未上传时显示内置顺义演示数据（合成）；"
               "上传任一台账后，未上传的台账按空表处理（不混入演示数据），除非点击“载入演示数据”。")
    try:
        root = data_dir()
    except LianxinError as exc:
        st.error(str(exc))
        root = None
    with st.form("upload"):
        st.subheader("上传台账与边界")
        files = {k: st.file_uploader(label, type=["xlsx", "xls", "csv"], key=f"up_{k}")
                 for k, label in state.KINDS.items()}
        files["boundaries"] = st.file_uploader("乡镇/街道边界（GeoJSON / GPKG / KML / 压缩的 Shapefile .zip）",
                                               type=["geojson", "json", "gpkg", "kml", "zip"], key="up_boundaries")
        crs = st.selectbox("边界坐标系", ["WGS84", "GCJ02", "BD09"], key="up_crs")
        folder = ""
        if root is not None:
            folder = st.text_input(f"或：本机文件夹路径（数据文件夹 {root} 之内；其中的 orgs/buildings/parks/centers "
                                   "台账与 boundaries 边界文件）", key="up_folder")
        ok = st.form_submit_button("载入", type="primary")
    if ok:
        changed = {k: state.save_upload(k, f.name, f.getvalue()) for k, f in files.items() if f is not None}
        if folder.strip():
            changed.update(_folder_sources(folder))
        state.set_sources(changed, boundaries_crs=crs)
    left, right = st.columns(2)
    if left.button("载入演示数据", help="用内置顺义演示数据（合成）补齐未上传的台账"):
        state.set_demo(True)
    if right.button("恢复为演示数据", help="移除已上传的台账与边界，全部改用演示数据"):
        state.reset_sources()
    st.subheader("政策配置")
    names = list_profiles()
    cur = st.session_state.get("policy") or names[0]
    st.session_state["policy"] = st.selectbox("政策配置（默认 顺义 2017）", names,
                                              index=names.index(cur) if cur in names else 0, key="policy_pick")
    ptoml = st.file_uploader("或上传自己的政策配置 TOML", type=["toml"], key="up_policy")
    if ptoml is not None:
        state.set_policy_source(state.save_upload("policy", ptoml.name, ptoml.getvalue()))
    elif state.policy_source() is not None and st.button("改用上面选择的内置配置"):
        state.set_policy_source(None)


def render() -> None:
    """Draw the page."""
    ws = widgets.preamble("数据", inputs_form=_inputs_form).ws
    given = state.sources()
    st.subheader("已载入")
    rows = []
    for k, label in state.KINDS.items():
        res = ws.ledgers[k]
        src = given.get(k)
        origin = "演示数据（合成）" if k in ws.demo_kinds else "未提供（空表）"
        rows.append({"台账": label, "来源": src.name if src else origin, "行数": res.rows_in,
                     "接受": res.n_accepted, "拒绝": res.n_rejected})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    b = given.get("boundaries")
    st.write("边界：" + (widgets.markdown_text(b.name) if b else "内置顺义示意边界（非官方）")
             + f"；共 {len(ws.district.jurisdictions)} 个乡镇/街道")
    st.subheader("校验报告（行、列、值、原因）")
    for k, label in state.KINDS.items():
        issues = _issues_frame(ws.ledgers[k])
        with st.expander(f"{label}：{len(issues)} 个问题", expanded=bool(len(issues)) and k == "orgs"):
            st.dataframe(issues, hide_index=True, width="stretch")
    st.subheader("组织预览")
    cols = [c for c in ("id", "name", "kind", "industry", "jurisdiction_name", "members", "employees",
                        "party_status", "precision", "mismatch") if c in ws.orgs]
    st.dataframe(ws.orgs[cols].head(500), hide_index=True, width="stretch")
    with st.expander("政策配置的每个取值及其出处"):
        st.dataframe(pd.DataFrame(ws.profile.table()).astype(str), hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
