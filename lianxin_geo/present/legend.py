"""Map furniture that explains the map: one legend for every drawn layer, town labels, a metric scale.

* :func:`legend_control` — a fixed box listing, for each layer on the map, what its symbols mean: the
  choropleth's classes against the profile's target, each coverage status with its count, joint-unit hubs,
  route stops, service centers and their reach, gap hexagons and proposed sites. Built only from the
  colours the layers really use (:mod:`lianxin_geo.present.style`).
* :func:`town_labels` — the town/street names at their representative points, as a layer of its own.
* :func:`map_chrome` — a metric-only scale bar and an attribution without icons (Leaflet's default
  prefix carries a flag icon).

Every string that comes from data (town names) goes through :func:`~lianxin_geo.present.style.esc`, which
also neutralises the template engine's syntax: these elements are rendered by Jinja2.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from lianxin_geo.core.district import District
from lianxin_geo.present.density import DENSITY_CLASSES
from lianxin_geo.present.style import RATE_BANDS, RATE_MISSING, STATUS_COLORS, esc

__all__ = ["LEGEND_TITLES", "legend_rows", "legend_body", "legend_box",
           "legend_control", "town_labels", "map_chrome", "LABEL_LAYER_NAME",
           "CHANGE_BANDS", "change_color", "change_layer"]

#: Layer key -> the legend's heading for it.
LEGEND_TITLES: dict[str, str] = {
    "boundaries": "组织覆盖率（镇街）",
    "orgs": "两新组织覆盖状态",
    "buildings": "商务楼宇",
    "parks": "园区",
    "centers": "党群活动服务中心",
    "units": "联建方案",
    "routes": "指导员路线",
    "gaps": "覆盖缺口",
    "sites": "建议新增阵地",
    "change": "组织覆盖率变化（两轮之间）",
    "density": "两新组织密度（每个六边形约 0.7 平方公里）",
}

LABEL_LAYER_NAME = "镇街名称"

#: ``(lower bound in percentage points, colour, label)`` of a rate's change between two rounds, best first.
CHANGE_BANDS: tuple[tuple[float, str, str], ...] = (
    (5.0, "#1a9641", "提升 5 个百分点以上"),
    (0.0, "#a6d96a", "提升 0–5 个百分点（含持平）"),
    (-5.0, "#fdae61", "下降 0–5 个百分点"),
    (float("-inf"), "#d7191c", "下降 5 个百分点以上"),
)

_DOT = ('<span style="display:inline-block;width:10px;height:10px;border-radius:5px;background:{c};'
        'border:1px solid {b};margin-right:4px;vertical-align:middle"></span>')
_BOX = ('<span style="display:inline-block;width:12px;height:10px;background:{c};border:1px solid #444;'
        'margin-right:4px;vertical-align:middle;opacity:.8"></span>')
_LINE = ('<span style="display:inline-block;width:16px;height:0;border-top:3px solid {c};margin-right:4px;'
         'vertical-align:middle"></span>')
_RING = ('<span style="display:inline-block;width:12px;height:12px;border-radius:6px;border:1px solid {c};'
         'background:rgba(106,61,154,.08);margin-right:4px;vertical-align:middle"></span>')


def _pct(v: float) -> str:
    return f"{v:.0%}" if abs(v * 100 - round(v * 100)) < 1e-9 else f"{v:.1%}"


def legend_rows(layers: Iterable[str], *, target: float | None = None,
                status_counts: Mapping[str, int] | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(heading, [(symbol html, label), ...])`` for each legend-worthy layer, in drawing order.

    Labels are escaped here; the symbol HTML is built only from the module's own colours.
    """
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for key in layers:
        rows: list[tuple[str, str]] = []
        if key == "boundaries":
            t = f"（目标 {_pct(target)}）" if target else ""
            for color, label in RATE_BANDS:
                rows.append((_BOX.format(c=color), esc(label + (t if color == RATE_BANDS[0][0] else ""))))
            rows.append((_BOX.format(c=RATE_MISSING), esc("无数据")))
            rows.append((_BOX.format(c="transparent").replace("solid", "dashed"), esc("虚线边框：示意边界（非官方）")))
        elif key == "orgs":
            counts = dict(status_counts or {})
            for status, color in STATUS_COLORS.items():
                if status_counts is not None and not counts.get(status):
                    continue
                n = f"（{int(counts[status]):,} 个）" if status in counts else ""
                rows.append((_DOT.format(c=color, b="#ffffff"), esc(status + n)))
        elif key == "density":
            for _, color, label in DENSITY_CLASSES:
                rows.append((_BOX.format(c=color), esc(label)))
        elif key == "change":
            for _, color, label in CHANGE_BANDS:
                rows.append((_BOX.format(c=color), esc(label)))
            rows.append((_BOX.format(c=RATE_MISSING), esc("无数据（新增或撤并的镇街）")))
        elif key == "buildings":
            rows.append((_DOT.format(c="#8c6d31", b="#ffffff"), esc("商务楼宇")))
        elif key == "parks":
            rows.append((_DOT.format(c="#1f78b4", b="#ffffff"), esc("园区")))
        elif key == "centers":
            rows.append((_DOT.format(c="#6a3d9a", b="#ffffff"), esc("党群活动服务中心")))
            rows.append((_RING.format(c="#6a3d9a"), esc("服务范围（服务半径）")))
        elif key == "units":
            rows.append((_DOT.format(c="#e41a1c", b="#000000"), esc("牵头单位（黑边圆点，颜色区分联建单元）")))
            rows.append((_LINE.format(c="#e41a1c"), esc("成员单位连线")))
        elif key == "routes":
            rows.append((_LINE.format(c="#377eb8"), esc("走访路线（颜色区分指导员）")))
            rows.append(('<span style="display:inline-block;width:14px;height:14px;border-radius:7px;background:#377eb8;'
                         'color:#fff;font:bold 9px sans-serif;text-align:center;line-height:14px;margin-right:4px">1</span>',
                         esc("走访顺序")))
        elif key == "gaps":
            rows.append((_BOX.format(c="#e31a1c"), esc("未覆盖组织较多的六边形（越深越多）")))
        elif key == "sites":
            rows.append((_DOT.format(c="#ffd700", b="#000000"), esc("建议新增党群活动服务中心")))
        if rows:
            out.append((esc(LEGEND_TITLES.get(key, key)), rows))
    return out


def legend_body(layers: Iterable[str], *, target: float | None = None,
                status_counts: Mapping[str, int] | None = None) -> str:
    """The legend's inner HTML for ``layers`` (empty when nothing needs explaining)."""
    groups = legend_rows(layers, target=target, status_counts=status_counts)
    return "".join(
        f'<div class="lx-legend-group"><b>{head}</b>'
        + "".join(f"<div>{sym}{label}</div>" for sym, label in rows) + "</div>"
        for head, rows in groups)


def legend_control(layers: Iterable[str], *, target: float | None = None,
                   status_counts: Mapping[str, int] | None = None, always: bool = False) -> Any:
    """A fixed legend box for ``layers`` (a ``branca`` element; ``None`` when nothing needs explaining, unless
    ``always``: the app refills an empty box when the selection changes)."""
    body = legend_body(layers, target=target, status_counts=status_counts)
    if not body and not always:
        return None
    return legend_box(body)


def legend_box(body: str) -> Any:
    """The fixed legend box around ``body`` (HTML, already escaped): top left under the zoom buttons (the scale bar
    keeps the bottom left), under the popups (Leaflet's popup pane is z-index 700): an open card is never hidden."""
    from branca.element import MacroElement, Template

    tpl = ("{% macro html(this, kwargs) %}<div class=\"lx-legend\" style=\"position:absolute;top:80px;left:10px;"
           "z-index:640;background:rgba(255,255,255,.92);padding:4px 8px;font:12px sans-serif;border-radius:4px;"
           "max-height:calc(100% - 130px);overflow:auto;box-shadow:0 1px 4px rgba(0,0,0,.3)\">" + body
           + "</div>{% endmacro %}")
    el = MacroElement()
    el._template = Template(tpl)
    return el


def town_labels(district: District, *, shift: Any = None, show: bool = True) -> Any:
    """Town/street names at each polygon's representative point, as one switchable layer."""
    import folium

    group = folium.FeatureGroup(name=LABEL_LAYER_NAME, show=show, overlay=True, control=True)
    for row in district.jurisdictions.itertuples(index=False):
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        p = geom.representative_point()
        x, y = float(p.x), float(p.y)
        if shift is not None:
            xs, ys = shift([x], [y])
            x, y = float(xs[0]), float(ys[0])
        name = esc(row.name)
        folium.Marker(
            location=[y, x],
            icon=folium.DivIcon(
                html=f'<div class="lx-town-label" style="font:bold 12px sans-serif;color:#333;white-space:nowrap;'
                     f'text-shadow:0 0 3px #fff,0 0 3px #fff;transform:translate(-50%,-50%)">{name}</div>',
                icon_size=(0, 0), icon_anchor=(0, 0)),
            interactive=False,
        ).add_to(group)
    return group


def map_chrome() -> Any:
    """A metric-only scale bar and an icon-free attribution prefix (add to a ``folium.Map`` built with
    ``control_scale=False``)."""
    from branca.element import MacroElement, Template

    tpl = ("{% macro script(this, kwargs) %}"
           "(function(){var m = {{ this._parent.get_name() }};"
           "L.control.scale({metric: true, imperial: false}).addTo(m);"
           "if (m.attributionControl) { m.attributionControl.setPrefix('Leaflet'); }})();"
           "{% endmacro %}")
    el = MacroElement()
    el._template = Template(tpl)
    return el


def change_color(delta_pp: float | None) -> str:
    """The colour of a change of a rate (percentage points) between two rounds (:data:`CHANGE_BANDS`)."""
    if delta_pp is None or delta_pp != delta_pp:
        return RATE_MISSING
    for bound, color, _ in CHANGE_BANDS:
        if delta_pp >= bound:
            return color
    return CHANGE_BANDS[-1][1]


def change_layer(district: District, rates: Mapping[str, tuple[float | None, float | None]], *,
                 name: str = "组织覆盖率变化", show: bool = True) -> Any:
    """Towns coloured by the change of a rate between two rounds.

    ``rates`` maps a town code to ``(from, to)`` shares (0–1, ``None`` when the town had no figure).
    """
    import folium

    feats = []
    for row in district.jurisdictions.itertuples(index=False):
        a, b = rates.get(str(row.code), (None, None))
        delta = None if a is None or b is None else (b - a) * 100
        props = {"name": esc(row.name), "from": "—" if a is None else f"{a:.1%}", "to": "—" if b is None else f"{b:.1%}",
                 "delta": "—" if delta is None else f"{delta:+.1f} 个百分点", "_fill": change_color(delta)}
        feats.append({"type": "Feature", "geometry": row.geometry.__geo_interface__, "properties": props})
    group = folium.FeatureGroup(name=name, show=show, overlay=True, control=True)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats}, name=name,
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#444444", "weight": 1.2,
                                  "fillOpacity": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["name", "delta"], aliases=["乡镇/街道", "变化"]),
        popup=folium.GeoJsonPopup(fields=["name", "from", "to", "delta"], aliases=["名称", "上轮", "本轮", "变化"]),
    ).add_to(group)
    return group
