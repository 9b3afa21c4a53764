"""Readable Chinese cards for one org, one joint unit and one route (never JSON), and the org in focus.

The org in focus (a search hit, a clicked table row, a clicked dot) is kept in the session
(:func:`open_org`, :func:`focused_org`); the map zooms to it and marks it, and the page shows
its card (:func:`org_card`). The ``*_rows`` functions are pure (label, text) lists, tested on
frames; the ``*_card`` functions draw them.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd
import streamlit as st

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.model import PRECISION_NAMES
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.present.plans import route_key
from lianxin_geo.present.style import esc, num, org_status

__all__ = ["FOCUS_KEY", "close_org", "focused_org", "open_org", "org_bounds", "org_card", "org_rows",
           "route_card", "route_rows", "unit_card", "unit_rows", "show_rows", "zoom_to_focus"]

#: Session key of the org in focus (its ``id``).
FOCUS_KEY = "focus_org"
_ZOOM_KEY = "focus_org_zoom"
_MISSING = "—"
#: Half-width in degrees of the view around one org (about 600 m): the streets around it stay visible.
_ORG_PAD = 0.006


def open_org(org_id: str, *, zoom: bool = True) -> None:
    """Put the org ``org_id`` in focus: the page shows its card and, with ``zoom`` (a search hit, a table row),
    the map zooms to it and rings it; a click on the org's dot leaves the map as it is (its popup stays open)."""
    st.session_state[FOCUS_KEY] = str(org_id)
    st.session_state[_ZOOM_KEY] = bool(zoom)


def close_org() -> None:
    """No org in focus."""
    st.session_state.pop(FOCUS_KEY, None)
    st.session_state.pop(_ZOOM_KEY, None)


def zoom_to_focus() -> bool:
    """True when the map should zoom to the org in focus (see :func:`open_org`)."""
    return focused_org() is not None and bool(st.session_state.get(_ZOOM_KEY, True))


def focused_org() -> str | None:
    """The ``id`` of the org in focus, or ``None``."""
    v = st.session_state.get(FOCUS_KEY)
    return None if v is None else str(v)


def org_bounds(ws: Any, org_id: str) -> tuple[float, float, float, float] | None:
    """A small lon/lat box around the org (``None``: not in the workspace or without coordinates)."""
    orgs = ws.orgs
    if not len(orgs) or "id" not in orgs:
        return None
    hit = orgs[orgs["id"].astype(str) == str(org_id)]
    if hit.empty:
        return None
    x, y = num(hit["lon"].iloc[0]) if "lon" in hit else None, num(hit["lat"].iloc[0]) if "lat" in hit else None
    if x is None or y is None:
        return None
    return (x - _ORG_PAD, y - _ORG_PAD * 0.8, x + _ORG_PAD, y + _ORG_PAD * 0.8)


def _text(v: Any) -> str:
    if v is None or (np.ndim(v) == 0 and pd.isna(v)):
        return _MISSING
    if isinstance(v, (list, tuple, np.ndarray)):
        return "、".join(map(str, v)) if len(v) else _MISSING
    s = str(v).strip()
    return s if s else _MISSING


def _count(v: Any, unit: str) -> str:
    n = num(v)
    return _MISSING if n is None else f"{n:.0f} {unit}"


# ---------------------------------------------------------------- org
def org_rows(ws: Any, org_id: str, *, assessment: Assessment | None = None, joint: JointPlan | None = None,
             routes: InstructorPlan | None = None) -> list[tuple[str, str]]:
    """One org as ``(label, text)`` rows: status and why, people, industry, place, instructor, actions with their
    clauses, joint-unit membership and route. Empty when the org is not in ``ws``."""
    orgs = ws.orgs
    hit = orgs[orgs["id"].astype(str) == str(org_id)] if "id" in orgs else orgs.iloc[0:0]
    if hit.empty:
        return []
    r = hit.iloc[0]
    rec: dict[str, Any] = r.to_dict()
    if assessment is not None and "id" in assessment.orgs:
        ah = assessment.orgs[assessment.orgs["id"].astype(str) == str(org_id)]
        if len(ah):
            rec.update({k: v for k, v in ah.iloc[0].to_dict().items() if k not in rec or k in (
                "status", "status_reason", "status_rule", "industry_group")})
    status = rec.get("status") if rec.get("status") is not None else org_status(hit).iloc[0]
    rows = [("单位名称", _text(rec.get("name"))), ("统一社会信用代码", _text(rec.get("credit_code"))),
            ("类别", _text(rec.get("kind"))), ("所属镇街", _text(rec.get("jurisdiction_name"))),
            ("地址", _text(rec.get("address"))),
            ("覆盖状态", _text(status) + (f"（{_text(rec.get('status_reason'))}）" if rec.get("status_reason") else "")),
            ("党组织", _text(rec.get("party_status")) + (f"，{rec['party_org_type']}" if _text(
                rec.get("party_org_type")) != _MISSING else "")),
            ("正式党员", _count(rec.get("members"), "名")), ("从业人员", _count(rec.get("employees"), "人")),
            ("行业", _text(rec.get("industry_group") or rec.get("industry"))),
            ("所在楼宇", _text(rec.get("building"))), ("所在园区", _text(rec.get("park"))),
            ("党建指导员", _text(rec.get("instructor"))),
            ("定位精度", _text(PRECISION_NAMES.get(str(rec.get("precision")), rec.get("precision"))))]
    if assessment is not None and len(assessment.actions):
        act = assessment.actions[assessment.actions["org_id"].astype(str) == str(org_id)]
        for a in act.itertuples(index=False):
            clause = "；".join(t for t in (_text(getattr(a, "doc", None)), _text(getattr(a, "clause", None)))
                              if t != _MISSING)
            line = f"{a.action}：{_text(getattr(a, 'reason', None))}"
            if clause:
                line += f"（依据 {clause}）"
            due = _text(getattr(a, "due", None))
            if due != _MISSING:
                line += f"；{_text(getattr(a, 'owner', None))}于 {due} 前办理"
            rows.append(("措施", line))
    if _text(rec.get("joint_org_id")) != _MISSING:
        rows.append(("现有联合党组织", _text(rec.get("joint_org_id"))))
    if joint is not None and len(joint.units):
        for u in joint.units.itertuples(index=False):
            if str(org_id) in {str(o) for o in u.org_ids}:
                rows.append(("联建方案", f"联建单元 {u.unit_id}（{len(u.org_ids)} 个单位，牵头单位 {_text(u.hub_name)}）"))
    if routes is not None and len(routes.stops):
        s = routes.stops[routes.stops["org_id"].astype(str) == str(org_id)]
        key = route_key(routes.stops)
        for stop in s.itertuples(index=False):
            rr = routes.routes[routes.routes[route_key(routes.routes)].astype(str) == str(getattr(stop, key))]
            who = _text(rr["instructor"].iloc[0]) if len(rr) else _MISSING
            rows.append(("指导员路线", f"{who} 的路线 {getattr(stop, key)} 第 {int(stop.order) + 1} 站"
                         if num(getattr(stop, "order", None)) is not None else f"{who} 的路线 {getattr(stop, key)}"))
    return rows


def show_rows(rows: Iterable[tuple[str, str]]) -> None:
    """Draw ``(label, text)`` rows as a two-column list (escaped: the texts come from ledgers)."""
    lines = [f"**{esc(k)}**：{esc(v).replace('*', chr(92) + '*').replace('_', chr(92) + '_')}" for k, v in rows]
    st.markdown("  \n".join(lines))


def org_card(ws: Any, org_id: str, *, assessment: Assessment | None = None, joint: JointPlan | None = None,
             routes: InstructorPlan | None = None, key: str = "org_card") -> None:
    """The card of the org in focus, with a button that closes it."""
    rows = org_rows(ws, org_id, assessment=assessment, joint=joint, routes=routes)
    with st.container(border=True, key=key):
        if not rows:
            st.info("该单位不在当前范围内。")
        else:
            st.markdown(f"#### 📌 {esc(rows[0][1])}")
            show_rows(rows[1:])
        st.button("关闭单位卡片", key=f"{key}_close", on_click=close_org)


# ---------------------------------------------------------------- joint unit
def unit_rows(unit: Any, town_names: dict[str, str], orgs: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """One joint unit (a row of ``JointPlan.units``) as ``(label, text)`` rows, members by name."""
    radius = num(getattr(unit, "radius_m", None))
    dist = num(getattr(unit, "venue_distance_m", None))
    venue = _text(getattr(unit, "venue_name", None))
    if venue != _MISSING:
        venue += f"（{_text(getattr(unit, 'venue_type', None))}" + (f"，约 {dist:.0f} 米）" if dist is not None else "）")
    codes = getattr(unit, "jurisdiction_codes", None) or [unit.jurisdiction_code]
    rows = [("联建单元", str(unit.unit_id)),
            ("镇街", "、".join(town_names.get(str(c), str(c)) for c in codes)),
            ("联建形式", _text(getattr(unit, "form", None))), ("行业", _text(getattr(unit, "industry", None))),
            ("牵头单位", _text(getattr(unit, "hub_name", None))), ("单位数", f"{len(unit.org_ids)} 个"),
            ("正式党员", _count(getattr(unit, "members", None), "名")),
            ("从业人员", _count(getattr(unit, "employees", None), "人")),
            ("半径", _MISSING if radius is None else f"{radius:.0f} 米"), ("建议活动场所", venue),
            ("理由", _text(getattr(unit, "reason", None)))]
    if orgs is not None and len(orgs) and "id" in orgs:
        names = dict(zip(orgs["id"].astype(str), orgs["name"].astype(str)))
        rows.append(("成员单位", "、".join(names.get(str(o), str(o)) for o in unit.org_ids)))
    return rows


def unit_card(unit: Any, town_names: dict[str, str], orgs: pd.DataFrame | None = None) -> None:
    """The card of one joint unit."""
    with st.container(border=True, key="unit_card"):
        rows = unit_rows(unit, town_names, orgs)
        st.markdown(f"#### 🔗 联建单元 {esc(rows[0][1])}")
        show_rows(rows[1:])


# ---------------------------------------------------------------- route
def route_rows(route: Any, stops: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """One route (a row of ``InstructorPlan.routes``) as ``(label, text)`` rows, the stops in visiting order."""
    days = int(num(getattr(route, "days", 1)) or 1)
    rows = [("指导员", f"{_text(getattr(route, 'instructor', None))}（{_text(getattr(route, 'instructor_kind', None))}）"),
            ("镇街", _text(getattr(route, "town_name", None))),
            ("走访单位", f"{len(route.org_ids)} 个"),
            ("里程", _MISSING if num(route.length_km) is None else f"{num(route.length_km):.1f} 公里"),
            ("用时", _MISSING if num(route.minutes) is None else f"约 {num(route.minutes):.0f} 分钟")]
    if days > 1:
        rows.insert(1, ("安排", f"第 {int(num(route.day) or 1)}/{days} 天"))
    if _text(getattr(route, "note", None)) != _MISSING:
        rows.append(("说明", _text(route.note)))
    if stops is not None and len(stops):
        key = route_key(stops)
        mine = stops[stops[key].astype(str) == str(getattr(route, key, getattr(route, "instructor_id", "")))]
        mine = mine.sort_values("order", kind="stable")
        rows.append(("走访顺序", " → ".join(f"{i}. {n}" for i, n in enumerate(mine["name"].astype(str), start=1))))
    return rows


def route_card(route: Any, stops: pd.DataFrame | None = None, *, key: str = "route_card") -> None:
    """The card of one route, with its navigation links."""
    with st.container(border=True, key=key):
        rows = route_rows(route, stops)
        st.markdown(f"#### 🚗 {esc(getattr(route, 'route_id', route.instructor_id))} · {esc(rows[0][1])}")
        show_rows(rows[1:])
        c = st.columns(2)
        for col, (link, label) in zip(c, ((getattr(route, "amap", None), "高德导航（全程）"),
                                          (getattr(route, "baidu", None), "百度导航（全程）"))):
            if isinstance(link, str) and link:
                col.link_button(label, link)
