"""Charts for the app (altair / Vega-Lite): pure builders on DataFrames, every label Chinese.

The deck draws the same views with matplotlib (:mod:`lianxin_geo.present.charts`); these are interactive
(tooltips) and take only frames and numbers, so they are tested without Streamlit:

* :func:`town_rates_chart` — each town's rate, sorted bars coloured against the profile target, the target as a rule;
* :func:`district_rates_chart` — the district's three rates as bullets (grey 0–100 % track, the rate, the target tick);
* :func:`status_mix_chart` — each town's organizations by coverage status (stacked shares);
* :func:`unit_sizes_chart` — joint units by number of member organizations;
* :func:`route_lengths_chart` — instructor route-days by kilometres (or minutes), the working day marked;
* :func:`rounds_chart` — the three rates over the ledger rounds.

Every builder also has a ``*_data`` function returning the tidy frame it draws (Chinese column names), which the
screen export writes to the xlsx and the tests check. Colours are those of the maps (:mod:`lianxin_geo.present.style`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from lianxin_geo.core.errors import require
from lianxin_geo.present.style import RATE_TARGET_MET, STATUS_COLORS, rate_color

__all__ = ["RATE_NAMES", "STATUS_PARTS", "district_rates_chart", "district_rates_data", "rounds_chart", "rounds_data",
           "route_lengths_chart", "route_lengths_data", "status_mix_chart", "status_mix_data", "town_rates_chart",
           "town_rates_data", "unit_sizes_chart", "unit_sizes_data"]

#: Rate column -> Chinese name.
RATE_NAMES: dict[str, str] = {"org_coverage_rate": "组织覆盖率", "single_rate": "单独组建率",
                              "work_coverage_rate": "工作覆盖率",
                              "enterprise_org_coverage_rate": "非公企业组织覆盖率",
                              "social_org_coverage_rate": "社会组织组织覆盖率"}
#: Count column of a town -> coverage status (the order of the stacked bars).
STATUS_PARTS: tuple[tuple[str, str], ...] = (("own", "单独建立"), ("joint", "联合建立"), ("work_only", "仅工作覆盖"),
                                              ("uncovered", "未覆盖"))
_FONT = "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"


def _alt() -> Any:
    return require("altair", extra="app", purpose="应用中的图表")


def _config(chart: Any, *, dark: bool = False, size: int = 13) -> Any:
    """Fonts that show Chinese, no chart border; light text on a transparent background when ``dark``."""
    fg = "#e8e8e8" if dark else "#333333"
    return (chart.configure(font=_FONT, background="transparent")
            .configure_view(stroke=None)
            .configure_axis(labelFontSize=size, titleFontSize=size, labelColor=fg, titleColor=fg,
                            gridColor="#555555" if dark else "#e6e6e6", labelLimit=220)
            .configure_legend(labelFontSize=size, titleFontSize=size, labelColor=fg, titleColor=fg, orient="top")
            .configure_title(fontSize=size + 3, color=fg, anchor="start"))


def _towns(j: pd.DataFrame) -> pd.DataFrame:
    """The rows of real towns (a code and a name: not the 未定位 row)."""
    if j is None or not len(j):
        return pd.DataFrame(columns=["code", "name"])
    return j[j["code"].notna() & j["name"].notna()]


def town_rates_data(jurisdictions: pd.DataFrame, *, target: float | None,
                    rate: str = "org_coverage_rate") -> pd.DataFrame:
    """``乡镇/街道, 代码, 比率, 比率文本, 单位数, 达标, 颜色`` sorted from the lowest rate (missing rates last)."""
    j = _towns(jurisdictions)
    r = pd.to_numeric(j.get(rate, pd.Series(np.nan, index=j.index)), errors="coerce")
    df = pd.DataFrame({"乡镇/街道": j["name"].astype(str).to_numpy(), "代码": j["code"].astype(str).to_numpy(),
                       "比率": r.to_numpy(dtype=float),
                       "单位数": pd.to_numeric(j.get("orgs", 0), errors="coerce").fillna(0).astype(int).to_numpy()})
    df["比率文本"] = [("—" if pd.isna(v) else f"{v:.1%}") for v in df["比率"]]
    df["达标"] = ["—" if pd.isna(v) or target is None else ("是" if v >= float(target) else "否") for v in df["比率"]]
    df["颜色"] = [rate_color(None if pd.isna(v) else float(v), target) for v in df["比率"]]
    return df.sort_values("比率", ascending=True, kind="stable", na_position="last").reset_index(drop=True)


def town_rates_chart(jurisdictions: pd.DataFrame, *, target: float | None, rate: str = "org_coverage_rate",
                     title: str | None = None, dark: bool = False, height: int | None = None,
                     font_size: int = 13) -> Any:
    """Each town's ``rate`` as a sorted horizontal bar, coloured like the map, the ``target`` as a dashed rule."""
    alt = _alt()
    df = town_rates_data(jurisdictions, target=target, rate=rate)
    order = df["乡镇/街道"].tolist()
    name = RATE_NAMES.get(rate, "比率")
    h = height or max(160, 22 * len(df))
    base = alt.Chart(df).encode(y=alt.Y("乡镇/街道:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)))
    bars = base.mark_bar().encode(
        x=alt.X("比率:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%")),
        color=alt.Color("颜色:N", scale=None, legend=None),
        tooltip=[alt.Tooltip("乡镇/街道:N"), alt.Tooltip("比率文本:N", title=name), alt.Tooltip("单位数:Q"),
                 alt.Tooltip("达标:N")])
    labels = base.mark_text(align="left", dx=3, fontSize=font_size - 2, color="#e8e8e8" if dark else "#333333"
                            ).encode(x=alt.X("比率:Q"), text=alt.Text("比率文本:N"))
    layers = [bars, labels]
    if target is not None:
        rule = pd.DataFrame({"目标": [float(target)], "目标文本": [f"目标 {float(target):.1%}"]})
        layers.append(alt.Chart(rule).mark_rule(color=RATE_TARGET_MET, strokeDash=[6, 4], size=2).encode(
            x="目标:Q", tooltip=[alt.Tooltip("目标文本:N", title="目标")]))
    chart = alt.layer(*layers).properties(
        height=h, title=title or f"各乡镇/街道{name}（由低到高，虚线为目标）")
    return _config(chart, dark=dark, size=font_size)


def district_rates_data(summary: pd.DataFrame | Mapping[str, Any], *,
                        targets: Mapping[str, float] | None = None) -> pd.DataFrame:
    """``指标, 比率, 比率文本, 目标, 目标文本`` of the three rates; ``summary`` is the district summary (its 合计 row is
    used) or a mapping ``rate column -> value``; ``targets`` maps a rate column to its target."""
    if isinstance(summary, pd.DataFrame):
        ds = summary.set_index("org_kind") if "org_kind" in summary else summary
        row = ds.loc["合计"] if "合计" in ds.index else ds.iloc[0]
        values = {k: row.get(k) for k in ("org_coverage_rate", "single_rate", "work_coverage_rate")}
    else:
        values = {k: summary.get(k) for k in ("org_coverage_rate", "single_rate", "work_coverage_rate")}
    rows = []
    for k, v in values.items():
        v = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
        t = (targets or {}).get(k)
        rows.append({"指标": RATE_NAMES[k], "比率": float(v) if pd.notna(v) else np.nan,
                     "比率文本": "—" if pd.isna(v) else f"{float(v):.1%}",
                     "目标": float(t) if t is not None else np.nan,
                     "目标文本": "—" if t is None else f"{float(t):.1%}"})
    return pd.DataFrame(rows)


def district_rates_chart(summary: pd.DataFrame | Mapping[str, Any], *, targets: Mapping[str, float] | None = None,
                         title: str = "全区三率", dark: bool = False, font_size: int = 13,
                         height: int | None = None) -> Any:
    """The three rates as bullets: a grey 0–100 % track, the rate as a bar, the target (where there is one) a tick."""
    alt = _alt()
    df = district_rates_data(summary, targets=targets)
    df["满分"] = 1.0
    order = df["指标"].tolist()
    y = alt.Y("指标:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False))
    h = height or 150
    base = alt.Chart(df)  # one data set for every layer: the bands are shared and sized relative to them
    track = base.mark_bar(color="#555555" if dark else "#eeeeee", height={"band": 0.8}).encode(
        y=y, x=alt.X("满分:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%"), title=None))
    bar = base.mark_bar(color="#2c7fb8", height={"band": 0.4}).encode(
        y=y, x="比率:Q", tooltip=[alt.Tooltip("指标:N"), alt.Tooltip("比率文本:N", title="比率"),
                                  alt.Tooltip("目标文本:N", title="目标")])
    text = base.mark_text(align="left", dx=4, fontSize=font_size, fontWeight="bold",
                          color="#e8e8e8" if dark else "#333333").encode(y=y, x="比率:Q", text="比率文本:N")
    tick = base.mark_tick(color="#d7191c", thickness=3).encode(
        y=y, x="目标:Q", tooltip=[alt.Tooltip("目标文本:N", title="目标")]).transform_filter("isValid(datum['目标'])")
    chart = alt.layer(track, bar, text, tick).properties(height=h, title=title)
    return _config(chart, dark=dark, size=font_size)


def status_mix_data(jurisdictions: pd.DataFrame) -> pd.DataFrame:
    """Long ``乡镇/街道, 覆盖状态, 单位数, 占比, 占比文本`` for towns with organizations, towns ordered by the share
    uncovered (highest first)."""
    j = _towns(jurisdictions)
    n = pd.to_numeric(j.get("orgs", 0), errors="coerce").fillna(0)
    j = j[n > 0]
    n = n[n > 0].astype(float)
    rows = []
    for (_, r), total in zip(j.iterrows(), n):
        for col, label in STATUS_PARTS:
            c = int(pd.to_numeric(pd.Series([r.get(col)]), errors="coerce").fillna(0).iloc[0])
            rows.append({"乡镇/街道": str(r["name"]), "覆盖状态": label, "单位数": c, "占比": c / total,
                         "占比文本": f"{c / total:.1%}"})
    df = pd.DataFrame(rows, columns=["乡镇/街道", "覆盖状态", "单位数", "占比", "占比文本"])
    if len(df):
        un = df[df["覆盖状态"] == "未覆盖"].set_index("乡镇/街道")["占比"]
        rank = {t: i for i, t in enumerate(un.sort_values(ascending=False, kind="stable").index)}
        df = df.assign(_k=df["乡镇/街道"].map(rank)).sort_values("_k", kind="stable").drop(columns="_k")
    return df.reset_index(drop=True)


def status_mix_chart(jurisdictions: pd.DataFrame, *, title: str = "各乡镇/街道覆盖状态构成（按未覆盖比例排序）",
                     dark: bool = False, font_size: int = 13) -> Any:
    """Each town's organizations by status as stacked shares, in the map's status colours."""
    alt = _alt()
    df = status_mix_data(jurisdictions)
    labels = [label for _, label in STATUS_PARTS]
    df["_o"] = df["覆盖状态"].map({s: i for i, s in enumerate(labels)})
    order = list(dict.fromkeys(df["乡镇/街道"]))
    chart = alt.Chart(df).mark_bar().encode(
        y=alt.Y("乡镇/街道:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)),
        x=alt.X("占比:Q", stack="normalize", axis=alt.Axis(format=".0%"), title="占本镇街单位的比例"),
        color=alt.Color("覆盖状态:N", scale=alt.Scale(domain=labels, range=[STATUS_COLORS[s] for s in labels]),
                        title="覆盖状态"),
        order=alt.Order("_o:Q"),
        tooltip=[alt.Tooltip("乡镇/街道:N"), alt.Tooltip("覆盖状态:N"), alt.Tooltip("单位数:Q"),
                 alt.Tooltip("占比文本:N", title="占比")],
    ).properties(height=max(160, 22 * len(order)), title=title)
    return _config(chart, dark=dark, size=font_size)


def unit_sizes_data(units: pd.DataFrame) -> pd.DataFrame:
    """``每个单元的单位数, 形式, 联建单元数`` of the joint units (``org_ids`` lists; ``form`` when the plan has it)."""
    if units is None or not len(units):
        return pd.DataFrame(columns=["每个单元的单位数", "形式", "联建单元数"])
    n = units["org_ids"].map(len).astype(int)
    form = units["form"].astype(str) if "form" in units else pd.Series("联建单元", index=units.index)
    df = (pd.DataFrame({"每个单元的单位数": n, "形式": form}).groupby(["每个单元的单位数", "形式"], sort=True)
          .size().rename("联建单元数").reset_index())
    return df


def unit_sizes_chart(units: pd.DataFrame, *, title: str | None = None, dark: bool = False,
                     font_size: int = 13) -> Any:
    """Joint units by number of member organizations (stacked by form)."""
    alt = _alt()
    df = unit_sizes_data(units)
    total = int(df["联建单元数"].sum()) if len(df) else 0
    chart = alt.Chart(df).mark_bar().encode(
        x=alt.X("每个单元的单位数:O", title="每个单元的单位数"),
        y=alt.Y("联建单元数:Q", title="联建单元（个）"),
        color=alt.Color("形式:N", title="形式"),
        tooltip=[alt.Tooltip("每个单元的单位数:O"), alt.Tooltip("形式:N"), alt.Tooltip("联建单元数:Q")],
    ).properties(height=260, title=title or f"联建单元规模（共 {total} 个）")
    return _config(chart, dark=dark, size=font_size)


def route_lengths_data(routes: pd.DataFrame, *, measure: str = "length_km") -> pd.DataFrame:
    """``指导员, 路线, 站点数, 里程（公里）, 用时（分钟）`` per route-day (rows without a value dropped)."""
    cols = {"instructor": "指导员", "route": "路线", "stops": "站点数", "length_km": "里程（公里）",
            "minutes": "用时（分钟）"}
    if routes is None or not len(routes):
        return pd.DataFrame(columns=list(cols.values()))
    df = routes[[c for c in cols if c in routes]].rename(columns=cols).copy()
    key = cols[measure]
    if key in df:
        df[key] = pd.to_numeric(df[key], errors="coerce")
        df = df.dropna(subset=[key])
    return df.reset_index(drop=True)


def route_lengths_chart(routes: pd.DataFrame, *, measure: str = "length_km", working_day: float | None = None,
                        title: str | None = None, dark: bool = False, font_size: int = 13,
                        bins: int = 20) -> Any:
    """Route-days by ``measure`` (``length_km`` or ``minutes``) as a histogram; ``working_day`` minutes a rule."""
    alt = _alt()
    df = route_lengths_data(routes, measure=measure)
    key = "里程（公里）" if measure == "length_km" else "用时（分钟）"
    layers = [alt.Chart(df).mark_bar(color="#377eb8").encode(
        x=alt.X(f"{key}:Q", bin=alt.Bin(maxbins=bins), title=key),
        y=alt.Y("count():Q", title="路线（条）"),
        tooltip=[alt.Tooltip(f"{key}:Q", bin=alt.Bin(maxbins=bins), title=key),
                 alt.Tooltip("count():Q", title="路线（条）")])]
    if working_day is not None and measure == "minutes":
        rule = pd.DataFrame({key: [float(working_day)], "说明": [f"一天上限 {float(working_day):.0f} 分钟"]})
        layers.append(alt.Chart(rule).mark_rule(color="#d7191c", strokeDash=[6, 4], size=2).encode(
            x=f"{key}:Q", tooltip=[alt.Tooltip("说明:N")]))
    longest = f"，最长 {df[key].max():.1f}" if len(df) and key in df else ""
    chart = alt.layer(*layers).properties(height=260, title=title or f"指导员路线{key[:2]}：共 {len(df)} 条{longest}")
    return _config(chart, dark=dark, size=font_size)



def rounds_data(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Long ``轮次, 指标, 比率, 比率文本`` from ``[{"round": name, "org_coverage_rate": …, …}, …]`` (oldest first)."""
    out = []
    for r in rows:
        for k in ("org_coverage_rate", "single_rate", "work_coverage_rate"):
            v = pd.to_numeric(pd.Series([r.get(k)]), errors="coerce").iloc[0]
            out.append({"轮次": str(r.get("round")), "指标": RATE_NAMES[k], "比率": float(v) if pd.notna(v) else np.nan,
                        "比率文本": "—" if pd.isna(v) else f"{float(v):.1%}"})
    return pd.DataFrame(out, columns=["轮次", "指标", "比率", "比率文本"])


def rounds_chart(rows: Sequence[Mapping[str, Any]], *, title: str = "三率随轮次变化", dark: bool = False,
                 font_size: int = 13, height: int = 220) -> Any:
    """The three rates over the rounds (lines with points), one colour per rate."""
    alt = _alt()
    df = rounds_data(rows)
    order = list(dict.fromkeys(df["轮次"]))
    chart = alt.Chart(df.dropna(subset=["比率"])).mark_line(point=True).encode(
        x=alt.X("轮次:N", sort=order, title="台账轮次"),
        y=alt.Y("比率:Q", axis=alt.Axis(format=".0%"), title=None, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("指标:N", title="指标", sort=[RATE_NAMES[k] for k in ("org_coverage_rate", "single_rate",
                                                                           "work_coverage_rate")]),
        tooltip=[alt.Tooltip("轮次:N"), alt.Tooltip("指标:N"), alt.Tooltip("比率文本:N", title="比率")],
    ).properties(height=height, title=title)
    return _config(chart, dark=dark, size=font_size)
