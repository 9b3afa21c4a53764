"""From solved tours to the plan's tables (package-private): route-day rows, stop rows, the per-town table.

Every instructor (named: 现有; new post: 新增) gets an ``instructor_id`` ``{town code}-{nn}`` (named people
first, then new posts, each in bearing order around the base) and one route row per working day
(``route_id`` = the ``instructor_id``, or ``{instructor_id}-D{day}`` when the tour takes several days).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lianxin_geo.core.district import District
from lianxin_geo.plan.routes._sites import KEPT, NEW, Sites
from lianxin_geo.plan.routes._tour import split_days, tour_minutes
from lianxin_geo.plan.routes.navigation import amap_leg_urls, amap_route_url, baidu_leg_urls, baidu_route_url
from lianxin_geo.plan.routes.params import InstructorParams
from lianxin_geo.plan.routes.result import TOWN_COLUMNS

__all__ = ["KIND_NAMED", "KIND_NEW", "Tour", "assignment_counts", "new_post_name", "route_rows", "town_table"]

#: ``instructor_kind`` of a person named in the ledger.
KIND_NAMED = "现有"
#: ``instructor_kind`` of a post the plan adds.
KIND_NEW = "新增"


def new_post_name(town_name: str, k: int) -> str:
    """The label of the ``k``-th new instructor post of a town, e.g. ``新增指导员（仁和地区-01）``."""
    return f"新增指导员（{town_name}-{k:02d}）"


@dataclass(frozen=True)
class Tour:
    """One instructor's solved tour: nodes ``1..n`` of ``matrix`` (node 0 the base) that map to sites ``idx``."""

    code: str
    person: int
    name: str
    nodes: list[int]
    idx: np.ndarray
    matrix: np.ndarray
    base: dict[str, Any]
    status: str


def _bearing(t: Tour, s: Sites) -> float:
    if not t.nodes:
        return 0.0
    i = t.idx[t.nodes[0] - 1]
    b = t.base
    return float(np.arctan2(s.lat[i] - b["lat"], (s.lon[i] - b["lon"]) * math.cos(math.radians(b["lat"]))))


def _notes(t: Tour, s: Sites, prm: InstructorParams, district: District, *, total: float, days: int) -> list[str]:
    out = []
    if t.person >= 0:
        load = len(t.nodes)
        if load > prm.max_orgs:
            out.append(f"联系 {load} 个组织，超过每人上限 {prm.max_orgs} 个（现有联系保留，建议调整）")
        towns = s.people.towns[t.person]
        if len(towns) > 1:
            out.append(f"跨镇街：所联系组织分布在 {len(towns)} 个镇街，按组织最多的"
                       f"{district.town_names.get(t.code, t.code)}计一人")
    if days > 1:
        out.append(f"全程约 {total:.0f} 分钟，超过工作日 {prm.working_day_minutes:.0f} 分钟，分 {days} 天走访")
    return out


def _day_row(t: Tour, nodes: Sequence[int], s: Sites, prm: InstructorParams, district: District, *,
             ids: Mapping[str, Any], day: int, days: int, offset: int,
             notes: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    nodes_a = np.asarray(nodes, dtype=int)
    path = np.concatenate([[0], nodes_a, [0]])
    legs_m = t.matrix[path[:-1], path[1:]]
    legs_km = [float(x) / 1000.0 for x in legs_m]
    length_km = float(np.sum(legs_m)) / 1000.0
    sel = t.idx[nodes_a - 1]
    base = t.base
    stops_lon = [base["lon"], *s.lon[sel].tolist(), base["lon"]]
    stops_lat = [base["lat"], *s.lat[sel].tolist(), base["lat"]]
    stop_names = [base["name"], *(s.names[i] for i in sel), base["name"]]
    minutes = length_km / prm.speed_kmh * 60.0 + prm.visit_minutes * sel.size
    note = list(notes)
    if prm.working_day_minutes is not None and minutes > prm.working_day_minutes:
        note.append(f"单次走访即超过工作日 {prm.working_day_minutes:.0f} 分钟")
    rb = {k: (round(v, 7) if isinstance(v, float) else v) for k, v in base.items()}
    route = {
        **ids, "day": day, "days": days,
        "jurisdiction_code": str(t.code),
        "town_name": district.town_names.get(str(t.code), str(t.code)),
        "base_name": rb["name"], "base_lon": rb["lon"], "base_lat": rb["lat"], "base_kind": rb["kind"],
        "org_ids": tuple(s.ids[i] for i in sel),
        "stops": int(sel.size),
        "length_km": length_km,
        "return_km": legs_km[-1],
        "minutes": minutes,
        "status": t.status,
        "note": "；".join(note),
        "amap": amap_route_url(stops_lon, stops_lat, stop_names),
        "baidu": baidu_route_url(stops_lon, stops_lat, stop_names),
        "amap_legs": tuple(amap_leg_urls(stops_lon, stops_lat, stop_names)),
        "baidu_legs": tuple(baidu_leg_urls(stops_lon, stops_lat, stop_names)),
    }
    stops = [{"instructor_id": ids["instructor_id"], "route_id": ids["route_id"], "day": day,
              "order": offset + k + 1, "org_id": s.ids[i], "name": s.names[i], "industry": s.industries[i],
              "jurisdiction_code": str(s.towns[i]), "lon": float(s.lon[i]), "lat": float(s.lat[i]),
              "leg_km": legs_km[k], "assignment": KEPT if s.owner[i] >= 0 else NEW}
             for k, i in enumerate(sel.tolist())]
    return route, stops


def route_rows(tours: Sequence[Tour], s: Sites, prm: InstructorParams,
               district: District) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Route-day rows and stop rows of every tour, numbered per town (named people first)."""
    routes: list[dict[str, Any]] = []
    stops: list[dict[str, Any]] = []
    by_code: dict[str, list[Tour]] = {}
    for t in tours:
        by_code.setdefault(t.code, []).append(t)
    for code in sorted(by_code):
        ordered = sorted(by_code[code], key=lambda t: (t.person < 0, _bearing(t, s)))
        new_k = 0
        for n, t in enumerate(ordered, start=1):
            iid = f"{code}-{n:02d}"
            if t.person >= 0:
                who, kind = t.name, KIND_NAMED
            else:
                new_k += 1
                who, kind = new_post_name(district.town_names.get(code, code), new_k), KIND_NEW
            total = tour_minutes(t.matrix, t.nodes, speed_kmh=prm.speed_kmh, visit_minutes=prm.visit_minutes)
            days = split_days(t.matrix, t.nodes, speed_kmh=prm.speed_kmh, visit_minutes=prm.visit_minutes,
                              day_minutes=prm.working_day_minutes)
            notes = _notes(t, s, prm, district, total=total, days=len(days))
            offset = 0
            for d, nodes in enumerate(days, start=1):
                ids = {"instructor_id": iid, "route_id": iid if len(days) == 1 else f"{iid}-D{d}",
                       "instructor": who, "instructor_kind": kind}
                r, st = _day_row(t, nodes, s, prm, district, ids=ids, day=d, days=len(days), offset=offset,
                                 notes=notes)
                offset += len(nodes)
                routes.append(r)
                stops.extend(st)
    return routes, stops


def assignment_counts(routes: pd.DataFrame, stops: pd.DataFrame) -> dict[str, int]:
    """Named people and new posts (each once), and how many visits are kept, newly given, on new posts."""
    kind = dict(zip(routes["route_id"], routes["instructor_kind"]))
    on_new = stops["route_id"].map(kind).eq(KIND_NEW).to_numpy(dtype=bool)
    return {
        "instructors_named": int(routes.loc[routes["instructor_kind"] == KIND_NAMED, "instructor_id"].nunique()),
        "instructors_new": int(routes.loc[routes["instructor_kind"] == KIND_NEW, "instructor_id"].nunique()),
        "orgs_kept": int((stops["assignment"] == KEPT).sum()),
        "orgs_to_named": int(((stops["assignment"] == NEW).to_numpy(dtype=bool) & ~on_new).sum()),
        "orgs_to_new": int(on_new.sum()),
    }


def town_table(routes: pd.DataFrame, stops: pd.DataFrame, homes: Sequence[str], district: District,
               prm: InstructorParams, *, group_codes: Sequence[str]) -> pd.DataFrame:
    """Per town: orgs, instructors needed / available (named, home town here, each once) / gap (new posts)."""
    available: dict[str, int] = {}
    for h in homes:
        if h:
            available[h] = available.get(h, 0) + 1
    person = routes.groupby("instructor_id", sort=False).agg(
        code=("jurisdiction_code", "first"), kind=("instructor_kind", "first"), stops=("stops", "sum"),
        km=("length_km", "sum"), days=("days", "first"), minutes=("minutes", "max"))
    kind = dict(zip(routes["route_id"], routes["instructor_kind"]))
    code_of = dict(zip(routes["route_id"], routes["jurisdiction_code"]))
    st = stops.assign(_kind=stops["route_id"].map(kind), _code=stops["route_id"].map(code_of))
    rows = []
    for code in sorted(set(group_codes) | set(available)):
        ps = person[person["code"] == code]
        sizes = ps["stops"].to_numpy(dtype=float)
        km = ps["km"].to_numpy(dtype=float)
        named = int((ps["kind"] == KIND_NAMED).sum())
        new = int((ps["kind"] == KIND_NEW).sum())
        sc = st[st["_code"] == code]
        rows.append({
            "jurisdiction_code": code,
            "town_name": district.town_names.get(code, code),
            "orgs": int(sizes.sum()) if sizes.size else 0,
            "instructors_needed": named + new,
            "instructors_available": available.get(code, 0),
            "instructors_gap": new,
            "orgs_min": int(sizes.min()) if sizes.size else 0,
            "orgs_mean": round(float(sizes.mean()), 2) if sizes.size else 0.0,
            "orgs_max": int(sizes.max()) if sizes.size else 0,
            "routes_below_band": int((sizes < prm.min_orgs).sum()) if sizes.size else 0,
            "km_total": round(float(km.sum()), 2) if km.size else 0.0,
            "km_mean": round(float(km.mean()), 2) if km.size else 0.0,
            "km_max": round(float(km.max()), 2) if km.size else 0.0,
            "instructors_named": named,
            "instructors_new": new,
            "orgs_kept": int((sc["assignment"] == KEPT).sum()),
            "orgs_to_named": int(((sc["assignment"] == NEW) & (sc["_kind"] == KIND_NAMED)).sum()),
            "orgs_to_new": int((sc["_kind"] == KIND_NEW).sum()),
            "routes_split": int((ps["days"] > 1).sum()),
            "minutes_max": round(float(ps["minutes"].max()), 1) if len(ps) else 0.0,
        })
    return pd.DataFrame(rows, columns=list(TOWN_COLUMNS))
