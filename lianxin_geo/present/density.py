"""A density layer for maps with many organizations: hexagons (about 0.7 km² each) coloured by how many
organizations they hold (blues, apart from the coverage map's red-to-green classes), with the count, the uncovered count and the organization coverage rate on click.

Above :data:`DENSITY_THRESHOLD` points on screen a map reads better as density than as thousands of dots, so
:func:`lianxin_geo.present.maps.build_map` then opens with this layer on and the dots listed (switched off) in
the layer control. The classes are fixed (:data:`DENSITY_CLASSES`), so two maps compare.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from lianxin_geo.plan.coverage import HexGrid
from lianxin_geo.present.style import esc

__all__ = ["DENSITY_THRESHOLD", "DENSITY_CLASSES", "DENSITY_LAYER_NAME", "density_color", "density_cells",
           "density_layer"]

#: Points on screen above which the map opens with the density layer instead of the dots.
DENSITY_THRESHOLD = 3000
#: ``(lowest count, colour, label)`` of each class, fewest first.
DENSITY_CLASSES: tuple[tuple[int, str, str], ...] = (
    (1, "#c6dbef", "1–4 家"),
    (5, "#9ecae1", "5–9 家"),
    (10, "#6baed6", "10–19 家"),
    (20, "#3182bd", "20–49 家"),
    (50, "#08519c", "50 家以上"),
)
DENSITY_LAYER_NAME = "两新组织密度（六边形）"
_COVERED = ("单独建立", "联合建立")


def density_color(count: int) -> str:
    """The class colour of a cell holding ``count`` organizations."""
    color = DENSITY_CLASSES[0][1]
    for low, c, _ in DENSITY_CLASSES:
        if count >= low:
            color = c
    return color


def density_cells(orgs: pd.DataFrame, status: pd.Series, *, origin: tuple[float, float],
                  resolution: int = 8) -> pd.DataFrame:
    """One row per occupied hexagon: ``q``, ``r``, ``orgs``, ``uncovered``, ``covered_rate``."""
    grid = HexGrid(resolution=resolution, origin=origin)
    lon = pd.to_numeric(orgs.get("lon"), errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(orgs.get("lat"), errors="coerce").to_numpy(dtype=float)
    q, r, ok = grid.cells(lon, lat)
    st = status.reindex(orgs.index).astype(object).to_numpy()
    frame = pd.DataFrame({"q": q[ok], "r": r[ok], "uncovered": st[ok] == "未覆盖",
                          "covered": np.isin(st[ok], _COVERED)})
    if frame.empty:
        return pd.DataFrame(columns=["q", "r", "orgs", "uncovered", "covered_rate"])
    g = frame.groupby(["q", "r"], sort=True)
    out = g.agg(orgs=("uncovered", "size"), uncovered=("uncovered", "sum"), covered=("covered", "sum")).reset_index()
    out["covered_rate"] = out["covered"] / out["orgs"]
    return out.drop(columns="covered")


def density_layer(orgs: pd.DataFrame, status: pd.Series, *, origin: tuple[float, float], resolution: int = 8,
                  shift: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
                  show: bool = True) -> Any:
    """The density hexagons as one switchable GeoJSON layer (``shift`` moves corners to the base map's datum)."""
    import folium

    grid = HexGrid(resolution=resolution, origin=origin)
    cells = density_cells(orgs, status, origin=origin, resolution=resolution)
    feats = []
    for row in cells.itertuples(index=False):
        ring = grid.boundary(int(row.q), int(row.r))
        xs, ys = np.array([p[0] for p in ring]), np.array([p[1] for p in ring])
        if shift is not None:
            xs, ys = shift(xs, ys)
        coords = [[round(float(x), 6), round(float(y), 6)] for x, y in zip(xs, ys)]
        coords.append(coords[0])
        n = int(row.orgs)
        feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [coords]},
                      "properties": {"orgs": f"{n} 家", "uncovered": f"{int(row.uncovered)} 家",
                                     "rate": f"{float(row.covered_rate):.1%}", "_fill": density_color(n)}})
    group = folium.FeatureGroup(name=DENSITY_LAYER_NAME, show=show, overlay=True, control=True)
    if feats:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats}, name=DENSITY_LAYER_NAME,
            style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#08306b", "weight": 0.3,
                                      "fillOpacity": 0.8},
            tooltip=folium.GeoJsonTooltip(fields=["orgs", "uncovered", "rate"],
                                          aliases=[esc("两新组织"), esc("其中未覆盖"), esc("组织覆盖率")]),
        ).add_to(group)
    return group
