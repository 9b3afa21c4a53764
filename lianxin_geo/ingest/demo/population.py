"""Who the demo orgs are and where they sit: kind, placement, coordinates, industry section, staff and members.

Every step takes the org random stream and draws from it in a fixed order, so
the same seed gives the same orgs (see :func:`lianxin_geo.ingest.demo.orgs._make_orgs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from lianxin_geo.core.policy import Profile
from lianxin_geo.ingest.demo import names as N
from lianxin_geo.ingest.demo.base import (
    _PLACE_BUILDING,
    _PLACE_CENTRE,
    _PLACE_COMMUNITY,
    _PLACE_PARK,
    _PLACE_SCATTER,
    ENTERPRISE_SHARE,
    _cat,
    _choice_by_group,
)
from lianxin_geo.ingest.demo.skeleton import _Skeleton

__all__: list[str] = []

#: GB/T 4754-2017 sections the demo uses, their index and their "code name" label.
_SECTIONS = np.array(list(N.SECTIONS), dtype=object)
_SEC_IDX = {s: i for i, s in enumerate(_SECTIONS)}
_SEC_LABEL = _cat(_SECTIONS, " ", np.array(list(N.SECTIONS.values()), dtype=object))
#: Social-org types and their index (``-1`` stands for an enterprise).
_STYPES = np.array(list(N.SOCIAL_TYPE_WEIGHTS), dtype=object)
_ST_OF = {s: i for i, s in enumerate(_STYPES)}

#: Placement class of a social type: 1 social (general, the default), 2 professional firms,
#: 3 community orgs, 4 schools/hospitals (0 is enterprises).
_PLACE_CLASS = {"律师事务所": 2, "会计师事务所": 2, "税务师事务所": 2, "社会中介组织": 2,
                "城乡社区社会组织": 3, "民办学校": 4, "民办医院": 4}
#: Probability of building, park, town centre, scatter, community by placement class.
_PLACE_P = np.array([
    [0.22, 0.20, 0.33, 0.25, 0.00],
    [0.08, 0.02, 0.45, 0.15, 0.30],
    [0.60, 0.02, 0.30, 0.08, 0.00],
    [0.00, 0.00, 0.10, 0.10, 0.80],
    [0.05, 0.00, 0.50, 0.35, 0.10],
])
#: Weight of a park in drawing an org's park, by park level.
_PARK_LEVEL_WEIGHT = {"国家级": 3.0, "市级": 2.0, "区级": 1.0}
#: Typical share of party members among the staff of an enterprise, by section (default 5 %).
_ENTERPRISE_MEMBER_RATE = {"I": 0.08, "M": 0.08, "J": 0.09, "P": 0.08, "C": 0.04, "G": 0.04, "F": 0.03, "H": 0.03,
                           "O": 0.03}


@dataclass(frozen=True)
class _Limits:
    """The policy thresholds that shape the demo orgs, read once from the profile."""

    own_min: int
    branch_max: int
    committee_min: int
    max_units: int
    joint_min_total: int
    per_instructor: int

    @classmethod
    def from_profile(cls, profile: Profile) -> _Limits:
        return cls(
            own_min=int(profile.get("thresholds.own_org_min_members")),
            branch_max=int(profile.get("thresholds.branch_max_members")),
            committee_min=int(profile.get("thresholds.committee_min_members")),
            max_units=int(profile.get("joint.max_units")),
            joint_min_total=int(profile.get("joint.min_members_total")),
            per_instructor=int(profile.get("instructors.orgs_per_instructor")),
        )


class _Kinds(NamedTuple):
    is_ent: np.ndarray  # non-public enterprise?
    st: np.ndarray      # index into _STYPES, -1 for enterprises


class _Places(NamedTuple):
    place: np.ndarray     # _PLACE_* code
    bidx: np.ndarray      # building row or -1
    pidx: np.ndarray      # park row or -1
    town: np.ndarray      # town index
    cidx_any: np.ndarray  # a community of the town or -1
    cidx_pt: np.ndarray   # a community of the town with a known point or -1
    cidx: np.ndarray      # the org's community (community placement only) or -1


def _draw_kinds(rng: np.random.Generator, n: int) -> _Kinds:
    """About 85 % enterprises; the social orgs get a social type."""
    is_ent = rng.random(n) < ENTERPRISE_SHARE
    sw = np.array(list(N.SOCIAL_TYPE_WEIGHTS.values()), dtype=float)
    st = rng.choice(_STYPES.size, size=n, p=sw / sw.sum())
    return _Kinds(is_ent, np.where(is_ent, -1, st))


def _draw_places(sk: _Skeleton, rng: np.random.Generator, st: np.ndarray, buildings: pd.DataFrame,
                 parks: pd.DataFrame, extra: dict[str, np.ndarray]) -> _Places:
    """Placement (building, park, town centre, scatter, community), then the building, park, town and community."""
    n = st.size
    nt = sk.codes.size
    cls_of_type = np.ones(_STYPES.size + 1, dtype=np.int64)  # last slot: enterprises (st == -1)
    cls_of_type[-1] = 0
    for s_name, c in _PLACE_CLASS.items():
        cls_of_type[_ST_OF[s_name]] = c
    cls = cls_of_type[st]
    place = (rng.random(n)[:, None] > np.cumsum(_PLACE_P[cls], axis=1)[:, :-1]).sum(axis=1)
    nb = len(buildings)
    b_town = extra["building_town"]
    bw = buildings["floor_area"].to_numpy(dtype=float)
    bidx = np.where(place == _PLACE_BUILDING, rng.choice(nb, size=n, p=bw / bw.sum()), -1)
    p_town = extra["park_town"]
    pw = parks["level"].map(_PARK_LEVEL_WEIGHT).fillna(1.0).to_numpy(dtype=float)
    pidx = np.where(place == _PLACE_PARK, rng.choice(len(parks), size=n, p=pw / pw.sum()), -1)
    town = rng.choice(nt, size=n, p=sk.org_weight / sk.org_weight.sum())
    town = np.where(bidx >= 0, b_town[np.maximum(bidx, 0)], town)
    town = np.where(pidx >= 0, p_town[np.maximum(pidx, 0)], town)
    # communities per town (all, and those with a point)
    comm_all = [np.flatnonzero(sk.comm_town == t) for t in range(nt)]
    comm_pt = [np.flatnonzero((sk.comm_town == t) & np.isfinite(sk.comm_lon)) for t in range(nt)]
    cidx_any = _choice_by_group(rng, town, nt, comm_all)
    cidx_pt = _choice_by_group(rng, town, nt, comm_pt)
    # a community placement needs a community; otherwise the org goes to the town centre
    place = np.where((place == _PLACE_COMMUNITY) & (cidx_any < 0), _PLACE_CENTRE, place)
    cidx = np.where(place == _PLACE_COMMUNITY, cidx_any, -1)
    return _Places(place, bidx, pidx, town, cidx_any, cidx_pt, cidx)


def _draw_coordinates(sk: _Skeleton, rng: np.random.Generator, pl: _Places, buildings: pd.DataFrame,
                      parks: pd.DataFrame, extra: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 coordinates inside each org's town, clustered by placement (rounded to 6 decimals)."""
    place, town = pl.place, pl.town
    n = place.size
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    m = place == _PLACE_BUILDING
    lon[m] = buildings["lon"].to_numpy()[pl.bidx[m]]
    lat[m] = buildings["lat"].to_numpy()[pl.bidx[m]]
    m = place == _PLACE_PARK
    if m.any():
        pi = pl.pidx[m]
        lon[m], lat[m] = sk.shapes.around(town[m], parks["lon"].to_numpy()[pi], parks["lat"].to_numpy()[pi],
                                          extra["park_spread"][pi], rng)
    m = place == _PLACE_CENTRE
    if m.any():
        t = town[m]
        use_comm = (rng.random(m.sum()) < 0.5) & (pl.cidx_pt[m] >= 0)
        cp = np.maximum(pl.cidx_pt[m], 0)
        cx = np.where(use_comm, sk.comm_lon[cp] if sk.comm_lon.size else 0.0, sk.seat_lon[t])
        cy = np.where(use_comm, sk.comm_lat[cp] if sk.comm_lat.size else 0.0, sk.seat_lat[t])
        sigma = np.select([sk.kinds[t] == "街道", sk.kinds[t] == "地区"], [500.0, 900.0], 700.0)
        lon[m], lat[m] = sk.shapes.around(t, cx, cy, sigma, rng)
    m = place == _PLACE_SCATTER
    if m.any():
        lon[m], lat[m] = sk.shapes.uniform(town[m], rng)
    m = place == _PLACE_COMMUNITY
    if m.any():
        t = town[m]
        c = pl.cidx[m]
        known = np.isfinite(sk.comm_lon[c])
        cx = np.where(known, sk.comm_lon[c], sk.seat_lon[t])
        cy = np.where(known, sk.comm_lat[c], sk.seat_lat[t])
        lon[m], lat[m] = sk.shapes.around(t, cx, cy, np.where(known, 250.0, 1500.0), rng)
    return np.round(lon, 6), np.round(lat, 6)


def _draw_section(rng: np.random.Generator, sec: np.ndarray, mask: np.ndarray, weights: dict[str, float]) -> None:
    """Draw the section of the rows in ``mask`` from ``weights`` (section code -> weight), in place."""
    k = int(mask.sum())
    if k:
        keys = np.array([_SEC_IDX[s] for s in weights])
        w = np.array(list(weights.values()), dtype=float)
        sec[mask] = keys[rng.choice(keys.size, size=k, p=w / w.sum())]


def _draw_sections(rng: np.random.Generator, kinds: _Kinds, pl: _Places) -> np.ndarray:
    """Index into ``_SECTIONS`` of every org: by building, park, elsewhere, or social type."""
    is_ent, st, place = kinds.is_ent, kinds.st, pl.place
    sec = np.zeros(st.size, dtype=np.int64)
    _draw_section(rng, sec, is_ent & (place == _PLACE_BUILDING), N.BUILDING_SECTION_WEIGHTS)
    _draw_section(rng, sec, is_ent & (place != _PLACE_BUILDING) & (place != _PLACE_PARK),
                  N.ENTERPRISE_SECTION_WEIGHTS)
    for i, p in enumerate(N.PARKS):
        _draw_section(rng, sec, is_ent & (pl.pidx == i), p[5])
    for i, s in enumerate(_STYPES):
        _draw_section(rng, sec, st == i, {x: 1.0 for x in N.SOCIAL_TYPE_SECTIONS[s]})
    return sec


def _draw_staff(rng: np.random.Generator, kinds: _Kinds, place: np.ndarray,
                sec: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Employees, full party members and probationary members.

    Staff are lognormal by section / type, bigger in parks, with a Pareto tail of
    large firms; members are zero for most small orgs and grow with size.
    """
    is_ent, st = kinds.is_ent, kinds.st
    n = st.size
    med_sec = np.array([N.SECTION_MEDIAN_EMPLOYEES.get(s, 8.0) for s in _SECTIONS])
    med_st = np.array([N.SOCIAL_TYPE_MEDIAN_STAFF[s] for s in _STYPES])
    med = np.where(is_ent, med_sec[sec], med_st[np.maximum(st, 0)])
    med = med * np.where(place == _PLACE_PARK, 2.0, 1.0)
    sigma = np.where(is_ent, 1.1, 0.85)
    emp = np.exp(np.log(med) + sigma * rng.standard_normal(n))
    tail = is_ent & (rng.random(n) < 0.006)
    emp = np.where(tail, emp * (3.0 + 3.0 * rng.pareto(1.5, n)), emp)
    employees = np.clip(np.round(emp), 1, 30_000).astype(np.int64)
    p_any = 1.0 / (1.0 + np.exp(-(-2.46 + 0.848 * np.log(employees))))
    has_any = rng.random(n) < p_any
    rate_sec = np.array([_ENTERPRISE_MEMBER_RATE.get(s, 0.05) for s in _SECTIONS])
    rate_st = np.array([N.SOCIAL_TYPE_MEMBER_RATE[s] for s in _STYPES])
    rate = np.where(is_ent, rate_sec[sec], rate_st[np.maximum(st, 0)])
    rate = np.clip(rate * np.exp(0.5 * rng.standard_normal(n)), 0.0, 0.6)
    members = np.where(has_any, np.maximum(1, rng.binomial(employees, rate)), 0)
    members = np.minimum(members, employees)
    probationary = np.minimum(rng.binomial(members, 0.04), employees - members)
    return employees, members, probationary
