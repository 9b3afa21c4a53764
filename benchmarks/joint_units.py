"""Benchmark: joint party units (联建方案) — ours vs KMeans / agglomerative / spopt Max-P / exact MIP.

Run ``.venv/bin/python benchmarks/joint_units.py [--quick] [--sizes 200 2000 20000] [--maxp-up-to N]``; on the
joint candidates of your own ledgers instead: ``… joint_units.py --orgs 组织.xlsx [--buildings F] [--parks F]
[--centers F] [--boundaries F] [--policy P]``.

For every instance size (eligible orgs) and method it prints orgs placed, orgs placed in valid
units, units, violations found by the independent checker (:mod:`lianxin_geo.plan.joint.rules`),
mean and max radius (metres, on the ellipsoid) and seconds, then the ratios to ours.
Small instances (<= 40 orgs) compare ours with an exact MIP (HiGHS through scipy.optimize.milp)
of the older objective (most orgs placed, then least member-to-hub distance, 同业联建 only); ours places
most orgs, then uses the fewest units, then the least distance, with every form of the profile. After
each table it prints our placed share, units, mean orgs per unit, size distribution and units by form.

Data: ``lianxin_geo.ingest.demo`` when it exists; otherwise a seeded generator here: clustered points
inside the real Shunyi outline, towns by nearest town seat, members mostly 1-2, industries from a
few GB/T 4754 sections, about 15 % of orgs in commercial buildings. Synthetic demo data.
"""

from __future__ import annotations

import argparse
import math
import random
import signal
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lianxin_geo.assessment.rules import A_JOINT_CANDIDATE  # noqa: E402
from lianxin_geo.ingest.boundaries import demo_district  # noqa: E402
from lianxin_geo.pipeline import run_assessment  # noqa: E402
from lianxin_geo.workspace import load_workspace  # noqa: E402
from lianxin_geo.plan.joint import JointParams, plan_joint_units, validate_proposal  # noqa: E402
from lianxin_geo.plan.joint.rules import default_eligible, org_groups, radius_per_org  # noqa: E402
from lianxin_geo.core.policy import load_profile  # noqa: E402

SECTIONS = ["C", "F", "G", "I", "L", "M", "O"]
SECTION_P = [0.18, 0.22, 0.12, 0.12, 0.16, 0.12, 0.08]


# ----------------------------------------------------------------------------- data
def make_orgs(n: int, seed: int, district) -> pd.DataFrame:
    """``n`` eligible orgs (members 1-2), clustered inside the district outline."""
    import shapely

    rng = np.random.default_rng(seed)
    towns = pd.read_csv(ROOT / "data" / "boundaries" / "shunyi_towns.csv", dtype={"code": str})
    minx, miny, maxx, maxy = district.bounds
    n_clusters = max(4, n // 25)
    # cluster centres: half near town seats (urban cores), half anywhere inside the outline
    cx, cy = [], []
    while len(cx) < n_clusters:
        if rng.random() < 0.5:
            k = rng.integers(len(towns))
            x = towns.seat_lon.iat[k] + rng.normal(0, 0.02)
            y = towns.seat_lat.iat[k] + rng.normal(0, 0.015)
        else:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(district.outline, x, y):
            cx.append(x)
            cy.append(y)
    cx, cy = np.array(cx), np.array(cy)
    lon = np.empty(0)
    lat = np.empty(0)
    while lon.size < n:
        c = rng.integers(n_clusters, size=2 * n)
        x = cx[c] + rng.normal(0, 0.008, c.size)
        y = cy[c] + rng.normal(0, 0.006, c.size)
        ok = shapely.contains_xy(district.outline, x, y)
        lon = np.concatenate([lon, x[ok]])
        lat = np.concatenate([lat, y[ok]])
    lon, lat = lon[:n], lat[:n]
    # towns by nearest seat (equirectangular, fine for choosing)
    dx = (lon[:, None] - towns.seat_lon.to_numpy()[None, :]) * math.cos(math.radians(40.1))
    dy = lat[:, None] - towns.seat_lat.to_numpy()[None, :]
    town = towns.code.to_numpy()[np.argmin(dx * dx + dy * dy, axis=1)]
    # buildings: some orgs snap to a building point near their position
    building = np.full(n, None, dtype=object)
    in_b = rng.random(n) < 0.15
    n_b = max(1, n // 60)
    b_idx = rng.choice(n, size=n_b, replace=False)
    for i in np.flatnonzero(in_b):
        d = (lon[b_idx] - lon[i]) ** 2 + (lat[b_idx] - lat[i]) ** 2
        k = int(b_idx[np.argmin(d)])
        building[i] = f"楼宇{k}"
        lon[i] = lon[k] + rng.normal(0, 1e-5)
        lat[i] = lat[k] + rng.normal(0, 1e-5)
    df = pd.DataFrame({
        "id": [f"D{seed}-{i:05d}" for i in range(n)],
        "name": [f"演示单位{i}" for i in range(n)],
        "lon": lon, "lat": lat,
        "jurisdiction_code": town,
        "industry": rng.choice(SECTIONS, size=n, p=SECTION_P),
        "social_type": None, "kind": "非公企业",
        "members": pd.array(rng.choice([1, 2], size=n, p=[0.6, 0.4]), dtype="Int64"),
        "employees": pd.array(rng.integers(3, 120, size=n), dtype="Int64"),
        "party_status": "未建立", "joint_org_id": None,
        "building": building, "park": None,
    })
    return df


# ----------------------------------------------------------------------------- scoring
def score(units: list[dict], orgs: pd.DataFrame, district, profile) -> dict:
    """Placed, placed in valid units, violations and radii of a proposal (hub by the lead rule when absent)."""
    from pyproj import Geod

    viol = validate_proposal(units, orgs, district=district, profile=profile)
    bad = {v["unit_id"] for v in viol}
    pos = {k: i for i, k in enumerate(orgs["id"].tolist())}
    lon, lat = orgs["lon"].to_numpy(float), orgs["lat"].to_numpy(float)
    m = orgs["members"].to_numpy(float)
    e = orgs["employees"].astype(float).fillna(0).to_numpy()
    g = Geod(ellps="WGS84")
    radii, total = [], 0.0
    for u in units:
        idx = [pos[k] for k in u["org_ids"]]
        h = pos[u["hub_id"]] if u.get("hub_id") else min(idx, key=lambda i: (-m[i], -e[i], i))
        _, _, d = g.inv(np.full(len(idx), lon[h]), np.full(len(idx), lat[h]), lon[idx], lat[idx])
        d = np.atleast_1d(d)
        radii.append(float(d.max()))
        total += float(d.sum())
    return {
        "placed": sum(len(u["org_ids"]) for u in units),
        "valid_placed": sum(len(u["org_ids"]) for u in units if str(u["unit_id"]) not in bad),
        "units": len(units),
        "violations": len(viol),
        "mean_r": float(np.mean(radii)) if radii else 0.0,
        "max_r": float(np.max(radii)) if radii else 0.0,
        "total_d": total,
    }


def partitions(orgs: pd.DataFrame, profile) -> list[np.ndarray]:
    groups = org_groups(orgs, profile).to_numpy(dtype=object)
    key = pd.Series(orgs["jurisdiction_code"].astype(str).to_numpy() + "|" + groups.astype(str))
    return [np.asarray(ix) for ix in key.groupby(key).indices.values()]


def projected(orgs: pd.DataFrame) -> np.ndarray:
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    x, y = tr.transform(orgs["lon"].to_numpy(float), orgs["lat"].to_numpy(float))
    return np.column_stack([x, y])


# ----------------------------------------------------------------------------- baselines
def baseline_sklearn(orgs: pd.DataFrame, profile, how: str) -> list[dict]:
    from sklearn.cluster import AgglomerativeClustering, KMeans

    max_units = JointParams.from_profile(profile).max_units
    xy = projected(orgs)
    ids = orgs["id"].to_numpy()
    units = []
    for p in partitions(orgs, profile):
        k = math.ceil(p.size / max_units)
        if p.size <= k:
            lab = np.zeros(1, dtype=int)
        elif how == "kmeans":
            lab = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(xy[p])
        else:
            lab = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(xy[p])
        for c in np.unique(lab):
            units.append({"unit_id": f"{how}-{len(units)}", "org_ids": ids[p[lab == c]].tolist()})
    return units


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


MAXP_TIMEOUTS = [0]


def baseline_maxp(orgs: pd.DataFrame, profile, iters: tuple[int, int] = (99, 10),
                  per_partition_s: float = 20.0) -> list[dict]:
    """spopt Max-P per (town, group) partition; a partition still running after ``per_partition_s`` is left out."""
    import geopandas as gpd
    from libpysal.weights import KNN
    from spopt.region import MaxPHeuristic

    floor = JointParams.from_profile(profile).min_members
    xy = projected(orgs)
    ids = orgs["id"].to_numpy()
    m = orgs["members"].to_numpy(float)
    units = []
    for p in partitions(orgs, profile):
        if m[p].sum() < floor:
            continue
        if p.size < 3:
            units.append({"unit_id": f"maxp-{len(units)}", "org_ids": ids[p].tolist()})
            continue
        gdf = gpd.GeoDataFrame({"x": xy[p, 0], "y": xy[p, 1], "m": m[p]},
                               geometry=gpd.points_from_xy(xy[p, 0], xy[p, 1]), crs="EPSG:32650")
        w = KNN.from_dataframe(gdf, k=min(4, p.size - 1))
        model = MaxPHeuristic(gdf, w, ["x", "y"], "m", floor, top_n=2,
                              max_iterations_construction=iters[0], max_iterations_sa=iters[1])
        random.seed(0)
        np.random.seed(0)  # Max-P draws from the global generators
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, per_partition_s)
        try:
            model.solve()
        except _Timeout:
            MAXP_TIMEOUTS[0] += 1
            continue
        except Exception:  # noqa: BLE001 - Max-P fails on some disconnected inputs: leave them out
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        lab = np.asarray(model.labels_)
        for c in np.unique(lab):
            if c <= 0:
                continue
            units.append({"unit_id": f"maxp-{len(units)}", "org_ids": ids[p[lab == c]].tolist()})
    return units


def exact_mip(orgs: pd.DataFrame, district, profile, time_limit: float = 60.0) -> list[dict]:
    """Exact: most orgs placed, then least total member-to-hub distance (same town and industry group)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    p = JointParams.from_profile(profile)
    n = len(orgs)
    xy = projected(orgs)
    m = orgs["members"].to_numpy(float)
    e = orgs["employees"].astype(float).fillna(0).to_numpy()
    rank = np.empty(n, dtype=int)
    rank[np.lexsort((np.arange(n), -e, -m))] = np.arange(n)
    town = orgs["jurisdiction_code"].astype(str).to_numpy()
    grp = org_groups(orgs, profile).to_numpy(dtype=object)
    lim = radius_per_org(orgs, district, p) * 0.998
    elig = default_eligible(orgs, p)
    pairs = [(h, i, float(np.hypot(*(xy[h] - xy[i])))) for h in range(n) for i in range(n)
             if elig[h] and elig[i] and (h == i or (rank[h] < rank[i] and town[h] == town[i] and grp[h] == grp[i]
                                                    and np.hypot(*(xy[h] - xy[i])) <= lim[i]))]
    nv = len(pairs)
    big = sum(d for _, _, d in pairs) + 1.0
    c = np.array([-big + d for _, _, d in pairs])
    hubvar = {h: k for k, (h, i, _) in enumerate(pairs) if h == i}
    rows = []
    lo, hi = [], []
    for i in range(n):  # once
        r = np.zeros(nv)
        for k, (_, j, _) in enumerate(pairs):
            if j == i:
                r[k] = 1
        rows.append(r); lo.append(-np.inf); hi.append(1)
    for k, (h, i, _) in enumerate(pairs):  # x_hi <= y_h
        if h != i:
            r = np.zeros(nv); r[k] = 1; r[hubvar[h]] = -1
            rows.append(r); lo.append(-np.inf); hi.append(0)
    for h, kh in hubvar.items():
        ks = [k for k, (hh, _, _) in enumerate(pairs) if hh == h]
        cnt = np.zeros(nv); cnt[ks] = 1; cnt[kh] -= p.max_units
        rows.append(cnt); lo.append(-np.inf); hi.append(0)
        mem = np.zeros(nv)
        for k in ks:
            mem[k] = m[pairs[k][1]]
        fl = mem.copy(); fl[kh] -= p.min_members
        rows.append(fl); lo.append(0); hi.append(np.inf)
        ce = mem.copy(); ce[kh] -= p.max_members
        rows.append(ce); lo.append(-np.inf); hi.append(0)
    res = milp(c, constraints=LinearConstraint(np.array(rows), lo, hi), integrality=np.ones(nv),
               bounds=Bounds(0, 1), options={"time_limit": time_limit, "mip_rel_gap": 1e-12})
    x = np.round(res.x).astype(int)
    ids = orgs["id"].to_numpy()
    units = []
    for h, kh in hubvar.items():
        if x[kh]:
            mem = [i for k, (hh, i, _) in enumerate(pairs) if hh == h and x[k]]
            units.append({"unit_id": f"mip-{len(units)}", "org_ids": ids[mem].tolist(), "hub_id": ids[h]})
    return units


# ----------------------------------------------------------------------------- runner
def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


#: The last plan of ours (its stats are printed after each table).
LAST_PLAN: list = [None]


def ours_units(orgs, district, profile):
    plan = plan_joint_units(orgs, district=district, profile=profile)
    LAST_PLAN[0] = plan
    return plan.units[["unit_id", "org_ids", "hub_id", "form"]].to_dict("records")


def plan_figures(plan) -> None:
    """Placed share, units, mean orgs per unit, size distribution and forms of one plan of ours."""
    s = plan.stats
    dist = s["size_distribution"]
    print(f"ours: placed {s['placed']}/{s['eligible']} ({100 * s['placed_share']:.1f} %), units {s['units']}, "
          f"mean orgs/unit {s['mean_orgs_per_unit']:.2f}, units with committee (>= {s['committee_min_members']} "
          f"members) {s['units_with_committee']}")
    print("  orgs per unit:  " + ", ".join(f"{k}: {v}" for k, v in dist["orgs"].items()))
    print("  members per unit: " + ", ".join(f"{k}: {v}" for k, v in dist["members"].items()))
    print("  units by form: " + ", ".join(f"{k}: {v}" for k, v in s["units_by_form"].items()))


def table(rows: list[dict], title: str) -> None:
    print(f"\n## {title}")
    ours = rows[0]
    head = (f"{'method':<16}{'placed':>8}{'valid':>8}{'units':>7}{'viol':>6}{'mean_r':>9}{'max_r':>8}"
            f"{'seconds':>9}{'valid/ours':>11}{'mean_r/ours':>12}{'time/ours':>10}")
    print(head)
    print("-" * len(head))
    for r in rows:
        def ratio(a, b):
            return f"{a / b:.2f}" if b else "-"
        print(f"{r['method']:<16}{r['placed']:>8}{r['valid_placed']:>8}{r['units']:>7}{r['violations']:>6}"
              f"{r['mean_r']:>9.0f}{r['max_r']:>8.0f}{r['seconds']:>9.2f}"
              f"{ratio(r['valid_placed'], ours['valid_placed']):>11}{ratio(r['mean_r'], ours['mean_r']):>12}"
              f"{ratio(r['seconds'], ours['seconds']):>10}")


def compare(orgs: pd.DataFrame, district, profile, title: str, *, maxp: bool, maxp_iters, maxp_cap: float) -> None:
    """Ours, KMeans, agglomerative (up to 20,000) and Max-P (when ``maxp``) on one set of eligible orgs."""
    res = []
    u, t = timed(lambda: ours_units(orgs, district, profile))
    res.append({"method": "ours", **score(u, orgs, district, profile), "seconds": t})
    for how in ("kmeans", "agglomerative"):
        if how == "agglomerative" and len(orgs) > 20000:
            continue
        with threadpool_limits(1):  # one small fit per partition: threads only add overhead here
            u, t = timed(lambda: baseline_sklearn(orgs, profile, how))
        res.append({"method": how, **score(u, orgs, district, profile), "seconds": t})
    if maxp:
        u, t = timed(lambda: baseline_maxp(orgs, profile, maxp_iters, per_partition_s=maxp_cap))
        res.append({"method": f"MaxP {maxp_iters[0]}/{maxp_iters[1]}", **score(u, orgs, district, profile),
                    "seconds": t})
    table(res, title)
    plan_figures(LAST_PLAN[0])
    if MAXP_TIMEOUTS[0]:
        print(f"(Max-P: {MAXP_TIMEOUTS[0]} partitions stopped after {maxp_cap:.0f} s each and left out; "
              "their seconds are counted)")
        MAXP_TIMEOUTS[0] = 0


def compare_on_ledgers(args, maxp_iters, maxp_cap: float) -> None:
    """The comparison on the joint candidates (R6) of the user's ledgers, located, as ``plan joint`` takes them."""
    ws = load_workspace(orgs=args.orgs, centers=args.centers, buildings=args.buildings, parks=args.parks,
                        boundaries=args.boundaries, policy=args.policy)
    for note in ws.data_notes:
        print("数据说明：", note)
    acts = run_assessment(ws).actions
    cands = set(acts.loc[acts["action"] == A_JOINT_CANDIDATE, "org_id"].astype(str))
    orgs = ws.orgs[ws.orgs["id"].astype(str).isin(cands)].copy()
    orgs["lon"] = pd.to_numeric(orgs["lon"], errors="coerce")
    orgs["lat"] = pd.to_numeric(orgs["lat"], errors="coerce")
    located = orgs[np.isfinite(orgs["lon"]) & np.isfinite(orgs["lat"]) & orgs["jurisdiction_code"].notna()]
    print(f"joint units benchmark on {args.orgs or '（演示）'}: {len(ws.orgs)} orgs, {len(orgs)} joint candidates, "
          f"{len(located)} of them located (the baselines need coordinates); profile {ws.profile.name}")
    compare(located.reset_index(drop=True), ws.district, ws.profile, f"{len(located)} eligible orgs of the ledgers",
            maxp=len(located) <= (args.maxp_up_to if args.maxp_up_to is not None else 2000),
            maxp_iters=maxp_iters, maxp_cap=maxp_cap)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="200 and 2,000 orgs, 3 small MIP instances, Max-P only at 200 with few iterations")
    ap.add_argument("--sizes", type=int, nargs="*", default=None)
    ap.add_argument("--maxp-up-to", type=int, default=None, help="largest size to run spopt Max-P on (default 2000)")
    ap.add_argument("--maxp-iters", type=int, nargs=2, default=None, metavar=("CONSTRUCT", "SA"),
                    help="Max-P iterations (default: spopt's MaxPHeuristic defaults 99 10; --quick: 3 1)")
    for kind in ("orgs", "centers", "buildings", "parks", "boundaries"):
        ap.add_argument(f"--{kind}", default=None, help=f"{kind}: compare on the joint candidates of these ledgers")
    ap.add_argument("--policy", default=None, help="policy profile with the ledgers (name or TOML)")
    args = ap.parse_args(argv)
    maxp_cap = 2.0 if args.quick else 20.0
    maxp_iters = tuple(args.maxp_iters) if args.maxp_iters else ((3, 1) if args.quick else (99, 10))
    warnings.filterwarnings("ignore")
    if any(getattr(args, kind) for kind in ("orgs", "centers", "buildings", "parks", "boundaries")):
        compare_on_ledgers(args, maxp_iters, maxp_cap)
        return
    district = demo_district()
    profile = load_profile()
    sizes = args.sizes or ([200, 2000] if args.quick else [200, 2000, 20000])
    maxp_up_to = args.maxp_up_to if args.maxp_up_to is not None else (200 if args.quick else 2000)
    print("note: this benchmark uses its own seeded generator, not lianxin_geo.ingest.demo, "
          "so that the eligible count is exact")
    print("joint units benchmark (synthetic demo data on the real Shunyi outline; profile shunyi-2017)")

    # ---- small instances vs exact MIP (similar industries off on both sides: same model)
    small_profile = profile.with_values({"joint.allow_similar_industry": False}, note="基准：关闭相近行业")
    rows = []
    n_small = 3 if args.quick else 6
    for s in range(n_small):
        orgs = make_orgs(36 + s % 5, 100 + s, district)
        # squeeze into one town so there is something to optimise
        orgs["jurisdiction_code"] = "110113004"
        orgs["lon"] = 116.52954 + (orgs["lon"] - orgs["lon"].mean()) * 0.12
        orgs["lat"] = 40.11428 + (orgs["lat"] - orgs["lat"].mean()) * 0.12
        ours, t_o = timed(lambda: ours_units(orgs, district, small_profile))
        mip, t_m = timed(lambda: exact_mip(orgs, district, small_profile))
        a, b = score(ours, orgs, district, small_profile), score(mip, orgs, district, small_profile)
        rows.append((len(orgs), a, b, t_o, t_m))
    print("\n## small instances: ours (placed, then fewest units, then distance) vs an exact MIP of the older "
          "objective (placed, then total distance) of 同业联建 only; ours also uses 楼宇/园区/区域联建, so it may place more)")
    print(f"{'n':>4}{'placed ours':>12}{'placed MIP':>11}{'units ours':>11}{'units MIP':>10}{'dist ours':>11}"
          f"{'dist MIP':>10}{'mean_r ours':>12}{'mean_r MIP':>11}{'viol':>6}{'s ours':>8}{'s MIP':>8}")
    for n, a, b, t_o, t_m in rows:
        print(f"{n:>4}{a['placed']:>12}{b['placed']:>11}{a['units']:>11}{b['units']:>10}{a['total_d']:>11.0f}"
              f"{b['total_d']:>10.0f}{a['mean_r']:>12.0f}{b['mean_r']:>11.0f}{a['violations'] + b['violations']:>6}"
              f"{t_o:>8.2f}{t_m:>8.2f}")
    mr_o = np.mean([a["mean_r"] for _, a, _, _, _ in rows])
    mr_m = np.mean([b["mean_r"] for _, _, b, _, _ in rows])
    d_o = sum(a["total_d"] for _, a, _, _, _ in rows)
    d_m = sum(b["total_d"] for _, _, b, _, _ in rows)
    print(f"mean radius ours/MIP = {mr_o / mr_m:.3f}; total distance ours/MIP = {d_o / d_m:.3f}")

    # ---- large instances vs baselines (warm scikit-learn up first: its first fit pays one-off set-up)
    from sklearn.cluster import KMeans

    with threadpool_limits(1):
        KMeans(n_clusters=2, n_init=1, random_state=0).fit(np.arange(8.0).reshape(4, 2))
    for n in sizes:
        compare(make_orgs(n, n, district), district, profile, f"{n} eligible orgs", maxp=n <= maxp_up_to,
                maxp_iters=maxp_iters, maxp_cap=maxp_cap)


if __name__ == "__main__":
    main()
