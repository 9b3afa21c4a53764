"""Benchmark: the system of record (issue 13) — import, diff and size of two demo rounds per backend.

Run ``.venv/bin/python benchmarks/store.py [--orgs 5000] [--backend sqlite|postgresql|both] [--pg URL]``.
Two seeded demo rounds (``2026-06`` and its evolution ``2026-11``, see ``docs/demo.md``) are written as
ledger files, read and located once (not timed), then imported into a new, empty database: the figures are
the wall and CPU seconds of each ``import_round`` (assessment + one transaction), of ``diff`` and of
``measures(round=…)``, and the database size after each round (SQLite: the file after a WAL checkpoint;
PostgreSQL: ``pg_database_size``). PostgreSQL needs ``--pg`` or ``$LIANXIN_TEST_PG`` (a URL to a maintenance
database of a cluster where the user may create databases; ``scripts/_env.sh::ensure_postgres`` starts one).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from lianxin_geo.ingest.demo import write_demo
from lianxin_geo.store import open_store
from lianxin_geo.workspace import load_workspace

ROUNDS = ("2026-06", "2026-11")


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _size(store) -> int:
    if store.backend == "sqlite":
        con = sqlite3.connect(store.path)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        return store.path.stat().st_size
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar())


def _pg_database(base: str):
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"lx_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(base).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def bench(backend: str, workspaces: dict, folder: Path, pg: str | None) -> None:
    drop = None
    if backend == "sqlite":
        url = str(folder / "bench.db")
    else:
        if not pg:
            print("postgresql: skipped (give --pg URL or set LIANXIN_TEST_PG)")
            return
        url, drop = _pg_database(pg)
    try:
        with open_store(url) as store:
            for name, ws in workspaces.items():
                info, w, c = _timed(lambda: store.import_round(name, ws))
                print(f"{backend:10s} import {name}: {len(ws.orgs):7d} orgs  wall {w:7.2f} s  cpu {c:7.2f} s  "
                      f"measures {info.measures}  db size {_size(store) / 1e6:7.1f} MB")
            doc, w, c = _timed(lambda: store.diff(*ROUNDS))
            print(f"{backend:10s} diff {ROUNDS[0]} → {ROUNDS[1]}: wall {w:6.2f} s  cpu {c:6.2f} s  new "
                  f"{len(doc['orgs_new'])}  closed {len(doc['orgs_closed'])}  changed {len(doc['orgs_changed'])}  "
                  f"status changes {len(doc['status_changes'])}")
            rows, w, c = _timed(lambda: store.measures(round=ROUNDS[1]))
            print(f"{backend:10s} measures list {ROUNDS[1]}: {len(rows)} rows  wall {w:6.2f} s")
            _, w, c = _timed(lambda: store.load_round(ROUNDS[1]))
            print(f"{backend:10s} load_round {ROUNDS[1]}: wall {w:6.2f} s  cpu {c:6.2f} s")
    finally:
        if drop is not None:
            drop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orgs", type=int, default=5000)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--pg", default=os.environ.get("LIANXIN_TEST_PG"))
    ap.add_argument("--seed", type=int, default=20170602)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        workspaces = {}
        for name in ROUNDS:
            files = write_demo(folder / name, n_orgs=args.orgs, seed=args.seed,
                               round=None if name == ROUNDS[0] else name)
            workspaces[name] = load_workspace(**{k: files[k] for k in ("orgs", "buildings", "parks", "centers")},
                                              use_demo=False)
        for backend in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
            bench(backend, workspaces, folder, args.pg)


if __name__ == "__main__":
    main()
