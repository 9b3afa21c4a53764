"""Place every organization on the map and on its town/street.

:func:`locate` takes the accepted organizations of a ledger (coordinates
already converted to WGS-84 by :mod:`lianxin_geo.ingest.ledger`) and

1. keeps given coordinates (precision ``coordinates``);
2. geocodes the others offline (:mod:`lianxin_geo.location.geocode`: 所在楼宇, 所在园区,
   address, then the stated 所属镇街), and, only if the user passes an online
   geocoder created with ``allow_network=True``, asks it about the rows still
   at town level or unlocated;
3. assigns each located point to a town/street by point in polygon
   (:meth:`District.assign`), flags a disagreement with the stated 所属镇街 as
   ``mismatch`` with a note naming both, and flags points outside the district
   (precision kept, no jurisdiction, note ``坐标位于区界外``).

Every input row comes out exactly once: ``located + unlocated == rows``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.location.gazetteer import build_gazetteer, clean_text
from lianxin_geo.core.district import District
from lianxin_geo.location.geocode import FUZZY_THRESHOLD, GeocodeMatch, OnlineGeocoder, geocode_frame
from lianxin_geo.core.model import PRECISIONS

__all__ = ["LocateResult", "locate", "OUTSIDE_NOTE", "LOCATE_COLUMNS"]

#: Note of a point outside the district.
OUTSIDE_NOTE = "坐标位于区界外"

#: Columns :func:`locate` adds (or overwrites) on the organizations frame.
LOCATE_COLUMNS: tuple[str, ...] = (
    "lon", "lat", "precision", "matched_name", "jurisdiction_code", "jurisdiction_name", "mismatch", "locate_note",
)

_RECORD_KEYS = ("row", "id", "name", "lon", "lat", "precision", "jurisdiction_code", "jurisdiction_name",
                "mismatch", "matched_name", "locate_note")


@dataclass
class LocateResult:
    """Organizations placed on the map and on their towns/streets.

    Attributes
    ----------
    orgs
        The input frame plus ``lon``/``lat`` (WGS-84, filled for geocoded rows),
        ``precision`` (one of :data:`lianxin_geo.core.model.PRECISIONS`),
        ``matched_name``, ``jurisdiction_code``, ``jurisdiction_name``,
        ``mismatch`` (bool) and ``locate_note`` (Chinese).
    district_code, district_name
        The district the organizations were located in.
    """

    orgs: pd.DataFrame
    district_code: str = ""
    district_name: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def located(self) -> pd.Series:
        """Boolean mask of located rows (precision other than ``none``)."""
        return self.orgs["precision"] != "none"

    @property
    def outside(self) -> pd.Series:
        """Boolean mask of located rows lying outside the district."""
        return self.located & self.orgs["jurisdiction_code"].isna()

    def counts(self) -> dict[str, int]:
        """Rows per precision level (every level present, zeros included)."""
        vc = self.orgs["precision"].value_counts()
        return {p: int(vc.get(p, 0)) for p in PRECISIONS}

    def to_json(self, rows_in: int | None = None) -> dict[str, object]:
        """A JSON-serialisable report.

        Parameters
        ----------
        rows_in
            Rows of the source ledger (accepted + rejected), when known; defaults
            to the number of organizations given to :func:`locate`.

        Returns
        -------
        dict
            ``rows_in``, ``orgs``, ``located``, ``unlocated``, ``outside``,
            ``by_precision``, ``mismatches``, ``district`` and ``records`` (one per
            organization: ``row``, ``id``, ``name``, ``lon``, ``lat``, ``precision``,
            ``jurisdiction_code``, ``jurisdiction_name``, ``mismatch``,
            ``matched_name``, ``locate_note``); NaN is ``null``.
        """
        o = self.orgs
        located = int(self.located.sum())
        cols = {k: (o[k].tolist() if k in o else [None] * len(o)) for k in _RECORD_KEYS}
        records = [
            {k: jsonable(cols[k][i]) for k in _RECORD_KEYS}
            for i in range(len(o))
        ]
        return {
            "district": {"code": self.district_code, "name": self.district_name},
            "rows_in": int(rows_in) if rows_in is not None else int(len(o)),
            "orgs": int(len(o)),
            "located": located,
            "unlocated": int(len(o) - located),
            "outside": int(self.outside.sum()),
            "by_precision": self.counts(),
            "mismatches": int(o["mismatch"].sum()),
            "records": records,
        }

    def to_geodataframe(self, *, located_only: bool = True):
        """The organizations as a GeoDataFrame of points (EPSG:4326).

        Parameters
        ----------
        located_only
            Drop unlocated rows (the default, for GeoJSON/GeoPackage export);
            otherwise they are kept with an empty geometry.
        """
        import geopandas as gpd

        o = self.orgs[self.located] if located_only else self.orgs
        lon = o["lon"].to_numpy(dtype=float)
        lat = o["lat"].to_numpy(dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        geom = np.full(len(o), None, dtype=object)
        geom[ok] = shapely.points(lon[ok], lat[ok])
        return gpd.GeoDataFrame(o.copy(), geometry=list(geom), crs="EPSG:4326")


def _stated_codes(orgs: pd.DataFrame, district: District) -> list[str | None]:
    """The stated 所属镇街 as a code of the district: ``town_code``, else ``town`` resolved by name."""
    n = len(orgs)
    codes: list[str | None] = [None] * n
    known = district.town_names
    if "town_code" in orgs:
        for i, v in enumerate(orgs["town_code"].tolist()):
            t = clean_text(v)
            codes[i] = t if t in known else None
    if "town" in orgs:
        for i, v in enumerate(orgs["town"].tolist()):
            if codes[i] is None and clean_text(v):
                codes[i] = district.resolve_town(clean_text(v))
    return codes


def _online(
    geocoder: OnlineGeocoder, addresses: list[object], rows: np.ndarray
) -> dict[int, GeocodeMatch]:
    if not getattr(geocoder, "allow_network", False):
        raise PermissionError(
            "在线地理编码器未启用联网（allow_network=False）：离线定位不会联网；确需在线补充时请显式设置 allow_network=True"
        )
    out: dict[int, GeocodeMatch] = {}
    cache: dict[str, GeocodeMatch | None] = {}
    for i in rows:
        text = clean_text(addresses[i])
        if not text:
            continue
        if text not in cache:
            cache[text] = geocoder.geocode(text)
        m = cache[text]
        if m is not None and m.precision in PRECISIONS[1:-1]:
            out[int(i)] = m
    return out


def locate(
    orgs: pd.DataFrame,
    *,
    district: District,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    geocoder: OnlineGeocoder | None = None,
    seats: Mapping[str, tuple[float, float]] | None = None,
    fuzzy_threshold: float = FUZZY_THRESHOLD,
    edge_tolerance_m: float = 50.0,
) -> LocateResult:
    """Locate organizations: given coordinates, else offline geocoding; then assign towns/streets.

    Parameters
    ----------
    orgs
        Accepted organizations: ``lon``/``lat`` (WGS-84, NaN when missing),
        ``town_code`` (stated 所属镇街 code or None; a ``town`` name column is
        resolved when the code is missing), ``address``, ``building``, ``park``,
        ``id``, ``row``. Missing columns count as empty.
    district
        Jurisdictions (point in polygon) and the community/village gazetteer.
    buildings, parks
        Accepted building/park frames (``name``, ``lon``/``lat``, ``town_code``).
    geocoder
        Optional online geocoder (e.g. :class:`~lianxin_geo.location.geocode.AmapGeocoder`)
        for rows that offline matching leaves at town level or unlocated. Never
        used unless given, and it must have ``allow_network=True``.
    seats
        ``town code -> (lon, lat)`` office locations for town-level points (used
        when inside the town's polygon; else the polygon's representative point).
    fuzzy_threshold
        Minimum rapidfuzz partial ratio (0–100) for fuzzy name matches.
    edge_tolerance_m
        A point outside every polygon but within this distance of the district
        outline goes to the nearest town/street (with a note) instead of outside.

    Returns
    -------
    LocateResult
    """
    out = orgs.copy()
    n = len(out)
    lon = out["lon"].to_numpy(dtype=float, na_value=np.nan) if "lon" in out else np.full(n, np.nan)
    lat = out["lat"].to_numpy(dtype=float, na_value=np.nan) if "lat" in out else np.full(n, np.nan)
    lon, lat = lon.copy(), lat.copy()
    has = np.isfinite(lon) & np.isfinite(lat)
    precision = np.full(n, "none", dtype=object)
    precision[has] = "coordinates"
    matched = np.full(n, None, dtype=object)
    notes: list[list[str]] = [[] for _ in range(n)]
    stated = _stated_codes(out, district)

    todo = np.flatnonzero(~has)
    if todo.size:
        gaz = build_gazetteer(district, buildings=buildings, parks=parks, seats=seats)
        sub = pd.DataFrame(
            {
                "address": out["address"].to_numpy(dtype=object)[todo] if "address" in out else None,
                "building": out["building"].to_numpy(dtype=object)[todo] if "building" in out else None,
                "park": out["park"].to_numpy(dtype=object)[todo] if "park" in out else None,
                "town_code": np.asarray(stated, dtype=object)[todo],
            }
        )
        geo = geocode_frame(sub, district=district, gazetteer=gaz, fuzzy_threshold=fuzzy_threshold)
        lon[todo] = geo["lon"].to_numpy(dtype=float)
        lat[todo] = geo["lat"].to_numpy(dtype=float)
        precision[todo] = geo["precision"].to_numpy(dtype=object)
        matched[todo] = geo["matched_name"].to_numpy(dtype=object)
        for i, note in zip(todo, geo["note"].tolist()):
            notes[i].append(note)
        if geocoder is not None and "address" in out:
            coarse = todo[np.isin(precision[todo], ("town", "none"))]
            found = _online(geocoder, out["address"].tolist(), coarse)
            for i, m in found.items():
                if PRECISIONS.index(m.precision) >= PRECISIONS.index(precision[i]):
                    continue  # not better than the offline answer
                lon[i], lat[i], precision[i], matched[i] = m.lon, m.lat, m.precision, m.matched_name
                notes[i] = [m.note]

    # ------------------------------------------------------------ jurisdictions
    located = precision != "none"
    codes = district.assign(lon, lat)
    codes = np.where(located, codes, None)
    lost = np.flatnonzero(located & pd.isna(codes))
    if lost.size:
        near = district.contains(lon[lost], lat[lost], tolerance_m=edge_tolerance_m)
        gdf = district.jurisdictions
        tree = shapely.STRtree(np.asarray(gdf.geometry.values))
        jcodes = gdf["code"].astype(str).to_numpy(dtype=object)
        for i, inside in zip(lost, near):
            if inside:
                j = tree.nearest(shapely.Point(lon[i], lat[i]))
                codes[i] = jcodes[int(j)]
                notes[i].append(f"坐标位于镇街边界附近（{edge_tolerance_m:.0f}米内），归入最近的“{district.town_names[codes[i]]}”")
            else:
                notes[i].append(OUTSIDE_NOTE + "：请核对经纬度及坐标系（WGS84/GCJ02/BD09），或经纬度是否填反")
    names = district.town_names
    jnames = np.array([names.get(c) if c is not None else None for c in codes], dtype=object)
    mismatch = np.zeros(n, dtype=bool)
    for i in range(n):
        s, c = stated[i], codes[i]
        if s is not None and c is not None and s != c:
            mismatch[i] = True
            notes[i].append(f"所属镇街填报为“{names.get(s, s)}”，但定位点位于“{names.get(c, c)}”，请核对")
    for i in np.flatnonzero(has):
        notes[i].insert(0, "使用台账坐标")

    out["lon"] = lon
    out["lat"] = lat
    out["precision"] = pd.Series(precision, index=out.index, dtype=object)
    out["matched_name"] = pd.Series(matched, index=out.index, dtype=object)
    out["jurisdiction_code"] = pd.Series(codes, index=out.index, dtype=object)
    out["jurisdiction_name"] = pd.Series(jnames, index=out.index, dtype=object)
    out["mismatch"] = mismatch
    out["locate_note"] = pd.Series(["；".join(x) for x in notes], index=out.index, dtype=object)
    return LocateResult(orgs=out, district_code=str(district.code), district_name=str(district.name))
