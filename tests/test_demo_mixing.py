"""Issue 12, part 1: demo data never mixes into a user's plan.

The demo fills the layers only when no ledger is given at all or the user asks for it (``demo=True``,
``--demo``). With the user's orgs and buildings only, the parks and service centers are empty everywhere
(assessment, coverage, joint units, routes, maps, every export) and the notes name the missing layers.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from lianxin_geo.cli import main
from lianxin_geo.core.model import DEMO_NOTE
from lianxin_geo.ingest.demo import write_demo
from lianxin_geo.pipeline import run_all, run_plans
from lianxin_geo.workspace import MISSING_NOTES, load_workspace

PARK_NOTE = MISSING_NOTES["parks"]
CENTER_NOTE = MISSING_NOTES["centers"]


def _as_user_csv(xlsx: Path, out: Path) -> Path:
    """A demo ledger rewritten as a user's CSV (the 数据来源 flag that marks demo rows is dropped)."""
    frame = pd.read_excel(xlsx, dtype=str, header=1, engine="openpyxl")  # row 1 is the sheet's title
    frame = frame.drop(columns=[c for c in frame.columns if c == "数据来源"])
    frame.to_csv(out, index=False, encoding="utf-8-sig")
    return out


@pytest.fixture(scope="module")
def user_files(tmp_path_factory) -> dict[str, Path]:
    """User-looking orgs + buildings ledgers, and the names of the demo parks and centers they must never show."""
    root = tmp_path_factory.mktemp("mixing")
    files = write_demo(root / "demo", n_orgs=300, seed=3)
    out = {k: _as_user_csv(files[k], root / f"user_{k}.csv") for k in ("orgs", "buildings")}
    return out


@pytest.fixture(scope="module")
def synthetic_names(user_files) -> set[str]:
    """Names of the synthetic parks and service centers of the built-in demo that the user's files never mention
    (an org's own 所在园区 or address is the user's data, not a leak)."""
    ws = load_workspace(demo_orgs=200, demo=True)
    names = set(ws.parks["name"].astype(str)) | set(ws.centers["name"].astype(str))
    assert "临空物流产业园" in names
    given = "".join(p.read_text(encoding="utf-8-sig") for p in user_files.values())
    names = {n for n in names if n not in given}
    assert len(names) >= 5
    return names


@pytest.fixture(scope="module")
def user_ws(user_files):
    return load_workspace(orgs=user_files["orgs"], buildings=user_files["buildings"])


def test_user_ledgers_leave_missing_layers_empty_and_named(user_ws):
    ws = user_ws
    assert ws.demo_kinds == () and not ws.is_demo
    assert ws.missing_kinds == ("parks", "centers")
    assert len(ws.orgs) > 0 and len(ws.buildings) > 0
    assert len(ws.parks) == 0 and len(ws.centers) == 0
    notes = ws.data_notes
    assert PARK_NOTE in notes and CENTER_NOTE in notes
    assert not any(DEMO_NOTE in n for n in notes)
    assert not any(n.startswith("注意：") for n in notes)  # the front ends add it once
    assert "园区阵地未评估" in PARK_NOTE


def test_no_synthetic_parks_or_centers_anywhere(user_ws, synthetic_names, tmp_path):
    ws = user_ws
    a, plans = run_plans(ws, k=2, time_limit_s=6, seed=0)
    assert not a.synthetic
    text = json.dumps([a.to_json(), plans.joint.to_json(), plans.routes.to_json(), plans.coverage.to_json()],
                      ensure_ascii=False, default=str)
    leaked = sorted(n for n in synthetic_names if n in text)
    assert not leaked, leaked
    venues = a.to_json().get("venues", [])
    assert not any(str(v.get("kind", "")) == "园区" or "park" in str(v.get("level", "")) for v in venues)
    files = run_all(ws, tmp_path / "out", formats=("html", "png", "xlsx", "pptx", "gpkg"), time_limit_s=6,
                    new_sites=2, assessment=a, plans=plans)
    seen = {}
    for key, path in files.items():
        path = Path(path)
        if path.suffix == ".html":
            seen[key] = path.read_text(encoding="utf-8")
        elif path.suffix in (".xlsx", ".pptx"):
            with zipfile.ZipFile(path) as z:
                seen[key] = html.unescape("".join(z.read(n).decode("utf-8") for n in z.namelist()
                                                  if n.endswith(".xml")))  # openpyxl writes &#NNNN;
        elif path.suffix == ".gpkg":
            with sqlite3.connect(path) as db:
                tables = [r[0] for r in db.execute("select table_name from gpkg_contents")]
                rows = []
                for t in tables:
                    rows += [str(r) for r in db.execute(f'select * from "{t}"')]
                    if t in ("parks", "centers", "园区", "阵地"):
                        assert not db.execute(f'select count(*) from "{t}"').fetchone()[0], t
                seen[key] = "\n".join(rows)
    assert any(p.suffix == ".png" for p in map(Path, files.values()))
    for key, body in seen.items():
        leaked = sorted(n for n in synthetic_names if n in body)
        assert not leaked, (key, leaked)
        assert "注意：注意：" not in body, key
    for key in [k for k, p in files.items() if Path(p).suffix in (".html", ".xlsx", ".pptx")]:
        assert "未提供园区台账" in seen[key], key  # every page says which layers are missing


def test_demo_only_when_no_ledger_or_asked(user_files):
    ws = load_workspace(demo_orgs=200)
    assert ws.demo_kinds == ("orgs", "buildings", "parks", "centers") and ws.missing_kinds == ()
    assert len(ws.parks) > 0 and len(ws.centers) > 0
    asked = load_workspace(orgs=user_files["orgs"], demo_orgs=200, demo=True)
    assert asked.demo_kinds == ("buildings", "parks", "centers") and asked.missing_kinds == ()
    note = next(n for n in asked.data_notes if DEMO_NOTE in n)
    assert note.endswith("（楼宇、园区、阵地）")  # names exactly the demo layers
    assert len(asked.parks) > 0
    none = load_workspace(demo_orgs=200, use_demo=False)
    assert none.demo_kinds == () and len(none.orgs) == 0 and set(none.missing_kinds) == set(MISSING_NOTES)


def _cli_json(args: list[str]) -> dict:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(args) == 0
    return json.loads(buf.getvalue())


def test_cli_notes_and_demo_flag(user_files):
    base = ["locate", "--orgs", str(user_files["orgs"]), "--buildings", str(user_files["buildings"]), "--json"]
    doc = _cli_json(base)
    assert PARK_NOTE in doc["notes"] and not any(DEMO_NOTE in n for n in doc["notes"])
    assert doc["by_precision"].get("park", 0) == 0
    demo = _cli_json([*base, "--demo"])
    assert f"{DEMO_NOTE}（园区、阵地）" in demo["notes"]  # only the layers not given
    assert PARK_NOTE not in demo["notes"]
