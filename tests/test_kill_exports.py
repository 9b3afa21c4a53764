"""``lianxin-geo run --out DIR`` killed (SIGKILL) at random moments never leaves a torn or mixed run folder.

After every kill, DIR holds either nothing or a complete run (the previous one or the new one): its
``manifest.json`` is there and every file matches its size and SHA-256, with no other file. Besides DIR only
``DIR.lianxin-tmp-*`` folders may remain (the next run deletes them), and no temporary folder is left in the
system's temporary directory. The kill moments are seeded, between 0.5 s and the measured duration of a run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lianxin_geo.core.files import TEMP_PREFIX
from lianxin_geo.present.outdir import MANIFEST_NAME, verify_manifest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")]

KILLS = 20  # in all, over LANES independent lanes (so a parallel test run can spread them over its workers)
LANES = 2
SEED = 17
FORMATS = "html,png,xlsx,pptx,gpkg,geojson"


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TMPDIR"] = str(tmp)  # every temporary file of the run lands here: it must stay empty
    env.pop("LIANXIN_DEBUG", None)
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kill_demo")
    out = root / "demo"
    subprocess.run([sys.executable, "-m", "lianxin_geo", "demo", "--out", str(out), "--orgs", "300", "--seed", "1"],
                   check=True, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return out


def _lane(root: Path, demo: Path) -> dict:
    """One lane of kills: its own run folder and its own TMPDIR (which must stay empty)."""
    tmp = root / "tmp"
    tmp.mkdir()
    env = _env(tmp)
    parent = root / "runs"
    parent.mkdir()
    out = parent / "out"
    args = [sys.executable, "-m", "lianxin_geo", "run", "--out", str(out), "--time-limit", "1", "--formats", FORMATS]
    for kind in ("orgs", "buildings", "parks", "centers"):
        args += [f"--{kind}", str(demo / f"{kind}.xlsx")]
    return {"root": root, "tmp": tmp, "env": env, "parent": parent, "out": out, "args": args}


def _run(s: dict, *, kill_after: float | None = None) -> tuple[int | None, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(s["args"], env=s["env"], cwd=s["root"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        _, err = proc.communicate(timeout=kill_after if kill_after is not None else 300)
        if kill_after is None:
            assert proc.returncode == 0, err.decode("utf-8", "replace")[-2000:]
        return proc.returncode, time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return None, time.perf_counter() - t0


def _state(s: dict) -> str:
    """Check the invariants; return ``absent`` (nothing under DIR) or the finish time of the complete run there."""
    parent, out = s["parent"], s["out"]
    strays = [p.name for p in parent.iterdir() if p != out and not p.name.startswith(out.name + TEMP_PREFIX)]
    assert strays == [], f"unexpected entries beside the run folder: {strays}"
    assert list(s["tmp"].iterdir()) == [], "a temporary file or folder stayed in TMPDIR"
    if not out.exists() or not any(p.is_file() for p in out.rglob("*")):
        return "absent"
    problems = verify_manifest(out)
    assert problems == [], problems
    return (out / MANIFEST_NAME).read_text(encoding="utf-8")


@pytest.mark.parametrize("lane", range(LANES))
def test_killed_runs_leave_nothing_or_a_complete_run(demo, tmp_path, lane):
    s = _lane(tmp_path, demo)
    code, duration = _run(s)
    first = _state(s)
    assert first != "absent"
    rng = random.Random(SEED + lane)
    moments = sorted(rng.uniform(0.5, duration) for _ in range(KILLS // LANES))
    seen = {"absent": 0, "previous": 0, "new": 0}
    staged = 0
    previous = first
    for at in moments:
        code, _ = _run(s, kill_after=at)
        staged += any(p.name.startswith(s["out"].name + TEMP_PREFIX) for p in s["parent"].iterdir())
        state = _state(s)
        if state == "absent":
            seen["absent"] += 1
        elif state == previous:
            seen["previous"] += 1
        else:
            seen["new"] += 1
            previous = state
    assert staged > 0 or seen["new"] > 0, f"no kill landed while files were written (run takes {duration:.1f} s): {seen}"
    # a run to the end removes what the killed runs left beside the folder
    _run(s)
    assert [p.name for p in s["parent"].iterdir()] == [s["out"].name]
    assert _state(s) != "absent"
    print(f"lane {lane}: run {duration:.1f} s; after {KILLS // LANES} kills: {seen}; {staged} left a staging folder")
