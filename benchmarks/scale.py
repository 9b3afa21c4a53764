"""Scale benchmark (issue 16): the synthetic city end to end with ``sync`` and ``local`` (2 workers).

For every size (5,000 / 50,000 / 1,000,000 orgs by default) the city demo is written once (``demo --city``,
:func:`lianxin_geo.ingest.demo.city.write_city_demo`), then each scheduler runs in its own child process so
peak memory is that run's alone (psutil, the whole process tree: the child and its Dask workers, sampled
every 0.2 s). Stages, each timed: ``load`` (per-district read + locate, engine tasks), ``assessment``,
``joint``, ``routes``, ``coverage``, ``exports``. A stage that fails is recorded with its reason and the
next stages still run where they can; a child killed by a memory cap leaves what it reached in its JSON.

With ``local`` the run is wrapped in ``distributed.performance_report`` (HTML next to the JSON) and the
task stream is kept: per-task compute times by stage feed the projection to 16 and 64 workers (LPT
schedule of the measured tasks plus each stage's serial remainder), printed and written for
``docs/scale.md``.

Usage::

    .venv/bin/python benchmarks/scale.py --sizes 5000 50000
    .venv/bin/python benchmarks/scale.py --sizes 1000000 --mem-cap-gb 8 --stages load assessment
"""

from __future__ import annotations

import argparse
import heapq
import inspect
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
PER_TOWN = ("load", "joint", "routes")  # the stages split into engine tasks (per district / per town)
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
def _call(fn, *args, engine=None, **kwargs):
    """Call a planner, passing ``engine`` only where its signature takes it (else $LIANXIN_SCHEDULER rules)."""
    if engine is not None and "engine" in inspect.signature(fn).parameters:
        kwargs["engine"] = engine
    return fn(*args, **kwargs)


def _task_durations(ts) -> list[float]:
    out = []
    for t in ts.data if ts is not None else []:
        for ss in t.get("startstops", ()):
            if ss.get("action") == "compute":
                out.append(float(ss["stop"]) - float(ss["start"]))
    return out


def run_child(size: int, scheduler: str, folder: Path, out_json: Path, stages: list[str], run_dir: Path, *,
              tree_cap_gb: float | None = None, timeout_s: float | None = None) -> None:
    """Run the stages once, writing ``out_json`` after every stage (so a killed run leaves what it reached)."""
    import contextlib

    os.environ["LIANXIN_SCHEDULER"] = scheduler
    from lianxin_geo import pipeline
    from lianxin_geo.cli.city import load_city_workspace
    from lianxin_geo.core.engine import get_engine
    from lianxin_geo.present.export import write_all

    doc: dict = {"size": size, "scheduler": scheduler, "stages": {}, "tasks": {}, "status": "running"}

    def save() -> None:
        out_json.write_text(json.dumps(doc, ensure_ascii=False, indent=1))

    engine = get_engine(scheduler)
    doc["loadavg_start"] = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews the ratios
    doc["workers"] = 1 if scheduler == "sync" else engine.workers
    t_all = time.perf_counter()
    current = {"stage": None, "t0": 0.0}

    def stop(why: str) -> None:  # over the memory cap or the time limit: record what was reached, then end
        doc["status"] = f"{why} during {current['stage']}"
        if current["stage"] is not None:
            doc["stages"][current["stage"]] = {"seconds": round(time.perf_counter() - current["t0"], 3),
                                               "status": why, "peak_rss_mb": round(mem.peak_total / 2**20)}
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
        stream = None
        if scheduler != "sync":
            import distributed

            t0 = time.perf_counter()
            client = engine.client()
            doc["cluster_start_s"] = round(time.perf_counter() - t0, 3)
            stack = contextlib.ExitStack()
            stack.enter_context(client.as_current())
            t0 = time.perf_counter()  # workers import the package once; a warm cluster is what a planner reuses
            client.run(lambda: __import__("lianxin_geo.cli.city") and None)
            doc["worker_warmup_s"] = round(time.perf_counter() - t0, 3)
            try:
                import bokeh  # noqa: F401 - the HTML report draws with bokeh

                report = distributed.performance_report(filename=str(out_json.with_suffix(".html")))
                doc["performance_report"] = str(out_json.with_suffix(".html"))
            except ImportError:
                doc["performance_report"] = "未写出：需要 bokeh（pip install bokeh）；任务时间取自 get_task_stream"
            stream = distributed.get_task_stream
        with report:
            ws = a = joint = None
            for stage in stages:
                ctx = stream(client=client) if stream is not None else contextlib.nullcontext()
                t0 = time.perf_counter()
                current.update(stage=stage, t0=t0)
                try:
                    with ctx as ts:
                        if stage == "load":
                            ws = load_city_workspace(folder, engine=engine)
                            doc["orgs_loaded"] = int(len(ws.orgs))
                        elif stage == "assessment":
                            a = pipeline.run_assessment(ws)
                        elif stage == "joint":
                            joint = _call(pipeline.run_joint, ws, assessment=a, seed=0, engine=engine)
                        elif stage == "routes":
                            _call(pipeline.run_routes, ws, assessment=a, joint=joint, seed=0, engine=engine)
                        elif stage == "coverage":
                            _call(pipeline.run_coverage, ws, k=5, seed=0, engine=engine)
                        elif stage == "exports":
                            write_all(ws, run_dir, assessment=a, formats=("xlsx", "geojson"))
                    status = "ok"
                except Exception as exc:  # noqa: BLE001 - a benchmark records the failure and goes on
                    status = f"{type(exc).__name__}: {str(exc)[:300]}"
                doc["stages"][stage] = {"seconds": round(time.perf_counter() - t0, 3), "status": status,
                                        "peak_rss_mb": round(mem.peak_total / 2**20)}
                if stream is not None:
                    doc["tasks"][stage] = _task_durations(ts)
                save()
                if stage == "load" and ws is None:
                    break
        if client is not None:
            stack.close()
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
    """Each stage on W workers: serial remainder (measured wall − makespan on the measured workers) + LPT(W)."""
    out: dict = {}
    w0 = int(local.get("workers", 2))
    for stage, st in local["stages"].items():
        tasks = local["tasks"].get(stage, [])
        serial = max(0.0, st["seconds"] - lpt_makespan(tasks, w0)) if tasks else st["seconds"]
        out[stage] = {"tasks": len(tasks), "task_s_total": round(sum(tasks), 2),
                      "task_s_max": round(max(tasks), 2) if tasks else 0.0, "serial_s": round(serial, 2),
                      **{f"w{w}_s": round(serial + lpt_makespan(tasks, w), 2) for w in workers}}
    return out


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
    ap.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
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
        run_child(args.size, args.scheduler, Path(args.folder), Path(args.out), args.stages,
                  Path(args.out).with_suffix(".run"), tree_cap_gb=args.mem_cap_gb, timeout_s=args.timeout)
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
                   "--stages", *args.stages]
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
    """The tables of ``docs/scale.md``: runs with per-stage times, speed-ups, projections."""
    lines = ["| orgs | scheduler | wall s | peak MB (tree) | peak MB (one worker) | load avg | "
             + " | ".join(STAGES) + " |", "|" + "---|" * (6 + len(STAGES))]
    for r in results:
        cells = []
        for st in STAGES:
            v = r["stages"].get(st)
            cells.append("–" if v is None else (f"{v['seconds']:.1f}" + ("" if v["status"] == "ok" else " ✗")))
        la = r.get("loadavg_start", ["?"])[0]
        lines.append(f"| {r['size']:,} | {r['scheduler']} | {r.get('wall_s') or '–'} | {r.get('peak_rss_mb') or '–'} | "
                     f"{r.get('peak_worker_rss_mb') or '–'} | {la} | " + " | ".join(cells) + " |")
    for key, val in summary.items():
        if key.startswith("speedup_"):
            lines += ["", f"Speed-up sync/local, {int(key[8:]):,} orgs: "
                      + ", ".join(f"{k} {v}×" for k, v in val.items())]
        if key.startswith("projection_"):
            lines += ["", f"Projection, {int(key[11:]):,} orgs (seconds):", "",
                      "| stage | tasks | task s total | longest task s | serial s | 16 workers | 64 workers |",
                      "|---|---|---|---|---|---|---|"]
            for st, p in val.items():
                lines.append(f"| {st} | {p['tasks']} | {p['task_s_total']} | {p['task_s_max']} | {p['serial_s']} | "
                             f"{p['w16_s']} | {p['w64_s']} |")
    return "\n".join(lines) + "\n"


def print_row(doc: dict) -> None:
    stages = " ".join(f"{k}={v['seconds']:.1f}s{'' if v['status'] == 'ok' else '!'}" for k, v in doc["stages"].items())
    print(f"{doc['size']:>9,} {doc['scheduler']:>6}  wall {doc.get('wall_s', float('nan')):8.1f} s  "
          f"peak {doc.get('peak_rss_mb', 0):6,} MB  rc={doc['returncode']}  {stages}", flush=True)


def summarize(results: list[dict]) -> dict:
    """Speed-up ratios (sync / local) per size for the per-town stages, and the projections."""
    by = {(r["size"], r["scheduler"]): r for r in results}
    out: dict = {"runs": [{k: r.get(k) for k in ("size", "scheduler", "wall_s", "peak_rss_mb", "peak_worker_rss_mb",
                                                 "returncode")} | {"stages": r["stages"]} for r in results]}
    for size in sorted({r["size"] for r in results}):
        s, l = by.get((size, "sync")), by.get((size, "local"))
        if l:
            out[f"projection_{size}"] = project(l)
        if not (s and l):
            continue
        ratios = {}
        for st in PER_TOWN:
            a, b = s["stages"].get(st), l["stages"].get(st)
            if a and b and a["status"] == b["status"] == "ok" and b["seconds"] > 0:
                ratios[st] = round(a["seconds"] / b["seconds"], 2)
        both = [st for st in PER_TOWN if st in ratios]
        if both:
            ratios["per_town_total"] = round(sum(s["stages"][x]["seconds"] for x in both)
                                             / sum(l["stages"][x]["seconds"] for x in both), 2)
        out[f"speedup_{size}"] = ratios
    return out


if __name__ == "__main__":
    raise SystemExit(main())
