"""The data-layer scope of issue 14: a town user of town A receives no record of town B.

``Workspace.restricted`` and ``scope_workspace`` on a workspace; the store's measures, diff, rounds and
load_round with ``user=`` on both backends; and every export format made from a town user's round.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from lianxin_geo.store import AuthError, StaleVersionError, User, import_files, open_store, scope_workspace
from tests.test_store import _code, _ledger

A, B = "110113001", "110113002"  # 胜利街道, 光明街道
ADMIN = User("区管", "admin", ())
TOWN_A = User("胜利", "town", (A,))
VIEW_A = User("看", "viewer", (A,))
_PT = {A: (116.6558, 40.1317), B: (116.6727, 40.1301)}
_TOWN = {A: "胜利街道", B: "光明街道"}


def _org(name: str, town: str, i: int, code: str | None = None, **extra) -> dict:
    lon, lat = _PT[town]
    rec = {"单位名称": name, "统一社会信用代码": code or "", "组织类别": "非公企业",
           "行业": "I 信息传输、软件和信息技术服务业", "所属镇街": _TOWN[town], "地址": f"顺义区{_TOWN[town]}{name}路{i}号",
           "经度": lon + 0.0004 * i, "纬度": lat, "从业人员数": 20, "正式党员数": 0, "党组织状态": "未建立"}
    rec.update(extra)
    return rec


@pytest.fixture
def towns_rounds(tmp_path) -> tuple[Path, Path]:
    """Two rounds of orgs in town A and town B; in round 2 each town has one new org and one org forming a party
    organization."""
    r1 = _ledger(tmp_path / "r1.csv", [
        _org("甲一公司", A, 1, _code(3), 正式党员数=3), _org("甲二公司", A, 2),
        _org("乙一公司", B, 1, _code(4), 正式党员数=3), _org("乙二公司", B, 2)])
    r2 = _ledger(tmp_path / "r2.csv", [
        _org("甲一公司", A, 1, _code(3), 正式党员数=4, 党组织状态="单独建立", 党组织类型="党支部"),
        _org("甲二公司", A, 2), _org("甲三公司", A, 3, _code(5)),
        _org("乙一公司", B, 1, _code(4), 正式党员数=4, 党组织状态="单独建立", 党组织类型="党支部"),
        _org("乙二公司", B, 2), _org("乙三公司", B, 3, _code(6))])
    return r1, r2


# ----------------------------------------------------------------- the workspace
def test_restricted_keeps_only_the_towns_given(demo_ws):
    other = [c for c in demo_ws.orgs["jurisdiction_code"].dropna().unique() if c != A]
    ws = demo_ws.restricted([A])
    assert len(ws.orgs) == int((demo_ws.orgs["jurisdiction_code"] == A).sum()) > 0
    assert set(ws.orgs["jurisdiction_code"]) == {A}
    for kind in ("buildings", "parks", "centers"):
        layer = getattr(ws, kind)
        assert len(layer) == int((getattr(demo_ws, kind)["jurisdiction_code"] == A).sum())
        assert set(layer["jurisdiction_code"]) <= {A}
    assert list(ws.district.jurisdictions["code"]) == [A]
    assert (ws.district.code, ws.district.name) == (demo_ws.district.code, demo_ws.district.name)
    assert ws.district.outline.equals(ws.district.jurisdictions.geometry.iloc[0])
    assert ws.profile is demo_ws.profile and ws.data_notes[-1] == "仅显示：胜利街道"
    assert ws.ledgers["orgs"].n_accepted == len(ws.orgs) and set(ws.ledgers["orgs"].accepted["row"]) == set(
        ws.orgs["row"])
    assert len(ws.located.orgs) == len(ws.orgs) and other  # the demo has orgs of other towns to leave out
    both = demo_ws.restricted([A, B])
    assert len(both.orgs) == int(demo_ws.orgs["jurisdiction_code"].isin([A, B]).sum())
    assert demo_ws.restricted(["999999999"]).orgs.empty
    assert len(demo_ws.orgs) == 600  # the shared workspace is untouched


def test_scope_workspace_applies_the_role(demo_ws):
    assert scope_workspace(demo_ws, None) is demo_ws
    assert scope_workspace(demo_ws, ADMIN) is demo_ws
    for user in (TOWN_A, VIEW_A):
        ws = scope_workspace(demo_ws, user)
        assert set(ws.orgs["jurisdiction_code"]) == {A}
        codes = set(ws.orgs["credit_code"].dropna())
        theirs = set(demo_ws.orgs.loc[demo_ws.orgs["jurisdiction_code"] != A, "credit_code"].dropna())
        assert theirs and not codes & theirs  # a search by another town's credit code finds nothing


# ----------------------------------------------------------------- the store
def test_measures_and_edits_are_scoped(db_url, towns_rounds):
    with open_store(db_url) as store:
        with pytest.raises(AuthError, match="只有区级管理员可以导入轮次"):
            import_files(store, "R1", orgs=towns_rounds[0], user=TOWN_A)
        import_files(store, "R1", orgs=towns_rounds[0], user=ADMIN)
        every = store.measures(round="R1")
        assert {m["jurisdiction_code"] for m in every} == {A, B}
        assert store.measures(round="R1", user=ADMIN) == every
        mine = store.measures(round="R1", user=TOWN_A)
        assert mine and {m["jurisdiction_code"] for m in mine} == {A}
        assert mine == [m for m in every if m["jurisdiction_code"] == A]
        assert store.measures(user=VIEW_A) == mine
        theirs = next(m for m in every if m["jurisdiction_code"] == B)
        with pytest.raises(AuthError, match="不属于您负责的镇街"):
            store.set_measure(theirs["id"], status="进行中", user=TOWN_A)
        with pytest.raises(AuthError, match="无权查看"):
            store.measure(theirs["id"], user=TOWN_A)
        with pytest.raises(AuthError, match="只能查看"):
            store.set_measure(mine[0]["id"], status="进行中", user=VIEW_A)
        assert store.measure(theirs["id"])["version"] == 1 and store.measure(mine[0]["id"])["version"] == 1
        done = store.set_measure(mine[0]["id"], owner="王五", expect_version=1, user=TOWN_A)
        assert done["owner"] == "王五" and done["version"] == 2
        with pytest.raises(StaleVersionError):
            store.set_measure(mine[0]["id"], owner="赵六", expect_version=1, user=TOWN_A)
        log = [(r["what"], r["user"], r["towns"], r["outcome"]) for r in store.audit(what="measure.set")]
        assert log == [("measure.set", "胜利", [A], "refused: forbidden"),
                       ("measure.set", "看", [A], "refused: forbidden"), ("measure.set", "胜利", [A], "ok"),
                       ("measure.set", "胜利", [A], "refused: stale version")]
        imports = store.audit(what="round.import")
        assert [(r["user"], r["outcome"]) for r in imports] == [("胜利", "refused: forbidden"), ("区管", "ok")]


def test_rounds_diff_and_load_are_scoped(db_url, towns_rounds):
    with open_store(db_url) as store:
        import_files(store, "R1", orgs=towns_rounds[0])
        import_files(store, "R2", orgs=towns_rounds[1])
        full = store.diff("R1", "R2")
        part = store.diff("R1", "R2", user=TOWN_A)
        ws2 = store.load_round("R2")
        names = dict(zip(ws2.orgs["id"].astype(str), ws2.orgs["name"]))
        town_of = dict(zip(ws2.orgs["id"].astype(str), ws2.orgs["jurisdiction_code"]))
        assert sorted(names[i] for i in full["orgs_new"]) == ["乙三公司", "甲三公司"]
        assert [names[i] for i in part["orgs_new"]] == ["甲三公司"]
        assert len(full["status_changes"]) == 2 and [town_of[s["org_id"]] for s in part["status_changes"]] == [A]
        assert {town_of[c["org_id"]] for c in part["orgs_changed"]} <= {A}
        assert [j["code"] for j in part["jurisdictions"]] == [A]
        ja = next(j for j in full["jurisdictions"] if j["code"] == A)
        for k in ("org_coverage_rate", "single_rate", "work_coverage_rate"):  # one town: its totals are its rates
            assert part["district"][k]["from"] == pytest.approx(ja[k]["from"])
            assert part["district"][k]["to"] == pytest.approx(ja[k]["to"])
        assert part["district"]["scope"] == [A] and "scope" not in full["district"]
        assert part["district"]["org_coverage_rate"]["to"] == pytest.approx(1 / 3)
        scoped = store.load_round("R2", user=TOWN_A)
        assert sorted(scoped.orgs["name"]) == ["甲一公司", "甲三公司", "甲二公司"]
        assert not set(scoped.orgs["credit_code"].dropna()) & {_code(4), _code(6)}
        assert store.load_round("R2", user=ADMIN).orgs.shape == ws2.orgs.shape
        listed = store.rounds(user=TOWN_A)
        assert [r.orgs for r in listed] == [2, 3] and [r.orgs for r in store.rounds()] == [4, 6]
        assert listed[1].district["org_coverage_rate"] == pytest.approx(1 / 3)
        assert set(store.town_rates(user=TOWN_A)["code"]) == {A}


# ----------------------------------------------------------------- every export format
def _texts_of_pptx(path: Path) -> str:
    from pptx import Presentation

    out = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                out += [c.text for row in shape.table.rows for c in row.cells]
    return "\n".join(out)


def _texts_of_xlsx(path: Path) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                     if v is not None)


def _frames_of(paths: list[Path]) -> list[gpd.GeoDataFrame]:
    import pyogrio

    out = []
    for p in paths:
        for layer, _kind in pyogrio.list_layers(p):
            out.append(gpd.read_file(p, layer=layer))
    return out


def _leaks(files: dict[str, Path], figures: list, *, words: set[str], area: shapely.Geometry) -> set[str]:
    """What of another town the files and the drawn figures hold: ``{"<file kind>:<what>"}`` (empty: nothing)."""
    every = [p for p in files.values() if p.is_file()] + [q for p in files.values() if p.is_dir()
                                                          for q in p.rglob("*") if q.is_file()]
    found: set[str] = set()
    for path in every:
        if path.suffix == ".xlsx":
            text = _texts_of_xlsx(path)
        elif path.suffix == ".pptx":
            text = _texts_of_pptx(path)
            with zipfile.ZipFile(path) as z:  # also the raw XML (notes, charts)
                text += "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
        elif path.suffix in (".html", ".geojson", ".json", ".csv", ".md", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
        else:
            continue
        if any(w in text for w in words):
            found.add(f"{path.suffix}:text")
    for frame in _frames_of([p for p in every if p.suffix in (".gpkg", ".geojson")]):
        if frame.empty:
            continue
        geoms = frame.to_crs(4326).geometry if frame.crs is not None else frame.geometry
        pts = geoms[geoms.geom_type == "Point"]
        if not shapely.within(pts.values, area.buffer(1e-4)).all():
            found.add("layer:point")
        if not shapely.intersects(geoms.values, area.buffer(0.02)).all():
            found.add("layer:shape")
    for fig in figures:
        for ax in fig.axes:
            for coll in ax.collections:
                xy = coll.get_offsets()
                if len(xy) and coll.get_offset_transform() == ax.transData:
                    if not shapely.within(shapely.points(pd.DataFrame(xy).to_numpy(float)), area.buffer(2e-3)).all():
                        found.add("png:point")
            if any(w in t.get_text() for t in ax.texts for w in words):
                found.add("png:text")
    return found


@pytest.mark.slow
def test_a_town_user_exports_nothing_of_another_town(tmp_path, monkeypatch):
    """xlsx, pptx, gpkg, html, png and geojson from a town user's round hold no other town's org names, credit
    codes, town names or points; the same check on the whole district's files finds them (the check can fail)."""
    from lianxin_geo.pipeline import run_all
    from lianxin_geo.present import staticmap
    from lianxin_geo.workspace import load_workspace

    whole = load_workspace(demo_orgs=300)
    other = whole.orgs[whole.orgs["jurisdiction_code"] != A]
    mine = whole.orgs[whole.orgs["jurisdiction_code"] == A]
    assert len(mine) >= 10 and (other["jurisdiction_code"] == B).sum() >= 5
    words = ((set(other["name"].dropna()) - set(mine["name"].dropna()))
             | (set(other["credit_code"].dropna()) - set(mine["credit_code"].dropna()))
             | (set(whole.district.town_names.values()) - {"胜利街道"}))
    area = whole.district.jurisdictions.set_index("code").geometry[A]
    with open_store(tmp_path / "lianxin.db") as store:
        store.import_round("R", whole)
        scoped = store.load_round("R", user=TOWN_A)
        unscoped = store.load_round("R", user=ADMIN)
    figures: list = []
    real = staticmap.draw_map
    monkeypatch.setattr(staticmap, "draw_map", lambda *a, **k: figures.append(real(*a, **k)) or figures[-1])
    formats = ("xlsx", "pptx", "gpkg", "html", "png", "geojson")
    files = {k: Path(v) for k, v in run_all(scoped, tmp_path / "a", formats=formats, time_limit_s=20,
                                            new_sites=2).items()}
    exts = {p.suffix for p in files.values()} | {q.suffix for p in files.values() if p.is_dir() for q in p.iterdir()}
    assert {".xlsx", ".pptx", ".gpkg", ".html", ".png", ".geojson"} <= exts
    assert figures, "no static map drawn"
    assert _leaks(files, figures, words=words, area=area) == set()
    figures.clear()
    files = {k: Path(v) for k, v in run_all(unscoped, tmp_path / "all", formats=formats, time_limit_s=20,
                                            new_sites=2).items()}
    assert {".xlsx:text", ".pptx:text", ".html:text", "layer:point", "png:point"} <= _leaks(
        files, figures, words=words, area=area)
