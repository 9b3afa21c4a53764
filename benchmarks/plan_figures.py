"""Figures of a plan a planner would sign (issue 12): joint units and their sizes, actions, funding, instructors.

Runs the public API (``load_workspace`` → ``run_assessment`` → ``run_joint`` → ``run_routes``) on two
ledgers and prints one table each:

* ``demo``: the embedded Shunyi demo (synthetic, ``--orgs`` organizations);
* ``built``: a ledger built here from the demo generator at another seed, in which the existing joint
  party organizations are regrouped so that they break the rules the way real ledgers do (some over
  15 units, every one spanning towns and industries, some under 3 formal members), and loaded as a
  *user's* ledger (orgs + buildings + parks + centers files), so nothing falls back to the demo.

Usage::

    .venv/bin/python benchmarks/plan_figures.py [--orgs 5000] [--built-orgs 3000] [--json]

The script reads only public fields and tolerates older versions of them, so the same script gives the
"before" figures on an older commit (``PYTHONPATH=<old checkout> python benchmarks/plan_figures.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lianxin_geo import load_workspace
from lianxin_geo.ingest.demo import write_demo
from lianxin_geo.pipeline import run_assessment, run_joint, run_routes

HEADER_ROWS = 1  # the demo workbooks carry one title row above the header row


def build_ledger(out: Path, *, orgs: int, seed: int, n_joint: int = 40) -> dict[str, Path]:
    """Write a demo dataset at ``seed`` and regroup its existing joint orgs into ``n_joint`` rule-breaking ones."""
    write_demo(out, n_orgs=orgs, seed=seed)
    path = out / "orgs.xlsx"
    raw = pd.read_excel(path, header=None, dtype=object, engine="openpyxl")
    head = raw.iloc[HEADER_ROWS].tolist()
    body = raw.iloc[HEADER_ROWS + 1:].reset_index(drop=True)
    body.columns = head
    rng = np.random.default_rng(seed)
    members = pd.to_numeric(body["正式党员数"], errors="coerce").fillna(0).astype(int).to_numpy()
    small = np.flatnonzero((members < 3) & (body["党组织状态"].astype(str) != "单独建立").to_numpy())
    rng.shuffle(small)
    # sizes: 18 joint orgs of 16-20 units (over R7's 15), the rest 3-8; 7 of them of zero-member units only
    sizes = [int(rng.integers(16, 21)) for _ in range(18)] + [int(rng.integers(3, 9)) for _ in range(n_joint - 18)]
    zero = small[members[small] == 0]
    some = small[members[small] > 0]
    zi = si = 0
    jid = body["联合党组织编号"].astype(object).to_numpy().copy()
    status = body["党组织状态"].astype(object).to_numpy().copy()
    ptype = body["党组织类型"].astype(object).to_numpy().copy()
    # first, the old joint orgs dissolve: their members become unorganised
    old = status == "联合建立"
    status[old] = "未建立"
    jid[old] = None
    ptype[old] = None
    for k, size in enumerate(sizes):
        code = f"JT-{k + 1:03d}"
        if k >= n_joint - 7 and zi + 2 * size <= zero.size:  # under 3 formal members: mostly zero-member units
            pick = np.concatenate([zero[zi:zi + size - 1], some[si:si + 1]])
            zi += size - 1
            si += 1
        else:
            pick = some[si:si + size]
            si += size
        status[pick] = "联合建立"
        jid[pick] = code
        ptype[pick] = "党支部"
    body["党组织状态"], body["联合党组织编号"], body["党组织类型"] = status, jid, ptype
    title = raw.iloc[0, 0]
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame([[title] + [None] * (len(head) - 1)]).to_excel(xw, header=False, index=False)
        body.to_excel(xw, startrow=1, index=False)
    return {k: out / f"{k}.xlsx" for k in ("orgs", "buildings", "parks", "centers")}


def _sizes(units: pd.DataFrame, orgs: pd.DataFrame) -> dict[str, Any]:
    if units is None or not len(units):
        return {"units": 0}
    m = pd.to_numeric(orgs.drop_duplicates("id").set_index(orgs.drop_duplicates("id")["id"].astype(str))["members"],
                      errors="coerce").fillna(0)
    n = units["org_ids"].map(len)
    formal = units["org_ids"].map(lambda ids: int(sum(m.get(str(i), 0) for i in ids)))
    return {
        "units": int(len(units)),
        "orgs_in_units": int(n.sum()),
        "mean_orgs_per_unit": round(float(n.mean()), 2),
        "units_of_2": int((n == 2).sum()),
        "orgs_per_unit": dict(sorted(Counter(n.astype(int)).items())),
        "formal_members_per_unit": {"<7": int((formal < 7).sum()), "7-15": int(((formal >= 7) & (formal <= 15)).sum()),
                                    ">15": int((formal > 15).sum())},
        "forms": dict(Counter(units["form"])) if "form" in units.columns else "（无 form 字段）",
    }


def figures(ws, label: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    a = run_assessment(ws)
    j = run_joint(ws, assessment=a)
    r = run_routes(ws, assessment=a, joint=j)
    out: dict[str, Any] = {"ledger": label, "orgs": int(len(ws.orgs)), "seconds": round(time.perf_counter() - t0, 1)}
    st = dict(j.stats)
    out["joint"] = {"eligible": st.get("eligible"), "placed": st.get("placed"), "unplaced": st.get("unplaced"),
                    "placed_share": round(st["placed"] / st["eligible"], 3) if st.get("eligible") else None,
                    **_sizes(j.units, ws.orgs)}
    kept = j.kept_units
    out["joint"]["kept_units"] = int(len(kept))
    if "violations" in kept.columns:
        out["joint"]["kept_units_with_violations"] = int(kept["violations"].map(lambda v: len(v) > 0).sum())
    out["actions"] = {str(k): int(v) for k, v in a.actions["action"].value_counts().items()}
    f = a.funding
    out["funding_cny"] = {str(k): float(v) for k, v in f.groupby("item")["amount_cny"].sum().items() if v}
    out["funding_total_cny"] = float(f["amount_cny"].sum())
    rs = dict(r.stats)
    routes = r.routes
    out["instructors"] = {k: rs.get(k) for k in ("instructors_named", "instructors_new", "instructors", "needed",
                                                  "available", "gap") if k in rs}
    if "instructor_kind" in routes.columns:
        out["instructors"]["routes_by_kind"] = {str(k): int(v) for k, v in routes["instructor_kind"].value_counts().items()}
    if "instructor" in routes.columns:
        out["instructors"]["distinct_named"] = int(routes["instructor"].nunique())
    for col in ("duration_min", "minutes", "total_minutes"):
        if col in routes.columns:
            out["instructors"]["max_route_minutes"] = round(float(routes[col].max()), 1)
            break
    towns = r.towns
    for col in ("instructors_needed", "instructors_available", "instructors_gap"):
        if col in towns.columns:
            out["instructors"][col.replace("instructors_", "towns_sum_")] = int(towns[col].sum())
    if "minutes" in routes.columns:
        out["instructors"]["routes_over_300_min"] = int((routes["minutes"] > 300).sum())
    if "day" in routes.columns:
        out["instructors"]["route_days"] = int(len(routes))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orgs", type=int, default=5000)
    ap.add_argument("--built-orgs", type=int, default=3000)
    ap.add_argument("--built-seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = [figures(load_workspace(demo_orgs=args.orgs), f"demo {args.orgs}")]
    with tempfile.TemporaryDirectory(prefix="lianxin_built_") as tmp:
        files = build_ledger(Path(tmp), orgs=args.built_orgs, seed=args.built_seed)
        ws = load_workspace(**{k: str(v) for k, v in files.items()})
        rows.append(figures(ws, f"built {args.built_orgs} (seed {args.built_seed})"))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
    else:
        for row in rows:
            print(f"== {row['ledger']}: {row['orgs']} orgs, {row['seconds']} s")
            for key in ("joint", "actions", "funding_cny", "funding_total_cny", "instructors"):
                print(f"  {key}: {json.dumps(row[key], ensure_ascii=False, default=str)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
