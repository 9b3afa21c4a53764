"""A whole city from the command line: ``demo --city``, the city workspace and its drill-down.

* :func:`city_demo` writes the synthetic city (:func:`lianxin_geo.ingest.demo.city.write_city_demo`) — the body
  of ``lianxin-geo demo --city``;
* :func:`load_city_workspace` reads a city folder district by district through the parallel engine (one task
  per district: read and validate its four ledgers, locate its orgs) and joins the partitions into one
  :class:`~lianxin_geo.workspace.Workspace` over the city :class:`~lianxin_geo.core.district.District`
  (city → district → town);
* :func:`district_rates` gives the assessment's rates by district (the towns' rates are
  ``Assessment.jurisdictions``); :func:`drilldown` is the city → district → town JSON of ``city assess``.

``city_app`` is a typer sub-app (``lianxin-geo city demo|assess``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import pandas as pd
import typer

from lianxin_geo.assessment.assessor import Assessment, assess
from lianxin_geo.assessment.tables import district_summary
from lianxin_geo.cli._common import emit_json, err, progress_printer
from lianxin_geo.core.district import District
from lianxin_geo.core.engine import Engine, get_engine
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.model import LEDGER_KINDS
from lianxin_geo.core.policy import Profile, load_profile
from lianxin_geo.ingest.city import load_city
from lianxin_geo.ingest.demo.city import CITY_MANIFEST, write_city_demo
from lianxin_geo.ingest.ledger import LedgerResult, read_ledger
from lianxin_geo.ingest.limits import ReadLimits
from lianxin_geo.location.locator import LocateResult, locate
from lianxin_geo.workspace import Workspace, is_demo_frame, locate_layer

__all__ = ["city_app", "city_demo", "district_rates", "drilldown", "load_city_workspace"]

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


# ----------------------------------------------------------------------------- the city workspace
def _read_district(item: dict[str, Any], *, folder: str, city: District, limits: ReadLimits) -> dict[str, Any]:
    """One district's partition: its four ledgers read and validated, its orgs located (an engine task)."""
    sub = city.subdistrict(item["code"])
    ledgers = {kind: read_ledger(Path(folder) / item["files"][kind], kind, district=sub, limits=limits)
               for kind in LEDGER_KINDS}
    lay = {k: locate_layer(ledgers[k].accepted, sub) for k in ("buildings", "parks", "centers")}
    located = locate(ledgers["orgs"].accepted, district=sub, buildings=lay["buildings"], parks=lay["parks"])
    for k in ("buildings", "parks", "centers"):
        lay[k]["district_code"] = item["code"]
    orgs = located.orgs
    orgs["district_code"] = item["code"]
    ledgers["orgs"] = dataclasses.replace(ledgers["orgs"], accepted=ledgers["orgs"].accepted.iloc[0:0])
    return {"ledgers": ledgers, "orgs": orgs, **lay}


def _join_ledgers(parts: list[LedgerResult], kind: str, source: str, orgs: pd.DataFrame | None) -> LedgerResult:
    acc = orgs if orgs is not None else pd.concat([p.accepted for p in parts], ignore_index=True)
    rej = pd.concat([p.rejected for p in parts], ignore_index=True)
    issues = [i for p in parts for i in p.issues]
    return LedgerResult(kind=kind, source=source, rows_in=sum(p.rows_in for p in parts), accepted=acc,
                        rejected=rej, issues=issues, header_row=parts[0].header_row if parts else 1,
                        encoding=parts[0].encoding if parts else None)


def load_city_workspace(folder: str | os.PathLike[str], *, policy: "Profile | str | None" = None,
                        engine: "Engine | str | None" = None,
                        progress: Callable[[int, int, str], None] | None = None) -> Workspace:
    """Read a city folder (written by ``demo --city``) into one workspace, one engine task per district.

    Parameters
    ----------
    folder
        A folder with ``city.json`` and ``districts/<code>/{orgs,buildings,parks,centers}.csv``.
    policy
        Profile name or path (default ``shunyi-2017``).
    engine
        The parallel engine or a scheduler name (``sync``, ``local``, ``tcp://…``).
    progress
        ``progress(done, total, label)`` as districts finish.

    Raises
    ------
    LianxinError
        The folder has no ``city.json``, or a district could not be read (named with the reason).
    """
    root = Path(folder)
    mpath = root / CITY_MANIFEST
    if not mpath.exists():
        raise LianxinError(f"{root} 中没有 {CITY_MANIFEST}：请指定 `lianxin-geo demo --city --out 目录` 写出的全市目录")
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    items = manifest["districts"]
    city = load_city([d["code"] for d in items])
    profile = load_profile(policy) if not isinstance(policy, Profile) else policy
    biggest = max((int(d["orgs"]) for d in items), default=0)
    limits = dataclasses.replace(ReadLimits.from_env(), max_rows=max(ReadLimits.from_env().max_rows, biggest + 1))
    limits = dataclasses.replace(limits, max_cells=max(limits.max_cells, 40 * (biggest + 1)))
    res = get_engine(engine).map(
        _read_district, items, keys=[d["code"] for d in items], labels=[d["name"] for d in items],
        cost=[1.0 + int(d["orgs"]) / 5_000.0 for d in items], progress=progress,
        folder=str(root), city=city, limits=limits)
    if res.partial:
        raise LianxinError("全市数据读取未完成：" + "；".join(f"{f.label}：{f.reason}" for f in res.failures))
    parts = res.ordered([d["code"] for d in items])
    orgs = pd.concat([p["orgs"] for p in parts], ignore_index=True)
    ledgers = {k: _join_ledgers([p["ledgers"][k] for p in parts], k, f"{root.name}/districts/*/{k}.csv",
                                orgs if k == "orgs" else None) for k in LEDGER_KINDS}
    layers = {k: pd.concat([p[k] for p in parts], ignore_index=True) for k in ("buildings", "parks", "centers")}
    demo_kinds = tuple(k for k in LEDGER_KINDS if len(ledgers[k].accepted) and is_demo_frame(ledgers[k].accepted))
    located = LocateResult(orgs=orgs, district_code=city.code, district_name=city.name)
    return Workspace(district=city, profile=profile, ledgers=ledgers, orgs=orgs, located=located,
                     demo_kinds=demo_kinds, notes=[f"全市 {len(items)} 个区，按区分片读取"], **layers)


# ----------------------------------------------------------------------------- rates by district
def district_rates(assessment: Assessment, district: District) -> pd.DataFrame:
    """The assessment's rates by district: rows 合计 / 非公企业 / 社会组织 of every district of the city.

    Columns are those of ``Assessment.district_summary`` (``code``, ``name``, ``org_kind``, counts, rates,
    ``target``, ``gap`` …); for a single district it is ``district_summary`` itself.
    """
    if not district.is_city:
        return assessment.district_summary
    orgs = assessment.orgs
    dcodes = pd.Series(district.district_of(orgs["jurisdiction_code"].astype(object).where(
        orgs["jurisdiction_code"].notna(), None)), index=orgs.index)
    frames = [district_summary(orgs[dcodes == code], assessment.profile, code=code, name=name)
              for code, name in district.district_names.items()]
    return pd.concat(frames, ignore_index=True)


def drilldown(assessment: Assessment, district: District) -> dict[str, Any]:
    """City → district → town: the totals (合计 rows) at each level, as plain data for ``--json``."""
    keep = ("orgs", "org_coverage_rate", "work_coverage_rate", "uncovered")
    city = assessment.district_summary
    city_row = city[city["org_kind"] == "合计"].iloc[0]
    drows = district_rates(assessment, district)
    drows = drows[drows["org_kind"] == "合计"].set_index("code")
    towns = assessment.jurisdictions
    tdist = district.district_of(towns["code"].astype(object).where(towns["code"].notna(), None))
    out = {"code": district.code, "name": district.name, **{k: city_row.get(k) for k in keep}, "districts": []}
    for code, name in district.district_names.items():
        r = drows.loc[code]
        t = towns[tdist == code]
        out["districts"].append({"code": code, "name": name, **{k: r.get(k) for k in keep},
                                 "towns": [{"code": row["code"], "name": row["name"], **{k: row.get(k) for k in keep}}
                                           for _, row in t.iterrows()]})
    return out


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
    ws = load_city_workspace(folder, policy=policy, engine=scheduler,
                             progress=lambda done, total, label: say(f"已读取 {label}", done / max(total, 1)))
    a = assess(ws.orgs, centers=ws.centers, parks=ws.parks, buildings=ws.buildings, district=ws.district,
               profile=ws.profile)
    doc = {"city": drilldown(a, ws.district), "seconds": round(time.perf_counter() - t0, 3),
           "notes": ws.data_notes}
    if json_:
        emit_json(doc)
        return
    c = doc["city"]
    err.print(f"{c['name']}：组织 {c['orgs']:,}，组织覆盖率 {c['org_coverage_rate']}")
    for d in c["districts"]:
        err.print(f"  {d['name']}：组织 {d['orgs']:,}，组织覆盖率 {d['org_coverage_rate']}（{len(d['towns'])} 个镇街）")
