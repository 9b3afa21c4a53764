"""The parallel engine (core.engine): sync, a real 2-worker LocalCluster and a tcp:// scheduler give the same values;
a failing task becomes a TaskFailure with its key while the others finish; progress reaches the total; shared
objects travel once per worker, not once per task."""

from __future__ import annotations

import math
import pickle

import pytest

from lianxin_geo.core import LianxinError
from lianxin_geo.core.engine import (
    LOCAL_MIN_COST,
    NO_WORKERS_ENV,
    NO_WORKERS_S,
    SCHEDULER_ENV,
    Engine,
    TaskFailure,
    TaskResults,
    failure_reason,
    get_engine,
    no_workers_s,
    task_seed,
)

KEYS = [f"1101131{i:02d}" for i in range(9)]
LABELS = [f"第{i}镇" for i in range(9)]
BIG = [LOCAL_MIN_COST] * len(KEYS)  # enough estimated cost that "local" uses the cluster


def crunch(item: int, *, scale: float = 1.0, seed: int = 7, key_of=None) -> float:
    """A small deterministic task: a sum that depends on the item, the shared scale and a per-task seed."""
    if item == 4:
        raise ValueError(f"第 {item} 项数据不合法")
    s = task_seed(seed, KEYS[item])
    return scale * sum(math.sqrt(i + item) for i in range(2000)) + s


class Counted:
    """A shared object that counts how often it is pickled in this process."""

    pickles = 0

    def __init__(self, payload: list[float]) -> None:
        self.payload = payload

    def __reduce__(self):
        Counted.pickles += 1
        return (Counted, (self.payload,))


def use_shared(item: int, *, big: Counted) -> float:
    return big.payload[item] * 2


@pytest.fixture(scope="module")
def cluster_engine():
    engine = Engine("local", workers=2)
    yield engine
    engine.close()


def test_sync_and_local_cluster_give_the_same_values(cluster_engine):
    sync = Engine("sync").map(crunch, list(range(9)), keys=KEYS, labels=LABELS, cost=BIG, scale=1.5)
    assert cluster_engine.in_process(len(KEYS), sum(BIG)) is False
    par = cluster_engine.map(crunch, list(range(9)), keys=KEYS, labels=LABELS, cost=BIG, scale=1.5)
    assert cluster_engine.running  # the job really ran on the cluster
    assert list(par.values) == list(sync.values) == [k for k in KEYS if k != KEYS[4]]
    assert pickle.dumps(par.values) == pickle.dumps(sync.values)
    assert par.failures == sync.failures
    # and a different shared value gives different results (the comparison can fail)
    other = cluster_engine.map(crunch, list(range(9)), keys=KEYS, labels=LABELS, cost=BIG, scale=2.0)
    assert other.values != sync.values


def test_a_failing_task_is_reported_and_the_others_finish(cluster_engine):
    res = cluster_engine.map(crunch, list(range(9)), keys=KEYS, labels=LABELS, cost=BIG)
    assert res.partial
    assert res.failures == [TaskFailure(KEYS[4], "第4镇", "数值不合法（ValueError）：第 4 项数据不合法")]
    assert len(res.values) == 8 and KEYS[4] not in res.values
    assert res.ordered([KEYS[8], KEYS[4], KEYS[0]]) == [res.values[KEYS[8]], res.values[KEYS[0]]]
    assert res.failures[0].to_json() == {"key": KEYS[4], "label": "第4镇", "reason": res.failures[0].reason}


def test_progress_reaches_the_total_on_every_scheduler(cluster_engine):
    for engine in (Engine("sync"), cluster_engine):
        seen: list[tuple[int, int, str]] = []
        engine.map(crunch, list(range(9)), keys=KEYS, labels=LABELS, cost=BIG,
                   progress=lambda d, n, label: seen.append((d, n, label)))
        assert [d for d, _, _ in seen] == list(range(1, 10))
        assert {n for _, n, _ in seen} == {9}
        assert sorted(label for _, _, label in seen) == sorted(LABELS)


def test_shared_objects_travel_once_not_once_per_task(cluster_engine):
    big = Counted([float(i) for i in range(40)])
    Counted.pickles = 0
    res = cluster_engine.map(use_shared, list(range(40)), keys=[f"k{i}" for i in range(40)], cost=[1.0] * 40,
                             big=big)
    assert res.ordered([f"k{i}" for i in range(40)]) == [2.0 * i for i in range(40)]
    assert 1 <= Counted.pickles <= 2, Counted.pickles  # once (or once per worker), never 40 times


def test_tcp_address_of_an_existing_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                  host="127.0.0.1", scheduler_port=0, dashboard_address=None,
                                  scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"}) as cl:
        address = cl.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        engine = Engine(address)
        try:
            assert engine.in_process(9, 0.1) is False  # a remote scheduler always gets the job
            res = engine.map(crunch, list(range(9)), keys=KEYS, labels=LABELS, scale=1.5)
            assert engine.running
        finally:
            engine.close()
        sync = Engine("sync").map(crunch, list(range(9)), keys=KEYS, labels=LABELS, scale=1.5)
        assert res.values == sync.values and res.failures == sync.failures


def test_unreachable_scheduler_is_a_chinese_error(monkeypatch):
    monkeypatch.setattr("lianxin_geo.core.engine.CONNECT_TIMEOUT_S", 1)
    engine = Engine("tcp://127.0.0.1:9")
    with pytest.raises(LianxinError, match="无法连接 Dask 集群 tcp://127.0.0.1:9"):
        engine.map(crunch, [0, 1], keys=KEYS[:2])


def _tcp_cluster(distributed, n_workers: int):
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=False, protocol="tcp",
                                    host="127.0.0.1", scheduler_port=0, dashboard_address=None,
                                    scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})


def nap(item: int) -> int:
    import time

    time.sleep(0.3)
    return item * 10


def test_a_cluster_without_workers_is_a_chinese_error_not_a_hang(monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv(NO_WORKERS_ENV, "1.5")
    with _tcp_cluster(distributed, 0) as cl:
        engine = Engine(cl.scheduler_address)
        try:
            with pytest.raises(LianxinError, match=r"没有可用的计算节点（worker）.*dask worker tcp://127\.0\.0\.1"):
                engine.map(nap, [0, 1], keys=KEYS[:2], big=Counted([1.0]))  # the scatter would wait forever
        finally:
            engine.close()


def test_workers_lost_during_a_job_make_its_rest_failures(monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv(NO_WORKERS_ENV, "1.5")
    with _tcp_cluster(distributed, 1) as cl:
        engine = Engine(cl.scheduler_address)
        seen: list[tuple[int, int]] = []

        def progress(done: int, total: int, _label: str) -> None:
            seen.append((done, total))
            if done == 1:  # the only worker goes away after the first task, and no other comes
                cl.scale(0)

        try:
            res = engine.map(nap, list(range(6)), keys=KEYS[:6], labels=LABELS[:6], cost=[2.0] * 6,
                             progress=progress)
        finally:
            engine.close()
    assert res.partial and 1 <= len(res.values) < 6
    assert len(res.values) + len(res.failures) == 6
    assert all(f.reason.startswith("集群没有计算节点") and "1.5 秒内没有任何 worker" in f.reason for f in res.failures)
    assert seen[-1] == (6, 6)  # the progress still reaches the total


def test_the_no_worker_limit_from_the_environment():
    assert no_workers_s({}) == NO_WORKERS_S
    assert no_workers_s({NO_WORKERS_ENV: "5"}) == 5
    for bad in ("0", "-3", "x", "inf"):
        assert no_workers_s({NO_WORKERS_ENV: bad}) == NO_WORKERS_S


def test_local_runs_small_jobs_in_process():
    engine = Engine("local", workers=2)
    assert engine.in_process(1, 1000.0)  # one task: nothing to run side by side
    # two workers save half of an even job: worth it from twice the start-up cost
    assert engine.in_process(25, 2 * LOCAL_MIN_COST - 0.01)
    assert not engine.in_process(25, 2 * LOCAL_MIN_COST)
    # one long task bounds the saving: 10 s + 2 s cannot finish before the 10 s task
    assert engine.in_process(2, 12.0, longest=10.0) and not engine.in_process(2, 20.0, longest=10.0)
    assert Engine("local", workers=1).in_process(25, 1e6)
    res = engine.map(crunch, list(range(9)), keys=KEYS)  # 9 × 0.5 s estimated: below the threshold
    assert not engine.running and len(res.values) == 8
    assert Engine("sync").in_process(100, 1e9)


def test_values_follow_the_keys_not_the_costs():
    res = Engine("sync").map(crunch, [0, 1, 2], keys=["b", "c", "a"], cost=[1, 5, 3], scale=0.0, seed=1)
    assert list(res.values) == ["b", "c", "a"]
    assert not TaskResults().partial


def test_task_seed_is_stable_and_depends_on_seed_and_key():
    assert task_seed(42, "110113104") == task_seed(42, "110113104")
    assert task_seed(42, "110113104") != task_seed(43, "110113104")
    assert task_seed(42, "110113104") != task_seed(42, "110113105")
    assert task_seed(None, "x") == task_seed(0, "x")
    assert 0 <= task_seed(2**40, "x") < 2**31
    assert task_seed(42, "110113104") == 1486280764  # the same in every process and on every machine


def test_scheduler_names(monkeypatch):
    with pytest.raises(LianxinError, match="调度方式“fast”无法识别"):
        Engine("fast")
    monkeypatch.setenv(SCHEDULER_ENV, "sync")
    assert Engine().scheduler == "sync"
    assert get_engine().scheduler == "sync"
    assert get_engine("sync") is get_engine(None)
    e = Engine("sync")
    assert get_engine(e) is e
    monkeypatch.delenv(SCHEDULER_ENV)
    assert Engine().scheduler == "local"


def test_failure_reason_is_one_chinese_line():
    reason = failure_reason(KeyError("第一行\n第二行"))
    assert reason == "缺少数据（KeyError）：'第一行\\n第二行'"
    long = failure_reason(RuntimeError("x" * 1000))
    assert long.startswith("计算出错（RuntimeError）：") and len(long) <= 300 and "\n" not in long


def test_map_checks_its_arguments():
    with pytest.raises(ValueError, match="same length"):
        Engine("sync").map(crunch, [0, 1], keys=["a"])
    with pytest.raises(ValueError, match="unique"):
        Engine("sync").map(crunch, [0, 1], keys=["a", "a"])


def test_app_engine_reads_the_environment(monkeypatch):
    from lianxin_geo.ui.engine import app_engine, partial_message

    monkeypatch.setenv(SCHEDULER_ENV, "sync")
    assert app_engine().scheduler == "sync" and app_engine() is app_engine()
    monkeypatch.delenv(SCHEDULER_ENV)
    assert app_engine().scheduler == "local"
    assert partial_message(()) is None
    msg = partial_message([TaskFailure("110113104", "李桥镇", "内存不足（MemoryError）")])
    assert msg.startswith("部分结果：1 项计算失败") and "李桥镇：内存不足" in msg


def test_workers_start_when_main_is_a_page_script(tmp_path, monkeypatch):
    """In the app (and after any AppTest run) ``__main__`` is the page script: multiprocessing would make each new
    worker run it again and the worker would die ("Nanny failed to start"). The workers must start anyway, and
    never run the script."""
    import sys
    import types

    marker = tmp_path / "ran.txt"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit('page script re-run')\n",
                      encoding="utf-8")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    page.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", page)
    engine = Engine("local", workers=2)
    try:
        res = engine.map(crunch, list(range(9)), keys=KEYS, labels=LABELS, cost=BIG)
        assert engine.running and len(res.values) == 8
    finally:
        engine.close()
    assert not marker.exists()
    assert sys.modules["__main__"] is page  # put back
