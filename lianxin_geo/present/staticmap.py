"""Static maps with matplotlib: no browser, no tiles, no network.

Every map carries a title, the date, a legend, a north arrow, a scale bar and the workspace's data notes
(synthetic demo data, approximate boundaries). Text is drawn with the CJK font the project ships in
``lianxin_geo/present/fonts`` (a subset of WenQuanYi Micro Hei, TrueType outlines so it embeds cleanly in PDF),
registered with :func:`matplotlib.font_manager.fontManager.addfont`: Chinese labels never depend on a system font.

The figure is a plain :class:`matplotlib.figure.Figure` (Agg canvas), never ``pyplot``, so drawing is
thread-safe enough for the app and leaves no global figure state behind.

Each map is drawn once per run: inside ``with map_cache():`` (the run folder's writer opens one),
:func:`draw_map` returns the figure already drawn for the same inputs and :func:`figure_bytes` /
:func:`save_figure` / :func:`render_map` the image already encoded, so the PNG, the PDF and the deck share
them. :func:`render_map` (a :class:`MapSpec` in, the image's bytes out) is the unit an engine task draws.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import io
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.district import District, town_short_name
from lianxin_geo.core.files import atomic_write_bytes
from lianxin_geo.plan.coverage import CoveragePlan
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.present.plans import PlansLike, as_plans, route_base, route_key, route_points
from lianxin_geo.present.style import PALETTE, RATE_BANDS, STATUS_COLORS, STATUS_ORDER, org_status, rate_color
from lianxin_geo.workspace import Workspace

__all__ = [
    "FONT_PATH",
    "WHATS",
    "MapCache",
    "MapSpec",
    "ensure_font",
    "font_family",
    "draw_map",
    "map_cache",
    "render_map",
    "save_figure",
    "figure_bytes",
    "nice_scale_km",
    "iter_focus_codes",
]

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "wqy-microhei-subset.ttf"

#: What a static map shows: key -> Chinese title part.
WHATS: dict[str, str] = {
    "overview": "组织覆盖总览",
    "joint": "联建方案",
    "routes": "指导员走访路线",
    "coverage": "阵地覆盖与缺口",
}

What = Literal["overview", "joint", "routes", "coverage"]


@cache
def ensure_font() -> str:
    """Register the bundled CJK font with matplotlib and return its family name.

    Raises
    ------
    FileNotFoundError
        When the font file is missing from the installation (a broken install).
    """
    from matplotlib import font_manager

    if not FONT_PATH.is_file():
        raise FileNotFoundError(f"缺少内置中文字体 {FONT_PATH}：请重新安装 lianxin-geo（bundled CJK font missing）")
    font_manager.fontManager.addfont(str(FONT_PATH))
    return font_manager.FontProperties(fname=str(FONT_PATH)).get_name()


def font_family() -> list[str]:
    """Font family list for matplotlib text: the bundled CJK font first, DejaVu Sans as fallback."""
    return [ensure_font(), "DejaVu Sans"]


def nice_scale_km(span_km: float) -> float:
    """A round scale-bar length (1, 2, 5 × 10ⁿ km) of about a fifth of ``span_km``."""
    if not math.isfinite(span_km) or span_km <= 0:
        return 1.0
    target = span_km / 5.0
    exp = math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * 10 ** exp <= target:
            return float(m * 10 ** exp)
    return float(10 ** exp)


# ---------------------------------------------------------------- geometry helpers
def _rings(geom: Any) -> list[np.ndarray]:
    """Exterior and interior rings of a (multi)polygon as coordinate arrays."""
    out: list[np.ndarray] = []
    if geom is None or geom.is_empty:
        return out
    parts = getattr(geom, "geoms", [geom])
    for p in parts:
        if p.geom_type != "Polygon":
            continue
        out.append(np.asarray(p.exterior.coords))
        out.extend(np.asarray(r.coords) for r in p.interiors)
    return out


def _path_of(geom: Any):
    from matplotlib.path import Path as MPath

    verts, codes = [], []
    for ring in _rings(geom):
        if len(ring) < 3:
            continue
        verts.append(ring[:, :2])
        c = np.full(len(ring), MPath.LINETO, dtype=np.uint8)
        c[0] = MPath.MOVETO
        c[-1] = MPath.CLOSEPOLY
        codes.append(c)
    if not verts:
        return None
    return MPath(np.concatenate(verts), np.concatenate(codes))


def _xy(frame: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if frame is None or len(frame) == 0 or "lon" not in frame or "lat" not in frame:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    x = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
    y = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    return x, y, np.isfinite(x) & np.isfinite(y)


# ---------------------------------------------------------------- furniture
def _north_arrow(ax: Any, family: list[str]) -> None:
    ax.annotate("", xy=(0.95, 0.97), xytext=(0.95, 0.88), xycoords="axes fraction",
                arrowprops={"facecolor": "black", "edgecolor": "black", "width": 4, "headwidth": 12,
                            "headlength": 12}, zorder=20)
    ax.text(0.95, 0.855, "北 N", transform=ax.transAxes, ha="center", va="top", fontsize=10,
            fontfamily=family, zorder=20)


def _scale_bar(ax: Any, lat0: float, family: list[str]) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km_per_deg = 111.320 * math.cos(math.radians(lat0))
    span_km = (x1 - x0) * km_per_deg
    length_km = nice_scale_km(span_km)
    dx = length_km / km_per_deg
    bx = x0 + (x1 - x0) * 0.04
    by = y0 + (y1 - y0) * 0.05
    h = (y1 - y0) * 0.008
    ax.add_patch(_rect(bx, by, dx / 2, h, "black"))
    ax.add_patch(_rect(bx + dx / 2, by, dx / 2, h, "white"))
    label = f"{length_km:g} 公里" if length_km >= 1 else f"{length_km * 1000:g} 米"
    ax.text(bx, by + 2.5 * h, "0", fontsize=8, ha="center", va="bottom", fontfamily=family, zorder=20)
    ax.text(bx + dx, by + 2.5 * h, label, fontsize=8, ha="center", va="bottom", fontfamily=family, zorder=20)


def _rect(x: float, y: float, w: float, h: float, color: str):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=color, edgecolor="black", linewidth=0.8, zorder=20)


# ---------------------------------------------------------------- layers
def _add(ax: Any, patch: Any) -> None:
    """Add a polygon without updating the data limits (set explicitly by :func:`draw_map`):
    ``add_patch`` would walk every vertex of every polygon again, most of a map's drawing time."""
    ax.add_artist(patch)


def _draw_boundaries(ax: Any, district: District, *, rates: Mapping[str, float] | None, target: float | None,
                     labels: bool, family: list[str], highlight: str | None = None) -> None:
    from matplotlib.patches import PathPatch

    jur = district.jurisdictions
    for rec in jur.itertuples(index=False):
        path = _path_of(rec.geometry)
        if path is None:
            continue
        code = str(rec.code)
        face = rate_color(rates.get(code), target) if rates is not None else "#f7f7f2"
        approx = bool(getattr(rec, "approximate", False))
        _add(ax, PathPatch(path, facecolor=face, edgecolor="#555555",
                           linewidth=2.0 if highlight == code else 0.6,
                           linestyle=(0, (4, 2)) if approx else "solid", alpha=0.55 if rates is not None else 1.0,
                           zorder=1))
    opath = _path_of(district.outline) if district.outline is not None else None
    if opath is not None:
        _add(ax, PathPatch(opath, facecolor="none", edgecolor="#222222", linewidth=1.4, zorder=2))
    if labels:
        for rec in jur.itertuples(index=False):
            if rec.geometry is None or rec.geometry.is_empty:
                continue
            p = rec.geometry.representative_point()
            ax.text(p.x, p.y, town_short_name(str(rec.name)), fontsize=7, ha="center", va="center",
                    fontfamily=family, color="#333333", zorder=15, clip_on=True,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.6, "edgecolor": "none"})


def _draw_orgs(ax: Any, orgs: pd.DataFrame, status: pd.Series, *, size: float, alpha: float = 0.85) -> list:
    from matplotlib.lines import Line2D

    x, y, ok = _xy(orgs)
    st = status.reindex(orgs.index).astype(str).to_numpy() if len(orgs) else np.zeros(0, dtype=object)
    handles = []
    for s in STATUS_ORDER:
        m = ok & (st == s)
        if not m.any():
            continue
        ax.scatter(x[m], y[m], s=size, c=STATUS_COLORS.get(s, "#7f7f7f"), linewidths=0, alpha=alpha, zorder=5)
        handles.append(Line2D([], [], marker="o", linestyle="none", color=STATUS_COLORS.get(s, "#7f7f7f"),
                              label=f"{s}（{int(m.sum())}）"))
    return handles


def _draw_centers(ax: Any, centers: pd.DataFrame) -> list:
    from matplotlib.lines import Line2D

    x, y, ok = _xy(centers)
    if not ok.any():
        return []
    ax.scatter(x[ok], y[ok], s=36, marker="^", c="#c00000", edgecolors="white", linewidths=0.6, zorder=8)
    return [Line2D([], [], marker="^", linestyle="none", color="#c00000", label=f"党群活动服务中心（{int(ok.sum())}）")]


def _lut(orgs: pd.DataFrame) -> dict[str, tuple[float, float]]:
    x, y, ok = _xy(orgs)
    if "id" not in orgs:
        return {}
    return {str(i): (a, b) for i, a, b, k in zip(orgs["id"].astype(str), x, y, ok) if k}


def _draw_units(ax: Any, joint: JointPlan, orgs: pd.DataFrame) -> list:
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    where = _lut(orgs)
    segs, colors, hubs, hub_c = [], [], [], []
    units = joint.units
    for n, (ids, hub_id) in enumerate(zip(units["org_ids"], units["hub_id"])):
        pts = [where[str(o)] for o in ids if str(o) in where]
        if not pts:
            continue
        color = PALETTE[n % len(PALETTE)]
        hub = where.get(str(hub_id)) or (float(np.mean([p[0] for p in pts])), float(np.mean([p[1] for p in pts])))
        for p in pts:
            segs.append([hub, p])
            colors.append(color)
        hubs.append(hub)
        hub_c.append(color)
    if segs:
        ax.add_collection(LineCollection(segs, colors=colors, linewidths=1.0, alpha=0.85, zorder=6))
        hx = np.array([h[0] for h in hubs])
        hy = np.array([h[1] for h in hubs])
        ax.scatter(hx, hy, s=40, c=hub_c, edgecolors="black", linewidths=0.8, zorder=9)
    return [Line2D([], [], color="#377eb8", marker="o", markeredgecolor="black",
                   label=f"联建单元（{len(units)}，连线至牵头单位）")] if len(units) else []


def _draw_routes(ax: Any, routes: InstructorPlan, *, numbered: bool,
                 bbox: tuple[float, float, float, float] | None = None) -> list:
    """The routes as one line collection; with ``bbox`` only the routes that touch it (a town's map draws its
    own routes, not the district's thousands of stops), stop numbers only inside it."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    def inside(p: tuple[float, float]) -> bool:
        return bbox is None or (bbox[0] <= p[0] <= bbox[2] and bbox[1] <= p[1] <= bbox[3])

    visits = route_points(routes)
    rt = routes.routes
    segs, seg_colors = [], []
    px, py, pc, bx, by, bc = [], [], [], [], [], []
    nx: list[float] = []
    ny: list[float] = []
    nlab: list[str] = []
    for n, (rid, lon, lat) in enumerate(zip(rt[route_key(rt)], rt["base_lon"], rt["base_lat"])):
        bxy = route_base(lon, lat)
        pts = [(x, y) for x, y, _, _ in visits.get(str(rid), [])]
        seq = ([bxy] if bxy else []) + pts + ([bxy] if bxy else [])
        if len(seq) < 2 or not any(inside(q) for q in seq):
            continue
        color = PALETTE[n % len(PALETTE)]
        segs.append(seq)
        seg_colors.append(color)
        px += [q[0] for q in pts]
        py += [q[1] for q in pts]
        pc += [color] * len(pts)
        if bxy:
            bx.append(bxy[0])
            by.append(bxy[1])
            bc.append(color)
        if numbered:
            for k, q in enumerate(pts, start=1):
                if inside(q):
                    nx.append(q[0])
                    ny.append(q[1])
                    nlab.append(str(k))
    _draw_numbers(ax, nx, ny, nlab)
    if segs:
        ax.add_collection(LineCollection(segs, colors=seg_colors, linewidths=1.2, alpha=0.9, zorder=6))
        ax.scatter(px, py, s=10, c=pc, zorder=7, linewidths=0)
        if bx:
            ax.scatter(bx, by, s=50, marker="s", c="white", edgecolors=bc, linewidths=1.5, zorder=9)
    if not len(rt):
        return []
    return [Line2D([], [], color="#e41a1c", label=f"指导员路线（{len(rt)} 条）"),
            Line2D([], [], marker="s", linestyle="none", markerfacecolor="white", markeredgecolor="#e41a1c",
                   label="出发点（阵地/镇街驻地）")]


#: Size (points) of the stop numbers on a town's route map.
NUMBER_SIZE_PT = 6.0


@cache
def _number_path(label: str) -> Any:
    """The outline of ``label`` (digits, DejaVu Sans, :data:`NUMBER_SIZE_PT` points) centred on (0, 0)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    tp = TextPath((0, 0), label, size=NUMBER_SIZE_PT, prop=FontProperties(family="DejaVu Sans"))
    ext = tp.get_extents()
    return tp.transformed(Affine2D().translate(-(ext.x0 + ext.x1) / 2, -(ext.y0 + ext.y1) / 2))


def _draw_numbers(ax: Any, x: Sequence[float], y: Sequence[float], labels: Sequence[str]) -> None:
    """Stop numbers as one collection of glyph outlines (sized in points, placed in data coordinates).

    A town's map carries hundreds of numbers: one ``Text`` artist each (font layout, glyph rendering) took
    most of the map's drawing time; one :class:`~matplotlib.collections.PathCollection` draws them in one pass
    and looks the same, in PNG and in PDF.
    """
    if not labels:
        return
    from matplotlib.collections import PathCollection
    from matplotlib.transforms import Affine2D

    fig = ax.figure
    coll = PathCollection([_number_path(s) for s in labels], offsets=np.column_stack([x, y]),
                          offset_transform=ax.transData,
                          transform=Affine2D().scale(1.0 / 72.0) + fig.dpi_scale_trans,
                          facecolors="black", edgecolors="none", linewidths=0, zorder=10)
    coll.set_gid("stop-numbers")
    ax.add_collection(coll, autolim=False)


def _draw_gaps(ax: Any, coverage: CoveragePlan) -> list:
    """The coverage gaps: hexagons shaded by orgs (circles at the cell centres for a plan without a grid)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, PathPatch

    if not len(coverage.gaps):
        return []
    if coverage.grid is None:
        x, y, ok = _xy(coverage.gaps)
        if not ok.any():
            return []
        ax.scatter(x[ok], y[ok], s=30, c="#e31a1c", alpha=0.5, zorder=3)
        return [Line2D([], [], marker="o", linestyle="none", color="#e31a1c", label="覆盖缺口")]
    polys = coverage.gap_polygons()
    vmax = max(float(pd.to_numeric(polys["orgs"], errors="coerce").max() or 1.0), 1.0)
    for o, geom in zip(pd.to_numeric(polys["orgs"], errors="coerce").fillna(0), polys.geometry):
        path = _path_of(geom)
        if path is not None:
            _add(ax, PathPatch(path, facecolor="#e31a1c", edgecolor="#b10026", linewidth=0.3,
                               alpha=0.2 + 0.6 * float(o) / vmax, zorder=3))
    return [Patch(facecolor="#e31a1c", edgecolor="#b10026", alpha=0.6, label=f"覆盖缺口（{len(polys)} 个六边形网格）")]


def _draw_sites(ax: Any, coverage: CoveragePlan) -> list:
    """The proposed new sites as stars."""
    from matplotlib.lines import Line2D

    x, y, ok = _xy(coverage.proposed_sites)
    if not ok.any():
        return []
    ax.scatter(x[ok], y[ok], s=160, marker="*", c="#ffd700", edgecolors="black", linewidths=0.8, zorder=11)
    return [Line2D([], [], marker="*", linestyle="none", markersize=12, markerfacecolor="#ffd700",
                   markeredgecolor="black", label=f"建议新增阵地（{int(ok.sum())}）")]


# ---------------------------------------------------------------- drawn once per run
class MapCache:
    """The figures and images drawn inside one :func:`map_cache` block (keys hold the inputs' identities; the
    inputs themselves are kept alive with the entries, so an identity is never reused while cached)."""

    def __init__(self) -> None:
        self._items: dict[tuple, Any] = {}
        self._keep: list[Any] = []
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Any:
        value = self._items.get(key)
        self.hits += value is not None
        self.misses += value is None
        return value

    def put(self, key: tuple, value: Any, *, keep: Sequence[Any] = ()) -> None:
        self._items[key] = value
        self._keep.extend(keep)


_ACTIVE: contextvars.ContextVar[MapCache | None] = contextvars.ContextVar("lianxin_map_cache", default=None)


@contextlib.contextmanager
def map_cache() -> Iterator[MapCache]:
    """Within the block every map is drawn, and every image encoded, once; reused when asked again.

    Blocks nest (the outermost cache serves); the cache is dropped at the end of the outermost block, so
    nothing outlives the run. Each thread and task has its own (a :mod:`contextvars` variable).
    """
    if (current := _ACTIVE.get()) is not None:
        yield current
        return
    memo = MapCache()
    token = _ACTIVE.set(memo)
    try:
        yield memo
    finally:
        _ACTIVE.reset(token)


@dataclass(frozen=True)
class MapSpec:
    """One map image to render: what, where (``focus``: a town code), how large, how encoded."""

    what: What = "overview"
    focus: str | None = None
    size_in: tuple[float, float] = (11.69, 8.27)
    dpi: int = 150
    fmt: str = "png"
    title: str | None = None


def render_map(spec: MapSpec, *, workspace: Workspace, plans: PlansLike = None,
               assessment: Assessment | None = None, date: _dt.date | None = None) -> bytes:
    """Draw the map ``spec`` describes and return the encoded image (PNG or PDF bytes).

    A module-level function of plain inputs: an engine task maps it over specs
    (``engine.map(render_map, specs, keys=..., workspace=ws, plans=plans, assessment=a)``), the workspace,
    plans and assessment sent to each worker once. Inside :func:`map_cache` a spec already rendered is not
    drawn again.
    """
    fig = draw_map(workspace, what=spec.what, plans=plans, assessment=assessment, title=spec.title,
                   focus=spec.focus, size_in=spec.size_in, date=date)
    return figure_bytes(fig, fmt=spec.fmt, dpi=spec.dpi)


# ---------------------------------------------------------------- the map
def draw_map(
    workspace: Workspace,
    *,
    what: What = "overview",
    plans: PlansLike = None,
    assessment: Assessment | None = None,
    title: str | None = None,
    focus: str | None = None,
    size_in: tuple[float, float] = (11.69, 8.27),
    notes: Sequence[str] | None = None,
    target: float | None = None,
    date: _dt.date | None = None,
) -> Any:
    """Draw one static map of the workspace and return the ``matplotlib.figure.Figure``.

    Parameters
    ----------
    workspace
        A :class:`~lianxin_geo.workspace.Workspace`.
    what
        ``overview`` (boundaries shaded by organization coverage rate, orgs by
        status, centers, proposed sites), ``joint`` (units), ``routes`` (instructor
        routes) or ``coverage`` (gaps and proposed sites).
    plans
        :class:`~lianxin_geo.present.plans.Plans` or ``{"joint": ..., "routes": ..., "coverage": ...}``
        (the planners' typed results).
    assessment
        The :class:`~lianxin_geo.assessment.assessor.Assessment`: colours orgs and towns.
    title
        Map title; default names the district and ``what``.
    focus
        A jurisdiction code: zoom to that town/street (and outline it).
    size_in
        Figure size in inches (default A4 landscape).
    notes
        Data notes printed under the map; default ``workspace.data_notes``.
    target
        Coverage-rate target for the town shading; default the profile's
        ``targets.enterprise``.
    date
        Date printed on the map (default today).

    Inside :func:`map_cache` the same inputs (the same objects, the same options) return the figure drawn
    the first time; treat it as read-only.
    """
    p = as_plans(plans)
    day = date or _dt.date.today()
    memo, key = _ACTIVE.get(), None
    if memo is not None:
        key = ("figure", id(workspace), what, id(p.joint), id(p.routes), id(p.coverage), id(assessment), title,
               None if focus is None else str(focus), tuple(size_in), None if notes is None else tuple(notes),
               target, day)
        if (hit := memo.get(key)) is not None:
            return hit
    fig = _draw(workspace, what=what, plans=p, assessment=assessment, title=title, focus=focus, size_in=size_in,
                notes=notes, target=target, date=day)
    if memo is not None:
        memo.put(key, fig, keep=(workspace, p.joint, p.routes, p.coverage, assessment))
    return fig


def _draw(
    workspace: Workspace,
    *,
    what: What = "overview",
    plans: PlansLike = None,
    assessment: Assessment | None = None,
    title: str | None = None,
    focus: str | None = None,
    size_in: tuple[float, float] = (11.69, 8.27),
    notes: Sequence[str] | None = None,
    target: float | None = None,
    date: _dt.date | None = None,
) -> Any:
    """:func:`draw_map` without the cache (the parameters are the same)."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if what not in WHATS:
        raise ValueError(f"未知地图类型 what={what!r}：可选 {', '.join(WHATS)}")
    family = font_family()
    p = as_plans(plans)
    district = workspace.district
    orgs = workspace.orgs
    fig = Figure(figsize=size_in)
    ax = fig.add_axes((0.02, 0.11, 0.74, 0.80))
    if focus is not None:
        jur = district.jurisdictions
        sel = jur[jur["code"].astype(str) == str(focus)]
        if sel.empty:
            raise ValueError(f"focus={focus!r} 不是本区的镇街代码")
        minx, miny, maxx, maxy = sel.geometry.iloc[0].bounds
        pad = max(maxx - minx, maxy - miny) * 0.08
        minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    else:
        minx, miny, maxx, maxy = district.bounds
    lat0 = (miny + maxy) / 2
    if target is None:
        target = float(workspace.profile.get("targets.enterprise"))
    rates = None
    if assessment is not None and what == "overview":
        j = assessment.jurisdictions
        if "org_coverage_rate" in j:
            rates = {str(c): (None if pd.isna(v) else float(v)) for c, v in zip(j["code"], j["org_coverage_rate"])}
    _draw_boundaries(ax, district, rates=rates, target=target, labels=True, family=family, highlight=focus)
    handles: list = []
    if rates is not None:
        tg = f"{target:.0%}" if target else ""
        (met, met_label), *below = RATE_BANDS
        handles.append(Patch(facecolor=met, alpha=0.55, label=f"组织覆盖率{met_label}{tg}"))
        for color, label in below:
            handles.append(Patch(facecolor=color, alpha=0.55, label=f"覆盖率{label}"))
    if district.approximate:
        handles.append(Line2D([], [], color="#555555", linestyle=(0, (4, 2)), label="镇街边界（示意，非官方）"))
    else:
        handles.append(Line2D([], [], color="#555555", label="镇街边界"))
    status = org_status(orgs, assessment) if len(orgs) else pd.Series(dtype=object)
    n_orgs = int(len(orgs))
    size = 4.0 if focus is None and n_orgs > 3000 else (8.0 if focus is None else 16.0)
    if what in ("overview", "coverage"):
        handles += _draw_orgs(ax, orgs, status, size=size, alpha=0.85 if what == "overview" else 0.5)
    elif len(orgs):
        x, y, ok = _xy(orgs)
        ax.scatter(x[ok], y[ok], s=size * 0.6, c="#bbbbbb", linewidths=0, zorder=4)
        handles.append(Line2D([], [], marker="o", linestyle="none", color="#bbbbbb", label=f"两新组织（{int(ok.sum())}）"))
    if what in ("overview", "coverage", "routes"):
        handles += _draw_centers(ax, workspace.centers)
    if what == "joint" and p.joint is not None:
        handles += _draw_units(ax, p.joint, orgs)
    if what == "routes" and p.routes is not None:
        handles += _draw_routes(ax, p.routes, numbered=focus is not None,
                                bbox=(minx, miny, maxx, maxy) if focus is not None else None)
    if what == "coverage" and p.coverage is not None:
        handles += _draw_gaps(ax, p.coverage)
    if what in ("coverage", "overview") and p.coverage is not None:
        handles += _draw_sites(ax, p.coverage)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect(1.0 / math.cos(math.radians(lat0)), adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#888888")
    _north_arrow(ax, family)
    _scale_bar(ax, lat0, family)
    dname = district.name
    if focus is not None:
        names = district.town_names
        dname = f"{dname} {names.get(str(focus), str(focus))}"
    heading = title or f"{dname} 两新党建 · {WHATS[what]}"
    fig.text(0.02, 0.955, heading, fontsize=16, fontfamily=family, va="center")
    day = (date or _dt.date.today()).isoformat()
    fig.text(0.98, 0.955, f"制图日期：{day}", fontsize=9, fontfamily=family, ha="right", va="center",
             color="#444444")
    if handles:
        leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.775, 0.91), fontsize=8, frameon=True,
                         title="图例", prop={"family": family, "size": 8})
        leg.get_title().set_fontfamily(family)
    notes = list(workspace.data_notes if notes is None else notes)
    lines = ["数据说明：" + n for n in notes] + ["坐标：WGS-84；无底图；距离按直线×绕行系数估算"]
    fig.text(0.02, 0.085, "\n".join(lines), fontsize=8, fontfamily=family, va="top", color="#7a0000",
             linespacing=1.5)
    return fig


def _meta(fmt: str) -> dict[str, str]:
    return {"Title": "两新党建地图"} if fmt == "pdf" else {"Software": "lianxin-geo"}


#: zlib level of the PNG maps: 3 with the unused alpha channel dropped encodes an A4 map at 150 dpi in half the
#: time of PIL's default 6 on RGBA (~0.15 s instead of ~0.3 s), the file 7 % smaller, the pixels the same.
PNG_COMPRESS_LEVEL = 3


def _png(fig: Any, dpi: int) -> bytes | None:
    """``fig`` as an opaque RGB PNG (white background: the alpha channel carries nothing); ``None`` when the
    rendered buffer is not the expected size (then the caller saves the usual way)."""
    from PIL import Image, PngImagePlugin

    raw = io.BytesIO()
    fig.savefig(raw, dpi=dpi, format="rgba", facecolor="white")
    data = raw.getvalue()
    w = int(fig.get_figwidth() * dpi)  # Agg's canvas: int(inches × dpi) pixels
    h = len(data) // (4 * w) if w > 0 else 0
    if w * h * 4 != len(data) or abs(h - fig.get_figheight() * dpi) > 1:
        return None
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", _meta("png")["Software"])
    out = io.BytesIO()
    Image.frombuffer("RGBA", (w, h), data, "raw", "RGBA", 0, 1).convert("RGB").save(
        out, format="png", compress_level=PNG_COMPRESS_LEVEL, pnginfo=info, dpi=(dpi, dpi))
    return out.getvalue()


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Save ``fig`` as PNG or PDF (by the suffix) with the bundled font embedded; return the path.

    The file is written under a temporary name and renamed when complete, so an
    interrupted save never leaves a truncated image under ``path``. Inside :func:`map_cache` the image
    is encoded once (:func:`figure_bytes`) and reused.
    """
    out = Path(path)
    fmt = out.suffix.lower().lstrip(".") or "png"
    return atomic_write_bytes(out, figure_bytes(fig, fmt=fmt, dpi=dpi))


def figure_bytes(fig: Any, *, fmt: str = "png", dpi: int = 150) -> bytes:
    """``fig`` encoded as PNG or PDF in memory (no file, no temporary folder); once per figure, format and
    resolution inside :func:`map_cache`."""
    memo = _ACTIVE.get()
    key = ("image", id(fig), fmt, int(dpi))
    if memo is not None and (hit := memo.get(key)) is not None:
        return hit
    data = _png(fig, dpi) if fmt == "png" else None
    if data is None:
        buf = io.BytesIO()
        fig.savefig(buf, dpi=dpi, format=fmt, facecolor="white", metadata=_meta(fmt))
        data = buf.getvalue()
    if memo is not None:
        memo.put(key, data, keep=(fig,))
    return data


def iter_focus_codes(assessment: Assessment, *, limit: int) -> list[str]:
    """Jurisdiction codes that need attention (largest coverage gap first), at most ``limit``."""
    j = assessment.jurisdictions
    gap = pd.to_numeric(j.get("enterprise_gap", 0), errors="coerce").fillna(0) + \
        pd.to_numeric(j.get("social_gap", 0), errors="coerce").fillna(0)
    order = gap.sort_values(ascending=False, kind="stable")
    return [str(j.loc[i, "code"]) for i in order.index if order[i] > 0 and pd.notna(j.loc[i, "code"])][:limit]
