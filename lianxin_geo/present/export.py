"""Exports for meetings and offline use: HTML map, static maps, Excel, PowerPoint, GeoPackage/GeoJSON.

Every export carries the workspace's data notes (synthetic demo ledgers,
approximate boundaries). The CLI (``lianxin-geo run`` / ``export``) and the
app's 导出 page are thin wrappers over these functions.

* :func:`export_html` — one self-contained HTML file (Leaflet and every style
  inlined, no external address at all), every layer of the app, legend, data notes.
* :func:`export_png` / :func:`export_pdf` — static maps drawn with matplotlib and
  the bundled CJK font (no browser, no tiles).
* :func:`export_xlsx` — the assessment's statistics tables (BJ2016N 附件1–4) and
  the plans' tables, written with the project's safe writer (:mod:`lianxin_geo.present.xlsx`).
* :func:`export_pptx` — a meeting deck.
* :func:`export_gpkg` / :func:`export_geojson_dir` — every layer, WGS-84, with a
  GCJ-02 copy on request.
* :func:`run_all` — assess, plan and write every file.
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from lianxin_geo.core.jsonable import plan_json
from lianxin_geo.present.xlsx import Sheet, cell_value, write_workbook
from lianxin_geo.pipeline import Plans

__all__ = [
    "Plans",
    "FORMATS",
    "compute_assessment",
    "compute_plans",
    "export_plan_xlsx",
    "export_html",
    "export_png",
    "export_pdf",
    "export_xlsx",
    "export_pptx",
    "export_gpkg",
    "export_geojson_dir",
    "run_all",
]

PathLike = str | os.PathLike

#: Formats :func:`run_all` can write.
FORMATS: tuple[str, ...] = ("html", "png", "pdf", "xlsx", "pptx", "gpkg", "geojson")

#: File names :func:`run_all` writes in its output folder.
FILE_NAMES: dict[str, str] = {
    "html": "map.html",
    "png": "map_overview.png",
    "png_joint": "map_joint.png",
    "png_routes": "map_routes.png",
    "png_coverage": "map_coverage.png",
    "pdf": "maps.pdf",
    "xlsx": "tables.xlsx",
    "pptx": "deck.pptx",
    "gpkg": "layers.gpkg",
    "gpkg_gcj02": "layers_gcj02.gpkg",
    "geojson": "geojson",
}


def _plans(plans: Plans | Mapping[str, Any] | None) -> dict[str, Any]:
    if plans is None:
        return {}
    if isinstance(plans, Plans):
        return plans.as_mapping()
    unknown = set(plans) - {"joint", "routes", "coverage"}
    if unknown:
        raise ValueError(f"plans 只能包含 joint、routes、coverage，收到：{', '.join(sorted(unknown))}")
    return {k: v for k, v in plans.items() if v is not None}


def _say(progress: Callable[[str], Any] | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


# ---------------------------------------------------------------- computing
def compute_assessment(ws: Any) -> Any:
    """Assess the workspace's organizations (:func:`lianxin_geo.pipeline.run_assessment`)."""
    from lianxin_geo.pipeline import run_assessment

    return run_assessment(ws)


def compute_plans(
    ws: Any,
    *,
    which: Iterable[str] = ("joint", "routes", "coverage"),
    time_limit_s: float = 60.0,
    new_sites: int = 5,
    seed: int = 0,
    assessment: Any = None,
    progress: Callable[[str], Any] | None = None,
) -> Plans:
    """Compute the joint-unit, instructor-route and coverage plans (:func:`lianxin_geo.pipeline.run_plans`).

    Parameters
    ----------
    ws
        The workspace.
    which
        Which plans to compute.
    time_limit_s
        Total solver time, shared 40 % joint units, 40 % routes, 20 % coverage.
    new_sites
        Number of new service-center sites the coverage plan proposes.
    seed
        Seed of every solver.
    assessment
        The assessment the plans start from (computed when not given).
    progress
        Called with a short Chinese message before each plan.
    """
    from lianxin_geo.pipeline import run_plans

    _, plans = run_plans(ws, which=which, assessment=assessment, k=new_sites, time_limit_s=time_limit_s, seed=seed,
                         progress=progress)
    return plans


def export_plan_xlsx(ws: Any, path: PathLike, *, plans: Plans | Mapping[str, Any]) -> Path:
    """Write only the plans' sheets (what ``lianxin-geo plan … --out F.xlsx`` writes)."""
    p = _plans(plans)
    notes = list(getattr(ws, "data_notes", []) or [])
    body: list[Sheet] = []
    if "joint" in p:
        body += _joint_sheets(p["joint"], ws, notes)
    if "routes" in p:
        body += _route_sheets(p["routes"], notes)
    if "coverage" in p:
        body += _coverage_sheets(p["coverage"], notes)
    if not body:
        raise ValueError("没有可写出的方案 / no plan to write")
    return write_workbook(path, body)


# ---------------------------------------------------------------- HTML
_DEMO_LAYERS = {"orgs": "orgs", "buildings": "buildings", "parks": "parks", "centers": "centers",
                "units": "orgs", "routes": "orgs", "gaps": "orgs", "sites": "orgs"}


def _label_layers(fmap: Any, ws: Any) -> None:
    """Add （演示数据）/（示意边界） to the names of synthetic / approximate layers in the layer switcher."""
    from lianxin_geo.present.maps import LAYERS

    by_name = {v: k for k, v in LAYERS.items()}
    demo = set(getattr(ws, "demo_kinds", ()) or ())
    for child in list(fmap._children.values()):
        name = getattr(child, "layer_name", None)
        key = by_name.get(name)
        if key is None:
            continue
        tags = []
        if key == "boundaries" and getattr(ws.district, "approximate", False):
            tags.append("示意边界，非官方")
        if _DEMO_LAYERS.get(key) in demo:
            tags.append("演示数据（合成）")
        if tags:
            child.layer_name = f"{name}（{'；'.join(tags)}）"


def _rates(assessment: Any) -> pd.DataFrame | None:
    if assessment is None:
        return None
    j = assessment.jurisdictions
    cols = [c for c in ("code", "name", "org_coverage_rate", "single_rate", "work_coverage_rate",
                        "enterprise_org_coverage_rate", "social_org_coverage_rate") if c in j]
    out = j[cols].copy()
    if "org_coverage_rate" in out:
        out["org_rate"] = out["org_coverage_rate"]
    return out


def export_html(
    ws: Any,
    path: PathLike,
    *,
    plans: Plans | Mapping[str, Any] | None = None,
    assessment: Any = None,
    title: str | None = None,
    layers: Sequence[str] | None = None,
) -> Path:
    """Write one self-contained HTML map (opens offline: every script and style inlined).

    Parameters
    ----------
    ws
        The workspace.
    path
        Output ``.html`` file.
    plans
        :class:`Plans` or ``{"joint"|"routes"|"coverage": plan}``: their layers are added.
    assessment
        Colours orgs by status and towns by organization coverage rate.
    title
        Page title; default names the district.
    layers
        Layer keys (:data:`lianxin_geo.present.maps.LAYERS`); default every layer whose data exist.

    Raises
    ------
    RuntimeError
        If the page would still load anything from another host (never expected).
    """
    from lianxin_geo.present import assets as _assets
    from lianxin_geo.present import maps

    p = _plans(plans)
    if layers is None:
        layers = ["boundaries", "orgs", "buildings", "parks", "centers"]
        layers += [k for k, need in (("units", "joint"), ("routes", "routes"), ("gaps", "coverage"),
                                     ("sites", "coverage")) if need in p]
    target = None
    try:
        target = float(ws.profile.get("targets.enterprise"))
    except Exception:  # noqa: BLE001 - a profile without targets: plain shading
        target = None
    fmap = maps.build_map(ws, layers=layers, basemap="none", plans=p, assessment=assessment,
                          rates=_rates(assessment), target=target, asset_base=None)
    _label_layers(fmap, ws)
    heading = title or f"{getattr(ws.district, 'name', '')}两新党建地图"
    html = maps.map_html(fmap, title=heading)
    day = _dt.date.today().isoformat()
    banner = ("<div class=\"lx-title\" style=\"position:fixed;top:8px;left:50%;transform:translateX(-50%);"
              "z-index:1001;background:rgba(255,255,255,.92);padding:4px 12px;border-radius:4px;"
              "font:bold 15px sans-serif;pointer-events:none\">" + maps.esc(heading)
              + f"<span style=\"font:12px sans-serif;color:#555;margin-left:10px\">制图日期：{day}</span></div>")
    html = html.replace("<body>", "<body>" + banner, 1)
    bad = _assets.external_urls(html)
    if bad:
        raise RuntimeError("HTML 地图仍引用外部地址（不能离线打开）：" + "、".join(bad[:5]))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


# ---------------------------------------------------------------- static maps
def export_png(
    ws: Any,
    path: PathLike,
    *,
    plans: Plans | Mapping[str, Any] | None = None,
    assessment: Any = None,
    what: str = "overview",
    focus: str | None = None,
    dpi: int = 150,
    size_in: tuple[float, float] = (11.69, 8.27),
    title: str | None = None,
) -> Path:
    """Write a static map as PNG (``size_in`` × ``dpi`` pixels; A4 landscape at 150 dpi = 1753×1240).

    ``what`` is ``overview``, ``joint``, ``routes`` or ``coverage``; ``focus`` a
    jurisdiction code to zoom to.
    """
    from lianxin_geo.present import staticmap as _staticmap

    fig = _staticmap.draw_map(ws, what=what, plans=_plans(plans), assessment=assessment, focus=focus,
                              size_in=size_in, title=title)  # type: ignore[arg-type]
    return _staticmap.save_figure(fig, Path(path).with_suffix(".png") if not str(path).lower().endswith(".png")
                                  else path, dpi=dpi)


def export_pdf(
    ws: Any,
    path: PathLike,
    *,
    plans: Plans | Mapping[str, Any] | None = None,
    assessment: Any = None,
    whats: Sequence[str] | None = None,
    size_in: tuple[float, float] = (11.69, 8.27),
) -> Path:
    """Write the static maps as a multi-page vector PDF (one page per map, bundled font embedded).

    ``whats`` defaults to the overview plus one page per plan given.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    from lianxin_geo.present import staticmap as _staticmap

    p = _plans(plans)
    if whats is None:
        whats = ["overview"] + [w for w, k in (("joint", "joint"), ("routes", "routes"), ("coverage", "coverage"))
                                if k in p]
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with PdfPages(out, metadata={"Title": "两新党建地图", "Creator": "lianxin-geo"}) as pdf:
        for w in whats:
            fig = _staticmap.draw_map(ws, what=w, plans=p, assessment=assessment, size_in=size_in)  # type: ignore[arg-type]
            pdf.savefig(fig, facecolor="white")
    return out


# ---------------------------------------------------------------- Excel
def _assessment_sheets(assessment: Any, *, per_org: bool) -> list[Sheet]:
    """The assessment's sheets (附件1–4 …) as :class:`Sheet` objects, to combine with the plans' sheets."""
    from lianxin_geo.assessment.assessor import assessment_sheets

    return list(assessment_sheets(assessment, per_org=per_org))


def _frame_sheet(name: str, title: str, df: pd.DataFrame | None, columns: Mapping[str, str], notes: Sequence[str],
                 *, pct: Sequence[str] = ()) -> Sheet:
    df = df if df is not None else pd.DataFrame()
    cols = [c for c in columns if c in df.columns]
    rows = [[cell_value(v) for v in rec] for rec in df[cols].itertuples(index=False, name=None)] if len(df) else []
    fmts = {i: "0.0%" for i, c in enumerate(cols) if c in pct}
    return Sheet(name=name, headers=[columns[c] for c in cols], rows=rows, title=title, notes=list(notes),
                 number_formats=fmts)


def _joint_sheets(joint: Any, ws: Any, notes: Sequence[str]) -> list[Sheet]:
    doc = plan_json(joint)
    names = dict(getattr(ws.district, "town_names", {}) or {})
    units = doc.get("units", [])
    urows = []
    for u in units:
        venue = u.get("venue") or {}
        urows.append([u.get("unit_id"), names.get(str(u.get("jurisdiction_code")), u.get("jurisdiction_code")),
                      u.get("jurisdiction_code"), u.get("kind"), u.get("industry"), len(u.get("org_ids", [])),
                      u.get("members"), u.get("employees"), u.get("hub_id"), u.get("hub_name"), u.get("radius_m"),
                      venue.get("name", "") if isinstance(venue, Mapping) else venue,
                      venue.get("type", "") if isinstance(venue, Mapping) else "",
                      venue.get("distance_m") if isinstance(venue, Mapping) else None, u.get("reason")])
    mrows = []
    for u in units:
        for k, (oid, oname) in enumerate(zip(u.get("org_ids", []), u.get("org_names", [])), start=1):
            mrows.append([u.get("unit_id"), k, oid, oname, "是" if str(oid) == str(u.get("hub_id")) else "否",
                          names.get(str(u.get("jurisdiction_code")), u.get("jurisdiction_code"))])
    st = doc.get("stats", {})
    fund = doc.get("funding", {})
    head = [f"新建联建单元 {st.get('units', len(units))} 个；纳入 {st.get('placed', '')} 家；未纳入 {st.get('unplaced', '')} 家；"
            f"保留现有联合党组织 {st.get('kept_units', '')} 个"]
    if fund.get("note"):
        head.append(f"经费（{fund.get('rule', '')}）：{fund.get('note')}")
    sheets = [
        Sheet(name="联建单元", title="联建方案：每个联建单元一行",
              headers=["联建单元", "镇街", "镇街代码", "类型", "行业", "单位数", "正式党员", "从业人员", "牵头单位编号",
                       "牵头单位", "半径（米）", "建议活动场所", "场所类型", "场所距离（米）", "理由"],
              rows=urows, notes=[*notes, *head]),
        Sheet(name="联建成员", title="联建方案：每个成员单位一行",
              headers=["联建单元", "序号", "单位编号", "单位名称", "是否牵头", "镇街"], rows=mrows, notes=list(notes)),
        _frame_sheet("未纳入联建", "未纳入联建的单位及下一步", pd.DataFrame(doc.get("unplaced", [])),
                     {"org_id": "单位编号", "name": "单位名称", "jurisdiction_code": "镇街代码", "reason": "原因",
                      "next_option": "下一步"}, notes),
    ]
    if doc.get("violations"):
        v = pd.DataFrame(doc["violations"])
        sheets.append(_frame_sheet("联建校验", "联建方案独立校验：违反的规则", v, {c: c for c in v.columns}, notes))
    return sheets


def _route_sheets(routes: Any, notes: Sequence[str]) -> list[Sheet]:
    doc = plan_json(routes)
    rrows = []
    for r in doc.get("routes", []):
        base = r.get("base") or {}
        nav = r.get("nav") or {}
        rrows.append([r.get("instructor_id"), r.get("town_name"), r.get("jurisdiction_code"),
                      base.get("name", "") if isinstance(base, Mapping) else base, r.get("stops"), r.get("length_km"),
                      r.get("minutes"), r.get("status"), "、".join(map(str, r.get("org_names", []))),
                      nav.get("amap", ""), nav.get("baidu", "")])
    st = doc.get("stats", {})
    head = [f"共 {st.get('orgs', '')} 家单位、{st.get('instructors', '')} 名指导员；距离来源：{st.get('distance_source', '')}；"
            f"车速 {st.get('speed_kmh', '')} 公里/小时、每家走访 {st.get('visit_minutes', '')} 分钟"]
    sheets = [
        Sheet(name="指导员路线", title="指导员走访路线：每名指导员一行",
              headers=["指导员编号", "镇街", "镇街代码", "出发/返回", "走访单位数", "里程（公里）", "用时（分钟）", "状态",
                       "走访单位（按顺序）", "高德导航", "百度导航"], rows=rrows, notes=[*notes, *head]),
    ]
    sheet = routes.route_sheet() if hasattr(routes, "route_sheet") else pd.DataFrame()
    sheets.append(Sheet(name="路线单", title="指导员路线单（每站一行，出发点在首尾）", headers=list(sheet.columns),
                        rows=[[cell_value(v) for v in rec] for rec in sheet.itertuples(index=False, name=None)],
                        notes=list(notes)))
    sheets.append(_frame_sheet("指导员配置", "各镇街指导员需求与路线统计", pd.DataFrame(doc.get("towns", [])),
                               {"jurisdiction_code": "镇街代码", "town_name": "镇街", "orgs": "需指导单位",
                                "instructors_needed": "需指导员", "instructors_available": "现有指导员",
                                "instructors_gap": "缺口", "orgs_min": "每人最少单位", "orgs_mean": "每人平均单位",
                                "orgs_max": "每人最多单位", "routes_below_band": "低于下限的路线", "km_total": "总里程（公里）",
                                "km_mean": "平均里程（公里）", "km_max": "最长里程（公里）"}, notes))
    if doc.get("unassigned"):
        sheets.append(_frame_sheet("未分配指导员", "未分配指导员的单位", pd.DataFrame(doc["unassigned"]),
                                   {"org_id": "单位编号", "reason": "原因"}, notes))
    return sheets


def _coverage_sheets(cov: Any, notes: Sequence[str]) -> list[Sheet]:
    doc = plan_json(cov)
    juris = pd.DataFrame((doc.get("coverage") or {}).get("jurisdictions", []))
    pct = ("orgs_share", "members_share", "employees_share", "orgs_share_after", "members_share_after",
           "employees_share_after")
    return [
        _frame_sheet("建议新增阵地", "建议新增党群活动服务中心（按增益排序）", pd.DataFrame(doc.get("proposed_sites", [])),
                     {"rank": "排序", "site_id": "候选点编号", "kind": "候选类型", "name": "名称", "lon": "经度", "lat": "纬度",
                      "jurisdiction_name": "镇街", "newly_covered_orgs": "新增覆盖组织", "newly_covered_employees": "新增覆盖从业人员",
                      "newly_covered_members": "新增覆盖党员", "newly_covered_buildings": "新增覆盖楼宇", "reach_m": "服务半径（米）",
                      "level": "层级", "required_m2": "标准面积（㎡）", "reason": "理由"}, notes),
        _frame_sheet("阵地覆盖", "各镇街阵地服务范围覆盖情况（新增前/后）", juris,
                     {"jurisdiction_code": "镇街代码", "name": "镇街", "kind": "类型", "orgs": "组织数",
                      "orgs_covered": "在服务范围内", "orgs_share": "覆盖比例", "orgs_share_after": "新增后覆盖比例",
                      "members_share": "党员覆盖比例", "employees_share": "从业人员覆盖比例", "orgs_unlocated": "未定位",
                      "orgs_uncovered": "未覆盖", "buildings": "楼宇", "buildings_uncovered": "未覆盖楼宇"}, notes,
                     pct=pct),
        _frame_sheet("覆盖缺口", "覆盖缺口（六边形网格，缺口大者在前）", pd.DataFrame(doc.get("gaps", [])),
                     {"cell_id": "网格", "lon": "经度", "lat": "纬度", "jurisdiction_code": "镇街代码", "orgs": "未覆盖组织",
                      "employees": "从业人员", "members": "党员"}, notes),
    ]


def _validation_sheet(ws: Any, notes: Sequence[str]) -> Sheet:
    labels = {"orgs": "组织台账", "buildings": "楼宇台账", "parks": "园区台账", "centers": "阵地台账"}
    rows: list[list[Any]] = []
    summary = []
    for kind, res in (getattr(ws, "ledgers", {}) or {}).items():
        summary.append(f"{labels.get(kind, kind)}：读入 {getattr(res, 'rows_in', '')} 行，接受 {getattr(res, 'n_accepted', '')}，"
                       f"拒绝 {getattr(res, 'n_rejected', '')}（来源 {getattr(res, 'source', '')}）")
        for i in getattr(res, "issues", []) or []:
            rows.append([labels.get(kind, kind), getattr(i, "row", None), getattr(i, "column", None),
                         getattr(i, "value", None), getattr(i, "severity", None), getattr(i, "reason", None)])
    return Sheet(name="台账校验", title="台账校验报告", headers=["台账", "行号", "列", "原值", "级别", "原因"], rows=rows,
                 notes=[*notes, *summary])


def _org_card_sheets(assessment: Any, notes: Sequence[str]) -> list[Sheet]:
    """One sheet per organization (一企一表 / 一社一表)."""
    labels = [("name", "单位名称"), ("credit_code", "统一社会信用代码"), ("kind", "组织类别"), ("social_type", "社会组织类型"),
              ("industry", "行业"), ("address", "地址"), ("jurisdiction_name", "所属镇街"), ("employees", "从业人员数"),
              ("members", "正式党员数"), ("probationary", "预备党员数"), ("party_status", "党组织状态"),
              ("party_org_type", "党组织类型"), ("joint_org_id", "联合党组织编号"), ("instructor", "党建指导员"),
              ("mass_org", "群团组织"), ("status", "覆盖状态"), ("status_reason", "说明"),
              ("clear_operations", "经营情况清"), ("clear_staff", "从业人员清"), ("clear_members", "党员情况清"),
              ("clear_owner", "出资人情况清"), ("clear_reason", "未建原因清")]
    acts = assessment.actions
    groups = dict(list(acts.groupby("org_id", sort=False))) if len(acts) else {}
    sheets = []
    for n, r in enumerate(assessment.orgs.to_dict("records"), start=1):
        table = "一企一表" if r.get("kind") == "非公企业" else "一社一表"
        rows = [[label, r.get(key)] for key, label in labels if key in r]
        g = groups.get(r.get("id"))
        if g is not None:
            for rec in g.to_dict("records"):
                rows.append([f"措施：{rec.get('action')}",
                             f"{rec.get('reason')}（{rec.get('rule')} {rec.get('doc')} {rec.get('clause')}）"])
        sheets.append(Sheet(name=f"{n:04d} {r.get('name') or ''}", title=f"{table}：{r.get('name') or ''}",
                            headers=["项目", "内容"], rows=rows, notes=list(notes), widths=[24, 80]))
    return sheets


def export_xlsx(
    ws: Any,
    path: PathLike,
    *,
    assessment: Any = None,
    plans: Plans | Mapping[str, Any] | None = None,
    per_org_sheets: bool = False,
) -> Path:
    """Write the workbook: 说明, the assessment tables, the plans' tables and the validation report.

    Sheets: 说明; 附件1–4, 覆盖率, 措施清单, 阵地达标, 经费测算, 联系点候选, 策略配置
    (from the assessment, computed when not given); 联建单元 (one row per unit),
    联建成员 (one row per member org), 未纳入联建; 指导员路线, 路线单, 指导员配置;
    建议新增阵地, 阵地覆盖, 覆盖缺口; 台账校验; with ``per_org_sheets`` one sheet per
    organization (一企一表/一社一表). Text that a spreadsheet could run as a
    formula is stored as text (:mod:`lianxin_geo.present.xlsx`).
    """
    a = assessment if assessment is not None else compute_assessment(ws)
    p = _plans(plans)
    notes = list(getattr(ws, "data_notes", []) or [])
    body = _assessment_sheets(a, per_org=False)
    if "joint" in p:
        body += _joint_sheets(p["joint"], ws, notes)
    if "routes" in p:
        body += _route_sheets(p["routes"], notes)
    if "coverage" in p:
        body += _coverage_sheets(p["coverage"], notes)
    body.append(_validation_sheet(ws, notes))
    if per_org_sheets:
        body += _org_card_sheets(a, notes)
    contents = [[i, s.name, s.title or ""] for i, s in enumerate(body, start=1)]
    intro = Sheet(name="说明", title=f"{getattr(ws.district, 'name', '')}两新党建统计与规划表",
                  headers=["序号", "工作表", "内容"], rows=contents,
                  notes=[*[f"注意：{n}" for n in notes], f"生成日期：{_dt.date.today().isoformat()}；由 lianxin-geo 生成"])
    return write_workbook(path, [intro, *body])


# ---------------------------------------------------------------- PowerPoint
def export_pptx(
    ws: Any,
    path: PathLike,
    *,
    assessment: Any = None,
    plans: Plans | Mapping[str, Any] | None = None,
    max_town_slides: int = 6,
    map_png: PathLike | None = None,
    dpi: int = 110,
) -> Path:
    """Write the meeting deck: title, key figures, district map, one slide per town that needs attention
    (largest coverage gap first, at most ``max_town_slides``), joint units, routes, venue compliance.

    ``map_png`` reuses an already drawn overview PNG; otherwise one is drawn.
    """
    from lianxin_geo.present import deck as _pptx
    from lianxin_geo.present import staticmap as _staticmap

    a = assessment if assessment is not None else compute_assessment(ws)
    p = _plans(plans)
    with tempfile.TemporaryDirectory(prefix="lianxin_pptx_") as tmp:
        png = map_png
        if png is None:
            png = export_png(ws, Path(tmp) / "overview.png", plans=p, assessment=a, dpi=dpi)
        towns: dict[str, Path] = {}
        what = "routes" if "routes" in p else "overview"
        for code in _staticmap.iter_focus_codes(a, limit=max_town_slides):
            towns[code] = export_png(ws, Path(tmp) / f"town_{code}.png", plans=p, assessment=a, what=what,
                                     focus=code, dpi=dpi, size_in=(8.0, 7.0))
        return _pptx.build_deck(ws, path, assessment=a, plans=p, map_png=png, town_pngs=towns)


# ---------------------------------------------------------------- GIS layers
def export_gpkg(
    ws: Any,
    path: PathLike,
    *,
    plans: Plans | Mapping[str, Any] | None = None,
    assessment: Any = None,
    gcj02: bool = False,
) -> list[Path]:
    """Write every layer to a GeoPackage (WGS-84); with ``gcj02`` also ``<stem>_gcj02.gpkg``.

    Returns the paths written (the WGS-84 file first).
    """
    from lianxin_geo.present import gpkg as _gpkg

    layers = _gpkg.build_layers(ws, plans=_plans(plans), assessment=assessment)
    out = [_gpkg.write_gpkg(layers, path)]
    if gcj02:
        p = Path(path)
        out.append(_gpkg.write_gpkg(_gpkg.to_gcj02(layers), p.with_name(p.stem + "_gcj02" + p.suffix)))
    return out


def export_geojson_dir(
    ws: Any,
    folder: PathLike,
    *,
    plans: Plans | Mapping[str, Any] | None = None,
    assessment: Any = None,
    gcj02: bool = False,
) -> list[Path]:
    """Write every layer as ``<folder>/<layer>.geojson`` (WGS-84); with ``gcj02`` also ``<layer>_gcj02.geojson``."""
    from lianxin_geo.present import gpkg as _gpkg

    layers = _gpkg.build_layers(ws, plans=_plans(plans), assessment=assessment)
    out = _gpkg.write_geojson_dir(layers, folder)
    if gcj02:
        out += _gpkg.write_geojson_dir(_gpkg.to_gcj02(layers), folder, suffix="_gcj02")
    return out


# ---------------------------------------------------------------- everything
def run_all(
    ws: Any,
    out_dir: PathLike,
    *,
    formats: Sequence[str] = ("html", "png", "xlsx", "pptx", "gpkg"),
    progress: Callable[[str], Any] | None = None,
    time_limit_s: float = 120.0,
    assessment: Any = None,
    plans: Plans | Mapping[str, Any] | None = None,
    new_sites: int = 5,
    seed: int = 0,
    gcj02: bool = False,
    per_org_sheets: bool = False,
    max_town_slides: int = 6,
    dpi: int = 150,
) -> dict[str, Path]:
    """Assess, compute the three plans and write every requested file into ``out_dir``.

    Parameters
    ----------
    ws
        The workspace.
    out_dir
        Output folder (created).
    formats
        Any of :data:`FORMATS`.
    progress
        Called with a short Chinese message before each step.
    time_limit_s
        Total solver time of the three plans (see :func:`compute_plans`).
    assessment, plans
        Reuse results already computed (missing plans are computed).
    new_sites, seed
        Passed to :func:`compute_plans`.
    gcj02
        Also write GCJ-02 copies of the GIS layers.
    per_org_sheets
        One sheet per organization in the workbook.
    max_town_slides
        Towns that get their own slide.
    dpi
        Resolution of the PNG maps.

    Returns
    -------
    dict
        ``key -> path`` with keys from :data:`FILE_NAMES` (``html``, ``png``,
        ``png_joint``, ``png_routes``, ``png_coverage``, ``pdf``, ``xlsx``, ``pptx``,
        ``gpkg``, ``gpkg_gcj02``, ``geojson``) for the files written.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"未知导出格式：{', '.join(unknown)}；可选 {', '.join(FORMATS)}")
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if assessment is None:
        _say(progress, "评估组织覆盖")
        assessment = compute_assessment(ws)
    have = _plans(plans)
    missing = [k for k in ("joint", "routes", "coverage") if k not in have]
    if missing:
        computed = compute_plans(ws, which=missing, time_limit_s=time_limit_s, new_sites=new_sites, seed=seed,
                                 assessment=assessment, progress=progress).as_mapping()
        have.update(computed)
    files: dict[str, Path] = {}
    if "html" in formats:
        _say(progress, "导出 HTML 地图")
        files["html"] = export_html(ws, out / FILE_NAMES["html"], plans=have, assessment=assessment)
    if "png" in formats:
        _say(progress, "绘制静态地图")
        files["png"] = export_png(ws, out / FILE_NAMES["png"], plans=have, assessment=assessment, dpi=dpi)
        for what in ("joint", "routes", "coverage"):
            if what in have:
                files[f"png_{what}"] = export_png(ws, out / FILE_NAMES[f"png_{what}"], plans=have,
                                                  assessment=assessment, what=what, dpi=dpi)
    if "pdf" in formats:
        _say(progress, "导出 PDF 地图")
        files["pdf"] = export_pdf(ws, out / FILE_NAMES["pdf"], plans=have, assessment=assessment)
    if "xlsx" in formats:
        _say(progress, "导出 Excel 统计表")
        files["xlsx"] = export_xlsx(ws, out / FILE_NAMES["xlsx"], assessment=assessment, plans=have,
                                    per_org_sheets=per_org_sheets)
    if "pptx" in formats:
        _say(progress, "导出汇报幻灯片")
        files["pptx"] = export_pptx(ws, out / FILE_NAMES["pptx"], assessment=assessment, plans=have,
                                    max_town_slides=max_town_slides, map_png=files.get("png"))
    if "gpkg" in formats:
        _say(progress, "导出 GeoPackage 图层")
        paths = export_gpkg(ws, out / FILE_NAMES["gpkg"], plans=have, assessment=assessment, gcj02=gcj02)
        files["gpkg"] = paths[0]
        if gcj02:
            files["gpkg_gcj02"] = paths[1]
    if "geojson" in formats:
        _say(progress, "导出 GeoJSON 图层")
        export_geojson_dir(ws, out / FILE_NAMES["geojson"], plans=have, assessment=assessment, gcj02=gcj02)
        files["geojson"] = out / FILE_NAMES["geojson"]
    _say(progress, f"完成：{len(files)} 个文件，用时 {time.perf_counter() - t0:.0f} 秒")
    return files
