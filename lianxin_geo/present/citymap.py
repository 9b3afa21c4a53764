"""The whole city on a map and in tables: city → district → town (the app's 全市 page, issue 16).

A city run (``lianxin-geo city run C --out R``) leaves ``R/city.json``: the drill-down tree (the city, its
districts with their plans and run folders, each district's towns) with notes, ``partial`` and ``failures``;
``city assess --json`` prints the same tree without plans. :func:`read_city_run` / :func:`city_run_from_doc`
read either into a typed :class:`CityRun`; the rest of the module presents it over the city's boundaries
(:func:`lianxin_geo.ingest.city.load_city`):

* :func:`districts_layer` — the districts coloured by their organization-coverage rate against the profile's
  target (:func:`city_target`, the same scale as the town maps: :func:`~lianxin_geo.present.style.rate_color`);
* :func:`towns_layers` — one district's towns coloured the same way, with their names, as
  :class:`CityLayers` (what the app swaps into the city map without rebuilding it);
* :func:`city_base_map` / :func:`city_map` — the folium map of the city level (and of one district);
* :func:`area_table` / :func:`style_table` — the tables (区/镇街, 组织数, 组织覆盖率, 工作覆盖率, 未覆盖, 联建单位,
  路线, 新址; rates as percentages, what a tree does not hold shown as "—");
* :func:`clicked_district` — which district a click on the map named.

Every name from the tree or the boundaries reaches HTML through :func:`~lianxin_geo.present.style.esc`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from lianxin_geo.core.district import District
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.policy import Profile
from lianxin_geo.present.layers import basemap_shift, shift_geometry
from lianxin_geo.present.legend import legend_box, legend_rows
from lianxin_geo.present.maps import BASEMAPS, SelectionLayers, base_folium_map, control_hook, notes_control
from lianxin_geo.present.style import esc, num, pct, rate_color
from lianxin_geo.present import assets as _assets

__all__ = ["CITY_RUN_FILE", "CITY_RUN_KIND", "DEMO_LABEL", "APPROX_LABEL", "TABLE_COLUMNS", "Area", "CityLayers",
           "CityRun", "area_bounds", "area_table", "city_base_map", "city_legend_html", "city_map", "city_run_from_doc",
           "city_target", "clicked_district", "districts_layer", "read_city_run", "style_table", "towns_layers"]

#: The file of a city run folder that holds the drill-down tree.
CITY_RUN_FILE = "city.json"
#: ``kind`` of a city run's ``city.json`` (``lianxin-geo city run``).
CITY_RUN_KIND = "lianxin-city-run"
#: The label of synthetic city data (the city demo).
DEMO_LABEL = "演示数据（合成）"
#: The label of the city's town shapes (real names and codes, approximate polygons).
APPROX_LABEL = "镇街边界为示意"
#: Table columns in order: the level's name column comes first (``区`` or ``镇街``).
TABLE_COLUMNS: tuple[str, ...] = ("组织数", "组织覆盖率", "工作覆盖率", "未覆盖", "联建单位", "路线", "新址")
_PLAN_KEYS = {"joint_units": "联建单位", "routes": "路线", "new_sites": "新址"}
_LEVEL_NAMES = {"district": "区", "town": "乡镇/街道"}


def _int(value: object) -> int | None:
    v = num(value)
    return None if v is None else int(round(v))


@dataclass(frozen=True)
class Area:
    """One node of the drill-down: the city, a district or a town.

    Attributes
    ----------
    code, name
        The area's code (6 digits for the city and a district, 9 for a town) and name.
    orgs, uncovered
        Organizations, and those with neither an organization nor work coverage (``None``: not given).
    org_coverage_rate, work_coverage_rate
        Shares 0–1 (``None``: not given or no orgs).
    joint_units, routes, route_km, new_sites
        The district's plans (``None`` where the tree holds no plans: a tree from ``city assess``, a town).
    folder
        The district's run folder, relative to the city run folder (``None`` without one).
    partial
        True when the district's run did not finish every task (部分结果).
    failures
        What failed, in Chinese, one line each.
    children
        The city's districts, a district's towns (``()`` for a town).
    """

    code: str
    name: str
    orgs: int | None = None
    org_coverage_rate: float | None = None
    work_coverage_rate: float | None = None
    uncovered: int | None = None
    joint_units: int | None = None
    routes: int | None = None
    route_km: float | None = None
    new_sites: int | None = None
    folder: str | None = None
    partial: bool = False
    failures: tuple[str, ...] = ()
    children: tuple["Area", ...] = ()

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any], *, children_key: str | None) -> "Area":
        """The node of a ``city.json`` tree (``children_key``: ``districts``, ``towns`` or ``None``)."""
        plans = doc.get("plans") if isinstance(doc.get("plans"), Mapping) else {}
        kids = doc.get(children_key) if children_key else None
        nxt = {"districts": "towns", "towns": None}.get(children_key or "")
        return cls(code=str(doc.get("code") or ""), name=str(doc.get("name") or ""), orgs=_int(doc.get("orgs")),
                   org_coverage_rate=num(doc.get("org_coverage_rate")),
                   work_coverage_rate=num(doc.get("work_coverage_rate")), uncovered=_int(doc.get("uncovered")),
                   joint_units=_int(plans.get("joint_units")), routes=_int(plans.get("routes")),
                   route_km=num(plans.get("route_km")), new_sites=_int(plans.get("new_sites")),
                   folder=str(doc["folder"]) if doc.get("folder") else None, partial=bool(doc.get("partial")),
                   failures=tuple(_failure_text(f) for f in doc.get("failures") or ()),
                   children=tuple(cls.from_doc(k, children_key=nxt) for k in (kids or ()) if isinstance(k, Mapping)))

    @property
    def has_plans(self) -> bool:
        """True when the tree holds this area's plans."""
        return any(v is not None for v in (self.joint_units, self.routes, self.new_sites))


def _failure_text(item: object) -> str:
    """A failure of ``city.json`` as one Chinese line (a dict names the task and the reason)."""
    if isinstance(item, Mapping):
        who = " ".join(str(v) for v in dict.fromkeys(
            (item.get("district"), item.get("label") or item.get("name") or item.get("key"))) if v)
        why = item.get("reason") or item.get("error") or item.get("message") or ""
        return f"{who}：{why}" if who and why else str(who or why or json.dumps(dict(item), ensure_ascii=False))
    return str(item)


@dataclass(frozen=True)
class CityRun:
    """A city's drill-down tree as the app shows it.

    Attributes
    ----------
    city
        The root :class:`Area` (its children are the districts, theirs the towns).
    notes
        The run's notes (demo data, approximate boundaries …).
    partial, failures
        Whether some district's work did not finish, and what failed.
    seconds
        The run's wall time (``None`` if not given).
    folder
        The city run folder (``None`` for a tree not read from a folder).
    kind
        ``lianxin-city-run`` for a city run; ``city-assess`` for a tree without plans.
    profile
        The policy profile the run used (``None`` if the file does not say).
    """

    city: Area
    notes: tuple[str, ...] = ()
    partial: bool = False
    failures: tuple[str, ...] = ()
    seconds: float | None = None
    folder: Path | None = None
    kind: str = CITY_RUN_KIND
    profile: str | None = None
    stages: Mapping[str, Any] = field(default_factory=dict)

    @property
    def districts(self) -> tuple[Area, ...]:
        """The districts, in the tree's order."""
        return self.city.children

    def district(self, code: str) -> Area:
        """The district of ``code``.

        Raises
        ------
        KeyError
            No district of the tree has this code.
        """
        for d in self.districts:
            if d.code == str(code):
                return d
        raise KeyError(code)

    @property
    def synthetic(self) -> bool:
        """True when the data are the synthetic city demo (its notes say 演示数据)."""
        return any("演示数据" in n or "synthetic" in n.lower() for n in self.notes)

    @property
    def has_plans(self) -> bool:
        """True when the tree holds the districts' plans (a city run, not ``city assess``)."""
        return any(d.has_plans for d in self.districts)

    def district_folder(self, code: str) -> Path | None:
        """The run folder of district ``code`` (``None`` without one, or when it would leave the run folder)."""
        area = self.district(code)
        if self.folder is None or not area.folder:
            return None
        root = self.folder.resolve()
        path = (root / area.folder).resolve()
        return path if path.is_relative_to(root) and path.is_dir() else None

    def labels(self) -> list[str]:
        """The honesty labels of this run: 演示数据（合成） when synthetic, and 镇街边界为示意 always."""
        return ([DEMO_LABEL] if self.synthetic else []) + [APPROX_LABEL]


def city_run_from_doc(doc: Mapping[str, Any], *, folder: str | os.PathLike[str] | None = None) -> CityRun:
    """A :class:`CityRun` from a ``city.json`` of ``city run`` or the output of ``city assess --json``.

    Raises
    ------
    LianxinError
        The document holds no city tree (e.g. it is the manifest of a ``demo --city`` folder).
    """
    tree = doc.get("city") if isinstance(doc, Mapping) else None
    if not isinstance(tree, Mapping) or not isinstance(tree.get("districts"), list):
        hint = ("这是全市演示数据目录（lianxin-geo demo --city 写出的台账），不是运行结果：请先运行 "
                "lianxin-geo city run C --out R（C 为该目录），再指向结果目录 R"
                if isinstance(doc, Mapping) and isinstance(doc.get("districts"), list) else
                "文件中没有全市逐级汇总（city → districts → towns）")
        raise LianxinError(f"无法读取全市结果：{hint}")
    city = Area.from_doc(tree, children_key="districts")
    if not city.children:
        raise LianxinError("无法读取全市结果：结果中没有任何区")
    kind = str(doc.get("kind") or "city-assess")
    return CityRun(city=city, notes=tuple(str(n) for n in doc.get("notes") or ()), partial=bool(doc.get("partial"))
                   or any(d.partial for d in city.children),
                   failures=tuple(_failure_text(f) for f in doc.get("failures") or ()),
                   seconds=num(doc.get("seconds")), folder=Path(folder) if folder is not None else None, kind=kind,
                   profile=str(doc["profile"]) if doc.get("profile") else None,
                   stages=dict(doc.get("stages") or {}))


def read_city_run(folder: str | os.PathLike[str]) -> CityRun:
    """Read ``folder/city.json`` (a city run folder) into a :class:`CityRun`.

    Raises
    ------
    LianxinError
        No ``city.json`` in ``folder``, a file that is not JSON, or no city tree in it.
    """
    path = Path(folder) / CITY_RUN_FILE
    if not path.is_file():
        raise LianxinError(f"{folder} 中没有 {CITY_RUN_FILE}：请指定 lianxin-geo city run C --out R 写出的结果目录 R"
                           "（C 为全市目录）")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise LianxinError(f"{path} 不是有效的 JSON（{exc}）：请重新运行 lianxin-geo city run") from None
    return city_run_from_doc(doc, folder=folder)


def city_target(profile: Profile) -> float:
    """The rate the maps colour against: the profile's 非公企业 target (``targets.enterprise``), as on the
    town maps of the other pages."""
    return float(profile.get("targets.enterprise"))


# ---------------------------------------------------------------- tables
def area_table(areas: Iterable[Area], *, level: str = "district") -> pd.DataFrame:
    """The table of a level: ``区`` (``level="district"``) or ``镇街`` (``"town"``), then :data:`TABLE_COLUMNS`.

    Counts are nullable integers, rates shares 0–1 (``NaN`` when unknown); plans a tree does not hold are
    missing (shown as "—" by :func:`style_table`).
    """
    head = "区" if level == "district" else "镇街"
    rows = [{head: a.name, "组织数": a.orgs, "组织覆盖率": a.org_coverage_rate, "工作覆盖率": a.work_coverage_rate,
             "未覆盖": a.uncovered, "联建单位": a.joint_units, "路线": a.routes, "新址": a.new_sites} for a in areas]
    df = pd.DataFrame(rows, columns=[head, *TABLE_COLUMNS])
    for c in ("组织数", "未覆盖", "联建单位", "路线", "新址"):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    for c in ("组织覆盖率", "工作覆盖率"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    df[head] = df[head].astype(str)
    return df


def style_table(table: pd.DataFrame) -> Any:
    """``table`` with rates as percentages ("13.6%"), counts with thousands separators and "—" for missing."""
    fmt = {c: "{:.1%}" for c in ("组织覆盖率", "工作覆盖率") if c in table}
    fmt.update({c: "{:,}" for c in ("组织数", "未覆盖", "联建单位", "路线", "新址") if c in table})
    return table.style.format(fmt, na_rep="—")


# ---------------------------------------------------------------- layers
def _props(area: Area, *, level: str, approximate: bool) -> dict[str, str]:
    plans = ("—" if not area.has_plans else
             f"联建单位 {area.joint_units if area.joint_units is not None else '—'} 个；"
             f"路线 {area.routes if area.routes is not None else '—'} 条"
             + (f"（{area.route_km:,.1f} 公里）" if area.route_km is not None else "")
             + f"；建议新址 {area.new_sites if area.new_sites is not None else '—'} 处"
             + ("（部分结果）" if area.partial else ""))
    return {"name": esc(area.name), "code": esc(area.code), "level": _LEVEL_NAMES[level],
            "rate": pct(area.org_coverage_rate), "work": pct(area.work_coverage_rate),
            "orgs": "—" if area.orgs is None else f"{area.orgs:,}",
            "uncovered": "—" if area.uncovered is None else f"{area.uncovered:,}",
            "plans": plans, "note": (esc(APPROX_LABEL) + "（非官方）") if approximate else "区界（真实）"}


def _area_geojson(areas: Iterable[Area], geoms: Mapping[str, Any], *, level: str, target: float | None,
                  basemap: str, approximate: bool, group_name: str) -> Any:
    """A ``folium.FeatureGroup`` of ``areas`` (choropleth of the organization-coverage rate) and their names."""
    import folium

    shift = basemap_shift(basemap)
    feats = []
    for area in areas:
        geom = geoms.get(area.code)
        if geom is None or geom.is_empty:
            continue
        props = _props(area, level=level, approximate=approximate)
        props["_fill"] = rate_color(area.org_coverage_rate, target)
        g = shift_geometry(geom, shift) if basemap == "amap" else geom
        feats.append({"type": "Feature", "geometry": g.__geo_interface__, "properties": props})
    group = folium.FeatureGroup(name=group_name, show=True, overlay=True, control=True)
    dashed = "4 3" if approximate else None
    # a district's click goes down to it (the page shows its figures): only the towns open a popup
    popup = None if level == "district" else folium.GeoJsonPopup(
        fields=["name", "code", "orgs", "rate", "work", "uncovered", "note"],
        aliases=["名称", "代码", "组织数", "组织覆盖率", "工作覆盖率", "未覆盖", "边界"], labels=True, localize=False,
        max_width=360)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats}, name=group_name,
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#444444",
                                  "weight": 2.0 if level == "district" else 1.2, "fillOpacity": 0.45,
                                  "dashArray": dashed},
        highlight_function=lambda f: {"weight": 3, "fillOpacity": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["name", "rate", "plans"] if level == "district" else ["name", "rate"],
                                      aliases=[_LEVEL_NAMES[level], "组织覆盖率", "方案"][:3 if level == "district" else 2],
                                      labels=True, sticky=False),
        popup=popup,
    ).add_to(group)
    for area in areas:
        geom = geoms.get(area.code)
        if geom is None or geom.is_empty:
            continue
        p = geom.representative_point()
        xs, ys = shift([p.x], [p.y])
        size = 13 if level == "district" else 10
        folium.Marker(location=[float(ys[0]), float(xs[0])], interactive=False, icon=folium.DivIcon(
            html=f'<div class="lx-area-label" style="font:bold {size}px sans-serif;color:#222;white-space:nowrap;'
                 f'text-shadow:0 0 3px #fff,0 0 3px #fff;transform:translate(-50%,-50%)">{esc(area.name)}</div>',
            icon_size=(0, 0), icon_anchor=(0, 0))).add_to(group)
    return group


def districts_layer(city: District, run: CityRun, *, target: float | None, basemap: str = "none") -> Any:
    """The city's districts (real outlines) coloured by organization-coverage rate against ``target``, named."""
    geoms = dict(zip(city.districts["code"].astype(str), city.districts.geometry.values))
    return _area_geojson(run.districts, geoms, level="district", target=target, basemap=basemap, approximate=False,
                         group_name="区（组织覆盖率）")


def city_legend_html(level: str, *, target: float | None) -> str:
    """The legend's inner HTML: the rate classes of the districts (``level="district"``) or of the towns."""
    rows = legend_rows(["boundaries"], target=target)[0][1]
    if level == "district":
        rows = [r for r in rows if "虚线" not in r[1]]
    head = "组织覆盖率（区）" if level == "district" else "组织覆盖率（镇街）"
    return (f'<div class="lx-legend-group"><b>{esc(head)}</b>'
            + "".join(f"<div>{sym}{label}</div>" for sym, label in rows) + "</div>")


@dataclass
class CityLayers(SelectionLayers):
    """The layers swapped into the city map for one level (empty at the city level), with that level's legend."""

    legend: str = ""

    def legend_html(self) -> str:
        """The legend of the level shown."""
        return self.legend


def towns_layers(city: District, run: CityRun, code: str | None, *, target: float | None,
                 basemap: str = "none") -> CityLayers:
    """The towns of district ``code`` (approximate shapes) coloured by their rate, named; ``None``: the city
    level (no layer, the districts' legend)."""
    if code is None:
        return CityLayers(groups=[], shown=[], legend_layers=[], counts=None, target=target,
                          legend=city_legend_html("district", target=target))
    area = run.district(code)
    jur = city.jurisdictions
    jur = jur[jur["district_code"].astype(str) == str(code)]
    geoms = dict(zip(jur["code"].astype(str), jur.geometry.values))
    group = _area_geojson(area.children, geoms, level="town", target=target, basemap=basemap, approximate=True,
                          group_name=f"{area.name}镇街（组织覆盖率）")
    return CityLayers(groups=[group], shown=[True], legend_layers=["boundaries"], counts=None, target=target,
                      legend=city_legend_html("town", target=target))


def area_bounds(city: District, code: str | None) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` lon/lat of district ``code`` (``None``: the city)."""
    if code is None:
        return city.bounds
    return city.subdistrict(code).bounds


def city_base_map(city: District, run: CityRun, *, target: float | None, basemap: str = "none",
                  tianditu_key: str | None = None, asset_base: str | None = None, height: int | str = "100%") -> Any:
    """The city map that does not change with the drill-down: the districts, their names, the honesty note, the
    legend box and the layer switcher (``window.__lx_ctl``, for :func:`towns_layers`)."""
    import folium

    if basemap not in BASEMAPS:
        raise ValueError(f"未知底图 {basemap!r}：可选 {', '.join(BASEMAPS)}")
    m = base_folium_map(city.bounds, basemap=basemap, tianditu_key=tianditu_key, zoom=8, height=height)
    districts_layer(city, run, target=target, basemap=basemap).add_to(m)
    m.add_child(notes_control([" / ".join(run.labels()) + "（区界真实）"]))
    m.add_child(legend_box(city_legend_html("district", target=target)))
    control = folium.LayerControl(collapsed=False)
    control.add_to(m)
    m.add_child(control_hook(control))
    minx, miny, maxx, maxy = city.bounds
    (x0, x1), (y0, y1) = basemap_shift(basemap)(np.array([minx, maxx]), np.array([miny, maxy]))
    m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]])
    _assets.localize(m, base_url=asset_base)
    return m


def city_map(city: District, run: CityRun, *, district: str | None = None, target: float | None,
             basemap: str = "none", asset_base: str | None = None) -> Any:
    """The whole map of one level (the base map with the district's towns and view): for files and tests; the app
    draws :func:`city_base_map` once and swaps :func:`towns_layers` in."""
    m = city_base_map(city, run, target=target, basemap=basemap, asset_base=asset_base)
    layers = towns_layers(city, run, district, target=target, basemap=basemap)
    for g in layers.groups:
        g.add_to(m)
    if district is not None:
        minx, miny, maxx, maxy = area_bounds(city, district)
        (x0, x1), (y0, y1) = basemap_shift(basemap)(np.array([minx, maxx]), np.array([miny, maxy]))
        m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]])
    _assets.localize(m, base_url=asset_base)
    return m


def clicked_district(run: CityRun, tooltip: object) -> str | None:
    """The district a click on the city map named: its tooltip starts with “区” and holds the district's name
    (``None`` for a town, or anything else)."""
    text = " ".join(str(tooltip or "").split())
    if not text.startswith("区"):
        return None
    for area in sorted(run.districts, key=lambda a: -len(a.name)):
        if area.name and area.name in text:
            return area.code
    return None
