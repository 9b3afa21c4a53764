"""数据: load your own ledgers and boundaries, see the validation report, choose the policy profile."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from lianxin_geo.ui import _state

__all__ = ["render"]


def _issues_frame(res) -> pd.DataFrame:
    rows = [{"行": i.row, "列": i.column, "值": str(i.value)[:80], "原因": i.reason,
             "级别": "错误" if i.severity == "error" else "警告"} for i in res.issues]
    return pd.DataFrame(rows, columns=["行", "列", "值", "原因", "级别"])


def render() -> None:
    """Draw the page."""
    _state.init_state()
    ss = st.session_state
    st.title("数据")
    st.caption("上传的文件只保存在本机、只在本会话中使用；未上传的台账使用内置顺义演示数据（合成）。")
    with st.form("upload"):
        st.subheader("上传台账与边界")
        files = {k: st.file_uploader(label, type=["xlsx", "xls", "csv"], key=f"up_{k}")
                 for k, label in _state.KINDS.items()}
        bfile = st.file_uploader("乡镇/街道边界（GeoJSON / GPKG / KML / 压缩的 Shapefile .zip）",
                                 type=["geojson", "json", "gpkg", "kml", "zip"], key="up_boundaries")
        crs = st.selectbox("边界坐标系", ["WGS84", "GCJ02", "BD09"], key="up_crs")
        folder = st.text_input("或：本机文件夹路径（其中的 orgs/buildings/parks/centers 台账与 boundaries 边界文件）",
                               key="up_folder")
        ok = st.form_submit_button("载入", type="primary")
    if ok:
        src = dict(ss["sources"])
        for k, f in files.items():
            if f is not None:
                path, sha = _state.save_upload(f.name, f.getvalue())
                src[k] = (path, sha, f.name)
        if bfile is not None:
            path, sha = _state.save_upload(bfile.name, bfile.getvalue())
            src["boundaries"] = (path, sha, bfile.name)
        if folder.strip():
            found = _scan_folder(folder.strip())
            if not found:
                st.error(f"文件夹 {folder!r} 中没有找到台账文件（文件名应含 orgs/组织、buildings/楼宇、parks/园区、"
                         "centers/阵地 或 boundaries/边界）")
            for k, p in found.items():
                src[k] = (p, _state._file_sha(p), Path(p).name)
        ss["sources"] = src
        ss["boundaries_crs"] = crs
    if st.button("恢复为演示数据"):
        ss["sources"] = {k: None for k in ss["sources"]}
    st.subheader("政策配置")
    from lianxin_geo.core.policy import list_profiles

    names = list_profiles()
    cur = ss.get("policy") or names[0]
    pick = st.selectbox("政策配置（默认 顺义 2017）", names, index=names.index(cur) if cur in names else 0,
                        key="policy_pick")
    ss["policy"] = pick
    ptoml = st.file_uploader("或上传自己的政策配置 TOML", type=["toml"], key="up_policy")
    if ptoml is not None:
        ss["policy_file"] = _state.save_upload(ptoml.name, ptoml.getvalue())
    elif ss.get("policy_file") and st.button("改用上面选择的内置配置"):
        ss["policy_file"] = None
    try:
        ws = _state.workspace()
    except Exception as exc:  # a user's file: say what is wrong, keep the demo usable
        from lianxin_geo.core.errors import LianxinError

        if not isinstance(exc, (LianxinError, FileNotFoundError, ValueError)):
            raise
        st.error(f"无法载入数据：{exc}")
        return
    _state.banner(ws)
    st.subheader("已载入")
    rows = []
    for k, label in _state.KINDS.items():
        res = ws.ledgers[k]
        given = ss["sources"].get(k)
        rows.append({"台账": label, "来源": given[2] if given else "演示数据（合成）", "行数": res.rows_in,
                     "接受": res.n_accepted, "拒绝": res.n_rejected})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    b = ss["sources"].get("boundaries")
    st.write("边界：" + (b[2] if b else "内置顺义示意边界（非官方）") + f"；共 {len(ws.district.jurisdictions)} 个乡镇/街道")
    st.subheader("校验报告（行、列、值、原因）")
    for k, label in _state.KINDS.items():
        res = ws.ledgers[k]
        issues = _issues_frame(res)
        with st.expander(f"{label}：{len(issues)} 个问题", expanded=bool(len(issues)) and k == "orgs"):
            st.dataframe(issues, hide_index=True, width="stretch")
    st.subheader("组织预览")
    cols = [c for c in ("id", "name", "kind", "industry", "jurisdiction_name", "members", "employees",
                        "party_status", "precision", "mismatch") if c in ws.orgs]
    st.dataframe(ws.orgs[cols].head(500), hide_index=True, width="stretch")
    with st.expander("政策配置的每个取值及其出处"):
        st.dataframe(pd.DataFrame(ws.profile.table()).astype(str), hide_index=True, width="stretch")


def _scan_folder(folder: str) -> dict[str, str]:
    words = {"orgs": ("orgs", "组织"), "buildings": ("buildings", "楼宇"), "parks": ("parks", "园区"),
             "centers": ("centers", "阵地", "服务中心"), "boundaries": ("boundaries", "边界")}
    found: dict[str, str] = {}
    if not os.path.isdir(folder):
        return found
    for p in sorted(Path(folder).iterdir()):
        if not p.is_file():
            continue
        low = p.name.lower()
        for k, ws in words.items():
            ledger_ok = p.suffix.lower() in (".xlsx", ".xls", ".csv")
            bound_ok = p.suffix.lower() in (".geojson", ".json", ".gpkg", ".kml", ".shp", ".zip")
            if k not in found and any(w in low for w in ws) and (bound_ok if k == "boundaries" else ledger_ok):
                found[k] = str(p)
    return found


if __name__ == "__main__":
    render()
