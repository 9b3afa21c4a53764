"""What instructors visit (package-private): the named instructors' current orgs, new joint units and the orgs
that still need an instructor, as arrays aligned with one frame.

No double visits: an org that leads (``hub_id``) or joins (``org_ids``) a new joint unit of ``extra_sites``
is covered by the unit's visit. A hub that already has a named instructor hands its place on that
instructor's list to the unit; a hub or member still waiting for an instructor is dropped (the unit
is visited instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lianxin_geo.core.district import District, normalize_text
from lianxin_geo.core.frames import blank, column, numbers
from lianxin_geo.core.industry import industry_group
from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.core.model import PARTY_NONE
from lianxin_geo.core.policy import Profile
from lianxin_geo.plan.routes._bases import town_of
from lianxin_geo.plan.routes._people import People, named_people
from lianxin_geo.plan.routes.params import InstructorParams

__all__ = ["KEPT", "NEW", "Sites", "default_needs_instructor", "industry_labels", "visiting_sites"]

#: ``stops.assignment`` of an org the instructor already looks after.
KEPT = "现有联系"
#: ``stops.assignment`` of an org (or new unit) newly given to the instructor.
NEW = "新分配"


def industry_labels(values: Sequence[Any], profile: Profile | str | None = None) -> np.ndarray:
    """The profile's industry group of every free-text industry (``""`` when unknown)."""
    groups = industry_group(list(values), profile)
    return np.asarray(["" if g is None else str(g) for g in groups], dtype=object)


def default_needs_instructor(orgs: pd.DataFrame, *, replan: bool = False) -> pd.Series:
    """Default R11 mask: no party organization, no members, and (unless ``replan``) no instructor yet.

    ``party_status`` missing counts as 未建立 (the ledger default); ``members``
    missing counts as 0.
    """
    status = column(orgs, "party_status").map(lambda v: normalize_text(v) or PARTY_NONE).to_numpy()
    members = np.nan_to_num(numbers(orgs, "members"), nan=0.0)
    need = (status == PARTY_NONE) & (members <= 0)
    if not replan:
        need = need & blank(orgs, "instructor")
    return pd.Series(need.astype(bool), index=orgs.index)


@dataclass(frozen=True)
class Sites:
    """The places to visit, as arrays aligned with ``frame``.

    ``owner`` is the named instructor (index into ``people``) who keeps the site, ``-1`` for a site
    still to be placed; ``covered`` counts the orgs whose separate visit a new joint unit replaces.
    """

    frame: pd.DataFrame
    ids: list[Any]
    names: list[str]
    industries: list[str]
    groups: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    towns: np.ndarray
    owner: np.ndarray
    people: People
    candidates: int
    covered: int


def _need(orgs: pd.DataFrame, replan: bool) -> np.ndarray:
    if "needs_instructor" in orgs:
        need = orgs["needs_instructor"].fillna(False).astype(bool).to_numpy()
        return need if replan else need & blank(orgs, "instructor")
    return default_needs_instructor(orgs, replan=replan).to_numpy()


def _unit_members(ex: pd.DataFrame) -> tuple[dict[str, int], set[str]]:
    """Hub id -> row of its unit, and every org id a unit covers (hubs and members)."""
    hubs: dict[str, int] = {}
    covered: set[str] = set()
    for i, h in enumerate(column(ex, "hub_id").tolist()):
        if normalize_text(h):
            hubs.setdefault(str(h), i)
            covered.add(str(h))
    for ids in column(ex, "org_ids").tolist():
        if isinstance(ids, (list, tuple, np.ndarray, pd.Series)):
            covered |= {str(x) for x in ids}
    return hubs, covered


def visiting_sites(orgs: pd.DataFrame, extra_sites: pd.DataFrame | None, prm: InstructorParams, *,
                   district: District, replan: bool) -> Sites:
    """Build the sites: kept orgs of named instructors, new units, then orgs waiting for an instructor.

    With ``replan`` nobody keeps their orgs (the named instructors still count, as the people
    available); otherwise every org naming an instructor stays with that person.
    """
    org_towns = town_of(orgs, district)
    people, who = named_people(orgs, org_towns)
    need = _need(orgs, replan)
    kept = (who >= 0) & (not replan)
    ids = orgs["id"].astype(str).to_numpy()
    ex = None
    hubs: dict[str, int] = {}
    covered: set[str] = set()
    if extra_sites is not None and len(extra_sites) and prm.include_new_units:
        ex = extra_sites.reset_index(drop=True)
        if "name" not in ex:
            ex = ex.assign(name=["新建党组织 " + str(x) for x in ex["id"]])
        hubs, covered = _unit_members(ex)
    in_unit = np.isin(ids, list(covered)) if covered else np.zeros(len(orgs), dtype=bool)
    is_hub = np.isin(ids, list(hubs)) if hubs else np.zeros(len(orgs), dtype=bool)
    free = need & ~kept
    parts = [orgs.loc[kept & ~is_hub].assign(_owner=who[kept & ~is_hub])]
    if ex is not None:
        hub_owner = {ids[i]: int(who[i]) for i in np.flatnonzero(kept & is_hub)}
        owners = [-1] * len(ex)
        for h, row in hubs.items():
            owners[row] = hub_owner.get(h, -1)
        parts.append(ex.assign(_owner=owners))
    parts.append(orgs.loc[free & ~in_unit].assign(_owner=-1))
    frame = pd.concat(parts, ignore_index=True)
    owner = frame["_owner"].to_numpy(dtype=int)
    towns = town_of(frame, district)
    for i in np.flatnonzero((owner >= 0) & np.array([t is None for t in towns], dtype=bool)):
        towns[i] = people.homes[owner[i]] or None  # a kept org without a town goes with its person
    names = [str(x) if normalize_text(x) else str(i) for x, i in zip(column(frame, "name"), frame["id"])]
    return Sites(frame=frame.drop(columns="_owner"), ids=[jsonable(x) for x in frame["id"]], names=names,
                 industries=[str(x) if normalize_text(x) else "" for x in column(frame, "industry")],
                 groups=industry_labels(column(frame, "industry").tolist(), prm.profile),
                 lon=numbers(frame, "lon"), lat=numbers(frame, "lat"), towns=towns, owner=owner, people=people,
                 candidates=int(free.sum()) + (len(ex) if ex is not None else 0),
                 covered=int((free & in_unit).sum() + (kept & is_hub).sum()))
