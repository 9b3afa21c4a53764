"""The ``lianxin-geo`` command line: a thin adapter over the workspace, the pipeline and the presenters.

Exit codes: 0 success, 1 a user error (bad file, bad profile: a clear Chinese
message on stderr), 2 bad usage (unknown option, missing argument).
``--json`` prints one JSON document on stdout and nothing else there; progress
and messages go to stderr. The JSON shapes are documented in ``docs/cli.md``.

Every file the CLI writes itself is written atomically (a temporary name, then a
rename); CSV cells that a spreadsheet would run as a formula get a leading
apostrophe (:func:`lianxin_geo.core.files.write_csv`).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import os
import sys
import time
import traceback
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape

from lianxin_geo.cli._common import emit_json, err, prestart_for_run, progress_printer
from lianxin_geo.cli.city import city_app, city_demo
from lianxin_geo.cli.store import DbOpt, db_app, measures_app, round_app
from lianxin_geo.cli.users import UserOpt, audit_event, login_user, reset_sessions, users_app
from lianxin_geo.core.distance import load_road_graph
from lianxin_geo.core.engine import SCHEDULER_ENV, Engine, get_engine
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.files import atomic_path, atomic_write_text, write_csv
from lianxin_geo.core.model import ORG_SCHEMA, PRECISION_NAMES
from lianxin_geo.ingest.boundaries import demo_district, load_boundaries
from lianxin_geo.ingest.demo import write_demo
from lianxin_geo.ingest.ledger import read_ledger
from lianxin_geo.ingest.template import write_template
from lianxin_geo.pipeline import (
    plan_failures,
    prepare_engine,
    run_all,
    run_assessment,
    run_coverage,
    run_joint,
    run_plans,
    run_routes,
)
from lianxin_geo.present import export as ex
from lianxin_geo.present.export import FORMATS
from lianxin_geo.present.sheets import write_assessment_xlsx
from lianxin_geo.present.style import pct
from lianxin_geo.present.xlsx import Sheet, frame_rows, write_workbook
from lianxin_geo.store import open_store
from lianxin_geo.workspace import DEFAULT_DEMO_ORGS, Workspace, load_workspace

__all__ = ["app", "main", "run"]


app = typer.Typer(
    name="lianxin-geo",
    help="两新党建地理规划工具：台账校验、定位、评估、联建方案、指导员路线、阵地覆盖。\n\n"
    "Two-coverage geo planner for party building in non-public enterprises and social organizations. "
    "Without ledger files (or with --demo) every command runs on the embedded Shunyi demo (synthetic data, "
    "approximate boundaries); once any ledger file is given, the ledgers not given are empty, never demo data.",
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
app.add_typer(round_app, name="round")
app.add_typer(measures_app, name="measures")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(city_app, name="city")


class Kind(str, Enum):
    orgs = "orgs"
    buildings = "buildings"
    parks = "parks"
    centers = "centers"


# ----------------------------------------------------------------- the input options, once
@dataclass(frozen=True)
class Inputs:
    """The ledger, boundary and policy options of a command.

    A ledger left ``None`` is empty when any other ledger is given; the embedded demo fills it only when no
    ledger is given at all or ``demo`` is true (``--demo``).
    """

    orgs: Optional[Path] = None
    buildings: Optional[Path] = None
    parks: Optional[Path] = None
    centers: Optional[Path] = None
    boundaries: Optional[Path] = None
    boundaries_crs: str = "WGS84"
    policy: Optional[str] = None
    demo: bool = False
    db: Optional[str] = None
    round: Optional[str] = None
    user: Optional[str] = None

    def given(self) -> dict[str, Path]:
        """The ledger files the user named, by kind."""
        return {k: v for k, v in (("orgs", self.orgs), ("buildings", self.buildings), ("parks", self.parks),
                                  ("centers", self.centers)) if v is not None}

    def workspace(self, *, quiet: bool) -> Workspace:
        """Read, validate and locate the inputs, or load the stored round ``--db``/``--round``.

        Progress goes to stderr unless ``quiet``.
        """
        if self.round is not None:
            if self.given() or self.boundaries is not None or self.policy is not None or self.demo:
                raise LianxinError("--round 从数据库读取已导入的台账：不能同时给出台账文件、--boundaries、--policy "
                                   "或 --demo（轮次已保存了它们）")
            _progress(quiet)(f"读取数据库中的轮次 {self.round}")
            with open_store(self.db) as store:
                return store.load_round(self.round, user=login_user(store, self.user))
        if self.db is not None:
            raise LianxinError("给出了 --db 但没有 --round：请用 --round 指定要使用的轮次（lianxin-geo round list 查看）")
        return load_workspace(orgs=self.orgs, buildings=self.buildings, parks=self.parks, centers=self.centers,
                              boundaries=self.boundaries, policy=self.policy, boundaries_crs=self.boundaries_crs,
                              demo_orgs=DEFAULT_DEMO_ORGS, demo=True if self.demo else None,
                              progress=_progress(quiet))

    def audit(self, what: str, ws: Workspace, detail: dict[str, Any]) -> None:
        """Record a plan run or an export made from a stored round (``--round``) in the database's audit."""
        if self.round is not None:  # the towns recorded are the user's (none: the whole district)
            audit_event(self.db, what, detail=detail | {"orgs": len(ws.orgs)}, round_name=self.round)


#: Option of every :class:`Inputs` field: (annotation with the typer option, default).
_INPUT_OPTIONS: dict[str, tuple[Any, Any]] = {
    "orgs": (Annotated[Optional[Path], typer.Option(
        "--orgs", help="组织台账 .xlsx/.xls/.csv（四个台账都未提供时用演示数据）/ organization ledger")], None),
    "buildings": (Annotated[Optional[Path], typer.Option("--buildings", help="商务楼宇台账 / buildings ledger")], None),
    "parks": (Annotated[Optional[Path], typer.Option("--parks", help="园区台账 / parks ledger")], None),
    "centers": (Annotated[Optional[Path], typer.Option(
        "--centers", help="党群活动服务中心台账 / service centers ledger")], None),
    "boundaries": (Annotated[Optional[Path], typer.Option(
        "--boundaries", help="乡镇/街道边界 GeoJSON/SHP/GPKG/KML（缺省用顺义示意边界）/ boundaries file")], None),
    "boundaries_crs": (Annotated[str, typer.Option(
        "--boundaries-crs", help="边界坐标系 WGS84/GCJ02/BD09 / datum of the boundary coordinates")], "WGS84"),
    "policy": (Annotated[Optional[str], typer.Option(
        "--policy", help="政策配置名称或 TOML 文件（缺省 shunyi-2017）/ policy profile name or file")], None),
    "demo": (Annotated[bool, typer.Option(
        "--demo", help="未提供的台账用内置顺义演示数据（合成）补齐；缺省时只要提供了任一台账，其余台账按空表处理"
        " / fill the ledgers not given with the synthetic Shunyi demo")], False),
    "db": (DbOpt, None),
    "round": (Annotated[Optional[str], typer.Option(
        "--round", help="使用数据库中已导入的轮次代替台账文件 / use a stored round instead of ledger files")], None),
    "user": (UserOpt, None),
}
ALL_INPUTS = tuple(f.name for f in fields(Inputs))


def with_inputs(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the input options ``names`` (default: all) and pass them to it as one ``inputs: Inputs``.

    The command declares a parameter ``inputs``; in the command's signature (what typer
    reads) it is replaced by one option per name, so ``--orgs``, ``--policy`` … are
    declared once for every command.
    """
    names = names or ALL_INPUTS

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(func, eval_str=True).parameters.values())
        at = [p.name for p in params].index("inputs")
        added = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=_INPUT_OPTIONS[n][0],
                                   default=_INPUT_OPTIONS[n][1]) for n in names]
        new = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params[:at] + added + params[at + 1:]]

        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            inputs = Inputs(**{n: kwargs.pop(n) for n in names})
            return func(inputs=inputs, **kwargs)

        command.__signature__ = inspect.Signature(new)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in new}
        return command

    return wrap


# ----------------------------------------------------------------- other shared options
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON 到标准输出 / print JSON on stdout")]
SeedOpt = Annotated[int, typer.Option("--seed", help="随机种子 / random seed")]
GraphOpt = Annotated[
    Optional[Path],
    typer.Option("--graph", help="路网文件 .graphml/.osm（缺省按直线距离×绕行系数）/ road graph file"),
]
TimeLimitOpt = Annotated[float, typer.Option("--time-limit", help="求解时限（秒）/ solver time limit (s)", min=0.1)]
PlanTimeOpt = Annotated[
    float, typer.Option("--time-limit", help="三个方案的总求解时限（秒）/ total solver time of the plans (s)", min=1.0)
]
NewSitesOpt = Annotated[int, typer.Option("--new-sites", help="建议新增阵地数 / number of new sites", min=0)]
Gcj02Opt = Annotated[bool, typer.Option("--gcj02", help="另存一份 GCJ-02 坐标的图层 / also write a GCJ-02 copy")]
SchedulerOpt = Annotated[Optional[str], typer.Option(
    "--scheduler", help=f"并行计算：local 本机所有核心（缺省，小任务在本进程）、sync 单进程（调试）、tcp://主机:端口 "
                        f"已有的 Dask 集群；缺省读环境变量 {SCHEDULER_ENV} / local, sync or tcp://HOST:PORT")]


def _engine(scheduler: Optional[str], *, inputs: Optional[Inputs] = None, formats: tuple[str, ...] = ()) -> Engine:
    """The engine of ``--scheduler`` (checked before any work: an unknown name is a Chinese error, exit 1); given a
    run's ``inputs`` and ``formats``, its workers start at once when the orgs ledger is big (:func:`prestart_for_run`:
    the ledger named, or the demo when none is; a stored round starts nothing here)."""
    engine = get_engine(scheduler)
    if inputs is not None and inputs.db is None and inputs.round is None:
        prestart_for_run(engine, inputs.orgs, formats, demo_orgs=DEFAULT_DEMO_ORGS if inputs.demo or not inputs.given()
                         else 0)
    return engine


_progress = progress_printer
_emit_json = emit_json


def _notes(ws: Workspace) -> None:
    for n in ws.data_notes:
        err.print(f"[yellow]注意：{escape(n)}[/yellow]")


def _partial_lines(doc: dict) -> list[str]:
    """部分结果: one line saying the result is partial, then one per failed task (town and reason)."""
    if not doc.get("partial"):
        return []
    return ([f"[bold yellow]部分结果：{len(doc['failures'])} 项计算失败，以下镇街未纳入本次结果（其余已完成）[/bold yellow]"]
            + [f"[yellow]  {escape(f['label'])}（{escape(f['key'])}）：{escape(f['reason'])}[/yellow]"
               for f in doc["failures"]])


def _finish(ws: Workspace, doc: dict, json_: bool, written: list[Path], summary: Callable[[dict], str]) -> None:
    """Print the JSON document, or the honesty notes, a Chinese summary and every file written."""
    doc.setdefault("notes", ws.data_notes)
    doc.setdefault("partial", False)  # a plan that is one solve (coverage) is never partial
    doc.setdefault("failures", [])
    if json_:
        _emit_json(doc)
        return
    _notes(ws)
    for line in _partial_lines(doc):
        err.print(line)
    err.print(summary(doc))
    for p in written:
        err.print(f"[green]已写出 {escape(str(p))}[/green]")


# ----------------------------------------------------------------- demo, template, validate
@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")],
    orgs: Annotated[int, typer.Option("--orgs", help="组织数量 / number of organizations", min=1)] = 5000,
    seed: SeedOpt = 20170602,
    round_: Annotated[Optional[str], typer.Option(
        "--round", help="台账轮次，如 2026-11（由第一轮 2026-06 逐轮演化：注销、新成立、组建党组织、人数变化）"
                        " / ledger round, evolved from the first")] = None,
    city: Annotated[bool, typer.Option(
        "--city", help="全市合成演示：北京市16个区（区界真实，镇街为示意），按区写出 / a synthetic whole city")] = False,
    json_: JsonOpt = False,
) -> None:
    """写出完整的演示数据集（合成台账 + 示意边界）/ write a complete synthetic demo dataset."""
    t0 = time.perf_counter()
    if city:
        if round_ is not None:
            raise LianxinError("--city 与 --round 不能同时使用：全市演示只有一轮台账")
        doc = city_demo(out, orgs=orgs, seed=seed, progress=_progress(json_))
        if json_:
            _emit_json(doc)
        else:
            err.print(f"[green]已写出全市演示数据到 {escape(str(out))}[/green]（{orgs:,} 个组织，{len(doc['districts'])} 个区；"
                      "合成数据，区界真实，镇街边界与位置为示意）。读取与汇总：lianxin-geo city assess "
                      f"{escape(str(out))}")
        return
    files = write_demo(out, n_orgs=orgs, seed=seed, round=round_, progress=_progress(json_))
    doc = {"out": str(out), "orgs": orgs, "seed": seed, "round": round_, "files": {k: str(v) for k, v in files.items()},
           "seconds": round(time.perf_counter() - t0, 3), "note": "演示数据（合成）/ 示意边界"}
    if json_:
        _emit_json(doc)
        return
    err.print(f"[green]已写出演示数据到 {escape(str(out))}[/green]（{orgs} 个组织，种子 {seed}；合成数据，边界为示意）")
    for k, v in files.items():
        err.print(f"  {k}: {v}", markup=False)


@app.command()
def template(out: Annotated[Path, typer.Option("--out", help="模板文件 .xlsx / template file")]) -> None:
    """写出空白的标准台账模板（四个工作表）/ write the empty standard ledger template."""
    write_template(out)
    err.print(f"[green]已写出标准台账模板：{escape(str(out))}[/green]")


@app.command()
@with_inputs("boundaries", "boundaries_crs")
def validate(
    file: Annotated[Path, typer.Argument(help="台账文件 .xlsx/.xls/.csv / ledger file")],
    kind: Annotated[Optional[Kind], typer.Option("--kind", help="台账类型（缺省自动识别）/ ledger kind")] = None,
    inputs: Inputs = Inputs(),
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="工作表名称 / sheet name")] = None,
    json_: JsonOpt = False,
) -> None:
    """校验台账：逐行报告问题（行号、列、值、原因）/ validate a ledger and report every problem."""
    base = demo_district()
    district = base if inputs.boundaries is None else load_boundaries(inputs.boundaries, gazetteer=base,
                                                                        coord_system=inputs.boundaries_crs)
    res = read_ledger(file, kind.value if kind else None, district=district, sheet=sheet)  # None: detect, one read
    k = res.kind
    if json_:
        _emit_json(res.to_json())
        return
    errors = [i for i in res.issues if i.severity == "error"]
    err.print(f"[bold]{escape(str(file))}[/bold]（{k}）：共 {res.rows_in} 行，接受 {res.n_accepted} 行，拒绝 {res.n_rejected} 行；"
              f"错误 {len(errors)} 个，警告 {len(res.issues) - len(errors)} 个")
    out = Console(highlight=False, soft_wrap=True)
    for i in res.issues:
        level = "[red]错误[/red]" if i.severity == "error" else "[yellow]警告[/yellow]"
        value = f"值“{escape(str(i.value))}”" if str(i.value) != "" else "值为空"
        where = f"第{i.row}行" if i.row else "整个文件"
        value = f" {value}" if i.row else ""  # a file-level note has no cell value
        out.print(f"{level} {where} 〔{escape(str(i.column))}〕{value}：{escape(i.reason)}", markup=True)


# ----------------------------------------------------------------- locate, assess
@app.command()
@with_inputs("orgs", "buildings", "parks", "boundaries", "boundaries_crs", "demo", "db", "round", "user")
def locate(
    inputs: Inputs = Inputs(),
    out: Annotated[Optional[Path], typer.Option("--out", help="输出 .geojson/.gpkg/.csv/.xlsx / output file")] = None,
    json_: JsonOpt = False,
) -> None:
    """为每个组织定位并确定所属乡镇/街道 / place every organization on the map and on its town."""
    ws = inputs.workspace(quiet=json_)
    doc = ws.located.to_json(rows_in=ws.ledgers["orgs"].rows_in)
    doc["rejected"] = ws.ledgers["orgs"].n_rejected
    doc["notes"] = ws.data_notes
    if out is not None:
        _write_located(ws, out)
    _finish(ws, doc, json_, [out] if out is not None else [], lambda d: (
        f"共 {d['rows_in']} 行：定位 {d['located']}，未定位 {d['unlocated']}，拒绝 {d['rejected']}；"
        f"与所属镇街不一致 {d['mismatches']}\n定位精度："
        + "，".join(f"{PRECISION_NAMES.get(k, k)} {v}" for k, v in d["by_precision"].items())))


#: Headers of the columns ``locate`` adds to the ledger's (whose headers come from the ledger schema).
_LOCATED_HEADERS: dict[str, str] = {
    "row": "台账行号", "id": "组织编号", "town_code": "台账镇街代码", "lon_raw": "台账经度（原值）",
    "lat_raw": "台账纬度（原值）", "precision": "定位精度", "matched_name": "匹配的地名",
    "jurisdiction_code": "定位所属镇街代码", "jurisdiction_name": "定位所属镇街", "mismatch": "与台账所属镇街不一致",
    "locate_note": "定位说明", "lon": "经度（WGS-84）", "lat": "纬度（WGS-84）",
}


def _located_table(table: pd.DataFrame) -> pd.DataFrame:
    """The located organizations with Chinese headers and Chinese 定位精度 / 是否 values (the xlsx of ``locate``)."""
    headers = {c.key: c.header for c in ORG_SCHEMA.columns} | _LOCATED_HEADERS
    t = table.copy()
    if "precision" in t:
        t["precision"] = t["precision"].map(lambda v: PRECISION_NAMES.get(v, v))
    if "mismatch" in t:
        t["mismatch"] = t["mismatch"].map(lambda v: "是" if v is True or v == 1 else ("否" if v is False or v == 0 else v))
    return t.rename(columns={c: headers.get(c, c) for c in t.columns})


def _write_located(ws: Workspace, out: Path) -> None:
    suffix = out.suffix.lower()
    gdf = ws.located.to_geodataframe()
    drivers = {".geojson": ("GeoJSON", {}), ".json": ("GeoJSON", {}), ".gpkg": ("GPKG", {"layer": "orgs"})}
    if suffix in drivers:
        driver, extra = drivers[suffix]
        with atomic_path(out) as tmp:
            tmp.unlink()  # the drivers create their file themselves
            gdf.to_file(tmp, driver=driver, **extra)
    elif suffix == ".csv":
        write_csv(gdf.drop(columns="geometry"), out)
    elif suffix == ".xlsx":  # for people: Chinese headers and values (CSV and GIS files keep the field names)
        table = _located_table(gdf.drop(columns="geometry"))
        write_workbook(out, [Sheet("定位结果", list(table.columns), frame_rows(table), title="组织定位结果",
                                   notes=ws.data_notes)])
    else:
        raise LianxinError(f"不支持的输出格式 {suffix!r}：请使用 .geojson、.gpkg、.csv 或 .xlsx")


@app.command()
@with_inputs("orgs", "centers", "buildings", "parks", "boundaries", "boundaries_crs", "policy", "demo", "db", "round",
             "user")
def assess(
    inputs: Inputs = Inputs(),
    per_org: Annotated[bool, typer.Option("--per-org", help="xlsx 中加入一企一表/一社一表 / add per-org cards")] = False,
    json_: JsonOpt = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="统计表 .xlsx / statistics workbook")] = None,
    on: Annotated[Optional[str], typer.Option(
        "--date", help="评估日期 YYYY-MM-DD（一企一策期限由此推算；缺省为今天）/ assessment date (default today)")] = None,
) -> None:
    """评估每个组织的覆盖状态与应办事项，计算覆盖率、阵地达标、经费 / assess coverage, rates, venues, funding."""
    ws = inputs.workspace(quiet=json_)
    a = run_assessment(ws, assessed_on=_date(on))
    if out is not None:
        write_assessment_xlsx(a, out, per_org=per_org, notes=ws.data_notes)
    doc = a.to_json()

    def summary(d: dict) -> str:
        dd = d["district"]
        return (f"[bold]{escape(ws.district.name)}[/bold]（政策配置 {escape(ws.profile.name)}）：组织 {dd.get('orgs')} 个；"
                f"组织覆盖率 {pct(dd.get('org_coverage_rate'))}，单独组建率 {pct(dd.get('single_rate'))}，"
                f"工作覆盖率 {pct(dd.get('work_coverage_rate'))}\n应办事项 {len(d.get('actions', []))} 条；"
                f"阵地未达标镇街 {sum(1 for v in d.get('venues', []) if not v.get('compliant'))} 个")

    _finish(ws, doc, json_, [out] if out is not None else [], summary)


def _date(text: str | None) -> dt.date | None:
    """``--date`` as a date (``None``: today, decided by the assessment)."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise LianxinError(f"日期 {text!r} 无法识别：请写成 YYYY-MM-DD，如 2026-11-30") from None


# ----------------------------------------------------------------- plan
def _write_plan(ws: Workspace, out: Path, kind: str, plan: Any, table: Callable[[], Any]) -> None:
    """Write a plan: .xlsx gets every sheet (formula-safe), .csv the main table (formula-safe), routes also .md."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        ex.export_plan_xlsx(ws, out, plans={kind: plan})
    elif suffix == ".csv":
        write_csv(table(), out)
    elif suffix == ".md" and kind == "routes":
        atomic_write_text(out, plan.to_markdown())
    else:
        raise LianxinError(f"不支持的输出格式 {suffix!r}：请使用 .xlsx 或 .csv（路线另支持 .md）")


def _joint_summary(d: dict) -> str:
    st = d["stats"]
    return (f"联建方案：符合条件 {st['eligible']} 个，纳入 {st['placed']} 个，组成 {st['units']} 个联合党组织；"
            f"平均半径 {st['mean_radius_m']:.0f} 米，最大 {st['max_radius_m']:.0f} 米；违规 {len(d['violations'])} 条")


def _routes_summary(d: dict) -> str:
    st = d["stats"]
    return (f"指导员路线：{st['orgs']} 个组织，{st['instructors']} 名指导员，总里程 {st['total_km']:.1f} 公里"
            f"（距离来源：{st['distance_source']}）；未分配 {len(d['unassigned'])} 个")


def _coverage_summary(d: dict) -> str:
    share = d["coverage"]["district"]
    return (f"阵地覆盖：组织覆盖 {pct(share['orgs_share'])}，党员覆盖 {pct(share['members_share'])}，"
            f"从业人员覆盖 {pct(share['employees_share'])}；建议新址 {len(d['proposed_sites'])} 处"
            f"（方法 {d['stats']['method']}）")


#: plan kind -> (its main table for ``--out F.csv``, its Chinese summary)
_PLAN_OUTPUTS: dict[str, tuple[Callable[[Any], Any], Callable[[dict], str]]] = {
    "joint": (lambda p: p.units_frame(), _joint_summary),
    "routes": (lambda p: p.route_sheet(), _routes_summary),
    "coverage": (lambda p: next(iter(p.tables().values())), _coverage_summary),
}


def _plan_command(inputs: Inputs, kind: str, *, json_: bool, out: Optional[Path],
                  make: Callable[[Workspace], Any]) -> None:
    """Load the inputs, make the plan, write ``out``, print the JSON document or the summary."""
    table, summary = _PLAN_OUTPUTS[kind]
    ws = inputs.workspace(quiet=json_)
    plan = make(ws)
    if out is not None:
        _write_plan(ws, out, kind, plan, lambda: table(plan))
    inputs.audit(f"plan.{kind}", ws, {"out": str(out) if out is not None else None})
    _finish(ws, plan.to_json(), json_, [out] if out is not None else [], summary)


def _graph(path: Optional[Path]) -> Any:
    return None if path is None else load_road_graph(path)


@plan_app.command("joint")
@with_inputs()
def plan_joint(
    inputs: Inputs = Inputs(),
    reoptimize: Annotated[bool, typer.Option("--reoptimize", help="重新优化已有联合党组织 / re-plan existing joint orgs")] = False,
    cross_town: Annotated[Optional[bool], typer.Option("--cross-town/--same-town", help="允许跨相邻镇街联建 / allow adjacent towns")] = None,
    zero_in_building: Annotated[Optional[bool], typer.Option("--zero-member-in-building/--no-zero-member-in-building", help="楼宇/园区内无党员单位纳入联建 / include zero-member orgs in buildings")] = None,
    seed: SeedOpt = 0,
    json_: JsonOpt = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="联建方案 .xlsx/.csv / proposal table")] = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """联建方案：按属地、行业相近、单位数与党员数上下限生成联合党组织 / joint party-unit proposals."""
    engine = _engine(scheduler)
    _plan_command(inputs, "joint", json_=json_, out=out, make=lambda ws: run_joint(
        ws, reoptimize=reoptimize, cross_town=cross_town, include_zero_member_in_building=zero_in_building, seed=seed,
        progress=_progress(json_), engine=engine))


@plan_app.command("routes")
@with_inputs()
def plan_routes(
    inputs: Inputs = Inputs(),
    graph: GraphOpt = None,
    time_limit: TimeLimitOpt = 30.0,
    cross_town: Annotated[bool, typer.Option("--cross-town", help="允许一名指导员跨镇街 / allow routes across towns")] = False,
    replan: Annotated[bool, typer.Option("--replan", help="已有指导员的组织也重新分配 / re-plan orgs that have an instructor")] = False,
    no_new_units: Annotated[bool, typer.Option("--no-new-units", help="不含新建联合党组织和新建党组织 / leave out new units")] = False,
    seed: SeedOpt = 0,
    json_: JsonOpt = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="路线单 .xlsx/.csv/.md / route sheets")] = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """指导员联系路线：每人约10个组织，按镇街与行业分组并规划走访路线 / instructor workloads and routes."""
    engine = _engine(scheduler)
    _plan_command(inputs, "routes", json_=json_, out=out, make=lambda ws: run_routes(
        ws, include_new_units=False if no_new_units else None, graph=_graph(graph), time_limit_s=time_limit,
        cross_town=cross_town, replan=replan, seed=seed, progress=_progress(json_), engine=engine))


@plan_app.command("coverage")
@with_inputs()
def plan_coverage(
    inputs: Inputs = Inputs(),
    graph: GraphOpt = None,
    new_sites: Annotated[int, typer.Option("--new-sites", help="建议新增阵地数 k / number of new sites", min=0)] = 5,
    time_limit: TimeLimitOpt = 30.0,
    json_: JsonOpt = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="覆盖与选址 .xlsx/.csv / coverage tables")] = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """阵地覆盖：服务范围、覆盖缺口、新址建议与面积达标 / service-center coverage, gaps, siting, venues."""
    engine = _engine(scheduler)
    _plan_command(inputs, "coverage", json_=json_, out=out, make=lambda ws: run_coverage(
        ws, k=new_sites, graph=_graph(graph), time_limit_s=time_limit, engine=engine))


# ----------------------------------------------------------------- export / run
class Format(str, Enum):
    html = "html"
    png = "png"
    pdf = "pdf"
    xlsx = "xlsx"
    pptx = "pptx"
    gpkg = "gpkg"
    geojson = "geojson"


#: format -> writer(ws, out, assessment, plans, options) returning the files written
_EXPORTS: dict[str, Callable[..., list]] = {
    "html": lambda ws, out, a, plans, o: [ex.export_html(ws, out, plans=plans, assessment=a)],
    "png": lambda ws, out, a, plans, o: [ex.export_png(ws, out, plans=plans, assessment=a, what=o["what"])],
    "pdf": lambda ws, out, a, plans, o: [ex.export_pdf(ws, out, plans=plans, assessment=a)],
    "xlsx": lambda ws, out, a, plans, o: [ex.export_xlsx(ws, out, assessment=a, plans=plans,
                                                         per_org_sheets=o["per_org"])],
    "pptx": lambda ws, out, a, plans, o: [ex.export_pptx(ws, out, assessment=a, plans=plans)],
    "gpkg": lambda ws, out, a, plans, o: list(ex.export_gpkg(ws, out, plans=plans, assessment=a, gcj02=o["gcj02"])),
    "geojson": lambda ws, out, a, plans, o: list(ex.export_geojson_dir(ws, out, plans=plans, assessment=a,
                                                                       gcj02=o["gcj02"])),
}


def _files_done(ws: Workspace, doc: dict, json_: bool, lines: list[str]) -> None:
    """The end of ``export`` and ``run``: the JSON document, or the notes, 部分结果 and one line per file."""
    if json_:
        _emit_json(doc)
        return
    _notes(ws)
    lines = _partial_lines(doc) + lines
    for line in lines:
        err.print(line)


@app.command()
@with_inputs()
def export(
    format_: Annotated[Format, typer.Option("--format", help="导出格式 / format")],
    out: Annotated[Path, typer.Option("--out", help="输出文件（geojson 为目录）/ output file (folder for geojson)")],
    inputs: Inputs = Inputs(),
    time_limit: PlanTimeOpt = 60.0,
    new_sites: NewSitesOpt = 5,
    what: Annotated[str, typer.Option("--what", help="PNG 地图内容 overview/joint/routes/coverage / PNG map")] = "overview",
    gcj02: Gcj02Opt = False,
    per_org: Annotated[bool, typer.Option("--per-org", help="xlsx 中每个组织一张表 / one sheet per org")] = False,
    seed: SeedOpt = 0,
    json_: JsonOpt = False,
    scheduler: SchedulerOpt = None,
) -> None:
    """导出一种格式：html 地图、png/pdf 静态图、xlsx 表格、pptx 幻灯片、gpkg/geojson 图层 / export one format."""
    engine = _engine(scheduler)
    ws = inputs.workspace(quiet=json_)
    t0 = time.perf_counter()
    f = format_.value
    if f == "png" and what not in ("overview", "joint", "routes", "coverage"):
        raise LianxinError(f"--what 只能是 overview、joint、routes、coverage，收到 {what!r}")
    which = {"png": (() if what == "overview" else (what,))}.get(f, ("joint", "routes", "coverage"))
    a, plans = run_plans(ws, which=which, k=new_sites, time_limit_s=time_limit, seed=seed, progress=_progress(json_),
                         engine=engine)
    files = _EXPORTS[f](ws, out, a, plans, {"what": what, "per_org": per_org, "gcj02": gcj02})
    failures = [x.to_json() for x in plan_failures(plans)]
    doc = {"format": f, "files": [str(p) for p in files], "seconds": round(time.perf_counter() - t0, 3),
           "notes": ws.data_notes, "partial": bool(failures), "failures": failures}
    inputs.audit("export", ws, {"format": f, "files": doc["files"]})
    _files_done(ws, doc, json_, [f"[green]已写出 {escape(str(p))}[/green]" for p in files])


@app.command("run")
@with_inputs()
def run_cmd(
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")],
    inputs: Inputs = Inputs(),
    formats: Annotated[
        str, typer.Option("--formats", help="逗号分隔的格式 / comma-separated formats")
    ] = "html,png,xlsx,pptx,gpkg",
    time_limit: PlanTimeOpt = 120.0,
    new_sites: NewSitesOpt = 5,
    gcj02: Gcj02Opt = False,
    seed: SeedOpt = 0,
    json_: JsonOpt = False,
    scheduler: SchedulerOpt = None,
) -> None:
    """一次完成全部工作：校验、定位、评估、三个方案和全部导出 / everything for a district into one folder."""
    wanted = tuple(x.strip() for x in formats.split(",") if x.strip())
    bad = [x for x in wanted if x not in FORMATS]
    if bad or not wanted:
        raise LianxinError(f"未知格式 {', '.join(bad) or '（空）'}：可选 {', '.join(FORMATS)}")
    engine = _engine(scheduler, inputs=inputs, formats=wanted)  # a big run's workers start while it reads
    t0 = time.perf_counter()
    ws = inputs.workspace(quiet=json_)
    given = inputs.given()
    validation = {k: r.to_json() for k, r in ws.ledgers.items() if k in given}
    engine = prepare_engine(ws, engine, formats=wanted)  # workers start while the plans are computed
    a, plans = run_plans(ws, k=new_sites, time_limit_s=time_limit, seed=seed, progress=_progress(json_), engine=engine)
    files = run_all(ws, out, formats=wanted, progress=_progress(json_), assessment=a, plans=plans, seed=seed,
                    gcj02=gcj02, extra_json={"validation": validation} if validation else None, engine=engine)
    failures = [x.to_json() for x in plan_failures(plans)]
    doc = {"out": str(out), "files": {k: str(v) for k, v in files.items()},
           "seconds": round(time.perf_counter() - t0, 3), "notes": ws.data_notes, "partial": bool(failures),
           "failures": failures}
    inputs.audit("run", ws, {"formats": list(wanted), "files": doc["files"]})
    _files_done(ws, doc, json_, [f"[green]已完成，文件写在 {escape(str(out))}[/green]（{doc['seconds']:.0f} 秒）"]
                + [f"  {escape(k)}: {escape(str(v))}" for k, v in files.items()])


# ----------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (0 ok, 1 user error, 2 bad usage)."""
    reset_sessions()
    try:
        app(args=argv, prog_name="lianxin-geo")  # standalone: usage errors exit 2, click errors 1
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except LianxinError as exc:
        err.print(f"[red]错误：{escape(str(exc))}[/red]")
        return 1
    except FileNotFoundError as exc:
        err.print(f"[red]错误：找不到文件 {escape(str(exc.filename or exc))}（请检查路径）[/red]")
        return 1
    except PermissionError as exc:
        err.print(f"[red]错误：没有权限读写 {escape(str(exc.filename or exc))}[/red]")
        return 1
    except Exception as exc:  # a bug, not the user's fault: say so plainly, keep the details for the report
        if os.environ.get("LIANXIN_DEBUG"):
            raise
        err.print(f"[red]内部错误（程序缺陷，请把以下信息报告给开发者）：{type(exc).__name__}: {escape(str(exc))}[/red]")
        err.print(traceback.format_exc(limit=-3), markup=False)
        return 1
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
