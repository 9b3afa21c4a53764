"""One parallel engine for the per-town and per-district work: Dask.

``Engine.map(fn, items, keys=...)`` calls ``fn(item, **shared)`` once per item and returns a :class:`TaskResults`
(the values of the tasks that finished, and a :class:`TaskFailure` with the town and a Chinese reason for every
task that raised; the other tasks still finish). Three schedulers:

``"sync"``
    every task in this process, one after another (debugging, tests, the reference result).
``"local"`` (the default)
    all cores of this machine. A job runs in this process when running its tasks side by side would save less
    than starting (:data:`LOCAL_MIN_COST`) or feeding (:data:`LOCAL_MIN_COST_WARM`) worker processes costs; a
    bigger one on a ``dask.distributed.LocalCluster`` created on first use and reused afterwards (worker
    processes, one thread each, one worker per core, no dashboard, loopback only; the workers are forked from a
    fork server that imported the package once).
``"tcp://HOST:PORT"``
    an existing ``dask.distributed`` scheduler (its workers need only ``pip install lianxin-geo``).

Results never depend on the scheduler, the number of workers or the order in which tasks finish: values are
returned in the order of ``keys``, and planners derive every per-task random seed from ``(seed, key)`` through
:func:`task_seed` (never Python's ``hash``, which differs between processes).

Dask is imported only when a cluster is needed, so ``import lianxin_geo`` stays light.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import sys
import threading
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence, TypeVar

from lianxin_geo.core.errors import LianxinError

__all__ = [
    "plain_main",
    "SCHEDULERS",
    "SCHEDULER_ENV",
    "LOCAL_MIN_COST",
    "LOCAL_MIN_TASKS",
    "TaskFailure",
    "TaskResults",
    "Engine",
    "get_engine",
    "task_seed",
    "close_engines",
]

T = TypeVar("T")

SCHEDULERS = ("local", "sync")
SCHEDULER_ENV = "LIANXIN_SCHEDULER"

#: A ``"local"`` job goes to worker processes only when running it side by side saves at least this many seconds
#: (estimated from ``Engine.map``'s ``cost``: the total minus the longer of total / workers and the longest task)
#: while no cluster runs. Starting a 2-worker LocalCluster whose workers import the package took 2.5–4 s on the
#: idle 2-core reference machine (``benchmarks/engine.py``; 10–20 s when other jobs load it).
LOCAL_MIN_COST = 4.0
#: The same saving once the cluster runs (or is starting): sending the shared objects (0.1–0.3 s for a
#: 5,000-org workspace) and ~7 ms per task (``benchmarks/engine.py``).
LOCAL_MIN_COST_WARM = 0.5
#: Jobs with fewer tasks than this always run in this process (nothing to run side by side).
LOCAL_MIN_TASKS = 2
#: Without ``cost`` each task counts this many seconds.
DEFAULT_TASK_COST = 0.5
#: A job with a task estimated at this many seconds or more keeps one task per worker thread in flight: the next
#: largest goes to the first worker free (below, two per thread hide the round trips of many short tasks).
FEED_ONE_COST = 1.0
#: Modules each local worker imports when it starts (not on its first task).
WORKER_PRELOAD = ("lianxin_geo.pipeline",)
#: Modules the local cluster's fork server imports once; its worker processes are forked from it with these
#: loaded (a missing optional one is skipped). Starting 2 workers took 3.5–4 s this way against 7–20 s with
#: ``spawn`` (each worker importing everything) on the loaded 2-core reference machine (``benchmarks/engine.py``).
FORKSERVER_PRELOAD = ("distributed", *WORKER_PRELOAD, "matplotlib.pyplot", "pptx", "xlsxwriter", "folium", "pyvrp")
#: How long to wait for an existing scheduler at a ``tcp://`` address before giving up.
CONNECT_TIMEOUT_S = 15
#: Seconds a job waits while its cluster has no worker at all (a ``tcp://`` cluster whose workers never came or all
#: went away): at the start of a job it is then a user error; during a job its unfinished tasks become failures
#: (部分结果). ``$LIANXIN_NO_WORKERS_S`` overrides it.
NO_WORKERS_S = 60.0
NO_WORKERS_ENV = "LIANXIN_NO_WORKERS_S"

_REASON_CHARS = 300

# Chinese names of the exception types a planner is most likely to meet; any other type is named as is.
_KIND = {
    "MemoryError": "内存不足",
    "TimeoutError": "超时",
    "KilledWorker": "工作进程意外退出",
    "CommError": "与工作进程的连接中断",
    "FutureCancelledError": "任务被取消",
    "CancelledError": "任务被取消",
    "NoWorkers": "集群没有计算节点",
    "ZeroDivisionError": "除以零",
    "KeyError": "缺少数据",
    "ValueError": "数值不合法",
}


@dataclass(frozen=True)
class TaskFailure:
    """One task that raised: its key (e.g. a town code), its Chinese label and a one-line Chinese reason."""

    key: str
    label: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """The ``{"key", "label", "reason"}`` record of the CLI's ``failures`` list."""
        return {"key": self.key, "label": self.label, "reason": self.reason}


@dataclass
class TaskResults:
    """What :meth:`Engine.map` returns: values of the finished tasks (in the order of the keys) and the failures."""

    values: dict[str, Any] = field(default_factory=dict)
    failures: list[TaskFailure] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """True when any task failed: the result covers only part of the work."""
        return bool(self.failures)

    def ordered(self, keys: Sequence[str]) -> list:
        """The values in the given key order; keys without a value (failed or unknown) are skipped."""
        return [self.values[k] for k in keys if k in self.values]


def task_seed(seed: int | None, key: str) -> int:
    """A per-task random seed derived from the run's ``seed`` and the task's ``key``, the same in every process.

    Parameters
    ----------
    seed
        The run's seed (``None`` counts as 0).
    key
        The task's key (a town code, a component id).

    Returns
    -------
    int
        A seed in ``[0, 2**31)``, stable across processes, machines and Python versions.
    """
    digest = hashlib.blake2b(f"{int(seed or 0)}\x1f{key}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % (2**31)


def failure_reason(exc: BaseException) -> str:
    """A one-line Chinese reason for an exception: its kind, type and message, never a traceback."""
    name = type(exc).__name__
    kind = _KIND.get(name, "计算出错")
    message = " ".join(str(exc).split())
    text = f"{kind}（{name}）" + (f"：{message}" if message else "")
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"


def no_workers_s(environ: dict[str, str] | None = None) -> float:
    """Seconds a job waits for a worker (:data:`NO_WORKERS_S`, or ``$LIANXIN_NO_WORKERS_S`` when it is a number > 0)."""
    text = (os.environ if environ is None else environ).get(NO_WORKERS_ENV, "").strip()
    try:
        value = float(text) if text else NO_WORKERS_S
    except ValueError:
        value = NO_WORKERS_S
    return value if 0 < value < float("inf") else NO_WORKERS_S


class _Watchdog:
    """Watches a job's cluster from a thread: once it has had no worker for ``limit`` seconds, cancels the job's
    futures (the job's wait then ends; its unfinished tasks are failures with :attr:`reason`)."""

    def __init__(self, client: Any, futures: dict[Any, int], limit: float) -> None:
        self._client, self._futures, self.limit = client, futures, limit
        self._stop = threading.Event()
        self.fired = threading.Event()
        self.reason = (f"集群没有计算节点（NoWorkers）：{limit:g} 秒内没有任何 worker 在线，本项未计算；"
                       "请检查集群的 worker 后重新运行")
        self._thread = threading.Thread(target=self._run, name="lianxin-engine-watchdog", daemon=True)
        self._thread.start()

    def _workers(self) -> int:
        try:
            return len(self._client.nthreads())
        except Exception:  # noqa: BLE001 - the scheduler is unreachable: no worker either
            return 0

    def _run(self) -> None:
        import time

        since: float | None = None
        while not self._stop.wait(min(2.0, self.limit / 4)):
            if self._workers():
                since = None
                continue
            since = since if since is not None else time.monotonic()
            if time.monotonic() - since >= self.limit:
                self.fired.set()
                with contextlib.suppress(Exception):
                    self._client.cancel(list(self._futures))
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _run_task(fn: Callable[..., Any], item: Any, shared: dict[str, Any]) -> tuple[bool, Any]:
    """Run one task, turning an exception into ``(False, reason)`` so the worker stays quiet and the rest go on."""
    try:
        return True, fn(item, **shared)
    except Exception as exc:  # noqa: BLE001 - every task failure is reported, not raised
        return False, failure_reason(exc)


#: On a worker: the shared objects of the jobs running there, by job token (:func:`_install_shared`).
_SHARED: dict[str, dict[str, Any]] = {}
_SHARED_LOCK = threading.Lock()


def _install_shared(token: str, shared: dict[str, Any]) -> None:
    """Run on every worker (``Client.run``) before a job: keep the job's shared objects under its token."""
    with _SHARED_LOCK:
        _SHARED[token] = shared


def _drop_shared(token: str) -> None:
    """Run on every worker after a job: forget its shared objects."""
    with _SHARED_LOCK:
        _SHARED.pop(token, None)


def _run_task_remote(fn: Callable[..., Any], item: Any, token: str | None) -> tuple[bool, Any]:
    shared = _SHARED.get(token) if token is not None else {}
    if shared is None:  # a worker that joined after the job started (a restarted one) never got them
        return False, "工作进程中途重启，缺少本项所需的共享数据（WorkerRestarted）：本项未计算，请重新运行"
    return _run_task(fn, item, shared)


def _check_scheduler(scheduler: str) -> str:
    name = str(scheduler).strip()
    if name in SCHEDULERS or name.startswith(("tcp://", "tls://")):
        return name
    raise LianxinError(
        f"调度方式“{name}”无法识别：请用 local（本机所有核心）、sync（单进程，调试用）"
        "或 tcp://主机:端口（已有的 Dask 集群）"
    )


class Engine:
    """Runs independent tasks on one of the schedulers (``"sync"``, ``"local"`` or a ``tcp://`` address).

    Parameters
    ----------
    scheduler
        ``"local"``, ``"sync"`` or ``"tcp://HOST:PORT"``; ``None`` reads ``$LIANXIN_SCHEDULER`` (else ``"local"``).
    workers
        Worker processes of the local cluster (default: the machine's cores). Ignored for the other schedulers.
    """

    def __init__(self, scheduler: str | None = None, *, workers: int | None = None) -> None:
        self.scheduler = _check_scheduler(scheduler or os.environ.get(SCHEDULER_ENV) or "local")
        cores = os.cpu_count() or 1
        self.workers = max(1, int(workers)) if workers else cores
        self._cluster: Any = None
        self._client: Any = None
        self._lock = threading.Lock()
        self._warming = False

    def __repr__(self) -> str:
        return f"Engine({self.scheduler!r}, workers={self.workers})"

    # ------------------------------------------------------------------ choosing where a job runs
    def in_process(self, n_tasks: int, total_cost: float, *, longest: float = 0.0) -> bool:
        """Whether a job runs in this process.

        Parameters
        ----------
        n_tasks, total_cost
            The job's number of tasks and total estimated seconds of one core.
        longest
            Its longest task's estimated seconds (no job finishes before it).
        """
        if self.scheduler == "sync":
            return True
        if self.scheduler != "local":
            return False
        if self.workers < 2 or n_tasks < LOCAL_MIN_TASKS:
            return True
        saving = total_cost - max(total_cost / min(self.workers, n_tasks), longest)
        warm = self._client is not None or self._warming  # the start-up is paid (or being paid) already
        return saving < (LOCAL_MIN_COST_WARM if warm else LOCAL_MIN_COST)

    @property
    def running(self) -> bool:
        """True while a client is connected (a local cluster was started or a scheduler was reached)."""
        return self._client is not None

    def prestart(self) -> None:
        """Start the local cluster in the background, for a caller that knows big jobs are coming.

        The worker processes start and import the package while this process goes on (loading, assessing), so
        the first big job finds them ready. Nothing happens for ``"sync"``, a ``tcp://`` scheduler, one core, or
        a cluster already running. A failed start is not raised here: the next :meth:`map` tries again and
        reports it.
        """
        if self.scheduler != "local" or self.workers < 2 or self._client is not None or self._warming:
            return
        self._warming = True
        threading.Thread(target=self._warm, name="lianxin-engine-start", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.client()
        except Exception:  # noqa: BLE001 - reported by the next map()
            pass
        finally:
            self._warming = False

    def client(self) -> Any:
        """The ``dask.distributed.Client`` (starting the local cluster or connecting on first use)."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Any:
        import distributed  # heavy: imported only when a cluster is needed

        if self.scheduler == "local":
            _use_forkserver()
            with plain_main():
                self._cluster = self._local_cluster(distributed)
            return distributed.Client(self._cluster, set_as_default=False)
        try:
            return distributed.Client(self.scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise LianxinError(
                f"无法连接 Dask 集群 {self.scheduler}：{' '.join(str(exc).split())}。"
                "请检查调度器地址与端口，或改用 --scheduler local"
            ) from exc

    def _local_cluster(self, distributed: Any) -> Any:
        return distributed.LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                scheduler_port=0,
                dashboard_address=None,
                # no dashboard; the scheduler's small HTTP server (health checks) on a free loopback port
                scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                silence_logs=logging.CRITICAL,  # shutdown chatter; task errors come back as TaskFailure
                preload=list(WORKER_PRELOAD),  # the workers import the package while they start
            )

    # ------------------------------------------------------------------ the one entry point
    def map(
        self,
        fn: Callable[..., T],
        items: Sequence[Any],
        *,
        keys: Sequence[str],
        labels: Sequence[str] | None = None,
        cost: Sequence[float] | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        **shared: Any,
    ) -> TaskResults:
        """Call ``fn(item, **shared)`` once per item.

        Parameters
        ----------
        fn
            A module-level function (it is pickled to the workers).
        items
            One item per task (e.g. one town's arrays).
        keys
            One unique key per item (e.g. the town code); the values come back under these keys, in this order.
        labels
            Chinese labels of the tasks (e.g. the town names), for progress and failures; default the keys.
        cost
            Estimated seconds of one core per task: the larger tasks start first, and for ``"local"`` the
            estimated saving decides whether the job is worth worker processes (:meth:`in_process`). Default
            :data:`DEFAULT_TASK_COST` each.
        progress
            ``progress(done, total, label)``, called in this process as tasks finish.
        **shared
            Objects every task needs (a profile, a distance matrix): sent to each worker once, not once per task.

        Returns
        -------
        TaskResults
            The values of the finished tasks and a :class:`TaskFailure` per task that raised.
        """
        items = list(items)
        keys = [str(k) for k in keys]
        labels = [str(x) for x in labels] if labels is not None else list(keys)
        costs = [float(c) for c in cost] if cost is not None else [DEFAULT_TASK_COST] * len(items)
        if not (len(items) == len(keys) == len(labels) == len(costs)):
            raise ValueError("items, keys, labels and cost must have the same length")
        if len(set(keys)) != len(keys):
            raise ValueError("keys must be unique")
        # the biggest tasks first (longest processing time first: the best simple balance across workers)
        order = sorted(range(len(items)), key=lambda i: (-costs[i], i))
        if self.in_process(len(items), sum(costs), longest=max(costs, default=0.0)):
            outcomes = self._map_here(fn, items, keys, labels, order, progress, shared)
        else:
            outcomes = self._map_dask(fn, items, keys, labels, order, progress, shared,
                                      feed_one=max(costs, default=0.0) >= FEED_ONE_COST)
        values: dict[str, Any] = {}
        failures: list[TaskFailure] = []
        for i, key in enumerate(keys):  # the keys' order, never the finishing order
            ok, value = outcomes[i]
            if ok:
                values[key] = value
            else:
                failures.append(TaskFailure(key=key, label=labels[i], reason=value))
        return TaskResults(values=values, failures=failures)

    def _map_here(self, fn, items, keys, labels, order, progress, shared) -> dict[int, tuple[bool, Any]]:
        outcomes: dict[int, tuple[bool, Any]] = {}
        for done, i in enumerate(order, start=1):
            outcomes[i] = _run_task(fn, items[i], shared)
            if progress is not None:
                progress(done, len(items), labels[i])
        return outcomes

    def _map_dask(self, fn, items, keys, labels, order, progress, shared, *, feed_one: bool = False
                  ) -> dict[int, tuple[bool, Any]]:
        """The tasks on the cluster, fed in ``order`` as threads free up (list scheduling).

        Submitting every task at once lets the scheduler split them between the workers by count before it knows
        their lengths (4 export jobs: maps + html on one worker, workbook + layers on the other, which then waits).
        Here at most one task per worker thread is in flight (two when every task is short, ``feed_one`` false,
        so the round trip to the scheduler is hidden): the next largest task goes to whichever worker frees first.
        """
        import distributed

        client = self.client()
        limit = no_workers_s()
        # A cluster with no worker would hold every task of the job forever. The local cluster's workers are all
        # awaited (one restarting after a crash comes back), as the shared objects go to the workers there now.
        try:
            client.wait_for_workers(self.workers if self.scheduler == "local" else 1, timeout=limit)
        except TimeoutError as exc:
            if not client.nthreads():  # (some local workers are enough to run the job)
                raise self._no_workers(limit) from exc
        # The shared objects go to every worker once, pickled once, straight from this client through the scheduler
        # (Client.run), and each task finds them under the job's token. Not as Dask data: every way of placing
        # data on the workers was seen to hang a job under load — a scatter to one worker (the others' fetch from
        # it stalled), a broadcast scatter (the workers' replicate gathered from each other forever), re-scattered
        # equal data under its content key — and nothing in the job could time it out (CI, test_engine).
        token = os.urandom(6).hex()
        if shared:
            client.run(_install_shared, token, shared, on_error="return")  # a worker that fails it: its tasks say so
        n = len(order)
        threads = max(1, sum(client.nthreads().values()))
        in_flight = threads if feed_one else 2 * threads
        queue = list(enumerate(order))[::-1]  # (rank, item index); popped largest first
        futures: dict[Any, int] = {}

        def submit() -> Any:
            rank, i = queue.pop()
            fut = client.submit(_run_task_remote, fn, items[i], token if shared else None,
                                key=f"lianxin-{token}-{i}", priority=n - rank, pure=False)
            futures[fut] = i
            return fut

        running = distributed.as_completed([submit() for _ in range(min(in_flight, n))], loop=client.loop)
        watchdog = _Watchdog(client, futures, limit)
        outcomes: dict[int, tuple[bool, Any]] = {}
        done = 0
        try:
            for fut in running:
                if queue and not watchdog.fired.is_set():
                    running.add(submit())
                i = futures[fut]
                try:
                    outcomes[i] = fut.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker fails one task, not the job
                    outcomes[i] = (False, watchdog.reason if watchdog.fired.is_set() else failure_reason(exc))
                fut.release()
                done += 1
                if progress is not None:
                    progress(done, n, labels[i])
            for _rank, i in reversed(queue):  # never sent: the cluster lost its workers first
                outcomes[i] = (False, watchdog.reason)
                done += 1
                if progress is not None:
                    progress(done, n, labels[i])
        finally:
            watchdog.stop()
            for fut in futures:
                fut.release()
            if shared:
                with contextlib.suppress(Exception):  # a worker gone meanwhile: its copy went with it
                    client.run(_drop_shared, token, on_error="ignore")
        return outcomes

    def _no_workers(self, limit: float) -> LianxinError:
        if self.scheduler == "local":
            return LianxinError(f"本机的 Dask 工作进程在 {limit:g} 秒内未能启动：请检查可用内存，"
                                "或改用 --scheduler sync（单进程）")
        return LianxinError(f"Dask 集群 {self.scheduler} 在 {limit:g} 秒内没有可用的计算节点（worker）：请在集群上启动 "
                            f"worker（dask worker {self.scheduler}），或改用 --scheduler local")

    def close(self) -> None:
        """Close the client, and the local cluster if this engine started it (an existing cluster stays up)."""
        with self._lock:
            client, cluster = self._client, self._cluster
            self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def plain_main() -> Iterator[None]:
    """While local workers start, ``__main__`` is a plain module without a file.

    multiprocessing makes every new worker run the parent's ``__main__`` file again (``init_main_from_path``). In the
    Streamlit app (and in its AppTest tests) ``__main__`` is the page script, ``app.py``: a worker would start the
    app and die ("Nanny failed to start"). The tasks are module-level functions of this package (a function defined
    in a script is pickled by value), so the workers never need the parent's script.
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None or not getattr(main, "__file__", None):
        yield  # `python -m …` or an interactive session: multiprocessing imports by name or not at all
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


_FORKSERVER_USED = False


def _use_forkserver() -> None:
    """Local workers forked from one fork server that imported the package once (where the platform has it)."""
    global _FORKSERVER_USED
    import multiprocessing

    import dask
    from distributed.utils import get_mp_context

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return  # Windows: spawn, each worker imports (WORKER_PRELOAD)
    dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})
    get_mp_context().set_forkserver_preload(list(FORKSERVER_PRELOAD))
    _FORKSERVER_USED = True


def _stop_forkserver() -> None:
    """End the fork server the local workers came from, at once (SIGTERM, then reaped).

    Left alone it exits only after this process has gone, tearing its preloaded modules down for 0.5–1 s while
    it still holds this process's stdout and stderr: a caller reading them (a script, ``subprocess.run``) waits
    that long after the command is done. It holds nothing to save; its workers are closed before.
    """
    if not _FORKSERVER_USED:
        return
    import signal
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if server is None or not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
        server._stop()  # closes its pipe, reaps it and removes its socket file
    except (OSError, AttributeError, ChildProcessError):
        pass


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(scheduler: "str | Engine | None" = None) -> Engine:
    """The engine for a scheduler name, shared within the process so a local cluster starts once.

    Parameters
    ----------
    scheduler
        An :class:`Engine` (returned as is), a scheduler name, or ``None`` for ``$LIANXIN_SCHEDULER`` or
        ``"local"``.
    """
    if isinstance(scheduler, Engine):
        return scheduler
    name = _check_scheduler(scheduler or os.environ.get(SCHEDULER_ENV) or "local")
    with _ENGINES_LOCK:
        engine = _ENGINES.get(name)
        if engine is None:
            engine = _ENGINES[name] = Engine(name)
        return engine


def close_engines() -> None:
    """Close every engine :func:`get_engine` made (at interpreter exit the fork server of the local workers is
    ended too)."""
    with _ENGINES_LOCK:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
    for engine in engines:
        engine.close()


def _close_at_exit() -> None:
    close_engines()
    _stop_forkserver()


atexit.register(_close_at_exit)
