"""Scale benchmark (issue 16): the synthetic city end to end with ``sync`` and ``local`` (2 workers).

For every size (5,000 / 50,000 / 1,000,000 orgs by default) the city demo is written once (``demo --city``,
:func:`lianxin_geo.ingest.demo.city.write_city_demo`), then each scheduler runs ``city run``
(:func:`lianxin_geo.pipeline.city.run_city`: every district's whole run — load, assessment, joint units,
instructor routes, coverage, exports — as one engine task; the city's tables summed from the districts') in its
own child process, so peak memory is that run's alone (psutil, the whole process tree: the child and its Dask
workers, sampled every 0.2 s). A run over ``--mem-cap-gb`` or ``--timeout`` is stopped and leaves what it reached.

Printed and written (``$LIANXIN_SCALE_DIR``, default /tmp/lianxin-scale): the run's wall time, peak memory (tree
and largest worker), each stage's seconds summed over the districts (where the work goes: the next bottleneck),
the speed-up sync / local, and with ``local`` Dask's HTML performance report (``run-<size>-local.html``, needs
bokeh from the ``bench`` extra) and the task stream: the district tasks' compute times feed the projection to 16
and 64 workers (LPT schedule of the measured tasks plus the run's serial remainder) for ``docs/scale.md``.

Usage::

    .venv/bin/python benchmarks/scale.py --sizes 5000 50000
    .venv/bin/python benchmarks/scale.py --sizes 1000000 --mem-cap-gb 8 --schedulers local
    .venv/bin/python benchmarks/scale.py --tables        # the tables of the runs already made
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

STAGES = ("load", "assessment", "joint", "routes", "coverage", "exports")
#: Where demos, run JSON and performance reports go (large: kept out of the repository).
OUT = Path(os.environ.get("LIANXIN_SCALE_DIR", "/tmp/lianxin-scale"))


# ----------------------------------------------------------------------------- memory
class TreeMemory:
    """Samples the RSS of this process and all its descendants; keeps the peak total and the peak child."""

    def __init__(self, interval: float = 0.2, *, cap_bytes: float | None = None, deadline: float | None = None,
                 on_stop: "Callable[[str], None] | None" = None) -> None:
        import psutil

        self._proc = psutil.Process()
        self.interval = interval
        self.peak_total = 0
        self.peak_child = 0
        self.cap_bytes = cap_bytes
        self.deadline = deadline
        self.on_stop = on_stop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        import psutil

        total = 0
        child_max = 0
        try:
            total = self._proc.memory_info().rss
            for c in self._proc.children(recursive=True):
                try:
                    r = c.memory_info().rss
                except psutil.Error:
                    continue
                total += r
                child_max = max(child_max, r)
        except psutil.Error:
            return
        self.peak_total = max(self.peak_total, total)
        self.peak_child = max(self.peak_child, child_max)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            why = None
            if self.cap_bytes and self.peak_total > self.cap_bytes:
                why = f"stopped: process tree over {self.cap_bytes / 2**30:.1f} GB"
            elif self.deadline and time.monotonic() > self.deadline:
                why = "stopped: time limit reached"
            if why and self.on_stop is not None:
                self.on_stop(why)
            self._stop.wait(self.interval)

    def kill_descendants(self) -> None:
        """Kill the processes this run started (its Dask workers), by pid."""
        import psutil

        for c in self._proc.children(recursive=True):
            try:
                c.kill()
            except psutil.Error:
                pass

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


# ----------------------------------------------------------------------------- child: one run
def _task_durations(ts) -> list[float]:
    out = []
    for t in ts.data if ts is not None else []:
        for ss in t.get("startstops", ()):
            if ss.get("action") == "compute":
                out.append(float(ss["stop"]) - float(ss["start"]))
    return out


def run_child(size: int, scheduler: str, folder: Path, out_json: Path, stages: list[str], run_dir: Path, *,
              tree_cap_gb: float | None = None, timeout_s: float | None = None, time_limit_s: float = 120.0,
              formats: tuple[str, ...] = ("xlsx", "geojson")) -> None:
    """One city run (:func:`lianxin_geo.pipeline.city.run_city`), its stages timed inside each district's task;
    ``out_json`` is written as districts finish (so a killed run leaves what it reached)."""
    import contextlib

    os.environ["LIANXIN_SCHEDULER"] = scheduler
    from lianxin_geo.core.engine import get_engine
    from lianxin_geo.pipeline.city import CITY_STAGES, run_city

    doc: dict = {"size": size, "scheduler": scheduler, "stages": {}, "tasks": {}, "status": "running",
                 "districts": {}, "time_limit_s": time_limit_s, "formats": list(formats)}

    def save() -> None:
        out_json.write_text(json.dumps(doc, ensure_ascii=False, indent=1))

    engine = get_engine(scheduler)
    doc["loadavg_start"] = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews the ratios
    doc["workers"] = 1 if scheduler == "sync" else engine.workers
    t_all = time.perf_counter()

    def stop(why: str) -> None:  # over the memory cap or the time limit: record what was reached, then end
        doc["status"] = f"{why} after {len(doc['districts'])} districts"
        doc["wall_s"] = round(time.perf_counter() - t_all, 3)
        doc["peak_rss_mb"] = round(mem.peak_total / 2**20)
        doc["peak_worker_rss_mb"] = round(mem.peak_child / 2**20)
        save()
        mem.kill_descendants()
        os._exit(3)

    deadline = time.monotonic() + timeout_s if timeout_s else None
    with TreeMemory(cap_bytes=tree_cap_gb * 2**30 if tree_cap_gb else None, deadline=deadline,
                    on_stop=stop) as mem:
        client = None
        report = contextlib.nullcontext()
        stream = contextlib.nullcontext()
        current = contextlib.nullcontext()
        if scheduler != "sync":
            import distributed

            t0 = time.perf_counter()
            client = engine.client()
            doc["cluster_start_s"] = round(time.perf_counter() - t0, 3)
            current = client.as_current()  # the report and the task stream find the engine's client
            try:
                import bokeh  # noqa: F401 - the HTML report draws with bokeh

                report = distributed.performance_report(filename=str(out_json.with_suffix(".html")))
                doc["performance_report"] = str(out_json.with_suffix(".html"))
            except ImportError:
                doc["performance_report"] = "未写出：需要 bokeh（pip install -e '.[bench]'）；任务时间取自 get_task_stream"
            stream = distributed.get_task_stream(client=client)

        def progress(done: int, total: int, label: str) -> None:
            doc["districts"][label] = round(time.perf_counter() - t_all, 1)
            doc["status"] = f"running: {done}/{total} districts"
            doc["peak_rss_mb"] = round(mem.peak_total / 2**20)
            save()

        t0 = time.perf_counter()
        with current, report, stream as ts:
            try:
                res = run_city(folder, run_dir, engine=engine, formats=formats, time_limit_s=time_limit_s,
                               progress=progress)
                status = "ok" if not res["partial"] else "partial: " + "；".join(
                    f"{f['label']}：{f['reason'][:80]}" for f in res["failures"])
            except Exception as exc:  # noqa: BLE001 - a benchmark records the failure
                res, status = None, f"{type(exc).__name__}: {str(exc)[:300]}"
        doc["run_s"] = round(time.perf_counter() - t0, 3)
        if res is not None:
            # stage seconds summed over the districts' tasks (one core each): where the work goes
            doc["stages"] = {st: {"seconds": res["stages"].get(st, 0.0), "status": status} for st in CITY_STAGES}
            doc["district_seconds"] = {d["name"]: d["seconds"] for d in res["city"]["districts"]}
            doc["district_orgs"] = {d["name"]: d["orgs"] for d in res["city"]["districts"]}
            doc["orgs_run"] = res["city"]["orgs"]
            doc["peak_task_rss_mb"] = res["peak_worker_rss_mb"]
        doc["run_status"] = status
        if client is not None and ts is not None:
            doc["tasks"]["district"] = _task_durations(ts)
    doc["wall_s"] = round(time.perf_counter() - t_all, 3)
    doc["peak_rss_mb"] = round(mem.peak_total / 2**20)
    doc["peak_worker_rss_mb"] = round(mem.peak_child / 2**20)
    doc["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    doc["status"] = "done"
    save()
    engine.close()


# ----------------------------------------------------------------------------- projection
def lpt_makespan(durations: list[float], workers: int) -> float:
    """Makespan of the longest-processing-time-first schedule of ``durations`` on ``workers`` workers."""
    loads = [0.0] * workers
    heapq.heapify(loads)
    for d in sorted(durations, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + d)
    return max(loads) if loads else 0.0


def project(local: dict, workers: tuple[int, ...] = (16, 64)) -> dict:
    """The city run on W workers: its serial part (measured wall − LPT makespan of the district tasks on the
    measured workers) + the LPT makespan of the measured district tasks on W workers.

    One task per district: beyond 16 workers the largest district bounds the run (a finer split — towns of a
    district as tasks of their own — is what would use 64)."""
    tasks = local["tasks"].get("district", [])
    w0 = int(local.get("workers", 2))
    run_s = float(local.get("run_s") or 0.0)
    serial = max(0.0, run_s - lpt_makespan(tasks, w0)) if tasks else run_s
    return {"run": {"tasks": len(tasks), "task_s_total": round(sum(tasks), 2),
                    "task_s_max": round(max(tasks), 2) if tasks else 0.0, "serial_s": round(serial, 2),
                    "worker_mb": local.get("peak_task_rss_mb"),
                    **{f"w{w}_s": round(serial + lpt_makespan(tasks, w), 2) for w in workers}}}


# ----------------------------------------------------------------------------- parent
def ensure_demo(size: int, seed: int) -> tuple[Path, float]:
    from lianxin_geo.ingest.demo.city import CITY_MANIFEST, write_city_demo

    folder = OUT / f"city-{size}"
    m = folder / CITY_MANIFEST
    if m.exists() and json.loads(m.read_text(encoding="utf-8")).get("n_orgs") == size:
        return folder, 0.0
    t0 = time.perf_counter()
    write_city_demo(folder, n_orgs=size, seed=seed)
    return folder, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000, 1000000])
    ap.add_argument("--schedulers", nargs="+", default=["sync", "local"])
    ap.add_argument("--time-limit", type=float, default=120.0, help="each district's plans (as run --time-limit)")
    ap.add_argument("--formats", default="xlsx,geojson", help="each district's files")
    ap.add_argument("--mem-cap-gb", type=float, default=None,
                    help="memory cap of each run: the whole process tree's RSS (the run stops and records where it "
                         "was) and each process's address space (prlimit --as)")
    ap.add_argument("--timeout", type=float, default=3000.0, help="seconds per run before it is stopped")
    ap.add_argument("--seed", type=int, default=20170602)
    ap.add_argument("--tables", action="store_true", help="print the tables of the run JSON files already in "
                    "$LIANXIN_SCALE_DIR (no new run)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--scheduler", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        run_child(args.size, args.scheduler, Path(args.folder), Path(args.out), [],
                  Path(args.out).with_suffix(".run"), tree_cap_gb=args.mem_cap_gb, timeout_s=args.timeout,
                  time_limit_s=args.time_limit, formats=tuple(x for x in args.formats.split(",") if x))
        return 0
    if args.tables:
        results = [json.loads(p.read_text()) for p in sorted(OUT.glob("run-*.json"),
                                                             key=lambda p: (int(p.stem.split("-")[1]), p.stem))]
        print(markdown(results, summarize(results)))
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for size in args.sizes:
        folder, gen_s = ensure_demo(size, args.seed)
        print(f"# {size:,} orgs: demo written in {gen_s:.1f} s → {folder}", flush=True)
        for sched in args.schedulers:
            out_json = OUT / f"run-{size}-{sched}.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--size", str(size), "--scheduler",
                   sched, "--folder", str(folder), "--out", str(out_json), "--timeout", str(args.timeout),
                   "--time-limit", str(args.time_limit), "--formats", args.formats]
            if args.mem_cap_gb:
                cmd += ["--mem-cap-gb", str(args.mem_cap_gb)]
                cmd = ["prlimit", f"--as={int(args.mem_cap_gb * 2**30)}", "--", *cmd]
            t0 = time.perf_counter()
            try:  # the child stops itself at --timeout; this is the backstop
                rc = subprocess.run(cmd, timeout=args.timeout + 120).returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
            doc = json.loads(out_json.read_text()) if out_json.exists() else {"stages": {}, "tasks": {}}
            doc.update({"size": size, "scheduler": sched, "returncode": rc, "generate_s": round(gen_s, 2),
                        "outer_wall_s": round(time.perf_counter() - t0, 2)})
            out_json.write_text(json.dumps(doc, ensure_ascii=False, indent=1))
            results.append(doc)
            print_row(doc)
    summary = summarize(results)
    (OUT / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    print(markdown(results, summary))
    return 0


def markdown(results: list[dict], summary: dict) -> str:
    """The tables of ``docs/scale.md``: runs with per-stage seconds, speed-ups, projections."""
    lines = ["| orgs | scheduler | run wall s | peak MB (tree) | peak MB (one worker) | load avg | status | "
             + " | ".join(f"{st} (Σ s)" for st in STAGES) + " |", "|" + "---|" * (7 + len(STAGES))]
    for r in results:
        cells = [f"{r['stages'][st]['seconds']:.1f}" if st in r.get("stages", {}) else "–" for st in STAGES]
        la = r.get("loadavg_start", ["?"])[0]
        lines.append(f"| {r['size']:,} | {r['scheduler']} | {r.get('run_s') or '–'} | {r.get('peak_rss_mb') or '–'} | "
                     f"{r.get('peak_worker_rss_mb') or '–'} | {la} | {r.get('run_status', r.get('status'))} | "
                     + " | ".join(cells) + " |")
    for key, val in summary.items():
        if key.startswith("speedup_"):
            lines += ["", f"Speed-up sync/local (2 workers), {int(key[8:]):,} orgs: "
                      + ", ".join(f"{k} {v}×" for k, v in val.items())]
        if key.startswith("projection_"):
            lines += ["", f"Projection, {int(key[11:]):,} orgs (seconds):", "",
                      "| tasks | task s total | longest task s | serial s | MB per worker | 16 workers | 64 workers |",
                      "|---|---|---|---|---|---|---|"]
            for p in val.values():
                lines.append(f"| {p['tasks']} | {p['task_s_total']} | {p['task_s_max']} | {p['serial_s']} | "
                             f"{p['worker_mb']} | {p['w16_s']} | {p['w64_s']} |")
    return "\n".join(lines) + "\n"


def print_row(doc: dict) -> None:
    stages = " ".join(f"{k}={v['seconds']:.1f}s" for k, v in doc.get("stages", {}).items())
    print(f"{doc['size']:>9,} {doc['scheduler']:>6}  run {doc.get('run_s') or float('nan'):8.1f} s  "
          f"peak {doc.get('peak_rss_mb', 0):6,} MB  rc={doc['returncode']}  {doc.get('run_status')}  {stages}",
          flush=True)


def summarize(results: list[dict]) -> dict:
    """Speed-up ratios (sync / local) of the run per size, and the projections."""
    by = {(r["size"], r["scheduler"]): r for r in results}
    out: dict = {"runs": [{k: r.get(k) for k in ("size", "scheduler", "run_s", "wall_s", "peak_rss_mb",
                                                 "peak_worker_rss_mb", "peak_task_rss_mb", "returncode",
                                                 "run_status", "loadavg_start")} | {"stages": r.get("stages", {})}
                          for r in results]}
    for size in sorted({r["size"] for r in results}):
        s, l = by.get((size, "sync")), by.get((size, "local"))
        if l and l.get("tasks", {}).get("district"):
            out[f"projection_{size}"] = project(l)
        if s and l and s.get("run_s") and l.get("run_s") and s.get("run_status") == l.get("run_status") == "ok":
            out[f"speedup_{size}"] = {"run (every stage per district)": round(s["run_s"] / l["run_s"], 2)}
    return out


if __name__ == "__main__":
    raise SystemExit(main())
