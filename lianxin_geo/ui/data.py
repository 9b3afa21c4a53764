"""数据: load your own ledgers and boundaries, see the validation report, choose the policy profile.

Uploads go to this session's private folder (see :mod:`lianxin_geo.ui.state`). The
"本机文件夹路径" box is shown only when the server names a data folder in
``LIANXIN_DATA_DIR``, and reads nothing outside it (see :mod:`lianxin_geo.ui.serving`).
"查找单位" searches the workspace the logged-in user may see (:func:`search_orgs`), so another
town's organizations are never found; "保存为台账轮次" is for a 区级管理员 (or single-user mode) only.
"""

from __future__ import annotations

import datetime as _dt
import functools

import pandas as pd
import streamlit as st

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.model import PRECISION_NAMES
from lianxin_geo.core.policy import Profile, list_profiles, load_profile
from lianxin_geo.ui import auth, state, widgets
from lianxin_geo.ui.serving import data_dir, resolve_inside, scan_folder

__all__ = ["PREVIEW_HEADERS", "PROFILE_HEADERS", "SEARCH_COLUMNS", "UPLOADER_CSS", "preview_frame", "profile_frame",
           "profile_title", "render", "search_orgs", "upload_hint"]

#: Organization column -> Chinese header of the 组织预览 table.
PREVIEW_HEADERS: dict[str, str] = {"id": "编号", "name": "单位名称", "kind": "组织类别", "industry": "行业",
                                   "jurisdiction_name": "乡镇/街道", "members": "正式党员数", "employees": "从业人员数",
                                   "party_status": "党组织状态", "precision": "定位精度", "mismatch": "与所填镇街不一致"}
#: Policy-profile table column -> Chinese header (the key stays: it is what a user writes in an own profile).
PROFILE_HEADERS: dict[str, str] = {"key": "配置项", "value": "取值", "rule": "规则", "doc": "文件", "clause": "条款",
                                   "note": "说明"}


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


#: Streamlit's file uploader draws English words of its own ("Upload", "… per file • XLSX"): hidden and replaced
#: by Chinese with CSS on the uploader's ``data-testid`` attributes (static, no user data). If a Streamlit upgrade
#: renames them the English shows again, and tests/test_chinese_sweep.py (the browser sweep) fails: fix it here.
UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] > div > span {display: none;}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {content: "拖放文件到此处，或点击左侧按钮选择文件";
  font-size: 0.875rem; opacity: 0.7;}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {display: none;}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {content: "选择文件";}
</style>"""


def upload_hint(types: str) -> str:
    """The Chinese line under an uploader: the size limit of the server (``server.maxUploadSize``) and the types."""
    return f"每个文件不超过 {int(st.get_option('server.maxUploadSize'))} MB；格式：{types}"


def _inputs_form() -> None:
    """Uploads, the server data folder (when configured) and the policy profile; applied before loading."""
    st.html(UPLOADER_CSS)
    st.caption("上传的文件只保存在本机、只在本会话中使用（关闭页面几分钟后删除；网络短暂中断不受影响）。一个台账都未上传时显示内置顺义演示数据（合成）；"
               "上传任一台账后，未上传的台账按空表处理（不混入演示数据），除非点击“载入演示数据”。")
    try:
        root = data_dir()
    except LianxinError as exc:
        st.error(str(exc))
        root = None
    with st.form("upload"):
        st.subheader("上传台账与边界")
        st.caption(upload_hint("台账 xlsx、xls、csv；边界 GeoJSON、GPKG、KML 或压缩的 Shapefile（.zip）"))
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
    st.session_state["policy"] = st.selectbox("政策配置（默认 顺义 2017）", names, format_func=profile_title,
                                              index=names.index(cur) if cur in names else 0, key="policy_pick")
    ptoml = st.file_uploader("或上传自己的政策配置 TOML", type=["toml"], key="up_policy", help=upload_hint("toml"))
    if ptoml is not None:
        state.set_policy_source(state.save_upload("policy", ptoml.name, ptoml.getvalue()))
    elif state.policy_source() is not None and st.button("改用上面选择的内置配置"):
        state.set_policy_source(None)


@functools.lru_cache(maxsize=32)
def profile_title(name: str) -> str:
    """The Chinese title of a shipped profile (its name when it cannot be read)."""
    try:
        return load_profile(name).title or name
    except (LianxinError, OSError):
        return name


def _cell(value: object) -> object:
    """A profile value as the table shows it: 是/否 for booleans, lists joined with 、."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    if isinstance(value, dict):
        return "；".join(f"{k}：{_cell(v)}" for k, v in value.items())
    return value


def profile_frame(profile: Profile) -> pd.DataFrame:
    """Every value of ``profile`` with its source, Chinese headers, values as text."""
    df = pd.DataFrame(profile.table(), columns=list(PROFILE_HEADERS))
    df["value"] = df["value"].map(_cell)
    return df.rename(columns=PROFILE_HEADERS).astype(str).replace({"None": "—", "nan": "—"})


def preview_frame(orgs: pd.DataFrame, *, limit: int = 500) -> pd.DataFrame:
    """The first ``limit`` organizations with Chinese headers; the locating precision in words."""
    cols = [c for c in PREVIEW_HEADERS if c in orgs]
    df = orgs[cols].head(limit).copy()
    if "precision" in df:
        df["precision"] = df["precision"].map(lambda p: PRECISION_NAMES.get(p, p) if isinstance(p, str) else "—")
    return df.rename(columns=PREVIEW_HEADERS)


#: Organization columns the search looks in (name, credit code, the ledger's id).
SEARCH_COLUMNS: tuple[str, ...] = ("name", "credit_code", "id")


def search_orgs(orgs: pd.DataFrame, text: str, *, limit: int = 200) -> pd.DataFrame:
    """The organizations whose name contains ``text`` or whose credit code / id contains it (case ignored).

    ``orgs`` is the workspace the user may see, so another town's organizations are never found.
    """
    text = str(text or "").strip().upper()
    if not text or orgs.empty:
        return orgs.iloc[0:0]
    hit = pd.Series(False, index=orgs.index)
    for col in SEARCH_COLUMNS:
        if col in orgs:
            hit |= orgs[col].astype("string").str.upper().str.contains(text, regex=False, na=False)
    return orgs[hit].head(limit)


def _search(ws) -> None:
    """Search the organizations of the workspace (the user's towns) by name or credit code."""
    st.subheader("查找单位")
    text = st.text_input("按单位名称或统一社会信用代码查找", key="org_search",
                         placeholder="例如：科技有限公司 或 91110113…")
    if not text.strip():
        return
    found = search_orgs(ws.orgs, text)
    if found.empty:
        st.info(f"没有找到与“{widgets.markdown_text(text.strip())}”匹配的单位（只在您有权查看的镇街中查找）。")
        return
    cols = [c for c in ("name", "credit_code", "id", "jurisdiction_name", "party_status", "members") if c in found]
    st.caption(f"找到 {len(found):,} 个单位" + ("（只显示前 200 个）" if len(found) >= 200 else ""))
    st.dataframe(found[cols].rename(columns=_SEARCH_HEADERS), hide_index=True, width="stretch")


_SEARCH_HEADERS = {"name": "单位名称", "credit_code": "统一社会信用代码", "id": "编号", "jurisdiction_name": "乡镇/街道",
                   "party_status": "党组织状态", "members": "党员数"}


def _default_round_name(today: _dt.date) -> str:
    """``YYYY-MM`` of the ledger refresh this import most likely belongs to (the month itself)."""
    return f"{today.year}-{today.month:02d}"


def _rounds_form() -> None:
    """Choose the data the pages work on: the loaded files, or a round stored in the database."""
    st.subheader("台账轮次（数据库）")
    try:
        store = state.store()
        rounds = store.rounds(user=state.current_user())
    except LianxinError as exc:
        st.error(f"无法打开数据库：{exc}")
        return
    st.caption(f"数据库：{widgets.markdown_text(state.db_url_display())}（命令行 --db 或环境变量 LIANXIN_DB 可改）")
    cur = state.chosen_round()
    options = ["（当前载入的文件）"] + [r.name for r in rounds]
    index = options.index(cur[1]) if cur is not None and cur[1] in options else 0
    pick = st.selectbox("各页面使用的数据", options, index=index, key="round_pick",
                        help="选择一个已保存的轮次后，总览、联建、路线、阵地与导出各页都基于该轮次")
    want = None if pick == options[0] else next(r for r in rounds if r.name == pick)
    if (want is None) != (cur is None) or (want is not None and cur is not None and want.id != cur[2]):
        state.choose_round(want)
        st.rerun()


def _save_round(ws) -> None:
    """Store the loaded files as a round (one transaction; refused when the name exists unless replaced).

    Only a 区级管理员 (or single-user mode) stores rounds: a round holds the whole district.
    """
    if state.chosen_round() is not None:
        return
    user = state.current_user()
    if user is not None and not user.is_admin:
        st.caption("保存台账轮次仅限区级管理员。")
        return
    with st.form("save_round"):
        st.markdown("**保存为台账轮次**：把当前载入并校验过的台账、定位结果、评估结果和政策配置存入数据库，"
                    "之后可在“进展”页比较各轮、跟踪一企一策措施。轮次导入后不可修改。")
        c = st.columns([2, 1, 1])
        name = c[0].text_input("轮次名称", value=_default_round_name(_dt.date.today()), key="round_name")
        replace = c[1].checkbox("替换同名轮次", key="round_replace", help="旧轮次保留在历史中")
        go = c[2].form_submit_button("保存为台账轮次", type="primary")
    if not go:
        return
    if ws.is_demo:
        st.warning("当前是演示数据（合成）：保存的轮次会标明为演示数据。")
    bar = st.progress(0.0, text="正在保存…")
    given = {k: s.path for k, s in state.sources().items() if s is not None}
    try:
        info = state.store().import_round(name, ws, replace=replace, files=given,
                                          progress=lambda msg, frac=None: bar.progress(
                                              min(max(float(frac or 0.0), 0.0), 1.0), text=str(msg)))
    except LianxinError as exc:
        bar.empty()
        st.error(str(exc))
        auth.record("import", outcome="error", detail={"round": name, "error": str(exc)[:200]})
        return
    bar.empty()
    auth.record("import", detail={"round": info.name, "orgs": int(info.orgs)})
    made = info.measures or {}
    st.success(f"已保存轮次 {info.name}：{info.orgs:,} 个组织；新建措施 {made.get('created', 0):,} 条，"
               f"结转 {made.get('carried', 0):,} 条，可销号 {made.get('closable', 0):,} 条。")


def render() -> None:
    """Draw the page."""
    ws = widgets.preamble("数据", inputs_form=_inputs_form).ws
    _rounds_form()
    _save_round(ws)
    _search(ws)
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
    st.dataframe(preview_frame(ws.orgs), hide_index=True, width="stretch")
    with st.expander(f"政策配置《{widgets.markdown_text(ws.profile.title)}》的每个取值及其出处"):
        st.dataframe(profile_frame(ws.profile), hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
