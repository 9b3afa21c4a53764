"""The whole run for a whole city, one district per task: ``lianxin-geo city run``.

A city of a million orgs does not fit one process's memory as one workspace. Here each district is one engine task
(:meth:`lianxin_geo.core.engine.Engine.map`) that does the district's whole run — read and validate its four
ledgers, locate its orgs (:func:`lianxin_geo.workspace.read_city_district`), assess, plan joint units, instructor
routes and service-center coverage, write its files (:func:`lianxin_geo.pipeline.run_all`) — and returns only its
tables (summary rows, town rows, plan figures, stage times). The city's tables are sums of the districts'
(:func:`lianxin_geo.assessment.tables.combine_summaries`), so memory follows the largest district and the work
spreads over the workers by district.

The run folder::

    <out>/city.json              the city → district → town tree with every district's plan figures (CITY_RUN_FILE)
    <out>/全市汇总.xlsx            city, districts, towns, plans (present.cityexport)
    <out>/districts/<code>/      each district's run folder, as ``lianxin-geo run`` writes it (manifest.json …)
    <out>/manifest.json          every file of the run (written last; the folder is swapped in whole)

A district that fails (unreadable file, a planner error) is listed in ``failures`` with its reason; the other
districts finish and the run is labelled partial (部分结果) in ``city.json`` and the workbook.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from lianxin_geo.assessment.tables import combine_summaries, drilldown_tree
from lianxin_geo.core.district import District
from lianxin_geo.core.engine import Engine, get_engine
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.files import atomic_write_bytes, atomic_write_text
from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.core.policy import Profile, load_profile
from lianxin_geo.ingest.city import load_city
from lianxin_geo.ingest.limits import ReadLimits
from lianxin_geo.pipeline import PARTIAL_NOTE, plan_failures, run_all, run_assessment, run_coverage, run_joint, run_routes
from lianxin_geo.present.cityexport import CITY_WORKBOOK, write_city_workbook
from lianxin_geo.present.citymap import CITY_RUN_FILE, CITY_RUN_KIND
from lianxin_geo.present.export import check_formats
from lianxin_geo.present.outdir import staged_folder
from lianxin_geo.present.plans import Plans
from lianxin_geo.workspace import city_manifest, city_read_limits, read_city_district

__all__ = ["CITY_RUN_FILE", "CITY_RUN_KIND", "CITY_STAGES", "DEFAULT_CITY_FORMATS", "run_city", "district_run"]

#: The stages of each district's task, timed one by one (``stages`` of ``city.json``: seconds summed over districts).
CITY_STAGES = ("load", "assessment", "joint", "routes", "coverage", "exports")
#: The files each district writes by default: its workbook and GIS layers (maps and decks are a district's own run).
DEFAULT_CITY_FORMATS = ("xlsx", "geojson")
#: Columns of the towns' table kept for the city (the jurisdiction frame has one column per indicator and kind).
_TOWN_COLUMNS = ("code", "name", "orgs", "own", "joint", "work_only", "uncovered", "org_covered",
                 "org_coverage_rate", "single_rate", "work_coverage_rate")


def _peak_rss_mb() -> float:
    """This process's peak resident memory so far (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


def _plan_figures(plans: Plans) -> dict[str, Any]:
    joint, routes, cov = plans.joint, plans.routes, plans.coverage
    return {
        "joint_units": int(len(joint.units)) if joint is not None else None,
        "routes": int(len(routes.routes)) if routes is not None else None,
        "route_km": round(float(routes.routes["length_km"].sum()), 1) if routes is not None and len(routes.routes)
        else (0.0 if routes is not None else None),
        "new_sites": int(len(cov.proposed_sites)) if cov is not None else None,
    }


def district_run(item: dict[str, Any], *, folder: str, city: District, profile: Profile, limits: ReadLimits,
                 out: str | None, formats: tuple[str, ...], time_limit_s: float, new_sites: int,
                 seed: int) -> dict[str, Any]:
    """One district's whole run (an engine task): read, locate, assess, plan, write its run folder.

    With ``out`` (this machine's staging folder) the files go to ``<out>/districts/<code>``; without (a worker of a
    remote cluster) they are written in a scratch folder and returned as bytes for the caller to write.
    Returns the district's tables, plan figures, failures, stage seconds and the worker's peak memory.
    """
    code = str(item["code"])
    seconds: dict[str, float] = {}
    t = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal t
        now = time.perf_counter()
        seconds[stage] = round(now - t, 3)
        t = now

    ws = read_city_district(item, folder=folder, city=city, profile=profile, limits=limits)
    lap("load")
    a = run_assessment(ws)
    lap("assessment")
    share = max(1.0, 0.4 * time_limit_s)
    plans = Plans()
    plans.joint = run_joint(ws, assessment=a, seed=seed, time_limit_s=share, engine="sync")
    lap("joint")
    plans.routes = run_routes(ws, assessment=a, joint=plans.joint, time_limit_s=share, seed=seed, engine="sync")
    lap("routes")
    plans.coverage = run_coverage(ws, k=new_sites, time_limit_s=max(1.0, 0.2 * time_limit_s), seed=seed,
                                  engine="sync")
    lap("coverage")
    rel = f"districts/{code}"
    blobs: dict[str, bytes] = {}
    if out is not None:
        run_all(ws, Path(out) / rel, formats=formats, assessment=a, plans=plans, seed=seed, engine="sync")
    else:
        with tempfile.TemporaryDirectory(prefix="lianxin-city-") as scratch:
            root = Path(scratch) / code
            run_all(ws, root, formats=formats, assessment=a, plans=plans, seed=seed, engine="sync")
            blobs = {f"{rel}/{f.relative_to(root).as_posix()}": f.read_bytes()
                     for f in sorted(root.rglob("*")) if f.is_file()}
    lap("exports")
    towns = a.jurisdictions[[c for c in _TOWN_COLUMNS if c in a.jurisdictions.columns]]
    return {"code": code, "name": str(item["name"]), "summary": a.district_summary.copy(),
            "towns": towns[towns["code"].notna()].reset_index(drop=True), "plans": _plan_figures(plans),
            "failures": [f.to_json() for f in plan_failures(plans)], "notes": ws.data_notes, "folder": rel,
            "seconds": seconds, "peak_rss_mb": round(_peak_rss_mb(), 1), "blobs": blobs}


def _district_entry(part: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    return {**node, "folder": part["folder"], "plans": part["plans"], "partial": bool(part["failures"]),
            "failures": part["failures"], "seconds": part["seconds"], "peak_rss_mb": part["peak_rss_mb"]}


def run_city(
    folder: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    policy: Profile | str | None = None,
    engine: Engine | str | None = None,
    formats: Sequence[str] = DEFAULT_CITY_FORMATS,
    time_limit_s: float = 120.0,
    new_sites: int = 5,
    seed: int = 0,
    districts: Sequence[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Run every district of a city folder, each as one engine task, and write the city's run folder.

    Parameters
    ----------
    folder
        A city folder (``city.json`` and ``districts/<code>/*.csv``, as ``demo --city`` writes it).
    out_dir
        The run folder: missing, empty or holding a previous city run (replaced whole when every file is written).
    policy
        Profile name or path (default ``shunyi-2017``).
    engine
        The parallel engine or a scheduler name; the districts are its tasks (largest first).
    formats
        The files of each district's run folder (:data:`lianxin_geo.present.export.FORMATS`).
    time_limit_s, new_sites, seed
        Each district's plans, as ``lianxin-geo run``'s ``--time-limit``, ``--new-sites`` and ``--seed``.
    districts
        Only these district codes (default: every district of the folder).
    progress
        ``progress(done, total, label)`` as districts finish.

    Returns
    -------
    dict
        The document written as ``city.json``: ``kind``, ``city`` (the drill-down tree, each district with
        ``folder``, ``plans``, ``partial``, ``failures``, ``seconds``, ``peak_rss_mb``), ``stages`` (seconds of
        each stage summed over the districts), ``partial``, ``failures``, ``notes``, ``files``, ``seconds``.
    """
    t0 = time.perf_counter()
    check_formats(formats)
    root = Path(folder)
    items = city_manifest(root)["districts"]
    if districts:
        want = {str(d) for d in districts}
        unknown = want - {str(d["code"]) for d in items}
        if unknown:
            raise LianxinError(f"全市目录中没有这些区：{'、'.join(sorted(unknown))}；--district 请填 6 位区划代码，"
                              f"可选：{'、'.join(str(d['code']) + str(d['name']) for d in items)}")
        items = [d for d in items if str(d["code"]) in want]
    city = load_city([d["code"] for d in items])
    profile = load_profile(policy) if not isinstance(policy, Profile) else policy
    eng = get_engine(engine)
    remote = eng.scheduler not in ("local", "sync")
    codes = [str(d["code"]) for d in items]
    with staged_folder(out_dir, known={CITY_RUN_FILE, CITY_WORKBOOK, "districts"}) as stage:
        res = eng.map(district_run, items, keys=codes, labels=[str(d["name"]) for d in items],
                      cost=[2.0 + int(d["orgs"]) / 1_000.0 for d in items], progress=progress,
                      folder=str(root), city=city, profile=profile, limits=city_read_limits(items),
                      out=None if remote else str(stage), formats=tuple(formats), time_limit_s=float(time_limit_s),
                      new_sites=int(new_sites), seed=int(seed))
        parts = [res.values[c] for c in codes if c in res.values]
        for part in parts:
            for rel, data in part.pop("blobs").items():
                atomic_write_bytes(stage / rel, data)
        summary = combine_summaries([p["summary"] for p in parts], profile, code=city.code, name=city.name)
        doc = _city_document(city, summary, parts, res.failures, items)
        doc["profile"] = profile.name
        doc["seconds"] = round(time.perf_counter() - t0, 3)
        _write_city_files(stage, doc, parts, summary)
    return doc


def _city_document(city: District, summary: pd.DataFrame, parts: list[dict[str, Any]], failed: Sequence[Any],
                   items: list[dict[str, Any]]) -> dict[str, Any]:
    tree = drilldown_tree(summary, {p["code"]: (p["name"], p["summary"], p["towns"]) for p in parts},
                          code=city.code, name=city.name)
    tree["districts"] = [_district_entry(p, node) for p, node in zip(parts, tree["districts"])]
    failures = [{"key": f.key, "label": f.label, "reason": f.reason, "level": "district"} for f in failed]
    failures += [{**f, "district": p["name"]} for p in parts for f in p["failures"]]
    notes = list(dict.fromkeys(n for p in parts for n in p["notes"]))
    stages = {s: round(sum(p["seconds"].get(s, 0.0) for p in parts), 3) for s in CITY_STAGES}
    return jsonable({
        "kind": CITY_RUN_KIND, "city": tree, "districts_run": len(parts), "districts_total": len(items),
        "partial": bool(failures), "failures": failures,
        "partial_note": PARTIAL_NOTE if failures else None, "notes": notes, "stages": stages,
        "peak_worker_rss_mb": max((p["peak_rss_mb"] for p in parts), default=None),
        "files": {"city": CITY_RUN_FILE, "workbook": CITY_WORKBOOK, "districts": "districts"},
    })


def _write_city_files(stage: Path, doc: dict[str, Any], parts: list[dict[str, Any]], city: pd.DataFrame) -> None:
    districts = pd.concat([p["summary"] for p in parts], ignore_index=True) if parts else pd.DataFrame()
    towns = (pd.concat([p["towns"].assign(district=p["name"]) for p in parts], ignore_index=True)
             if parts else pd.DataFrame())
    plans = pd.DataFrame([{"name": p["name"], **p["plans"], "partial": bool(p["failures"])} for p in parts])
    notes = list(doc["notes"])
    if doc["partial"]:
        notes.insert(0, "部分结果：" + "；".join(f"{f.get('district') or f['label']}：{f['reason']}"
                                            for f in doc["failures"]))
    write_city_workbook(stage / CITY_WORKBOOK, city=city, districts=districts, towns=towns, plans=plans, notes=notes)
    atomic_write_text(stage / CITY_RUN_FILE, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
