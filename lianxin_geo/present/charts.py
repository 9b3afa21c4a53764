"""Charts where people would rather look than read (matplotlib, the bundled CJK font): each returns a
``matplotlib.figure.Figure`` (no pyplot state), for the deck and for any front end.

* :func:`town_rates_figure` — every town's organization coverage rate as a sorted bar against the profile's target;
* :func:`district_rates_figure` — the district's three rates as bullet bars (target marked where the profile has one);
* :func:`status_mix_figure` — the mix of coverage statuses per town (stacked shares);
* :func:`unit_sizes_figure` — joint units by number of orgs, stacked by form;
* :func:`route_minutes_figure` — instructor route-days by minutes, with the working day marked.

Colours are those of the maps (:mod:`lianxin_geo.present.style`); every label is Chinese.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lianxin_geo.assessment import Assessment
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.present.staticmap import font_family
from lianxin_geo.present.style import PALETTE, RATE_TARGET_MET, STATUS_COLORS, num, rate_color

__all__ = ["town_rates_figure", "district_rates_figure", "status_mix_figure", "unit_sizes_figure",
           "route_minutes_figure", "RATE_NAMES"]

#: District rate -> Chinese name.
RATE_NAMES = {"org_coverage_rate": "组织覆盖率", "single_rate": "单独组建率", "work_coverage_rate": "工作覆盖率"}
_STATUS_COLUMNS = (("own", "单独建立"), ("joint", "联合建立"), ("work_only", "仅工作覆盖"), ("uncovered", "未覆盖"))


def _figure(size: tuple[float, float]) -> tuple[Any, Any, list[str]]:
    from matplotlib.figure import Figure

    fam = font_family()
    fig = Figure(figsize=size)
    ax = fig.add_subplot(1, 1, 1)
    return fig, ax, fam


def _style(ax: Any, fam: list[str], title: str) -> None:
    ax.set_title(title, fontfamily=fam, fontsize=13, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontfamily(fam)


def _pct_axis(ax: Any, axis: str = "x") -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))


def town_rates_figure(assessment: Assessment, *, target: float | None, rate: str = "org_coverage_rate",
                      size: tuple[float, float] = (11.0, 6.2)) -> Any:
    """Each town's ``rate``, sorted, coloured against ``target`` (the map's classes), the target as a line."""
    j = assessment.jurisdictions
    j = j[j["code"].notna() & j["name"].notna()].copy()
    j["_r"] = pd.to_numeric(j[rate], errors="coerce")
    j = j.sort_values("_r", ascending=True, kind="stable")
    fig, ax, fam = _figure(size)
    y = np.arange(len(j))
    ax.barh(y, j["_r"].fillna(0), color=[rate_color(r, target) for r in j["_r"]], edgecolor="#555555", linewidth=0.4)
    ax.set_yticks(y, [str(n) for n in j["name"]])
    for yi, r in zip(y, j["_r"]):
        ax.text((0 if pd.isna(r) else float(r)) + 0.005, yi, "—" if pd.isna(r) else f"{float(r):.1%}", va="center",
                fontsize=8, fontfamily=fam)
    if target:
        ax.axvline(float(target), color=RATE_TARGET_MET, linestyle="--", linewidth=1.5)
        ax.text(float(target), len(j) - 0.3, f" 目标 {float(target):.0%}", color=RATE_TARGET_MET, fontsize=9,
                fontfamily=fam, va="bottom")
    ax.set_xlim(0, 1.05)
    _pct_axis(ax)
    ax.tick_params(axis="y", labelsize=8)
    _style(ax, fam, f"各乡镇/街道{RATE_NAMES.get(rate, rate)}（由低到高，虚线为目标）")
    fig.tight_layout()
    return fig


def district_rates_figure(assessment: Assessment, *, targets: dict[str, float] | None = None,
                          size: tuple[float, float] = (11.0, 3.2)) -> Any:
    """The district's three rates (合计 row) as bullet bars; ``targets`` maps a category label to its target, drawn
    on the organization coverage bar (e.g. ``{"非公企业": 0.9, "社会组织": 0.7}``)."""
    ds = assessment.district_summary.set_index("org_kind")
    total = ds.iloc[0] if "合计" not in ds.index else ds.loc["合计"]
    fig, ax, fam = _figure(size)
    names = list(RATE_NAMES)
    y = np.arange(len(names))[::-1]
    ax.barh(y, [1.0] * len(names), color="#eeeeee", height=0.7)
    vals = [num(total.get(k)) or 0.0 for k in names]
    ax.barh(y, vals, color="#2c7fb8", height=0.35)
    for yi, v in zip(y, vals):
        ax.text(v + 0.01, yi, f"{v:.1%}", va="center", fontsize=10, fontfamily=fam)
    for k, (label, t) in enumerate((targets or {}).items()):
        ax.plot([t, t], [y[0] - 0.35, y[0] + 0.35], color=PALETTE[k % len(PALETTE)], linewidth=2.5)
        ax.text(t, y[0] + 0.4, f"{label}目标 {t:.0%}", fontsize=8, fontfamily=fam, ha="center",
                color=PALETTE[k % len(PALETTE)])
    ax.set_yticks(y, [RATE_NAMES[k] for k in names])
    ax.set_xlim(0, 1.08)
    _pct_axis(ax)
    _style(ax, fam, "全区三率")
    fig.tight_layout()
    return fig


def status_mix_figure(assessment: Assessment, *, size: tuple[float, float] = (11.0, 6.2)) -> Any:
    """Each town's orgs by coverage status, as shares (stacked), towns ordered by the share uncovered."""
    j = assessment.jurisdictions
    j = j[j["code"].notna() & j["name"].notna() & (pd.to_numeric(j["orgs"], errors="coerce") > 0)].copy()
    n = pd.to_numeric(j["orgs"], errors="coerce").astype(float)
    shares = {label: pd.to_numeric(j[col], errors="coerce").fillna(0) / n for col, label in _STATUS_COLUMNS}
    order = np.argsort(-shares["未覆盖"].to_numpy(), kind="stable")
    fig, ax, fam = _figure(size)
    y = np.arange(len(j))
    left = np.zeros(len(j))
    for label, s in shares.items():
        vals = s.to_numpy()[order]
        ax.barh(y, vals, left=left, color=STATUS_COLORS[label], label=label, edgecolor="white", linewidth=0.3)
        left += vals
    ax.set_yticks(y, [str(x) for x in j["name"].to_numpy()[order]])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    _pct_axis(ax)
    ax.tick_params(axis="y", labelsize=8)
    leg = ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False, prop={"family": fam})
    leg.set_title(None)
    _style(ax, fam, "")
    ax.set_title("各乡镇/街道覆盖状态构成（按未覆盖比例排序）", fontfamily=fam, fontsize=13, loc="left", pad=28)
    fig.tight_layout()
    return fig


def unit_sizes_figure(joint: JointPlan, *, size: tuple[float, float] = (11.0, 4.5)) -> Any:
    """Joint units by number of member orgs, stacked by form (when the plan labels forms)."""
    u = joint.units
    fig, ax, fam = _figure(size)
    if not len(u):
        ax.text(0.5, 0.5, "没有新建联建单元", ha="center", va="center", fontfamily=fam)
        _style(ax, fam, "联建单元规模")
        return fig
    n = u["org_ids"].map(len)
    forms = u["form"].astype(str) if "form" in u.columns else pd.Series(["联建单元"] * len(u), index=u.index)
    xs = np.arange(int(n.min()), int(n.max()) + 1)
    bottom = np.zeros(len(xs))
    for k, form in enumerate(dict.fromkeys(forms)):
        counts = n[forms == form].value_counts().reindex(xs, fill_value=0).to_numpy()
        ax.bar(xs, counts, bottom=bottom, color=PALETTE[k % len(PALETTE)], label=form)
        bottom += counts
    ax.set_xticks(xs)
    ax.set_xlabel("每个单元的单位数", fontfamily=fam)
    ax.set_ylabel("联建单元（个）", fontfamily=fam)
    ax.legend(frameon=False, prop={"family": fam})
    mean = float(n.mean())
    _style(ax, fam, f"联建单元规模：共 {len(u)} 个，平均每个 {mean:.1f} 家单位")
    fig.tight_layout()
    return fig


def route_minutes_figure(routes: InstructorPlan, *, working_day: float | None = None,
                         size: tuple[float, float] = (11.0, 4.5)) -> Any:
    """Route-days by minutes (visits + travel), the working day marked."""
    r = routes.routes
    fig, ax, fam = _figure(size)
    mins = pd.to_numeric(r.get("minutes", pd.Series(dtype=float)), errors="coerce").dropna()
    if not len(mins):
        ax.text(0.5, 0.5, "没有路线", ha="center", va="center", fontfamily=fam)
        _style(ax, fam, "路线时长")
        return fig
    ax.hist(mins, bins=min(30, max(5, len(mins) // 5)), color="#377eb8", edgecolor="white")
    if working_day:
        ax.axvline(float(working_day), color="#d7191c", linestyle="--", linewidth=1.5)
        ax.text(float(working_day), ax.get_ylim()[1] * 0.95, f" 一天上限 {float(working_day):.0f} 分钟",
                color="#d7191c", fontsize=9, fontfamily=fam, va="top")
    ax.set_xlabel("每条路线（每名指导员每天）用时（分钟）", fontfamily=fam)
    ax.set_ylabel("路线（条）", fontfamily=fam)
    _style(ax, fam, f"指导员路线时长：共 {len(mins)} 条，最长 {float(mins.max()):.0f} 分钟")
    fig.tight_layout()
    return fig
