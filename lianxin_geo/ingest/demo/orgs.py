"""The org ledger of the demo: the named steps, in the order they draw from the org random stream."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lianxin_geo.core.model import DEMO_FLAG, ENTERPRISE, ORG_SCHEMA, SOCIAL
from lianxin_geo.core.policy import Profile
from lianxin_geo.ingest.demo.base import _typed
from lianxin_geo.ingest.demo.labels import (
    _draw_addresses,
    _draw_crs,
    _draw_org_codes,
    _draw_org_names,
    _draw_registration,
)
from lianxin_geo.ingest.demo.party import (
    _NONE,
    _STATUS_TEXT,
    _draw_five_clear,
    _draw_instructors,
    _draw_joint_orgs,
    _draw_mass_orgs,
    _draw_payroll_and_activities,
    _draw_status,
    _joint_labels,
    _party_org_types,
)
from lianxin_geo.ingest.demo.population import (
    _SEC_LABEL,
    _STYPES,
    _draw_coordinates,
    _draw_kinds,
    _draw_places,
    _draw_sections,
    _draw_staff,
    _Limits,
)
from lianxin_geo.ingest.demo.skeleton import _Skeleton

__all__: list[str] = []


def _make_orgs(sk: _Skeleton, rng: np.random.Generator, n: int, buildings: pd.DataFrame, parks: pd.DataFrame,
               extra: dict[str, np.ndarray], profile: Profile) -> pd.DataFrame:
    """``n`` synthetic orgs with the internal keys of ``ORG_SCHEMA``.

    The steps draw from ``rng`` in a fixed order: changing the order (or adding a
    draw in the middle) changes every org after it for the same seed.
    """
    lim = _Limits.from_profile(profile)
    kinds = _draw_kinds(rng, n)
    pl = _draw_places(sk, rng, kinds.st, buildings, parks, extra)
    lon, lat = _draw_coordinates(sk, rng, pl, buildings, parks, extra)
    sec = _draw_sections(rng, kinds, pl)
    employees, members, probationary = _draw_staff(rng, kinds, pl.place, sec)
    status = _draw_status(rng, pl.town, members, lim)
    joint_id = _draw_joint_orgs(rng, status, pl.town, sec, members, lim)
    jid_text, jtype = _joint_labels(sk, pl.town, joint_id, members, lim)
    party_org_type = _party_org_types(rng, status, members, jtype, lim)
    none = status == _NONE
    instructor = _draw_instructors(rng, none, pl.town, sk.codes.size, lim)
    mass_org = _draw_mass_orgs(rng, employees)
    payroll, activities = _draw_payroll_and_activities(rng, kinds.is_ent, employees, status)
    five = _draw_five_clear(rng, none, employees, members, probationary, lim)
    reg, no_code = _draw_registration(rng, kinds)
    codes = _draw_org_codes(rng, kinds, no_code)
    name = _draw_org_names(sk, rng, kinds, sec, pl)
    town_text, address, no_coord = _draw_addresses(sk, rng, pl, buildings, parks, extra)
    crs = _draw_crs(rng, no_coord, lon, lat)

    building = np.full(n, None, dtype=object)
    building[pl.bidx >= 0] = buildings["name"].to_numpy()[pl.bidx[pl.bidx >= 0]]
    park = np.full(n, None, dtype=object)
    park[pl.pidx >= 0] = parks["name"].to_numpy()[pl.pidx[pl.pidx >= 0]]
    df = pd.DataFrame({
        "credit_code": codes, "name": name, "kind": np.where(kinds.is_ent, ENTERPRISE, SOCIAL).astype(object),
        "social_type": np.where(kinds.st >= 0, _STYPES[np.maximum(kinds.st, 0)], None),
        "registration_level": reg, "industry": _SEC_LABEL[sec], "address": address, "town": town_text,
        "lon": lon, "lat": lat, "crs": crs,
        "employees": employees, "members": members.astype(np.int64), "probationary": probationary.astype(np.int64),
        "party_status": _STATUS_TEXT[status], "party_org_type": party_org_type.astype(object),
        "joint_org_id": jid_text, "building": building, "park": park, "instructor": instructor,
        "mass_org": mass_org, "payroll": payroll, "activities": activities, **five, "source": DEMO_FLAG,
    })
    return _typed(df[list(ORG_SCHEMA.keys)], ORG_SCHEMA)
