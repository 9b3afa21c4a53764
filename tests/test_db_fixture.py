"""The ``db_url`` fixture (tests/_db.py) gives a working database on each backend, PostGIS included on PostgreSQL."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from _db import PG_ENV


def test_db_url_connects_and_round_trips(db_url, request):
    """Each backend takes a table, a row and a read-back; the URL's backend is the parametrized one."""
    backend = request.node.callspec.params["db_url"]
    url = sa.engine.make_url(db_url)
    assert url.get_backend_name() == backend
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"))
            conn.execute(sa.text("INSERT INTO probe (id, name) VALUES (1, '顺义两新')"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM probe WHERE id = 1")).scalar_one() == "顺义两新"
    finally:
        engine.dispose()


def test_db_url_is_fresh(db_url):
    """A new, empty database per test: no user tables left over from another test."""
    engine = sa.create_engine(db_url)
    try:
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "probe" not in names
    assert not names - {"spatial_ref_sys"}   # PostGIS's own table is the only one allowed


def test_postgis_answers(pg_url):
    """PostGIS is installed in the test database: version and a real geometry computation."""
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT postgis_version()")).scalar_one()
            area = conn.execute(sa.text(
                "SELECT ST_Area(ST_GeomFromText('POLYGON((0 0, 2 0, 2 3, 0 3, 0 0))', 4326))")).scalar_one()
    finally:
        engine.dispose()
    assert version.split()[0][0].isdigit()
    assert area == pytest.approx(6.0)


def test_pg_database_dropped_after_test(pg_url):
    """The database exists during the test; the fixture's name is unique (worker, pid, random part)."""
    base = os.environ[PG_ENV]
    name = sa.engine.make_url(pg_url).database
    assert name.startswith("lx_test_") and name != sa.engine.make_url(base).database
    admin = sa.create_engine(base)
    try:
        with admin.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"),
                                {"n": name}).scalar_one() == 1
    finally:
        admin.dispose()
