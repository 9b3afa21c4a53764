"""Database fixtures for the storage tests (issue 13): every storage test runs on SQLite and on PostgreSQL + PostGIS.

How to use
----------
Ask for ``db_url`` in a test; the test then runs twice, ``[sqlite]`` and ``[postgresql]``::

    def test_round_import(db_url):
        store = open_store(db_url)          # a SQLAlchemy URL string
        ...

* ``sqlite``: ``sqlite:///<tmp_path>/lianxin.db``, a new file per test.
* ``postgresql``: a new, empty database with PostGIS (``CREATE EXTENSION postgis`` done) in the cluster named by the
  ``LIANXIN_TEST_PG`` environment variable, a unique name per test (safe under pytest-xdist workers), dropped after
  the test even when the test still holds connections. The URL uses the psycopg 3 driver
  (``postgresql+psycopg://...``); ``sqlalchemy.engine.make_url(db_url).get_backend_name()`` tells the backends apart.
* ``pg_url`` is the PostgreSQL case alone, for tests that only make sense there (``pg_dump`` backups, PostGIS
  spatial indexes).

``LIANXIN_TEST_PG`` is exported by ``ensure_postgres`` in ``scripts/_env.sh``, which ``scripts/test.sh`` (the
README's test command and ``.ci/run``) calls: it installs the Debian packages when it runs as root, and starts a
project-local cluster in ``.pgdata/`` on a unix socket only. To run a few storage tests by hand::

    source scripts/_env.sh; ensure_postgres
    .venv/bin/python -m pytest -q tests/test_store.py

Without the variable the PostgreSQL cases skip, with the reason in the ``-ra`` summary. With the variable set but the
server unreachable they fail: a promised backend that does not answer is a broken set-up, not a skip.

The fixtures are registered for every test module by one import line in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest

#: Environment variable naming the test cluster (a SQLAlchemy URL to its maintenance database).
PG_ENV = "LIANXIN_TEST_PG"

#: Skip reason when no PostgreSQL cluster was started.
PG_SKIP_REASON = (f"{PG_ENV} 未设置：未启动 PostgreSQL，PostgreSQL 用例跳过（bash scripts/test.sh 会自动安装并启动；"
                  "手动：source scripts/_env.sh; ensure_postgres）")


def sqlite_url(folder: Path) -> str:
    """A SQLite URL to a new database file ``lianxin.db`` in ``folder``."""
    return f"sqlite:///{Path(folder) / 'lianxin.db'}"


def _worker() -> str:
    """The pytest-xdist worker id (``gw0`` …) or ``main``."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _quote(name: str) -> str:
    """A PostgreSQL identifier in double quotes (our names are ``[a-z0-9_]`` only; quoted for safety anyway)."""
    return '"' + name.replace('"', '""') + '"'


def _admin_engine(base: str):
    """An AUTOCOMMIT engine on the cluster's maintenance database (CREATE/DROP DATABASE need no transaction)."""
    import sqlalchemy as sa

    return sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database with PostGIS, dropped after the test (skips without ``LIANXIN_TEST_PG``).

    Yields
    ------
    str
        The SQLAlchemy URL of the new database.
    """
    base = os.environ.get(PG_ENV, "").strip()
    if not base:
        pytest.skip(PG_SKIP_REASON)
    import sqlalchemy as sa

    name = f"lx_test_{_worker()}_{os.getpid()}_{uuid.uuid4().hex[:10]}".lower()
    admin = _admin_engine(base)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {_quote(name)} TEMPLATE template1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"{PG_ENV}={base} 已设置，但无法连接或建库：{exc}")
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        # template1 has PostGIS when ensure_postgres made the cluster; a cluster given from outside may not.
        ext = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with ext.connect() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        ext.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database per test, once on each backend (``[sqlite]`` and ``[postgresql]``).

    Yields
    ------
    str
        A SQLAlchemy URL: a SQLite file in ``tmp_path``, or a new PostGIS database (see :func:`pg_url`).
    """
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        yield request.getfixturevalue("pg_url")
