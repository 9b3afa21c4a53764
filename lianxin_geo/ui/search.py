"""Find an org by name or credit code (fuzzy, Chinese-aware) in the user's data; the hit opens its card.

:func:`find_orgs` is pure (rapidfuzz on frames): a query that looks like a credit code matches codes
first (exactly, then by prefix); any other query is compared with the names after NFKC folding
(full-width letters and digits, spaces), by partial similarity so a few characters of a long
Chinese name are enough, ties broken by the whole-name similarity. :func:`search_box` is the
page widget: a single clear hit opens at once, several are offered as buttons.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from lianxin_geo.present.style import esc
from lianxin_geo.ui import cards

__all__ = ["MIN_SCORE", "find_orgs", "normalize_query", "search_box"]

#: Lowest partial similarity (0–100) a name must reach to be offered.
MIN_SCORE = 60.0
_CODE = re.compile(r"^[0-9A-Z]{6,18}$")


def normalize_query(text: object) -> str:
    """NFKC-folded, upper-cased text without spaces or punctuation between words (``ＡＢ 1`` → ``AB1``)."""
    s = unicodedata.normalize("NFKC", str(text or "")).upper()
    return re.sub(r"[\s·・,，.。()（）\-_/]+", "", s)


def find_orgs(orgs: pd.DataFrame, query: str, *, limit: int = 8) -> pd.DataFrame:
    """The orgs best matching ``query``, best first, with a ``score`` column (100 = exact).

    Parameters
    ----------
    orgs
        Rows with ``id``, ``name`` and (optionally) ``credit_code``.
    query
        A name, part of a name, or a (partial) unified social credit code.
    limit
        How many hits at most.
    """
    from rapidfuzz import fuzz, process

    q = normalize_query(query)
    if not q or not len(orgs):
        return orgs.iloc[0:0].assign(score=pd.Series(dtype=float))
    codes = pd.Series(orgs["credit_code"] if "credit_code" in orgs else [None] * len(orgs), index=orgs.index)
    codes = codes.where(codes.notna(), orgs["id"] if "id" in orgs else None).fillna("").astype(str).map(normalize_query)
    if _CODE.match(q) and any(ch.isdigit() for ch in q):
        exact = (codes == q).to_numpy()
        if exact.any():
            return orgs.loc[exact].head(limit).assign(score=100.0)
        pre = codes.str.startswith(q).to_numpy()
        if pre.any():
            return orgs.loc[pre].head(limit).assign(score=95.0)
    names = orgs["name"].fillna("").astype(str).map(normalize_query).tolist()
    part = process.cdist([q], names, scorer=fuzz.partial_ratio, workers=1)[0].astype(float)
    ok = np.flatnonzero(part >= MIN_SCORE)
    if not ok.size:
        return orgs.iloc[0:0].assign(score=pd.Series(dtype=float))
    whole = np.array([fuzz.ratio(q, names[i]) for i in ok], dtype=float)
    order = np.lexsort((ok, -whole, -part[ok]))[:limit]  # best partial, then best whole, then ledger order
    pick = ok[order]
    return orgs.iloc[pick].assign(score=part[pick])


def search_box(ws: Any, *, key: str = "search") -> None:
    """The search field: a clear hit (an exact credit code or a single match) opens its card at once; several
    hits are offered as buttons. Searches the user's own data only (the scoped workspace)."""
    with st.container():  # one element whatever it holds: the map below keeps its place
        _search(ws, key)


def _search(ws: Any, key: str) -> None:
    q = st.text_input("查找单位（名称或统一社会信用代码，支持模糊查找）", key=key,
                      placeholder="例如：瑞创智能 或 91110113…")
    if not q or not q.strip():
        return
    hits = find_orgs(ws.orgs, q)
    done = f"_{key}_opened"
    if hits.empty:
        st.caption(f"没有找到与“{esc(q.strip())}”相符的单位。")
        return
    if (len(hits) == 1 or float(hits["score"].iloc[0]) >= 100.0) and st.session_state.get(done) != q:
        st.session_state[done] = q
        hit = str(hits["id"].iloc[0])
        if cards.focused_org() != hit:
            cards.open_org(hit)
            st.rerun()
    if len(hits) > 1:
        st.caption(f"找到 {len(hits)} 个相近的单位，点击查看：")
        cols = st.columns(min(len(hits), 4))
        for i, r in enumerate(hits.itertuples(index=False)):
            town = getattr(r, "jurisdiction_name", None)
            label = f"{r.name}" + (f"（{town}）" if isinstance(town, str) and town else "")
            cols[i % len(cols)].button(label, key=f"{key}_hit_{i}", on_click=cards.open_org, args=(str(r.id),))
