"""What every presenter shares: escaping, the colours of statuses and rates, and the status of each org.

* :func:`esc` — the one function through which every user string reaches HTML
  (re-exported as :func:`lianxin_geo.present.maps.esc`).
* :func:`rate_color` — the one colour scale of coverage rates, used by the web map
  (:mod:`lianxin_geo.present.layers`) and the static maps (:mod:`lianxin_geo.present.staticmap`),
  with :data:`RATE_BANDS` naming its bands for legends.
* :func:`org_status` — the coverage status each org is coloured by.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lianxin_geo.assessment import Assessment

__all__ = [
    "STATUS_COLORS",
    "STATUS_ORDER",
    "OTHER_COLOR",
    "PALETTE",
    "RATE_RAMP",
    "RATE_TARGET_MET",
    "RATE_MISSING",
    "RATE_BANDS",
    "esc",
    "num",
    "pct",
    "pp",
    "rate_color",
    "org_status",
]

#: Colour of each coverage status; unknown statuses are :data:`OTHER_COLOR`.
STATUS_COLORS: dict[str, str] = {
    "单独建立": "#1a9641",
    "联合建立": "#74c476",
    "仅工作覆盖": "#2c7fb8",
    "未覆盖": "#d7191c",
    "未定位": "#999999",
}
#: Order of the statuses in legends.
STATUS_ORDER: tuple[str, ...] = tuple(STATUS_COLORS)
OTHER_COLOR = "#7f7f7f"
#: Colours of joint units and routes (cycled).
PALETTE: tuple[str, ...] = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#1b9e77",
                            "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")

#: Colours of rates below target, lowest first: each band is a quarter of the target.
RATE_RAMP: tuple[str, ...] = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a")
#: Colour of a rate at or above its target.
RATE_TARGET_MET = "#1a9641"
#: Colour of an unknown rate.
RATE_MISSING = "#dddddd"
#: ``(colour, label)`` of every band, best first, for legends (the label completes "组织覆盖率…").
RATE_BANDS: tuple[tuple[str, str], ...] = (
    (RATE_TARGET_MET, "达到目标"),
    (RATE_RAMP[3], "达到目标的75%以上"),
    (RATE_RAMP[2], "达到目标的50%–75%"),
    (RATE_RAMP[1], "达到目标的25%–50%"),
    (RATE_RAMP[0], "不到目标的25%"),
)

#: HTML's special characters and those the template engine reads as syntax (``{{ }}``, ``{% %}``, ``{# #}``),
#: replaced by character references in one pass.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
                          "{": "&#123;", "}": "&#125;", "#": "&#35;", "%": "&#37;"})


def esc(value: object) -> str:
    """Text of a user value, safe for HTML and for the template engine (``None``/NaN become "").

    folium/branca render each element's output a second time as Jinja2 template
    source, so a ledger name like ``{{ 7*7 }}公司`` would otherwise be evaluated on
    the server. Besides the HTML escaping, ``{``, ``}``, ``#`` and ``%`` become
    character references: the browser shows them unchanged, Jinja2 sees no syntax.
    """
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value).translate(_ESCAPES)


def num(value: object) -> float | None:
    """``value`` as a finite float, else ``None``."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def pct(value: object, *, missing: str = "—") -> str:
    """A share (0–1) as a percentage with one decimal, whatever its value (1.0 is "100.0%", never "1");
    ``missing`` for None/NaN/text that is not a number."""
    v = num(value)
    return missing if v is None else f"{v:.1%}"


def pp(delta: object, *, missing: str = "—") -> str:
    """A change of a share in percentage points with its sign ("+2.4 个百分点")."""
    v = num(delta)
    return missing if v is None else f"{100 * v:+.1f} 个百分点"


def rate_color(rate: float | None, target: float | None) -> str:
    """Colour of a coverage rate (a share 0–1) measured against its target.

    At or above a positive ``target``: :data:`RATE_TARGET_MET`. Below it, the
    share of the target reached picks a colour of :data:`RATE_RAMP` in quarters
    (under 25 %, 25–50 %, 50–75 %, 75 % and more). Without a positive target the
    rate itself is split in quarters. An unknown rate (``None``/NaN) is
    :data:`RATE_MISSING`.
    """
    r = num(rate)
    if r is None:
        return RATE_MISSING
    t = num(target)
    if t is not None and t > 0:
        if r >= t:
            return RATE_TARGET_MET
        r = r / t
    return RATE_RAMP[min(int(max(r, 0.0) * len(RATE_RAMP)), len(RATE_RAMP) - 1)]


def org_status(orgs: pd.DataFrame, assessment: Assessment | None = None) -> pd.Series:
    """Coverage status per org (index aligned with ``orgs``) for colouring.

    Takes the status the assessment computed (``assessment.orgs['status']``,
    matched on ``id``) when there is one. Without an assessment it falls back
    to what the ledger states, a presentation-only reading: 单独建立, 联合建立,
    an instructor or mass organization → 仅工作覆盖, else 未覆盖;
    orgs without coordinates are 未定位.
    """
    if assessment is not None:
        a = assessment.orgs
        if "status" in a and "id" in a and "id" in orgs:
            lut = dict(zip(a["id"].astype(str), a["status"].astype(str)))
            out = orgs["id"].astype(str).map(lut)
            return out.fillna("未覆盖").rename("status")
    if "status" in orgs:
        return orgs["status"].astype(str).rename("status")
    n = len(orgs)
    party = orgs["party_status"].astype(str) if "party_status" in orgs else pd.Series([""] * n, index=orgs.index)
    work = pd.Series(False, index=orgs.index)
    for col in ("instructor", "mass_org"):
        if col in orgs:
            work |= orgs[col].notna() & (orgs[col].astype(str).str.strip() != "")
    status = np.where(party == "单独建立", "单独建立",
                      np.where(party == "联合建立", "联合建立", np.where(work, "仅工作覆盖", "未覆盖")))
    if "lon" in orgs and "lat" in orgs:
        ok = np.isfinite(pd.to_numeric(orgs["lon"], errors="coerce").to_numpy(float)) & np.isfinite(
            pd.to_numeric(orgs["lat"], errors="coerce").to_numpy(float))
        status = np.where(ok, status, "未定位")
    return pd.Series(status, index=orgs.index, name="status")
