"""Export speed on the demo (issue 16's "fast on one machine" levers for the exports): seconds per format.

Usage::

    .venv/bin/python benchmarks/export_speed.py [--orgs 5000] [--formats xlsx,pptx,png,html,gpkg] [--repeat 1]

Plans are computed once (time limit ``--time-limit``) and every format is then written on its own into a fresh
folder, so each figure is that exporter alone. Run the same script against an older checkout
(``PYTHONPATH=<checkout>``) for the before/after ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lianxin_geo import load_workspace
from lianxin_geo.pipeline import run_plans
from lianxin_geo.present import export as ex


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orgs", type=int, default=5000)
    ap.add_argument("--formats", default="xlsx,pptx,png,html,gpkg")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=20.0)
    args = ap.parse_args(argv)
    ws = load_workspace(demo_orgs=args.orgs)
    t0 = time.perf_counter()
    a, p = run_plans(ws, time_limit_s=args.time_limit)
    print(f"plans: {time.perf_counter() - t0:.1f} s ({args.orgs} orgs)")
    with tempfile.TemporaryDirectory(prefix="lianxin_bench_export_") as tmp:
        for fmt in args.formats.split(","):
            runs = []
            for k in range(args.repeat):
                t = time.perf_counter()
                ex.write_all(ws, Path(tmp) / f"{fmt}{k}", formats=(fmt,), assessment=a, plans=p)
                runs.append(time.perf_counter() - t)
            print(f"{fmt:5s} {statistics.median(runs):6.2f} s (median of {len(runs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
