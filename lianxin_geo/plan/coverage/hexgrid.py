"""An equal-area hexagonal grid for aggregating uncovered demand (gaps).

Points are projected with a Lambert azimuthal equal-area projection centred on a
fixed origin (for a district: its outline centroid rounded to 0.1°, so cell ids
are stable from run to run), then binned into pointy-top regular hexagons.
Every cell has the same area on the ground (up to the projection's tiny scale
error over a district), so sums per cell compare fairly.

Cell areas follow H3's average cell area per resolution, so a planner who
knows H3 gets cells of a familiar size (resolution 8 ≈ 0.74 km², edge ≈ 533 m;
7 ≈ 5.2 km², edge ≈ 1.4 km) without the ``h3`` dependency.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Transformer

__all__ = ["HEX_AREA_KM2", "HEX_EDGE_M", "hex_edge_m", "HexGrid"]

#: Average hexagon area in km² by H3 resolution (H3 documentation, "Tables of cell statistics").
HEX_AREA_KM2: dict[int, float] = {
    4: 1_770.3,
    5: 252.90,
    6: 36.129,
    7: 5.1613,
    8: 0.73732,
    9: 0.10533,
    10: 0.015048,
    11: 0.0021496,
}
_SQRT3 = float(np.sqrt(3.0))
#: Edge length (metres) of a regular hexagon with the H3 average area of each resolution.
HEX_EDGE_M: dict[int, float] = {res: float(np.sqrt(a * 1e6 / (1.5 * _SQRT3))) for res, a in HEX_AREA_KM2.items()}


def hex_edge_m(resolution: int) -> float:
    """Edge length (metres) of the hexagons of an H3-like ``resolution`` (4–11)."""
    try:
        return HEX_EDGE_M[int(resolution)]
    except KeyError:
        raise ValueError(
            f"hex_resolution 须在 {min(HEX_EDGE_M)}–{max(HEX_EDGE_M)} 之间，收到 {resolution} "
            "(hex resolution out of range)"
        ) from None


@lru_cache(maxsize=16)
def _transformers(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    proj = f"+proj=laea +lat_0={lat0} +lon_0={lon0} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    fwd = Transformer.from_crs("EPSG:4326", proj, always_xy=True)
    inv = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)
    return fwd, inv


class HexGrid:
    """A pointy-top hexagon grid of one resolution on an equal-area plane.

    Parameters
    ----------
    resolution
        H3-like resolution (cell area from :data:`HEX_AREA_KM2`).
    origin
        (lon, lat) of the projection centre; keep it fixed for stable cell ids.
    """

    def __init__(self, *, resolution: int = 8, origin: tuple[float, float]) -> None:
        self.resolution = int(resolution)
        self.edge_m = hex_edge_m(resolution)
        self.origin = (round(float(origin[0]), 1), round(float(origin[1]), 1))
        self._fwd, self._inv = _transformers(*self.origin)

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell in square metres."""
        return 1.5 * _SQRT3 * self.edge_m**2

    def cells(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Axial cell coordinates (q, r) of points and a mask of points with finite coordinates."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        q = np.zeros(lon.shape, dtype=np.int64)
        r = np.zeros(lon.shape, dtype=np.int64)
        if ok.any():
            x, y = self._fwd.transform(lon[ok], lat[ok])
            fq = (_SQRT3 / 3.0 * x - y / 3.0) / self.edge_m
            fr = (2.0 / 3.0 * y) / self.edge_m
            q[ok], r[ok] = _cube_round(fq, fr)
        return q, r, ok

    def centers(self, q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lon, lat) of cell centres."""
        q = np.asarray(q, dtype=float)
        r = np.asarray(r, dtype=float)
        x = self.edge_m * _SQRT3 * (q + r / 2.0)
        y = self.edge_m * 1.5 * r
        lon, lat = self._inv.transform(x, y)
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    def boundary(self, q: int, r: int) -> list[tuple[float, float]]:
        """The six corners (lon, lat) of one cell, counter-clockwise, not closed."""
        cx = self.edge_m * _SQRT3 * (q + r / 2.0)
        cy = self.edge_m * 1.5 * r
        ang = np.deg2rad(30.0 + 60.0 * np.arange(6))
        lon, lat = self._inv.transform(cx + self.edge_m * np.cos(ang), cy + self.edge_m * np.sin(ang))
        return [(float(a), float(b)) for a, b in zip(lon, lat)]

    def cell_id(self, q: int, r: int) -> str:
        """Stable text id ``HX{resolution}:{origin lon}:{origin lat}:{q}:{r}``."""
        return f"HX{self.resolution}:{self.origin[0]:.1f}:{self.origin[1]:.1f}:{int(q)}:{int(r)}"


def _cube_round(fq: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fs = -fq - fr
    rq, rr, rs = np.round(fq), np.round(fr), np.round(fs)
    dq, dr, ds = np.abs(rq - fq), np.abs(rr - fr), np.abs(rs - fs)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    rq = np.where(fix_q, -rr - rs, rq)
    rr = np.where(fix_r, -rq - rs, rr)
    return rq.astype(np.int64), rr.astype(np.int64)
