"""Benchmark: time the seeded synthetic demo generator (lianxin_geo.ingest.demo.generate_demo).

Usage::

    .venv/bin/python benchmarks/demo_generator.py            # 5,000 / 100,000 / 1,000,000 orgs
    .venv/bin/python benchmarks/demo_generator.py --quick    # skips 1,000,000

Prints seconds, rows per second and the ratio to the smallest size (the brief's
budget: 1,000,000 orgs in under a minute). Also times writing the 5,000-org
demo to disk (xlsx + geojson) once.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lianxin_geo.ingest.boundaries import demo_district  # noqa: E402
from lianxin_geo.ingest.demo import generate_demo, write_demo  # noqa: E402

BUDGET_1M_S = 60.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 1,000,000-org run")
    args = ap.parse_args()
    sizes = [5_000, 100_000] if args.quick else [5_000, 100_000, 1_000_000]
    district = demo_district()
    generate_demo(100, district=district)  # warm caches (district, profile)
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        d = generate_demo(n, district=district)
        dt = time.perf_counter() - t0
        rows.append((n, dt, n / dt, len(d.buildings)))
    base = rows[0][1] / rows[0][0]
    print(f"{'orgs':>10} {'seconds':>9} {'rows/s':>11} {'s/row vs 5k':>12} {'buildings':>10}")
    for n, dt, rps, nb in rows:
        print(f"{n:>10,} {dt:>9.2f} {rps:>11,.0f} {dt / n / base:>12.2f} {nb:>10}")
    if not args.quick:
        dt_1m = rows[-1][1]
        verdict = "OK" if dt_1m < BUDGET_1M_S else "OVER BUDGET"
        print(f"1,000,000 orgs: {dt_1m:.1f} s vs budget {BUDGET_1M_S:.0f} s -> {verdict}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_demo(tmp, n_orgs=5_000, district=district)
        print(f"write_demo(5,000 orgs, xlsx + geojson): {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
