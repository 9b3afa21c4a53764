"""Instructors as they really are (issue 12, part 5): named people first, each counted once, no double visits,
routes cut into working days."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_box_district

from lianxin_geo.core.distance import haversine_m
from lianxin_geo.core.district import District
from lianxin_geo.core.policy import load_profile
from lianxin_geo.plan.routes import InstructorParams, plan_instructor_routes
from lianxin_geo.plan.routes._tour import _held_karp, best_tour, split_days, tour_minutes
from lianxin_geo.plan.routes.result import ROUTE_COLUMNS, STOP_COLUMNS

A, B = "110113901", "110113902"
PARAMS = InstructorParams(orgs_per_instructor=10, min_orgs=8, max_orgs=12, visit_minutes=30, speed_kmh=30,
                          include_new_units=True, circuity=1.3)
FAST = dict(time_limit_s=1.0, max_iterations=300)


@pytest.fixture(scope="module")
def district() -> District:
    """Town A (甲镇): lon 116.50–116.60; town B (乙街道): lon 116.60–116.70; both lat 40.00–40.10."""
    return make_box_district([(A, "甲镇", "镇", (116.50, 40.00, 116.60, 40.10)),
                              (B, "乙街道", "街道", (116.60, 40.00, 116.70, 40.10))], source="test")


def cluster(prefix: str, n: int, lon: float, lat: float, town: str, *, instructor: str = "",
            spread: float = 0.004, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id": [f"{prefix}{i:02d}" for i in range(n)], "name": [f"{prefix}单位{i}" for i in range(n)],
        "lon": lon + rng.uniform(-spread, spread, n), "lat": lat + rng.uniform(-spread, spread, n),
        "jurisdiction_code": town, "industry": "I65", "party_status": "未建立", "members": 0,
        "instructor": instructor,
    })


def ledger() -> pd.DataFrame:
    """甲镇: 张伟 looks after 6 orgs in the west, 李娜 8 in the east; 5 orgs wait near each, 15 far north."""
    return pd.concat([
        cluster("W", 6, 116.52, 40.03, A, instructor="张伟", seed=1),
        cluster("E", 8, 116.58, 40.03, A, instructor="李娜", seed=2),
        cluster("w", 5, 116.523, 40.032, A, seed=3),
        cluster("e", 5, 116.577, 40.032, A, seed=4),
        cluster("n", 15, 116.55, 40.09, A, spread=0.006, seed=5),
    ], ignore_index=True)


def person_orgs(plan, name: str) -> set[str]:
    r = plan.routes[plan.routes["instructor"] == name]
    return {o for ids in r["org_ids"] for o in ids}


# ---------------------------------------------------------------- named first, then new posts
def test_named_instructors_keep_their_orgs_and_take_the_nearest(district: District) -> None:
    plan = plan_instructor_routes(ledger(), centers=None, district=district, params=PARAMS, **FAST)
    zhang, li = person_orgs(plan, "张伟"), person_orgs(plan, "李娜")
    assert {f"W{i:02d}" for i in range(6)} <= zhang and {f"E{i:02d}" for i in range(8)} <= li
    # room up to 10: 张伟 takes 4, 李娜 2 — all from the cluster next to them, none from the far north
    assert len(zhang) == 10 and len(li) == 10
    assert {o[0] for o in zhang - {f"W{i:02d}" for i in range(6)}} == {"w"}
    assert {o[0] for o in li - {f"E{i:02d}" for i in range(8)}} == {"e"}
    new = plan.routes[plan.routes["instructor_kind"] == "新增"]
    # 1 + 3 + 15 = 19 left: two new posts, named as new posts of 甲镇
    assert sorted(new["instructor"]) == ["新增指导员（甲镇-01）", "新增指导员（甲镇-02）"]
    assert sum(new["stops"]) == 19 and all(new["stops"] <= PARAMS.max_orgs)
    st = plan.stats
    assert (st["instructors_named"], st["instructors_new"], st["instructors"], st["instructors_listed"]) == (2, 2, 4, 2)
    assert (st["orgs_kept"], st["orgs_to_named"], st["orgs_to_new"]) == (14, 6, 19)
    town = plan.towns.set_index("jurisdiction_code").loc[A]
    assert (town["instructors_available"], town["instructors_needed"], town["instructors_gap"]) == (2, 4, 2)
    kinds = plan.stops.set_index("org_id")["assignment"]
    assert kinds["W00"] == "现有联系" and kinds[next(iter(zhang - {f"W{i:02d}" for i in range(6)}))] == "新分配"
    # named people are numbered first, then the new posts
    assert plan.routes["instructor_kind"].tolist() == ["现有", "现有", "新增", "新增"]
    assert plan.routes["instructor_id"].tolist() == [f"{A}-0{i}" for i in range(1, 5)]


def test_json_carries_names_and_kinds(district: District) -> None:
    plan = plan_instructor_routes(ledger(), centers=None, district=district, params=PARAMS, **FAST)
    doc = json.loads(json.dumps(plan.to_json(), ensure_ascii=False))
    r0 = doc["routes"][0]
    assert {"instructor", "instructor_kind", "route_id", "day", "days", "note"} <= set(r0)
    assert {r["instructor"] for r in doc["routes"] if r["instructor_kind"] == "现有"} == {"张伟", "李娜"}
    assert {"instructors_named", "instructors_new", "routes_split", "max_day_minutes"} <= set(doc["stats"])
    assert {"instructors_named", "instructors_new", "orgs_kept", "orgs_to_new"} <= set(doc["towns"][0])
    assert tuple(plan.routes.columns) == ROUTE_COLUMNS and tuple(plan.stops.columns) == STOP_COLUMNS
    sheet = plan.route_sheet()
    assert set(sheet.loc[sheet["类别"] == "现有", "指导员"]) == {"张伟", "李娜"}
    assert "张伟（现有）" in plan.to_markdown()


def test_few_left_go_to_named_up_to_the_ceiling(district: District) -> None:
    orgs = ledger().iloc[:14 + 5 + 1]  # kept 14, 6 waiting: fewer than min_orgs (8): no new post
    plan = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS, **FAST)
    assert plan.stats["instructors_new"] == 0 and plan.stats["orgs_to_named"] == 6
    assert max(len(person_orgs(plan, n)) for n in ("张伟", "李娜")) <= PARAMS.max_orgs
    assert plan.towns.set_index("jurisdiction_code").loc[A, "instructors_gap"] == 0


def test_person_in_several_towns_counts_once(district: District) -> None:
    orgs = pd.concat([
        cluster("a", 3, 116.58, 40.05, A, instructor="张伟", seed=1),
        cluster("b", 1, 116.62, 40.05, B, instructor=" 张伟 ", seed=2),  # same person, blanks around the name
        cluster("c", 2, 116.65, 40.05, B, instructor="王芳", seed=3),
    ], ignore_index=True)
    plan = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS, **FAST)
    town = plan.towns.set_index("jurisdiction_code")
    assert town.loc[A, "instructors_available"] == 1 and town.loc[B, "instructors_available"] == 1
    assert town["instructors_available"].sum() == plan.stats["instructors_listed"] == 2
    zhang = plan.routes[plan.routes["instructor"] == "张伟"].iloc[0]
    assert zhang["jurisdiction_code"] == A and set(zhang["org_ids"]) == {"a00", "a01", "a02", "b00"}
    assert "跨镇街" in zhang["note"] and plan.stats["instructors_cross_town"] == 1


# ---------------------------------------------------------------- no double visits
def test_unit_visit_replaces_its_hub_and_members(district: District) -> None:
    orgs = ledger()
    units = pd.DataFrame({
        "id": ["LJ-1", "LJ-2"], "name": ["w00等3家联合党组织", "W00等2家联合党组织"],
        "lon": [orgs.loc[14, "lon"], orgs.loc[0, "lon"]], "lat": [orgs.loc[14, "lat"], orgs.loc[0, "lat"]],
        "jurisdiction_code": [A, A], "hub_id": ["w00", "W00"],
        "org_ids": [("w00", "w01", "n00"), ("W00", "W01")],
    })
    plan = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS, extra_sites=units, **FAST)
    visited = [o for ids in plan.routes["org_ids"] for o in ids]
    assert len(visited) == len(set(visited))
    assert not {"w00", "w01", "n00", "W00"} & set(visited)  # waiting hub/members and the named hub
    assert {"LJ-1", "LJ-2", "W01"} <= set(visited)  # a named member stays with its instructor
    assert "LJ-2" in person_orgs(plan, "张伟")  # the unit takes its hub's place on 张伟's list
    assert plan.stats["covered_by_units"] == 4
    plain = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS,
                                   extra_sites=units.drop(columns=["hub_id", "org_ids"]), **FAST)
    assert {"w00", "W00", "LJ-1"} <= {o for ids in plain.routes["org_ids"] for o in ids}  # without them: both


# ---------------------------------------------------------------- working days
def test_long_tours_are_split_into_working_days(district: District) -> None:
    prm = dataclasses.replace(PARAMS, working_day_minutes=150.0)
    plan = plan_instructor_routes(ledger(), centers=None, district=district, params=prm, **FAST)
    r = plan.routes
    assert r["route_id"].is_unique and (r["minutes"] <= 150.0 + 1e-9).all()
    for iid, days in r.groupby("instructor_id", sort=False):
        assert days["day"].tolist() == list(range(1, len(days) + 1)) and (days["days"] == len(days)).all()
        s = plan.route_stops(iid)
        assert s["order"].tolist() == list(range(1, len(s) + 1))
        assert sum(days["stops"]) == len(s)
    assert plan.stats["routes_split"] == r.loc[r["days"] > 1, "instructor_id"].nunique() > 0
    assert plan.stats["max_day_minutes"] == pytest.approx(r["minutes"].max(), abs=0.05)
    assert all("分" in n and "天走访" in n for n in r.loc[r["days"] > 1, "note"])
    whole = plan_instructor_routes(ledger(), centers=None, district=district, params=PARAMS, **FAST)
    assert (whole.routes["minutes"] > 150).sum() > 0 and (whole.routes["days"] == 1).all()
    assert sorted(o for ids in r["org_ids"] for o in ids) == sorted(o for ids in whole.routes["org_ids"] for o in ids)
    sheet = plan.route_sheet()
    assert set(sheet["路线编号"]) == set(r["route_id"]) and sheet["第几天"].max() == r["day"].max()


def test_a_visit_longer_than_the_day_stands_alone(district: District) -> None:
    prm = dataclasses.replace(PARAMS, working_day_minutes=20.0)  # shorter than one 30-minute visit
    plan = plan_instructor_routes(ledger().iloc[:6], centers=None, district=district, params=prm, **FAST)
    assert (plan.routes["stops"] == 1).all() and len(plan.routes) == 6
    assert all("单次走访即超过工作日" in n for n in plan.routes["note"])
    assert plan.stats["days_over_working_day"] == 6


def test_split_days_is_exact_for_the_order() -> None:
    rng = np.random.default_rng(7)
    for n in (3, 5, 7):
        xy = rng.uniform(0, 30000, (n + 1, 2))
        m = np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1))
        order = list(range(1, n + 1))
        limit = 200.0
        days = split_days(m, order, speed_kmh=30, visit_minutes=30, day_minutes=limit)
        assert [x for d in days for x in d] == order

        def cost(parts):
            mins = [tour_minutes(m, p, speed_kmh=30, visit_minutes=30) for p in parts]
            return (len(parts), max(mins), sum(mins)) if all(x <= limit or len(p) == 1
                                                             for x, p in zip(mins, parts)) else None

        best = None
        for k in range(n):
            for cuts in itertools.combinations(range(1, n), k):
                parts = [order[a:b] for a, b in zip((0, *cuts), (*cuts, n))]
                c = cost(parts)
                if c is not None and (best is None or c < best):
                    best = c
        assert cost(days) == pytest.approx(best)


def test_held_karp_is_optimal() -> None:
    rng = np.random.default_rng(3)
    for n in range(1, 8):
        xy = rng.uniform(0, 5000, (n + 1, 2))
        m = np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1))

        def length(p):
            p = [0, *p, 0]
            return sum(m[a, b] for a, b in zip(p, p[1:]))

        brute = min(length(p) for p in itertools.permutations(range(1, n + 1)))
        order, status = best_tour(m, time_limit_s=1.0)
        assert status == "OPTIMAL" and sorted(order) == list(range(1, n + 1))
        assert length(order) == pytest.approx(brute) and length(_held_karp(m)) == pytest.approx(brute)


def test_working_day_from_params_and_profile() -> None:
    assert InstructorParams.from_profile(working_day_minutes=400).working_day_minutes == 400.0
    prof = load_profile()
    want = prof.get("instructors.working_day_minutes") if "instructors.working_day_minutes" in prof else None
    assert InstructorParams.from_profile(prof).working_day_minutes == want
    with pytest.raises(ValueError, match="working_day_minutes"):
        dataclasses.replace(PARAMS, working_day_minutes=-5.0)


def test_assignment_exact_and_greedy_agree_on_room(monkeypatch) -> None:
    from lianxin_geo.plan.routes import _people

    rng = np.random.default_rng(11)
    orgs = pd.DataFrame({"instructor": ["甲"] * 3 + ["乙"] * 3, "lon": rng.uniform(116.5, 116.6, 6),
                         "lat": rng.uniform(40.0, 40.1, 6)})
    people, who = _people.named_people(orgs, [A] * 6)
    assert people.names == ["乙", "甲"] and who.tolist() == [1, 1, 1, 0, 0, 0] and people.homes == [A, A]
    lon, lat = rng.uniform(116.5, 116.6, 9), rng.uniform(40.0, 40.1, 9)
    exact = _people.assign_nearest(lon, lat, people, [0, 1], np.array([2, 3]))
    monkeypatch.setattr(_people, "EXACT_MAX_CELLS", 0)
    greedy = _people.assign_nearest(lon, lat, people, [0, 1], np.array([2, 3]))
    for got in (exact, greedy):
        assert (got == 0).sum() == 2 and (got == 1).sum() == 3 and (got == -1).sum() == 4

    def total(a):
        d = 0.0
        for i in np.flatnonzero(a >= 0):
            p = a[i]
            d += float(np.min(haversine_m(lon[i], lat[i], people.anchor_lon[p], people.anchor_lat[p])))
        return d

    assert total(exact) <= total(greedy) + 1e-9


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(n=st.integers(min_value=1, max_value=60), people=st.integers(min_value=0, max_value=6),
       seed=st.integers(min_value=0, max_value=10_000))
def test_named_first_invariants(district: District, n: int, people: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    names = np.array(["", *[f"指导员{k}" for k in range(people)]], dtype=object)
    orgs = pd.DataFrame({
        "id": [f"X{i:03d}" for i in range(n)], "lon": rng.uniform(116.505, 116.695, n),
        "lat": rng.uniform(40.005, 40.095, n), "industry": "I65", "party_status": "未建立", "members": 0,
        "instructor": rng.choice(names, n, p=None if people == 0 else [0.6, *[0.4 / people] * people]),
    })
    orgs["jurisdiction_code"] = np.where(orgs["lon"] < 116.60, A, B)
    plan = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS, time_limit_s=0.5,
                                  max_iterations=100)
    visited = [o for ids in plan.routes["org_ids"] for o in ids]
    assert sorted(visited) == sorted(orgs["id"])  # every org exactly once
    kept = orgs[orgs["instructor"] != ""].groupby("instructor")["id"].agg(set).to_dict()
    per_person = plan.routes.groupby("instructor")["org_ids"].agg(lambda s: {o for ids in s for o in ids})
    for name, ids in kept.items():
        assert ids <= per_person[name]  # kept
        assert len(per_person[name]) <= max(PARAMS.max_orgs, len(ids))  # new orgs never push above the ceiling
    new = plan.routes[plan.routes["instructor_kind"] == "新增"]
    assert all(new["stops"] <= PARAMS.max_orgs)
    for code in set(new["jurisdiction_code"]):  # a new post only once the town's named people are full
        named = plan.routes[(plan.routes["instructor_kind"] == "现有") & (plan.routes["jurisdiction_code"] == code)]
        assert all(len(per_person[nm]) >= PARAMS.orgs_per_instructor for nm in set(named["instructor"]))
    town = plan.towns.set_index("jurisdiction_code")
    assert town["instructors_available"].sum() == len(kept) == plan.stats["instructors_listed"]
    assert (town["instructors_gap"] == town["instructors_new"]).all()


def test_time_limit_is_shared_without_a_floor(district: District, monkeypatch) -> None:
    from lianxin_geo.plan.routes import _towns

    seen: list[float] = []
    real = _towns.plan_workloads

    def spy(matrix, **kw):
        seen.append(kw["time_limit_s"])
        return real(matrix, **kw)

    monkeypatch.setattr(_towns, "plan_workloads", spy)
    orgs = pd.concat([ledger(), cluster("b", 30, 116.65, 40.05, B, seed=9)], ignore_index=True)
    plan = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS, time_limit_s=0.05,
                                  max_iterations=100, engine="sync")
    assert len(seen) == 2 and sum(seen) <= 0.05 + 1e-12 and min(seen) < 0.2  # shared, no 0.2 s floor per town
    assert sorted(o for ids in plan.routes["org_ids"] for o in ids) == sorted(orgs["id"])
