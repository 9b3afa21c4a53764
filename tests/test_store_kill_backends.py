"""Never lose data on PostgreSQL: an import killed (SIGKILL) at random moments leaves the whole round or none of it.

The SQLite case (20 kills through the CLI) is ``tests/test_store_kill.py``; this module does the same on PostgreSQL
through the API. Each trial starts ``round import`` of a 5,000-org ledger in a child process, waits until the child has read
the ledger and opened the database, kills it after a random delay spread over the writing of the round, then
checks the database (``PRAGMA integrity_check`` on SQLite), that every stored round is complete, and that a new
import succeeds. ``LIANXIN_KILL_TRIALS`` changes the number of trials (default 20 on SQLite, 5 on PostgreSQL).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from lianxin_geo.ingest.demo import write_demo
from lianxin_geo.store import open_store
from lianxin_geo.workspace import load_workspace

pytestmark = pytest.mark.slow

CHILD = """
import sys
from lianxin_geo.store import open_store
from lianxin_geo.workspace import load_workspace
url, name, orgs, buildings, parks, centers = sys.argv[1:7]
ws = load_workspace(orgs=orgs, buildings=buildings, parks=parks, centers=centers, use_demo=False)
store = open_store(url)
print("ready", flush=True)
store.import_round(name, ws, replace=True)
print("done", flush=True)
"""


@pytest.fixture(scope="module")
def ledger_5000(tmp_path_factory) -> dict[str, str]:
    files = write_demo(tmp_path_factory.mktemp("kill"), n_orgs=5000, seed=11)
    return {k: str(files[k]) for k in ("orgs", "buildings", "parks", "centers")}


def _complete(store) -> list[str]:
    """Every stored round is whole: its rows, assessment, towns and audit entry are all there."""
    problems = []
    with store.engine.connect() as conn:
        for r in store.rounds(history=True):
            n_rows = conn.execute(sa.text("SELECT COUNT(*) FROM round_rows WHERE round_id = :i"), {"i": r.id}).scalar()
            n_ass = conn.execute(sa.text("SELECT COUNT(*) FROM assessments WHERE round_id = :i"), {"i": r.id}).scalar()
            n_towns = conn.execute(sa.text("SELECT COUNT(*) FROM towns WHERE round_id = :i"), {"i": r.id}).scalar()
            n_audit = conn.execute(sa.text("SELECT COUNT(*) FROM audit WHERE target = :t"),
                                   {"t": f"round:{r.id}"}).scalar()
            if (n_rows, n_ass, n_audit) != (r.accepted + r.rejected, r.orgs, 1) or n_towns == 0:
                problems.append(f"round {r.id}: rows {n_rows}, assessments {n_ass}, towns {n_towns}, audit {n_audit}")
    return problems


def test_killed_imports_leave_the_whole_round_or_none_on_postgresql(pg_url, ledger_5000):
    db_url = pg_url
    backend = sa.make_url(db_url).get_backend_name()
    trials = int(os.environ.get("LIANXIN_KILL_TRIALS", "20" if backend == "sqlite" else "5"))
    ws = load_workspace(**ledger_5000, use_demo=False)
    with open_store(db_url) as store:
        t0 = time.perf_counter()
        store.import_round("K", ws, replace=True)
        span = time.perf_counter() - t0  # how long the writing takes here
    rng = random.Random(20261130)
    outcomes = []
    for trial in range(trials):
        with open_store(db_url) as store:
            before = len(store.rounds(history=True))
        child = subprocess.Popen([sys.executable, "-c", CHILD, db_url, "K", *(ledger_5000[k] for k in (
            "orgs", "buildings", "parks", "centers"))], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, span * 1.5))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        child.stdout.close()
        if backend == "sqlite":
            con = sqlite3.connect(sa.make_url(db_url).database)
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"trial {trial}"
            con.close()
        with open_store(db_url) as store:
            after = len(store.rounds(history=True))
            assert after in (before, before + 1), f"trial {trial}"
            assert _complete(store) == [], f"trial {trial}"
            assert [r.name for r in store.rounds()] == ["K"]
            outcomes.append("committed" if after == before + 1 else "none")
            info = store.import_round("K", ws, replace=True)  # and a re-import succeeds
            assert info.orgs == len(ws.orgs)
    print(f"\nkill trials on {backend}: {len(outcomes)}; committed before the kill {outcomes.count('committed')},"
          f" rolled back {outcomes.count('none')}")
    assert len(outcomes) == trials
    if trials >= 10:  # with 20 trials (14 of 20 on SQLite here) kills certainly land inside the transaction
        assert outcomes.count("none") > 0
