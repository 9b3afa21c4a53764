"""Benchmark: new service-center siting (maximal covering location problem).

Compares, on the same coverage instance (existing centers fixed):

* ours    — ``lianxin_geo.plan.coverage.mclp.solve_mclp(method="auto")`` (reduction + greedy/swap + HiGHS MIP);
* greedy  — ``solve_mclp(method="greedy")`` (the classic greedy baseline, with its online bound);
* spopt   — ``spopt.locate.MCLP.from_cost_matrix`` (exact MIP over the full dense matrix, existing
            centers as predefined facilities), solved by HiGHS through PuLP.

Data: the project's seeded demo (``lianxin_geo.ingest.demo.generate_demo``: orgs, service
centers, buildings, parks on the real Shunyi skeleton) with candidate sites from the
demo's buildings, parks and community points, topped up with seeded user-added sites;
reaches as in the shunyi-2017 profile. Orgs without coordinates are never covered.

Run ``.venv/bin/python benchmarks/coverage.py [--quick]``; on your own ledgers instead of the demo:
``.venv/bin/python benchmarks/coverage.py --orgs 组织.xlsx --centers 阵地.xlsx [--buildings F] [--parks F]
[--boundaries F] [--policy P] [--k 5 20]`` (candidates: the ledgers' buildings, parks and community points).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lianxin_geo.core.distance import haversine_m  # noqa: E402
from lianxin_geo.plan.coverage.mclp import solve_mclp  # noqa: E402
from lianxin_geo.ingest.boundaries import demo_district  # noqa: E402
from lianxin_geo.core.frames import lonlat  # noqa: E402
from lianxin_geo.plan.coverage import (  # noqa: E402
    CoverageParams,
    candidate_sites,
    coverage_matrix,
    plan_coverage,
    service_reach,
)
from lianxin_geo.ingest.demo import generate_demo  # noqa: E402

SPOPT_MAX_CELLS = 12_000_000  # dense demand × facility cells spopt/PuLP is asked to build
SPOPT_TIME_LIMIT_S = 120.0


def _inside(district, lon, lat):
    return shapely.contains_xy(district.outline, lon, lat)


def _uniform_inside(district, rng, n):
    minx, miny, maxx, maxy = district.bounds
    lon = np.empty(0)
    lat = np.empty(0)
    while lon.size < n:
        a = rng.uniform(minx, maxx, 4 * n + 10)
        b = rng.uniform(miny, maxy, 4 * n + 10)
        ok = _inside(district, a, b)
        lon = np.concatenate([lon, a[ok]])[:n]
        lat = np.concatenate([lat, b[ok]])[:n]
    return lon, lat


def make_instance(n_orgs: int, n_candidates: int, *, seed: int = 0):
    """Demo ledgers (``lianxin_geo.ingest.demo.generate_demo``) and ``n_candidates`` candidate sites.

    Candidates: the demo's commercial buildings, parks and community points
    (``candidate_sites``), subsampled or topped up with seeded user-added sites,
    half near orgs (±300 m), half anywhere inside the district.
    """
    rng = np.random.default_rng(seed)
    district = demo_district()
    demo = generate_demo(n_orgs, seed=seed)
    orgs = demo.orgs.copy()
    lon, lat = lonlat(orgs)
    orgs["lon"], orgs["lat"], orgs["crs"] = lon, lat, "WGS84"
    orgs["id"] = [f"O{i}" for i in range(len(orgs))]
    orgs["employees"] = pd.to_numeric(orgs["employees"], errors="coerce").fillna(0)
    codes = np.array([district.resolve_town(t) for t in orgs["town"]], dtype=object)
    orgs["jurisdiction_code"] = codes
    centers = demo.centers.copy()
    centers["id"] = [f"Z{i}" for i in range(len(centers))]
    centers["jurisdiction_code"] = [district.resolve_town(t) for t in centers["town"]]
    pool = candidate_sites(district, buildings=demo.buildings, parks=demo.parks)
    if len(pool) >= n_candidates:
        pool = pool.iloc[np.sort(rng.choice(len(pool), n_candidates, replace=False))]
    else:
        extra = n_candidates - len(pool)
        near = extra // 2
        located = np.flatnonzero(np.isfinite(lon))
        pick = rng.choice(located, near, replace=False)
        k_lat = 300.0 / 111_195.0
        n_lon = lon[pick] + rng.uniform(-1, 1, near) * k_lat / np.cos(np.radians(lat[pick]))
        n_lat = lat[pick] + rng.uniform(-1, 1, near) * k_lat
        u_lon, u_lat = _uniform_inside(district, rng, extra - near)
        add = pd.DataFrame({"site_id": [f"U:{i}" for i in range(extra)], "kind": "自选", "name": None,
                            "lon": np.concatenate([n_lon, u_lon]), "lat": np.concatenate([n_lat, u_lat]),
                            "jurisdiction_code": None})
        pool = pd.concat([pool, add], ignore_index=True)
    cand = pool.reset_index(drop=True)
    miss = cand["jurisdiction_code"].isna().to_numpy()
    cand["jurisdiction_code"] = cand["jurisdiction_code"].astype(object)
    cand.loc[miss, "jurisdiction_code"] = district.assign(cand.loc[miss, "lon"].to_numpy(float),
                                                          cand.loc[miss, "lat"].to_numpy(float))
    return district, orgs, centers, cand, demo


def workspace_instance(args):
    """The instance of the user's ledgers (``--orgs`` …): their located orgs and centers, candidates from their
    buildings, parks and the gazetteer's community points (``candidate_sites``), as ``plan coverage`` uses."""
    from lianxin_geo.workspace import load_workspace

    ws = load_workspace(orgs=args.orgs, centers=args.centers, buildings=args.buildings, parks=args.parks,
                        boundaries=args.boundaries, policy=args.policy)
    for note in ws.data_notes:
        print("数据说明：", note)
    orgs = ws.orgs.copy()
    orgs["lon"] = pd.to_numeric(orgs["lon"], errors="coerce")
    orgs["lat"] = pd.to_numeric(orgs["lat"], errors="coerce")
    orgs["employees"] = pd.to_numeric(orgs["employees"], errors="coerce").fillna(0)
    centers = ws.centers.copy()
    for col in ("lon", "lat"):
        centers[col] = pd.to_numeric(centers.get(col), errors="coerce")
    cand = candidate_sites(ws.district, buildings=ws.buildings, parks=ws.parks).reset_index(drop=True)
    miss = cand["jurisdiction_code"].isna().to_numpy()
    cand["jurisdiction_code"] = cand["jurisdiction_code"].astype(object)
    cand.loc[miss, "jurisdiction_code"] = ws.district.assign(cand.loc[miss, "lon"].to_numpy(float),
                                                             cand.loc[miss, "lat"].to_numpy(float))
    return ws.district, orgs, centers, cand, ws


def build(district, orgs, centers, cand, params: CoverageParams):
    kinds = dict(zip(district.jurisdictions["code"].astype(str), district.jurisdictions["kind"].astype(str)))
    o_code = orgs["jurisdiction_code"].to_numpy(object)
    c_code = centers["jurisdiction_code"].to_numpy(object)
    s_code = cand["jurisdiction_code"].to_numpy(object)
    c_reach, c_own = service_reach(centers["level"].to_numpy(object), np.array([kinds.get(c) for c in c_code]),
                                   reach_m_street=params.reach_m_street, reach_m_town=params.reach_m_town,
                                   district_center_own_town_only=params.district_center_own_town_only)
    s_reach, s_own = service_reach(np.full(len(cand), None, object), np.array([kinds.get(c) for c in s_code]),
                                   reach_m_street=params.reach_m_street, reach_m_town=params.reach_m_town,
                                   district_center_own_town_only=params.district_center_own_town_only)
    o_lon, o_lat = orgs["lon"].to_numpy(float), orgs["lat"].to_numpy(float)
    centers = centers[np.isfinite(centers["lon"].to_numpy(float))]
    a_exist = coverage_matrix(centers["lon"], centers["lat"], c_reach, o_lon, o_lat, circuity=params.circuity,
                              own_zone_only=c_own, src_zone=c_code, dst_zone=o_code)
    covered = np.asarray(a_exist.sum(axis=0)).reshape(-1) > 0
    # as plan_coverage does: the candidate matrix is built on the orgs not yet covered only
    open_idx = np.flatnonzero(~covered & np.isfinite(o_lon))
    a_cand = coverage_matrix(cand["lon"], cand["lat"], s_reach, o_lon[open_idx], o_lat[open_idx],
                             circuity=params.circuity, own_zone_only=s_own, src_zone=s_code, dst_zone=o_code[open_idx])
    return a_cand, covered, open_idx, (c_reach, c_own, s_reach, s_own)


def run_spopt(district, orgs, centers, cand, params, reaches, weights, k, covered):
    import pulp
    from spopt.locate import MCLP

    c_reach, c_own, s_reach, s_own = reaches
    f_lon = np.concatenate([centers["lon"].to_numpy(float), cand["lon"].to_numpy(float)])
    f_lat = np.concatenate([centers["lat"].to_numpy(float), cand["lat"].to_numpy(float)])
    f_reach = np.concatenate([c_reach, s_reach])
    f_own = np.concatenate([c_own, s_own])
    f_zone = np.concatenate([centers["jurisdiction_code"].to_numpy(object), cand["jurisdiction_code"].to_numpy(object)])
    o_lon, o_lat = orgs["lon"].to_numpy(float), orgs["lat"].to_numpy(float)
    o_zone = orgs["jurisdiction_code"].to_numpy(object)
    t0 = time.perf_counter()
    cost = haversine_m(o_lon[:, None], o_lat[:, None], f_lon[None, :], f_lat[None, :]) * params.circuity
    cost /= f_reach[None, :]  # normalised: covered iff <= 1
    if f_own.any():
        bad = f_own[None, :] & (o_zone[:, None] != f_zone[None, :])
        cost[bad] = np.inf
    predefined = np.zeros(f_lon.size, dtype=bool)
    predefined[: len(centers)] = True
    model = MCLP.from_cost_matrix(cost, weights, service_radius=1.0, p_facilities=int(len(centers) + k),
                                  predefined_facilities_arr=predefined)
    solver = pulp.HiGHS(msg=False, timeLimit=SPOPT_TIME_LIMIT_S) if pulp.HiGHS().available() else \
        pulp.PULP_CBC_CMD(msg=False, timeLimit=SPOPT_TIME_LIMIT_S)
    model.solve(solver)
    seconds = time.perf_counter() - t0
    chosen = [j for j in range(f_lon.size) if model.fac_vars[j].value() and model.fac_vars[j].value() > 0.5]
    cov = (cost[:, chosen] <= 1.0).any(axis=1)
    newly = float(weights[cov & ~covered].sum())
    status = pulp.LpStatus[model.problem.status]
    return newly, seconds, status


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small cases only (well under a minute)")
    ap.add_argument("--demand", choices=["employees", "orgs"], default="employees")
    ap.add_argument("--time-limit", type=float, default=45.0, help="time limit of our solver (s)")
    for kind in ("orgs", "centers", "buildings", "parks", "boundaries"):
        ap.add_argument(f"--{kind}", default=None, help=f"{kind}: run on these ledgers instead of the seeded demo")
    ap.add_argument("--policy", default="shunyi-2017", help="policy profile of the reaches (name or TOML)")
    ap.add_argument("--k", type=int, nargs="+", default=[5, 20], help="new sites to choose (with ledgers)")
    args = ap.parse_args(argv)
    params = CoverageParams.from_profile(args.policy)  # shunyi-2017: street 1200 m, town 5000 m, circuity 1.3
    given = any(getattr(args, kind) for kind in ("orgs", "centers", "buildings", "parks", "boundaries"))
    cache: dict[tuple[int, int], tuple] = {}
    demos: dict[tuple[int, int], object] = {}
    if given:
        district, orgs, centers, cand, ws = workspace_instance(args)
        n, c = len(orgs), len(cand)
        demos[(n, c)] = ws
        t0 = time.perf_counter()
        a_cand, covered, open_idx, reaches = build(district, orgs, centers, cand, params)
        cache[(n, c)] = (district, orgs, centers, cand, a_cand, covered, open_idx, reaches, time.perf_counter() - t0)
        cases = [(n, c, k) for k in args.k]
    elif args.quick:
        cases = [(5_000, 200, 5), (5_000, 200, 20)]
    else:
        cases = [(n, c, k) for n in (5_000, 50_000) for c in (200, 2_000) for k in (5, 20)]
    print(f"demand weight: {args.demand}; reach street {params.reach_m_street:.0f} m, town {params.reach_m_town:.0f} m,"
          f" circuity {params.circuity}")
    header = (f"{'orgs':>6} {'cand':>5} {'k':>3} | {'build s':>7} {'reduced':>11} | {'ours':>9} {'s':>6} {'status':>10}"
              f" {'bound':>9} | {'greedy':>9} {'s':>5} | {'spopt':>9} {'s':>7} | {'ours/opt':>8} {'greedy/opt':>10}"
              f" {'speed-up':>8}")
    print(header)
    print("-" * len(header))
    for n, c, k in cases:
        if (n, c) not in cache:
            district, orgs, centers, cand, demo = make_instance(n, c, seed=n + c)
            demos[(n, c)] = demo
            t0 = time.perf_counter()
            a_cand, covered, open_idx, reaches = build(district, orgs, centers, cand, params)
            cache[(n, c)] = (district, orgs, centers, cand, a_cand, covered, open_idx, reaches,
                             time.perf_counter() - t0)
        district, orgs, centers, cand, a_cand, covered, open_idx, reaches, t_build = cache[(n, c)]
        w = (orgs["employees"].to_numpy(float) if args.demand == "employees" else np.ones(n))
        ours = solve_mclp(a_cand, w[open_idx], k, method="auto", time_limit_s=args.time_limit)
        greedy = solve_mclp(a_cand, w[open_idx], k, method="greedy")
        cells = n * (len(centers) + c)
        if cells > SPOPT_MAX_CELLS:
            sp_txt = f"skipped (dense {n}×{len(centers) + c} = {cells / 1e6:.0f}M cells > {SPOPT_MAX_CELLS / 1e6:.0f}M)"
            spv, sps, sp_status = None, None, "skipped"
        else:
            spv, sps, sp_status = run_spopt(district, orgs, centers, cand, params, reaches, w, k, covered)
            sp_txt = None
        opt = None
        if ours.status == "optimal":
            opt = ours.covered_weight
        elif spv is not None and sp_status == "Optimal":
            opt = spv
        ratio = (lambda v: f"{v / opt:8.4f}" if opt else "     n/a")
        speed = f"{sps / (ours.seconds + t_build):7.1f}x" if sps else "     n/a"
        sp_cols = f"{spv:9.0f} {sps:7.1f}" if spv is not None else f"{'—':>9} {'—':>7}"
        print(f"{n:>6} {c:>5} {k:>3} | {t_build:7.2f} {str(ours.reduced_shape):>11} | {ours.covered_weight:9.0f}"
              f" {ours.seconds:6.2f} {ours.status:>10} {ours.bound:9.0f} | {greedy.covered_weight:9.0f}"
              f" {greedy.seconds:5.2f} | {sp_cols} | {ratio(ours.covered_weight)} {ratio(greedy.covered_weight):>10}"
              f" {speed:>8}")
        if sp_txt:
            print(f"{'':>17}spopt: {sp_txt}")
        elif sp_status != "Optimal":
            print(f"{'':>17}spopt status: {sp_status}")
    # the whole public API once on the largest case: coverage, gaps, siting, venues, JSON
    n, c, k = max(cases)
    district, orgs, centers, cand = cache[(n, c)][:4]
    demo = demos[(n, c)]
    t0 = time.perf_counter()
    plan = plan_coverage(orgs, centers=centers, district=district, buildings=demo.buildings, parks=demo.parks,
                         candidates=cand, k=k, params=params, demand=args.demand, time_limit_s=args.time_limit)
    doc = plan.to_json()
    t_plan = time.perf_counter() - t0
    d = doc["coverage"]["district"]
    print(f"\nplan_coverage end to end ({n} orgs, {c} candidates, k={k}): {t_plan:.1f} s, "
          f"{plan.stats['method']}/{plan.stats['status']}; orgs share {d['orgs_share']:.3f} -> {d['orgs_share_after']:.3f}, "
          f"employees share {d['employees_share']:.3f} -> {d['employees_share_after']:.3f}; {len(doc['gaps'])} gap cells")
    print("\nours s = solver only (reduction included); build = coverage of existing centers + candidate matrix on the "
          "orgs still uncovered; speed-up = spopt s / (ours s + build s) (spopt's dense cost matrix is counted in its "
          "own seconds); ratios are to the proven optimum (ours when optimal, else spopt's).")


if __name__ == "__main__":
    main()
