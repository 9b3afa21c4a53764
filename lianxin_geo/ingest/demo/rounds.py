"""Later ledger rounds of the demo: the first round evolved, seeded, one half year at a time.

Planners refresh the ledger twice a year (June and November, 顺义 measures 第十三条). The demo's first round is
:data:`BASE_ROUND` (``2026-06``, what :func:`~lianxin_geo.ingest.demo.generate_demo` gives without ``round``);
:func:`evolve_round` turns one round into the next (``2026-06`` → ``2026-11`` → ``2027-06`` …). Each step draws
from its own random stream (``SeedSequence(seed, spawn_key=(1000, step))``, independent of the four streams of
the first round), in this order, every share of the orgs of the round it starts from:

1. **closed** (注销/迁出): :data:`CLOSE_SHARE` (4 %) of the orgs, ``round(0.04·n)``, drawn without replacement
   with weight ``1/√staff`` (small firms close more often). A joint party org left with fewer than 2 units or
   fewer than ``joint.min_members_total`` members is dissolved: each remaining unit moves to another joint org of
   its town and section with room (``merged``), or becomes 未建立 when there is none (``dissolved``).
2. **own org formed** (单独建立): :data:`OWN_FORM_SHARE` (30 %) of the surviving 未建立 orgs with at least
   ``thresholds.own_org_min_members`` members (rule R2 gaps); party-org type by members as in the first round.
3. **split off** (从联合党组织中单独建立): :data:`SPLIT_SHARE` (25 %) of the surviving joint-org units with at
   least ``own_org_min_members`` members (rule R10 gaps) whose joint org stays valid without them (≥ 2 units,
   ≥ ``joint.min_members_total`` members); a second unit leaving the same joint org is skipped when that would
   break it.
4. **joined** (加入联合党组织): :data:`JOIN_SHARE` (8 %) of the remaining 未建立 orgs with fewer than
   ``own_org_min_members`` members, ``round(0.08·k)``, drawn among those whose town and GB/T 4754 section already
   have a joint org with room (fewer than ``joint.max_units`` units), in random order: each joins one of them at
   random, skipping those whose joint orgs filled up meanwhile (fewer only when the room runs out).
5. **staff changed** (从业人员/党员人数变化): :data:`CHANGE_SHARE` (10 %) of the survivors: staff × e^(0.2·N(0,1)),
   members −1 … +2 (never below what the org's party org needs, never down in a joint org, never below 0);
   payroll and the five-clear texts follow.
6. **instructor assigned** (选派党建指导员): :data:`INSTRUCTOR_SHARE` (15 %) of the 未建立 orgs without an
   instructor, from their town's instructors with room (``instructors.orgs_per_instructor``), else a new one.
7. **founded** (新成立): :data:`FOUND_SHARE` (6 %) new orgs, ``round(0.06·n)``, drawn by the same generator as the
   first round (kinds, placement, staff, party status, names, credit codes), with credit codes and names unique
   against every org of the round it starts from (closed ones included) and joint-org ids numbered on after the
   town's highest one in that round.

Newly formed party orgs report activities as in the first round (85 %, Poisson(10), one in ten Poisson(1.5)) and
drop their instructor and five-clear texts. Everything else of a surviving org is unchanged (credit code, name,
address, coordinates …), so its id is the same in both rounds; buildings, parks and centers are unchanged. Every
row keeps ``source = DEMO_FLAG``. With the default seed and 5,000 orgs, ``assess`` gives a district 组织覆盖率 of
45.8 % → 48.2 % → 50.4 % (2026-06 → 2026-11 → 2027-06), 单独组建率 10.9 % → 11.4 % → 12.1 % and 工作覆盖率
82.9 % → 85.7 % → 88.3 % (``docs/demo.md``).
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd

from lianxin_geo.core.district import District
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.model import ORG_SCHEMA, PARTY_JOINT, PARTY_NONE, PARTY_OWN
from lianxin_geo.core.policy import Profile, as_profile
from lianxin_geo.ingest.boundaries import demo_district
from lianxin_geo.ingest.creditcode import CHARSET
from lianxin_geo.ingest.demo import names as N
from lianxin_geo.ingest.demo.base import DemoData, _person_names, _typed
from lianxin_geo.ingest.demo.codes import _credit_codes
from lianxin_geo.ingest.demo.orgs import _make_orgs
from lianxin_geo.ingest.demo.party import _OWN, _party_org_types
from lianxin_geo.ingest.demo.places import _make_buildings, _make_parks
from lianxin_geo.ingest.demo.population import _Limits
from lianxin_geo.ingest.demo.rounds_text import _changes_frame, _five_clear_update
from lianxin_geo.ingest.demo.skeleton import _skeleton

__all__ = [
    "BASE_ROUND",
    "CLOSE_SHARE",
    "FOUND_SHARE",
    "OWN_FORM_SHARE",
    "SPLIT_SHARE",
    "JOIN_SHARE",
    "CHANGE_SHARE",
    "INSTRUCTOR_SHARE",
    "CHANGE_KINDS",
    "round_labels",
    "next_round",
    "evolve_round",
]

#: Label of the demo's first round (what ``generate_demo`` gives without ``round``).
BASE_ROUND = "2026-06"
#: Months of the ledger rounds (June and November).
_ROUND_MONTHS = (6, 11)
#: Per round, as shares of the orgs (or of the eligible orgs) of the round it starts from; see the module docstring.
CLOSE_SHARE = 0.04
FOUND_SHARE = 0.06
OWN_FORM_SHARE = 0.30
SPLIT_SHARE = 0.25
JOIN_SHARE = 0.08
CHANGE_SHARE = 0.10
INSTRUCTOR_SHARE = 0.15
#: Change kinds of ``DemoData.changes`` and their Chinese names.
CHANGE_KINDS: dict[str, str] = {
    "closed": "注销/迁出",
    "merged": "联合党组织解散后转入其他联合党组织",
    "dissolved": "联合党组织解散",
    "own_formed": "单独建立党组织",
    "split": "从联合党组织中单独建立",
    "joined": "加入联合党组织",
    "staff": "从业人员/党员人数变化",
    "instructor": "选派党建指导员",
    "founded": "新成立",
}
#: spawn_key root of the round streams (the first round uses the children 0–3 of the seed).
_ROUND_STREAM = 1000
_LABEL = re.compile(r"^(\d{4})-(\d{2})$")


# ======================================================================= labels
def _parse(label: str) -> tuple[int, int]:
    m = _LABEL.match(str(label).strip())
    if not m or int(m.group(2)) not in _ROUND_MONTHS:
        raise LianxinError(f"轮次 {label!r} 无法识别：请写成“年-月”，月份为 06 或 11（台账每年6月、11月各更新一次），"
                           f"如 {next_round(BASE_ROUND)}")
    return int(m.group(1)), int(m.group(2))


def _step(label: str) -> int:
    """Number of rounds from :data:`BASE_ROUND` to ``label`` (0 for the base round)."""
    y, m = _parse(label)
    y0, m0 = _parse(BASE_ROUND)
    return 2 * (y - y0) + _ROUND_MONTHS.index(m) - _ROUND_MONTHS.index(m0)


def next_round(label: str) -> str:
    """The round after ``label`` (``2026-06`` → ``2026-11`` → ``2027-06``)."""
    m = _LABEL.match(str(label).strip())
    if not m:
        raise LianxinError(f"轮次 {label!r} 无法识别：请写成“年-月”，如 2026-11")
    y, mo = int(m.group(1)), int(m.group(2))
    return f"{y}-11" if mo < 11 else f"{y + 1}-06"


def round_labels(label: str) -> list[str]:
    """The rounds after :data:`BASE_ROUND` up to ``label`` included (empty for the base round itself).

    Raises
    ------
    LianxinError
        When ``label`` is not ``YYYY-06`` / ``YYYY-11`` or comes before the base round.
    """
    steps = _step(label)
    if steps < 0:
        raise LianxinError(f"轮次 {label} 早于演示数据的第一轮 {BASE_ROUND}：请用 {BASE_ROUND} 或其后的轮次，"
                           f"如 {next_round(BASE_ROUND)}")
    out, cur = [], BASE_ROUND
    for _ in range(steps):
        cur = next_round(cur)
        out.append(cur)
    return out


# ======================================================================= context
class _Ctx:
    """What a step needs besides the orgs: skeleton, buildings and parks as generated, limits, town of each org."""

    def __init__(self, prev: DemoData, district: District, profile: Profile) -> None:
        self.sk = _skeleton(district)
        self.prof = profile
        self.lim = _Limits.from_profile(profile)
        rng_b, rng_p, _, _ = (np.random.default_rng(s) for s in np.random.SeedSequence(prev.seed).spawn(4))
        self.buildings, b_extra = _make_buildings(self.sk, rng_b, len(prev.buildings))
        self.parks, p_extra = _make_parks(self.sk, rng_p)
        if (list(self.buildings["name"]) != list(prev.buildings["name"])
                or list(self.parks["name"]) != list(prev.parks["name"])):
            raise LianxinError("evolve_round 需要 generate_demo 生成的演示数据（同一区划、同一种子）：楼宇或园区与种子"
                               f" {prev.seed} 的生成结果不一致")
        self.extra = {"building_town": b_extra["town_idx"], "building_road_num": b_extra["road_num"],
                      "park_town": p_extra["town_idx"], "park_spread": p_extra["spread"]}
        self.district = district

    def town_codes(self, town_text: pd.Series) -> np.ndarray:
        uniq = pd.unique(town_text.astype(object))
        lut = {t: self.district.resolve_town(t) for t in uniq}
        return town_text.astype(object).map(lut).to_numpy(dtype=object)


# ======================================================================= helpers on the org frame
def _clear_party(o: pd.DataFrame, idx: np.ndarray) -> None:
    o.loc[idx, "party_status"] = PARTY_NONE
    o.loc[idx, ["party_org_type", "joint_org_id"]] = None
    o.loc[idx, "activities"] = pd.NA


def _form(o: pd.DataFrame, rng: np.random.Generator, idx: np.ndarray) -> None:
    """Party org newly formed for the rows ``idx``: activities drawn; instructor and five-clear texts dropped."""
    k = idx.size
    act = np.where(rng.random(k) < 0.9, rng.poisson(10, k), rng.poisson(1.5, k))
    report = rng.random(k) < 0.85
    o.loc[idx, "activities"] = pd.array(np.where(report, act, 0), dtype="Int64")
    o.loc[idx[~report], "activities"] = pd.NA
    o.loc[idx, ["instructor", "clear_operations", "clear_staff", "clear_members", "clear_owner",
                "clear_reason"]] = None


def _joint_stats(o: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    j = o["joint_org_id"].dropna()
    g = o.loc[j.index, "members"].astype("int64").groupby(j)
    return g.size(), g.sum()


def _pick(rng: np.random.Generator, pool: np.ndarray, share: float) -> np.ndarray:
    """``round(share · |pool|)`` elements of ``pool`` drawn without replacement, in draw order."""
    k = int(round(share * pool.size))
    return pool[rng.permutation(pool.size)[:k]] if k else pool[:0]


# ======================================================================= steps
def _room(o: pd.DataFrame, ctx: _Ctx) -> tuple[pd.Series, dict[str, list[str]], pd.Series]:
    """Units per joint org, the joint orgs of each (town, section) key, and every org's key."""
    size, _ = _joint_stats(o)
    town = pd.Series(ctx.town_codes(o["town"]), index=o.index)
    key = town.astype(str) + "|" + o["industry"].astype(str)
    jrows = o["joint_org_id"].notna()
    groups: dict[str, list[str]] = {}
    for j, kk in sorted(set(zip(o.loc[jrows, "joint_org_id"], key[jrows]))):
        groups.setdefault(kk, []).append(j)
    return size, groups, key


def _move_to_joint(o: pd.DataFrame, rng: np.random.Generator, rows: np.ndarray, ctx: _Ctx, change: str,
                   log: list, *, exclude: set[str] = frozenset(), limit: int | None = None) -> list[int]:
    """Rows, in order, join a random joint org of their town and section with room, until ``limit`` have moved.

    A row whose town and section have no joint org with room left is skipped (and the next row is tried).
    """
    size_s, groups, key = _room(o, ctx)
    size = size_s.to_dict()
    cap = ctx.lim.max_units
    cols = [key.loc[rows].to_numpy(dtype=object)] + [o.loc[rows, c].to_numpy(dtype=object)
                                                      for c in ("joint_org_id", "credit_code", "name")]
    moved, target = [], []
    for i, kk, before, code, name in zip(rows, *cols):
        if limit is not None and len(moved) >= limit:
            break
        options = [j for j in groups.get(kk, ()) if size[j] < cap and j not in exclude]
        if not options:
            continue
        j = options[int(rng.integers(0, len(options)))]
        size[j] += 1
        moved.append(i)
        target.append(j)
        log.append((change, code, name, f"加入联合党组织 {j}" if change == "joined"
                    else f"原联合党组织 {before} 解散，转入 {j}"))
    if moved:
        o.loc[moved, "party_status"] = PARTY_JOINT
        o.loc[moved, "joint_org_id"] = np.asarray(target, dtype=object)
    return moved


def _close(o: pd.DataFrame, rng: np.random.Generator, ctx: _Ctx, log: list) -> pd.DataFrame:
    lim = ctx.lim
    n = len(o)
    k = int(round(CLOSE_SHARE * n))
    w = 1.0 / np.sqrt(o["employees"].to_numpy(dtype=float))
    closed = rng.choice(n, size=k, replace=False, p=w / w.sum()) if k else np.zeros(0, dtype=np.int64)
    gone = o.iloc[np.sort(closed)]
    log += [("closed", c, nm, "本轮台账中已注销或迁出") for c, nm in zip(gone["credit_code"], gone["name"])]
    o = o.drop(index=o.index[closed])
    # a joint org left with < 2 units or too few members is dissolved; its units move to another joint org of
    # their town and section with room, or have no party org until they find one
    size, total = _joint_stats(o)
    broken = size.index[(size < 2) | (total < lim.joint_min_total)]
    idx = o.index[o["joint_org_id"].isin(broken)].to_numpy()
    moved = _move_to_joint(o, rng, idx, ctx, "merged", log, exclude=set(broken)) if idx.size else []
    rest = np.setdiff1d(idx, np.asarray(moved, dtype=idx.dtype))
    for code, name, j in zip(*(o.loc[rest, c].to_numpy(dtype=object) for c in ("credit_code", "name", "joint_org_id"))):
        log.append(("dissolved", code, name, f"联合党组织 {j} 因成员单位注销，不足2个单位或党员不足{lim.joint_min_total}名，"
                    "暂无可转入的联合党组织"))
    _clear_party(o, rest)
    return o


def _own_and_split(o: pd.DataFrame, rng: np.random.Generator, lim: _Limits, log: list) -> None:
    none = (o["party_status"] == PARTY_NONE) & (o["members"] >= lim.own_min)
    own = _pick(rng, o.index[none].to_numpy(), OWN_FORM_SHARE)
    size, total = _joint_stats(o)
    cand = o[(o["party_status"] == PARTY_JOINT) & (o["members"] >= lim.own_min)]
    jid = cand["joint_org_id"].astype(object)
    units = jid.map(size).to_numpy(dtype=float)
    left = jid.map(total).to_numpy(dtype=float) - cand["members"].to_numpy(dtype=float)
    ok = (units - 1 >= 2) & (left >= lim.joint_min_total)
    chosen = _pick(rng, cand.index[ok].to_numpy(), SPLIT_SHARE)
    split = []
    size, total = size.to_dict(), total.to_dict()
    cols = [o.loc[chosen, c].to_numpy(dtype=object) for c in ("joint_org_id", "members", "credit_code", "name")]
    for i, j, m, code, name in zip(chosen, *cols):  # re-check the joint org after each departure
        if size[j] - 1 >= 2 and total[j] - int(m) >= lim.joint_min_total:
            size[j] -= 1
            total[j] -= int(m)
            split.append(i)
            log.append(("split", code, name, f"离开联合党组织 {j}，党员{int(m)}名，单独建立"))
    split = np.asarray(split, dtype=own.dtype)
    for code, name, m in zip(*(o.loc[own, c].to_numpy(dtype=object) for c in ("credit_code", "name", "members"))):
        log.append(("own_formed", code, name, f"党员{int(m)}名，单独建立"))
    both = np.concatenate([own, split])
    if both.size:
        status = np.full(both.size, _OWN)
        types = _party_org_types(rng, status, o.loc[both, "members"].to_numpy(dtype=np.int64),
                                 np.full(both.size, None, dtype=object), lim)
        o.loc[both, "party_status"] = PARTY_OWN
        o.loc[both, "party_org_type"] = types
        o.loc[both, "joint_org_id"] = None
        _form(o, rng, both)


def _join(o: pd.DataFrame, rng: np.random.Generator, ctx: _Ctx, log: list) -> None:
    _, groups, key = _room(o, ctx)
    size, _ = _joint_stats(o)
    with_room = [kk for kk, js in groups.items() if any(size[j] < ctx.lim.max_units for j in js)]
    cand = (o["party_status"] == PARTY_NONE) & (o["members"] < ctx.lim.own_min)
    k = int(round(JOIN_SHARE * int(cand.sum())))
    pool = o.index[cand & key.isin(with_room)].to_numpy()
    joined = _move_to_joint(o, rng, pool[rng.permutation(pool.size)], ctx, "joined", log, limit=k)
    if joined:
        _form(o, rng, np.asarray(joined))


def _staff(o: pd.DataFrame, rng: np.random.Generator, lim: _Limits, log: list) -> None:
    idx = _pick(rng, o.index.to_numpy(), CHANGE_SHARE)
    if not idx.size:
        return
    k = idx.size
    emp0 = o.loc[idx, "employees"].to_numpy(dtype=np.int64)
    mem0 = o.loc[idx, "members"].to_numpy(dtype=np.int64)
    prob = o.loc[idx, "probationary"].to_numpy(dtype=np.int64)
    emp = np.maximum(1, np.round(emp0 * np.exp(0.2 * rng.standard_normal(k)))).astype(np.int64)
    delta = rng.choice(np.array([-1, 0, 1, 2]), size=k, p=[0.2, 0.3, 0.3, 0.2])
    st = o.loc[idx, "party_status"].to_numpy(dtype=object)
    typ = o.loc[idx, "party_org_type"].to_numpy(dtype=object)
    floor = np.where(st == PARTY_OWN, np.select([typ == "党委", typ == "党总支"],
                                                [lim.committee_min, lim.branch_max + 1], lim.own_min), 0)
    delta = np.where(st == PARTY_JOINT, np.maximum(delta, 0), delta)
    mem = np.maximum(mem0 + delta, np.minimum(floor, mem0))  # never below the party org's floor, nor below 0
    emp = np.maximum(emp, mem + prob)
    changed = (emp != emp0) | (mem != mem0)
    idx, emp0, mem0, emp, mem = idx[changed], emp0[changed], mem0[changed], emp[changed], mem[changed]
    o.loc[idx, "employees"] = emp
    o.loc[idx, "members"] = mem
    pay = o.loc[idx, "payroll"].to_numpy(dtype=float)
    o.loc[idx, "payroll"] = np.round(pay * emp / emp0, 1)
    _five_clear_update(o, rng, idx, emp0, lim)
    for code, name, e0, m0, e1, m1 in zip(o.loc[idx, "credit_code"].to_numpy(dtype=object),
                                          o.loc[idx, "name"].to_numpy(dtype=object), emp0, mem0, emp, mem):
        log.append(("staff", code, name, f"从业人员 {e0}→{e1}，党员 {m0}→{m1}"))


def _instructors(o: pd.DataFrame, rng: np.random.Generator, ctx: _Ctx, log: list) -> None:
    elig = (o["party_status"] == PARTY_NONE) & o["instructor"].isna()
    chosen = np.sort(_pick(rng, o.index[elig].to_numpy(), INSTRUCTOR_SHARE))
    if not chosen.size:
        return
    town = pd.Series(ctx.town_codes(o["town"]), index=o.index)
    has = o["instructor"].notna()
    load: dict[object, dict[str, int]] = {}
    for t, name in zip(town[has], o.loc[has, "instructor"]):
        load.setdefault(t, {}).setdefault(name, 0)
        load[t][name] += 1
    taken = set(o.loc[has, "instructor"])
    fresh = [nm for nm in _person_names(rng, 2 * chosen.size + 16) if nm not in taken]
    given = []
    cols = [town.loc[chosen].to_numpy(dtype=object)] + [o.loc[chosen, c].to_numpy(dtype=object)
                                                        for c in ("credit_code", "name")]
    for t, code, org_name in zip(*cols):  # the least loaded instructor of the town with room, else a new one
        pool = load.setdefault(t, {})
        free = sorted((c, nm) for nm, c in pool.items() if c < ctx.lim.per_instructor)
        name = free[0][1] if free else fresh.pop(0)
        pool[name] = pool.get(name, 0) + 1
        given.append(name)
        log.append(("instructor", code, org_name, f"选派党建指导员 {name}"))
    o.loc[chosen, "instructor"] = np.asarray(given, dtype=object)


def _found(prev_all: pd.DataFrame, o: pd.DataFrame, rng: np.random.Generator, ctx: _Ctx, n_prev: int,
           log: list) -> pd.DataFrame:
    k = int(round(FOUND_SHARE * n_prev))
    new = _make_orgs(ctx.sk, rng, k, ctx.buildings, ctx.parks, ctx.extra, ctx.prof)
    if not k:
        return o
    # credit codes and names unique against every org so far (survivors and closed ones)
    used_codes = set(prev_all["credit_code"].dropna())
    for _ in range(50):
        codes = new["credit_code"].to_numpy(dtype=object)
        bad = np.array([isinstance(c, str) and (c in used_codes) for c in codes]) | (
            pd.Series(codes).duplicated().to_numpy() & pd.notna(codes))
        if not bad.any():
            break
        ci = CHARSET.index
        dept = np.array([ci(c[0]) for c in codes[bad]])
        typ = np.array([ci(c[1]) for c in codes[bad]])
        new.loc[new.index[bad], "credit_code"] = _credit_codes(rng, dept, typ)
    used_names = set(prev_all["name"])
    pool = np.asarray(N.TRADE_C, dtype=object)
    names = new["name"].to_numpy(dtype=object).copy()
    for i in range(k):
        while names[i] in used_names:
            names[i] = names[i][:2] + pool[int(rng.integers(0, pool.size))] + names[i][2:]
        used_names.add(names[i])
    new["name"] = names
    # joint-org ids numbered on after each town's existing ones (LH<town code>-NNN)
    old = prev_all["joint_org_id"].dropna().str.extract(r"^(LH\d{9})-(\d+)$").dropna()
    top = old[1].astype(int).groupby(old[0]).max().to_dict()
    nj = new["joint_org_id"].dropna().str.extract(r"^(LH\d{9})-(\d+)$")
    new.loc[nj.index, "joint_org_id"] = [f"{p}-{int(n) + top.get(p, 0):03d}" for p, n in zip(nj[0], nj[1])]
    for c, nm in zip(new["credit_code"], new["name"]):
        log.append(("founded", c, nm, "本轮新登记的组织"))
    return pd.concat([o, new], ignore_index=True)


def _retype_joint(o: pd.DataFrame, lim: _Limits) -> None:
    """Type of every joint org by its members together (党总支 above ``branch_max``), as in the first round."""
    _, total = _joint_stats(o)
    j = o["joint_org_id"].notna()
    o.loc[j, "party_org_type"] = np.where(o.loc[j, "joint_org_id"].map(total) > lim.branch_max, "党总支", "党支部")


# ======================================================================= public
def evolve_round(
    prev: DemoData,
    *,
    round: str | None = None,
    seed: int | None = None,
    district: District | None = None,
    profile: Profile | str | os.PathLike[str] | None = None,
) -> DemoData:
    """The next ledger round of a demo: orgs closed and founded, party orgs formed, staff changed (seeded).

    Parameters
    ----------
    prev
        A round made by :func:`~lianxin_geo.ingest.demo.generate_demo` (clean, ``flaws=False``), or by this function.
    round
        Label of the new round; must be the round after ``prev.round`` (default: that round, see
        :func:`next_round`; ``prev.round`` ``None`` is :data:`BASE_ROUND`).
    seed
        Seed of the step (default ``prev.seed``); the step's stream also depends on the round label.
    district, profile
        As given to ``generate_demo`` for ``prev`` (default the bundled Shunyi district and ``shunyi-2017``).

    Returns
    -------
    DemoData
        The new round: same buildings, parks and centers, the evolved orgs (survivors in their order, then the new
        ones), ``round`` set and ``changes`` listing every change (``change``, ``credit_code``, ``name``, ``detail``).
    """
    if len(prev.flaws):
        raise LianxinError("evolve_round 需要不含故意错误行的演示数据：请用 flaws=False 生成上一轮，"
                           "需要错误行时在 generate_demo(..., round=..., flaws=True) 中最后加入")
    before = prev.round or BASE_ROUND
    label = next_round(before) if round is None else str(round).strip()
    if _step(label) != _step(before) + 1:
        raise LianxinError(f"轮次 {label} 不是 {before} 的下一轮（应为 {next_round(before)}）：逐轮演化，"
                           f"或用 generate_demo(round={label!r}) 从第一轮一次生成")
    ctx = _Ctx(prev, district if district is not None else demo_district(), as_profile(profile))
    rng = np.random.default_rng(np.random.SeedSequence(prev.seed if seed is None else int(seed),
                                                       spawn_key=(_ROUND_STREAM, _step(label))))
    log: list[tuple] = []
    o = prev.orgs.copy()
    o["activities"] = o["activities"].astype("Int64")
    n_prev = len(o)
    o = _close(o, rng, ctx, log)
    _own_and_split(o, rng, ctx.lim, log)
    _join(o, rng, ctx, log)
    _staff(o, rng, ctx.lim, log)
    _instructors(o, rng, ctx, log)
    o = _found(prev.orgs, o.reset_index(drop=True), rng, ctx, n_prev, log)
    _retype_joint(o, ctx.lim)
    orgs = _typed(o[list(ORG_SCHEMA.keys)], ORG_SCHEMA).reset_index(drop=True)
    return DemoData(orgs=orgs, buildings=prev.buildings, parks=prev.parks, centers=prev.centers,
                    seed=prev.seed if seed is None else int(seed), round=label,
                    changes=_changes_frame(log, CHANGE_KINDS))
