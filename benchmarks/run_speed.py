"""Speed of ``lianxin-geo run --out DIR`` on the 5,000-org demo, stage by stage and lever by lever (issue 16).

Usage::

    .venv/bin/python benchmarks/run_speed.py                        # this checkout: stages and the whole run
    .venv/bin/python benchmarks/run_speed.py --repo /tmp/before     # and another checkout: before → after, ratio
    .venv/bin/python benchmarks/run_speed.py --levers               # each speed lever of this checkout, off → on
    options: --orgs 5000  --repeat 1 (the best of N)  --schedulers sync,local  --skip-run  --skip-stages
             --only calamine,xlsx_cells (these levers only)

What is measured, each checkout in its own Python process (``PYTHONPATH=<checkout>``), on the same ledger files
(``lianxin-geo demo --out DIR --orgs N`` written once by this checkout):

* stages, as ``run`` chains them: ``load`` (read, validate, locate the four ledgers), ``assess``, ``joint``
  (40 % of ``run``'s 120 s budget as its cap), ``routes`` (the same, with the joint units), ``coverage``
  (5 new sites), then every export format on its own (``html``, ``png``, ``xlsx``, ``pptx``, ``gpkg``, ``pdf``:
  :func:`~lianxin_geo.present.export.write_all` with that one format) and ``exports`` (the default formats
  together, as ``run`` writes them);
* ``run``: the whole command line, wall clock from process start to exit (imports included), per scheduler
  (``LIANXIN_SCHEDULER``; a checkout without the engine ignores it);
* levers (``--levers``), one at a time in this checkout, the stage it speeds up with the lever off and on:
  ``scaled_stops`` (routes: PyVRP stopped after 2,000 idle iterations for every problem, as before, vs
  :func:`~lianxin_geo.plan.routes.search_limits` scaled to each town's size), ``town_tasks`` (routes on the
  ``sync`` engine vs a warm 2-worker LocalCluster, one task per town; the cluster's start-up is printed apart),
  ``nav_links`` (routes: navigation links converting coordinates once per route instead of once per leg),
  ``stop_numbers`` (deck: stop numbers as one glyph collection vs one text artist each), ``map_cache``
  (png + pdf + pptx: each map drawn once per run vs drawn for every format), ``calamine`` (load: the ledger
  workbooks' cells read by python-calamine vs openpyxl), ``xlsx_cells`` (xlsx: the workbook's data cells written
  through a short path for text and column widths measured up to the widest width vs every cell through ``_put``
  and measured in full; the summary sheets' narrower per-town split is not switched off),
  ``early_start`` (the whole ``run``, local scheduler: the cluster started at the start of the command when the
  orgs ledger is big vs after the workspace is loaded) and ``quick_exit`` (the whole ``run``, local: the workers'
  fork server ended at exit vs left to exit after the command, holding its output open). The last two time
  the command line as ``run`` does below (wall clock to the end of its output); their CPU seconds count only
  the processes reaped (a fork server left running is not, so ``quick_exit`` off shows less CPU than on).

Machine load changes every figure; ``uptime`` is printed with the table, and ``--repeat 3`` keeps each one's best.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PY = sys.executable
STAGES = ("load", "assess", "joint", "routes", "coverage")
FORMATS = ("html", "png", "xlsx", "pptx", "gpkg", "pdf")
DEFAULT_RUN_FORMATS = ("html", "png", "xlsx", "pptx", "gpkg")
LEVERS = ("scaled_stops", "town_tasks", "nav_links", "stop_numbers", "map_cache", "calamine", "xlsx_cells",
          "early_start", "quick_exit")
#: Levers timed on the whole command line (the others on one stage, in a child process).
RUN_LEVERS = ("early_start", "quick_exit")
#: Python run before ``run`` for a command-line lever switched off.
RUN_LEVER_OFF = {
    "early_start": "import lianxin_geo.cli.main as m; m._engine = lambda scheduler, **kw: m.get_engine(scheduler)",
    "quick_exit": "import atexit; from lianxin_geo.core import engine as e; atexit.unregister(e._close_at_exit); "
                  "atexit.register(e.close_engines)",
}
RUN_BUDGET_S = 120.0  # `run --time-limit` default: joint and routes 40 % each, coverage 20 %


# ============================================================== in the measured checkout (--measure)
def _kw(fn, **kw):
    """Keyword arguments ``fn`` accepts (an older checkout has no ``engine``)."""
    params = inspect.signature(fn).parameters
    return {k: v for k, v in kw.items() if k in params}


class _Clock:
    """Wall and CPU seconds of this process between ``start`` and ``stop`` (CPU time is what a busy shared
    machine does not inflate much; wall time is what the user waits)."""

    def __init__(self, into: dict[str, dict[str, float]], key: str) -> None:
        self.into, self.key = into, key

    def __enter__(self) -> _Clock:
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.into.setdefault("wall", {})[self.key] = time.perf_counter() - self.t0
        self.into.setdefault("cpu", {})[self.key] = time.process_time() - self.c0


def _ledgers(demo: Path) -> dict[str, Path]:
    return {k: demo / f"{k}.xlsx" for k in ("orgs", "buildings", "parks", "centers")}


def _state(demo: Path, engine, times: dict[str, dict[str, float]]):
    from lianxin_geo import load_workspace
    from lianxin_geo import pipeline as pl

    with _Clock(times, "load"):
        ws = load_workspace(**_ledgers(demo), boundaries=demo / "boundaries.geojson")
    with _Clock(times, "assess"):
        a = pl.run_assessment(ws)
    share = 0.4 * RUN_BUDGET_S
    with _Clock(times, "joint"):
        joint = pl.run_joint(ws, assessment=a, time_limit_s=share, **_kw(pl.run_joint, engine=engine))
    with _Clock(times, "routes"):
        routes = pl.run_routes(ws, assessment=a, joint=joint, time_limit_s=share,
                               **_kw(pl.run_routes, engine=engine))
    with _Clock(times, "coverage"):
        coverage = pl.run_coverage(ws, k=5, time_limit_s=0.2 * RUN_BUDGET_S,
                                   **_kw(pl.run_coverage, engine=engine))
    return ws, a, {"joint": joint, "routes": routes, "coverage": coverage}


def _write(ws, a, plans, formats, engine, times: dict | None = None, key: str = "") -> float:
    from lianxin_geo.present import export as ex

    clock = {}
    with tempfile.TemporaryDirectory(prefix="lianxin_run_speed_") as tmp:
        with _Clock(clock, "w"):
            ex.write_all(ws, Path(tmp) / "out", formats=tuple(formats), assessment=a, plans=plans,
                         **_kw(ex.write_all, engine=engine))
    if times is not None:
        for kind in ("wall", "cpu"):
            times.setdefault(kind, {})[key] = clock[kind]["w"]
    return clock["wall"]["w"]


def measure_stages(demo: Path, scheduler: str, state_out: Path | None) -> dict[str, dict[str, float]]:
    times: dict[str, dict[str, float]] = {}
    engine = scheduler
    ws, a, plans = _state(demo, engine, times)
    for fmt in FORMATS:
        _write(ws, a, plans, (fmt,), engine, times, fmt)
    _write(ws, a, plans, DEFAULT_RUN_FORMATS, engine, times, "exports")
    if state_out is not None:
        state_out.write_bytes(pickle.dumps((ws, a, plans)))
    return times


# ---------------------------------------------------------------- levers (this checkout only)
def _routes_once(ws, a, plans, engine) -> tuple[float, float]:
    from lianxin_geo import pipeline as pl

    clock: dict = {}
    with _Clock(clock, "r"):
        pl.run_routes(ws, assessment=a, joint=plans["joint"], time_limit_s=0.4 * RUN_BUDGET_S, engine=engine)
    return clock["wall"]["r"], clock["cpu"]["r"]


def _write_once(ws, a, plans, formats) -> tuple[float, float]:
    times: dict = {}
    _write(ws, a, plans, formats, "sync", times, "w")
    return times["wall"]["w"], times["cpu"]["w"]


def _lever_off(lever: str) -> contextlib.ExitStack:
    """Switch one lever off (the behaviour before it) for the duration of the stack."""
    import numpy as np

    stack = contextlib.ExitStack()
    patch = stack.enter_context(_patcher())
    if lever == "scaled_stops":
        from lianxin_geo.plan.routes import _towns
        from lianxin_geo.plan.routes.cvrp import NO_IMPROVEMENT, SearchLimits

        patch(_towns, "search_limits", lambda n: SearchLimits(NO_IMPROVEMENT, 10**9))
    elif lever == "nav_links":
        from lianxin_geo.plan.routes import _rows, navigation as nv

        def per_leg(url):
            return lambda lon, lat, names=None: [url(np.asarray(lon)[i:i + 2], np.asarray(lat)[i:i + 2],
                                                     list(names)[i:i + 2]) for i in range(len(lon) - 1)]
        patch(_rows, "amap_leg_urls", per_leg(nv.amap_route_url))
        patch(_rows, "baidu_leg_urls", per_leg(nv.baidu_route_url))
    elif lever == "stop_numbers":
        from lianxin_geo.present import staticmap as sm

        def texts(ax, x, y, labels):
            for a, b, s in zip(x, y, labels):
                ax.text(a, b, s, fontsize=6, ha="center", va="center", color="black", zorder=10, clip_on=True)
        patch(sm, "_draw_numbers", texts)
    elif lever == "calamine":
        from lianxin_geo.ingest import _xlsx

        patch(_xlsx, "_calamine", lambda: None)
    elif lever == "xlsx_cells":
        _xlsx_cells_off(patch)
    return stack


def _xlsx_cells_off(patch) -> None:
    """The workbook writer before ``xlsx_cells``: every cell through ``_put``, every width measured in full."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from lianxin_geo.present import xlsx as xl

    def width(value):
        if value is None:
            return 0
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text.split("\n", 1)[0])

    def rows(ws, fmts, r, data, formats, widths, *, measure):
        for row in data:
            for j, v in enumerate(row):
                written = xl._put(ws, fmts, r, j, v, "", formats.get(j))
                if j < len(widths):
                    widths[j] = max(widths[j], width(written))
            r += 1

    patch(xl, "_write_rows", rows)
    patch(xl, "_display_width", width)
    patch(xl, "_text", lambda v: ILLEGAL_CHARACTERS_RE.sub("", v).replace("\r\n", "\n").replace("\r", "\n"))


@contextlib.contextmanager
def _patcher():
    undo: list = []

    def patch(obj, name, value):
        undo.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)
    try:
        yield patch
    finally:
        for obj, name, old in reversed(undo):
            setattr(obj, name, old)


def _load_once(demo: Path) -> tuple[float, float]:
    from lianxin_geo import load_workspace

    clock: dict = {}
    with _Clock(clock, "l"):
        load_workspace(**_ledgers(demo), boundaries=demo / "boundaries.geojson")
    return clock["wall"]["l"], clock["cpu"]["l"]


def measure_lever(lever: str, state: Path, demo: Path | None = None) -> dict[str, float]:
    """Wall and CPU seconds (``off``, ``on``, ``off_cpu``, ``on_cpu``) of the stage the lever speeds up, plus
    ``start`` (the cluster's start-up) for ``town_tasks``."""
    from lianxin_geo.core import engine as eng
    from lianxin_geo.present import staticmap as sm

    ws, a, plans = pickle.loads(state.read_bytes()) if lever != "calamine" else (None, None, None)
    got: dict[str, tuple[float, float]] = {}
    out: dict[str, float] = {}
    if lever in ("scaled_stops", "nav_links"):
        _routes_once(ws, a, plans, "sync")  # warm imports and caches
        with _lever_off(lever):
            got["off"] = _routes_once(ws, a, plans, "sync")
        got["on"] = _routes_once(ws, a, plans, "sync")
    elif lever == "town_tasks":
        got["off"] = _routes_once(ws, a, plans, "sync")
        eng.LOCAL_MIN_COST = eng.LOCAL_MIN_COST_WARM = 0.0  # every job to the cluster
        e = eng.Engine("local", workers=2)
        t = time.perf_counter()
        e.map(abs, [1, 2], keys=["a", "b"])
        out["start"] = time.perf_counter() - t
        _routes_once(ws, a, plans, e)  # the workers import the planner on their first town
        got["on"] = _routes_once(ws, a, plans, e)
        e.close()
    elif lever == "stop_numbers":
        _write_once(ws, a, plans, ("png",))  # warm the fonts
        with _lever_off(lever):
            got["off"] = _write_once(ws, a, plans, ("pptx",))
        got["on"] = _write_once(ws, a, plans, ("pptx",))
    elif lever == "map_cache":
        _write_once(ws, a, plans, ("png",))
        with _patcher() as patch:  # a write_all that opens no cache block of its own
            patch(sm, "map_cache", _no_cache)
            got["off"] = _write_once(ws, a, plans, ("png", "pdf", "pptx"))
        with sm.map_cache():
            got["on"] = _write_once(ws, a, plans, ("png", "pdf", "pptx"))
    elif lever == "calamine":
        assert demo is not None
        _load_once(demo)  # warm imports
        with _lever_off(lever):
            got["off"] = _load_once(demo)
        got["on"] = _load_once(demo)
    elif lever == "xlsx_cells":
        _write_once(ws, a, plans, ("xlsx",))
        with _lever_off(lever):
            got["off"] = _write_once(ws, a, plans, ("xlsx",))
        got["on"] = _write_once(ws, a, plans, ("xlsx",))
    for k, (wall, cpu) in got.items():
        out[k], out[f"{k}_cpu"] = wall, cpu
    return out


@contextlib.contextmanager
def _no_cache():
    yield None


# ============================================================== the driver
def _env(repo: Path, scheduler: str | None = None) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(repo), PYTHONDONTWRITEBYTECODE="1")
    if scheduler:
        env["LIANXIN_SCHEDULER"] = scheduler
    return env


def _child(repo: Path, args: list[str], scheduler: str | None = None) -> dict:
    proc = subprocess.run([PY, str(Path(__file__).resolve()), *args], env=_env(repo, scheduler), cwd=str(repo),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{repo}: {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_run(repo: Path, demo: Path, scheduler: str, prelude: str = "") -> dict[str, float]:
    """Wall and CPU seconds of the whole ``run`` command line (a fresh process: imports included; CPU of the
    process and of the worker processes it started); ``prelude``: Python run before the command (a lever off)."""
    import resource

    ledgers = [x for k, p in _ledgers(demo).items() for x in (f"--{k}", str(p))]
    with tempfile.TemporaryDirectory(prefix="lianxin_run_speed_run_") as tmp:
        code = (prelude + "; " if prelude else "") + "from lianxin_geo.cli import run; run()"
        cmd = [PY, "-c", code, "run", "--out", str(Path(tmp) / "out"), *ledgers,
               "--boundaries", str(demo / "boundaries.geojson"), "--json"]
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(cmd, env=_env(repo, scheduler), cwd=str(repo), capture_output=True, text=True,
                              check=False)
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{repo}: run failed:\n{proc.stderr[-3000:]}")
    return {"wall": wall, "cpu": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)}


def _run_lever(lever: str, demo: Path) -> dict[str, float]:
    """A command-line lever off then on: the whole ``run`` (local scheduler) each time."""
    off = time_run(HERE, demo, "local", RUN_LEVER_OFF[lever])
    on = time_run(HERE, demo, "local")
    return {"off": off["wall"], "on": on["wall"], "off_cpu": off["cpu"], "on_cpu": on["cpu"]}


def _best(values: list[dict]) -> dict:
    """The smallest figure of each key over repeated measurements (nested ``{"wall": {...}, "cpu": {...}}`` too)."""
    first = values[0]
    if isinstance(next(iter(first.values())), dict):
        return {k: _best([v[k] for v in values]) for k in first}
    return {k: min(v[k] for v in values) for k in first}


def _table(rows: list[tuple[str, ...]], head: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) for h, w in zip(head, widths)), line]
    out += ["  ".join(str(c).rjust(w) if j else str(c).ljust(w) for j, (c, w) in enumerate(zip(r, widths)))
            for r in rows]
    return "\n".join(out)


def _ratio(before: float | None, after: float) -> str:
    return f"{before / after:.1f}×" if before else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, help="another checkout to compare with (before → after)")
    ap.add_argument("--orgs", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--schedulers", default="sync,local")
    ap.add_argument("--levers", action="store_true")
    ap.add_argument("--skip-run", action="store_true")
    ap.add_argument("--skip-stages", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated levers (default: all)")
    ap.add_argument("--measure", choices=("stages", "lever"), help=argparse.SUPPRESS)
    ap.add_argument("--demo", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--scheduler", default="sync", help=argparse.SUPPRESS)
    ap.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--lever", choices=LEVERS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure == "stages":
        print(json.dumps(measure_stages(args.demo, args.scheduler, args.state)))
        return 0
    if args.measure == "lever":
        print(json.dumps(measure_lever(args.lever, args.state, args.demo)))
        return 0

    schedulers = [s for s in args.schedulers.split(",") if s]
    repos = [("after", HERE)] + ([("before", args.repo.resolve())] if args.repo else [])
    with tempfile.TemporaryDirectory(prefix="lianxin_run_speed_demo_") as tmp:
        demo = Path(tmp) / "demo"
        subprocess.run([PY, "-c", "from lianxin_geo.cli import run; run()", "demo", "--out", str(demo), "--orgs",
                        str(args.orgs)], env=_env(HERE), check=True, capture_output=True)
        state = Path(tmp) / "state.pickle"
        print(f"{args.orgs} orgs · load: {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores", flush=True)
        stages: dict[str, dict[str, float]] = {}
        chosen = {x for x in args.only.split(",") if x}
        need_state = args.levers and not (chosen and chosen <= {*RUN_LEVERS, "calamine"})  # the others read it
        if not args.skip_stages or need_state:
            for name, repo in repos:
                runs = [_child(repo, ["--measure", "stages", "--demo", str(demo), "--scheduler", "sync",
                                      *(["--state", str(state)] if name == "after" else [])])
                        for _ in range(args.repeat)]
                stages[name] = _best(runs)
                print(f"  stages measured: {name} ({repo})", flush=True)
        if stages and not args.skip_stages:
            keys = [*STAGES, *FORMATS, "exports"]
            rows = []
            for k in keys:
                row = [k]
                for n, _ in repos:
                    row += [f"{stages[n]['wall'][k]:.2f}", f"{stages[n]['cpu'][k]:.2f}"]
                if args.repo:
                    row += [_ratio(stages["before"]["wall"][k], stages["after"]["wall"][k]),
                            _ratio(stages["before"]["cpu"][k], stages["after"]["cpu"][k])]
                rows.append(tuple(row))
            head = ("stage (sync)", *(f"{n} {c}" for n, _ in repos for c in ("wall s", "cpu s")),
                    *(["ratio wall", "ratio cpu"] if args.repo else []))
            print(_table(rows, head))
        if not args.skip_run:
            rows = []
            for sch in schedulers:
                walls = {n: _best([time_run(r, demo, sch) for _ in range(args.repeat)]) for n, r in repos}
                rows.append((f"run --out ({sch})",
                             *(x for n, _ in repos for x in (f"{walls[n]['wall']:.1f}", f"{walls[n]['cpu']:.1f}")),
                             *([_ratio(walls["before"]["wall"], walls["after"]["wall"])] if args.repo else []),
                             "yes" if walls["after"]["wall"] < 15.0 else "no"))
            head = ("whole run", *(f"{n} {c}" for n, _ in repos for c in ("wall s", "cpu s")),
                    *(["ratio wall"] if args.repo else []), "wall < 15 s")
            print(_table(rows, head))
        if args.levers:
            rows = []
            only = [x for x in args.only.split(",") if x]
            unknown = sorted(set(only) - set(LEVERS))
            if unknown:
                raise SystemExit(f"unknown levers: {', '.join(unknown)} (known: {', '.join(LEVERS)})")
            for lever in only or LEVERS:
                if lever in RUN_LEVERS:
                    got = _best([_run_lever(lever, demo) for _ in range(args.repeat)])
                else:
                    got = _best([_child(HERE, ["--measure", "lever", "--lever", lever, "--state", str(state),
                                               "--demo", str(demo)]) for _ in range(args.repeat)])
                extra = f" (cluster start {got['start']:.1f} s)" if "start" in got else ""
                rows.append((lever, f"{got['off']:.2f}", f"{got['on']:.2f}", _ratio(got["off"], got["on"]),
                             f"{got['off_cpu']:.2f}", f"{got['on_cpu']:.2f}", _ratio(got["off_cpu"], got["on_cpu"])
                             + extra))
            print(_table(rows, ("lever", "off wall s", "on wall s", "ratio", "off cpu s", "on cpu s", "ratio cpu")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
