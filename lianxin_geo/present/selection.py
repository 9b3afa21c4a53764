"""One selection for every page: which towns, which community, which kinds, industries and statuses.

A :class:`Selection` is a small frozen value (hashable: it is a cache key) that every page reads:
the map zooms to :func:`selection_bounds`, the KPIs and tables come from :func:`select_assessment`,
the title from :meth:`Selection.label`. It is pure (pandas/numpy only); the Streamlit glue is
:mod:`lianxin_geo.ui.selection`.

Geography goes district → one or more towns → one community (社区/村) of the gazetteer
(``District.communities``). The ledgers carry no community column, so the orgs of a community are
those of its town whose address or name contains the community's own name (``相各庄村委会`` →
``相各庄村``; ``幸福西街社区居委会`` → ``幸福西街``): :func:`community_orgs`. Communities without
coordinates are listed and selectable, not drawn; the map then zooms to their orgs or their town.

For a town user the workspace is already restricted to the user's towns
(:func:`lianxin_geo.store.scope_workspace`), so "everything" is the user's scope.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from lianxin_geo.assessment import Assessment, tables
from lianxin_geo.core.district import District
from lianxin_geo.core.industry import section_label, section_of
from lianxin_geo.present.plans import route_key
from lianxin_geo.present.style import org_status

if TYPE_CHECKING:  # annotations only: the solvers' modules are not imported with the selection
    from lianxin_geo.plan.joint import JointPlan
    from lianxin_geo.plan.routes import InstructorPlan

__all__ = [
    "Selection",
    "community_name_key",
    "community_orgs",
    "community_table",
    "select_assessment",
    "selected_plan",
    "selected_units",
    "selection_bounds",
]

#: Separator of the breadcrumb's geographic levels and of its filters.
LEVEL_SEP = " › "
FILTER_SEP = " · "

#: Gazetteer name endings and what addresses keep of them (a village keeps its 村).
_SUFFIXES: tuple[tuple[str, str], ...] = (("社区居民委员会", ""), ("社区居委会", ""), ("居民委员会", ""), ("居委会", ""),
                                         ("村民委员会", "村"), ("村委会", "村"), ("委员会", ""))


@dataclass(frozen=True)
class Selection:
    """What the user is looking at.

    Attributes
    ----------
    towns
        Jurisdiction codes; ``()`` is the whole district (or the user's scope).
    community
        Gazetteer code of a 社区/村 (implies its town).
    kinds
        Org kinds (``非公企业``, ``社会组织``); ``()`` all.
    industries
        Industry section letters (or full industry texts / groups); ``()`` all.
    statuses
        Assessment statuses (``单独建立`` …); ``()`` all.
    """

    towns: tuple[str, ...] = ()
    community: str | None = None
    kinds: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("towns", "kinds", "industries", "statuses"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(str(v) for v in value))
        if self.community is not None:
            object.__setattr__(self, "community", str(self.community))

    # ------------------------------------------------------------ predicates
    def is_all(self) -> bool:
        """True when nothing is narrowed: the whole district (or scope), every kind, industry and status."""
        return not (self.towns or self.community or self.kinds or self.industries or self.statuses)

    @property
    def has_filters(self) -> bool:
        """True when a kind, industry or status filter is set."""
        return bool(self.kinds or self.industries or self.statuses)

    def replace(self, **changes: Any) -> "Selection":
        """A copy with ``changes`` (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def drill(self, town: str) -> "Selection":
        """This selection narrowed to one town (the community is dropped, filters kept)."""
        return self.replace(towns=(str(town),), community=None)

    def up(self) -> "Selection":
        """One geographic level up: community → its town(s), towns → the district."""
        if self.community is not None:
            return self.replace(community=None)
        return self.replace(towns=())

    def town_codes(self, ws: Any) -> tuple[str, ...]:
        """The towns of this selection; a community without a town choice gives its own town."""
        if self.towns:
            return self.towns
        if self.community is not None:
            row = _community_row(ws.district, self.community)
            if row is not None:
                return (str(row["town_code"]),)
        return ()

    # ------------------------------------------------------------ masks
    def org_mask(self, orgs: pd.DataFrame, assessment_orgs: pd.DataFrame | None = None, *,
                 district: District | None = None) -> np.ndarray:
        """Boolean array: which rows of ``orgs`` are selected.

        Parameters
        ----------
        orgs
            Ledger rows (``jurisdiction_code``, ``kind``, ``industry`` …).
        assessment_orgs
            ``Assessment.orgs``: the statuses (matched on ``id``) and industry groups; without it the
            status is :func:`lianxin_geo.present.style.org_status` of the ledger.
        district
            Gives the gazetteer for a community selection (required when ``community`` is set).
        """
        n = len(orgs)
        mask = np.ones(n, dtype=bool)
        if n == 0:
            return mask
        if self.towns:
            code = _col(orgs, "jurisdiction_code").astype(str)
            name = _col(orgs, "jurisdiction_name").astype(str)
            want = set(self.towns)
            mask &= (code.isin(want) | name.isin(want)).to_numpy()
        if self.community is not None:
            if district is None:
                raise ValueError("按社区/村筛选需要镇街边界中的社区名录（district）")
            mask &= community_orgs(orgs, district, self.community)
        if self.kinds:
            mask &= _col(orgs, "kind").astype(str).isin(set(self.kinds)).to_numpy()
        if self.industries:
            mask &= _industry_mask(orgs, assessment_orgs, set(self.industries))
        if self.statuses:
            status = _status(orgs, assessment_orgs)
            mask &= status.astype(str).isin(set(self.statuses)).to_numpy()
        return mask

    # ------------------------------------------------------------ words
    def label(self, ws: Any) -> str:
        """Chinese breadcrumb text, e.g. ``顺义区 › 仁和镇 › 石门村委会 · 非公企业 · 未覆盖``."""
        text = LEVEL_SEP.join(name for name, _ in self.crumbs(ws))
        return text + "".join(FILTER_SEP + f for f in self.filter_words())

    def filter_words(self) -> list[str]:
        """The kind, industry and status filters as short Chinese words."""
        out = []
        if self.kinds:
            out.append("、".join(self.kinds))
        if self.industries:
            out.append("、".join(section_label(i) or i for i in self.industries))
        if self.statuses:
            out.append("、".join(self.statuses))
        return out

    def crumbs(self, ws: Any) -> list[tuple[str, "Selection"]]:
        """The breadcrumb: ``(name, selection of that level)`` from the district down to this selection.

        Filters are kept at every level; clicking a crumb goes back up to it.
        """
        district = ws.district
        names = district.town_names
        top = self.replace(towns=(), community=None)
        out: list[tuple[str, Selection]] = [(str(district.name), top)]
        towns = self.town_codes(ws)
        if towns:
            if len(towns) == 1:
                tname = names.get(towns[0], towns[0])
            elif len(towns) <= 3:
                tname = "、".join(names.get(t, t) for t in towns)
            else:
                tname = f"{names.get(towns[0], towns[0])}等 {len(towns)} 个镇街"
            out.append((tname, top.replace(towns=tuple(towns))))
        if self.community is not None:
            row = _community_row(district, self.community)
            cname = str(row["name"]) if row is not None else self.community
            out.append((cname, self))
        return out


# ---------------------------------------------------------------- helpers
def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _aligned(orgs: pd.DataFrame, assessment_orgs: pd.DataFrame | None, column: str) -> pd.Series | None:
    """``assessment_orgs[column]`` aligned to ``orgs`` on ``id`` (``None`` when it cannot be)."""
    if assessment_orgs is None or column not in assessment_orgs or "id" not in assessment_orgs or "id" not in orgs:
        return None
    lut = dict(zip(assessment_orgs["id"].astype(str), assessment_orgs[column]))
    return orgs["id"].astype(str).map(lut)


def _status(orgs: pd.DataFrame, assessment_orgs: pd.DataFrame | None) -> pd.Series:
    got = _aligned(orgs, assessment_orgs, "status")
    if got is not None:
        return got.fillna("未覆盖")
    return org_status(orgs)


def _industry_mask(orgs: pd.DataFrame, assessment_orgs: pd.DataFrame | None, want: set[str]) -> np.ndarray:
    ind = _col(orgs, "industry")
    uniq = {v: section_of(v) for v in pd.unique(ind.dropna())}
    sec = ind.map(lambda v: uniq.get(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) else None)
    mask = ind.astype(str).isin(want).to_numpy() | sec.astype(str).isin(want).to_numpy()
    group = _aligned(orgs, assessment_orgs, "industry_group")
    if group is None and "industry_group" in orgs:
        group = orgs["industry_group"]
    if group is not None:
        mask |= group.astype(str).isin(want).to_numpy()
    return mask


def community_name_key(name: str) -> str:
    """The part of a gazetteer name that addresses use: ``相各庄村委会`` → ``相各庄村``, ``幸福西街社区居委会`` → ``幸福西街``."""
    text = str(name or "").strip()
    key = text
    for end, keep in _SUFFIXES:
        if text.endswith(end):
            key = text[: -len(end)] + keep
            break
    return key if len(key) >= 2 else text


def community_table(district: District, towns: Iterable[str] = ()) -> pd.DataFrame:
    """The gazetteer's communities (of ``towns``, or all), with ``located`` (has coordinates) and the town name."""
    com = district.communities
    if com is None or not len(com):
        return pd.DataFrame(columns=["code", "name", "town_code", "town", "lon", "lat", "located"])
    out = com.copy()
    out["code"] = out["code"].astype(str)
    out["town_code"] = out["town_code"].astype(str)
    want = {str(t) for t in towns}
    if want:
        out = out[out["town_code"].isin(want)]
    lon = pd.to_numeric(out["lon"], errors="coerce")
    lat = pd.to_numeric(out["lat"], errors="coerce")
    out["located"] = (lon.notna() & lat.notna()).to_numpy()
    out["town"] = out["town_code"].map(district.town_names)
    return out.reset_index(drop=True)


def _community_row(district: District, code: str) -> pd.Series | None:
    com = district.communities
    if com is None or not len(com):
        return None
    hit = com[com["code"].astype(str) == str(code)]
    return None if hit.empty else hit.iloc[0]


def community_orgs(orgs: pd.DataFrame, district: District, code: str) -> np.ndarray:
    """Which rows of ``orgs`` belong to the community ``code``: of its town, address or name containing its name."""
    row = _community_row(district, code)
    if row is None or not len(orgs):
        return np.zeros(len(orgs), dtype=bool)
    key = community_name_key(row["name"])
    town = str(row["town_code"])
    in_town = (_col(orgs, "jurisdiction_code").astype(str) == town).to_numpy()
    text = _col(orgs, "address").fillna("").astype(str) + "|" + _col(orgs, "name").fillna("").astype(str)
    return in_town & text.str.contains(key, regex=False).to_numpy()


# ---------------------------------------------------------------- assessment view
def select_assessment(a: Assessment, sel: Selection, ws: Any) -> Assessment:
    """The assessment as seen through ``sel``: an :class:`Assessment` of the selected orgs only.

    ``orgs`` and ``actions`` keep the selected orgs; ``jurisdictions`` keeps the selected towns (recomputed
    from the selected orgs when a community, kind, industry or status filter is set); ``district_summary``
    is recomputed on the selected orgs (its rates and gaps are the selection's KPIs); venues, funding,
    contact points and existing joint orgs keep the selected towns. ``sel.is_all()`` returns ``a`` itself.
    """
    if sel.is_all():
        return a
    orgs = a.orgs
    mask = sel.org_mask(orgs, orgs, district=ws.district if sel.community is not None else None)
    sub = orgs.loc[mask].copy()
    ids = set(sub["id"].astype(str)) if "id" in sub else set()
    actions = a.actions[a.actions["org_id"].astype(str).isin(ids)] if len(a.actions) else a.actions
    towns = set(sel.town_codes(ws))
    juris = a.jurisdictions
    if towns:
        juris = juris[juris["code"].astype(str).isin(towns)]
    if sel.community is not None or sel.has_filters:
        meta = juris[["code", "name", "kind"]].dropna(subset=["code"])
        juris = tables.jurisdiction_frame(sub, actions, meta, a.profile)
    summary = tables.with_town_gap_sums(
        tables.district_summary(sub, a.profile, code=a.district_code, name=sel.label(ws)), juris)
    return dataclasses.replace(
        a, orgs=sub, actions=actions, jurisdictions=juris.reset_index(drop=True), district_summary=summary,
        venues=_by_town(a.venues, towns), funding=_by_town(a.funding, towns),
        contact_points=_by_town(a.contact_points, towns), joint_orgs=_by_town(a.joint_orgs, towns))


def _by_town(frame: pd.DataFrame, towns: set[str]) -> pd.DataFrame:
    if not towns or frame is None or not len(frame):
        return frame
    for col in ("jurisdiction_code", "code", "town_code"):
        if col in frame:
            return frame[frame[col].astype(str).isin(towns)]
    return frame


# ---------------------------------------------------------------- zoom
def selection_bounds(ws: Any, sel: Selection) -> tuple[float, float, float, float] | None:
    """``(minx, miny, maxx, maxy)`` in lon/lat to zoom to: the community's orgs and point, the towns' polygons,
    or the district (``None`` when nothing of the selection has a place)."""
    district = ws.district
    if sel.community is not None:
        row = _community_row(district, sel.community)
        xs: list[float] = []
        ys: list[float] = []
        if row is not None:
            lon, lat = pd.to_numeric(pd.Series([row["lon"], row["lat"]]), errors="coerce")
            if np.isfinite(lon) and np.isfinite(lat):
                xs.append(float(lon))
                ys.append(float(lat))
        if len(ws.orgs):
            m = community_orgs(ws.orgs, district, sel.community)
            sub = ws.orgs.loc[m]
            x = pd.to_numeric(_col(sub, "lon"), errors="coerce")
            y = pd.to_numeric(_col(sub, "lat"), errors="coerce")
            ok = x.notna() & y.notna()
            xs += x[ok].tolist()
            ys += y[ok].tolist()
        if xs:
            pad = 0.004  # a point alone still shows its streets
            return (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
    towns = sel.town_codes(ws)
    if towns:
        jur = district.jurisdictions
        hit = jur[jur["code"].astype(str).isin(set(towns))]
        if len(hit):
            b = hit.total_bounds
            return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
    b = district.bounds
    return None if not all(np.isfinite(b)) else tuple(float(v) for v in b)  # type: ignore[return-value]


# ---------------------------------------------------------------- the plans of a selection
def selected_units(plan: JointPlan, ws: Any, sel: Selection, assessment_orgs: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """The units of the selection: in its towns and, with a community, kind, industry or status filter, having
    at least one selected org."""
    u = plan.units
    if sel.is_all() or not len(u):
        return u
    towns = sel.town_codes(ws)
    keep = np.ones(len(u), dtype=bool)
    if towns:
        want = set(towns)
        keep &= np.array([bool(want & {str(c) for c in (codes if isinstance(codes, (list, tuple, np.ndarray))
                                                          else [home])})
                          for codes, home in zip(u.get("jurisdiction_codes", u["jurisdiction_code"]),
                                                 u["jurisdiction_code"])], dtype=bool)
    if sel.community is not None or sel.has_filters:
        orgs = ws.orgs
        ids = set(orgs.loc[sel.org_mask(orgs, assessment_orgs, district=ws.district), "id"].astype(str))
        keep &= np.array([any(str(o) in ids for o in org_ids) for org_ids in u["org_ids"]], dtype=bool)
    return u[keep]


def selected_plan(plan: InstructorPlan, ws: Any, sel: Selection,
                  assessment_orgs: pd.DataFrame | None = None) -> InstructorPlan:
    """The routes of the selection: of its towns and, with a community, kind, industry or status filter, visiting
    at least one selected org; their stops, the unassigned orgs and the town rows of those towns."""
    if sel.is_all():
        return plan
    r = plan.routes
    keep = np.ones(len(r), dtype=bool)
    towns = set(sel.town_codes(ws))
    if towns:
        keep &= r["jurisdiction_code"].astype(str).isin(towns).to_numpy()
    if sel.community is not None or sel.has_filters:
        orgs = ws.orgs
        ids = set(orgs.loc[sel.org_mask(orgs, assessment_orgs, district=ws.district), "id"].astype(str))
        keep &= np.array([any(str(o) in ids for o in org_ids) for org_ids in r["org_ids"]], dtype=bool)
    routes = r[keep]
    key = route_key(plan.stops)
    stops = plan.stops[plan.stops[key].astype(str).isin(set(routes[route_key(routes)].astype(str)))]
    un, tw = plan.unassigned, plan.towns
    if len(un) and "org_id" in un:
        orgs = ws.orgs
        ids = set(orgs.loc[sel.org_mask(orgs, assessment_orgs, district=ws.district), "id"].astype(str))
        un = un[un["org_id"].astype(str).isin(ids)]
    if towns and "jurisdiction_code" in tw:
        tw = tw[tw["jurisdiction_code"].astype(str).isin(towns)]
    return dataclasses.replace(plan, routes=routes, stops=stops, unassigned=un, towns=tw)
