"""``lianxin-geo round import`` killed (SIGKILL) at random moments: the database holds the whole round or none of it.

Each trial imports a 5,000-row ledger into one SQLite database under a new round name and kills the process at a
seeded random moment between 0.3 s and the measured duration of an import. After every kill:

* ``PRAGMA integrity_check`` answers ``ok`` and ``PRAGMA foreign_key_check`` finds nothing;
* ``round list --json`` opens the database cleanly and shows the round either complete (the same counts as an
  uninterrupted import) or not at all;
* the same round is imported again (with ``--replace`` when the killed import had already committed) and succeeds.

The kills are spread over two lanes (two databases) so that a parallel test run spreads them over its workers.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")]

KILLS = 20  # in all, over LANES lanes
LANES = 2
SEED = 29
N_ORGS = 5000


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kill_store_demo")
    out = root / "demo"
    subprocess.run([sys.executable, "-m", "lianxin_geo", "demo", "--out", str(out), "--orgs", str(N_ORGS),
                    "--seed", "3"], check=True, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=300)
    return out


def _cli(args: list[str], env: dict[str, str], cwd: Path, *, kill_after: float | None = None
         ) -> tuple[int | None, str, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "lianxin_geo", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=kill_after if kill_after is not None else 600)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return None, "", time.perf_counter() - t0
    if kill_after is None:
        assert proc.returncode == 0, err.decode("utf-8", "replace")[-3000:]
    return proc.returncode, out.decode("utf-8"), time.perf_counter() - t0


def _import_args(demo: Path, db: Path, name: str, *, replace: bool = False) -> list[str]:
    args = ["round", "import", "--round", name, "--db", str(db), "--json"]
    for kind in ("orgs", "buildings", "parks", "centers"):
        args += [f"--{kind}", str(demo / f"{kind}.xlsx")]
    return args + (["--replace"] if replace else [])


def _rounds(db: Path, env: dict[str, str], cwd: Path) -> dict[str, dict]:
    """The live (not replaced) rounds of the database, by name, as ``round list --json`` gives them."""
    _, out, _ = _cli(["round", "list", "--db", str(db), "--json"], env, cwd)
    rows = json.loads(out)
    rows = rows["rounds"] if isinstance(rows, dict) else rows
    return {r["round"]: r for r in rows if not r.get("replaced")}


def _integrity(db: Path) -> None:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()


COUNTS = ("rows_in", "accepted", "rejected", "orgs")


@pytest.mark.parametrize("lane", range(LANES))
def test_killed_imports_leave_the_whole_round_or_none(ledger, tmp_path, lane):
    env = dict(os.environ)
    env.pop("LIANXIN_DEBUG", None)
    env.pop("LIANXIN_DB", None)
    db = tmp_path / "lianxin.db"
    _, out, duration = _cli(_import_args(ledger, db, "base"), env, tmp_path)
    full = json.loads(out)
    assert full["orgs"] > 0 and full["rows_in"] == full["accepted"] + full["rejected"]
    rng = random.Random(SEED + lane)
    moments = sorted(rng.uniform(0.3, duration) for _ in range(KILLS // LANES))
    seen = {"none": 0, "whole": 0, "finished": 0}
    for k, at in enumerate(moments):
        name = f"k{lane}-{k}"
        code, _, _ = _cli(_import_args(ledger, db, name), env, tmp_path, kill_after=at)
        _integrity(db)
        rounds = _rounds(db, env, tmp_path)
        if name in rounds:
            got = {c: rounds[name].get(c) for c in COUNTS if c in rounds[name]}
            assert got == {c: full[c] for c in got}, f"round {name} is torn: {got} vs {full}"
            seen["finished" if code == 0 else "whole"] += 1
        else:
            seen["none"] += 1
        # the same round imports again, whole
        _, again, _ = _cli(_import_args(ledger, db, name, replace=name in rounds), env, tmp_path)
        assert {c: json.loads(again)[c] for c in COUNTS} == {c: full[c] for c in COUNTS}
        _integrity(db)
    assert seen["none"] > 0, f"no kill landed inside an import (an import takes {duration:.1f} s): {seen}"
    assert set(_rounds(db, env, tmp_path)) == {"base"} | {f"k{lane}-{k}" for k in range(len(moments))}
    print(f"lane {lane}: import {duration:.1f} s; after {len(moments)} kills: {seen}")
