"""Instructor routes through the parallel engine (issue 16): one task per town, the same plan on every scheduler,
deterministic stopping scaled to each town's size, a failing town reported and the plan labelled partial."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import make_box_district

from lianxin_geo.core import engine as engine_mod
from lianxin_geo.core.district import District
from lianxin_geo.core.engine import Engine
from lianxin_geo.plan.routes import (
    TOWN_FAILED,
    InstructorParams,
    plan_instructor_routes,
    search_limits,
    solve_cvrp,
)
from lianxin_geo.plan.routes import _towns
from lianxin_geo.plan.routes.cvrp import MIN_NO_IMPROVEMENT, NO_IMPROVEMENT, TIME_CAP

TOWNS = [("110113901", "甲镇", "镇", (116.50, 40.00, 116.60, 40.10)),
         ("110113902", "乙街道", "街道", (116.60, 40.00, 116.70, 40.10)),
         ("110113903", "丙镇", "镇", (116.50, 40.10, 116.60, 40.20)),
         ("110113904", "丁镇", "镇", (116.60, 40.10, 116.70, 40.20))]
PARAMS = InstructorParams(orgs_per_instructor=10, min_orgs=8, max_orgs=12, visit_minutes=30, speed_kmh=30,
                          include_new_units=True, circuity=1.3)


@pytest.fixture(scope="module")
def district() -> District:
    return make_box_district(TOWNS, source="test")


def town_orgs(code: str, box: tuple[float, float, float, float], n: int, *, seed: int,
              named: dict[str, int] | None = None) -> pd.DataFrame:
    """``n`` orgs scattered in ``box``; the first ones looked after by the ``named`` people (name -> count)."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = box
    instr = [""] * n
    at = 0
    for name, k in (named or {}).items():
        instr[at:at + k] = [name] * k
        at += k
    return pd.DataFrame({
        "id": [f"{code[-2:]}-{i:03d}" for i in range(n)], "name": [f"{code[-2:]}单位{i}" for i in range(n)],
        "lon": rng.uniform(x0 + 0.005, x1 - 0.005, n), "lat": rng.uniform(y0 + 0.005, y1 - 0.005, n),
        "jurisdiction_code": code, "industry": rng.choice(["I65", "C13", "F51", "O81"], n),
        "party_status": "未建立", "members": 0, "instructor": instr,
    })


def ledger() -> pd.DataFrame:
    """Four towns of 12–55 orgs; two named people with 18 orgs each (their tours go to PyVRP, not the exact DP)."""
    sizes = (55, 12, 40, 30)
    named = ({"王芳": 18}, None, {"赵磊": 18}, None)
    return pd.concat([town_orgs(code, box, n, seed=i, named=nm)
                      for i, ((code, _, _, box), n, nm) in enumerate(zip(TOWNS, sizes, named))], ignore_index=True)


def canonical(plan) -> str:
    doc = plan.to_json()
    doc["stats"].pop("seconds")
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


@pytest.fixture(scope="module")
def cluster_engine():
    """A 2-worker LocalCluster (small jobs still go to it: the thresholds are lowered for this engine's tests)."""
    engine = Engine("local", workers=2)
    yield engine
    engine.close()


def test_sync_and_a_two_worker_local_cluster_give_byte_identical_plans(district, cluster_engine, monkeypatch):
    monkeypatch.setattr(engine_mod, "LOCAL_MIN_COST", 0.0)
    monkeypatch.setattr(engine_mod, "LOCAL_MIN_COST_WARM", 0.0)
    assert not cluster_engine.in_process(4, 0.5)  # the towns really go to the worker processes
    orgs = ledger()
    seen: list[tuple[int, int, str]] = []
    sync = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS, time_limit_s=60,
                                  seed=7, engine="sync")
    local = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS, time_limit_s=60,
                                   seed=7, engine=cluster_engine,
                                   progress=lambda msg, frac: seen.append((msg, frac)))
    assert cluster_engine.running
    assert canonical(sync) == canonical(local)
    assert not local.partial and local.failures == ()
    assert "TIME_CAP" not in local.stats["solver_status"] and local.stats["time_capped"] == 0
    # every org routed exactly once, PyVRP used for the large tours and the new posts
    routed = sorted(o for ids in local.routes["org_ids"] for o in ids)
    assert routed == sorted(orgs["id"])
    assert "FEASIBLE" in local.stats["solver_status"]
    # progress from the workers reaches this process, once per town, ending at 1
    assert len(seen) == 4 and seen[-1][1] == pytest.approx(1.0)
    assert {m.split("：")[0] for m, _ in seen} == {name for _, name, _, _ in TOWNS}


def test_a_town_is_planned_the_same_alone_or_with_the_others(district):
    """Each town's seed comes from the run's seed and its code, not from its place in the run."""
    orgs = ledger()
    code = TOWNS[0][0]
    both = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS, time_limit_s=60, seed=3,
                                  engine="sync")
    alone = plan_instructor_routes(orgs[orgs["jurisdiction_code"] == code], centers=None, district=district,
                                   params=PARAMS, time_limit_s=60, seed=3, engine="sync")
    mine = both.routes[both.routes["jurisdiction_code"] == code]
    assert list(mine["org_ids"]) == list(alone.routes["org_ids"])
    other_seed = plan_instructor_routes(orgs[orgs["jurisdiction_code"] == code], centers=None, district=district,
                                        params=PARAMS, time_limit_s=60, seed=4, engine="sync")
    assert sorted(o for ids in other_seed.routes["org_ids"] for o in ids) == sorted(o for ids in mine["org_ids"]
                                                                                   for o in ids)


def test_a_failing_town_is_reported_and_the_plan_is_partial(district, monkeypatch):
    real = _towns.plan_workloads
    bad = TOWNS[2][0]

    def flaky(matrix, **kw):
        if matrix.shape[0] - 1 == 22:  # 丙镇: 40 orgs, 18 with 赵磊 → 22 for new posts
            raise MemoryError("无法分配距离矩阵")
        return real(matrix, **kw)

    monkeypatch.setattr(_towns, "plan_workloads", flaky)
    orgs = ledger()
    plan = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS, time_limit_s=60,
                                  engine="sync")
    assert plan.partial
    assert [(f.key, f.label) for f in plan.failures] == [(bad, "丙镇")]
    assert "内存不足" in plan.failures[0].reason and "无法分配距离矩阵" in plan.failures[0].reason
    # the failed town's orgs are unassigned with the reason, none of them on a route; the other towns are planned
    failed_ids = set(orgs.loc[orgs["jurisdiction_code"] == bad, "id"])
    un = plan.unassigned.set_index("org_id")["reason"]
    assert set(un.index) == failed_ids
    assert all(r.startswith(TOWN_FAILED.split("{reason}")[0].format(town="丙镇")) for r in un)
    routed = {o for ids in plan.routes["org_ids"] for o in ids}
    assert routed == set(orgs["id"]) - failed_ids
    doc = plan.to_json()
    assert doc["partial"] is True and doc["failures"][0]["key"] == bad and doc["failures"][0]["label"] == "丙镇"
    assert "本方案不完整" in plan.to_markdown()
    monkeypatch.undo()
    ok = plan_instructor_routes(orgs, centers=None, district=district, params=PARAMS, time_limit_s=60,
                                engine="sync")
    assert not ok.partial and ok.to_json()["failures"] == [] and len(ok.unassigned) == 0


def test_search_limits_grow_with_the_size_within_bounds():
    assert search_limits(1).no_improvement == MIN_NO_IMPROVEMENT
    assert search_limits(50).no_improvement == 500
    assert search_limits(105).no_improvement == 1050
    assert search_limits(10_000).no_improvement == NO_IMPROVEMENT
    lim = search_limits(60)
    assert lim.max_iterations > lim.no_improvement


def _instance(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (n + 1, 2))
    dem = np.ones(n + 1, dtype=int)
    dem[0] = 0
    return xy, dem


def test_counts_stop_the_search_and_give_the_same_routes_whatever_the_clock():
    xy, dem = _instance(60)
    lim = search_limits(60)
    runs = [solve_cvrp(xy, dem, 10, time_limit_s=t, seed=5, max_iterations=lim.max_iterations,
                       no_improvement=lim.no_improvement) for t in (30.0, 60.0)]
    assert runs[0].status == runs[1].status == "FEASIBLE"
    assert runs[0].routes == runs[1].routes and runs[0].cost == runs[1].cost
    assert runs[0].seconds < 30.0


def test_a_search_stopped_by_the_wall_clock_says_so():
    xy, dem = _instance(80, seed=1)
    res = solve_cvrp(xy, dem, 10, time_limit_s=0.2, seed=0, no_improvement=None)  # no count rule: the cap stops it
    assert res.status == TIME_CAP and res.ok
    assert sorted(i for r in res.routes for i in r) == list(range(1, 81))


def test_the_time_limit_is_shared_by_expected_work_and_sums_to_the_limit(district, monkeypatch):
    """Each search's safety cap is its share of the limit by stops² (equal margins), the caps add up to the limit,
    and the sizes planned in advance are the sizes solved."""
    caps: list[tuple[int, float]] = []
    real_w, real_t = _towns.plan_workloads, _towns.best_tour

    def workloads(matrix, **kw):
        caps.append((matrix.shape[0] - 1, kw["time_limit_s"]))
        return real_w(matrix, **kw)

    def tour(matrix, **kw):
        if matrix.shape[0] - 1 > _towns.EXACT_MAX_STOPS:
            caps.append((matrix.shape[0] - 1, kw["time_limit_s"]))
        return real_t(matrix, **kw)

    monkeypatch.setattr(_towns, "plan_workloads", workloads)
    monkeypatch.setattr(_towns, "best_tour", tour)
    plan_instructor_routes(ledger(), centers=None, district=district, params=PARAMS, time_limit_s=20,
                           engine="sync", block_size=25)
    sizes = sorted(n for n, _ in caps)
    # 甲镇 55 orgs (18 with 王芳 → a tour of 18; 37 for new posts cut into sectors of at most 25 → 20 + 17),
    # 乙街道 12, 丙镇 40 (18 with 赵磊 → tour; 22 new), 丁镇 30 (sectors 20 + 10)
    assert sizes == [10, 12, 17, 18, 18, 20, 20, 22]
    assert sum(c for _, c in caps) == pytest.approx(20.0)
    ratios = {round(c / n**2, 9) for n, c in caps}
    assert len(ratios) == 1  # the same seconds per stop² for every search
