"""The shared selection in the Streamlit session: read it, change it, and the sidebar that edits it.

The :class:`~lianxin_geo.present.selection.Selection` in ``st.session_state`` is the one truth
every page reads (:func:`current_selection`). The sidebar's widgets (:func:`selection_sidebar`)
mirror it: a widget change updates the selection in its callback; a change made in code
(:func:`set_selection`: a click on the map, a breadcrumb, a search hit) is copied into the
widgets at the start of the next run, before they are drawn. Every change is recorded, so
“返回上一级” can undo it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lianxin_geo.core.industry import section_label, section_of
from lianxin_geo.core.model import ORG_KINDS
from lianxin_geo.present.selection import Selection, community_table
from lianxin_geo.present.style import STATUS_COLORS

__all__ = ["SELECTION_KEY", "breadcrumb", "current_selection", "go_back", "selection_sidebar", "set_selection"]

#: Session key of the current :class:`Selection`.
SELECTION_KEY = "selection"
_HISTORY = "selection_history"
_PENDING = "selection_pending"
_W = {"towns": "sel_towns", "community": "sel_community", "kinds": "sel_kinds", "industries": "sel_industries",
      "statuses": "sel_statuses"}
_HISTORY_MAX = 30
_NO_COMMUNITY = ""


def current_selection() -> Selection:
    """The session's selection (default: everything, i.e. the whole district or the user's scope)."""
    sel = st.session_state.get(SELECTION_KEY)
    return sel if isinstance(sel, Selection) else Selection()


def set_selection(sel: Selection, *, record: bool = True) -> None:
    """Make ``sel`` the selection of every page; the previous one is kept for “返回上一级” unless ``record=False``.

    Safe anywhere (callbacks, after the widgets are drawn): the sidebar takes the new value on the next run;
    call ``st.rerun()`` after it outside a callback.
    """
    ss = st.session_state
    old = current_selection()
    if sel == old:
        return
    if record:
        hist = list(ss.get(_HISTORY, []))
        hist.append(old)
        ss[_HISTORY] = hist[-_HISTORY_MAX:]
    ss[SELECTION_KEY] = sel
    ss[_PENDING] = True


def go_back() -> bool:
    """Undo the last selection change (``False`` when there is none)."""
    hist = list(st.session_state.get(_HISTORY, []))
    if not hist:
        return False
    prev = hist.pop()
    st.session_state[_HISTORY] = hist
    set_selection(prev, record=False)
    return True


def _sync_widgets(sel: Selection, *, force: bool) -> None:
    """Copy ``sel`` into the sidebar's widget keys (before they are drawn)."""
    ss = st.session_state
    values = {"towns": list(sel.towns), "community": sel.community or _NO_COMMUNITY, "kinds": list(sel.kinds),
              "industries": list(sel.industries), "statuses": list(sel.statuses)}
    for field, key in _W.items():
        if force or key not in ss:
            ss[key] = values[field]


def _from_widgets() -> None:
    """Widget callback: the selection from the widgets' values (a new town drops a community of another town)."""
    ss = st.session_state
    towns = tuple(ss.get(_W["towns"]) or ())
    community = ss.get(_W["community"]) or None
    if towns != current_selection().towns:
        community = None
    set_selection(Selection(towns=towns, community=community, kinds=tuple(ss.get(_W["kinds"]) or ()),
                            industries=tuple(ss.get(_W["industries"]) or ()),
                            statuses=tuple(ss.get(_W["statuses"]) or ())))


def _industries(ws: Any) -> list[str]:
    ind = ws.orgs["industry"] if "industry" in ws.orgs else pd.Series(dtype=object)
    return sorted({s for s in map(section_of, pd.unique(ind.dropna())) if s})


def selection_sidebar(ws: Any) -> Selection:
    """The shared filter widgets (towns, community, kind, industry, status) in the sidebar; returns the selection.

    Only towns of ``ws`` (the user's scope) can be chosen; a stored selection naming others is narrowed to it.
    """
    ss = st.session_state
    names = ws.district.town_names
    sel = current_selection()
    valid = tuple(t for t in sel.town_codes(ws) if t in names)  # a community alone names its town
    com = community_table(ws.district, valid) if len(valid) == 1 else None
    keep_com = sel.community if com is not None and sel.community in set(com["code"]) else None
    if valid != sel.towns or keep_com != sel.community:
        set_selection(sel.replace(towns=valid, community=keep_com), record=False)
        sel = current_selection()
    _sync_widgets(sel, force=bool(ss.pop(_PENDING, False)))
    sb = st.sidebar
    sb.subheader("选择范围")
    every = "全部（可多选）"
    sb.multiselect("乡镇/街道", list(names), format_func=lambda c: names.get(c, c), key=_W["towns"],
                   placeholder=every, on_change=_from_widgets)
    if com is not None and len(com):
        labels = dict(zip(com["code"], [n if ok else f"{n}（无坐标）" for n, ok in zip(com["name"], com["located"])]))
        labels[_NO_COMMUNITY] = "全部社区/村"
        sb.selectbox("社区/村", [_NO_COMMUNITY, *com["code"]], format_func=lambda c: labels.get(c, c),
                     key=_W["community"], on_change=_from_widgets,
                     help="社区/村来自区划名录；没有坐标的社区/村可选，但不在地图上标出。"
                          "所属单位按地址或名称中含社区/村名认定。")
    sb.multiselect("组织类别", list(ORG_KINDS), key=_W["kinds"], placeholder=every, on_change=_from_widgets)
    sb.multiselect("行业门类", _industries(ws), format_func=lambda s: section_label(s) or s, key=_W["industries"],
                   placeholder=every, on_change=_from_widgets)
    sb.multiselect("覆盖状态", list(STATUS_COLORS), key=_W["statuses"], placeholder=every,
                   on_change=_from_widgets)
    if not current_selection().is_all():
        sb.button("清除选择（全区）", key="sel_clear", on_click=set_selection, args=(Selection(),),
                  width="stretch")
    return current_selection()


def breadcrumb(ws: Any, *, key: str = "crumb") -> None:
    """The breadcrumb under the page title: each level up is a button; “返回上一级” undoes the last change.

    It is drawn the same way at every level (the same number of elements), so that the elements below it keep
    their place on the page and the map component is not rebuilt when the selection changes.
    """
    sel = current_selection()
    crumbs = sel.crumbs(ws)
    words = sel.filter_words()
    n = len(crumbs) + 1
    cols = st.columns([1.2] * n + [max(1.0, 8.0 - 1.2 * n)], gap="small")
    for i, (name, target) in enumerate(crumbs):
        last = i == len(crumbs) - 1
        cols[i].button(name + ("" if last else " ›"), key=f"{key}_{i}", disabled=last, on_click=set_selection,
                       args=(target,), width="stretch", help=None if last else f"回到{name}")
    cols[n - 1].button("↩ 返回上一级", key=f"{key}_back", on_click=go_back,
                       disabled=not st.session_state.get(_HISTORY), width="stretch")
    # always drawn (empty without filters): the elements below keep their place, the map is not rebuilt
    st.caption("筛选：" + " · ".join(words) if words else "")
