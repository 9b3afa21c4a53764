"""Shared state, cached loaders and the sidebar of the Streamlit pages (thin: calls the public API only).

Caching and privacy
-------------------
* The demo workspace is the same for everybody: one ``st.cache_resource`` entry.
* An uploaded file lives in this session's ``st.session_state`` (its bytes) and
  on disk under a private temporary folder named by the SHA-256 of its content;
  workspaces and plans are cached on those hashes and the parameters, so a
  result can only be reached by someone who uploads the very same bytes, and
  nothing lists other users' uploads.
* Plans (joint units, routes, coverage) are cached per workspace key and
  parameters (``st.cache_resource``; the workspace itself is not hashed).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from lianxin_geo.present import maps

__all__ = [
    "KINDS",
    "init_state",
    "workspace",
    "workspace_key",
    "profile",
    "assessment",
    "joint_plan",
    "route_plan",
    "coverage_plan",
    "banner",
    "map_sidebar",
    "show_map",
    "asset_base",
]

KINDS: dict[str, str] = {"orgs": "两新组织台账", "buildings": "商务楼宇台账", "parks": "园区台账",
                         "centers": "党群活动服务中心台账"}
#: Environment variables read at start: a ledger path per kind, the boundary file, the demo size.
ENV = {"orgs": "LIANXIN_GEO_ORGS", "buildings": "LIANXIN_GEO_BUILDINGS", "parks": "LIANXIN_GEO_PARKS",
       "centers": "LIANXIN_GEO_CENTERS", "boundaries": "LIANXIN_GEO_BOUNDARIES"}
_UPLOAD_DIR = Path(tempfile.gettempdir()) / f"lianxin-geo-uploads-{os.getuid() if hasattr(os, 'getuid') else 0}"


def asset_base() -> str:
    """URL prefix of the vendored Leaflet files, served by this app (no CDN)."""
    from lianxin_geo.present.assets import streamlit_asset_base

    return streamlit_asset_base()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_upload(name: str, data: bytes) -> tuple[str, str]:
    """Store uploaded bytes privately under their content hash; return (path, sha)."""
    sha = _sha(data)
    _UPLOAD_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    suffix = Path(name).suffix.lower()[:8]
    path = _UPLOAD_DIR / f"{sha}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    return str(path), sha


def init_state() -> None:
    """Initialise the session keys once (sources from the environment, default profile)."""
    ss = st.session_state
    if "sources" not in ss:
        sources: dict[str, tuple[str, str, str] | None] = {}
        for kind, var in ENV.items():
            p = os.environ.get(var)
            sources[kind] = (p, _file_sha(p), Path(p).name) if p and os.path.isfile(p) else None
        ss["sources"] = sources
    ss.setdefault("policy", None)
    ss.setdefault("policy_file", None)
    ss.setdefault("boundaries_crs", "WGS84")
    ss.setdefault("plans", {})


def workspace_key() -> tuple:
    """What identifies the loaded workspace: content hashes of every input and the profile."""
    init_state()
    ss = st.session_state
    src = ss["sources"]
    pol = ss["policy_file"][1] if ss.get("policy_file") else ss.get("policy")
    demo_n = int(os.environ.get("LIANXIN_GEO_DEMO_ORGS", "0") or 0)
    return (tuple((k, v[1] if v else None) for k, v in sorted(src.items())), pol, ss["boundaries_crs"], demo_n)


@st.cache_resource(show_spinner="正在读取、校验并定位台账…", max_entries=8)
def _load(key: tuple, _paths: dict[str, str | None], _policy: str | None, boundaries_crs: str,
          demo_orgs: int) -> Any:
    from lianxin_geo.workspace import DEFAULT_DEMO_ORGS, load_workspace

    ws = load_workspace(orgs=_paths.get("orgs"), buildings=_paths.get("buildings"), parks=_paths.get("parks"),
                        centers=_paths.get("centers"), boundaries=_paths.get("boundaries"), policy=_policy,
                        boundaries_crs=boundaries_crs, demo_orgs=demo_orgs or DEFAULT_DEMO_ORGS)
    return ws


def workspace() -> Any:
    """The session's workspace (cached on content hashes and the profile)."""
    key = workspace_key()
    ss = st.session_state
    paths = {k: (v[0] if v else None) for k, v in ss["sources"].items()}
    pol = ss["policy_file"][0] if ss.get("policy_file") else ss.get("policy")
    return _load(key, paths, pol, ss["boundaries_crs"], key[-1])


def profile() -> Any:
    """The policy profile of the workspace."""
    return workspace().profile


@st.cache_resource(show_spinner="正在评估覆盖情况…", max_entries=8)
def _assess(key: tuple, _ws: Any) -> Any:
    from lianxin_geo.pipeline import run_assessment

    return run_assessment(_ws)


def assessment() -> Any:
    """The assessment of the workspace (``None`` if the assess module is unavailable)."""
    try:
        import lianxin_geo.assessment.assessor  # noqa: F401
    except ImportError:
        return None
    try:
        return _assess(workspace_key(), workspace())
    except Exception as exc:  # noqa: BLE001 - keep the maps usable; say plainly that the assessment failed
        st.warning(f"覆盖评估未能完成（{type(exc).__name__}: {exc}）：地图按台账中的党组织状态着色。")
        return None


def _changed_profile(ws: Any, changes: dict[str, Any]) -> Any:
    base = ws.profile
    real = {k: v for k, v in changes.items() if k in base and base.get(k) != v}
    return base.with_values(real, note="页面参数") if real else base


@st.cache_resource(show_spinner="正在生成联建方案…", max_entries=16)
def _joint(key: tuple, _ws: Any, changes: tuple, reoptimize: bool, cross_town: bool, time_limit_s: float) -> Any:
    from lianxin_geo.pipeline import run_joint

    ws = _ws
    prof = _changed_profile(ws, dict(changes))
    return run_joint(ws, assessment=assessment(), profile=prof, reoptimize=reoptimize, cross_town=cross_town, seed=0,
                     time_limit_s=time_limit_s)


def joint_plan(changes: dict[str, Any], *, reoptimize: bool, cross_town: bool, time_limit_s: float = 10.0) -> Any:
    """Generate (or take from the cache) the joint-unit plan for these parameters."""
    return _joint(workspace_key(), workspace(), tuple(sorted(changes.items())), reoptimize, cross_town,
                  time_limit_s)


@st.cache_resource(show_spinner="正在规划指导员路线…", max_entries=16)
def _routes(key: tuple, _ws: Any, _a: Any, changes: tuple, cross_town: bool, time_limit_s: float) -> Any:
    from lianxin_geo.pipeline import run_routes

    ws = _ws
    prof = _changed_profile(ws, dict(changes))
    joint = None
    if prof.get("instructors.include_new_units"):
        joint = joint_plan({}, reoptimize=False, cross_town=False)  # the default proposal's new units need guidance too
    return run_routes(ws, assessment=_a, joint=joint, profile=prof, time_limit_s=time_limit_s,
                      cross_town=cross_town, seed=0)


def route_plan(changes: dict[str, Any], *, cross_town: bool = False, time_limit_s: float = 5.0) -> Any:
    """Generate (or take from the cache) the instructor routes for these parameters."""
    return _routes(workspace_key(), workspace(), assessment(), tuple(sorted(changes.items())), cross_town, time_limit_s)


@st.cache_resource(show_spinner="正在计算阵地覆盖与选址…", max_entries=16)
def _coverage(key: tuple, _ws: Any, changes: tuple, k: int, hex_resolution: int) -> Any:
    from lianxin_geo.pipeline import run_coverage

    ws = _ws
    prof = _changed_profile(ws, dict(changes))
    return run_coverage(ws, k=k, profile=prof, hex_resolution=hex_resolution, time_limit_s=10.0, seed=0)


def coverage_plan(changes: dict[str, Any], *, k: int, hex_resolution: int = 8) -> Any:
    """Generate (or take from the cache) the coverage plan for these parameters."""
    return _coverage(workspace_key(), workspace(), tuple(sorted(changes.items())), int(k), int(hex_resolution))


# ---------------------------------------------------------------- widgets
def banner(ws: Any) -> None:
    """The honesty banner: demo data / approximate boundaries, on every page."""
    notes = list(ws.data_notes)
    if ws.is_demo:
        st.warning("**演示数据（合成）/ 示意边界** —— 以下内容由内置顺义演示数据生成，非真实台账。", icon="⚠️")
    for n in notes:
        st.caption("注意：" + n)


def map_sidebar(ws: Any, *, key: str = "map") -> dict[str, Any]:
    """Base map, layers and filters in the sidebar; returns the choices for :func:`show_map`."""
    sb = st.sidebar
    sb.subheader("地图")
    basemap = sb.selectbox("底图", list(maps.BASEMAPS), format_func=maps.BASEMAPS.get, key="basemap")
    tk = None
    if basemap == "tianditu":
        tk = sb.text_input("天地图密钥（tk）", type="password", key="tianditu_key") or None
    if basemap != "none":
        sb.caption("网络底图会向地图服务商发送请求；离线环境请选择“无底图”。")
    sb.subheader("筛选")
    names = ws.district.town_names
    towns = sb.multiselect("乡镇/街道", list(names), format_func=lambda c: names.get(c, c), key=f"{key}_towns", placeholder="全部（可多选）")
    kinds = sb.multiselect("组织类别", ["非公企业", "社会组织"], key=f"{key}_kinds", placeholder="全部（可多选）")
    inds = sorted({str(x)[:1] for x in ws.orgs.get("industry", pd.Series(dtype=object)).dropna() if str(x)})
    industries = sb.multiselect("行业门类", inds, format_func=_section_name, key=f"{key}_ind", placeholder="全部（可多选）")
    statuses = sb.multiselect("覆盖状态", list(maps.STATUS_COLORS), key=f"{key}_status", placeholder="全部（可多选）")
    filters = maps.MapFilters(towns=tuple(towns), kinds=tuple(kinds), industries=tuple(industries),
                              statuses=tuple(statuses))
    return {"basemap": basemap, "tianditu_key": tk, "filters": filters}


def show_map(fmap: Any, *, key: str, height: int = 600) -> None:
    """Draw a folium map; panning and zooming do not rerun the script (no returned objects)."""
    from streamlit_folium import st_folium

    st_folium(fmap, key=key, height=height, use_container_width=True, returned_objects=[])


def rates_frame(a: Any) -> pd.DataFrame | None:
    """Per-jurisdiction rates of an assessment for the choropleth (``None`` without one)."""
    if a is None:
        return None
    cols = [c for c in ("code", "name", "org_coverage_rate", "single_rate", "work_coverage_rate",
                        "enterprise_org_coverage_rate", "social_org_coverage_rate") if c in a.jurisdictions]
    return a.jurisdictions[cols]


def safe_build_map(ws: Any, **kwargs: Any) -> Any:
    """:func:`lianxin_geo.present.maps.build_map` with this app's asset route; a base-map error becomes a message."""
    try:
        return maps.build_map(ws, asset_base=asset_base(), **kwargs)
    except ValueError as exc:
        st.error(str(exc))
        kwargs["basemap"] = "none"
        return maps.build_map(ws, asset_base=asset_base(), **kwargs)


def _section_name(letter: str) -> str:
    from lianxin_geo.core.industry import section_label

    try:
        return section_label(letter) or letter
    except Exception:  # noqa: BLE001 - a letter the table lacks is shown as is
        return letter
