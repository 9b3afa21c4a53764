"""What a ledger writes about a demo org: registration level, credit code, name, town text, address and CRS."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lianxin_geo.core.crs import wgs84_to_gcj02
from lianxin_geo.ingest.creditcode import CHARSET
from lianxin_geo.ingest.demo import names as N
from lianxin_geo.ingest.demo.base import (
    _PLACE_BUILDING,
    _PLACE_CENTRE,
    _PLACE_COMMUNITY,
    _PLACE_PARK,
    _PLACE_SCATTER,
    GCJ02_SHARE,
    MCA_NAME_SHARE,
    NO_COORD_SHARE,
    _cat,
    _num,
    _unique_names,
)
from lianxin_geo.ingest.demo.codes import _credit_codes
from lianxin_geo.ingest.demo.population import _SEC_IDX, _SECTIONS, _ST_OF, _STYPES, _Kinds, _Places
from lianxin_geo.ingest.demo.skeleton import _Skeleton

__all__: list[str] = []

#: Social types whose trade name is a topic (体育、文化 …) rather than invented syllables.
_TOPIC_TYPES = ("社会团体", "民办非企业单位", "城乡社区社会组织")


def _draw_registration(rng: np.random.Generator, kinds: _Kinds) -> tuple[np.ndarray, np.ndarray]:
    """Registration level of the social orgs, and which of them have no credit code (mostly community orgs)."""
    is_ent, st = kinds.is_ent, kinds.st
    n = st.size
    reg = np.full(n, None, dtype=object)
    soc = ~is_ent
    r = rng.random(n)
    is_group = st == _ST_OF["社会团体"]
    is_comm = st == _ST_OF["城乡社区社会组织"]
    reg[soc] = np.where(r[soc] < 0.1, "市级及以上", "区级")
    reg[soc & is_group] = np.where(r[soc & is_group] < 0.15, "市级及以上",
                                   np.where(r[soc & is_group] < 0.8, "区级", "街乡"))
    reg[is_comm] = np.where(r[is_comm] < 0.9, "街乡", "区级")
    no_code = soc & (rng.random(n) < np.where(is_comm, 0.5, 0.01))
    return reg, no_code


def _draw_org_codes(rng: np.random.Generator, kinds: _Kinds, no_code: np.ndarray) -> np.ndarray:
    """Credit codes: registration department 9 (market regulation) / 5 (civil affairs) + organization type."""
    is_ent, st = kinds.is_ent, kinds.st
    ci = CHARSET.index
    dept = np.where(is_ent, ci("9"), ci("5"))
    typ = np.where(is_ent, np.where(rng.random(st.size) < 0.97, ci("1"), ci("3")),
                   np.where(st == _ST_OF["社会团体"], ci("1"), np.where(st == _ST_OF["基金会"], ci("3"), ci("2"))))
    codes = _credit_codes(rng, dept, typ)
    codes[no_code] = None
    return codes


def _draw_org_names(sk: _Skeleton, rng: np.random.Generator, kinds: _Kinds, sec: np.ndarray,
                    pl: _Places) -> np.ndarray:
    """Unique invented names: 北京 + trade name + section word + suffix, or a social type's pattern."""
    is_ent, st = kinds.is_ent, kinds.st
    n = st.size
    a = np.asarray(N.TRADE_A, dtype=object)[rng.integers(0, len(N.TRADE_A), n)]
    b = np.asarray(N.TRADE_B, dtype=object)[rng.integers(0, len(N.TRADE_B), n)]
    c3 = np.asarray(N.TRADE_C, dtype=object)[rng.integers(0, len(N.TRADE_C), n)]
    trade = _cat(a, b)
    longer = rng.random(n) < 0.3
    trade[longer] = _cat(trade[longer], c3[longer])
    pre = np.full(n, "北京", dtype=object)
    post = np.empty(n, dtype=object)
    word_tbl = {s: np.asarray(N.SECTION_WORDS.get(s, ("商贸",)), dtype=object) for s in _SECTIONS}
    suffixes = np.asarray(N.ENTERPRISE_SUFFIXES, dtype=object)
    for s, i in _SEC_IDX.items():
        mm = is_ent & (sec == i)
        k = int(mm.sum())
        if k:
            post[mm] = _cat(word_tbl[s][rng.integers(0, word_tbl[s].size, k)],
                            suffixes[rng.integers(0, suffixes.size, k)])
    topics = np.asarray(N.SOCIAL_TOPICS, dtype=object)
    for i, s in enumerate(_STYPES):
        mm = st == i
        k = int(mm.sum())
        if not k:
            continue
        pats = N.SOCIAL_NAME_PATTERNS[s]
        pj = rng.integers(0, len(pats), k)
        pre[mm] = np.asarray([p[0] for p in pats], dtype=object)[pj]
        post[mm] = np.asarray([p[1] for p in pats], dtype=object)[pj]
        if s in _TOPIC_TYPES:
            trade[mm] = topics[rng.integers(0, topics.size, k)]
        if s == "城乡社区社会组织":
            t = pl.town[mm]
            c = pl.cidx_any[mm]
            pre[mm] = np.where(c >= 0, sk.comm_short[np.maximum(c, 0)] if sk.comm_short.size else "", sk.short[t])
    return _unique_names(rng, pre, trade, post)


def _draw_addresses(sk: _Skeleton, rng: np.random.Generator, pl: _Places, buildings: pd.DataFrame,
                    parks: pd.DataFrame, extra: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Town text (statistics or civil-affairs name), address, and which orgs have an address only."""
    place, town = pl.place, pl.town
    n = place.size
    use_mca = (sk.kinds[town] == "地区") & (rng.random(n) < MCA_NAME_SHARE)
    town_text = np.where(use_mca, sk.mca[town], sk.names[town])
    road = _cat(sk.short[town], np.asarray(N.ROAD_SUFFIXES, dtype=object)[rng.integers(0, len(N.ROAD_SUFFIXES), n)])
    number = _num(rng.integers(1, 300, n))
    no_coord = rng.random(n) < NO_COORD_SHARE
    # an address-only org in the open names a community (one with a known point when the town has one)
    addr_comm = np.where(place == _PLACE_COMMUNITY, pl.cidx,
                         np.where(no_coord & ((place == _PLACE_CENTRE) | (place == _PLACE_SCATTER)),
                                  np.where(pl.cidx_pt >= 0, pl.cidx_pt, pl.cidx_any), -1))
    head = _cat("顺义区", town_text)
    address = _cat(head, road, number, "号")
    m = place == _PLACE_BUILDING
    if m.any():
        floor = _num(rng.integers(1, 25, int(m.sum())))
        address[m] = _cat(head[m], extra["building_road_num"][pl.bidx[m]], buildings["name"].to_numpy()[pl.bidx[m]],
                          floor, "层")
    m = place == _PLACE_PARK
    if m.any():
        address[m] = _cat(head[m], parks["name"].to_numpy()[pl.pidx[m]], road[m], number[m], "号")
    m = addr_comm >= 0
    if m.any():
        cs = sk.comm_short[addr_comm[m]]
        tail_txt = np.where(pd.Series(cs).str.endswith("村").to_numpy(), _cat(number[m], "号"),
                            _cat(number[m], "号楼"))
        address[m] = _cat(head[m], cs, tail_txt)
    return town_text, address, no_coord


def _draw_crs(rng: np.random.Generator, no_coord: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Coordinate systems: none for the address-only orgs, GCJ-02 for 10 % of the rest (``lon``/``lat`` in place)."""
    crs = np.where(no_coord, None, np.where(rng.random(no_coord.size) < GCJ02_SHARE, "GCJ02", "WGS84")).astype(object)
    gcj = crs == "GCJ02"
    if gcj.any():
        glon, glat = wgs84_to_gcj02(lon[gcj], lat[gcj])
        lon[gcj] = np.round(glon, 6)
        lat[gcj] = np.round(glat, 6)
    lon[no_coord] = np.nan
    lat[no_coord] = np.nan
    return crs
