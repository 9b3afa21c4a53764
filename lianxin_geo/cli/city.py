"""A whole city from the command line: ``demo --city``, ``city assess`` and ``city run``.

* :func:`city_demo` writes the synthetic city (:func:`lianxin_geo.ingest.demo.city.write_city_demo`) — the body
  of ``lianxin-geo demo --city``;
* ``city assess`` reads the whole city into one workspace (:func:`lianxin_geo.workspace.load_city_workspace`, one
  engine task per district) and prints the city → district → town drill-down (:func:`drilldown`);
* ``city run`` is the whole run per district (:func:`lianxin_geo.pipeline.city.run_city`): each district read,
  assessed, planned and exported in its own task, the city's tables summed from the districts' — memory follows
  the largest district, not the city.

``city_app`` is a typer sub-app (``lianxin-geo city demo|assess|run``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from rich.markup import escape

from lianxin_geo.assessment.assessor import Assessment, assess
from lianxin_geo.assessment.tables import drilldown as _drilldown
from lianxin_geo.cli._common import emit_json, err, progress_printer
from lianxin_geo.core.district import District
from lianxin_geo.core.engine import TaskFailure
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.ingest.demo.city import CITY_MANIFEST, write_city_demo
from lianxin_geo.pipeline.city import DEFAULT_CITY_FORMATS, run_city
from lianxin_geo.present.export import FORMATS
from lianxin_geo.workspace import load_city_workspace

__all__ = ["city_app", "city_demo", "drilldown"]

city_app = typer.Typer(help="全市：合成演示、分区读取与逐级汇总 / a whole city", no_args_is_help=True)


# ----------------------------------------------------------------------------- demo --city
def city_demo(out: Path, *, orgs: int, seed: int, districts: list[str] | None = None,
              progress: Callable[[str, float], None] | None = None) -> dict[str, Any]:
    """Write the synthetic city demo and return the CLI's JSON document (``demo --city --json``)."""
    t0 = time.perf_counter()
    manifest = write_city_demo(out, n_orgs=orgs, seed=seed, districts=districts, progress=progress)
    return {"out": str(out), "orgs": orgs, "seed": seed, "city": manifest["city"], "name": manifest["name"],
            "districts": [{k: d[k] for k in ("code", "name", "orgs")} for d in manifest["districts"]],  # type: ignore[union-attr]
            "manifest": str(Path(out) / CITY_MANIFEST), "seconds": round(time.perf_counter() - t0, 3),
            "note": "演示数据（合成）/ 区界真实，镇街边界与位置为示意"}


# ----------------------------------------------------------------------------- the drill-down of one assessment
def drilldown(assessment: Assessment, district: District) -> dict[str, Any]:
    """City → district → town of an assessment of a whole city (the ``city`` of ``city assess --json``)."""
    return _drilldown(assessment.orgs, assessment.district_summary, assessment.jurisdictions, district,
                      assessment.profile)


def _notes(notes: list[str]) -> None:
    for n in notes:
        err.print(f"[yellow]注意：{escape(n)}[/yellow]")


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


# ----------------------------------------------------------------------------- commands
@city_app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")],
    orgs: Annotated[int, typer.Option("--orgs", help="全市组织数量 / organizations in the city", min=1)] = 50_000,
    seed: Annotated[int, typer.Option("--seed", help="随机种子 / seed")] = 20170602,
    district: Annotated[Optional[list[str]], typer.Option("--district", help="只生成这些区 / only these")] = None,
    json_: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """写出全市合成演示数据（按区分片）/ write the synthetic city demo, one partition per district."""
    doc = city_demo(out, orgs=orgs, seed=seed, districts=district, progress=progress_printer(json_))
    if json_:
        emit_json(doc)
        return
    err.print(f"[green]已写出全市演示数据到 {out}[/green]（{orgs:,} 个组织，{len(doc['districts'])} 个区；"
              "合成数据，镇街边界为示意）")


@city_app.command("assess")
def assess_cmd(
    folder: Annotated[Path, typer.Argument(help="全市目录（demo --city 写出）/ city folder")],
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="local | sync | tcp://HOST:PORT")] = None,
    policy: Annotated[Optional[str], typer.Option("--policy", help="政策配置 / policy profile")] = None,
    json_: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """读取全市数据并评估，逐级汇总：市 → 区 → 镇街 / assess a city, drill down city → district → town."""
    t0 = time.perf_counter()
    say = progress_printer(json_)
    failures: list[TaskFailure] = []
    ws = load_city_workspace(folder, policy=policy, engine=scheduler, failures=failures,
                             progress=lambda done, total, label: say(f"已读取 {label}", done / max(total, 1)))
    a = assess(ws.orgs, centers=ws.centers, parks=ws.parks, buildings=ws.buildings, district=ws.district,
               profile=ws.profile)
    doc = {"city": drilldown(a, ws.district), "partial": bool(failures),
           "failures": [f.to_json() for f in failures], "seconds": round(time.perf_counter() - t0, 3),
           "notes": ws.data_notes}
    if json_:
        emit_json(doc)
        return
    c = doc["city"]
    head = "[yellow]部分结果[/yellow] " if failures else ""
    err.print(f"{head}{escape(c['name'])}：组织 {c['orgs']:,}，组织覆盖率 {_pct(c['org_coverage_rate'])}")
    for d in c["districts"]:
        err.print(f"  {escape(d['name'])}：组织 {d['orgs']:,}，组织覆盖率 {_pct(d['org_coverage_rate'])}"
                  f"（{len(d['towns'])} 个镇街）")
    _notes(doc["notes"])
    for f in failures:
        err.print(f"  [red]未读取[/red] {escape(f.label)}：{escape(f.reason)}")


@city_app.command("run")
def run_cmd(
    folder: Annotated[Path, typer.Argument(help="全市目录（demo --city 写出）/ city folder")],
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")],
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="local | sync | tcp://HOST:PORT")] = None,
    policy: Annotated[Optional[str], typer.Option("--policy", help="政策配置 / policy profile")] = None,
    formats: Annotated[str, typer.Option("--formats", help="每个区写出的格式，逗号分隔 / formats of each district")
                       ] = ",".join(DEFAULT_CITY_FORMATS),
    time_limit: Annotated[float, typer.Option("--time-limit", min=1.0,
                                              help="每个区三个方案的总求解时限（秒）/ solver time per district")] = 120.0,
    new_sites: Annotated[int, typer.Option("--new-sites", min=0, help="每个区建议新增阵地数 / new sites per district")
                         ] = 5,
    seed: Annotated[int, typer.Option("--seed", help="随机种子 / seed")] = 0,
    district: Annotated[Optional[list[str]], typer.Option("--district", help="只运行这些区（区划代码）/ only these")
                        ] = None,
    json_: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """全市逐区完整运行：每个区一个并行任务（读取、评估、三个方案、导出），全市表格由各区汇总 / the whole run, per district."""
    wanted = tuple(x.strip() for x in formats.split(",") if x.strip())
    bad = [x for x in wanted if x not in FORMATS]
    if bad or not wanted:
        raise LianxinError(f"未知格式 {', '.join(bad) or '（空）'}：可选 {', '.join(FORMATS)}")
    say = progress_printer(json_)
    doc = run_city(folder, out, policy=policy, engine=scheduler, formats=wanted, time_limit_s=time_limit,
                   new_sites=new_sites, seed=seed, districts=district,
                   progress=lambda done, total, label: say(f"已完成 {label}", done / max(total, 1)))
    doc = {"out": str(out), **doc}
    if json_:
        emit_json(doc)
        return
    c = doc["city"]
    head = "[yellow]部分结果[/yellow] " if doc["partial"] else ""
    err.print(f"{head}{escape(c['name'])}：{doc['districts_run']}/{doc['districts_total']} 个区，组织 {c['orgs']:,}，"
              f"组织覆盖率 {_pct(c['org_coverage_rate'])}，用时 {doc['seconds']:.0f} 秒；文件在 {escape(str(out))}")
    for d in c["districts"]:
        p = d["plans"]
        err.print(f"  {escape(d['name'])}：组织 {d['orgs']:,}，组织覆盖率 {_pct(d['org_coverage_rate'])}，"
                  f"联建单位 {p['joint_units']}，路线 {p['routes']}，新址 {p['new_sites']}")
    _notes(doc["notes"])
    for f in doc["failures"]:
        err.print(f"  [red]未完成[/red] {escape(str(f.get('district') or f['label']))}：{escape(str(f['reason']))}")
