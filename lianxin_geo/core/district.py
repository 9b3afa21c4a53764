"""A district: its jurisdictions (towns/streets), outline and gazetteer of communities.

:class:`District` is the one object every step that needs "where" receives: the
ledger validator (known towns, coordinates inside the district), the locator
(point in polygon, gazetteer), the planners and the maps.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import shapely

__all__ = ["District", "normalize_text", "town_short_name"]

_TOWN_SUFFIXES = ("街道办事处", "地区办事处", "办事处", "街道", "地区", "镇", "乡")


def normalize_text(value: object) -> str:
    """NFKC-normalise (full-width to half-width), strip and fold inner white space."""
    if value is None:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text)


def town_short_name(name: str) -> str:
    """Strip one administrative suffix (街道/地区/镇/乡/办事处) when at least two characters remain."""
    text = normalize_text(name)
    for suffix in _TOWN_SUFFIXES:
        if text.endswith(suffix) and len(text) - len(suffix) >= 2:
            return text[: -len(suffix)]
    return text


@dataclass
class District:
    """A district with its jurisdictions.

    Parameters
    ----------
    code, name
        The district's own code and name (``110113``, ``顺义区``).
    jurisdictions
        GeoDataFrame in EPSG:4326 with columns ``code`` (9-digit), ``name``,
        ``mca_name``, ``kind`` (街道/镇/地区/乡), ``approximate`` (bool) and
        ``geometry`` (polygons tiling the district).
    outline
        The district outline (a shapely (Multi)Polygon in WGS-84).
    communities
        Gazetteer of communities/villages: ``code``, ``name``, ``town_code``,
        ``lon``, ``lat`` (coordinates may be missing).
    approximate
        True when the jurisdiction polygons are derived, not official.
    source
        A sentence naming where the boundaries come from.
    districts
        The level above the towns when this is a whole city (``None`` for one
        district): a GeoDataFrame in EPSG:4326 with ``code`` (6-digit), ``name``
        and ``geometry``; ``jurisdictions`` then carries ``district_code`` (the
        town's district). See :func:`lianxin_geo.ingest.city.load_city`.
    """

    code: str
    name: str
    jurisdictions: "object"  # geopandas.GeoDataFrame (kept untyped so importing stays light)
    outline: shapely.Geometry
    communities: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["code", "name", "town_code", "lon", "lat"]))
    approximate: bool = False
    source: str = ""
    districts: "object | None" = None  # geopandas.GeoDataFrame of the city level (city → district → town)

    # ------------------------------------------------------------ names
    @cached_property
    def _town_lookup(self) -> dict[str, str]:
        lookup: dict[str, str] = {}
        for row in self.jurisdictions.itertuples(index=False):
            code = str(row.code)
            names = {str(row.name), str(getattr(row, "mca_name", "") or "")}
            for n in list(names):
                if n:
                    names.add(town_short_name(n))
            names.add(code)
            for n in names:
                key = normalize_text(n)
                if key:
                    lookup.setdefault(key, code)
        return lookup

    def resolve_town(self, text: object) -> str | None:
        """Return the 9-digit code of a town/street given by name, civil-affairs name, short name or code."""
        key = normalize_text(text)
        if not key:
            return None
        if key in self._town_lookup:
            return self._town_lookup[key]
        short = town_short_name(key)
        return self._town_lookup.get(short)

    @cached_property
    def town_names(self) -> dict[str, str]:
        """Map code -> statistics name."""
        return dict(zip(self.jurisdictions["code"].astype(str), self.jurisdictions["name"].astype(str)))

    # ------------------------------------------------------------ geometry
    @cached_property
    def _prepared_outline(self) -> shapely.Geometry:
        geom = self.outline
        shapely.prepare(geom)
        return geom

    def contains(self, lon: np.ndarray, lat: np.ndarray, *, tolerance_m: float = 50.0) -> np.ndarray:
        """Boolean mask of points inside the outline (or within ``tolerance_m`` of it)."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        out = np.zeros(lon.shape, dtype=bool)
        if ok.any():
            inside = shapely.contains_xy(self._prepared_outline, lon[ok], lat[ok])
            if tolerance_m > 0 and not inside.all():
                idx = np.flatnonzero(~inside)
                pts = shapely.points(lon[ok][idx], lat[ok][idx])
                tol_deg = tolerance_m / 111_000.0
                near = shapely.dwithin(self._prepared_outline, pts, tol_deg)
                inside[idx[near]] = True
            out[ok] = inside
        return out

    @cached_property
    def _tree(self) -> shapely.STRtree:
        return shapely.STRtree(np.asarray(self.jurisdictions.geometry.values))

    def assign(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Return the jurisdiction code of every point (``None`` outside all jurisdictions).

        A point on a shared edge goes to the first jurisdiction in table order, so
        the answer is deterministic.
        """
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        codes = np.asarray(self.jurisdictions["code"].astype(str).values, dtype=object)
        out = np.full(lon.shape, None, dtype=object)
        ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
        if ok.size == 0:
            return out
        pts = shapely.points(lon[ok], lat[ok])
        pt_idx, poly_idx = self._tree.query(pts, predicate="intersects")
        if pt_idx.size:
            order = np.lexsort((poly_idx, pt_idx))
            pt_idx, poly_idx = pt_idx[order], poly_idx[order]
            first = np.ones(pt_idx.size, dtype=bool)
            first[1:] = pt_idx[1:] != pt_idx[:-1]
            out[ok[pt_idx[first]]] = codes[poly_idx[first]]
        return out

    # ------------------------------------------------------------ city level (city → district → town)
    @property
    def is_city(self) -> bool:
        """True when this object is a whole city with a district level above the towns."""
        return self.districts is not None and len(self.districts) > 0

    @cached_property
    def district_names(self) -> dict[str, str]:
        """Map district code -> name (empty for a single district)."""
        if not self.is_city:
            return {}
        d = self.districts
        return dict(zip(d["code"].astype(str), d["name"].astype(str)))

    @cached_property
    def _town_district(self) -> dict[str, str]:
        jur = self.jurisdictions
        if "district_code" in jur:
            return dict(zip(jur["code"].astype(str), jur["district_code"].astype(str)))
        return {str(c): self.code for c in jur["code"]}

    def district_of(self, town_codes: object) -> np.ndarray:
        """The district code of every town code (``None`` for unknown towns; ``self.code`` for one district)."""
        lut = self._town_district
        values = np.asarray(town_codes, dtype=object).ravel()
        return np.array([lut.get(str(v)) if v is not None else None for v in values], dtype=object)

    def resolve_district(self, text: object) -> str | None:
        """The code of a district of this city given by code, name or short name (区 dropped)."""
        key = normalize_text(text)
        if not key or not self.is_city:
            return None
        for code, name in self.district_names.items():
            if key in (code, normalize_text(name)) or (len(name) > 2 and key == name[:-1]):
                return code
        return None

    def subdistrict(self, code: str) -> "District":
        """One district of a city as its own :class:`District` (its towns, outline and communities)."""
        if not self.is_city:
            raise KeyError(code)
        d = self.districts
        rows = d[d["code"].astype(str) == str(code)]
        if not len(rows):
            raise KeyError(code)
        jur = self.jurisdictions
        towns = jur[jur["district_code"].astype(str) == str(code)].reset_index(drop=True)
        comm = self.communities
        if len(comm):
            comm = comm[comm["town_code"].astype(str).isin(set(towns["code"].astype(str)))].reset_index(drop=True)
        return District(code=str(code), name=str(rows["name"].iloc[0]), jurisdictions=towns,
                        outline=rows.geometry.iloc[0], communities=comm,
                        approximate=bool(towns["approximate"].any()) if "approximate" in towns else self.approximate,
                        source=self.source)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the outline."""
        return tuple(shapely.bounds(self.outline).tolist())  # type: ignore[return-value]
