"""Benchmark the CVRP engines and the instructor planner.

Run: ``.venv/bin/python benchmarks/routes.py [--quick] [--instances PATH ...] [--standard-only]``

1. Standard CVRPLIB instances (``benchmarks/data/cvrp``, or the ``.vrp`` files and folders given with
   ``--instances``: EUC_2D rounded as CVRPLIB does, or EXPLICIT matrices; the depot of DEPOT_SECTION; the known
   optimum from a ``# known optimum: N`` line, a ``.sol`` beside the file, or ``Optimal value: N`` in COMMENT):
   cost and gap of PyVRP, OR-Tools (PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH) and VROOM
   (pyvroom) at an equal time limit (10 s; 1 s with ``--quick``), and ``pyvrp_scaled``: PyVRP stopped only
   by the counts the planner uses (:func:`~lianxin_geo.plan.routes.search_limits` of the instance's size,
   a 60 s safety cap that is never reached), the deterministic setting the ≤ 3 % quality goal applies to.
2. Unit-demand instances shaped like the demo (500 and 5,000 orgs, clustered inside the
   Shunyi outline, grouped per town by nearest town seat, capacity 10, depot = town seat,
   great circle × 1.3): total length per engine at an equal total budget, a lower bound
   (per town max(MST, radial bound)), and ratios.
3. The full planner (:func:`plan_instructor_routes`) on 5,000 orgs: wall-clock seconds.
4. The demo ledger (``load_workspace()`` default, its named instructors, the default joint plan's new units)
   through :func:`lianxin_geo.pipeline.run_routes`: named instructors vs new posts, gap, tours split into
   working days, the longest route-day, hubs of new units visited separately, seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import minimum_spanning_tree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lianxin_geo.plan.routes.routing import (  # noqa: E402
    available_backends,
    haversine_matrix,
    read_cvrp_instance,
    search_limits,
    solve_cvrp,
)

CVRP_DIR = ROOT / "benchmarks" / "data" / "cvrp"
SOLVERS = [s for s in ("pyvrp", "ortools", "vroom") if s in available_backends()]




def instance_paths(given: list[str] | None) -> list[Path]:
    """The ``.vrp`` files named (files, or folders searched for ``*.vrp``); default the shipped set."""
    paths: list[Path] = []
    for text in given or [str(CVRP_DIR)]:
        p = Path(text)
        paths += sorted(p.glob("*.vrp")) if p.is_dir() else [p]
    return paths


def _gap(cost: float, opt: int | None) -> float | None:
    return None if not opt else round((cost / opt - 1) * 100, 2)


def bench_standard(limit: float, paths: list[Path]) -> pd.DataFrame:
    """Every engine on each instance at ``limit`` seconds, and PyVRP stopped by the planner's counts; the gap to
    the known optimum where the file (or a ``.sol`` beside it) gives one."""
    rows = []
    instances = sorted((read_cvrp_instance(p) for p in paths), key=lambda i: (i.customers, i.name))
    for inst in instances:
        opt = inst.optimum
        row: dict[str, object] = {"instance": inst.name, "customers": inst.customers, "optimum": opt,
                                  "optimum_from": inst.optimum_source or "—"}
        for s in SOLVERS:
            r = inst.solve(time_limit_s=limit, solver=s)
            row[f"{s}"] = int(r.cost)
            row[f"{s}_gap%"] = _gap(r.cost, opt)
            row[f"{s}_s"] = round(r.seconds, 1)
        lim = search_limits(inst.customers)
        r = inst.solve(time_limit_s=60.0, solver="pyvrp", max_iterations=lim.max_iterations,
                       no_improvement=lim.no_improvement)
        row["pyvrp_scaled"] = int(r.cost)
        row["pyvrp_scaled_gap%"] = _gap(r.cost, opt)
        row["pyvrp_scaled_s"] = round(r.seconds, 1)
        row["pyvrp_scaled_status"] = r.status
        rows.append(row)
        gaps = {s: "—" if row[s + "_gap%"] is None else f"{row[s + '_gap%']}%" for s in [*SOLVERS, "pyvrp_scaled"]}
        print(f"  {inst.name}: " + ", ".join(f"{s} {row[s]} ({gaps[s]})" for s in gaps), flush=True)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- demo-like unit-demand instances
def shunyi_points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Clustered points inside the Shunyi outline, grouped by nearest town seat."""
    gj = json.loads((ROOT / "data" / "boundaries" / "shunyi_outline.geojson").read_text(encoding="utf-8"))
    outline = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in gj["features"]])
    towns = pd.read_csv(ROOT / "data" / "boundaries" / "shunyi_towns.csv", dtype={"code": str})
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = outline.bounds
    # cluster centres: the town seats plus random hot spots; 70 % of points near a centre
    centres = np.vstack([towns[["seat_lon", "seat_lat"]].to_numpy(),
                         np.column_stack([rng.uniform(minx, maxx, 40), rng.uniform(miny, maxy, 40)])])
    lon, lat = [], []
    while len(lon) < n:
        k = 4 * n
        near = rng.random(k) < 0.7
        c = centres[rng.integers(0, len(centres), k)]
        x = np.where(near, c[:, 0] + rng.normal(0, 0.015, k), rng.uniform(minx, maxx, k))
        y = np.where(near, c[:, 1] + rng.normal(0, 0.012, k), rng.uniform(miny, maxy, k))
        ok = shapely.contains_xy(outline, x, y)
        lon += x[ok].tolist()
        lat += y[ok].tolist()
    lon_a, lat_a = np.array(lon[:n]), np.array(lat[:n])
    seats = towns[["seat_lon", "seat_lat"]].to_numpy()
    d = (lon_a[:, None] - seats[None, :, 0]) ** 2 + ((lat_a[:, None] - seats[None, :, 1]) * 1.3) ** 2
    town = np.argmin(d, axis=1)
    return lon_a, lat_a, town, towns


def lower_bound(m: np.ndarray, cap: int) -> float:
    """max(MST over depot + customers, radial bound 2/Q * sum d(depot, i)) — both valid CVRP bounds."""
    mst = float(minimum_spanning_tree(np.maximum(m, 1e-9)).sum())
    radial = 2.0 / cap * float(m[0, 1:].sum())
    return max(mst, radial)


def bench_unit(n: int, total_budget: float, seed: int = 0) -> pd.DataFrame:
    lon, lat, town, towns = shunyi_points(n, seed)
    cap = 10
    groups = []
    for t in np.unique(town):
        sel = np.flatnonzero(town == t)
        plon = np.r_[towns["seat_lon"].iloc[t], lon[sel]]
        plat = np.r_[towns["seat_lat"].iloc[t], lat[sel]]
        groups.append(haversine_matrix(plon, plat) * 1.3)
    lb = sum(lower_bound(m, cap) for m in groups) / 1000
    rows = [{"engine": "lower bound", "km": round(lb, 1), "seconds": 0.0}]
    for s in SOLVERS:
        t0 = time.perf_counter()
        km = 0.0
        statuses = set()
        for m in groups:
            k = m.shape[0] - 1
            budget = max(0.1, total_budget * k / n)
            r = solve_cvrp(None, np.r_[0, np.ones(k, dtype=int)], cap, metric=m, time_limit_s=budget, solver=s)
            km += r.cost / 1000
            statuses.add(r.status)
        rows.append({"engine": s, "km": round(km, 1), "seconds": round(time.perf_counter() - t0, 1),
                     "status": ",".join(sorted(statuses))})
    df = pd.DataFrame(rows)
    best = df.loc[df["engine"] != "lower bound", "km"].min()
    df["ratio_to_best"] = (df["km"] / best).round(4)
    df["ratio_to_lb"] = (df["km"] / lb).round(4)
    return df


def bench_planner(n: int, time_limit_s: float, seed: int = 0) -> dict[str, object]:
    from lianxin_geo.ingest.boundaries import demo_district
    from lianxin_geo.plan.routes.instructors import plan_instructor_routes

    lon, lat, _, _ = shunyi_points(n, seed)
    district = demo_district()
    rng = np.random.default_rng(seed)
    orgs = pd.DataFrame({
        "id": [f"D{i:05d}" for i in range(n)], "name": [f"演示单位{i}" for i in range(n)],
        "lon": lon, "lat": lat, "jurisdiction_code": district.assign(lon, lat),
        "industry": rng.choice(["I65", "C", "F", "M", "L", "O"], n),
        "party_status": "未建立", "members": 0, "instructor": "",
    })
    t0 = time.perf_counter()
    plan = plan_instructor_routes(orgs, centers=None, district=district, time_limit_s=time_limit_s)
    secs = time.perf_counter() - t0
    s = plan.stats
    return {"orgs": n, "routed": s["orgs"], "unassigned": len(plan.unassigned), "instructors": s["instructors"],
            "total_km": s["total_km"], "seconds": round(secs, 1), "status": s["solver_status"]}


def bench_demo(time_limit_s: float = 30.0) -> dict[str, object]:
    from lianxin_geo import load_workspace
    from lianxin_geo.pipeline import run_assessment, run_joint, run_routes

    ws = load_workspace()
    assessment = run_assessment(ws)
    joint = run_joint(ws, assessment=assessment)
    t0 = time.perf_counter()
    plan = run_routes(ws, assessment=assessment, joint=joint, time_limit_s=time_limit_s)
    secs = time.perf_counter() - t0
    s = plan.stats
    visited = set(plan.stops["org_id"].astype(str))
    return {"listed": s["instructors_listed"], "named": s["instructors_named"], "new_posts": s["instructors_new"],
            "gap": int(plan.towns["instructors_gap"].sum()),
            "towns_with_gap": int((plan.towns["instructors_gap"] > 0).sum()), "split": s["routes_split"],
            "max_day_min": s["max_day_minutes"], "working_day": s["working_day_minutes"],
            "hub_double_visits": len(set(joint.units["hub_id"].astype(str)) & visited), "seconds": round(secs, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 s limits, 500 orgs only")
    ap.add_argument("--instances", nargs="+", metavar="PATH",
                    help="CVRPLIB .vrp files or folders of them (default benchmarks/data/cvrp); the optimum comes "
                         "from a '# known optimum: N' line, a .sol file beside the instance, or 'Optimal value: N' "
                         "in COMMENT")
    ap.add_argument("--standard-only", action="store_true", help="only the CVRPLIB instances")
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    limit = 1.0 if args.quick else 10.0
    print(f"engines: {', '.join(SOLVERS)}")
    print(f"\n== CVRPLIB instances, {limit:g} s each ==", flush=True)
    std = bench_standard(limit, instance_paths(args.instances))
    print(std.to_string(index=False))
    for s in [*SOLVERS, "pyvrp_scaled"]:
        gaps = pd.to_numeric(std[s + "_gap%"], errors="coerce").dropna()
        if len(gaps):
            print(f"  {s}: max gap {gaps.max():.2f} %, mean {gaps.mean():.2f} % over {len(gaps)} instances "
                  "with a known optimum")
    if args.standard_only:
        return
    sizes = [(500, 5.0)] if args.quick else [(500, 10.0), (5000, 30.0)]
    for n, budget in sizes:
        print(f"\n== unit-demand Shunyi-like instance: {n} orgs, capacity 10, {budget:g} s total per engine ==",
              flush=True)
        print(bench_unit(n, budget).to_string(index=False))
    n_plan, lim = (500, 5.0) if args.quick else (5000, 30.0)
    print(f"\n== plan_instructor_routes: {n_plan} orgs, time_limit_s={lim:g} ==", flush=True)
    print(pd.DataFrame([bench_planner(n_plan, lim)]).to_string(index=False))
    print("\n== run_routes on the demo ledger (named instructors) ==", flush=True)
    print(pd.DataFrame([bench_demo()]).to_string(index=False))


if __name__ == "__main__":
    main()
