"""The parallel engine (issue 16): its overheads, and the per-town stages with ``sync`` vs a 2-worker LocalCluster.

Usage::

    .venv/bin/python benchmarks/engine.py                  # the 5,000-org demo, 2 workers
    .venv/bin/python benchmarks/engine.py --orgs 2000 --workers 2 --repeat 3

Prints, with the machine's load average (every figure moves with it):

* ``cluster start``: a cold LocalCluster of N worker processes (spawned, importing the package), until the
  first task can run: the saving a job must promise before ``local`` starts workers
  (:data:`lianxin_geo.core.engine.LOCAL_MIN_COST`);
* ``task overhead``: seconds per trivial task on the warm cluster (200 tasks), and the time to broadcast the
  5,000-org workspace once: the saving a job must promise on a running cluster
  (:data:`~lianxin_geo.core.engine.LOCAL_MIN_COST_WARM`);
* per stage, ``sync`` vs ``local`` (the warm cluster, start-up excluded, printed above): ``joint`` (one task per
  town), ``routes`` (one task per town, with the joint units), ``exports`` (the jobs of
  :data:`lianxin_geo.present.export.EXPORT_JOBS`: maps+PDF+deck, workbook, HTML, GIS layers), with the speed-up.

Results are checked equal between the two schedulers (the joint units and routes as JSON without timings).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from lianxin_geo.core.jsonable import canonical_json  # noqa: E402
from lianxin_geo.core.engine import Engine  # noqa: E402
from lianxin_geo.pipeline import run_assessment, run_joint, run_routes  # noqa: E402
from lianxin_geo.present.export import write_all  # noqa: E402
from lianxin_geo.workspace import load_workspace  # noqa: E402



def _best(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _load(folder: Path):
    return load_workspace(orgs=folder / "orgs.xlsx", buildings=folder / "buildings.xlsx", parks=folder / "parks.xlsx",
                          centers=folder / "centers.xlsx", boundaries=folder / "boundaries.geojson")


def _noop(item: int) -> int:
    return item


def _uses(item: int, *, ws) -> int:
    return item + len(ws.orgs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orgs", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="keep the best of N for each stage")
    args = ap.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="lianxin-engine-bench-"))
    subprocess.run([sys.executable, "-m", "lianxin_geo", "demo", "--out", str(folder), "--orgs", str(args.orgs),
                    "--json"], check=True, capture_output=True, cwd=HERE)
    ws = _load(folder)
    a = run_assessment(ws)
    sync = Engine("sync")
    local = Engine("local", workers=args.workers)
    rows: list[tuple[str, float, float | None, str]] = []
    try:
        t = time.perf_counter()
        local.map(_noop, [0, 1], keys=["a", "b"], cost=[1e6, 1e6])  # forces the cluster up
        start = time.perf_counter() - t
        n = 200
        per_task, _ = _best(lambda: local.map(_noop, list(range(n)), keys=[str(i) for i in range(n)],
                                              cost=[1e6] * n), args.repeat)
        bcast, _ = _best(lambda: local.map(_uses, [0, 1], keys=["a", "b"], cost=[1e6, 1e6], ws=ws), args.repeat)
        rows.append(("cluster start (cold)", start, None, f"{args.workers} workers"))
        rows.append(("task overhead", per_task / n, None, f"per task, {n} tasks"))
        rows.append(("broadcast workspace", bcast, None, f"{len(ws.orgs)} orgs, 2 tasks"))

        ts, js = _best(lambda: run_joint(ws, assessment=a, time_limit_s=48, engine=sync), args.repeat)
        tl, jl = _best(lambda: run_joint(ws, assessment=a, time_limit_s=48, engine=local), args.repeat)
        same = canonical_json(js.to_json()) == canonical_json(jl.to_json())
        rows.append(("joint (per town)", ts, tl, "same" if same else "DIFFERENT"))

        ts, rs = _best(lambda: run_routes(ws, assessment=a, joint=js, time_limit_s=48, engine=sync), args.repeat)
        tl, rl = _best(lambda: run_routes(ws, assessment=a, joint=js, time_limit_s=48, engine=local), args.repeat)
        same = canonical_json(rs.to_json()) == canonical_json(rl.to_json())
        rows.append(("routes (per town)", ts, tl, "same" if same else "DIFFERENT"))

        plans = {"joint": js, "routes": rs}
        out = Path(tempfile.mkdtemp(prefix="lianxin-engine-out-"))
        ts, _ = _best(lambda: write_all(ws, out / "s", assessment=a, plans=plans, engine=sync), args.repeat)
        tl, _ = _best(lambda: write_all(ws, out / "l", assessment=a, plans=plans, engine=local), args.repeat)
        rows.append(("exports (4 jobs)", ts, tl, "html png xlsx pptx gpkg"))
    finally:
        local.close()
    print(f"orgs {len(ws.orgs)}, workers {args.workers}, cores {os.cpu_count()}, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'stage':24s} {'sync s':>8s} {'local s':>8s} {'speed-up':>8s}  note")
    for name, s, loc, note in rows:
        if loc is None:
            print(f"{name:24s} {s:8.3f} {'':>8s} {'':>8s}  {note}")
        else:
            print(f"{name:24s} {s:8.2f} {loc:8.2f} {s / loc:7.2f}×  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
