"""Joint units through the parallel engine: one task per group of towns no unit crosses; a failed town is reported
(部分结果) while the others are planned; the safety time cap is reported, never silent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _joint_fixtures import org, two_town_district
from lianxin_geo.core.engine import Engine
from lianxin_geo.plan.joint import plan as joint_plan
from lianxin_geo.plan.joint import plan_joint_units


@pytest.fixture(scope="module")
def district():
    return two_town_district()


def ledger() -> pd.DataFrame:
    """Two towns, each with a few same-industry orgs of 1–2 members close together, and some of another group."""
    rng = np.random.default_rng(3)
    rows = []
    for town, (x0, x1) in (("T1", (116.592, 116.608)), ("T2", (116.612, 116.628))):
        for k in range(24):
            rows.append(org(f"{town}-{k:02d}", int(rng.integers(1, 3)), town, float(rng.uniform(x0, x1)),
                            float(rng.uniform(40.095, 40.125)), industry="IFC"[k % 3], employees=int(10 + k)))
    df = pd.DataFrame(rows)
    df["members"] = df["members"].astype("Int64")
    return df


def _units(plan, town: str) -> list:
    rows = plan.units[plan.units["jurisdiction_code"] == town]
    return [(r.unit_id, r.org_ids, r.hub_id, r.form) for r in rows.itertuples()]


def test_each_town_is_planned_as_if_alone(district):
    full = plan_joint_units(ledger(), district=district, engine="sync")
    assert len(full.units) >= 4 and full.violations.empty
    for town in ("T1", "T2"):
        alone = ledger()
        alone = alone[alone["jurisdiction_code"] == town]
        assert _units(full, town) == _units(plan_joint_units(alone, district=district, engine="sync"), town)


def test_progress_names_each_town_task(district):
    seen = []
    plan_joint_units(ledger(), district=district, engine="sync", progress=lambda msg, frac=None: seen.append(msg))
    towns = [m.removeprefix("联建方案：") for m in seen if m.startswith("联建方案：")]
    assert [t[-5:] for t in towns] == ["（1/2）", "（2/2）"]  # done/total, as tasks finish
    assert sorted(t[:-5] for t in towns) == ["乙镇", "甲街道"]  # each task named by its town


def test_a_failed_town_is_reported_and_the_other_is_planned(district, monkeypatch):
    full = plan_joint_units(ledger(), district=district, engine="sync")
    real = joint_plan._solve

    def broken(led, pool, *a, **k):
        if "T2" in set(led.town[pool].tolist()):
            raise MemoryError("乙镇的数据太大")
        return real(led, pool, *a, **k)

    monkeypatch.setattr(joint_plan, "_solve", broken)
    plan = plan_joint_units(ledger(), district=district, engine=Engine("sync"))
    assert plan.partial
    assert [(f.key, f.label) for f in plan.failures] == [("T2", "乙镇")]
    assert plan.failures[0].reason == "内存不足（MemoryError）：乙镇的数据太大"
    assert _units(plan, "T1") == _units(full, "T1") and _units(plan, "T2") == []
    left = plan.unplaced[plan.unplaced["jurisdiction_code"] == "T2"]
    assert len(left) == 24 and left["reason"].str.startswith("本镇街的联建方案计算失败").all()
    assert plan.violations.empty  # every candidate still accounted for (check_accounting)
    doc = plan.to_json()
    assert doc["partial"] is True and doc["failures"] == [{"key": "T2", "label": "乙镇", "reason": plan.failures[0].reason}]


def test_towns_that_units_may_cross_are_one_task(district):
    seen = []
    plan = plan_joint_units(ledger(), district=district, engine="sync", cross_town=True,
                            progress=lambda msg, frac=None: seen.append(msg))
    assert [m for m in seen if m.startswith("联建方案：")] == ["联建方案：甲街道、乙镇（1/1）"]
    assert plan.violations.empty and not plan.partial


def test_the_safety_time_cap_is_reported(district):
    plan = plan_joint_units(ledger(), district=district, engine="sync", time_limit_s=1e-9)
    assert plan.stats["status"] == "time_limit"
    assert plan.violations.empty  # cut short, still a valid plan
    assert plan_joint_units(ledger(), district=district, engine="sync").stats["status"] == "ok"
