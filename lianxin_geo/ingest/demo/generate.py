"""``generate_demo``: the four synthetic ledgers of a district, from one seed."""

from __future__ import annotations

import builtins
import math
import os

import numpy as np

from lianxin_geo.core.district import District
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.model import BUILDING_SCHEMA, CENTER_SCHEMA, ORG_SCHEMA, PARK_SCHEMA
from lianxin_geo.core.policy import Profile, as_profile
from lianxin_geo.ingest.boundaries import demo_district
from lianxin_geo.ingest.demo.base import DEFAULT_SEED, DemoData, _empty_flaws, _typed
from lianxin_geo.ingest.demo.flaws import _add_flaws
from lianxin_geo.ingest.demo.orgs import _make_orgs
from lianxin_geo.ingest.demo.places import _make_buildings, _make_centers, _make_parks, _required_m2
from lianxin_geo.ingest.demo.rounds import BASE_ROUND, evolve_round, round_labels
from lianxin_geo.ingest.demo.skeleton import _skeleton

__all__ = ["generate_demo"]


def generate_demo(
    n_orgs: int = 5000,
    *,
    seed: int = DEFAULT_SEED,
    district: District | None = None,
    profile: Profile | str | os.PathLike[str] | None = None,
    n_buildings: int | None = None,
    flaws: bool = False,
    round: str | None = None,
) -> DemoData:
    """Generate a synthetic demo ledger set on a district skeleton.

    Parameters
    ----------
    n_orgs
        Number of organizations (5,000 is a district; 1,000,000 runs in well under a minute).
    seed
        Seed of every random draw: the same seed gives identical frames.
    district
        The skeleton (default: :func:`lianxin_geo.ingest.boundaries.demo_district`, Shunyi).
    profile
        The policy profile whose thresholds shape the demo (area standards of
        service centers, party-org types by members, joint unit limits, orgs per
        instructor): a :class:`lianxin_geo.core.policy.Profile`, a profile name or
        path; default the ``shunyi-2017`` profile.
    n_buildings
        Number of commercial buildings; default 50, growing with the square root
        of ``n_orgs`` above 5,000.
    flaws
        Overwrite the last eight org rows with one documented flaw each (see
        ``DemoData.flaws`` and ``docs/demo.md``); the default demo is clean. In a
        later round the flaws are put into that round's last eight rows.
    round
        A ledger round (``YYYY-06`` or ``YYYY-11``): ``None`` or :data:`BASE_ROUND`
        (``2026-06``) is the first round; a later one is the first round evolved
        round by round with :func:`~lianxin_geo.ingest.demo.rounds.evolve_round`
        (orgs closed and founded, party orgs formed, staff changed; see
        ``docs/demo.md``). ``DemoData.round`` is ``None`` only without ``round``.

    Returns
    -------
    DemoData
        Frames with the internal keys of the ledger schemas; every row has
        ``source == DEMO_FLAG``.
    """
    labels = round_labels(round) if round is not None else []  # checks the label before any work
    if int(n_orgs) < 0:
        raise LianxinError(f"n_orgs 不能为负数（收到 {n_orgs}）：请填写组织数量，如 5000")
    n_orgs = int(n_orgs)
    district = district if district is not None else demo_district()
    if n_buildings is None:
        n_buildings = max(50, int(builtins.round(50 * math.sqrt(max(n_orgs, 1) / 5000))))
    if n_buildings < 1:
        raise LianxinError(f"n_buildings 至少为 1（收到 {n_buildings}）")
    prof = as_profile(profile)
    sk = _skeleton(district)
    rng_b, rng_p, rng_c, rng_o = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))
    buildings, b_extra = _make_buildings(sk, rng_b, n_buildings)
    parks, p_extra = _make_parks(sk, rng_p)
    extra = {"building_town": b_extra["town_idx"], "building_road_num": b_extra["road_num"],
             "park_town": p_extra["town_idx"], "park_spread": p_extra["spread"]}
    centers = _typed(_make_centers(sk, rng_c, buildings, parks, extra, _required_m2(prof)), CENTER_SCHEMA)
    orgs = _make_orgs(sk, rng_o, n_orgs, buildings, parks, extra, prof)
    buildings = _typed(buildings, BUILDING_SCHEMA)
    parks = _typed(parks, PARK_SCHEMA)
    data = DemoData(orgs=orgs.reset_index(drop=True), buildings=buildings, parks=parks, centers=centers,
                    seed=int(seed), round=None if round is None else BASE_ROUND)
    for label in labels:
        data = evolve_round(data, round=label, district=district, profile=prof)
    report = _empty_flaws()
    if flaws:
        orgs, report = _add_flaws(data.orgs, district)
        data.orgs = _typed(orgs, ORG_SCHEMA).reset_index(drop=True)
    data.flaws = report
    return data
