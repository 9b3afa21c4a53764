"""Benchmark: offline geocoding and locating 5,000 / 50,000 organizations without coordinates.

Run ``.venv/bin/python benchmarks/locate.py [--quick]``. Addresses are synthetic
(seeded): real Shunyi community/village and town names, synthetic building and
park names, street numbers, a share of typos (fuzzy path) and of unmatchable
text; half of the rows carry a stated 所属镇街. Prints wall and CPU seconds (the CPU
figure is the honest one on a shared machine), rows per CPU second and the
precision mix.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from lianxin_geo.ingest.boundaries import demo_district
from lianxin_geo.location.locator import locate


def make_orgs(n: int, *, seed: int = 7, unique: bool = True):
    rng = np.random.default_rng(seed)
    d = demo_district()
    comm = d.communities
    towns = d.jurisdictions["code"].astype(str).tolist()
    tnames = d.jurisdictions["mca_name"].astype(str).tolist()
    nb = 400
    b_town = rng.integers(0, len(towns), nb)
    buildings = pd.DataFrame({
        "id": [f"B{i:04d}" for i in range(nb)],
        "name": [f"顺鑫{i}号科技大厦" if i % 2 else f"临空{i}号商务楼" for i in range(nb)],
        "lon": rng.uniform(116.5, 116.9, nb), "lat": rng.uniform(40.05, 40.22, nb),
        "town_code": [towns[k] for k in b_town],
    })
    parks = pd.DataFrame({"id": ["P1", "P2"], "name": ["天竺综合保税区", "临空经济核心区"],
                          "lon": [116.59, 116.56], "lat": [40.06, 40.08], "town_code": [towns[4], towns[10]]})
    kind = rng.choice(5, n, p=[0.3, 0.35, 0.15, 0.1, 0.1])
    addr = []
    for i in range(n):
        k = kind[i]
        t = int(rng.integers(len(towns)))
        no = f"{int(rng.integers(1, 300))}号" if unique else ""
        if k == 0:
            j = int(rng.integers(nb))
            addr.append(f"北京市顺义区{tnames[b_town[j]]}{buildings['name'][j]}{int(rng.integers(1, 20))}层{no}")
        elif k == 1:
            c = comm.iloc[int(rng.integers(len(comm)))]
            addr.append(f"北京市顺义区{c['name'].replace('村委会', '村').replace('社区居委会', '社区')}{no}")
        elif k == 2:
            addr.append(f"顺义区{tnames[t]}府前街{no}")
        elif k == 3:  # typo in a building name: fuzzy path
            j = int(rng.integers(nb))
            addr.append(f"顺义区{buildings['name'][j].replace('大厦', '大夏').replace('商务楼', '商物楼')}{no}")
        else:
            addr.append(f"某某路{no}")
    orgs = pd.DataFrame({
        "row": np.arange(n) + 2, "id": [f"O{i}" for i in range(n)], "address": addr,
        "town_code": [towns[int(x)] if rng.random() < 0.5 else None for x in rng.integers(0, len(towns), n)],
        "lon": np.nan, "lat": np.nan,
    })
    return d, orgs, buildings, parks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    sizes = [5000] if args.quick else [5000, 50000]
    print(f"{'orgs':>7} {'unique addr':>11} {'wall s':>8} {'cpu s':>7} {'rows/cpu-s':>10}  precision mix")
    for n in sizes:
        for unique in (True, False):
            d, orgs, b, p = make_orgs(n, unique=unique)
            t, c = time.perf_counter(), time.process_time()
            res = locate(orgs, district=d, buildings=b, parks=p)
            dt, dc = time.perf_counter() - t, time.process_time() - c
            mix = ", ".join(f"{k}={v}" for k, v in res.counts().items() if v)
            print(f"{n:>7} {orgs['address'].nunique():>11} {dt:>8.2f} {dc:>7.2f} {n / dc:>10.0f}  {mix}")


if __name__ == "__main__":
    main()
