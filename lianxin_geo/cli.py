"""The ``lianxin-geo`` command line: a thin adapter over the public API.

Exit codes: 0 success, 1 a user error (bad file, bad profile: a clear Chinese
message on stderr), 2 bad usage (unknown option, missing argument).
``--json`` prints one JSON document on stdout and nothing else there; progress
and messages go to stderr. The JSON shapes are documented in ``docs/cli.md``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from lianxin_geo.core.errors import LianxinError

__all__ = ["app", "main"]

err = Console(stderr=True, highlight=False)

app = typer.Typer(
    name="lianxin-geo",
    help="两新党建地理规划工具：台账校验、定位、评估、联建方案、指导员路线、阵地覆盖。\n\n"
    "Two-coverage geo planner for party building in non-public enterprises and social organizations. "
    "Without ledger files every command runs on the embedded Shunyi demo (synthetic data, approximate boundaries).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
plan_app = typer.Typer(
    help="生成方案：joint 联建方案 / routes 指导员路线 / coverage 阵地覆盖与选址。Plans: joint units, routes, coverage.",
    no_args_is_help=True,
)
app.add_typer(plan_app, name="plan")


class Kind(str, Enum):
    orgs = "orgs"
    buildings = "buildings"
    parks = "parks"
    centers = "centers"


# ----------------------------------------------------------------- shared options
OrgsOpt = Annotated[Optional[Path], typer.Option("--orgs", help="组织台账 .xlsx/.csv（缺省用演示数据）/ organization ledger")]
BuildingsOpt = Annotated[Optional[Path], typer.Option("--buildings", help="商务楼宇台账 / buildings ledger")]
ParksOpt = Annotated[Optional[Path], typer.Option("--parks", help="园区台账 / parks ledger")]
CentersOpt = Annotated[Optional[Path], typer.Option("--centers", help="党群活动服务中心台账 / service centers ledger")]
BoundariesOpt = Annotated[
    Optional[Path],
    typer.Option("--boundaries", help="乡镇/街道边界 GeoJSON/SHP/GPKG/KML（缺省用顺义示意边界）/ boundaries file"),
]
BoundariesCrsOpt = Annotated[
    str, typer.Option("--boundaries-crs", help="边界坐标系 WGS84/GCJ02/BD09 / datum of the boundary coordinates")
]
PolicyOpt = Annotated[
    Optional[str],
    typer.Option("--policy", help="政策配置名称或 TOML 文件（缺省 shunyi-2017）/ policy profile name or file"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON 到标准输出 / print JSON on stdout")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="结果文件 / output file")]
DemoOrgsOpt = Annotated[int, typer.Option("--demo-orgs", help="演示组织数（仅用演示数据时）/ demo size", min=1)]
SeedOpt = Annotated[int, typer.Option("--seed", help="随机种子 / random seed")]


def _progress(quiet: bool):
    """A progress callback for the API, ``progress(message, fraction=None)``, drawing a bar line on stderr.

    One line per step (no cursor tricks), so the output reads the same in a terminal, a log file or a
    scheduled task.
    """

    def report(message: str, fraction: float | None = None, *_a, **_k) -> None:
        if quiet:
            return
        message = escape(str(message))
        if isinstance(fraction, (int, float)) and not isinstance(fraction, bool):
            f = min(max(float(fraction), 0.0), 1.0)
            filled = int(round(20 * f))
            bar = "█" * filled + "░" * (20 - filled)
            err.print(f"[dim]{bar} {100 * f:3.0f}%  {message}[/dim]", markup=True, highlight=False)
        else:
            err.print(f"[dim]…  {message}[/dim]", markup=True, highlight=False)

    return report


def _emit_json(doc: Any) -> None:
    from lianxin_geo.core.jsonable import jsonable

    sys.stdout.write(json.dumps(jsonable(doc), ensure_ascii=False, indent=2, allow_nan=False))
    sys.stdout.write("\n")


def _workspace(orgs, buildings, parks, centers, boundaries, policy, boundaries_crs="WGS84", *, demo_orgs=None,
               quiet=False):
    from lianxin_geo.workspace import DEFAULT_DEMO_ORGS, load_workspace

    return load_workspace(
        orgs=orgs, buildings=buildings, parks=parks, centers=centers, boundaries=boundaries, policy=policy,
        boundaries_crs=boundaries_crs, demo_orgs=demo_orgs or DEFAULT_DEMO_ORGS, progress=_progress(quiet),
    )


def _notes(ws) -> None:
    for n in ws.data_notes:
        err.print(f"[yellow]注意：{escape(n)}[/yellow]")


# ----------------------------------------------------------------- demo
@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")],
    orgs: Annotated[int, typer.Option("--orgs", help="组织数量 / number of organizations", min=1)] = 5000,
    seed: SeedOpt = 20170602,
    json_: JsonOpt = False,
) -> None:
    """写出完整的演示数据集（合成台账 + 示意边界）/ write a complete synthetic demo dataset."""
    from lianxin_geo.ingest.demo import write_demo

    t0 = time.perf_counter()
    files = write_demo(out, n_orgs=orgs, seed=seed, progress=_progress(json_))
    doc = {"out": str(out), "orgs": orgs, "seed": seed, "files": {k: str(v) for k, v in files.items()},
           "seconds": round(time.perf_counter() - t0, 3), "note": "演示数据（合成）/ 示意边界"}
    if json_:
        _emit_json(doc)
    else:
        err.print(f"[green]已写出演示数据到 {escape(str(out))}[/green]（{orgs} 个组织，种子 {seed}；合成数据，边界为示意）")
        for k, v in files.items():
            err.print(f"  {k}: {v}", markup=False)


# ----------------------------------------------------------------- template
@app.command()
def template(out: Annotated[Path, typer.Option("--out", help="模板文件 .xlsx / template file")]) -> None:
    """写出空白的标准台账模板（四个工作表）/ write the empty standard ledger template."""
    from lianxin_geo.ingest.template import write_template

    write_template(out)
    err.print(f"[green]已写出标准台账模板：{escape(str(out))}[/green]")


# ----------------------------------------------------------------- validate
@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="台账文件 .xlsx/.csv / ledger file")],
    kind: Annotated[Optional[Kind], typer.Option("--kind", help="台账类型（缺省自动识别）/ ledger kind")] = None,
    boundaries: BoundariesOpt = None,
    boundaries_crs: BoundariesCrsOpt = "WGS84",
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="工作表名称 / sheet name")] = None,
    json_: JsonOpt = False,
) -> None:
    """校验台账：逐行报告问题（行号、列、值、原因）/ validate a ledger and report every problem."""
    from lianxin_geo.ingest.boundaries import demo_district, load_boundaries
    from lianxin_geo.ingest.ledger import detect_kind, read_ledger

    base = demo_district()
    district = base if boundaries is None else load_boundaries(boundaries, gazetteer=base,
                                                                 coord_system=boundaries_crs)
    k = kind.value if kind else detect_kind(file, sheet=sheet)
    res = read_ledger(file, k, district=district, sheet=sheet)
    if json_:
        _emit_json(res.to_json())
        return
    errors = [i for i in res.issues if i.severity == "error"]
    warnings = [i for i in res.issues if i.severity != "error"]
    err.print(f"[bold]{file}[/bold]（{k}）：共 {res.rows_in} 行，接受 {res.n_accepted} 行，拒绝 {res.n_rejected} 行；"
              f"错误 {len(errors)} 个，警告 {len(warnings)} 个")
    out = Console(highlight=False, soft_wrap=True)
    for i in res.issues:
        level = "[red]错误[/red]" if i.severity == "error" else "[yellow]警告[/yellow]"
        value = f"值“{escape(str(i.value))}”" if str(i.value) != "" else "值为空"
        where = f"第{i.row}行" if i.row else "整个文件"
        value = f" {value}" if i.row else ""  # a file-level note has no cell value
        out.print(f"{level} {where} 〔{escape(str(i.column))}〕{value}：{escape(i.reason)}", markup=True)


# ----------------------------------------------------------------- locate
@app.command()
def locate(
    orgs: OrgsOpt = None,
    buildings: BuildingsOpt = None,
    parks: ParksOpt = None,
    boundaries: BoundariesOpt = None,
    boundaries_crs: BoundariesCrsOpt = "WGS84",
    out: Annotated[Optional[Path], typer.Option("--out", help="输出 .geojson/.gpkg/.csv/.xlsx / output file")] = None,
    json_: JsonOpt = False,
) -> None:
    """为每个组织定位并确定所属乡镇/街道 / place every organization on the map and on its town."""
    ws = _workspace(orgs, buildings, parks, None, boundaries, None, boundaries_crs, quiet=json_)
    doc = ws.located.to_json(rows_in=ws.ledgers["orgs"].rows_in)
    doc["rejected"] = ws.ledgers["orgs"].n_rejected
    doc["notes"] = ws.data_notes
    if out is not None:
        _write_located(ws, out)
    if json_:
        _emit_json(doc)
        return
    _notes(ws)
    err.print(f"共 {doc['rows_in']} 行：定位 {doc['located']}，未定位 {doc['unlocated']}，"
              f"拒绝 {doc['rejected']}；与所属镇街不一致 {doc['mismatches']}")
    err.print("定位精度：" + "，".join(f"{k} {v}" for k, v in doc["by_precision"].items()))
    if out is not None:
        err.print(f"[green]已写出 {escape(str(out))}[/green]")


def _write_located(ws, out: Path) -> None:
    suffix = out.suffix.lower()
    gdf = ws.located.to_geodataframe()
    if suffix in (".geojson", ".json"):
        gdf.to_file(out, driver="GeoJSON")
    elif suffix == ".gpkg":
        gdf.to_file(out, driver="GPKG", layer="orgs")
    elif suffix == ".csv":
        gdf.drop(columns="geometry").to_csv(out, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        from lianxin_geo.present.xlsx import Sheet, frame_rows, write_workbook

        table = gdf.drop(columns="geometry")
        write_workbook(out, [Sheet("定位结果", list(table.columns), frame_rows(table), title="组织定位结果",
                                   notes=ws.data_notes)])
    else:
        raise LianxinError(f"不支持的输出格式 {suffix!r}：请使用 .geojson、.gpkg、.csv 或 .xlsx")


# ----------------------------------------------------------------- assess
@app.command()
def assess(
    orgs: OrgsOpt = None,
    centers: CentersOpt = None,
    buildings: BuildingsOpt = None,
    parks: ParksOpt = None,
    boundaries: BoundariesOpt = None,
    boundaries_crs: BoundariesCrsOpt = "WGS84",
    policy: PolicyOpt = None,
    per_org: Annotated[bool, typer.Option("--per-org", help="xlsx 中加入一企一表/一社一表 / add per-org cards")] = False,
    json_: JsonOpt = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="统计表 .xlsx / statistics workbook")] = None,
) -> None:
    """评估每个组织的覆盖状态与应办事项，计算覆盖率、阵地达标、经费 / assess coverage, rates, venues, funding."""
    from lianxin_geo.assessment.assessor import assess as run_assess
    from lianxin_geo.assessment.assessor import write_assessment_xlsx

    ws = _workspace(orgs, buildings, parks, centers, boundaries, policy, boundaries_crs, quiet=json_)
    a = run_assess(ws.orgs, centers=ws.centers, parks=ws.parks, buildings=ws.buildings, district=ws.district,
                   profile=ws.profile)
    if out is not None:
        write_assessment_xlsx(a, out, per_org=per_org)
    doc = a.to_json()
    doc.setdefault("notes", ws.data_notes)
    if json_:
        _emit_json(doc)
        return
    _notes(ws)
    d = doc["district"]
    err.print(f"[bold]{ws.district.name}[/bold]（政策配置 {ws.profile.name}）：组织 {d.get('orgs')} 个；"
              f"组织覆盖率 {_pct(d.get('org_coverage_rate'))}，单独组建率 {_pct(d.get('single_rate'))}，"
              f"工作覆盖率 {_pct(d.get('work_coverage_rate'))}")
    err.print(f"应办事项 {len(doc.get('actions', []))} 条；阵地未达标镇街 "
              f"{sum(1 for v in doc.get('venues', []) if not v.get('compliant'))} 个")
    if out is not None:
        err.print(f"[green]已写出统计表 {escape(str(out))}[/green]")


def _pct(v) -> str:
    return "—" if v is None else f"{100 * float(v):.1f}%"


# ----------------------------------------------------------------- plan
GraphOpt = Annotated[
    Optional[Path],
    typer.Option("--graph", help="路网文件 .graphml/.osm（缺省按直线距离×绕行系数）/ road graph file"),
]
TimeLimitOpt = Annotated[float, typer.Option("--time-limit", help="求解时限（秒）/ solver time limit (s)", min=0.1)]


def _graph(path: Optional[Path]):
    if path is None:
        return None
    from lianxin_geo.plan.routes.routing import load_road_graph

    return load_road_graph(path)


def _write_plan(ws, out: Path, first_table, **plans) -> None:
    """Write a plan's tables: .xlsx gets every sheet (formula-safe), .csv the main table."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        from lianxin_geo.present.export import export_plan_xlsx

        export_plan_xlsx(ws, out, plans=plans)
    elif suffix == ".csv":
        first_table().to_csv(out, index=False, encoding="utf-8-sig")
    else:
        raise LianxinError(f"不支持的输出格式 {suffix!r}：请使用 .xlsx 或 .csv（路线另支持 .md）")


def _finish(ws, doc: dict, json_: bool, out: Optional[Path], summary) -> None:
    """Print the JSON document, or the honesty notes, a Chinese summary and what was written."""
    doc.setdefault("notes", ws.data_notes)
    if json_:
        _emit_json(doc)
        return
    _notes(ws)
    err.print(summary(doc))
    if out is not None:
        err.print(f"[green]已写出 {escape(str(out))}[/green]")


@plan_app.command("joint")
def plan_joint(
    orgs: OrgsOpt = None,
    boundaries: BoundariesOpt = None,
    buildings: BuildingsOpt = None,
    parks: ParksOpt = None,
    centers: CentersOpt = None,
    policy: PolicyOpt = None,
    boundaries_crs: BoundariesCrsOpt = "WGS84",
    reoptimize: Annotated[bool, typer.Option("--reoptimize", help="重新优化已有联合党组织 / re-plan existing joint orgs")] = False,
    cross_town: Annotated[Optional[bool], typer.Option("--cross-town/--same-town", help="允许跨相邻镇街联建 / allow adjacent towns")] = None,
    zero_in_building: Annotated[Optional[bool], typer.Option("--zero-member-in-building/--no-zero-member-in-building", help="楼宇/园区内无党员单位纳入联建 / include zero-member orgs in buildings")] = None,
    seed: SeedOpt = 0,
    json_: JsonOpt = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="联建方案 .xlsx/.csv / proposal table")] = None,
) -> None:
    """联建方案：按属地、行业相近、单位数与党员数上下限生成联合党组织 / joint party-unit proposals."""
    from lianxin_geo.pipeline import run_joint

    ws = _workspace(orgs, buildings, parks, centers, boundaries, policy, boundaries_crs, quiet=json_)
    plan = run_joint(ws, reoptimize=reoptimize, cross_town=cross_town, include_zero_member_in_building=zero_in_building,
                     seed=seed, progress=_progress(json_))
    if out is not None:
        _write_plan(ws, out, plan.units_frame, joint=plan)
    _finish(ws, plan.to_json(), json_, out, lambda d: (
        f"联建方案：符合条件 {d['stats']['eligible']} 个，纳入 {d['stats']['placed']} 个，组成 {d['stats']['units']} 个"
        f"联合党组织；平均半径 {d['stats']['mean_radius_m']:.0f} 米，最大 {d['stats']['max_radius_m']:.0f} 米；"
        f"违规 {len(d['violations'])} 条"))


@plan_app.command("routes")
def plan_routes(
    orgs: OrgsOpt = None,
    centers: CentersOpt = None,
    boundaries: BoundariesOpt = None,
    graph: GraphOpt = None,
    policy: PolicyOpt = None,
    buildings: BuildingsOpt = None,
    parks: ParksOpt = None,
    boundaries_crs: BoundariesCrsOpt = "WGS84",
    time_limit: TimeLimitOpt = 30.0,
    cross_town: Annotated[bool, typer.Option("--cross-town", help="允许一名指导员跨镇街 / allow routes across towns")] = False,
    replan: Annotated[bool, typer.Option("--replan", help="已有指导员的组织也重新分配 / re-plan orgs that have an instructor")] = False,
    no_new_units: Annotated[bool, typer.Option("--no-new-units", help="不含新建联合党组织和新建党组织 / leave out new units")] = False,
    seed: SeedOpt = 0,
    json_: JsonOpt = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="路线单 .xlsx/.csv/.md / route sheets")] = None,
) -> None:
    """指导员联系路线：每人约10个组织，按镇街与行业分组并规划走访路线 / instructor workloads and routes."""
    from lianxin_geo.pipeline import run_assessment, run_joint, run_routes

    ws = _workspace(orgs, buildings, parks, centers, boundaries, policy, boundaries_crs, quiet=json_)
    g = _graph(graph)
    a = run_assessment(ws)
    include = False if no_new_units else None
    joint = None
    if not no_new_units and ws.profile.get("instructors.include_new_units"):
        joint = run_joint(ws, assessment=a, seed=seed)
    plan = run_routes(ws, assessment=a, joint=joint, include_new_units=include, graph=g, time_limit_s=time_limit,
                      cross_town=cross_town, replan=replan, seed=seed, progress=_progress(json_))
    if out is not None:
        if out.suffix.lower() == ".md":
            out.write_text(plan.to_markdown(), encoding="utf-8")
        else:
            _write_plan(ws, out, plan.route_sheet, routes=plan)
    _finish(ws, plan.to_json(), json_, out, lambda d: (
        f"指导员路线：{d['stats']['orgs']} 个组织，{d['stats']['instructors']} 名指导员，总里程 "
        f"{d['stats']['total_km']:.1f} 公里（距离来源：{d['stats']['distance_source']}）；未分配 {len(d['unassigned'])} 个"))


@plan_app.command("coverage")
def plan_coverage(
    orgs: OrgsOpt = None,
    centers: CentersOpt = None,
    buildings: BuildingsOpt = None,
    parks: ParksOpt = None,
    boundaries: BoundariesOpt = None,
    graph: GraphOpt = None,
    new_sites: Annotated[int, typer.Option("--new-sites", help="建议新增阵地数 k / number of new sites", min=0)] = 5,
    policy: PolicyOpt = None,
    boundaries_crs: BoundariesCrsOpt = "WGS84",
    time_limit: TimeLimitOpt = 30.0,
    json_: JsonOpt = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="覆盖与选址 .xlsx/.csv / coverage tables")] = None,
) -> None:
    """阵地覆盖：服务范围、覆盖缺口、新址建议与面积达标 / service-center coverage, gaps, siting, venues."""
    from lianxin_geo.pipeline import run_coverage

    ws = _workspace(orgs, buildings, parks, centers, boundaries, policy, boundaries_crs, quiet=json_)
    plan = run_coverage(ws, k=new_sites, graph=_graph(graph), time_limit_s=time_limit)
    if out is not None:
        _write_plan(ws, out, lambda: next(iter(plan.tables().values())), coverage=plan)
    _finish(ws, plan.to_json(), json_, out, lambda d: (
        f"阵地覆盖：组织覆盖 {_pct(d['coverage']['district']['orgs_share'])}，党员覆盖 "
        f"{_pct(d['coverage']['district']['members_share'])}，从业人员覆盖 "
        f"{_pct(d['coverage']['district']['employees_share'])}；建议新址 {len(d['proposed_sites'])} 处"
        f"（方法 {d['stats']['method']}）"))


# ----------------------------------------------------------------- export / run
class Format(str, Enum):
    html = "html"
    png = "png"
    pdf = "pdf"
    xlsx = "xlsx"
    pptx = "pptx"
    gpkg = "gpkg"
    geojson = "geojson"


PlanTimeOpt = Annotated[
    float, typer.Option("--time-limit", help="三个方案的总求解时限（秒）/ total solver time of the plans (s)", min=1.0)
]
NewSitesOpt = Annotated[int, typer.Option("--new-sites", help="建议新增阵地数 / number of new sites", min=0)]


@app.command()
def export(
    format_: Annotated[Format, typer.Option("--format", help="导出格式 / format")],
    out: Annotated[Path, typer.Option("--out", help="输出文件（geojson 为目录）/ output file (folder for geojson)")],
    orgs: OrgsOpt = None,
    buildings: BuildingsOpt = None,
    parks: ParksOpt = None,
    centers: CentersOpt = None,
    boundaries: BoundariesOpt = None,
    boundaries_crs: BoundariesCrsOpt = "WGS84",
    policy: PolicyOpt = None,
    time_limit: PlanTimeOpt = 60.0,
    new_sites: NewSitesOpt = 5,
    what: Annotated[str, typer.Option("--what", help="PNG 地图内容 overview/joint/routes/coverage / PNG map")] = "overview",
    gcj02: Annotated[bool, typer.Option("--gcj02", help="另存一份 GCJ-02 坐标的图层 / also write a GCJ-02 copy")] = False,
    per_org: Annotated[bool, typer.Option("--per-org", help="xlsx 中每个组织一张表 / one sheet per org")] = False,
    seed: SeedOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """导出一种格式：html 地图、png/pdf 静态图、xlsx 表格、pptx 幻灯片、gpkg/geojson 图层 / export one format."""
    from lianxin_geo.present import export as ex
    from lianxin_geo.pipeline import run_plans

    ws = _workspace(orgs, buildings, parks, centers, boundaries, policy, boundaries_crs, quiet=json_)
    say = _progress(json_)
    t0 = time.perf_counter()
    f = format_.value
    if f == "png" and what not in ("overview", "joint", "routes", "coverage"):
        raise LianxinError(f"--what 只能是 overview、joint、routes、coverage，收到 {what!r}")
    which = {"png": (() if what == "overview" else (what,))}.get(f, ("joint", "routes", "coverage"))
    a, plans = run_plans(ws, which=which, k=new_sites, time_limit_s=time_limit, seed=seed, progress=say)
    if f == "html":
        files = [ex.export_html(ws, out, plans=plans, assessment=a)]
    elif f == "png":
        files = [ex.export_png(ws, out, plans=plans, assessment=a, what=what)]
    elif f == "pdf":
        files = [ex.export_pdf(ws, out, plans=plans, assessment=a)]
    elif f == "xlsx":
        files = [ex.export_xlsx(ws, out, assessment=a, plans=plans, per_org_sheets=per_org)]
    elif f == "pptx":
        files = [ex.export_pptx(ws, out, assessment=a, plans=plans)]
    elif f == "gpkg":
        files = list(ex.export_gpkg(ws, out, plans=plans, assessment=a, gcj02=gcj02))
    else:
        files = list(ex.export_geojson_dir(ws, out, plans=plans, assessment=a, gcj02=gcj02))
    doc = {"format": f, "files": [str(p) for p in files], "seconds": round(time.perf_counter() - t0, 3),
           "notes": ws.data_notes}
    if json_:
        _emit_json(doc)
        return
    _notes(ws)
    for p in files:
        err.print(f"[green]已写出 {escape(str(p))}[/green]")


@app.command("run")
def run_cmd(
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")],
    orgs: OrgsOpt = None,
    buildings: BuildingsOpt = None,
    parks: ParksOpt = None,
    centers: CentersOpt = None,
    boundaries: BoundariesOpt = None,
    boundaries_crs: BoundariesCrsOpt = "WGS84",
    policy: PolicyOpt = None,
    formats: Annotated[
        str, typer.Option("--formats", help="逗号分隔的格式 / comma-separated formats")
    ] = "html,png,xlsx,pptx,gpkg",
    time_limit: PlanTimeOpt = 120.0,
    new_sites: NewSitesOpt = 5,
    gcj02: Annotated[bool, typer.Option("--gcj02", help="另存一份 GCJ-02 坐标的图层 / also write a GCJ-02 copy")] = False,
    seed: SeedOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """一次完成全部工作：校验、定位、评估、三个方案和全部导出 / everything for a district into one folder."""
    from lianxin_geo.present.export import FORMATS, run_all

    wanted = tuple(x.strip() for x in formats.split(",") if x.strip())
    bad = [x for x in wanted if x not in FORMATS]
    if bad or not wanted:
        raise LianxinError(f"未知格式 {', '.join(bad) or '（空）'}：可选 {', '.join(FORMATS)}")
    t0 = time.perf_counter()
    ws = _workspace(orgs, buildings, parks, centers, boundaries, policy, boundaries_crs, quiet=json_)
    out.mkdir(parents=True, exist_ok=True)
    files = run_all(ws, out, formats=wanted, progress=_progress(json_), time_limit_s=time_limit, new_sites=new_sites,
                    seed=seed, gcj02=gcj02)
    given = {"orgs": orgs, "buildings": buildings, "parks": parks, "centers": centers}
    validation = {k: r.to_json() for k, r in ws.ledgers.items() if given.get(k) is not None}
    if validation:
        import json as _json

        (out / "validation.json").write_text(_json.dumps(validation, ensure_ascii=False, indent=2), encoding="utf-8")
        files["validation"] = out / "validation.json"
    doc = {"out": str(out), "files": {k: str(v) for k, v in files.items()},
           "seconds": round(time.perf_counter() - t0, 3), "notes": ws.data_notes}
    if json_:
        _emit_json(doc)
        return
    _notes(ws)
    err.print(f"[green]已完成，文件写在 {escape(str(out))}[/green]（{doc['seconds']:.0f} 秒）")
    for k, v in files.items():
        err.print(f"  {k}: {v}", markup=False)


# ----------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (0 ok, 1 user error, 2 bad usage)."""
    try:
        app(args=argv, prog_name="lianxin-geo")  # standalone: usage errors exit 2, click errors 1
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except LianxinError as exc:
        err.print(f"[red]错误：{escape(str(exc))}[/red]")
        return 1
    except FileNotFoundError as exc:
        err.print(f"[red]错误：找不到文件 {exc.filename or exc}（请检查路径）[/red]")
        return 1
    except PermissionError as exc:
        err.print(f"[red]错误：没有权限读写 {exc.filename or exc}[/red]")
        return 1
    except Exception as exc:  # a bug, not the user's fault: say so plainly, keep the details for the report
        if os.environ.get("LIANXIN_DEBUG"):
            raise
        import traceback

        err.print(f"[red]内部错误（程序缺陷，请把以下信息报告给开发者）：{type(exc).__name__}: {escape(str(exc))}[/red]")
        err.print(traceback.format_exc(limit=-3), markup=False)
        return 1
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
