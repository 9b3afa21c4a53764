"""Jurisdiction boundaries: derive approximate ones, load official ones, the bundled Shunyi demo.

Official town/street polygons are not openly published in China. For the demo
(and for any district a user has only points for) :func:`derive_jurisdictions`
builds **approximate** polygons: Voronoi cells of the town offices and known
community/village points, labelled by town, dissolved and clipped to the
district outline. They tile the outline exactly and are flagged
``approximate = True`` wherever they go.

Users with official boundaries load them with :func:`load_boundaries`
(GeoJSON, Shapefile with GBK attributes, GeoPackage, KML; any CRS, reprojected
to WGS-84; GCJ-02/BD-09 declared by the user is converted).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely import affinity

from lianxin_geo.core import crs as _crs
from lianxin_geo.core.paths import data_dir
from lianxin_geo.core.district import District, normalize_text
from lianxin_geo.core.files import atomic_write_text
from lianxin_geo.core.errors import BoundaryError
from lianxin_geo.ingest.boundary_checks import check_extent, explain_read_error

__all__ = [
    "derive_jurisdictions",
    "demo_district",
    "demo_seats",
    "load_boundaries",
    "shunyi_seed_points",
    "write_boundaries_geojson",
    "DEMO_DISTRICT_CODE",
    "DEMO_DISTRICT_NAME",
]

DEMO_DISTRICT_CODE = "110113"
DEMO_DISTRICT_NAME = "顺义区"
APPROX_SOURCE = (
    "示意边界：由乡镇/街道驻地点与已知社区（村）点的泰森多边形按所属镇街合并、以区界裁剪推算，非官方边界 "
    "(approximate: Voronoi cells of office and community points dissolved by town and clipped to the district "
    "outline; not official)"
)
_KIND_SUFFIXES = (("街道", "街道"), ("地区", "地区"), ("镇", "镇"), ("乡", "乡"))


# --------------------------------------------------------------------------- derive
def derive_jurisdictions(
    lon: np.ndarray,
    lat: np.ndarray,
    labels: np.ndarray,
    outline: shapely.Geometry,
) -> tuple[np.ndarray, list[shapely.Geometry]]:
    """Derive approximate jurisdiction polygons from labelled seed points.

    Each seed's Voronoi cell (computed in a locally isotropic frame: longitude
    scaled by the cosine of the mean latitude) gets its seed's label; cells are
    dissolved per label and clipped to ``outline``. The result tiles the outline.

    Parameters
    ----------
    lon, lat
        Seed coordinates in WGS-84 degrees.
    labels
        The jurisdiction label (e.g. 9-digit code) of each seed.
    outline
        The district outline in WGS-84.

    Returns
    -------
    labels, polygons
        The distinct labels in first-seen order and one (Multi)Polygon per label.
        A label whose cells fall entirely outside the outline gets an empty polygon.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    labels = np.asarray(labels, dtype=object)
    if not (lon.shape == lat.shape == labels.shape) or lon.ndim != 1:
        raise BoundaryError("种子点的经度、纬度、标签数量不一致 (lon, lat and labels must have the same length)")
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.sum() < 2:
        raise BoundaryError("推算边界至少需要2个有坐标的种子点 (need at least 2 seed points with coordinates)")
    lon, lat, labels = lon[ok], lat[ok], labels[ok]
    # duplicates would make Voronoi drop a point; keep the first seed of identical coordinates
    _, first = np.unique(np.round(np.column_stack([lon, lat]), 9), axis=0, return_index=True)
    first.sort()
    lon, lat, labels = lon[first], lat[first], labels[first]

    fx = float(np.cos(np.deg2rad(np.mean(lat))))
    origin = (0.0, 0.0)
    outline_s = affinity.scale(outline, xfact=fx, yfact=1.0, origin=origin)
    pts = shapely.points(lon * fx, lat)
    env = shapely.box(*shapely.bounds(shapely.union(outline_s, shapely.multipoints(pts)))).buffer(1.0)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=env, ordered=True))
    if len(cells) != len(pts):  # pragma: no cover - ordered=True keeps one cell per input point
        raise BoundaryError("泰森多边形数量与种子点不符 (Voronoi cell count mismatch)")

    order: list[object] = list(dict.fromkeys(labels.tolist()))
    shapely.prepare(outline_s)
    polys: list[shapely.Geometry] = []
    for lab in order:
        merged = shapely.union_all(cells[labels == lab])
        clipped = shapely.intersection(merged, outline_s)
        clipped = _polygonal(clipped)
        polys.append(affinity.scale(clipped, xfact=1.0 / fx, yfact=1.0, origin=origin))
    return np.asarray(order, dtype=object), polys


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts of a geometry (intersections may add slivers of lines)."""
    if geom.is_empty or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


# --------------------------------------------------------------------------- demo
def _read_outline(path: Path) -> shapely.Geometry:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    geoms = [shapely.geometry.shape(f["geometry"]) for f in data["features"]]
    return shapely.union_all(geoms)


def demo_seats() -> dict[str, tuple[float, float]]:
    """Approximate WGS-84 office points of the 25 Shunyi towns/streets: ``{code: (lon, lat)}``."""
    towns = pd.read_csv(data_dir() / "boundaries" / "shunyi_towns.csv", dtype={"code": str})
    return {c: (float(x), float(y)) for c, x, y in zip(towns["code"], towns["seat_lon"], towns["seat_lat"])}


def shunyi_seed_points() -> pd.DataFrame:
    """The Shunyi seed points: 25 town offices and the communities/villages with a known location.

    Returns a frame with ``lon``, ``lat``, ``town_code``, ``name``, ``kind`` ("seat" or "community").
    """
    base = data_dir() / "boundaries"
    towns = pd.read_csv(base / "shunyi_towns.csv", dtype={"code": str})
    comm = pd.read_csv(base / "shunyi_communities.csv", dtype={"code": str, "town_code": str})
    seats = pd.DataFrame({
        "lon": towns["seat_lon"], "lat": towns["seat_lat"], "town_code": towns["code"],
        "name": towns["name"], "kind": "seat",
    })
    c = comm.dropna(subset=["lon", "lat"])
    cpts = pd.DataFrame({
        "lon": c["lon"], "lat": c["lat"], "town_code": c["town_code"], "name": c["name"], "kind": "community",
    })
    return pd.concat([seats, cpts], ignore_index=True)


def _derive_shunyi() -> "object":
    import geopandas as gpd

    base = data_dir() / "boundaries"
    towns = pd.read_csv(base / "shunyi_towns.csv", dtype={"code": str})
    outline = _read_outline(base / "shunyi_outline.geojson")
    seeds = shunyi_seed_points()
    labels, polys = derive_jurisdictions(
        seeds["lon"].to_numpy(), seeds["lat"].to_numpy(), seeds["town_code"].to_numpy(dtype=object), outline
    )
    geom_by_code = dict(zip(labels.tolist(), polys))
    gdf = gpd.GeoDataFrame(
        {
            "code": towns["code"],
            "name": towns["name"],
            "mca_name": towns["mca_name"],
            "kind": towns["kind"],
            "approximate": True,
            "source": APPROX_SOURCE,
        },
        geometry=[geom_by_code.get(c, shapely.Polygon()) for c in towns["code"]],
        crs="EPSG:4326",
    )
    return gdf, outline


def write_boundaries_geojson(gdf: "object", path: str | os.PathLike, *, precision: int = 7) -> None:
    """Write jurisdictions as GeoJSON (WGS-84) with rounded coordinates and stable property order."""
    feats = []
    for row in gdf.itertuples(index=False):
        geom = shapely.set_precision(row.geometry, 10.0 ** -precision)
        props = {k: getattr(row, k) for k in gdf.columns if k != "geometry"}
        props = {k: (bool(v) if isinstance(v, (bool, np.bool_)) else v) for k, v in props.items()}
        feats.append({"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)})
    doc = {"type": "FeatureCollection", "name": Path(path).stem, "features": feats}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    atomic_write_text(path, text + "\n")


@cache
def _demo_district_cached() -> District:
    import geopandas as gpd

    base = data_dir() / "boundaries"
    path = base / "shunyi_towns_approx.geojson"
    outline = _read_outline(base / "shunyi_outline.geojson")
    if path.exists():
        gdf = gpd.read_file(path)
        gdf["code"] = gdf["code"].astype(str)
        gdf["approximate"] = gdf["approximate"].astype(bool)
        gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    else:  # derive on the fly; the committed file is the same derivation, rounded
        gdf, outline = _derive_shunyi()
    comm = pd.read_csv(base / "shunyi_communities.csv", dtype={"code": str, "town_code": str})
    return District(
        code=DEMO_DISTRICT_CODE,
        name=DEMO_DISTRICT_NAME,
        jurisdictions=gdf,
        outline=outline,
        communities=comm,
        approximate=True,
        source=APPROX_SOURCE,
    )


def demo_district() -> District:
    """Return the bundled Shunyi district (real outline, codes and names; **approximate** town polygons).

    The object is cached and shared: treat it as read-only.
    """
    return _demo_district_cached()


# --------------------------------------------------------------------------- load
_CODE_FIELDS = ("code", "adcode", "区划代码", "统计用区划代码", "行政区划代码", "代码", "xzqdm", "xzqhdm", "gb", "town_code")
_NAME_FIELDS = ("name", "名称", "乡镇名称", "街道名称", "镇街名称", "xzqmc", "乡镇", "镇街", "town", "townname")
_KIND_FIELDS = ("kind", "类型", "类别")


def _pick(columns: list[str], wanted: tuple[str, ...], override: str | None, what: str) -> str | None:
    if override:
        if override not in columns:
            raise BoundaryError(f"边界文件中没有字段 {override!r}（{what}）；现有字段：{', '.join(columns)}")
        return override
    norm = {normalize_text(c).lower(): c for c in columns}
    for w in wanted:
        if w.lower() in norm:
            return norm[w.lower()]
    return None


def _kind_from_name(name: str) -> str:
    text = normalize_text(name)
    for suffix, kind in _KIND_SUFFIXES:
        if text.endswith(suffix) or text.endswith(suffix + "办事处"):
            return kind
    return "镇"


def _read_any(path: Path, encoding: str | None):
    import geopandas as gpd

    suffix = path.suffix.lower()
    kwargs: dict = {}
    if suffix == ".shp" and encoding is None:
        cpg = path.with_suffix(".cpg")
        if not cpg.exists():
            # Shapefiles from Chinese GIS desktops are often GBK with no .cpg: try UTF-8 strictly, then GBK.
            try:
                gdf = gpd.read_file(path, encoding="utf-8")
            except Exception:  # noqa: BLE001 - undecodable as UTF-8: the GBK fallback decides
                gdf = None
            if gdf is None or _has_replacement(gdf):
                return gpd.read_file(path, encoding="gbk")
            return gdf
    if encoding:
        kwargs["encoding"] = encoding
    if suffix in (".kml", ".kmz"):
        layers = []
        import pyogrio

        for name, _ in pyogrio.list_layers(path):
            layers.append(gpd.read_file(path, layer=name, **kwargs))
        return pd.concat(layers, ignore_index=True) if layers else gpd.GeoDataFrame()
    return gpd.read_file(path, **kwargs)


def _has_replacement(gdf) -> bool:
    for col in gdf.columns:
        if col == "geometry":
            continue
        s = gdf[col]
        if s.dtype == object and s.astype(str).str.contains("\ufffd", regex=False).any():
            return True
    return False


def _read_polygons(p: Path, encoding: str | None):
    """The file's polygon features; reader failures become a Chinese :class:`BoundaryError`."""
    try:
        gdf = _read_any(p, encoding)
    except BoundaryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a clear user error
        raise explain_read_error(p.name, exc) from exc
    if gdf is None or len(gdf) == 0:
        raise BoundaryError(f"边界文件 {p.name} 中没有要素 (no features)")
    gdf = gdf[[g is not None and not g.is_empty for g in gdf.geometry]].copy()
    gdf = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(gdf) == 0:
        raise BoundaryError(f"边界文件 {p.name} 中没有面要素：请提供乡镇/街道的面（多边形）边界")
    return gdf


def _file_crs(coord_system: str, name: str) -> tuple[str, str | None]:
    """(datum of geographic coordinates: WGS84/GCJ02/BD09, CRS the file's coordinates are in, if declared)."""
    cs = _crs.normalize_crs_name(coord_system)
    if cs is not None:
        return cs, None
    import pyproj

    try:
        pyproj.CRS.from_user_input(coord_system)
    except Exception as exc:  # noqa: BLE001 - pyproj.exceptions.CRSError and friends
        raise BoundaryError(
            f"未知坐标系 {coord_system!r}（边界文件 {name}）：请填写 WGS84、GCJ02、BD09，"
            "或投影坐标系的 EPSG 代码（如 EPSG:3857、EPSG:4548）"
        ) from exc
    return "WGS84", str(coord_system)


def _to_wgs84(gdf, name: str, *, source_crs: str | None, coord_system: str):
    """Reproject to WGS-84 degrees, checking the extent (:func:`check_extent`) before and after."""
    datum, declared = _file_crs(coord_system, name)
    try:
        if declared is not None:
            gdf = gdf.set_crs(declared, allow_override=True)
        elif gdf.crs is None and source_crs is not None:
            gdf = gdf.set_crs(source_crs)
        elif gdf.crs is None:
            check_extent(gdf.total_bounds, name, declared=False)  # metres without a CRS: say which to declare
            gdf = gdf.set_crs("EPSG:4326")
        if gdf.crs.is_geographic:
            check_extent(gdf.total_bounds, name, declared=declared is not None or source_crs is not None)
        gdf = gdf.to_crs("EPSG:4326")
    except BoundaryError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyproj errors: an impossible CRS or transformation
        raise BoundaryError(
            f"无法把边界文件 {name} 的坐标换算为 WGS-84 经纬度（坐标系 {gdf.crs}）：{exc}。"
            "请核对坐标系声明（--boundaries-crs），或在 GIS 软件中导出为 WGS-84 经纬度"
        ) from exc
    check_extent(gdf.total_bounds, name, declared=declared is not None or source_crs is not None)
    if datum != "WGS84":
        gdf["geometry"] = shapely.transform(
            gdf.geometry.values, lambda xy: np.column_stack(_crs.to_wgs84(xy[:, 0], xy[:, 1], datum))
        )
    return gdf


def _repair(gdf, name: str, labels: list[str]):
    """Repair invalid polygons with :func:`shapely.make_valid`; return the frame and the labels repaired.

    Raises
    ------
    BoundaryError
        When a feature has no area left after the repair (it names the feature).
    """
    geoms = gdf.geometry.values
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    if bad.size == 0:
        return gdf, []
    fixed = [_polygonal(shapely.make_valid(g)) for g in geoms[bad]]
    for i, g in zip(bad, fixed):
        if g.is_empty or g.area == 0:
            raise BoundaryError(
                f"边界文件 {name} 中的要素“{labels[i]}”不是有效的面（例如自相交），且无法自动修复："
                "请在 GIS 软件中修复几何（检查几何有效性）后重新导入"
            )
    new = gdf.geometry.values.copy()
    new[bad] = fixed
    gdf = gdf.copy()
    gdf[gdf.geometry.name] = new
    return gdf, [labels[i] for i in bad]


def load_boundaries(
    path: str | os.PathLike,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    source_crs: str | None = None,
    coord_system: str = "WGS84",
    encoding: str | None = None,
    district_code: str = "",
    district_name: str = "",
    approximate: bool = False,
    gazetteer: District | None = None,
) -> District:
    """Load jurisdiction polygons a user supplies and return a :class:`District`.

    The whole file is checked before it is used (:mod:`lianxin_geo.ingest.boundary_checks`):
    coordinates must be WGS-84 degrees inside China after reprojection, so metres
    without a declared CRS and swapped axes are refused with the fix; invalid
    polygons (self-intersections) are repaired with :func:`shapely.make_valid`
    and named in ``District.source`` and ``jurisdictions.attrs["repaired"]``.

    Parameters
    ----------
    path
        GeoJSON, Shapefile (.shp; GBK attributes handled), GeoPackage or KML.
    code_field, name_field
        Attribute names holding the jurisdiction code and name; guessed when not
        given (``code``/``adcode``/``区划代码``…, ``name``/``名称``/``XZQMC``…).
    source_crs
        The file's CRS when the file does not declare one (e.g. ``"EPSG:4549"``).
    coord_system
        ``WGS84`` (default), or ``GCJ02``/``BD09`` when the user declares that the
        geographic coordinates are shifted (AMap/Baidu exports): they are converted
        to WGS-84 vertex by vertex. An EPSG code (``"EPSG:3857"``) declares the
        CRS of the file's coordinates, overriding what the file says.
    encoding
        Attribute encoding to force (e.g. ``"gbk"``).
    district_code, district_name
        Identify the district; taken from ``gazetteer`` when omitted.
    approximate
        Mark the loaded polygons as approximate.
    gazetteer
        A known district (e.g. :func:`demo_district`) used to fill missing codes
        from names, and to carry over the community gazetteer.

    Raises
    ------
    BoundaryError
        The file is missing or unreadable (GDAL's error explained in Chinese), has
        no polygons, or cannot be a Chinese district as given.
    """
    p = Path(path)
    if not p.exists():
        raise BoundaryError(f"找不到边界文件：{p}（请检查路径）")
    gdf = _to_wgs84(_read_polygons(p, encoding), p.name, source_crs=source_crs, coord_system=coord_system)
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    name_col = _pick(cols, _NAME_FIELDS, name_field, "名称")
    code_col = _pick(cols, _CODE_FIELDS, code_field, "代码")
    if name_col is None and code_col is None:
        raise BoundaryError(
            f"边界文件 {p.name} 中找不到乡镇/街道名称或代码字段：请用 name_field/code_field 指定；现有字段：{', '.join(cols)}"
        )
    names = gdf[name_col].astype(str).map(normalize_text) if name_col else None
    codes = gdf[code_col].map(lambda v: normalize_text(v).split(".")[0]) if code_col else None
    labels = [n or f"第{i + 1}个要素" for i, n in enumerate(names if names is not None else codes)]  # type: ignore[union-attr]
    gdf, repaired = _repair(gdf, p.name, labels)
    if gazetteer is not None and not _same_place(gdf, gazetteer):
        gazetteer = None  # another district: the bundled gazetteer would lend it wrong codes and communities
    if codes is None or (codes == "").any():
        filled = []
        for i, nm in enumerate(names if names is not None else [""] * len(gdf)):
            c = gazetteer.resolve_town(nm) if gazetteer is not None else None
            existing = codes.iloc[i] if codes is not None else ""
            filled.append(existing or c or f"J{i + 1:03d}")
        codes = pd.Series(filled, index=gdf.index)
    if names is None:
        names = codes.map(lambda c: gazetteer.town_names.get(c, c) if gazetteer is not None else c)
    kind_col = _pick(cols, _KIND_FIELDS, None, "类型")
    kinds = gdf[kind_col].astype(str) if kind_col else names.map(_kind_from_name)
    mca = names
    if gazetteer is not None:
        gj = gazetteer.jurisdictions.set_index("code")
        mca = pd.Series([gj["mca_name"].get(c, n) if "mca_name" in gj else n for c, n in zip(codes, names)],
                        index=gdf.index)
    source = f"用户提供的边界：{p.name}"
    if repaired:
        source += f"（已自动修复 {len(repaired)} 个无效的面（如自相交）：{'、'.join(repaired[:10])}，请在 GIS 软件中核对）"
    return _district(gdf, codes, names, mca, kinds, source=source, repaired=repaired, approximate=approximate,
                     district_code=district_code, district_name=district_name, gazetteer=gazetteer)


def _district(gdf, codes, names, mca, kinds, *, source: str, repaired: list[str], approximate: bool,
              district_code: str, district_name: str, gazetteer: District | None) -> District:
    import geopandas as gpd

    out = gpd.GeoDataFrame(
        {
            "code": codes.astype(str).values,
            "name": names.values,
            "mca_name": mca.values,
            "kind": kinds.values,
            "approximate": bool(approximate),
            "source": source,
        },
        geometry=gdf.geometry.values,
        crs="EPSG:4326",
    )
    dup = out["code"].duplicated(keep=False)
    if dup.any():
        out = out.dissolve(by="code", as_index=False, sort=False, aggfunc="first")
    out.attrs["repaired"] = list(repaired)
    outline = shapely.union_all(out.geometry.values)
    return District(
        code=district_code or (gazetteer.code if gazetteer is not None else ""),
        name=district_name or (gazetteer.name if gazetteer is not None else "本区"),
        jurisdictions=out,
        outline=outline,
        communities=gazetteer.communities if gazetteer is not None else District.__dataclass_fields__[
            "communities"].default_factory(),
        approximate=bool(approximate),
        source=source,
    )


def _same_place(gdf, gazetteer: District, *, min_share: float = 0.5) -> bool:
    """True when at least ``min_share`` of the loaded polygons' area lies inside the gazetteer's district."""
    union = shapely.union_all(gdf.geometry.values)
    if union.is_empty or union.area == 0:
        return False
    inside = shapely.intersection(union, gazetteer.outline).area
    return inside / union.area >= min_share


def derive_shunyi_file(path: str | os.PathLike | None = None) -> Path:
    """(Re)derive the bundled ``data/boundaries/shunyi_towns_approx.geojson``; return its path."""
    gdf, _ = _derive_shunyi()
    target = Path(path) if path else data_dir() / "boundaries" / "shunyi_towns_approx.geojson"
    write_boundaries_geojson(gdf, target)
    return target
