"""The command line: exit codes, JSON on stdout only, demo fallback, user files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lianxin_geo.cli import main
from lianxin_geo.core.files import is_dangerous
from lianxin_geo.core.policy import load_profile
from lianxin_geo.ingest.demo import write_demo

DATA = Path(__file__).parent / "data"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *args: str) -> dict:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_help_is_bilingual_and_exits_0(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "两新党建" in out and "Two-coverage" in out
    for cmd in ("demo", "validate", "locate", "assess", "plan"):
        assert cmd in out


def test_bad_usage_exits_2(capsys):
    code, _, err = run(capsys, "no-such-command")
    assert code == 2
    code, _, _ = run(capsys, "validate")  # missing argument
    assert code == 2
    code, _, _ = run(capsys, "validate", str(DATA / "orgs_problems.csv"), "--kind", "nonsense")
    assert code == 2


def test_user_errors_exit_1_with_chinese_message(capsys, tmp_path):
    code, _, err = run(capsys, "validate", str(tmp_path / "missing.xlsx"))
    assert code == 1 and "错误" in err
    bad = tmp_path / "bad.toml"
    bad.write_text('[profile]\nextends = "shunyi-2017"\n[joint]\nmax_units = { value = -4 }\n', encoding="utf-8")
    code, _, err = run(capsys, "assess", "--policy", str(bad), "--json")
    assert code == 1 and "max_units" in err and "内部错误" not in err
    code, _, err = run(capsys, "assess", "--policy", "no-such-profile", "--json")
    assert code == 1 and "内部错误" not in err


def test_validate_json_accounts_for_every_row(capsys):
    doc = run_json(capsys, "validate", str(DATA / "orgs_problems.csv"))
    assert doc["rows_in"] == doc["accepted"] + doc["rejected"]
    assert doc["rejected"] > 0
    for e in doc["errors"]:
        assert set(e) >= {"row", "column", "value", "reason", "severity"}
        assert e["severity"] in ("error", "warning")
        assert e["row"] >= 2  # Excel rows, header counted
    rows_with_errors = {e["row"] for e in doc["errors"] if e["severity"] == "error"}
    assert len(rows_with_errors) == doc["rejected"]


def test_validate_detects_kind_and_reads_gbk(capsys):
    doc = run_json(capsys, "validate", str(DATA / "orgs_gbk_excel.csv"))
    assert doc["kind"] == "orgs" and doc["rows_in"] > 0
    doc = run_json(capsys, "validate", str(DATA / "buildings_utf8bom.csv"))
    assert doc["kind"] == "buildings"


def test_locate_on_a_user_file_names_orgs_by_id(capsys, tmp_path):
    out = tmp_path / "located.geojson"
    doc = run_json(capsys, "locate", "--orgs", str(DATA / "orgs_problems.csv"), "--out", str(out))
    assert doc["rows_in"] == 17
    assert doc["located"] + doc["unlocated"] + doc["rejected"] == doc["rows_in"]
    assert sum(doc["by_precision"].values()) == doc["located"] + doc["unlocated"]
    rec = doc["records"][0]
    assert set(rec) >= {"row", "id", "lon", "lat", "precision", "jurisdiction_code", "jurisdiction_name", "mismatch"}
    assert out.exists() and json.loads(out.read_text(encoding="utf-8"))["type"] == "FeatureCollection"


def test_demo_is_identical_for_the_same_seed(capsys, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for d, seed in ((a, "7"), (b, "7"), (c, "8")):
        code, _, err = run(capsys, "demo", "--out", str(d), "--orgs", "300", "--seed", seed)
        assert code == 0, err

    def digest(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}

    assert digest(a) == digest(b)
    assert digest(a) != digest(c)
    names = set(digest(a))
    assert any(n.startswith("orgs") and n.endswith(".xlsx") for n in names)
    assert {"boundaries.geojson"} <= names
    # the written organization ledger reads back with nothing rejected
    doc = run_json(capsys, "validate", str(next(p for p in a.iterdir() if p.name.startswith("orgs"))))
    assert doc["rows_in"] == 300 and doc["rejected"] == 0


def test_assess_json_and_policy_file_changes_the_result(capsys, small_orgs, tmp_path):
    base = run_json(capsys, "assess", "--orgs", str(small_orgs))
    assert set(base) >= {"district", "jurisdictions", "actions", "venues", "funding"}
    assert 0 <= base["district"]["org_coverage_rate"] <= 1

    src = Path(load_profile("shunyi-2017").path).read_text(encoding="utf-8")
    edited = tmp_path / "mine.toml"
    edited.write_text(src.replace("required_m2_town = { value = 1200", "required_m2_town = { value = 100"),
                      encoding="utf-8")
    mine = run_json(capsys, "assess", "--orgs", str(small_orgs), "--policy", str(edited))
    failing = lambda d: sum(1 for v in d["venues"] if not v["compliant"])  # noqa: E731
    shortfall = lambda d: sum(v.get("shortfall_m2") or 0 for v in d["venues"])  # noqa: E731
    assert failing(mine) <= failing(base) and shortfall(mine) < shortfall(base)
    assert {v["required_m2"] for v in mine["venues"] if v["level"] == "镇级"} == {100}


# ------------------------------------------------------------------ plans, export, run
@pytest.fixture(scope="module")
def small_orgs(tmp_path_factory) -> Path:
    """A 600-org synthetic ledger written as a user would have it (xlsx, Chinese headers)."""
    folder = tmp_path_factory.mktemp("small")
    return write_demo(folder, n_orgs=600, seed=11)["orgs"]


def test_plan_joint_json_shape_and_no_violations(capsys, small_orgs, tmp_path):
    out = tmp_path / "joint.xlsx"
    doc = run_json(capsys, "plan", "joint", "--orgs", str(small_orgs), "--out", str(out))
    assert set(doc) >= {"units", "unplaced", "violations", "stats"}
    assert doc["violations"] == []
    st = doc["stats"]
    assert set(st) >= {"eligible", "placed", "units", "mean_radius_m", "max_radius_m", "seconds"}
    assert st["units"] == len(doc["units"]) and st["placed"] == sum(len(u["org_ids"]) for u in doc["units"])
    assert st["eligible"] == st["placed"] + len(doc["unplaced"])
    for u in doc["units"]:
        assert set(u) >= {"unit_id", "jurisdiction_code", "industry", "org_ids", "hub_id", "members", "employees",
                          "radius_m"}
        assert u["hub_id"] in u["org_ids"] and len(u["org_ids"]) <= 15 and 3 <= u["members"] <= 50
    for x in doc["unplaced"]:
        assert x["org_id"] and x["reason"]
    import openpyxl

    assert "联建单元" in openpyxl.load_workbook(out, read_only=True).sheetnames


def test_plan_joint_national_profile_caps_units_at_five(capsys, small_orgs):
    doc = run_json(capsys, "plan", "joint", "--orgs", str(small_orgs), "--policy", "national-2018")
    assert doc["units"] and max(len(u["org_ids"]) for u in doc["units"]) <= 5
    assert doc["violations"] == []


def test_plan_routes_json_shape(capsys, small_orgs, tmp_path):
    sheet = tmp_path / "routes.md"
    doc = run_json(capsys, "plan", "routes", "--orgs", str(small_orgs), "--time-limit", "2", "--out", str(sheet))
    assert set(doc) >= {"routes", "unassigned", "stats"}
    assert set(doc["stats"]) >= {"orgs", "instructors", "total_km", "seconds", "distance_source"}
    assert doc["stats"]["instructors"] == len({r["instructor_id"] for r in doc["routes"]}) > 0
    seen = [o for r in doc["routes"] for o in r["org_ids"]]
    assert len(seen) == len(set(seen))
    for r in doc["routes"]:
        assert set(r) >= {"instructor_id", "jurisdiction_code", "base", "org_ids", "length_km", "minutes"}
        assert len(r["org_ids"]) <= 12
    assert sheet.read_text(encoding="utf-8").strip()


def test_plan_coverage_json_shape(capsys, small_orgs):
    doc = run_json(capsys, "plan", "coverage", "--orgs", str(small_orgs), "--new-sites", "3")
    assert set(doc) >= {"coverage", "gaps", "proposed_sites", "venues", "stats"}
    d = doc["coverage"]["district"]
    assert all(0 <= d[k] <= 1 for k in ("orgs_share", "members_share", "employees_share"))
    assert isinstance(doc["coverage"]["jurisdictions"], list) and doc["coverage"]["jurisdictions"]
    assert len(doc["proposed_sites"]) <= 3
    for s in doc["proposed_sites"]:
        assert set(s) >= {"site_id", "kind", "lon", "lat", "jurisdiction_code", "newly_covered_orgs",
                          "newly_covered_employees"}
    for g in doc["gaps"]:
        assert set(g) >= {"cell_id", "lon", "lat", "orgs", "employees"}
    assert set(doc["stats"]) >= {"seconds", "method", "bound"}


def test_export_png_and_unknown_format(capsys, small_orgs, tmp_path):
    from PIL import Image

    png = tmp_path / "m.png"
    doc = run_json(capsys, "export", "--format", "png", "--out", str(png), "--orgs", str(small_orgs))
    assert doc["files"] == [str(png)]
    with Image.open(png) as im:
        assert im.size[0] > 800 and im.size[1] > 500
    code, _, _ = run(capsys, "export", "--format", "doc", "--out", str(tmp_path / "x.doc"))
    assert code == 2


def test_run_writes_every_file(capsys, small_orgs, tmp_path):
    out = tmp_path / "run"
    doc = run_json(capsys, "run", "--out", str(out), "--orgs", str(small_orgs), "--time-limit", "6")
    files = doc["files"]
    for key in ("html", "png", "xlsx", "pptx", "gpkg", "validation"):
        assert key in files and Path(files[key]).exists() and Path(files[key]).stat().st_size > 0, key
    html = Path(files["html"]).read_text(encoding="utf-8")
    assert "演示数据" in html  # the synthetic ledger is labelled


def _towns_file(path: Path, towns: dict[str, tuple[float, float, float, float]]) -> Path:
    """A GeoJSON of box towns (``name -> (minx, miny, maxx, maxy)``) with a Chinese name column."""
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame({"名称": list(towns)}, geometry=[shapely.box(*b) for b in towns.values()],
                             crs="EPSG:4326")
    frame.to_file(path, driver="GeoJSON")
    return path


def test_another_district_with_its_own_boundaries(capsys, tmp_path):
    """A district that is not Shunyi: its own polygons, a GBK ledger; no Shunyi demo layers leak in."""
    import numpy as np
    import pandas as pd

    bpath = _towns_file(tmp_path / "towns.geojson", {"甲街道": (113.0, 23.0, 113.05, 23.05),
                                                     "乙镇": (113.05, 23.0, 113.15, 23.08)})
    rng = np.random.default_rng(3)
    n = 60
    df = pd.DataFrame({
        "企业名称": [f"测试企业{i}" for i in range(n)], "组织类别": "非公企业", "行业": rng.choice(["C", "I"], n),
        "经度": rng.uniform(113.0, 113.15, n).round(6), "纬度": rng.uniform(23.0, 23.05, n).round(6),
        "职工人数": rng.integers(1, 200, n), "党员人数": rng.choice([0, 1, 1, 2, 3], n),
    })
    df.loc[0, "企业名称"] = "<script>alert(1)</script>"
    opath = tmp_path / "orgs.csv"
    df.to_csv(opath, index=False, encoding="gbk")
    a = run_json(capsys, "assess", "--orgs", str(opath), "--boundaries", str(bpath))
    assert a["district"]["orgs"] == n
    assert {j["code"] for j in a["jurisdictions"]} == {"J001", "J002"}
    j = run_json(capsys, "plan", "joint", "--orgs", str(opath), "--boundaries", str(bpath))
    assert j["violations"] == [] and j["stats"]["eligible"] > 0
    assert not any("演示数据" in note for note in j["notes"])  # a user's ledger given: no demo layer at all
    assert any(note.startswith("未提供园区台账") for note in j["notes"])  # and the notes name what is missing
    assert "<script>alert(1)</script>" in {u for x in j["units"] for u in x["org_names"]} | {
        x["name"] for x in j["unplaced"]} | {o["name"] for o in a["orgs"]}


def test_coverage_says_why_no_site_is_proposed(capsys, tmp_path):
    import pandas as pd

    bpath = _towns_file(tmp_path / "towns.geojson", {"甲街道": (113.0, 23.0, 113.05, 23.05)})
    opath = tmp_path / "orgs.csv"
    pd.DataFrame({"单位名称": ["甲公司", "乙公司"], "组织类别": "非公企业", "经度": [113.01, 113.02],
                  "纬度": [23.01, 23.02]}).to_csv(opath, index=False)
    doc = run_json(capsys, "plan", "coverage", "--orgs", str(opath), "--boundaries", str(bpath), "--new-sites", "2")
    assert doc["proposed_sites"] == []
    assert "没有候选点" in doc["stats"]["message"]


# ------------------------------------------------------------------ CSV outputs carry no live formula
FORMULAS = ("=1+1", "+SUM(A1)", "-2", "@x", "＝1")


@pytest.fixture(scope="module")
def formula_orgs(small_orgs, tmp_path_factory) -> Path:
    """The 600-org ledger with every name (and address) starting like a spreadsheet formula."""
    import pandas as pd

    df = pd.read_excel(small_orgs, header=1, dtype=str, engine="openpyxl")
    df["单位名称"] = [FORMULAS[i % 5] if i < 5 else f"{FORMULAS[i % 5]}{i}" for i in range(len(df))]
    df["地址"] = [f"{FORMULAS[i % 5]}地址{i}" for i in range(len(df))]
    path = tmp_path_factory.mktemp("formulas") / "orgs.csv"
    df.to_csv(path, index=False, encoding="utf-8")
    return path


def _csv_cells(path: Path) -> list[str]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [c for row in csv.reader(fh) for c in row]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("command", [("locate",), ("plan", "joint"), ("plan", "routes", "--time-limit", "2"),
                                     ("plan", "coverage", "--new-sites", "2")])
def test_csv_outputs_carry_no_formula(capsys, formula_orgs, tmp_path, command):
    out = tmp_path / "out.csv"
    run_json(capsys, *command, "--orgs", str(formula_orgs), "--out", str(out))
    cells = _csv_cells(out)
    live = [c for c in cells if is_dangerous(c) and not _is_number(c)]
    assert cells and live == [], live[:10]
    if command[0] == "locate":  # every name is there, neutralised, not dropped
        for bad in FORMULAS:
            assert "'" + bad in cells
    assert not list(tmp_path.glob(".lianxin-tmp-*"))  # written atomically: no temporary file left


def test_routes_markdown_is_written_atomically(capsys, small_orgs, tmp_path):
    out = tmp_path / "routes.md"
    out.write_text("old", encoding="utf-8")
    run_json(capsys, "plan", "routes", "--orgs", str(small_orgs), "--time-limit", "1", "--out", str(out))
    assert out.read_text(encoding="utf-8") != "old" and not list(tmp_path.glob(".lianxin-tmp-*"))


# ------------------------------------------------------------------ the parallel engine (--scheduler, 部分结果)
@pytest.mark.parametrize("command", [("run",), ("export",), ("plan", "joint"), ("plan", "routes"),
                                     ("plan", "coverage")])
def test_every_planning_command_takes_a_scheduler(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0 and "--scheduler" in out and "tcp://" in out


def test_a_failed_town_is_labelled_partial(capsys, small_orgs, monkeypatch):
    from lianxin_geo.plan.joint import plan as joint_plan

    real = joint_plan._solve

    def broken(led, pool, *a, **k):  # the town 李桥镇 (110113104) fails, the others are planned
        if "110113104" in set(led.town[pool].tolist()):
            raise ValueError("坐标异常")
        return real(led, pool, *a, **k)

    monkeypatch.setattr(joint_plan, "_solve", broken)
    doc = run_json(capsys, "plan", "joint", "--orgs", str(small_orgs), "--scheduler", "sync")
    assert doc["partial"] is True
    assert doc["failures"] == [{"key": "110113104", "label": "李桥镇", "reason": "数值不合法（ValueError）：坐标异常"}]
    assert doc["units"] and all(u["jurisdiction_code"] != "110113104" for u in doc["units"])
    code, _, err = run(capsys, "plan", "joint", "--orgs", str(small_orgs), "--scheduler", "sync")
    assert code == 0 and "部分结果" in err and "李桥镇" in err and "坐标异常" in err


def test_run_json_says_whether_the_result_is_partial(capsys, small_orgs, tmp_path, monkeypatch):
    from lianxin_geo.plan.joint import plan as joint_plan

    out = tmp_path / "run"
    doc = run_json(capsys, "run", "--out", str(out), "--orgs", str(small_orgs), "--formats", "gpkg",
                   "--time-limit", "6", "--scheduler", "sync")
    assert doc["partial"] is False and doc["failures"] == [] and not (out / "partial.json").exists()
    real = joint_plan._solve

    def broken(led, pool, *a, **k):
        if "110113104" in set(led.town[pool].tolist()):
            raise ValueError("坐标异常")
        return real(led, pool, *a, **k)

    monkeypatch.setattr(joint_plan, "_solve", broken)
    doc = run_json(capsys, "run", "--out", str(out), "--orgs", str(small_orgs), "--formats", "gpkg",
                   "--time-limit", "6", "--scheduler", "sync")
    assert doc["partial"] is True and [f["key"] for f in doc["failures"]] == ["110113104"]
    note = json.loads((out / "partial.json").read_text(encoding="utf-8"))
    assert note["partial"] is True and note["note"].startswith("部分结果") and note["failures"] == doc["failures"]
