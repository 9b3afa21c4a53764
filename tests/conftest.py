"""Shared fixtures: a small synthetic district built from boxes, and one session-wide 600-org demo workspace.

Use ``box_district`` when a test needs towns with known edges (each town is a box; see :func:`make_box_district`),
``demo_ws`` when it needs a realistic workspace (600 synthetic orgs on the Shunyi skeleton; never modify it: copy
what you change). Tests that load the full 5,000-org demo are marked ``slow``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from lianxin_geo.core.district import District
from _db import db_url, pg_url  # noqa: F401  (storage fixtures on SQLite and PostgreSQL: see tests/_db.py)

#: One town of :func:`make_box_district`: code, name, kind and either (minx, miny, maxx, maxy) in degrees or a
#: shapely polygon.
Town = tuple[str, str, str, "tuple[float, float, float, float] | shapely.Geometry"]

#: Towns of :func:`make_box_district`: code, name, kind, (minx, miny, maxx, maxy) in degrees.
BOX_TOWNS: tuple[Town, ...] = (
    ("110113001", "甲街道", "街道", (116.59, 40.09, 116.61, 40.13)),
    ("110113101", "乙镇", "镇", (116.61, 40.09, 116.63, 40.13)),
    ("110113102", "丙镇", "镇", (116.59, 40.13, 116.63, 40.15)),
)


def make_box_district(towns: Sequence[Town] = BOX_TOWNS, *, code: str = "110113", name: str = "测试区",
                      approximate: bool = True, mca_names: Sequence[str] | None = None,
                      source: str = "") -> District:
    """A district whose towns are boxes (they share edges where the boxes touch).

    Parameters
    ----------
    towns
        ``(code, name, kind, shape)`` per town; ``shape`` is a ``(minx, miny, maxx, maxy)`` box in degrees or
        any shapely polygon.
    code, name, source
        The district's own code, name and source sentence.
    approximate
        Both the district's flag and every town's ``approximate`` column.
    mca_names
        The towns' official (民政) names when they differ from ``name`` (default: the same).
    """
    geoms = [s if isinstance(s, shapely.Geometry) else shapely.box(*s) for _, _, _, s in towns]
    names = [t[1] for t in towns]
    jur = gpd.GeoDataFrame(
        {"code": [t[0] for t in towns], "name": names,
         "mca_name": list(mca_names) if mca_names is not None else names,
         "kind": [t[2] for t in towns], "approximate": [approximate] * len(towns)},
        geometry=geoms, crs="EPSG:4326")
    return District(code=code, name=name, jurisdictions=jur, outline=shapely.union_all(geoms),
                    approximate=approximate, source=source)


@pytest.fixture(scope="session")
def box_district() -> District:
    """Three box towns: 甲街道 (west), 乙镇 (east), 丙镇 (north of both)."""
    return make_box_district()


@pytest.fixture(scope="session")
def demo_ws():
    """A 600-org synthetic workspace on the Shunyi skeleton, built once per session (do not modify)."""
    # imported here, not at the top: a broken workspace module then fails the tests that use it, not every test
    from lianxin_geo.workspace import load_workspace

    return load_workspace(demo_orgs=600)


@pytest.fixture(scope="session", autouse=True)
def _private_database(tmp_path_factory):
    """Every test process gets its own default database (``LIANXIN_DB``): the app and the CLI never create
    ``./lianxin.db`` in the checkout, and parallel workers never share a file. A test that wants its own database
    sets ``LIANXIN_DB`` or passes ``--db``."""
    if "LIANXIN_DB" not in os.environ:
        os.environ["LIANXIN_DB"] = str(tmp_path_factory.mktemp("default_db") / "lianxin.db")
    yield


def shunyi_box_district() -> District:
    """The 25 real Shunyi towns (codes, names, kinds), each a 0.02° box around its seat: towns with known edges."""
    towns = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "boundaries" / "shunyi_towns.csv",
                        dtype={"code": str})
    return make_box_district(
        [(t.code, t.name, t.kind, (t.seat_lon - 0.01, t.seat_lat - 0.01, t.seat_lon + 0.01, t.seat_lat + 0.01))
         for t in towns.itertuples(index=False)],
        name="顺义区", mca_names=towns["mca_name"].tolist())


def ledger_org(**kw) -> dict:
    """One org row of a hand-built ledger: an uncovered enterprise of 胜利街道 with 10 staff, changed by ``kw``."""
    base = dict(id="x", name="单位", kind="非公企业", employees=10, members=0, probationary=0, party_status="未建立",
                jurisdiction_code="110113001")
    base.update(kw)
    return base


def app_env(monkeypatch, db, n_orgs: int) -> None:
    """The app's environment for AppTest: database ``db``, a demo of ``n_orgs``, no ledger files from the shell."""
    monkeypatch.setenv("LIANXIN_DB", str(db))
    monkeypatch.setenv("LIANXIN_GEO_DEMO_ORGS", str(n_orgs))
    for var in ("LIANXIN_GEO_ORGS", "LIANXIN_GEO_BUILDINGS", "LIANXIN_GEO_PARKS", "LIANXIN_GEO_CENTERS",
                "LIANXIN_GEO_BOUNDARIES"):
        monkeypatch.delenv(var, raising=False)
