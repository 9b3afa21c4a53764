"""Regenerate tiny_grid.graphml: a 4×3 two-way street grid near Shunyi (0.01° spacing, lengths in metres).

Run: .venv/bin/python tests/data/routing/make_tiny_grid.py
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import osmnx as ox

from lianxin_geo.core.distance import haversine_m


def build() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs="epsg:4326")
    nx_, ny, step = 4, 3, 0.01
    for i in range(nx_):
        for j in range(ny):
            g.add_node(i * ny + j, x=116.60 + i * step, y=40.10 + j * step)
    for i in range(nx_):
        for j in range(ny):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < nx_ and j + dj < ny:
                    u, v = i * ny + j, (i + di) * ny + j + dj
                    length = round(float(haversine_m(g.nodes[u]["x"], g.nodes[u]["y"],
                                                     g.nodes[v]["x"], g.nodes[v]["y"])), 3)
                    g.add_edge(u, v, length=length)
                    g.add_edge(v, u, length=length)
    return g


if __name__ == "__main__":
    ox.save_graphml(build(), Path(__file__).with_name("tiny_grid.graphml"))
