"""Party-building columns of the demo orgs: party-org status and type, joint orgs, instructors, mass orgs,
payroll and activities, and the five-clear texts of the orgs without a party org."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lianxin_geo.core.model import PARTY_JOINT, PARTY_NONE, PARTY_OWN
from lianxin_geo.ingest.demo import names as N
from lianxin_geo.ingest.demo.base import _cat, _num, _person_names
from lianxin_geo.ingest.demo.population import _Limits
from lianxin_geo.ingest.demo.skeleton import _Skeleton

__all__: list[str] = []

#: Party-org status codes of the generator and their ledger text.
_OWN, _JOINT, _NONE = 0, 1, 2
_STATUS_TEXT = np.array([PARTY_OWN, PARTY_JOINT, PARTY_NONE], dtype=object)
#: The five-clear columns (五个清) of an org without a party org.
_FIVE_CLEAR = ("clear_operations", "clear_staff", "clear_members", "clear_owner", "clear_reason")


def _draw_status(rng: np.random.Generator, town: np.ndarray, members: np.ndarray, lim: _Limits) -> np.ndarray:
    """0 own, 1 joint (to be grouped), 2 none: most orgs able to have their own org have one."""
    n = members.size
    u = rng.random(n)
    status = np.full(n, _NONE, dtype=np.int64)
    big = members >= lim.own_min
    status[big & (u < 0.82)] = _OWN
    status[big & (u >= 0.82) & (u < 0.90)] = _JOINT
    few = (members >= 1) & ~big
    status[few & (u < 0.65)] = _JOINT
    # zero-member units covered by a joint org (区域化联建): how far a town has got varies a lot, so the
    # demo's town rates spread from well below to near the targets instead of being uniformly low
    town_push = rng.uniform(0.3, 0.95, int(town.max(initial=0)) + 1)
    status[(members == 0) & (u < town_push[town])] = _JOINT
    return status


def _draw_joint_orgs(rng: np.random.Generator, status: np.ndarray, town: np.ndarray, sec: np.ndarray,
                     members: np.ndarray, lim: _Limits) -> np.ndarray:
    """Group the joint candidates into joint orgs of one town and one section, 2 to ``max_units`` units each.

    Returns the joint-org id of every org (-1 for none); candidates that cannot form a valid
    joint org are set to status 2 (none) in place.
    """
    joint_id = np.full(status.size, -1, dtype=np.int64)
    cand = np.flatnonzero(status == _JOINT)
    if not cand.size:
        return joint_id
    key = town[cand] * 64 + sec[cand]
    # within a (town, section) group, members first: dealing them round-robin spreads the members
    # over the group's joint orgs, so most reach the 3-member floor even with many zero-member units
    order = np.lexsort((rng.random(cand.size), -members[cand], key))
    cand, key = cand[order], key[order]
    new_grp = np.ones(cand.size, dtype=bool)
    new_grp[1:] = key[1:] != key[:-1]
    grp = np.cumsum(new_grp) - 1
    grp_start = np.flatnonzero(new_grp)
    pos = np.arange(cand.size) - grp_start[grp]
    grp_size = np.bincount(grp)
    hi = max(2, min(12, lim.max_units - 1))
    lo = min(3, hi)
    chunk_len = rng.integers(lo, hi + 1, size=grp_size.size)
    grp_members = np.bincount(grp, weights=members[cand]).astype(np.int64)
    # about chunk_len units per joint org, no more orgs than the members can staff (3 each) ...
    n_chunks = np.maximum(1, np.minimum(grp_size // chunk_len, grp_members // max(lim.joint_min_total, 1)))
    n_chunks = np.maximum(n_chunks, -(-grp_size // lim.max_units))  # ... and never above max_units units
    chunk = pos % n_chunks[grp]
    gid = grp * (int(chunk.max()) + 1 if chunk.size else 1) + chunk
    _, gid = np.unique(gid, return_inverse=True)
    size = np.bincount(gid)
    total = np.bincount(gid, weights=members[cand])
    ok = (size[gid] >= 2) & (size[gid] <= lim.max_units) & (total[gid] >= lim.joint_min_total)
    status[cand[~ok]] = _NONE
    joint_id[cand[ok]] = gid[ok]
    return joint_id


def _joint_labels(sk: _Skeleton, town: np.ndarray, joint_id: np.ndarray, members: np.ndarray,
                  lim: _Limits) -> tuple[np.ndarray, np.ndarray]:
    """Joint-org ids as text ("LH" + town code + "-" + running number in the town) and their org type."""
    n = joint_id.size
    jid_text = np.full(n, None, dtype=object)
    jtype = np.full(n, None, dtype=object)
    jm = joint_id >= 0
    if not jm.any():
        return jid_text, jtype
    uniq, inv = np.unique(joint_id[jm], return_inverse=True)
    g_town = np.zeros(uniq.size, dtype=np.int64)
    g_town[inv] = town[jm]
    order = np.lexsort((uniq, g_town))
    rank = np.empty(uniq.size, dtype=np.int64)
    first_of_town = np.concatenate([[0], np.flatnonzero(np.diff(g_town[order])) + 1])
    starts = np.zeros(uniq.size, dtype=np.int64)
    starts[first_of_town] = first_of_town
    starts = np.maximum.accumulate(starts)
    rank[order] = np.arange(uniq.size) - starts + 1
    labels = _cat("LH", sk.codes[g_town], "-", pd.Series(rank).astype(str).str.zfill(3).to_numpy(dtype=object))
    jid_text[jm] = labels[inv]
    g_members = np.bincount(inv, weights=members[jm])
    jtype[jm] = np.where(g_members[inv] > lim.branch_max, "党总支", "党支部")
    return jid_text, jtype


def _party_org_types(rng: np.random.Generator, status: np.ndarray, members: np.ndarray, jtype: np.ndarray,
                     lim: _Limits) -> np.ndarray:
    """Type of every org's party org by members; about 15 % still wait for 升格 (rule R9 gap)."""
    upgraded = rng.random(status.size) < 0.85
    own_type = np.where(members >= lim.committee_min, np.where(upgraded, "党委", "党总支"),
                        np.where(members > lim.branch_max, np.where(upgraded, "党总支", "党支部"), "党支部"))
    return np.where(status == _OWN, own_type, jtype)


def _draw_instructors(rng: np.random.Generator, none: np.ndarray, town: np.ndarray, nt: int,
                      lim: _Limits) -> np.ndarray:
    """Instructors (work coverage) for about half of the orgs without a party org, a pool per town."""
    with_instr = none & (rng.random(none.size) < 0.55)
    instructor = np.full(none.size, None, dtype=object)
    if with_instr.any():
        cnt = np.bincount(town[with_instr], minlength=nt)
        pool = np.where(cnt > 0, np.ceil(cnt / max(lim.per_instructor, 1)).astype(np.int64), 0)
        offs = np.concatenate([[0], np.cumsum(pool)[:-1]])
        names = _person_names(rng, int(pool.sum()))
        ti = town[with_instr]
        pick = offs[ti] + np.floor(rng.random(ti.size) * pool[ti]).astype(np.int64)
        instructor[with_instr] = names[pick]
    return instructor


def _draw_mass_orgs(rng: np.random.Generator, employees: np.ndarray) -> np.ndarray:
    """Trade union, youth league and women's federation branches, more likely in larger orgs."""
    n = employees.size
    mid = employees >= 25
    large = employees >= 50
    bits = ((rng.random(n) < 0.12 + 0.6 * mid).astype(np.int64)
            | ((rng.random(n) < 0.04 + 0.25 * large).astype(np.int64) << 1)
            | ((rng.random(n) < 0.02 + 0.15 * large).astype(np.int64) << 2))
    combos = np.array([("、".join(p for j, p in enumerate(N.MASS_ORG_PARTS) if b >> j & 1) or None)
                       for b in range(8)], dtype=object)
    return combos[bits]


def _draw_payroll_and_activities(rng: np.random.Generator, is_ent: np.ndarray, employees: np.ndarray,
                                 status: np.ndarray) -> tuple[np.ndarray, pd.arrays.IntegerArray]:
    """Payroll (万元/年) for part of the enterprises; activities per year for orgs with a party org."""
    n = employees.size
    has_pay = is_ent & (rng.random(n) < 0.65)
    wage = np.exp(np.log(9.0) + 0.35 * rng.standard_normal(n))
    payroll = np.where(has_pay, np.round(employees * wage, 1), np.nan)
    act_val = np.where(rng.random(n) < 0.9, rng.poisson(10, n), rng.poisson(1.5, n))
    act_mask = (status != _NONE) & (rng.random(n) < 0.85)
    activities = pd.array(np.where(act_mask, act_val, 0), dtype="Int64")
    activities[~act_mask] = pd.NA
    return payroll, activities


def _draw_five_clear(rng: np.random.Generator, none: np.ndarray, employees: np.ndarray, members: np.ndarray,
                     probationary: np.ndarray, lim: _Limits) -> dict[str, np.ndarray]:
    """Five-clear texts (五个清) for about a third of the orgs without a party org."""
    n = none.size
    fc = none & (rng.random(n) < 0.35)
    five: dict[str, np.ndarray] = {k: np.full(n, None, dtype=object) for k in _FIVE_CLEAR}
    if not fc.any():
        return five
    k = int(fc.sum())
    e, mb, pb = employees[fc], members[fc], probationary[fc]
    five["clear_operations"][fc] = np.asarray(N.OPERATION_STATES, dtype=object)[
        rng.integers(0, len(N.OPERATION_STATES), k)]
    young = np.round(e * rng.uniform(0.2, 0.6, k)).astype(np.int64)
    five["clear_staff"][fc] = _cat("从业人员", _num(e), "人，其中35岁以下约", _num(young), "人")
    five["clear_members"][fc] = np.where(
        mb == 0, np.where(pb > 0, _cat("无正式党员，预备党员", _num(pb), "名"), "无党员"),
        _cat("正式党员", _num(mb), "名"))
    sur = np.asarray(N.SURNAMES, dtype=object)[rng.integers(0, len(N.SURNAMES), k)]
    owner_party = np.where(rng.random(k) < 0.15, "，中共党员", "，非中共党员")
    five["clear_owner"][fc] = _cat("负责人", sur, "某某", owner_party)
    other = np.asarray(N.FIVE_CLEAR_REASONS[2:], dtype=object)[rng.integers(0, len(N.FIVE_CLEAR_REASONS) - 2, k)]
    few = N.FIVE_CLEAR_REASONS[1].format(own_min=lim.own_min)
    five["clear_reason"][fc] = np.where(mb == 0, N.FIVE_CLEAR_REASONS[0], np.where(mb < lim.own_min, few, other))
    return five
