"""Results never depend on the scheduler: the CLI's JSON of the joint units, the routes and the coverage, and the
files of ``run``, are byte-identical with ``--scheduler sync`` and on a real 2-worker LocalCluster
(``--scheduler tcp://…``), on a small three-town box district. Timings (``seconds``) are the only fields dropped.

The comparison can fail: a task that draws from one random generator per process (instead of seeding itself from
(seed, key) with ``task_seed``) gives different values on the cluster's worker processes, and the same comparison
catches it.
"""

from __future__ import annotations

import json
import random
import time

import numpy as np
import pandas as pd
import pytest

from conftest import make_box_district
from lianxin_geo.cli import main
from lianxin_geo.core.engine import Engine, close_engines, plain_main, task_seed
from lianxin_geo.core.jsonable import canonical_json


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    """A three-town box district and 150 seeded orgs (enterprises and social orgs, some with 1–2 members)."""
    d = tmp_path_factory.mktemp("equality")
    district = make_box_district()
    district.jurisdictions.to_file(d / "towns.geojson", driver="GeoJSON")
    rng = np.random.default_rng(16)
    rows = []
    for t, (code, name, _kind, (x0, y0, x1, y1)) in enumerate(
            [("110113001", "甲街道", "街道", (116.59, 40.09, 116.61, 40.13)),
             ("110113101", "乙镇", "镇", (116.61, 40.09, 116.63, 40.13)),
             ("110113102", "丙镇", "镇", (116.59, 40.13, 116.63, 40.15))]):
        for i in range(50):
            members = int(rng.choice([0, 0, 1, 1, 2, 3, 5]))
            rows.append({
                "单位名称": f"{name}测试单位{i:02d}", "组织类别": "非公企业" if i % 5 else "社会组织",
                "社会组织类型": "" if i % 5 else "社会团体",
                "行业": ["批发和零售业", "制造业", "信息传输、软件和信息技术服务业", "租赁和商务服务业"][i % 4],
                "所属镇街": name, "经度": round(float(rng.uniform(x0 + 0.001, x1 - 0.001)), 6),
                "纬度": round(float(rng.uniform(y0 + 0.001, y1 - 0.001)), 6),
                "从业人员数": int(rng.integers(5, 300)), "正式党员数": members, "预备党员数": 0,
                "党组织状态": "单独组建" if members >= 3 else "未建立"})
    pd.DataFrame(rows).to_csv(d / "orgs.csv", index=False, encoding="utf-8")
    pd.DataFrame({"名称": ["甲街道党群服务中心", "乙镇党群服务中心"], "层级": ["街道", "乡镇"],
                  "所属镇街": ["甲街道", "乙镇"], "建筑面积": [800, 600],
                  "经度": [116.60, 116.62], "纬度": [40.11, 40.11]}).to_csv(d / "centers.csv", index=False)
    return ["--orgs", str(d / "orgs.csv"), "--centers", str(d / "centers.csv"), "--boundaries",
            str(d / "towns.geojson")]


@pytest.fixture(scope="module")
def cluster_address():
    """A real LocalCluster of 2 worker processes (1 thread each), reached by its tcp:// address."""
    distributed = pytest.importorskip("distributed")
    with plain_main(), distributed.LocalCluster(  # plain_main: no page script re-run by the workers
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", scheduler_port=0,
            dashboard_address=None, scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"}) as cl:
        yield cl.scheduler_address
        close_engines()  # the CLI's clients of this address go before the cluster does


def _json(capsys, *args: str) -> dict:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


COMMANDS = {
    "joint": ("plan", "joint", "--cross-town"),
    "joint_same_town": ("plan", "joint", "--reoptimize"),
    "routes": ("plan", "routes", "--time-limit", "20"),
    "coverage": ("plan", "coverage", "--new-sites", "2"),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_plans_are_byte_identical_on_sync_and_a_2_worker_cluster(name, capsys, inputs, cluster_address):
    sync = _json(capsys, *COMMANDS[name], *inputs, "--scheduler", "sync", "--json")
    par = _json(capsys, *COMMANDS[name], *inputs, "--scheduler", cluster_address, "--json")
    assert sync["partial"] is False and sync["failures"] == []
    if name.startswith("joint"):
        assert sync["units"] and sync["stats"]["status"] == "ok"  # something was planned, within the limits
    if name == "routes":
        assert sync["routes"]
    assert canonical_json(par) == canonical_json(sync)


def test_run_files_are_identical_on_sync_and_a_2_worker_cluster(capsys, inputs, cluster_address, tmp_path):
    docs = {}
    for scheduler in ("sync", cluster_address):
        out = tmp_path / ("sync" if scheduler == "sync" else "cluster")
        docs[scheduler] = _json(capsys, "run", "--out", str(out), "--formats", "geojson,xlsx", "--time-limit", "30",
                                *inputs, "--scheduler", scheduler, "--json")
    a, b = tmp_path / "sync" / "geojson", tmp_path / "cluster" / "geojson"
    names = sorted(p.name for p in a.iterdir())
    assert names and names == sorted(p.name for p in b.iterdir())
    for n in names:  # the layers, written by a worker and shipped back as bytes, are the same bytes
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    assert (tmp_path / "cluster" / "tables.xlsx").stat().st_size > 0
    assert docs["sync"]["partial"] is False and docs[cluster_address]["failures"] == []
    assert sorted(docs["sync"]["files"]) == sorted(docs[cluster_address]["files"])


_RNG = random.Random(0)


def drawn(item: str) -> float:
    """A task that draws from one generator per process (a classic bug): its value depends on where it runs."""
    time.sleep(0.05)  # long enough that both workers get tasks
    return _RNG.random()


def seeded(item: str) -> float:
    """The same task seeded from (seed, key) through ``task_seed``: the same in every process."""
    time.sleep(0.05)
    return random.Random(task_seed(0, item)).random()


def test_the_comparison_catches_a_process_dependent_seed(cluster_address):
    keys = [f"11011310{i}" for i in range(8)]
    remote = Engine(cluster_address)
    try:
        bad = remote.map(drawn, keys, keys=keys)
        good = remote.map(seeded, keys, keys=keys)
    finally:
        remote.close()
    here = Engine("sync")
    _RNG.seed(0)
    assert canonical_json(bad.values) != canonical_json(here.map(drawn, keys, keys=keys).values)
    assert canonical_json(good.values) == canonical_json(here.map(seeded, keys, keys=keys).values)


def test_local_scheduler_on_worker_processes_gives_the_same_joint_plan(capsys, inputs, monkeypatch):
    """``--scheduler local`` with the small-job threshold at zero: the towns really go to the local cluster."""
    from lianxin_geo.core import engine as eng

    monkeypatch.setattr(eng, "LOCAL_MIN_COST", 0.0)
    monkeypatch.setattr(eng, "LOCAL_MIN_COST_WARM", 0.0)
    local = eng.Engine("local", workers=2)
    monkeypatch.setitem(eng._ENGINES, "local", local)
    try:
        par = _json(capsys, "plan", "joint", *inputs, "--scheduler", "local", "--json")
        assert local.running
    finally:
        local.close()
    sync = _json(capsys, "plan", "joint", *inputs, "--scheduler", "sync", "--json")
    assert canonical_json(par) == canonical_json(sync)


def test_unknown_scheduler_is_a_user_error(capsys, inputs):
    code = main(["plan", "joint", *inputs, "--scheduler", "fast", "--json"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert "调度方式" in captured.err and "fast" in captured.err


@pytest.fixture(scope="module")
def small_city(tmp_path_factory):
    """Two districts of the synthetic city (600 orgs), as ``demo --city`` writes them."""
    from lianxin_geo.ingest.demo.city import write_city_demo

    out = tmp_path_factory.mktemp("city")
    write_city_demo(out, n_orgs=600, seed=5, districts=["110101", "110111"])
    return out


def test_city_run_is_identical_on_sync_and_a_2_worker_cluster(capsys, small_city, cluster_address, tmp_path):
    """``city run``: one task per district; the city document and the districts' layers (shipped back as bytes
    from the workers) are the same whatever the scheduler (memory figures and timings dropped)."""
    docs = {}
    for scheduler in ("sync", cluster_address):
        out = tmp_path / ("sync" if scheduler == "sync" else "cluster")
        docs[scheduler] = _json(capsys, "city", "run", str(small_city), "--out", str(out), "--time-limit", "20",
                                "--scheduler", scheduler, "--json")
    drop = frozenset({"seconds", "peak_rss_mb", "peak_worker_rss_mb", "out", "stages"})
    assert docs["sync"]["districts_run"] == 2 and docs["sync"]["partial"] is False
    assert canonical_json(docs[cluster_address], drop=drop) == canonical_json(docs["sync"], drop=drop)
    for code in ("110101", "110111"):
        a, b = tmp_path / "sync" / "districts" / code / "geojson", tmp_path / "cluster" / "districts" / code / "geojson"
        names = sorted(p.name for p in a.iterdir())
        assert names and names == sorted(p.name for p in b.iterdir())
        for n in names:
            assert (a / n).read_bytes() == (b / n).read_bytes(), (code, n)
